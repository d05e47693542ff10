"""Plain text to blocks (headings by shape), and what all importers share: failures, titles."""

from __future__ import annotations

import datetime
import re

from annotations import decoding
from annotations.errors import BadInputError
from annotations.models import Block, BlockKind, Document
from annotations.text import normalize_newlines
from reader.sentences import first_sentence

TABLE_SEPARATOR = " │ "
"""Between the cells of a table row (tables are one line per row)."""
MAX_TITLE = 120
"""Titles are shorter than this many characters."""

_DATE_TOKEN = re.compile(r"\A\s*date\s+(\d{4}-\d{2}(?:-\d{2})?)(?![\d-])[ \t]*(?:\r?\n)?")
_BLANK_LINE = re.compile(r"\n[ \t\f\v]*\n")
_BYLINE = re.compile(r"^(?:by|door|von|par|por|di)\s+(\S.{0,78})$", re.IGNORECASE)


class ImportFailure(BadInputError):
    """A file that cannot be imported; the message is a one-line reason."""


# Decoding ------------------------------------------------------------------


def decode_bytes(data: bytes) -> str:
    """Decode a text file's bytes (see `annotations.decoding.decode_text`).

    Raises:
        ImportFailure: For binary data (NUL bytes without a BOM, not UTF-16).
    """
    try:
        return decoding.decode_text(data)
    except decoding.NotTextError as error:
        raise ImportFailure(str(error)) from None


def valid_date(text: str) -> bool:
    """Whether `YYYY-MM` or `YYYY-MM-DD` names a real month or day."""
    try:
        datetime.date.fromisoformat(text if len(text) == 10 else f"{text}-01")
    except ValueError:
        return False
    return True


# Sentences and titles -------------------------------------------------------


def shorten(text: str, limit: int = MAX_TITLE - 1) -> str:
    """Cut a text at a word boundary to fit a limit, marking the cut with an ellipsis."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    cut = text[: limit - 1].rsplit(" ", 1)[0] if " " in text[: limit - 1] else text[: limit - 1]
    return cut.rstrip(" ,;:-") + "…"


def title_from_text(text: str) -> str:
    """A title taken from the first sentence of a text, never a whole long paragraph."""
    return shorten(first_sentence(text)) or "Untitled"


# Plain text -------------------------------------------------------------------


def _join_lines(lines: list[str]) -> str:
    """Join a hard-wrapped paragraph's lines into one line."""
    out = ""
    for raw in lines:
        line = " ".join(raw.split())
        if not line:
            continue
        if out.endswith("-") and len(out) > 1 and out[-2].isalpha() and line[:1].islower():
            out += line
        else:
            out = f"{out} {line}" if out else line
    return out


def _split_paragraphs(text: str) -> list[list[str]]:
    """Split text into paragraphs, each a list of its lines."""
    chunks = [chunk for chunk in _BLANK_LINE.split(text) if chunk.strip()]
    if len(chunks) == 1:
        lines = [line for line in chunks[0].split("\n") if line.strip()]
        # No blank lines at all: one paragraph per line when lines are long
        # (one line per paragraph), or per indented line in a hard-wrapped book.
        if len(lines) > 1 and sum(len(line) > 100 for line in lines) > len(lines) / 2:
            return [[line] for line in lines]
        if len(lines) > 2 and sum(line[:1] in " \t" for line in lines[1:]) >= 2:
            paragraphs: list[list[str]] = []
            for line in lines:
                if not paragraphs or line[:1] in " \t":
                    paragraphs.append([line])
                else:
                    paragraphs[-1].append(line)
            return paragraphs
    # Whitespace-only lines (e.g. a blank line left by a removed date token) are
    # not part of a paragraph, so a title line after them still stands alone.
    return [[line for line in chunk.split("\n") if line.strip()] for chunk in chunks]


def _is_heading_line(lines: list[str], text: str) -> bool:
    return (
        len(lines) == 1
        and len(text) <= 70
        and len(text.split()) <= 9
        and any(ch.isalpha() for ch in text)
        and not re.search(r"[.,;:!?…\"'”’»)\]]$", text)
    )


def parse_text(text: str, source: str = "") -> Document:
    """Parse plain text into a document.

    Paragraphs are separated by blank lines, and single line breaks inside a
    paragraph are joined. A leading `date YYYY-MM[-DD]` token sets the date. A
    first line that stands alone, is short and has no final period is the title;
    otherwise the title is the first sentence. Short standalone lines without
    final punctuation become headings (chapter titles).

    Args:
        text: The decoded text.
        source: Where it came from.

    Raises:
        ImportFailure: If there is no text.
    """
    text = normalize_newlines(text).lstrip("\ufeff")
    date = None
    match = _DATE_TOKEN.match(text)
    if match and valid_date(match.group(1)):
        date = match.group(1)
        text = text[match.end() :]
    paragraphs = [(lines, _join_lines(lines)) for lines in _split_paragraphs(text)]
    paragraphs = [(lines, joined) for lines, joined in paragraphs if joined]
    if not paragraphs:
        raise ImportFailure("empty file, no text to read")
    title = None
    author = None
    first_lines, first = paragraphs[0]
    if (
        len(paragraphs) > 1
        and len(first_lines) == 1
        and len(first) < MAX_TITLE
        and not first.endswith(".")
    ):
        title = first
        paragraphs = paragraphs[1:]
        byline = _BYLINE.match(paragraphs[0][1]) if len(paragraphs[0][0]) == 1 else None
        if byline and len(paragraphs) > 1:
            author = byline.group(1).strip()
            paragraphs = paragraphs[1:]
    blocks = []
    for index, (lines, joined) in enumerate(paragraphs):
        is_heading = index + 1 < len(paragraphs) and _is_heading_line(lines, joined)
        kind = BlockKind.HEADING if is_heading else BlockKind.PARAGRAPH
        blocks.append(Block(kind, joined, 2 if is_heading else 0))
    if title is None:
        title = title_from_text(blocks[0].text)
    return Document(
        title=title, blocks=tuple(blocks), source=source, date=date, author=author, format="txt"
    )
