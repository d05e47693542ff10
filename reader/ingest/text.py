"""Plain text to a document (Project Gutenberg files too), and what all importers share."""

from __future__ import annotations

import datetime
import re

from annotations import decoding
from annotations.errors import BadInputError
from annotations.models import Document
from annotations.text import normalize_newlines
from reader.ingest.gutenberg import read_gutenberg
from reader.ingest.paragraphs import split_paragraphs, text_blocks, words
from reader.sentences import first_sentence

TABLE_SEPARATOR = " │ "
"""Between the cells of a table row (tables are one line per row)."""
MAX_TITLE = 120
"""Titles are shorter than this many characters."""

_DATE_TOKEN = re.compile(r"\A\s*date\s+(\d{4}-\d{2}(?:-\d{2})?)(?![\d-])[ \t]*(?:\r?\n)?")
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


def _is_title_page_line(lines: list[str], text: str, title: str, author: str | None) -> bool:
    """Whether a line at the start of a book repeats its title or author (`By Leo Tolstoy`)."""
    if len(lines) > 2:
        return False
    text = words(text)
    if not text:
        return False
    # A title set over several lines: each is a part of it.
    in_title = f" {text} " in f" {words(title)} "
    return in_title or text == words(author or "") or bool(_BYLINE.match(text))


def parse_text(text: str, source: str = "") -> Document:
    """Parse plain text into a document.

    Paragraphs are separated by blank lines, and single line breaks inside a
    paragraph are joined. A leading `date YYYY-MM[-DD]` token sets the date. A
    first line that stands alone, is short and has no final period is the title;
    otherwise the title is the first sentence.

    A Project Gutenberg file is read between its start and end markers, and its
    header gives the title, author and date; the lines that repeat them at the start
    of the book are dropped.

    Chapter and part lines become headings, and a table of contents at the start is
    dropped (see `paragraphs.text_blocks`).

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
    book = read_gutenberg(text)
    if book:
        text = book.body
    paragraphs = split_paragraphs(text)
    if not paragraphs and book:
        raise ImportFailure("no text between the Project Gutenberg start and end markers")
    if not paragraphs:
        raise ImportFailure("empty file, no text to read")
    title = None
    author = None
    if book and book.title:
        title, author, date = book.title, book.author, book.date or date
        start = 0
        while start + 1 < len(paragraphs) and _is_title_page_line(
            *paragraphs[start], title, author
        ):
            start += 1
        paragraphs = paragraphs[start:]
    else:
        if book:
            author, date = book.author, book.date or date
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
    blocks = text_blocks(paragraphs)
    if title is None:
        title = title_from_text(blocks[0].text)
    return Document(
        title=title, blocks=tuple(blocks), source=source, date=date, author=author, format="txt"
    )
