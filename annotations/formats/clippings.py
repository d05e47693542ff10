"""Parsing highlights made in other tools: Kindle's `My Clippings.txt` and Readwise CSV.

Each book becomes one article (format `kindle` or `readwise`) with one paragraph per
highlight, in location order, and one annotation covering each paragraph, carrying the
highlight's note, tags and colour (stored by `annotations.clippings_sync`). The article's
source is stable (`kindle:Title (Author)`, `readwise:Title (Author)` or `readwise:URL`),
so importing a later, longer export of the same tool updates the article instead of
adding a second one.

A Kindle note is attached to the highlight whose location range contains (usually ends at)
the note's location. A note without such a highlight becomes a paragraph of its own, in
location order, annotated with the note as its note, so it is read in place, listed with
the annotations, found by search and exported.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from annotations.decoding import decode_lenient
from annotations.errors import BadInputError
from annotations.models import HIGHLIGHT_COLORS, Block, BlockKind, Document
from annotations.text import normalize_newlines

KINDLE = "kindle"
"""Kind of a Kindle `My Clippings.txt` file."""
READWISE = "readwise"
"""Kind of a Readwise CSV file (its export, or its import columns)."""
SNIFF_BYTES = 8192
"""How many bytes from the start of a file `sniff` needs."""

COLOR_NAMES = {
    "yellow": "yellow",
    "orange": "yellow",
    "green": "green",
    "blue": "blue",
    "pink": "pink",
    "red": "pink",
    "purple": "pink",
    "violet": "pink",
}
"""Other tools' highlight colours mapped to ours (`HIGHLIGHT_COLORS`)."""

_SEPARATOR = re.compile(r"^\s*={8,}\s*$", re.MULTILINE)
_CLIPPINGS_NAME = re.compile(r"^my clippings.*\.txt$", re.IGNORECASE)
_RANGE = re.compile(r"(\d+)(?:\s*[-–]\s*(\d+))?")
_LOCATION_WORD = re.compile(
    r"\b(?:loc\.|location|locations|position|posici[oó]n|emplacement|locatie|posizione"
    r"|posi[cç][aã]o|позиция|позиции)(?:\W|$)|位置",
    re.IGNORECASE,
)
_PAGE_WORD = re.compile(
    r"\b(?:page|seite|p[aá]gina|pagina|pag\.|s\.|страница|стр\.)(?:\W|$)|ページ|页",
    re.IGNORECASE,
)
_BOOKMARK_WORDS = ("bookmark", "lesezeichen", "marcador", "signet", "bladwijzer", "segnalibro")
_NOTE_WORD = re.compile(r"\b(?:note|notiz|nota|notitie|заметка)\b|メモ|笔记", re.IGNORECASE)
_ENGLISH_DATE = re.compile(
    r"(?:[A-Za-z]+,\s*)?(?:(?P<month>[A-Za-z]+)\s+(?P<day>\d{1,2})"
    r"|(?P<day2>\d{1,2})\s+(?P<month2>[A-Za-z]+)),?\s+(?P<year>\d{4}),?\s+"
    r"(?P<hour>\d{1,2}):(?P<minute>\d{2})(?::(?P<second>\d{2}))?\s*(?P<ampm>[AaPp][Mm])?"
)
_MONTHS = {
    "january": 1,
    "february": 2,
    "march": 3,
    "april": 4,
    "may": 5,
    "june": 6,
    "july": 7,
    "august": 8,
    "september": 9,
    "october": 10,
    "november": 11,
    "december": 12,
}
_CLIPPING_LIMIT = re.compile(r"^<.*clipping limit.*>$", re.IGNORECASE)
_INLINE_TAG = re.compile(r"^\.([^\s.][^\s]*)(?:\s+|$)")


class HighlightsError(BadInputError):
    """A highlights file that cannot be imported; the message is one line for the user."""


@dataclass(frozen=True)
class Highlight:
    """One highlighted passage of a book, with what the reader wrote about it.

    Attributes:
        text: The passage.
        note: The note on it (may be empty).
        tags: Tags on it.
        color: One of `HIGHLIGHT_COLORS`, or None for the default.
        location: Kindle location range (start, end), if known.
        page: Page range (start, end), if known.
        added: When it was made, ISO 8601 local time, if the file says so readably.
        heading: Heading level (1-6) when the highlight is a heading, else 0.
    """

    text: str
    note: str = ""
    tags: tuple[str, ...] = ()
    color: str | None = None
    location: tuple[int, int] | None = None
    page: tuple[int, int] | None = None
    added: str | None = None
    heading: int = 0


