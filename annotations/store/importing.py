"""Importing documents: new articles, and new versions with their annotations re-anchored."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import replace
from typing import Any

from annotations.models import (
    Anchor,
    Article,
    Block,
    ContentsEntry,
    Document,
    ImportResult,
    anchor_record,
    content_hash,
    kept_original,
)
from annotations.store.annotations import AnnotationsMixin
from annotations.text import is_one_line

_CJK = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_CJK_CHARACTER = re.compile(f"[{_CJK}]")
_CJK_WORD = re.compile(f"[{_CJK}]|[^\\s{_CJK}]+")


_BELOW_CJK = bytes(range(0xE3))
"""UTF-8 bytes that begin no character from U+3000 on (nor continue any)."""


def count_words(text: str) -> int:
    """Words in a text: runs of non-space characters, and each Chinese or Japanese
    character (those scripts do not put spaces between words)."""
    if _CJK_CHARACTER.search(text) is None:
        return _spaced_words(text)
    return sum(1 for _ in _CJK_WORD.finditer(text))


def _spaced_words(text: str) -> int:
    """Words in a text without Chinese or Japanese: runs of non-space characters."""
    if is_one_line(text):  # most of a book: its spaces are counted, not its words split
        return text.count(" ") + 1 if text else 0
    return len(text.split())


def count_words_in(texts: Sequence[str]) -> int:
    """Words in all the texts (`count_words` of each, summed), Chinese and Japanese
    characters looked for once in all of them."""
    # A character from U+3000 on is the only kind whose UTF-8 has a byte left here.
    if "".join(texts).encode("utf-8", "surrogatepass").translate(None, _BELOW_CJK):
        return sum(count_words(text) for text in texts)
    return sum(_spaced_words(text) for text in texts)


class ImportingMixin(AnnotationsMixin):
    """Documents into articles: added, or replacing the text of one imported before."""

    def import_document(self, document: Document) -> ImportResult:
        """Store a parsed document as an article.

        Identical content already in the library is left as it is. A changed version of
        a source already imported replaces that article's text, and its annotations are
        re-anchored (those that cannot be placed are kept and marked orphaned). The
        details the reader edited by hand (`Article.edited`) keep the reader's values.

        Args:
            document: The parsed document.

        Returns:
            What was done, the stored article, and the document's warnings.
        """
        digest = content_hash(document)
        with self._write():
            same = list(
                self._query("SELECT id FROM articles WHERE content_hash = ? LIMIT 1", [digest])
            )
            warnings = document.warnings
            if same:
                return ImportResult("unchanged", self.get_article(same[0]["id"]), 0, warnings)
            existing = self.find_article_by_source(document.source) if document.source else None
            if existing is None:
                article_id = str(uuid.uuid4())
                self._insert_article(article_id, document, digest)
                return ImportResult("imported", self.get_article(article_id), 0, warnings)
            document = self._with_edits(existing, document)
            digest = content_hash(document)
            if digest == existing.content_hash:
                return ImportResult("unchanged", existing, 0, warnings)
            orphaned = self._replace_article(existing, document, digest)
            return ImportResult("updated", self.get_article(existing.id), orphaned, warnings)

    @staticmethod
    def _with_edits(article: Article, document: Document) -> Document:
        """A new version of an article's source, with the details the reader edited kept."""
        kept = {name: getattr(article, name) for name in article.edited}
        return replace(document, **kept) if kept else document

    def _article_row(self, document: Document, digest: str) -> dict[str, Any]:
        """The columns of an article made from a document (its tags are written apart,
        by `_write_article_tags`)."""
        return {
            "title": document.title,
            "source": document.source,
            "date": document.date,
            "author": document.author,
            "format": document.format,
            "words": count_words_in([block.text for block in document.blocks]),
            "block_count": len(document.blocks),
            "content_hash": digest,
        }

    @contextmanager
    def _indexing_in_bulk(self, article_id: str) -> Iterator[None]:
        """Leave indexing an article's new blocks for search to the caller while inside.

        Call inside a transaction. The insert trigger on `blocks` skips the article
        meanwhile, so the caller must add its new blocks to the index itself, in one
        statement, which FTS5 does in about half the time it takes row by row from a trigger.
        """
        self.conn.execute("INSERT INTO search_deferred (article_id) VALUES (?)", [article_id])
        try:
            yield
        finally:
            self.conn.execute("DELETE FROM search_deferred WHERE article_id = ?", [article_id])

    def _insert_blocks(self, article_id: str, blocks: Sequence[Block]) -> None:
        with self._indexing_in_bulk(article_id):
            self.conn.executemany(
                "INSERT INTO blocks (article_id, idx, kind, level, text) VALUES (?, ?, ?, ?, ?)",
                (
                    (article_id, index, str(block.kind), block.level, block.text)
                    for index, block in enumerate(blocks)
                ),
            )
            self.conn.execute(
                "INSERT INTO search_fts (rowid, text) "
                "SELECT id, text FROM blocks WHERE article_id = ?",
                [article_id],
            )

    def _write_contents(self, article_id: str, contents: Sequence[ContentsEntry]) -> None:
        """Replace an article's own table of contents (none: its headings serve).

        Entries pointing outside the text are dropped; titles are one line.
        """
        self.conn.execute("DELETE FROM contents WHERE article_id = ?", [article_id])
        self.conn.executemany(
            "INSERT INTO contents (article_id, seq, block, level, title) VALUES (?, ?, ?, ?, ?)",
            (
                (article_id, seq, entry.block, max(1, entry.level), " ".join(entry.title.split()))
                for seq, entry in enumerate(contents)
            ),
        )

    def _insert_article(self, article_id: str, document: Document, digest: str) -> None:
        now = self._now()
        row = self._article_row(document, digest)
        row.update(id=article_id, position=0, created_at=now, updated_at=now)
        self._insert("articles", row)
        if document.tags:
            self._write_article_tags(article_id, document.tags)
        self._insert_blocks(article_id, document.blocks)
        if document.contents:
            self._write_contents(article_id, valid_contents(document))

    def _replace_article(self, article: Article, document: Document, digest: str) -> int:
        """Replace an article's text and re-anchor its annotations; returns how many it orphaned.

        An annotation orphaned earlier is tried again, so it comes back when its text does;
        one that cannot be placed keeps its old quote. Placing an annotation again is not
        a change of the reader's: `updated_at` stays, and `anchored_at` is set when its
        place, its text or its orphaned state changes. When its text changes, the text
        it was made on is kept (`Annotation.original`, see `kept_original`).
        """
        # Re-anchoring is only needed when an article is imported again (not at start-up).
        from annotations.anchoring import TextMap, reanchor_all

        old = TextMap(self._block_texts(article.id))
        new = TextMap([block.text for block in document.blocks])
        now = self._now()
        annotations = self.list_annotations(article.id)
        stale = {i for i, annotation in enumerate(annotations) if annotation.orphaned}
        placements = reanchor_all([item.anchor for item in annotations], old, new, stale=stale)
        orphaned = 0
        for annotation, placed in zip(annotations, placements, strict=True):
            anchor = annotation.anchor
            if placed is None:
                if not annotation.orphaned:
                    orphaned += 1
                    self.conn.execute(
                        "UPDATE annotations SET orphaned = 1, anchored_at = ? WHERE id = ?",
                        [now, annotation.id],
                    )
                continue
            if placed == anchor and not annotation.orphaned:
                continue
            values: dict[str, Any] = {**anchor_record(placed), "orphaned": 0}
            if (
                annotation.orphaned
                or _span(placed) != _span(anchor)
                or placed.exact != anchor.exact
            ):
                values["anchored_at"] = now
            if placed.exact != anchor.exact:
                original = kept_original(annotation.original, anchor.exact, placed.exact)
                values["original_exact"] = original or None
            self._update("annotations", annotation.id, values)
        self.conn.execute("DELETE FROM blocks WHERE article_id = ?", [article.id])
        self._insert_blocks(article.id, document.blocks)
        self._write_contents(article.id, valid_contents(document))
        row = self._article_row(document, digest)
        row.update(updated_at=now, position=min(article.position, max(0, len(document.blocks) - 1)))
        self._update("articles", article.id, row)
        self._write_article_tags(article.id, document.tags)
        self._drop_unused_tags()
        return orphaned


def _span(anchor: Anchor) -> tuple[int, int, int, int]:
    """Where an anchor is: its first and last blocks and offsets."""
    return anchor.start_block, anchor.start_offset, anchor.end_block, anchor.end_offset


def valid_contents(document: Document) -> list[ContentsEntry]:
    """A document's contents with entries inside its text, in reading order, titled."""
    total = len(document.blocks)
    entries = [
        entry for entry in document.contents if 0 <= entry.block < total and entry.title.strip()
    ]
    return sorted(entries, key=lambda entry: entry.block)  # stable: same-block order kept
