"""Records for other programs and for backups: JSON (restorable), Readwise CSV, W3C JSON-LD.

Each format is given articles with their text and annotations, and gives pieces of one
document to write one after the other (`annotations.export` reads them from the library).
The JSON export is lossless and versioned; `annotations.formats.backup` reads one back
and `annotations.restore` merges it into a library. CSV has Readwise's import columns.
W3C is the Web Annotation Data Model in JSON-LD, whose `TextPositionSelector` offsets
count characters in the article's whole text: its blocks joined by
`annotations.anchoring.BLOCK_SEPARATOR` (a blank line, `"\\n\\n"`).

Each format names the chapter of an annotation (see `annotations.models.chapter_title`),
found in the article's contents: the JSON record's `chapter`, CSV's Location after the
paragraph number, W3C's `label` of the target.
"""

from __future__ import annotations

import csv
import io
import json
import uuid
from collections.abc import Iterable, Iterator, Sequence
from datetime import datetime
from pathlib import PurePosixPath, PureWindowsPath

from annotations.anchoring import BLOCK_SEPARATOR, TextMap
from annotations.formats.markdown import tag_hashtag
from annotations.models import (
    Annotation,
    Article,
    Block,
    ChapterIndex,
    ContentsEntry,
    anchor_record,
    format_timestamp,
)
from annotations.text import normalize_newlines

FORMAT_NAME = "reader-annotations"
"""The `format` field of a JSON export."""

FORMAT_VERSION = 1
"""The version of the JSON export written; `restore` reads this version and older."""

CSV_COLUMNS = ("Highlight", "Title", "Author", "URL", "Note", "Location", "Date")
"""Readwise's CSV import columns, in order."""

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
"""What a spreadsheet reads as the start of a formula when a cell begins with it."""

W3C_CONTEXT = "http://www.w3.org/ns/anno.jsonld"
"""The JSON-LD context of the Web Annotation Data Model."""

Item = tuple[Article, Sequence[Block], Sequence[Annotation], Sequence[ContentsEntry]]
"""An article, its blocks, its annotations in text order (`text_order`) and its contents
(`AnnotationStore.get_contents`: its own, else its headings; empty when it has none)."""


def export_order(articles: Iterable[Article]) -> list[Article]:
    """Articles oldest first (by import time, then id): the same order in every library."""
    return sorted(articles, key=lambda article: (article.created_at, article.id))


def text_order(annotations: Iterable[Annotation]) -> list[Annotation]:
    """An article's annotations in text order, ties broken by id so the order is stable."""
    return sorted(
        annotations,
        key=lambda n: (
            n.anchor.start_block,
            n.anchor.start_offset,
            n.anchor.end_block,
            n.anchor.end_offset,
            n.id,
        ),
    )


def annotation_chapter(chapters: ChapterIndex, annotation: Annotation) -> str | None:
    """The chapter an annotation starts in, as one line; None if it is before the first
    entry of the contents, in an article without `chapters`, or orphaned (no longer
    found in the text, so in no chapter)."""
    if annotation.orphaned or not chapters:
        return None
    return chapters.title(annotation.anchor.start_block)


# JSON -------------------------------------------------------------------------------------------


def annotation_record(annotation: Annotation, chapter: str | None = None) -> dict[str, object]:
    """One annotation as a JSON object of the export.

    Its `anchor.exact` is the passage's text now; `original` is the text it was made
    on when that has changed since (a re-import placed it on edited text), else "";
    `anchored_at` is when it was last placed again in a changed text, else null.

    Args:
        annotation: The annotation.
        chapter: Its `annotation_chapter` (written for readers of the file; a restore
            finds it again from the article's contents).
    """
    return {
        "id": annotation.id,
        "anchor": anchor_record(annotation.anchor),
        "chapter": chapter,
        "color": annotation.color,
        "note": annotation.note,
        "tags": list(annotation.tags),
        "orphaned": annotation.orphaned,
        "created_at": annotation.created_at,
        "updated_at": annotation.updated_at,
        "original": annotation.original if annotation.changed else "",
        "anchored_at": annotation.anchored_at or None,
    }


def contents_record(contents: Sequence[ContentsEntry]) -> list[dict[str, object]]:
    """An article's contents as JSON objects: `title`, `block` (0-based) and `level`."""
    return [
        {"title": entry.title, "block": entry.block, "level": entry.level} for entry in contents
    ]


def article_record(
    article: Article,
    blocks: Sequence[Block],
    annotations: Sequence[Annotation],
    contents: Sequence[ContentsEntry] = (),
) -> dict[str, object]:
    """One article, with its contents, text and annotations, as a JSON object of the export.

    `contents` is the article's table of contents as the reader shows it (its own, or
    its headings), so the file says where each chapter starts without reading the
    blocks; a restore keeps only a book's own (`annotations.formats.backup`).
    """
    chapters = ChapterIndex(contents)
    return {
        "id": article.id,
        "title": article.title,
        "source": article.source,
        "date": article.date,
        "author": article.author,
        "tags": list(article.tags),
        "format": article.format,
        "position": article.position,
        "opened_at": article.opened_at,
        "created_at": article.created_at,
        "updated_at": article.updated_at,
        "content_hash": article.content_hash,
        "archived_at": article.archived_at,
        "edited": list(article.edited),
        "contents": contents_record(contents),
        "blocks": [
            {"kind": str(block.kind), "level": block.level, "text": block.text} for block in blocks
        ],
        "annotations": [
            annotation_record(annotation, annotation_chapter(chapters, annotation))
            for annotation in annotations
        ],
    }


