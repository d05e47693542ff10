"""Full-text search helpers: user input to a safe FTS5 query, FTS5 snippets to plain text."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence

SNIPPET_OPEN = "\ufdd0"
"""Private marker FTS5 puts before a matched term in a snippet (removed before showing).

A Unicode noncharacter, reserved for a program's internal use, so that text holding
control characters (which are blanked) cannot fake a match.
"""
SNIPPET_CLOSE = "\ufdd1"
"""Private marker FTS5 puts after a matched term in a snippet."""
SNIPPET_ELLIPSIS = "…"
SNIPPET_TOKENS = 24
"""Tokens FTS5 picks around the best match (its maximum is 64)."""
SNIPPET_CHARS = 160
"""A cleaned snippet is cut to at most this many characters, around its first match."""

MIN_PREFIX = 3
"""Words this long or longer match as prefixes as they are typed."""
_TERM = re.compile(r'"([^"]*)"|([^\s"]+)')
"""A double-quoted phrase, or a run of anything else but whitespace and quotes."""
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_WHITESPACE = re.compile(r"\s+")
_MARKER = re.compile(f"({SNIPPET_OPEN}|{SNIPPET_CLOSE})")


def _build_clean_map() -> dict[int, str | None]:
    table: dict[int, str | None] = {code: " " for code in (*range(0x20), 0x7F, *range(0x80, 0xA0))}
    table[0x2028] = " "
    table[0x2029] = " "
    # Bidirectional controls would reorder the text around them; zero-width they go.
    for code in (*range(0x202A, 0x202F), *range(0x2066, 0x206A), 0x200E, 0x200F, 0x061C):
        table[code] = None
    return table


_CLEAN_MAP = _build_clean_map()


def _searchable(text: str) -> bool:
    """Whether the FTS5 tokenizer finds at least one word in the text."""
    return any(char.isalnum() for char in text)


def match_expression(query: str, columns: Sequence[str] = ()) -> str | None:
    """Turn what a user typed into an FTS5 query that matches it literally.

    Every word of three or more letters is matched as the start of a word (`brug`
    finds `brugge`); a trailing `*` asks for that on shorter words too; text in
    double quotes is matched as an exact phrase. Everything else FTS5 would read as
    syntax (`-`, `(`, `:`, `^`, `NEAR`, `AND`, stray quotes) is quoted, so it is only
    ever text: any input gives a valid
    query. All words must match.

    Args:
        query: The user's search text.
        columns: Only match in these columns of the FTS table (all if empty).

    Returns:
        The FTS5 expression, or None if the query holds no word to search for.
    """
    query = unicodedata.normalize("NFC", _CONTROL.sub(" ", query))
    phrases: list[str] = []
    for match in _TERM.finditer(query):
        phrase, word = match.groups()
        if phrase is not None:
            if _searchable(phrase):
                phrases.append(f'"{phrase}"')
        else:
            explicit = word.endswith("*")
            word = word.rstrip("*")
            if _searchable(word):
                # One- and two-letter words match whole words only (unless typed with
                # `*`): as prefixes they match most of a library and rank slowly.
                prefix = explicit or len(word) >= MIN_PREFIX
                phrases.append(f'"{word}"*' if prefix else f'"{word}"')
    if not phrases:
        return None
    expression = " AND ".join(phrases)
    if columns:
        expression = "{" + " ".join(columns) + "} : (" + expression + ")"
    return expression


def clean_snippet(raw: str, limit: int = SNIPPET_CHARS) -> tuple[str, tuple[tuple[int, int], ...]]:
    """Turn an FTS5 snippet with private markers into one line of plain text and marks.

    Whitespace runs (line breaks of code blocks included) become one space, control
    characters become spaces and bidirectional controls are dropped, so the text is
    safe on one terminal line. A text longer than `limit` is cut around its first mark.

    Args:
        raw: The snippet, made with `SNIPPET_OPEN` and `SNIPPET_CLOSE` around matches.
        limit: The longest text to return.

    Returns:
        The plain text and the (start, end) of every match in it.
    """
    out = ""
    marks: list[tuple[int, int]] = []
    opened: int | None = None
    for part in _MARKER.split(raw):
        if part == SNIPPET_OPEN:
            if opened is None:
                opened = len(out)
            continue
        if part == SNIPPET_CLOSE:
            if opened is not None:
                marks.append((opened, len(out)))
                opened = None
            continue
        text = _WHITESPACE.sub(" ", part.translate(_CLEAN_MAP))
        if text.startswith(" ") and (not out or out.endswith(" ")):
            text = text[1:]
        out += text
    if opened is not None:
        marks.append((opened, len(out)))
    leading = len(out) - len(out.lstrip(" "))
    out = out.strip(" ")
    return _cut(out, [(start - leading, end - leading) for start, end in marks], limit)


def _cut(
    text: str, marks: list[tuple[int, int]], limit: int
) -> tuple[str, tuple[tuple[int, int], ...]]:
    """Keep at most `limit` characters of a text around its first mark, with ellipses."""
    kept = [(max(0, start), min(len(text), end)) for start, end in marks]
    if len(text) > limit:
        width = limit - 2
        first_start, first_end = kept[0] if kept else (0, 0)
        # A third of the room before the match, the rest after it.
        start = max(0, first_start - max(0, width - (first_end - first_start)) // 3)
        end = min(len(text), start + width)
        start = max(0, end - width)
        prefix = SNIPPET_ELLIPSIS if start > 0 else ""
        suffix = SNIPPET_ELLIPSIS if end < len(text) else ""
        shift = len(prefix) - start
        text = prefix + text[start:end] + suffix
        kept = [
            (max(a, start) + shift, min(b, end) + shift) for a, b in kept if a < end and b > start
        ]
    return text, tuple((start, end) for start, end in kept if end > start)