@dataclass(frozen=True)
class Book:
    """The highlights of one book or article, ready to be stored as an article.

    Attributes:
        title: The book's title.
        author: Its author, if known.
        source: The stable source the article is stored under.
        format: `kindle` or `readwise`.
        highlights: The highlights in reading order.
        tags: Tags of the book itself.
    """

    title: str
    author: str | None
    source: str
    format: str
    highlights: tuple[Highlight, ...]
    tags: tuple[str, ...] = ()

    def document(self) -> Document:
        """The book as a document: one block per highlight."""
        blocks = tuple(
            Block(BlockKind.HEADING, h.text, h.heading)
            if h.heading
            else Block(BlockKind.PARAGRAPH, h.text)
            for h in self.highlights
        )
        return Document(
            title=self.title,
            blocks=blocks,
            source=self.source,
            author=self.author,
            tags=self.tags,
            format=self.format,
        )


# Reading and recognising files ------------------------------------------------------


def _header(text: str) -> list[str]:
    first = text.lstrip("\ufeff").split("\n", 1)[0]
    try:
        row = next(csv.reader([first.rstrip("\r")]), [])
    except csv.Error:
        return []
    return [name.strip().casefold() for name in row]


def _is_highlights_header(names: Sequence[str]) -> bool:
    return "highlight" in names and ("book title" in names or "title" in names)


def _looks_like_clippings(text: str) -> bool:
    text = normalize_newlines(text.lstrip("\ufeff"), keep_lone_cr=True)
    first, _, _ = text.partition("==========")
    lines = first.strip("\n").split("\n")
    return (
        "==========" in text
        and len(lines) >= 2
        and bool(lines[0].strip())
        and lines[1].lstrip().startswith("- ")
    )


def sniff(path: Path, head: bytes) -> str | None:
    """Which highlights file a file is, from its name and its first bytes.

    Args:
        path: The file's path (only its name is looked at).
        head: The file's first bytes (`SNIFF_BYTES` are enough).

    Returns:
        `KINDLE`, `READWISE`, or None when it is not a highlights file.
    """
    suffix = path.suffix.lower()
    if suffix == ".csv":
        return READWISE if _is_highlights_header(_header(decode_lenient(head))) else None
    if _CLIPPINGS_NAME.match(path.name):
        return KINDLE
    if suffix in ("", ".txt") and _looks_like_clippings(decode_lenient(head)):
        return KINDLE
    return None


# Kindle ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Clipping:
    title: str
    author: str | None
    kind: str
    text: str
    location: tuple[int, int] | None
    page: tuple[int, int] | None
    added: str | None
    order: int


def _number_range(text: str) -> tuple[int, int] | None:
    """`123-130`, `123-30` (Kindle's short form of 123-130) or `130` as (start, end)."""
    match = _RANGE.search(text)
    if not match:
        return None
    start_text, end_text = match.group(1), match.group(2)
    start = int(start_text)
    if end_text is None:
        return (start, start)
    end = int(end_text)
    if end < start and len(end_text) < len(start_text):
        end = int(start_text[: len(start_text) - len(end_text)] + end_text)
    return (start, max(start, end))


def parse_kindle_date(text: str) -> str | None:
    """An English Kindle date (`Monday, March 4, 2024 10:15:00 PM`) as ISO 8601, else None."""
    match = _ENGLISH_DATE.search(text)
    if not match:
        return None
    month = _MONTHS.get((match["month"] or match["month2"] or "").lower())
    if month is None:
        return None
    hour = int(match["hour"])
    if match["ampm"]:
        hour = hour % 12 + (12 if match["ampm"].lower() == "pm" else 0)
    try:
        moment = datetime(
            int(match["year"]),
            month,
            int(match["day"] or match["day2"]),
            hour,
            int(match["minute"]),
            int(match["second"] or 0),
        )
    except ValueError:
        return None
    return moment.isoformat()


def _clipping_kind(first_part: str) -> str:
    lowered = first_part.casefold()
    if any(word in lowered for word in _BOOKMARK_WORDS) or "закладка" in lowered:
        return "bookmark"
    if _NOTE_WORD.search(first_part):
        return "note"
    return "highlight"


def _parse_meta(
    line: str,
) -> tuple[str, tuple[int, int] | None, tuple[int, int] | None, str | None]:
    """Kind, location, page and date from a clipping's `- Your Highlight ...` line."""
    parts = [part.strip() for part in line.lstrip("- ").split("|")]
    kind = _clipping_kind(parts[0])
    location = page = added = None
    for number, part in enumerate(parts):
        words = _LOCATION_WORD.search(part)
        if words:
            location = location or _number_range(part[words.start() :])
            continue
        words = _PAGE_WORD.search(part)
        if words:
            page = page or _number_range(part[words.start() :])
            continue
        if number > 0:
            added = added or parse_kindle_date(part)
    return kind, location, page, added


