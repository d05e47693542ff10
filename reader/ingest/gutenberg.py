"""Project Gutenberg plain texts: the licence header and footer cut off, the header's metadata."""

from __future__ import annotations

import datetime
import re
from collections.abc import Sequence
from dataclasses import dataclass

# Every marker line names Project Gutenberg or its small print, so only lines with these
# words (in the cases files use) are tried: a scan for them is fast.
_NAME = ("utenberg", "UTENBERG")
_SMALL_PRINT = ("small print", "SMALL PRINT", "Small Print")
_START = re.compile(
    r"[ \t]*\*+[ \t]*START[ \t]+OF[ \t]+(?:THE[ \t]+|THIS[ \t]+)?PROJECT[ \t]+GUTENBERG\b",
    re.IGNORECASE,
)
# Old files put "the small print" (the licence) before the text; the text follows its end.
_SMALL_PRINT_END = re.compile(
    r"[ \t]*\*+[ \t]*END\b[ \t*]*THE[ \t]+SMALL[ \t]+PRINT\b", re.IGNORECASE
)
# "*** END OF THE PROJECT GUTENBERG EBOOK ...", and the line before it, "End of the
# Project Gutenberg EBook of ...", which is all old files have.
_END = re.compile(
    r"[ \t]*(?:\*+[ \t]*)?END[ \t]+OF[ \t]+(?:THE[ \t]+|THIS[ \t]+)?PROJECT[ \t]+GUTENBERG\b",
    re.IGNORECASE,
)
# The small print after the text, where no end marker comes first.
_LICENCE = re.compile(r"[ \t]*\*+[ \t]*START\b[ \t*]*THE[ \t]+SMALL[ \t]+PRINT\b", re.IGNORECASE)
_FIELD = re.compile(r"^(?P<key>[A-Za-z][A-Za-z ]{0,30}?)[ \t]*:[ \t]*(?P<value>.*)$")
_FIELDS = {
    "title": "title",
    "author": "author",
    "authors": "author",
    "editor": "editor",
    "release date": "date",
    "posting date": "posted",
}
_OLD_TITLE = re.compile(
    r"^\W*(?:the[ \t]+)?project[ \t]+gutenberg(?:'s|’s|[ \t]+e-?book[ \t]+of|[ \t]+e-?text[ \t]+of)"
    r"[ \t]+",
    re.IGNORECASE,
)
_CREDIT = re.compile(
    r"(?:produced|prepared|transcribed|digiti[sz]ed|scanned|e-?text[ \t]+prepared"
    r"|this[ \t]+(?:e-?text|e-?book|file)[ \t]+was[ \t]+(?:produced|prepared|made|created))\b",
    re.IGNORECASE,
)
_MONTHS = {
    name: number
    for number, names in enumerate(
        (
            ("january", "jan"),
            ("february", "feb"),
            ("march", "mar"),
            ("april", "apr"),
            ("may",),
            ("june", "jun"),
            ("july", "jul"),
            ("august", "aug"),
            ("september", "sep", "sept"),
            ("october", "oct"),
            ("november", "nov"),
            ("december", "dec"),
        ),
        start=1,
    )
    for name in names
}
_WRITTEN_DATE = re.compile(
    r"(?:\b(?P<day_first>\d{1,2})(?:st|nd|rd|th)?[ \t]+)?\b(?P<month>[A-Za-z]{3,9})\.?"
    r"(?:[ \t]+(?P<day>\d{1,2})(?:st|nd|rd|th)?\b)?,?[ \t]+(?P<year>\d{4})\b"
)
_ISO_DATE = re.compile(r"\b(\d{4})-(\d{2})(?:-(\d{2}))?\b")
_BLANK_LINE = re.compile(r"\n[ \t]*\n")


@dataclass(frozen=True)
class GutenbergText:
    """What a Project Gutenberg file holds besides its licence.

    Attributes:
        body: The reading text: what lies between the start and end markers, without
            the producers' credit that opens it.
        title: The book's title, if the header names it.
        author: Its author, if the header names one.
        date: Its release date (`YYYY-MM` or `YYYY-MM-DD`), if the header gives one.
    """

    body: str
    title: str | None = None
    author: str | None = None
    date: str | None = None


LICENCE_REACH = 12
"""How many blocks from either end of a book its licence header or footer may take."""


def text_between_markers(texts: Sequence[str]) -> tuple[int, int]:
    """Where a book's own text lies among its blocks (a Project Gutenberg EPUB's licence
    header and footer are blocks of it): (first, end) block indexes, end exclusive; the
    whole when it has no markers.
    """
    first, end = 0, len(texts)
    for index, text in enumerate(texts[:LICENCE_REACH]):
        if _START.search(text):
            first = index + 1
    for index in range(max(first, len(texts) - LICENCE_REACH), len(texts)):
        if _END.search(texts[index]):
            end = index
            break
    return (first, end) if first < end else (0, len(texts))


