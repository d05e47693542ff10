"""The trash: articles and annotations deleted by the reader, kept to be brought back whole.

Store + formats, as `restore` is: deleting keeps what goes as a record of the JSON export
(`export_json`, `json_pieces`) in the library's trash table, then deletes it from the
library; bringing it back reads that record as a backup (`parse_backup`) and merges it
with `restore`, so the same ids, text, annotations, position, archived state and edits
come back. Each operation is one transaction. Entries older than `TRASH_DAYS` are
emptied when a library is opened (`purge_old_trash`).
"""

from __future__ import annotations

import json
from datetime import timedelta
from typing import TYPE_CHECKING

from annotations.errors import NotFoundError, StorageError
from annotations.models import TrashEntry, format_timestamp
from annotations.store import AnnotationStore

if TYPE_CHECKING:
    from annotations.formats.backup import Backup

# Export, restore and the backup format are imported by the functions that use them:
# opening a library purges the trash (`purge_old_trash`), and should not pay for them.

TRASH_DAYS = 30
"""How long the trash keeps what was deleted, in days."""


def delete_article(store: AnnotationStore, article_id: str) -> TrashEntry:
    """Delete an article to the trash: its text, annotations, tags and reading position.

    Nothing of it stays in the library (no rows, search entries or tag links).

    Args:
        store: The library.
        article_id: The article's id, or a unique prefix of it.

    Returns:
        Its entry in the trash.

    Raises:
        NotFoundError: If no article (or several) has that id.
    """
    from annotations.export import export_json

    with store.transaction():
        article = store.find_article(article_id)
        record = export_json(store, [article])
        entry = store.add_trash_entry(
            "article", article.id, article.id, article.title, article.annotation_count, record
        )
        store.delete_article(article.id)
    return entry


def delete_annotation(store: AnnotationStore, annotation_id: str) -> TrashEntry:
    """Delete an annotation to the trash, with its tags and note.

    Its record holds the annotation and its article's details, not the article's text,
    which stays in the library.

    Raises:
        NotFoundError: If there is no such annotation.
    """
    from annotations.formats.interchange import json_pieces

    with store.transaction():
        annotation = store.get_annotation(annotation_id)
        article = store.get_article(annotation.article_id)
        record = "".join(json_pieces([(article, (), (annotation,), ())], store.clock()))
        entry = store.add_trash_entry(
            "annotation", annotation.id, article.id, article.title, 1, record
        )
        store.delete_annotation(annotation.id)
    return entry


def undelete(store: AnnotationStore, item_id: str) -> TrashEntry:
    """Bring back the latest thing deleted to the trash with that id, and take it out.

    An article comes back whole: the same id, text, annotations, tags, reading position,
    archived state and edits (if the library has its text again under another id, as
    after importing the same file anew, its annotations go to that article instead, as
    `restore` does). An annotation comes back on its article, placed in the article's
    current text (orphaned if it can no longer be found there).

    Args:
        store: The library.
        item_id: An article or annotation id, or a unique prefix of one.

    Returns:
        The entry that was brought back.

    Raises:
        NotFoundError: If nothing in the trash has that id, or an annotation's article
            is not in the library (bring the article back first).
    """
    from annotations.formats.backup import parse_backup
    from annotations.restore import restore

    with store.transaction():
        entry = store.find_trash_entry(item_id)
        backup = parse_backup(json.loads(store.trash_record(entry.id)))
        if entry.kind == "annotation":
            backup = _on_current_article(store, entry, backup)
        restore(store, backup)
        store.remove_trash_entry(entry.id)
    return entry


def _on_current_article(store: AnnotationStore, entry: TrashEntry, backup: Backup) -> Backup:
    """A deleted annotation's record as a backup of its article as the library has it now,
    so that restoring it adds the annotation and changes nothing else."""
    from annotations.formats.backup import Backup, BackupArticle

    try:
        article = store.get_article(entry.article_id)
    except NotFoundError:
        raise NotFoundError(
            f"annotation {entry.item_id} belongs to the article {entry.title!r}, which is "
            f"not in the library; bring it back first (undelete {entry.article_id})"
        ) from None
    blocks = tuple(store.get_blocks(article.id))
    annotations = backup.articles[0].annotations
    return Backup(backup.exported, (BackupArticle(article, blocks, annotations),))


def trash_entries(store: AnnotationStore) -> list[TrashEntry]:
    """Everything in the trash, most recently deleted first."""
    return store.trash_entries()


def empty_trash(store: AnnotationStore, older_than_days: int | None = None) -> int:
    """Remove what the trash holds for good: all of it, or what was deleted more than
    `older_than_days` days ago.

    Returns:
        How many entries were removed.
    """
    if older_than_days is None:
        return store.remove_trash_entries()
    return store.remove_trash_entries(_days_ago(store, older_than_days))


def purge_old_trash(store: AnnotationStore, days: int = TRASH_DAYS) -> int:
    """Empty the trash of what was deleted more than `days` days ago (on opening a library).

    Costs one indexed read when there is nothing to purge. Housekeeping only: a library
    that cannot be written now (read-only, busy) is left as it is, to purge next time.

    Returns:
        How many entries were removed.
    """
    try:
        if not store.has_trash_before(_days_ago(store, days)):
            return 0
        return empty_trash(store, days)
    except StorageError:
        return 0


def _days_ago(store: AnnotationStore, days: int) -> str:
    return format_timestamp(store.clock() - timedelta(days=days))


__all__ = [
    "TRASH_DAYS",
    "delete_annotation",
    "delete_article",
    "empty_trash",
    "purge_old_trash",
    "trash_entries",
    "undelete",
]
