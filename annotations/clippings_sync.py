"""Storing highlights made in other tools (`annotations.formats.clippings`) in the library.

Each book is imported as an article, each of its highlights annotated. Re-importing
never duplicates and never throws away what the reader did in reader: a highlight that
already has an annotation keeps it (its tags and note included); a note changed at the
source replaces the imported note only if the reader has not edited it, and is added
below the reader's note otherwise; a highlight whose annotation the reader removed is not
highlighted again. What was imported last is remembered per article in the library's
settings (`highlights:<article id>`).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from annotations import guard
from annotations.decoding import decode_lenient
from annotations.formats.clippings import (
    SNIFF_BYTES,
    Book,
    Highlight,
    HighlightsError,
    parse_highlights,
    sniff,
)
from annotations.models import HIGHLIGHT_COLORS, Annotation, ImportResult

if TYPE_CHECKING:
    from annotations.store import AnnotationStore

SETTING_PREFIX = "highlights:"
"""Settings name prefix of the record of what was imported into an article."""


def _text_key(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:20]


def _load_record(store: AnnotationStore, article_id: str) -> dict[str, dict[str, object]]:
    raw = store.get_setting(SETTING_PREFIX + article_id)
    try:
        record = json.loads(raw) if raw else {}
    except ValueError:
        return {}
    return record if isinstance(record, dict) else {}


def _merged_note(current: str, previous: str, incoming: str) -> str:
    """The note after a re-import: the reader's edits are kept, the source's news added."""
    if incoming == previous or not incoming:
        return current
    if current == previous:
        return incoming
    if incoming in current:
        return current
    return f"{current.rstrip()}\n\n{incoming}" if current.strip() else incoming


def _sync_block(
    store: AnnotationStore,
    annotation: Annotation,
    entry: dict[str, object] | None,
    highlight: Highlight,
) -> bool:
    """Bring the source's note and tags to an existing annotation; True if it changed."""
    previous_note = str(entry.get("note", "")) if entry else ""
    listed = entry.get("tags", []) if entry else []
    previous_tags = {str(tag).casefold() for tag in listed} if isinstance(listed, list) else set()
    changed = False
    note = _merged_note(annotation.note, previous_note, highlight.note)
    if note != annotation.note:
        store.set_note(annotation.id, note)
        changed = True
    have = {tag.casefold() for tag in annotation.tags}
    new = [t for t in highlight.tags if t.casefold() not in previous_tags | have]
    if new:
        store.set_tags(annotation.id, [*annotation.tags, *new])
        changed = True
    return changed


def _widen(
    store: AnnotationStore, annotation: Annotation, index: int, highlight: Highlight
) -> bool:
    """Stretch an imported annotation over its whole block; True if it changed.

    When a highlight grows in the source (Kindle writes the extended one as a new
    clipping), its block holds the longer text and the re-anchored annotation still
    covers only the old part of it. The longer text is what was highlighted, so no
    earlier text of it is kept (`Annotation.original`).
    """
    anchor = annotation.anchor
    whole = (index, 0), (index, len(highlight.text))
    if ((anchor.start_block, anchor.start_offset), (anchor.end_block, anchor.end_offset)) == whole:
        return False
    store.move_annotation(annotation.id, *whole, keep_history=False)
    return True


def _sync_annotations(store: AnnotationStore, article_id: str, book: Book) -> int:
    """Give each highlight of a stored book its annotation; returns how many changed."""
    record = _load_record(store, article_id)
    by_id = {entry.get("id"): entry for entry in record.values() if isinstance(entry, dict)}
    by_block: dict[int, list[Annotation]] = {}
    for annotation in store.list_annotations(article_id):
        if not annotation.orphaned:
            for block in range(annotation.anchor.start_block, annotation.anchor.end_block + 1):
                by_block.setdefault(block, []).append(annotation)
    new_record: dict[str, dict[str, object]] = {}
    seen: dict[str, int] = {}
    changes = 0
    for index, highlight in enumerate(book.highlights):
        key = _text_key(highlight.text)
        seen[key] = seen.get(key, 0) + 1
        key = f"{key}:{seen[key]}"
        present = by_block.get(index, [])
        ours = [a for a in present if a.id in by_id]
        entry = record.get(key)
        if not present:
            if entry is not None:
                new_record[key] = entry  # imported before, removed by the reader since
                continue
            annotation = store.add_highlight(
                article_id,
                (index, 0),
                (index, len(highlight.text)),
                color=highlight.color or HIGHLIGHT_COLORS[0],
                tags=highlight.tags,
                note=highlight.note,
            )
            changes += 1
        else:
            annotation = ours[0] if ours else present[0]
            entry = by_id.get(annotation.id) if ours else entry
            if ours:
                changes += _widen(store, annotation, index, highlight)
            changes += _sync_block(store, annotation, entry, highlight)
        new_record[key] = {"id": annotation.id, "note": highlight.note, "tags": [*highlight.tags]}
    store.set_setting(SETTING_PREFIX + article_id, json.dumps(new_record, ensure_ascii=False))
    return changes


def import_books(store: AnnotationStore, books: Iterable[Book]) -> list[ImportResult]:
    """Store books of highlights, one transaction per book.

    Args:
        store: The library.
        books: Parsed books (see `parse_kindle`, `parse_readwise`).

    Returns:
        One result per book; `updated` also when only notes or tags changed.
    """
    results = []
    for book in books:
        with store.transaction():
            result = store.import_document(book.document())
            changes = _sync_annotations(store, result.article.id, book)
            article = store.get_article(result.article.id)
        status = "updated" if changes and result.status == "unchanged" else result.status
        results.append(replace(result, status=status, article=article))
    return results


def import_highlights(
    store: AnnotationStore, path: Path, kind: str | None = None
) -> list[ImportResult]:
    """Import a Kindle `My Clippings.txt` or a Readwise CSV file.

    Args:
        store: The library.
        path: The file.
        kind: `KINDLE` or `READWISE`; recognised with `sniff` when not given.

    Returns:
        One result per book in the file.

    Raises:
        HighlightsError: With a one-line reason when the file cannot be imported.
    """
    if guard.is_open_library(path):
        raise HighlightsError("is the library file itself, not a highlights file")
    try:
        data = path.read_bytes()
    except OSError as error:
        raise HighlightsError(f"cannot read: {error.strerror or error}") from None
    kind = kind or sniff(path, data[:SNIFF_BYTES])
    if kind is None:
        raise HighlightsError("not a Kindle clippings file or a Readwise CSV")
    return import_books(store, parse_highlights(kind, decode_lenient(data)))