def read_gutenberg(text: str) -> GutenbergText | None:
    """Split a Project Gutenberg file into its reading text and metadata.

    Args:
        text: The whole file, decoded, with `\\n` line ends.

    Returns:
        The reading text and the header's title, author and date; None when the text
        has no Project Gutenberg start or end marker.
    """
    spans = _lines_with(text, _NAME)
    if not spans:
        return None
    lines = [(span, text[span[0] : span[1]]) for span in sorted(spans)]
    start = next((span for span, line in lines if _START.match(line)), None)
    if start is None:  # an old file, maybe: its text follows the small print
        spans |= _lines_with(text, _SMALL_PRINT)
        lines = [(span, text[span[0] : span[1]]) for span in sorted(spans)]
    first_end = next((span for span, line in lines if _END.match(line)), None)
    small_print = next((span for span, line in lines if _SMALL_PRINT_END.match(line)), None)
    if small_print and first_end and first_end < small_print:
        small_print = None  # the small print of a footer, after the text
    openings = [span for span in (start, small_print) if span]
    body_start = max((end for _, end in openings), default=0)
    # Without an opening marker, a licence that starts is the header's, not a footer.
    body_end = next(
        (
            begin
            for (begin, _), line in lines
            if begin >= body_start and (_END.match(line) or (openings and _LICENCE.match(line)))
        ),
        None,
    )
    if not openings and body_end is None:
        return None
    body_end = len(text) if body_end is None else body_end
    header = text[: min(begin for begin, _ in openings)] if openings else ""
    fields = _header_fields(header)
    title, author = fields.get("title"), fields.get("author") or fields.get("editor")
    if title is None:
        title, fallback_author = _title_line(header)
        author = author or fallback_author
    date = release_date(fields.get("date", "")) or release_date(fields.get("posted", ""))
    body = _without_credit(text[body_start:body_end], text[body_end:])
    return GutenbergText(body=body, title=title, author=author, date=date)


def _lines_with(text: str, words: tuple[str, ...]) -> set[tuple[int, int]]:
    """Where the lines are that hold any of these words: each line's start and end."""
    found: set[tuple[int, int]] = set()
    for word in words:
        at = text.find(word)
        while at >= 0:
            begin = text.rfind("\n", 0, at) + 1
            end = text.find("\n", at)
            found.add((begin, len(text) if end < 0 else end))
            at = text.find(word, at + len(word))
    return found


def _header_fields(header: str) -> dict[str, str]:
    """The `Key: value` fields of a header.

    A value goes on over indented lines: a title that wraps, or one author a line.
    """
    fields: dict[str, str] = {}
    key = None
    for line in header.split("\n"):
        if key and line[:1] in (" ", "\t") and line.strip():
            separator = ", " if key == "author" else " "
            fields[key] = f"{fields[key]}{separator}{line.strip()}"
            continue
        key = None
        match = _FIELD.match(line)
        if match:
            name = _FIELDS.get(" ".join(match.group("key").lower().split()))
            value = match.group("value").strip()
            if name and value and name not in fields:
                key = name
                fields[name] = value
    return {name: " ".join(value.split()) for name, value in fields.items()}


def _title_line(header: str) -> tuple[str | None, str | None]:
    """Title and author from an old header's "The Project Gutenberg EBook of X, by Y"."""
    for paragraph in _BLANK_LINE.split(header):
        match = _OLD_TITLE.match(paragraph.strip())
        if match:
            lines = paragraph.strip()[match.end() :].split("\n")
            line = lines[0]
            # The line may wrap; what follows it in old headers starts with `*`.
            for more in lines[1:]:
                if ", by " in line or not more[:1].isalnum():
                    break
                line = f"{line} {more}"
            line = " ".join(line.split()).strip(" *")
            title, by, author = line.rpartition(", by ")
            if not by:
                return line or None, None
            return title.strip() or None, author.strip() or None
    return None, None


def release_date(value: str) -> str | None:
    """A release date such as `April, 2001 [eBook #2600]` as `YYYY-MM` or `YYYY-MM-DD`."""
    value = value.split("[", 1)[0]
    iso = _ISO_DATE.search(value)
    if iso:
        day = iso.group(3)
        return _iso(int(iso.group(1)), int(iso.group(2)), int(day) if day else None)
    for match in _WRITTEN_DATE.finditer(value):
        month = _MONTHS.get(match.group("month").lower())
        if month is not None:
            day = match.group("day") or match.group("day_first")
            return _iso(int(match.group("year")), month, int(day) if day else None)
    return None


def _iso(year: int, month: int, day: int | None) -> str | None:
    try:
        datetime.date(year, month, day or 1)
    except ValueError:
        return None
    return f"{year:04d}-{month:02d}" + (f"-{day:02d}" if day else "")


def _without_credit(body: str, footer: str) -> str:
    """The body without the producers' credit that opens it ("Produced by ...").

    A credit is known by its wording, or by appearing again in the footer.
    """
    stripped = body.lstrip()
    first = _BLANK_LINE.split(stripped, 1)[0]
    words = " ".join(first.split())
    if not words or len(words) > 300:
        return body
    if _CREDIT.match(words) or words in {
        " ".join(paragraph.split()) for paragraph in _BLANK_LINE.split(footer)
    }:
        return stripped[len(first) :]
    return body