def _title_and_author(line: str) -> tuple[str, str | None]:
    """Split `Title (Author)`: the last parenthesised group is the author."""
    line = " ".join(line.replace("\ufeff", "").split())
    match = re.match(r"^(.*?)\s*\(([^()]*)\)$", line)
    if match and match.group(1).strip() and match.group(2).strip():
        return match.group(1).strip(), match.group(2).strip()
    return line or "Untitled", None


def _kindle_clippings(text: str) -> list[_Clipping]:
    text = normalize_newlines(text.replace("\ufeff", ""))
    clippings = []
    for order, chunk in enumerate(_SEPARATOR.split(text)):
        lines = chunk.strip("\n").split("\n")
        while lines and not lines[0].strip():
            lines.pop(0)
        if len(lines) < 2 or not lines[1].lstrip().startswith("-"):
            continue
        title, author = _title_and_author(lines[0])
        kind, location, page, added = _parse_meta(lines[1].strip())
        body = "\n".join(lines[2:]).strip()
        if kind == "bookmark" or _CLIPPING_LIMIT.match(body):
            continue
        if kind == "highlight":
            body = " ".join(body.split())
        clippings.append(_Clipping(title, author, kind, body, location, page, added, order))
    return clippings


def _overlaps(a: _Clipping, b: _Clipping) -> bool:
    for first, second in ((a.location, b.location), (a.page, b.page)):
        if first is not None and second is not None:
            return first[0] <= second[1] and second[0] <= first[1]
    return a.location is None and b.location is None


def _latest_versions(clippings: list[_Clipping]) -> list[_Clipping]:
    """Drop clippings that a later one of the same place extends, shortens or repeats.

    Kindle keeps the old entry when a highlight or note is changed and writes the new
    version after it: of overlapping clippings whose texts contain one another, only the
    latest is kept.
    """
    kept: list[_Clipping] = []
    for clip in clippings:
        kept = [
            old
            for old in kept
            if not (_overlaps(old, clip) and (old.text in clip.text or clip.text in old.text))
        ]
        kept.append(clip)
    return kept


def _note_target(note: _Clipping, highlights: list[_Clipping]) -> int | None:
    """Index of the highlight a note belongs to: the one ending at, or containing, its place."""
    best: tuple[int, int, int] | None = None
    found = None
    for index, highlight in enumerate(highlights):
        if note.location is not None and highlight.location is not None:
            where = note.location[0]
            start, end = highlight.location
            if not start <= where <= end:
                continue
            score = 2 if end == where else 1
        elif note.location is None and note.page is not None and highlight.page is not None:
            if not highlight.page[0] <= note.page[0] <= highlight.page[1]:
                continue
            score = 1
        else:
            continue
        # Among equals, the latest highlight made before the note wins.
        before = 1 if highlight.order < note.order else 0
        candidate = (score, before, highlight.order)
        if best is None or candidate > best:
            best, found = candidate, index
    return found


def _kindle_book(title: str, author: str | None, clippings: list[_Clipping]) -> Book | None:
    highlights = _latest_versions([c for c in clippings if c.kind == "highlight" and c.text])
    notes = _latest_versions([c for c in clippings if c.kind == "note" and c.text])
    attached: dict[int, list[str]] = {}
    entries: list[tuple[_Clipping, Highlight]] = []
    for note in notes:
        target = _note_target(note, highlights)
        if target is None:
            text = " ".join(note.text.split())
            entries.append(
                (note, Highlight(text, note.text, (), None, note.location, note.page, note.added))
            )
        else:
            attached.setdefault(target, []).append(note.text)
    for index, clip in enumerate(highlights):
        notes_text = "\n\n".join(attached.get(index, []))
        entries.append(
            (clip, Highlight(clip.text, notes_text, (), None, clip.location, clip.page, clip.added))
        )
    if not entries:
        return None
    if all(clip.location is not None for clip, _ in entries):
        entries.sort(key=lambda entry: (entry[0].location, entry[0].order))
    elif all(clip.page is not None for clip, _ in entries):
        entries.sort(key=lambda entry: (entry[0].page, entry[0].order))
    else:
        entries.sort(key=lambda entry: entry[0].order)
    source = f"kindle:{title} ({author})" if author else f"kindle:{title}"
    return Book(title, author, source, KINDLE, tuple(h for _, h in entries))


def parse_kindle(text: str) -> list[Book]:
    """Parse a Kindle `My Clippings.txt` into books with their highlights and notes.

    Bookmarks are skipped; when Kindle kept several versions of a changed highlight or
    note, only the latest is kept; notes are attached to their highlights.

    Raises:
        HighlightsError: When the file holds no highlight or note.
    """
    by_book: dict[tuple[str, str | None], list[_Clipping]] = {}
    for clip in _kindle_clippings(text):
        by_book.setdefault((clip.title, clip.author), []).append(clip)
    books = [_kindle_book(title, author, clips) for (title, author), clips in by_book.items()]
    found = [book for book in books if book is not None]
    if not found:
        raise HighlightsError("no Kindle highlights or notes found in the file")
    return found


