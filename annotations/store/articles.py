"""Articles and their blocks: reading, counting, paging and filtering by shelf and tag,
position, details edited by hand, archiving, deletion."""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Iterable
from datetime import date as calendar_date
from typing import Any

from annotations.errors import NotFoundError
from annotations.models import (
    EDITABLE_FIELDS,
    Article,
    Block,
    BlockKind,
    ContentsEntry,
    Document,
    chapter_title,
    content_hash,
    heading_entry,
)
from annotations.store.tags import TagsMixin, normalize_tags

NO_BLOCK = 2**62
"""A block index past any article's last block (and within SQLite's integers)."""

SHELVES: tuple[str, ...] = ("reading", "archived", "all")
"""The library's shelves: articles not archived, archived ones, and all of them."""

_SHELF_FILTERS = {
    "reading": "(a.archived_at IS NOT NULL) = 0",
    "archived": "(a.archived_at IS NOT NULL) = 1",
    "all": "1",
}
"""Each shelf as a condition on `a`, written as the shelf indexes of m005 are made."""

_DATE = re.compile(r"(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?")


def article_date(text: str) -> str | None:
    """An article's date as typed, checked: `YYYY`, `YYYY-MM` or `YYYY-MM-DD`; blank is None.

    Raises:
        ValueError: For anything else, or a month or day that does not exist.
    """
    text = text.strip()
    if not text:
        return None
    match = _DATE.fullmatch(text)
    problem = f"date {text!r} is not YYYY, YYYY-MM or YYYY-MM-DD"
    if match is None:
        raise ValueError(problem)
    year, month, day = (int(part) if part else 1 for part in match.groups())
    try:
        calendar_date(year, month, day)
    except ValueError:
        raise ValueError(f"date {text!r} does not exist") from None
    return text


_MARKS = re.compile("[\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f]")
"""The combining diacritical marks that accented letters decompose into (NFKD)."""


