"""Restoring a checked JSON export into a library: merging it, article by article.

The export is read and checked whole first (`annotations.formats.backup.read_backup`).
Merging never deletes anything and is idempotent: restoring a file twice does what
restoring it once did. Where the file and the library both have an article or an
annotation, the version changed last (`updated_at`) wins; on a tie the library's stays.
An annotation never moves from one article to another (see `rekeyed_id`).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, replace

from annotations.anchoring import TextMap, reanchor
from annotations.formats.backup import Backup, BackupArticle, RestoreError
from annotations.models import Anchor, Annotation, Article, format_timestamp, kept_original
from annotations.store import AnnotationStore


@dataclass
class RestoreSummary:
    """What a restore did."""

    articles_added: int = 0
    articles_merged: int = 0
    articles_updated: int = 0
    articles_unchanged: int = 0
    annotations_added: int = 0
    annotations_updated: int = 0
    annotations_unchanged: int = 0
    orphaned: int = 0
    rekeyed: int = 0

    def line(self) -> str:
        """One line, e.g. `restored: articles added 2, updated 0, unchanged 1; annotations ...`.

        Shown only when there are some: articles whose text was already in the
        library under another id, as `merged` (their annotations went to that
        article); annotations that could not be placed in the text, as `orphaned`;
        annotations restored under a new id because the library has theirs on
        another article, as `rekeyed`.
        """
        articles = f"articles added {self.articles_added}"
        if self.articles_merged:
            articles += f", merged into same text {self.articles_merged}"
        articles += f", updated {self.articles_updated}, unchanged {self.articles_unchanged}"
        annotations = (
            f"annotations added {self.annotations_added}, updated {self.annotations_updated}, "
            f"unchanged {self.annotations_unchanged}"
        )
        if self.orphaned:
            annotations += f" ({self.orphaned} no longer found in the text, kept as orphaned)"
        if self.rekeyed:
            annotations += (
                f" ({self.rekeyed} under a new id: the library has their id on another article)"
            )
        return f"restored: {articles}; {annotations}"


def restore(store: AnnotationStore, backup: Backup) -> RestoreSummary:
    """Merge a checked backup into a library, in one transaction.

    - An article whose id is unknown is added as it was (same id, text, timestamps,
      reading position), unless the library already holds the same title and text
      under another id: then its annotations go to that article.
    - An article the library has: if the backup's was changed later and differs, its
      text and details (archived state and edits by hand included) replace the
      library's, and the library's annotations are re-anchored as on a re-import. A
      later reading position is taken too.
    - Annotations: unknown ones are added; known ones take the backup's version if it
      was changed later. An annotation is placed in the article's current text (re-
      anchored if the text differs from the backup's); one that cannot be placed is
      kept, marked orphaned.

    Args:
        store: The library.
        backup: What `read_backup` gave.

    Returns:
        What was done.
    """
    summary = RestoreSummary()
    with store.transaction():
        for item in backup.articles:
            _restore_article(store, item, summary)
    return summary


def _restore_article(store: AnnotationStore, item: BackupArticle, summary: RestoreSummary) -> None:
    theirs = item.article
    try:
        ours: Article | None = store.get_article(theirs.id)
    except LookupError:
        ours = None
    if ours is None:
        twin = store.find_article_by_content(theirs.content_hash)
        if twin is None:
            store.insert_restored_article(theirs, item.blocks, item.contents)
            summary.articles_added += 1
            target = theirs.id
        else:
            # Counted as merged only when something of it was taken, so that a
            # second restore of the same file reports it unchanged.
            if _restore_reading_state(store, twin, theirs):
                summary.articles_merged += 1
            else:
                summary.articles_unchanged += 1
            target = twin.id
    else:
        changed = False
        if theirs.updated_at > ours.updated_at and _details(theirs) != _details(ours):
            summary.orphaned += store.replace_restored_text(
                ours,
                item.document,
                theirs.updated_at,
                archived_at=theirs.archived_at,
                edited=theirs.edited,
            )
            changed = True
        changed = _restore_reading_state(store, ours, theirs) or changed
        if changed:
            summary.articles_updated += 1
        else:
            summary.articles_unchanged += 1
        target = ours.id
    _restore_annotations(store, item, target, summary)


def _details(article: Article) -> tuple[object, ...]:
    """What a restore may replace in an article: its text (by hash), details, archived
    state and which details were edited by hand."""
    return (
        article.content_hash,
        article.source,
        article.date,
        article.author,
        article.tags,
        article.format,
        article.archived_at,
        article.edited,
    )


def _restore_reading_state(store: AnnotationStore, ours: Article, theirs: Article) -> bool:
    """Take the backup's reading position if it was opened later; True if it was taken."""
    if theirs.opened_at is None or (
        ours.opened_at is not None and theirs.opened_at <= ours.opened_at
    ):
        return False
    store.restore_reading_state(ours.id, theirs.position, theirs.opened_at)
    return True