# Readwise ---------------------------------------------------------------------------


def _split_list(text: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in text.split(",") if part.strip())


def _inline_tags(note: str) -> tuple[str, tuple[str, ...], int]:
    """Readwise's `.tag` words at the start of a note: (rest of the note, tags, heading level).

    `.h1` to `.h6` make the highlight a heading; `.c1`, `.c2`... (Readwise's joining of
    highlights) are dropped.
    """
    tags: list[str] = []
    heading = 0
    rest = note.strip()
    while match := _INLINE_TAG.match(rest):
        word = match.group(1)
        if re.fullmatch(r"[hH][1-6]", word):
            heading = int(word[1])
        elif not re.fullmatch(r"[cC]\d+", word):
            tags.append(word)
        rest = rest[match.end() :]
    return rest, tuple(tags), heading


def _readwise_color(name: str) -> str | None:
    color = COLOR_NAMES.get(name.strip().casefold())
    return color if color in HIGHLIGHT_COLORS else None


def _location(text: str) -> int | None:
    match = re.match(r"^\s*(\d+)", text or "")
    return int(match.group(1)) if match else None


def _rows(text: str) -> tuple[list[str], list[dict[str, str]]]:
    reader = csv.reader(io.StringIO(text.lstrip("\ufeff"), newline=""), strict=True)
    try:
        header = [name.strip().casefold() for name in next(reader, [])]
        if not _is_highlights_header(header):
            raise HighlightsError("not a highlights CSV (no Highlight and Title columns)")
        rows = []
        for row in reader:
            if not any(cell.strip() for cell in row):
                continue
            if len(row) > len(header):
                raise HighlightsError(
                    f"malformed CSV: line {reader.line_num} has {len(row)} fields, "
                    f"the header {len(header)}"
                )
            rows.append(dict(zip(header, row, strict=False)))
    except csv.Error as error:
        raise HighlightsError(f"malformed CSV: line {reader.line_num}: {error}") from None
    return header, rows


def parse_readwise(text: str) -> list[Book]:
    """Parse a Readwise CSV (its export, or its import columns) into books.

    Rows are grouped by title, author and URL; each book's highlights are ordered by
    their location (file order where there is none).

    Raises:
        HighlightsError: When the CSV is malformed or holds no highlight.
    """
    _, rows = _rows(text)
    grouped: dict[tuple[str, str, str], list[tuple[int | None, int, Highlight]]] = {}
    book_tags: dict[tuple[str, str, str], list[str]] = {}
    for order, row in enumerate(rows):
        passage = " ".join(row.get("highlight", "").split())
        if not passage:
            continue
        title = " ".join((row.get("book title") or row.get("title") or "").split())
        author = " ".join((row.get("book author") or row.get("author") or "").split())
        url = (row.get("url") or "").strip()
        note, inline, heading = _inline_tags(row.get("note", ""))
        location = _location(row.get("location", ""))
        highlight = Highlight(
            text=passage,
            note=note,
            tags=(*_split_list(row.get("tags", "")), *inline),
            color=_readwise_color(row.get("color", "")),
            location=None if location is None else (location, location),
            added=(row.get("highlighted at") or row.get("date") or "").strip() or None,
            heading=heading,
        )
        key = (title or "Untitled", author, url)
        grouped.setdefault(key, []).append((location, order, highlight))
        book_tags.setdefault(key, []).extend(_split_list(row.get("document tags", "")))
    if not grouped:
        raise HighlightsError("no highlights found in the CSV")
    books = []
    for (title, author, url), entries in grouped.items():
        if all(location is not None for location, _, _ in entries):
            entries.sort(key=lambda entry: (entry[0], entry[1]))
        if url:
            source = f"readwise:{url}"
        else:
            source = f"readwise:{title} ({author})" if author else f"readwise:{title}"
        tags = tuple(dict.fromkeys(book_tags[(title, author, url)]))
        highlights = tuple(highlight for _, _, highlight in entries)
        books.append(Book(title, author or None, source, READWISE, highlights, tags))
    return books


def parse_highlights(kind: str, text: str) -> list[Book]:
    """Parse a highlights file's text of the given kind (`KINDLE` or `READWISE`)."""
    if kind == KINDLE:
        return parse_kindle(text)
    if kind == READWISE:
        return parse_readwise(text)
    raise ValueError(f"unknown highlights file kind {kind!r}")
