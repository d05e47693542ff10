"""Reads and writes in bulk: export's batched reads, and what restore puts back from a backup."""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from contextlib import contextmanager

from annotations.models import (
    EDITABLE_FIELDS,
    Anchor,
    Annotation,
    Article,
    Block,
    BlockKind,
    ContentsEntry,
    Document,
    anchor_record,
    content_hash,
)
from annotations.store.importing import ImportingMixin, valid_contents


def _edited_json(edited: Sequence[str]) -> str:
    """The `edited` column: the names among `EDITABLE_FIELDS` given, in that order."""
    return json.dumps([name for name in EDITABLE_FIELDS if name in edited])


class BulkMixin(ImportingMixin):
    """Many articles and annotations at once: for export, and for restoring a backup."""

    # Export --------------------------------------------------------------------

    EXPORT_BATCH = 500
    """Articles whose annotations and passages `iter_annotated` reads in one go."""

    def iter_annotated(
        self, articles: Sequence[Article]
    ) -> Iterator[tuple[Article, list[Annotation], dict[int, Block], list[ContentsEntry]]]:
        """Each article with its annotations (in text order), the blocks they cover and
        its contents (`get_contents`; read only for an article with annotations in its
        text, the only ones whose chapter can be named).

        Reads a batch of articles at a time in three queries (and one for the contents
        of each article that needs them), instead of a few queries per article, so
        exporting a whole library costs what its annotations hold. Only the blocks an
        annotation covers are read, by index (orphaned ones cover none). The queries of
        a batch see one state of the library, whatever another program writes meanwhile.
        """
        for start in range(0, len(articles), self.EXPORT_BATCH):
            batch = articles[start : start + self.EXPORT_BATCH]
            with self._snapshot():
                found, blocks = self._annotated_batch([article.id for article in batch])
                contents = {article_id: self.get_contents(article_id) for article_id in blocks}
            for article in batch:
                yield (
                    article,
                    found.get(article.id, []),
                    blocks.get(article.id, {}),
                    contents.get(article.id, []),
                )

    @contextmanager
    def _snapshot(self) -> Iterator[None]:
        """A read transaction (unless one is open): every query in it sees one state."""
        if self.conn.in_transaction:
            yield
            return
        self.conn.execute("BEGIN")
        try:
            yield
        finally:
            self.conn.execute("COMMIT")

    def _annotated_batch(
        self, article_ids: list[str]
    ) -> tuple[dict[str, list[Annotation]], dict[str, dict[int, Block]]]:
        """The annotations of some articles, and the blocks they cover, by article id."""
        kinds = {kind.value: kind for kind in BlockKind}
        ids = json.dumps(article_ids)
        chosen = "n.article_id IN (SELECT value FROM json_each(?))"
        tags: dict[str, list[str]] = {}
        for annotation_id, name in self.conn.execute(
            "SELECT x.annotation_id, t.name FROM annotations n "
            "JOIN annotation_tags x ON x.annotation_id = n.id JOIN tags t ON t.id = x.tag_id "
            f"WHERE {chosen} ORDER BY t.name COLLATE NOCASE",
            [ids],
        ):
            tags.setdefault(annotation_id, []).append(name)
        found: dict[str, list[Annotation]] = {}
        for row in self.conn.execute(
            "SELECT n.id, n.article_id, n.start_block, n.start_offset, n.end_block, "
            "n.end_offset, n.exact, n.prefix, n.suffix, n.color, n.note, n.orphaned, "
            "n.created_at, n.updated_at, n.original_exact, n.anchored_at "
            f"FROM annotations n WHERE {chosen} "
            "ORDER BY n.article_id, n.start_block, n.start_offset, n.end_block, n.end_offset",
            [ids],
        ):
            annotation = Annotation(
                id=row[0],
                article_id=row[1],
                anchor=Anchor(*row[2:9]),
                color=row[9],
                note=row[10],
                tags=tuple(tags.get(row[0], ())),
                orphaned=bool(row[11]),
                created_at=row[12],
                updated_at=row[13],
                original=row[14] or "",
                anchored_at=row[15] or "",
            )
            found.setdefault(annotation.article_id, []).append(annotation)
        blocks: dict[str, dict[int, Block]] = {}
        for article_id, index, kind, text, level in self.conn.execute(
            "SELECT b.article_id, b.idx, b.kind, b.text, b.level FROM blocks b "
            "WHERE b.article_id IN (SELECT value FROM json_each(?)) AND EXISTS ("
            "SELECT 1 FROM annotations n WHERE n.article_id = b.article_id "
            "AND n.start_block <= b.idx AND b.idx <= n.end_block AND NOT n.orphaned)",
            [ids],
        ):
            blocks.setdefault(article_id, {})[index] = Block(kinds[kind], text, level)
        return found, blocks

    # Restore -------------------------------------------------------------------

    def find_article_by_content(self, digest: str) -> Article | None:
        """The article whose title and text have this content hash, if any."""
        rows = list(
            self._query(self._ARTICLE_SELECT + " WHERE a.content_hash = ? LIMIT 1", [digest])
        )
        return self._article(rows[0]) if rows else None

    def insert_restored_article(
        self,
        article: Article,
        blocks: Sequence[Block],
        contents: Sequence[ContentsEntry] = (),
    ) -> None:
        """Add an article from a backup as it was: its id, timestamps, reading position,
        archived state and the details edited by hand.

        Args:
            article: The article (its words, block count and content hash are recomputed).
            blocks: Its text.
            contents: Its own table of contents, if it has one (a book's).

        Raises:
            ValueError: If an article with that id exists.
        """
        document = Document(
            article.title,
            tuple(blocks),
            article.source,
            article.date,
            article.author,
            article.tags,
            article.format,
            contents=tuple(contents),
        )
        row = self._article_row(document, content_hash(document))
        row.update(
            id=article.id,
            position=min(max(0, article.position), max(0, len(blocks) - 1)),
            opened_at=article.opened_at,
            created_at=article.created_at,
            updated_at=article.updated_at,
            archived_at=article.archived_at,
            edited=_edited_json(article.edited),
        )
        with self._write():
            if self.conn.execute("SELECT 1 FROM articles WHERE id = ?", [article.id]).fetchone():
                raise ValueError(f"article {article.id} already exists")
            self._insert("articles", row)
            if article.tags:
                self._write_article_tags(article.id, article.tags)
            self._insert_blocks(article.id, blocks)
            if document.contents:
                self._write_contents(article.id, valid_contents(document))

    def replace_restored_text(
        self,
        article: Article,
        document: Document,
        updated_at: str,
        *,
        archived_at: str | None = None,
        edited: Sequence[str] = (),
    ) -> int:
        """Give an article the newer text and details of a backup, as a re-import does.

        Its annotations are re-anchored in the new text (those that cannot be placed are
        kept and marked orphaned); the article then carries the backup's `updated_at`,
        archived state (`archived_at`) and details edited by hand (`edited`). When the
        title and text are those the article has, only its details change.

        Returns:
            How many annotations became orphaned.
        """
        digest = content_hash(document)
        with self._write():
            if digest == article.content_hash:
                orphaned = 0
                row = self._article_row(document, digest)
                del row["words"], row["block_count"]
                self._update("articles", article.id, row)
                self._write_article_tags(article.id, document.tags)
                self._drop_unused_tags()
                if document.contents:
                    self._write_contents(article.id, valid_contents(document))
            else:
                orphaned = self._replace_article(article, document, digest)
            self._update(
                "articles",
                article.id,
                {
                    "updated_at": updated_at,
                    "archived_at": archived_at,
                    "edited": _edited_json(edited),
                },
            )
        return orphaned

    def restore_reading_state(self, article_id: str, position: int, opened_at: str) -> None:
        """Set the reading position and the time it was last opened, as a backup has them."""
        self.conn.execute(
            "UPDATE articles SET position = min(max(0, ?), max(0, block_count - 1)), "
            "opened_at = ? WHERE id = ?",
            [position, opened_at, article_id],
        )

    def merge_annotation(self, annotation: Annotation) -> str:
        """Put an annotation from a backup into the library; the newer version wins.

        An unknown id is added as it is (id, anchor, tags, timestamps). A known one is
        replaced only if the given one was changed later (`updated_at`); on a tie the
        library's stays. Nothing is ever deleted, and an annotation never moves to
        another article: an id the library has on another article is left alone and
        reported as `elsewhere` (the caller decides what to do). The anchor is stored
        as given: the caller places it in the article's current text first.

        Returns:
            `added`, `updated`, `unchanged` or `elsewhere`.
        """
        row = {
            "article_id": annotation.article_id,
            **anchor_record(annotation.anchor),
            "color": annotation.color,
            "note": annotation.note,
            "orphaned": int(annotation.orphaned),
            "updated_at": annotation.updated_at,
            "original_exact": annotation.original if annotation.changed else None,
            "anchored_at": annotation.anchored_at or None,
        }
        with self._write():
            found = self.conn.execute(
                "SELECT updated_at, article_id FROM annotations WHERE id = ?", [annotation.id]
            ).fetchone()
            if found is None:
                row.update(id=annotation.id, created_at=annotation.created_at)
                self._insert("annotations", row)
                self._write_tags(annotation.id, annotation.tags)
                return "added"
            if found[1] != annotation.article_id:
                return "elsewhere"
            if annotation.updated_at <= found[0]:
                return "unchanged"
            self._update("annotations", annotation.id, row)
            self.conn.execute(
                "DELETE FROM annotation_tags WHERE annotation_id = ?", [annotation.id]
            )
            self._write_tags(annotation.id, annotation.tags)
            self._drop_unused_tags()
            return "updated"
