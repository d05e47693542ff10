"""Fast word wrapping into character offsets, and making text safe to show."""

from __future__ import annotations

import re
from functools import lru_cache

from rich.cells import cell_len

# Characters that take other than one cell: East Asian wide, emoji, combining marks.
_NOT_ONE_CELL = re.compile(
    "[\u0300-\u036f\u0483-\u0489\u0591-\u05bd\u0610-\u061a\u064b-\u065f\u0e31-\u0e3a"
    "\u1100-\u115f\u200b-\u200f\u20d0-\u20ff\u2e80-\ua4cf\uac00-\ud7a3\uf900-\ufaff"
    "\ufe00-\ufe0f\ufe20-\ufe2f\ufe30-\ufe4f\uff00-\uff60\uffe0-\uffe6"
    "\U0001f000-\U0001faff\U00020000-\U0003fffd\U000e0000-\U000e01ef]"
)


@lru_cache(maxsize=64)
def _line_pattern(width: int) -> re.Pattern[str]:
    # A line starts and ends with a non-space, is at most `width` characters, and ends
    # before a space or the end of the text; a longer word is cut at `width`.
    if width < 2:
        return re.compile(r"\S")
    return re.compile(rf"\S(?:[^\n]{{0,{width - 2}}}\S)?(?=\s|$)|\S{{{width}}}")


def wrap_offsets(text: str, width: int) -> list[tuple[int, int]]:
    """Wrap text at word boundaries into lines of at most `width` cells.

    Args:
        text: One line of text (no line breaks).
        width: The most cells a line may take.

    Returns:
        (start, end) character offsets of each line; at least one line.
    """
    width = max(1, width)
    if not text.isascii() and _NOT_ONE_CELL.search(text):
        return _wrap_cells(text, width)
    if len(text) <= width:
        return [(0, len(text))]
    return [match.span() for match in _line_pattern(width).finditer(text)] or [(0, 0)]


def _wrap_cells(text: str, width: int) -> list[tuple[int, int]]:
    """Slow path of `wrap_offsets` for text with wide or zero-width characters."""
    lines: list[tuple[int, int]] = []
    start = end = 0
    used = 0
    for match in re.finditer(r"\S+", text):
        word_start, word_end = match.span()
        word_cells = cell_len(match.group())
        gap = 1 if end > start else 0
        if end > start and used + gap + word_cells <= width:
            end = word_end
            used += gap + word_cells
            continue
        if end > start:
            lines.append((start, end))
        start, used = word_start, 0
        position = word_start
        while position < word_end:
            cells = cell_len(text[position])
            if used + cells > width and used > 0:
                lines.append((start, position))
                start, used = position, 0
            used += cells
            position += 1
        end = word_end
    if end > start or not lines:
        lines.append((start, end))
    return lines


def hard_wrap_offsets(text: str, width: int, base: int = 0) -> list[tuple[int, int]]:
    """Cut lines (split on line breaks) every `width` cells, keeping all characters.

    Used for code, whose spaces and line breaks matter.

    Args:
        text: Text that may hold line breaks.
        width: The most cells a line may take.
        base: Added to every offset.
    """
    width = max(1, width)
    lines: list[tuple[int, int]] = []
    position = 0
    for line in text.split("\n"):
        if len(line) <= width and not _NOT_ONE_CELL.search(line):
            lines.append((base + position, base + position + len(line)))
        else:
            start, used = 0, 0
            for index, char in enumerate(line):
                cells = cell_len(char)
                if used + cells > width and used > 0:
                    lines.append((base + position + start, base + position + index))
                    start, used = index, 0
                used += cells
            lines.append((base + position + start, base + position + len(line)))
        position += len(line) + 1
    return lines