def _restore_annotations(
    store: AnnotationStore, item: BackupArticle, target: str, summary: RestoreSummary
) -> None:
    if not item.annotations:
        return
    current = TextMap([block.text for block in store.get_blocks(target)])
    theirs = TextMap([block.text for block in item.blocks])
    now = format_timestamp(store.clock())
    for annotation in item.annotations:
        placed = place_annotation(annotation, theirs, current, now=now)
        if placed.orphaned and not annotation.orphaned:
            summary.orphaned += 1
        placed = replace(placed, article_id=target)
        status = store.merge_annotation(placed)
        if status == "elsewhere":
            placed = replace(placed, id=rekeyed_id(annotation.id, target))
            status = store.merge_annotation(placed)
            if status == "elsewhere":  # only a file made to collide with the library
                raise RestoreError(
                    f"annotation {annotation.id}: its id belongs to another article's "
                    "annotation in the library, and so does the id it would get instead"
                )
            if status == "added":
                summary.rekeyed += 1
        if status == "added":
            summary.annotations_added += 1
        elif status == "updated":
            summary.annotations_updated += 1
        else:
            summary.annotations_unchanged += 1


_REKEYED = uuid.UUID("6f1d9a52-3c1e-4b8e-9a43-5d2f0c7b8e11")
"""The namespace of the ids `rekeyed_id` makes."""


def rekeyed_id(annotation_id: str, article_id: str) -> str:
    """The id an annotation of a backup gets when the library has its id on another article.

    Such a record is re-keyed rather than refused or merged: merging would move the
    library's annotation to another article and overwrite it, and refusing would stop
    the whole restore, although it happens without any hand-editing (an article's
    annotations restored into a twin with the same text, then the article itself
    restored after its text changed). The library's annotation stays as it is; the
    backup's is added under this id, a name-based UUID of both ids, so the same record
    gets the same new id on every restore and restoring twice still does what once did.
    """
    return str(uuid.uuid5(_REKEYED, f"{annotation_id} in {article_id}"))


def _fits(anchor: Anchor, text: TextMap) -> bool:
    """Whether an anchor's position lies in a text and holds exactly its quote."""
    texts = text.texts
    if not (0 <= anchor.start_block <= anchor.end_block < len(texts)):
        return False
    if anchor.start_offset > len(texts[anchor.start_block]):
        return False
    if anchor.end_offset > len(texts[anchor.end_block]):
        return False
    start = text.to_global(anchor.start_block, anchor.start_offset)
    end = text.to_global(anchor.end_block, anchor.end_offset)
    return start < end and text.text[start:end] == anchor.exact


def place_annotation(
    annotation: Annotation, theirs: TextMap, current: TextMap, *, now: str = ""
) -> Annotation:
    """An annotation from a backup, placed in the article's current text.

    Kept as it is when its position still holds its quote; otherwise re-anchored as on
    a re-import (its old position taken from the backup's text); marked orphaned, its
    anchor kept, when it cannot be placed. An orphaned one stays orphaned. As on a
    re-import, placing it again is not a change of the reader's: its `updated_at`
    stays, its `anchored_at` becomes `now`, and the text it was made on is kept
    (`Annotation.original`) when its passage's text changes.
    """
    if annotation.orphaned:
        return annotation
    anchor = annotation.anchor
    if _fits(anchor, current):
        return annotation
    old_start = 0
    if _fits(anchor, theirs):
        old_start = theirs.to_global(anchor.start_block, anchor.start_offset)
    placed = reanchor(anchor, old_start, current) if current.texts else None
    if placed is None:
        return replace(annotation, orphaned=True, anchored_at=now)
    original = kept_original(annotation.original, anchor.exact, placed.exact)
    return replace(annotation, anchor=placed, original=original, anchored_at=now)


__all__ = [
    "RestoreSummary",
    "place_annotation",
    "rekeyed_id",
    "restore",
]