def _indented(value: object, depth: int) -> str:
    """JSON of a value indented by 2 spaces a level, as if `depth` levels deep in a document."""
    text = json.dumps(value, ensure_ascii=False, indent=2)
    # JSON strings never hold a raw line break, so each line can simply be shifted.
    return text.replace("\n", "\n" + "  " * depth)


def json_pieces(items: Iterable[Item], exported: datetime) -> Iterator[str]:
    """The JSON export of articles, as pieces of text to write one after the other.

    Each item is let go once its piece is made, so a stream of them is never held in
    memory at once.

    Args:
        items: The articles to export (all of them for a full backup), in `export_order`.
        exported: The export time, written in the `exported` field.

    Yields:
        Consecutive pieces of one JSON document, indented like `json.dumps(indent=2)`.
    """
    head = {
        "format": FORMAT_NAME,
        "version": FORMAT_VERSION,
        "exported": format_timestamp(exported),
    }
    yield _indented(head, 0)[:-2] + ',\n  "articles": ['
    written = 0
    for item in items:
        record = article_record(*item)
        yield ("," if written else "") + "\n    " + _indented(record, 2)
        written += 1
    yield ("\n  ]" if written else "]") + "\n}\n"


# CSV (Readwise) ---------------------------------------------------------------------------------


def readwise_date(timestamp: str) -> str:
    """A stored timestamp as Readwise reads dates: `YYYY-MM-DD HH:MM:SS` (UTC)."""
    return timestamp[:19].replace("T", " ")


def web_url(source: str) -> str:
    """The source if it is an http(s) URL, else an empty string."""
    return source if source.lower().startswith(("http://", "https://")) else ""


def readwise_note(annotation: Annotation) -> str:
    """The note, after the tags in Readwise's inline tag syntax: `.tag1 .tag2` on the first line.

    Readwise turns a note that starts with `.word` into a tag; tags with spaces or
    symbols are spelled as in the Markdown export (`civic life` becomes `.civic-life`).
    """
    tags = " ".join("." + tag_hashtag(tag)[1:] for tag in annotation.tags)
    note = normalize_newlines(annotation.note).strip()
    return "\n".join(part for part in (tags, note) if part)


def csv_location(annotation: Annotation, chapter: str | None) -> str:
    """Where a passage is, for CSV's Location: the 1-based number of the paragraph where
    it starts, then its chapter if it is in one (`1234 · BOOK ONE › CHAPTER I`).

    The number comes first, so what reads Location as a number (sorting highlights by
    it, as Readwise does, or `annotations.formats.clippings`) still finds it. Empty for
    a passage no longer found in the text (its quote is still exported).
    """
    if annotation.orphaned:
        return ""
    number = str(annotation.anchor.start_block + 1)
    return f"{number} · {chapter}" if chapter else number


def csv_rows(
    article: Article, annotations: Sequence[Annotation], contents: Sequence[ContentsEntry] = ()
) -> Iterator[list[str]]:
    """The CSV rows of an article's annotations, in `CSV_COLUMNS` order (see `csv_location`)."""
    chapters = ChapterIndex(contents)
    for annotation in annotations:
        location = csv_location(annotation, annotation_chapter(chapters, annotation))
        yield [
            annotation.anchor.exact,
            article.title,
            article.author or "",
            web_url(article.source),
            readwise_note(annotation),
            location,
            readwise_date(annotation.created_at),
        ]


def neutralise_cell(value: str) -> str:
    """A cell a spreadsheet shows as text, never runs as a formula.

    A cell that starts with `=`, `+`, `-`, `@`, a tab or a carriage return gets a `'`
    in front (OWASP's advice against CSV injection): a passage quoted from a web page
    such as `=HYPERLINK("http://...")` would otherwise run when the file is opened in
    Excel, LibreOffice or Google Sheets. Other cells are kept as they are.
    """
    return "'" + value if value.startswith(FORMULA_STARTS) else value


def csv_pieces(
    items: Iterable[tuple[Article, Sequence[Annotation], Sequence[ContentsEntry]]],
    *,
    neutralise: bool = True,
) -> Iterator[str]:
    """The Readwise CSV of articles' annotations, as pieces of text.

    UTF-8 without a byte order mark, CRLF line ends, fields quoted where needed (a note's
    line breaks stay inside its quoted field).

    Args:
        items: The articles, in `export_order`, each with its annotations in text order
            and its contents.
        neutralise: Put a `'` before each cell a spreadsheet would read as a formula
            (see `neutralise_cell`); False writes every cell exactly as stored.
    """
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for article, listed, contents in items:
        rows = csv_rows(article, listed, contents)
        if neutralise:
            rows = ([neutralise_cell(cell) for cell in row] for row in rows)
        writer.writerows(rows)
        yield buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
    yield buffer.getvalue()


