"""Lines that fit their width (parts dropped whole, least important first); text cut to lines."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from rich.cells import cell_len
from textual.content import Content
from textual.geometry import Size
from textual.widget import Widget

SEPARATOR = " · "
"""What stands between two parts of a line, unless the line or the part says otherwise."""


@dataclass(frozen=True)
class Part:
    """One item of a line (a count, a date, a hint), shown whole or not at all.

    Attributes:
        content: The text of the item, with its style (text, never markup).
        rank: How much it matters: when the line is too narrow, the part of the lowest
            rank goes first (of equal ranks, the one further right).
        before: The separator before this part, if not the line's own.
    """

    content: Content
    rank: int = 0
    before: str | None = None

    @classmethod
    def text(cls, text: str, style: str = "", rank: int = 0, before: str | None = None) -> Part:
        """A part of plain text (never markup) in a style."""
        return cls(Content.styled(text, style), rank, before)


def cut(content: Content, width: int) -> Content:
    """Content cut to at most `width` cells, ending in an ellipsis when cut."""
    if content.cell_length <= width:
        return content
    if width <= 0:
        return Content("")
    return content.truncate(width - 1).rstrip() + "…"


def _joined(parts: Sequence[Part], separator: str, style: str) -> Content:
    pieces: list[Content | tuple[str, str]] = []
    for index, part in enumerate(parts):
        if index:
            pieces.append((separator if part.before is None else part.before, style))
        pieces.append(part.content)
    return Content.assemble(*pieces)


def _width(parts: Sequence[Part], separator: str) -> int:
    between = sum(cell_len(separator if part.before is None else part.before) for part in parts[1:])
    return between + sum(part.content.cell_length for part in parts)


def fit_parts(
    parts: Sequence[Part], width: int, separator: str = SEPARATOR, style: str = ""
) -> Content:
    """The parts joined by the separator, dropping whole parts until the line fits.

    The part of the lowest rank goes first (of equal ranks, the one further right), so
    what is shown is whole and never ends in a separator. A last part that still does
    not fit is cut with an ellipsis. The separators are drawn in `style`.
    """
    shown = [part for part in parts if part.content.cell_length]
    while len(shown) > 1 and _width(shown, separator) > width:
        least = min(range(len(shown)), key=lambda index: (shown[index].rank, -index))
        del shown[least]
    return cut(_joined(shown, separator, style), max(0, width))


class FittedLines(Widget):
    """Lines of parts, each fitted to the widget's width whenever it is drawn.

    A line is a sequence of `Part`s; a line of one part is that part cut with an
    ellipsis when it is too long.
    """

    DEFAULT_CSS = """
    FittedLines {
        height: auto;
        text-wrap: nowrap;
        text-overflow: ellipsis;
    }
    """

    def __init__(
        self,
        *lines: Sequence[Part],
        separator: str = SEPARATOR,
        separator_style: str = "",
        name: str | None = None,
        id: str | None = None,
        classes: str | None = None,
    ) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self.separator = separator
        self.separator_style = separator_style
        self._lines: tuple[tuple[Part, ...], ...] = tuple(tuple(line) for line in lines)

    @property
    def lines(self) -> tuple[tuple[Part, ...], ...]:
        """The lines, as given."""
        return self._lines

    def update(self, *lines: Sequence[Part]) -> None:
        """Show other lines (a new layout only if their number changed)."""
        count = len(self._lines)
        self._lines = tuple(tuple(line) for line in lines)
        self.refresh(layout=len(self._lines) != count)

    def render(self) -> Content:
        width = self.size.width
        return Content("\n").join(
            fit_parts(line, width, self.separator, self.separator_style) for line in self._lines
        )


class ClampedText(Widget):
    """Text wrapped to the widget's width in at most a number of lines; when it goes on,
    the last line shown ends in an ellipsis.

    Args:
        content: The text, with its styles (text, never markup).
        lines: The most lines shown.
    """

    DEFAULT_CSS = """
    ClampedText {
        height: auto;
    }
    """

    def __init__(
        self,
        content: Content,
        lines: int,
        *,
        name: str | None = None,
        id: str | None = None,
        classes: str | None = None,
    ) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self.content = content
        self.most_lines = max(1, lines)

    def _lines(self, width: int) -> list[Content]:
        wrapped = self.content.wrap(max(1, width))
        if len(wrapped) <= self.most_lines:
            return wrapped
        shown = wrapped[: self.most_lines]
        shown[-1] = cut(shown[-1].rstrip() + "…", width)
        return shown

    def get_content_height(self, container: Size, viewport: Size, width: int) -> int:
        return len(self._lines(width))

    def render(self) -> Content:
        return Content("\n").join(self._lines(self.size.width))