def folded(text: str) -> str:
    """Text compared ignoring case and accents (`Goïta` and `GOITA` fold alike)."""
    if text.isascii():
        return text.lower()
    return _MARKS.sub("", unicodedata.normalize("NFKD", text)).casefold()


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
            archived_at=row["archived_at"],
            edited=tuple(json.loads(row["edited"] or "[]")),
        )

    def list_articles(self, shelf: str = "all") -> list[Article]:
        """All articles (of a shelf: see `SHELVES`), most recently imported first.

        Raises:
            ValueError: For an unknown shelf.
        """
        where = self._shelf_filter(shelf)
        rows = self._query(
            f"{self._ARTICLE_SELECT} WHERE {where} ORDER BY a.created_at DESC, a.rowid DESC"
        )
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
    def _shelf_filter(shelf: str) -> str:
        """The condition on `a` for a shelf.

        Raises:
            ValueError: For an unknown shelf.
        """
        if shelf not in _SHELF_FILTERS:
            raise ValueError(f"unknown shelf {shelf!r}; use one of {', '.join(SHELVES)}")
        return _SHELF_FILTERS[shelf]

    def _article_filter(
        self, text: str | None, shelf: str = "all", tag: str | None = None
    ) -> tuple[str, list[Any]]:
        """The WHERE clause (over `a`) and parameters for a title or author filter, a
        shelf and an article tag.

        SQLite's LIKE ignores the case of ASCII letters only; text with other letters
        is matched by GLOB, each letter as a class of its two cases (`[öÖ]`). A tag is
        matched ignoring case (Unicode too), a leading '#' ignored.

        Raises:
            ValueError: For an unknown shelf.
        """
        where = [self._shelf_filter(shelf)]
        params: list[Any] = []
        if text:
            if text.isascii():
                pattern = "%" + re.sub(r"([\\%_])", r"\\\1", text) + "%"
                where.append("(a.title LIKE ? ESCAPE '\\' OR a.author LIKE ? ESCAPE '\\')")
            else:
                pattern = "*" + "".join(map(_glob_class, text)) + "*"
                where.append("(a.title GLOB ? OR a.author GLOB ?)")
            params += [pattern, pattern]
        names = normalize_tags([tag]) if tag is not None else ()
        if names:
            tag_ids = self._tag_ids(names[0])
            if not tag_ids:
                return "0", []
            marks = ", ".join("?" * len(tag_ids))
            where.append(f"a.id IN (SELECT article_id FROM article_tags WHERE tag_id IN ({marks}))")
            params += tag_ids
        return " AND ".join(where), params

    def _check_order(self, order: str) -> None:
        if order not in self._ARTICLE_ORDERS:
            names = ", ".join(self._ARTICLE_ORDERS)
            raise ValueError(f"unknown order {order!r}; use one of {names}")

    def count_articles(
        self, text: str | None = None, shelf: str = "all", *, tag: str | None = None
    ) -> int:
        """How many articles the library holds, or how many match a filter.

        Args:
            text: Only articles whose title or author contains this text (as for
                `list_articles_page`).
            shelf: Only the articles of this shelf (see `SHELVES`).
            tag: Only articles carrying this tag (as for `list_articles_page`).

        Raises:
            ValueError: For an unknown shelf.
        """
        where, params = self._article_filter(text, shelf, tag)
        return self._count(f"SELECT count(*) FROM articles a WHERE {where}", params)

    def list_articles_page(
        self,
        offset: int,
        limit: int,
        *,
        order: str = "added",
        text: str | None = None,
        shelf: str = "all",
        tag: str | None = None,
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
            shelf: Only the articles of this shelf: `reading` (not archived),
                `archived` or `all` (see `SHELVES`).
            tag: Only articles carrying this tag themselves (not on an annotation),
                ignoring case; a leading '#' is ignored, and a blank tag filters nothing.

        Returns:
            The articles of the page.

        Raises:
            ValueError: For an unknown order or shelf.
        """
        self._check_order(order)
        where, params = self._article_filter(text, shelf, tag)
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
        self,
        article_id: str,
        order: str = "added",
        text: str | None = None,
        shelf: str = "all",
        *,
        tag: str | None = None,
    ) -> int | None:
        """Where an article is in an order of `list_articles_page` (0 for the first).

        Args:
            article_id: The article's id.
            order: As for `list_articles_page`.
            text: As for `list_articles_page`.
            shelf: As for `list_articles_page`.
            tag: As for `list_articles_page`.

        Returns:
            Its index, or None if there is no such article or the filters leave it out.

        Raises:
            ValueError: For an unknown order or shelf.
        """
        self._check_order(order)
        where, params = self._article_filter(text, shelf, tag)
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
        if not reference.strip():
            raise NotFoundError("no article id given")
        article_id = self._unique_prefix(
            "SELECT id FROM articles WHERE id >= ? AND id < ? LIMIT 2",
            reference,
            missing="no article with id {typed}",  # errors quote what was typed
            ambiguous="article id {typed} is ambiguous; give more characters",
        )
        return self.get_article(article_id)

    def find_articles(self, words: str) -> list[Article]:
        """Articles whose title contains every word given, ignoring case and accents.

        Words match anywhere in the title (`bri` finds `Bridges`); blank gives none.

        Returns:
            The articles found, by title (A to Z, ignoring case).
        """
        wanted = [folded(word) for word in words.split()]
        if not wanted:
            return []
        found = [
            article_id
            for article_id, title in self.conn.execute("SELECT id, title FROM articles")
            if all(word in folded(title) for word in wanted)
        ]
        rows = self._query(
            f"{self._ARTICLE_SELECT} WHERE a.id IN (SELECT value FROM json_each(?)) "
            "ORDER BY a.title COLLATE NOCASE, a.id",
            [json.dumps(found)],
        )
        return [self._article(row) for row in rows]

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

    def get_contents(self, article_id: str) -> list[ContentsEntry]:
        """An article's table of contents in reading order: its own (a book's nav or
        NCX) if it has one, else its headings (level as the heading's)."""
        own = [
            ContentsEntry(title, block, level)
            for title, block, level in self.conn.execute(
                "SELECT title, block, level FROM contents WHERE article_id = ? ORDER BY seq",
                [article_id],
            )
        ]
        if own:
            return own
        cursor = self.conn.execute(
            "SELECT text, idx, level FROM blocks WHERE article_id = ? AND kind = 'heading' "
            "ORDER BY idx",
            [article_id],
        )
        entries = (heading_entry(text, idx, level) for text, idx, level in cursor)
        return [entry for entry in entries if entry.title]  # a blank heading names nothing

    def chapter_of(self, article_id: str, block: int) -> str | None:
        """Where a block of an article is, as one line (`BOOK ONE › CHAPTER I`, see
        `chapter_title`); None for an article without contents, or before its first entry."""
        return chapter_title(self.get_contents(article_id), block)

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

    def edit_article(
        self,
        article_id: str,
        *,
        title: str | None = None,
        author: str | None = None,
        date: str | None = None,
        tags: Iterable[str] | None = None,
    ) -> Article:
        """Change an article's details by hand; a re-import of its source keeps them.

        Only the details given change, and each is added to `Article.edited`, so that the
        reader's value wins over the file's when the same source is imported again.

        Args:
            article_id: The article.
            title: A new title (whitespace collapsed; cannot be blank).
            author: A new author; blank clears it.
            date: `YYYY`, `YYYY-MM` or `YYYY-MM-DD`; blank clears it.
            tags: The article's own tags (cleaned as an annotation's are); empty clears them.

        Returns:
            The article as it is now.

        Raises:
            NotFoundError: If there is no such article.
            ValueError: For a blank title or a date not in one of those forms.
        """
        if isinstance(tags, str):
            raise TypeError("tags are a list of names, not one string")
        values: dict[str, Any] = {}
        if title is not None:
            values["title"] = " ".join(title.split())
            if not values["title"]:
                raise ValueError("a title cannot be empty")
        if author is not None:
            values["author"] = " ".join(author.split()) or None
        if date is not None:
            values["date"] = article_date(date)
        with self._write():
            article = self.get_article(article_id)
            fields = set(values) | ({"tags"} if tags is not None else set())
            if tags is not None:
                self._write_article_tags(article_id, tags)
                self._drop_unused_tags()
            if "title" in values:
                document = Document(values["title"], tuple(self.get_blocks(article_id)))
                values["content_hash"] = content_hash(document)
            marked = set(article.edited) | fields
            values["edited"] = json.dumps([name for name in EDITABLE_FIELDS if name in marked])
            values["updated_at"] = self._now()
            self._update("articles", article_id, values)
        return self.get_article(article_id)

    def set_archived(self, article_id: str, archived: bool) -> Article:
        """Archive an article (finished, put away) or bring it back to the reading shelf.

        An article already in that state is left as it is (its `archived_at` kept).

        Returns:
            The article as it is now.

        Raises:
            NotFoundError: If there is no such article.
        """
        with self._write():
            article = self.get_article(article_id)
            if article.archived != archived:
                now = self._now()
                self._update(
                    "articles",
                    article_id,
                    {"archived_at": now if archived else None, "updated_at": now},
                )
        return self.get_article(article_id)

    def delete_article(self, article_id: str) -> None:
        """Remove an article with its blocks, annotations and tags, for good.

        The command line and the app delete to the trash instead (`annotations.trash`).
        """
        with self._write():
            self.conn.execute("DELETE FROM articles WHERE id = ?", [article_id])
            self._drop_unused_tags()
