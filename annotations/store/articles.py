"""Articles and their blocks: reading, counting, paging and filtering, position, deletion."""

from __future__ import annotations

import json
import re
import unicodedata
from typing import Any

from annotations.errors import NotFoundError
from annotations.models import Article, Block, BlockKind
from annotations.store.tags import TagsMixin

NO_BLOCK = 2**62
"""A block index past any article's last block (and within SQLite's integers)."""


def _folded(text: str) -> str:
    """Text to match without case and accents: `Goïta` and `GOITA` both give `goita`."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(char for char in decomposed if not unicodedata.combining(char))


def _glob_class(char: str) -> str:
    """A GLOB pattern matching one character in either case, or itself literally."""
    cases = "".join(dict.fromkeys(c for c in (char.lower(), char.upper(), char) if len(c) == 1))
    if len(cases) > 1:
        return f"[{cases}]"
    return f"[{char}]" if char in "*?[" else char


class ArticlesMixin(TagsMixin):
    """The library's articles and their text."""

    _ARTICLE_SELECT = """
        SELECT a.*, a.annotation_total AS annotation_count FROM articles a
    """
    """Articles with their number of annotations (kept by triggers, see m004)."""

    @staticmethod
    def _article(row: dict[str, Any]) -> Article:
        return Article(
            id=row["id"],
            title=row["title"],
            source=row["source"],
            date=row["date"],
            author=row["author"],
            tags=tuple(json.loads(row["tags"] or "[]")),
            format=row["format"],
            words=row["words"],
            block_count=row["block_count"],
            position=row["position"],
            annotation_count=row["annotation_count"],
            content_hash=row["content_hash"],
            created_at=row["created_at"],
            updated_at=row["updated_at"],
            opened_at=row["opened_at"],
        )

    def list_articles(self) -> list[Article]:
        """All articles, most recently imported first."""
        rows = self._query(self._ARTICLE_SELECT + " ORDER BY a.created_at DESC, a.rowid DESC")
        return [self._article(row) for row in rows]

    _ARTICLE_ORDERS = {
        "added": "a.created_at DESC, a.rowid DESC",
        "opened": "a.opened_at DESC, a.id DESC",
        "title": "a.title COLLATE NOCASE, a.id",
        "date": "a.date DESC, a.id DESC",
        "annotations": "a.annotation_total DESC, a.id",
    }
    """The orders of `list_articles_page`, by name. SQLite sorts NULL first, so a
    descending order puts never-opened and undated articles last."""

    _ARTICLE_KEYS = {
        "added": (">", "{t}.created_at, {t}.rowid"),
        "opened": (">", "{t}.opened_at IS NOT NULL, coalesce({t}.opened_at, ''), {t}.id"),
        "title": ("<", "{t}.title COLLATE NOCASE, {t}.id"),
        "date": (">", "{t}.date IS NOT NULL, coalesce({t}.date, ''), {t}.id"),
        "annotations": ("<", "-{t}.annotation_total, {t}.id"),
    }
    """Each order as a row value with no NULL in it and a comparison: the articles
    before one in the order are those whose row value compares so with its own."""

    @staticmethod
    def _article_filter(text: str | None) -> tuple[str, list[Any]]:
        """The WHERE clause (over `a`) and parameters for a title or author filter.

        SQLite's LIKE ignores the case of ASCII letters only; text with other letters
        is matched by GLOB, each letter as a class of its two cases (`[öÖ]`).
        """
        if not text:
            return "1", []
        if text.isascii():
            pattern = "%" + re.sub(r"([\\%_])", r"\\\1", text) + "%"
            where = "(a.title LIKE ? ESCAPE '\\' OR a.author LIKE ? ESCAPE '\\')"
        else:
            pattern = "*" + "".join(map(_glob_class, text)) + "*"
            where = "(a.title GLOB ? OR a.author GLOB ?)"
        return where, [pattern, pattern]

    def _check_order(self, order: str) -> None:
        if order not in self._ARTICLE_ORDERS:
            names = ", ".join(self._ARTICLE_ORDERS)
            raise ValueError(f"unknown order {order!r}; use one of {names}")

    def count_articles(self, text: str | None = None) -> int:
        """How many articles the library holds, or how many match a filter.

        Args:
            text: Only articles whose title or author contains this text (as for
                `list_articles_page`).
        """
        where, params = self._article_filter(text)
        return self._count(f"SELECT count(*) FROM articles a WHERE {where}", params)

    def list_articles_page(
        self, offset: int, limit: int, *, order: str = "added", text: str | None = None
    ) -> list[Article]:
        """A page of the library's articles in an order, optionally filtered.

        Only the page's rows are read in full and counted; the order comes from an index.

        Args:
            offset: How many articles of the order to skip first.
            limit: The most articles to return.
            order: `added` (most recently imported first, as `list_articles`), `opened`
                (most recently opened first, never opened last), `title` (A to Z,
                ignoring case), `date` (the article's date, newest first, undated last)
                or `annotations` (most annotated first). Ties go by id, so pages never
                overlap.
            text: Only articles whose title or author contains this text, ignoring the
                case of ASCII letters (`%` and `_` are plain characters).

        Returns:
            The articles of the page.

        Raises:
            ValueError: For an unknown order.
        """
        self._check_order(order)
        where, params = self._article_filter(text)
        order_by = self._ARTICLE_ORDERS[order]
        rows = self._query(
            f"""
            {self._ARTICLE_SELECT}
            JOIN (
                SELECT a.rowid AS page_rowid FROM articles a
                WHERE {where} ORDER BY {order_by} LIMIT ? OFFSET ?
            ) page ON a.rowid = page.page_rowid
            ORDER BY {order_by}
            """,
            [*params, max(0, limit), max(0, offset)],
        )
        return [self._article(row) for row in rows]

    def position_of(
        self, article_id: str, order: str = "added", text: str | None = None
    ) -> int | None:
        """Where an article is in an order of `list_articles_page` (0 for the first).

        Args:
            article_id: The article's id.
            order: As for `list_articles_page`.
            text: As for `list_articles_page`.

        Returns:
            Its index, or None if there is no such article or the filter leaves it out.

        Raises:
            ValueError: For an unknown order.
        """
        self._check_order(order)
        where, params = self._article_filter(text)
        found = self.conn.execute(
            f"SELECT 1 FROM articles a WHERE a.id = ? AND {where}", [article_id, *params]
        ).fetchone()
        if found is None:
            return None
        compare, keys = self._ARTICLE_KEYS[order]
        return self._count(
            f"""
            SELECT count(*) FROM articles a, articles x
            WHERE x.id = ? AND {where}
                AND ({keys.format(t="a")}) {compare} ({keys.format(t="x")})
            """,
            [article_id, *params],
        )

    def get_article(self, article_id: str) -> Article:
        """One article by its id.

        Raises:
            NotFoundError: If there is no such article.
        """
        rows = list(self._query(self._ARTICLE_SELECT + " WHERE a.id = ?", [article_id]))
        if not rows:
            raise NotFoundError(f"no article with id {article_id}")
        return self._article(rows[0])

    def find_article(self, reference: str) -> Article:
        """An article by its full id or a unique prefix of it.

        Raises:
            NotFoundError: If none or several articles match.
        """
        typed, reference = reference, reference.strip().lower()
        if not reference:
            raise NotFoundError("no article id given")
        ids = [
            row["id"]
            for row in self._query(
                "SELECT id FROM articles WHERE id >= ? AND id < ? LIMIT 2",
                [reference, reference + "\uffff"],
            )
        ]
        if not ids:  # the error quotes the id as typed
            raise NotFoundError(f"no article with id {typed}")
        if len(ids) > 1 and reference not in ids:
            raise NotFoundError(f"article id {typed} is ambiguous; give more characters")
        return self.get_article(reference if reference in ids else ids[0])

    def find_articles(self, words: str) -> list[Article]:
        """The articles whose title contains every one of some words, in title order.

        Case and accents are ignored (`goita` finds `Goïta`, `strasse` finds `Straße`);
        a word may be any part of the title (`bridge` finds `Bridges`), in any order.

        Args:
            words: Words separated by white space; none finds no article.
        """
        wanted = [_folded(word) for word in words.split()]
        if not wanted:
            return []
        matched = []
        for article_id, title in self.conn.execute("SELECT id, title FROM articles"):
            folded = _folded(title)
            if all(word in folded for word in wanted):
                matched.append((folded, article_id))
        ids = [article_id for _, article_id in sorted(matched)]
        found: dict[str, Article] = {}
        for start in range(0, len(ids), 500):  # within SQLite's limit on parameters
            batch = ids[start : start + 500]
            marks = ", ".join("?" * len(batch))
            for row in self._query(f"{self._ARTICLE_SELECT} WHERE a.id IN ({marks})", batch):
                found[row["id"]] = self._article(row)
        return [found[article_id] for article_id in ids if article_id in found]

    def find_article_by_source(self, source: str) -> Article | None:
        """The article imported from a source (path or URL), if any."""
        rows = list(self._query(self._ARTICLE_SELECT + " WHERE a.source = ? LIMIT 1", [source]))
        return self._article(rows[0]) if rows else None

    def get_blocks(self, article_id: str) -> list[Block]:
        """An article's blocks in reading order."""
        cursor = self.conn.execute(
            "SELECT kind, text, level FROM blocks WHERE article_id = ? ORDER BY idx", [article_id]
        )
        kinds = {kind.value: kind for kind in BlockKind}
        return [Block(kinds[kind], text, level) for kind, text, level in cursor]

    def _block_texts(self, article_id: str, first: int = 0, last: int | None = None) -> list[str]:
        """The texts of an article's blocks, all or those from `first` to `last`."""
        cursor = self.conn.execute(
            "SELECT text FROM blocks WHERE article_id = ? AND idx BETWEEN ? AND ? ORDER BY idx",
            [article_id, first, last if last is not None else NO_BLOCK],
        )
        return [text for (text,) in cursor]

    def set_position(self, article_id: str, block: int) -> None:
        """Remember the reading position (a block index) of an article, kept inside it."""
        self.conn.execute(
            "UPDATE articles SET position = max(0, min(?, block_count - 1)), opened_at = ? "
            "WHERE id = ?",
            [block, self._now(), article_id],
        )

    def delete_article(self, article_id: str) -> None:
        """Remove an article with its blocks and annotations."""
        with self._write():
            self.conn.execute("DELETE FROM articles WHERE id = ?", [article_id])
            self._drop_unused_tags()