# W3C Web Annotation ----------------------------------------------------------------------------


def source_iri(article: Article) -> str:
    """An IRI for the article: its URL, a `file://` URI for an absolute path, else its urn:uuid."""
    source = article.source
    if web_url(source):
        return source
    for flavour in (PurePosixPath, PureWindowsPath):
        path = flavour(source)
        if source and path.is_absolute():
            return path.as_uri()
    return f"urn:uuid:{article.id}"


def w3c_annotation(
    article: Article,
    text: TextMap,
    annotation: Annotation,
    source: str,
    chapter: str | None = None,
) -> dict[str, object]:
    """One annotation in the Web Annotation Data Model.

    The chapter is the `label` of the target: the target is the passage (a
    SpecificResource of the article), and `label` (`rdfs:label`, in the model's context)
    is the human-readable name the model gives any resource; the model has no selector
    for a book's chapter, and the selectors already place the passage exactly.

    Args:
        article: Its article.
        text: The article's text (for the position selector).
        annotation: The annotation.
        source: The article's IRI (see `source_iri`).
        chapter: Its `annotation_chapter`, if any.

    Returns:
        The annotation as a JSON-LD object (without `@context`).
    """
    anchor = annotation.anchor
    selectors: list[dict[str, object]] = [
        {
            "type": "TextQuoteSelector",
            "exact": anchor.exact,
            "prefix": anchor.prefix,
            "suffix": anchor.suffix,
        }
    ]
    if not annotation.orphaned and anchor.end_block < len(text.texts):
        selectors.append(
            {
                "type": "TextPositionSelector",
                "start": text.to_global(anchor.start_block, anchor.start_offset),
                "end": text.to_global(anchor.end_block, anchor.end_offset),
            }
        )
    bodies: list[dict[str, object]] = []
    if annotation.note.strip():
        bodies.append(
            {
                "type": "TextualBody",
                "purpose": "commenting",
                "value": annotation.note,
                "format": "text/plain",
            }
        )
    bodies += [
        {"type": "TextualBody", "purpose": "tagging", "value": tag} for tag in annotation.tags
    ]
    record: dict[str, object] = {
        "id": f"urn:uuid:{annotation.id}",
        "type": "Annotation",
        "motivation": "commenting" if annotation.note.strip() else "highlighting",
        "created": annotation.created_at,
        "modified": annotation.updated_at,
    }
    if bodies:
        record["body"] = bodies
    style = f"reader-{annotation.color}"
    record["stylesheet"] = {
        "type": "CssStylesheet",
        "value": f".{style} {{ background-color: {annotation.color}; }}",
    }
    target: dict[str, object] = {"source": source, "styleClass": style, "selector": selectors}
    if chapter:
        target["label"] = chapter
    record["target"] = target
    return record


def w3c_pieces(items: Iterable[Item], total: int, exported: datetime) -> Iterator[str]:
    """The W3C export: one AnnotationCollection whose single AnnotationPage holds every annotation.

    The result is one JSON document, given in pieces, an article at a time.

    Args:
        items: The articles whose annotations to export, in `export_order` (those
            without annotations may be left out).
        total: How many annotations they hold (the collection's `total`).
        exported: The export time (the collection's `generated`).

    Yields:
        Consecutive pieces of one JSON-LD document.
    """
    head = {
        "@context": W3C_CONTEXT,
        "id": f"urn:uuid:{uuid.uuid4()}",
        "type": "AnnotationCollection",
        "label": "Annotations exported from reader",
        "generated": format_timestamp(exported),
        "total": total,
    }
    page = {"id": f"urn:uuid:{uuid.uuid4()}", "type": "AnnotationPage", "startIndex": 0}
    yield _indented(head, 0)[:-2] + ',\n  "first": ' + _indented(page, 1)[:-4] + ',\n    "items": ['
    written = 0
    for article, blocks, listed, contents in items:
        if not listed:
            continue
        text = TextMap([block.text for block in blocks])
        source = source_iri(article)
        chapters = ChapterIndex(contents)
        for annotation in listed:
            chapter = annotation_chapter(chapters, annotation)
            record = w3c_annotation(article, text, annotation, source, chapter)
            yield ("," if written else "") + "\n      " + _indented(record, 3)
            written += 1
    yield ("\n    ]" if written else "]") + "\n  }\n}\n"


__all__ = [
    "BLOCK_SEPARATOR",
    "CSV_COLUMNS",
    "FORMAT_NAME",
    "FORMAT_VERSION",
    "FORMULA_STARTS",
    "W3C_CONTEXT",
    "Item",
    "annotation_chapter",
    "annotation_record",
    "article_record",
    "contents_record",
    "csv_location",
    "csv_pieces",
    "export_order",
    "json_pieces",
    "neutralise_cell",
    "text_order",
    "w3c_pieces",
]
