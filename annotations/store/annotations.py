"""Annotations: reading them, highlighting passages, and changing or deleting them."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import replace
from typing import Any

from annotations.anchoring import TextMap
from annotations.errors import NotFoundError
from annotations.models import (
    HIGHLIGHT_COLORS,
    Anchor,
    Annotation,
    anchor_record,
    kept_original,
)
from annotations.store.articles import NO_BLOCK, ArticlesMixin
from annotations.store.tags import TAG_NAMES, tag_names

QUOTE_BLOCKS = 16
"""Blocks read on each side of a passage to build its quote's prefix and suffix."""


class AnnotationsMixin(ArticlesMixin):
    """Annotations: highlights of passages, with their colours, notes and tags."""

    _ANNOTATION_COLUMNS = (
        "n.id, n.article_id, n.start_block, n.start_offset, n.end_block, n.end_offset, "
        "n.exact, n.prefix, n.suffix, n.color, n.note, n.orphaned, n.created_at, n.updated_at, "
        "n.original_exact, n.anchored_at"
    )

    def _annotations(self, where: str, params: Sequence[Any], order: str) -> list[Annotation]:
        # Read as tuples, not sqlite-utils' dicts: an article may have thousands, and
        # screens read them again whenever the library changed.
        cursor = self.conn.execute(
            f"SELECT {self._ANNOTATION_COLUMNS}, {TAG_NAMES} FROM annotations n "
            f"WHERE {where} ORDER BY {order}",
            params,
        )
        return [
            Annotation(
                id=id_,
                article_id=article_id,
                anchor=Anchor(
                    start_block, start_offset, end_block, end_offset, exact, prefix, suffix
                ),
                color=color,
                note=note,
                tags=tag_names(names),
                orphaned=bool(orphaned),
                created_at=created_at,
                updated_at=updated_at,
                original=original or "",
                anchored_at=anchored_at or "",
            )
            for (
                id_, article_id, start_block, start_offset, end_block, end_offset,
                exact, prefix, suffix, color, note, orphaned, created_at, updated_at,
                original, anchored_at, names,
            ) in cursor
        ]  # fmt: skip

    def list_annotations(self, article_id: str | None = None) -> list[Annotation]:
        """Annotations of one article (or all), in text order."""
        order = "n.article_id, n.start_block, n.start_offset, n.end_block, n.end_offset"
        if article_id is None:
            return self._annotations("1", [], order)
        return self._annotations("n.article_id = ?", [article_id], order)

    def count_annotations(self) -> int:
        """How many annotations the library holds (orphaned ones too)."""
        return self._count("SELECT count(*) FROM annotations")

    def get_annotation(self, annotation_id: str) -> Annotation:
        """One annotation by its id.

        Raises:
            NotFoundError: If there is no such annotation.
        """
        found = self._annotations("n.id = ?", [annotation_id], "n.id")
        if not found:
            raise NotFoundError(f"no annotation with id {annotation_id}")
        return found[0]

    def _passage_anchor(
        self, article_id: str, start: tuple[int, int], end: tuple[int, int]
    ) -> Anchor:
        """The anchor of a passage of an article, with its quote; call inside a transaction.

        Only the blocks around the passage are read: enough for the quote's prefix and
        suffix (every block adds at least 3 characters with its separator), so a
        highlight costs the same in a note and in a book. The article itself is read
        only when the passage is not in it, to tell a missing article from a bad range.

        Raises:
            NotFoundError: If the article does not exist.
            ValueError: If the range is empty or outside the article.
        """
        (start_block, start_offset), (end_block, end_offset) = start, end
        first = max(0, start_block - QUOTE_BLOCKS)
        ordered = 0 <= start_block <= end_block < NO_BLOCK
        texts = self._block_texts(article_id, first, end_block + QUOTE_BLOCKS) if ordered else []
        # An article's blocks are numbered from 0 without gaps, so the passage's last
        # block exists if the blocks found from `first` on reach it.
        if not ordered or end_block - first >= len(texts):
            self.get_article(article_id)
            raise ValueError(f"passage {start}-{end} is outside the article")
        start_text, end_text = texts[start_block - first], texts[end_block - first]
        valid = (
            0 <= start_offset <= len(start_text)
            and 0 <= end_offset <= len(end_text)
            and (start_block, start_offset) < (end_block, end_offset)
        )
        if not valid:
            raise ValueError(f"passage {start}-{end} is outside the article or empty")
        local = TextMap(texts).anchor(
            start_block - first, start_offset, end_block - first, end_offset
        )
        return replace(local, start_block=start_block, end_block=end_block)

    def add_highlight(
        self,
        article_id: str,
        start: tuple[int, int],
        end: tuple[int, int],
        *,
        color: str = HIGHLIGHT_COLORS[0],
        tags: Iterable[str] = (),
        note: str = "",
    ) -> Annotation:
        """Highlight a passage of an article.

        Args:
            article_id: The article.
            start: (block index, character offset) where the passage starts.
            end: (block index, character offset) where it ends, exclusive.
            color: Highlight colour.
            tags: Tags to put on it.
            note: A note to attach.

        Returns:
            The new annotation.

        Raises:
            NotFoundError: If the article does not exist.
            ValueError: If the range is empty or outside the article.
        """
        if color not in HIGHLIGHT_COLORS:
            raise ValueError(f"unknown colour {color!r}")
        with self._write():
            anchor = self._passage_anchor(article_id, start, end)
            annotation_id = str(uuid.uuid4())
            now = self._now()
            self._insert(
                "annotations",
                {
                    "id": annotation_id,
                    "article_id": article_id,
                    **anchor_record(anchor),
                    "color": color,
                    "note": note,
                    "orphaned": 0,
                    "created_at": now,
                    "updated_at": now,
                },
            )
            self._write_tags(annotation_id, tags)
        return self.get_annotation(annotation_id)

    def delete_annotation(self, annotation_id: str) -> None:
        """Remove an annotation with its tags and note."""
        with self._write():
            self.conn.execute("DELETE FROM annotations WHERE id = ?", [annotation_id])
            self._drop_unused_tags()

    def _touch(self, annotation_id: str, **values: Any) -> Annotation:
        with self._write():
            values["updated_at"] = self._now()
            assignments = ", ".join(f"{column} = ?" for column in values)
            cursor = self.conn.execute(
                f"UPDATE annotations SET {assignments} WHERE id = ?",
                [*values.values(), annotation_id],
            )
            if cursor.rowcount == 0:
                raise NotFoundError(f"no annotation with id {annotation_id}")
        return self.get_annotation(annotation_id)

    def move_annotation(
        self,
        annotation_id: str,
        start: tuple[int, int],
        end: tuple[int, int],
        *,
        keep_history: bool = True,
    ) -> Annotation:
        """Put an annotation on another passage of its article, keeping its tags and note.

        A change of the reader's (`updated_at` changes), as re-attaching an orphaned
        annotation to the passage it belongs to now is.

        Args:
            annotation_id: The annotation.
            start: (block index, character offset) where the passage starts.
            end: (block index, character offset) where it ends, exclusive.
            keep_history: Keep the text it was made on (`Annotation.original`) when the
                new passage's text differs from it, as a re-import does; if False, the
                new passage is what was highlighted and no earlier text is kept.

        Returns:
            The annotation as it is now (no longer orphaned).

        Raises:
            NotFoundError: If there is no such annotation.
            ValueError: If the range is empty or outside the article.
        """
        with self._write():
            annotation = self.get_annotation(annotation_id)
            anchor = self._passage_anchor(annotation.article_id, start, end)
            original = (
                kept_original(annotation.original, annotation.anchor.exact, anchor.exact)
                if keep_history
                else ""
            )
            return self._touch(
                annotation_id, **anchor_record(anchor), orphaned=0, original_exact=original or None
            )

    def set_color(self, annotation_id: str, color: str) -> Annotation:
        """Change an annotation's highlight colour."""
        if color not in HIGHLIGHT_COLORS:
            raise ValueError(f"unknown colour {color!r}")
        return self._touch(annotation_id, color=color)

    def set_note(self, annotation_id: str, note: str) -> Annotation:
        """Replace an annotation's note (an empty string removes it)."""
        return self._touch(annotation_id, note=note)

    def set_tags(self, annotation_id: str, tags: Iterable[str]) -> Annotation:
        """Replace an annotation's tags."""
        with self._write():
            self._touch(annotation_id)
            self.conn.execute(
                "DELETE FROM annotation_tags WHERE annotation_id = ?", [annotation_id]
            )
            self._write_tags(annotation_id, tags)
            self._drop_unused_tags()
        return self.get_annotation(annotation_id)
