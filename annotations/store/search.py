"""The SQL side of search (annotations.search parses the query): ranked hits, annotation lists."""

from __future__ import annotations

from typing import Any

from annotations.models import (
    ENTRY_TEXT_CHARS,
    AnnotationEntry,
    ChapterIndex,
    SearchHit,
)
from annotations.search import (
    SNIPPET_CLOSE,
    SNIPPET_ELLIPSIS,
    SNIPPET_OPEN,
    SNIPPET_TOKENS,
    clean_snippet,
    match_expression,
)
from annotations.store.articles import ArticlesMixin
from annotations.store.tags import TAG_NAMES, normalize_tags, tag_names


class SearchMixin(ArticlesMixin):
    """Full-text search, and annotations across the library filtered by tag and words."""

    _SEARCH_RANKED = """
        SELECT rowid,
            CASE WHEN rowid > 0 THEN snippet(search_fts, 0, :open, :close, :more, :tokens)
            END AS text,
            CASE WHEN rowid < 0 THEN snippet(search_fts, 2, :open, :close, :more, :tokens)
            END AS note,
            CASE WHEN rowid < 0 THEN snippet(search_fts, 3, :open, :close, :more, :tokens)
            END AS tags,
            rank
        FROM search_fts
        WHERE search_fts MATCH :query AND rank MATCH 'bm25(1.0, 0.0, 1.0, 1.0)' {only}
        ORDER BY rank LIMIT :limit
    """
    """The best matches of the search index, with snippets made for those only.

    FTS5 sorts by `rank` itself and stops at the limit, so snippets are not made for
    every match. Positive rowids are blocks, negative ones annotations. Weights are per
    column (text, exact, note, tags): an annotation's passage is not searched here, as
    the block it quotes is.
    """

    def search(
        self, query: str, *, limit: int = 100, article_id: str | None = None
    ) -> list[SearchHit]:
        """Full-text search of the articles' text, the notes and the tags, ranked together.

        Each word matches the start of a word, ignoring case and diacritics (`goita`
        finds `Goïta`, `brug` finds `brugge`; `brug*` is the same); a double-quoted
        phrase matches those words in a row. Other characters are plain text, so no
        input raises. All words must match, in one block or in one annotation's note
        and tags.

        Args:
            query: What the user typed.
            limit: The most hits to return.
            article_id: Only search this article (its text and its annotations).

        Returns:
            Hits, best (lowest bm25 score) first, each with its chapter; none for a
            blank query.
        """
        expression = match_expression(query, columns=("text", "note", "tags"))
        if expression is None or limit <= 0:
            return []
        params: dict[str, Any] = {
            "query": expression,
            "limit": limit,
            "article": article_id,
            "open": SNIPPET_OPEN,
            "close": SNIPPET_CLOSE,
            "more": SNIPPET_ELLIPSIS,
            "tokens": SNIPPET_TOKENS,
        }
        if article_id is None:
            ranked = self._SEARCH_RANKED.format(only="")
        else:
            # An article's blocks are stored together, so their ids make a narrow range
            # that FTS5 can seek to, instead of ranking every match in the library.
            params["low"], params["high"] = self.conn.execute(
                "SELECT min(id), max(id) FROM blocks WHERE article_id = ?", [article_id]
            ).fetchone()
            blocks = self._SEARCH_RANKED.format(
                only="AND rowid BETWEEN :low AND :high "
                "AND +rowid IN (SELECT id FROM blocks WHERE article_id = :article)"
            )
            notes = self._SEARCH_RANKED.format(
                only="AND rowid < 0 AND +rowid IN (SELECT t.id FROM annotation_texts t "
                "JOIN annotations n ON n.id = t.annotation_id WHERE n.article_id = :article)"
            )
            ranked = f"SELECT * FROM ({blocks}) UNION ALL SELECT * FROM ({notes})"
        rows = self.conn.execute(
            f"""
            SELECT a.id, a.title, b.idx, n.id, n.start_block, m.text, m.note, m.tags, m.rank
            FROM ({ranked}) m
            LEFT JOIN blocks b ON b.id = m.rowid
            LEFT JOIN annotation_texts t ON t.id = m.rowid
            LEFT JOIN annotations n ON n.id = t.annotation_id
            JOIN articles a ON a.id = coalesce(b.article_id, n.article_id)
            ORDER BY m.rank, m.rowid LIMIT :limit
            """,
            params,
        )
        hits = []
        # Hits crowd into few articles, and a book's contents (hundreds of entries, or
        # a look at all its blocks for its headings) are read once for all of its hits.
        chapters: dict[str, ChapterIndex] = {}
        for hit_article, title, block, annotation_id, start_block, text, note, tags, score in rows:
            if annotation_id is None:
                source, raw = "text", text
            elif SNIPPET_OPEN in (note or ""):
                source, raw, block = "note", note, start_block
            else:
                source, raw, block = "tag", tags, start_block
            snippet, marks = clean_snippet(raw or "")
            if hit_article not in chapters:
                chapters[hit_article] = ChapterIndex(self.get_contents(hit_article))
            chapter = chapters[hit_article].title(block)
            hits.append(
                SearchHit(
                    hit_article, title, block, snippet, marks, source, annotation_id, score, chapter
                )
            )
        return hits

    _ENTRY_ORDERS = {
        "newest": "n.created_at DESC, n.rowid DESC",
        "text": (
            "a.title COLLATE NOCASE, a.id, n.start_block, n.start_offset, "
            "n.end_block, n.end_offset, n.rowid"
        ),
    }
    """The orders of `list_annotation_entries`, by name."""

    def _entry_filter(
        self, tag: str | None, text: str | None, orphaned: bool | None = None
    ) -> tuple[str, list[Any]] | None:
        """The WHERE clause and parameters for the entry filters; None if nothing can match."""
        where = ["1"]
        params: list[Any] = []
        if orphaned is not None:
            where.append("n.orphaned" if orphaned else "NOT n.orphaned")
        if tag is not None and normalize_tags([tag]):
            tag_ids = self._tag_ids(normalize_tags([tag])[0])
            if not tag_ids:
                return None
            marks = ", ".join("?" * len(tag_ids))
            where.append(
                f"n.id IN (SELECT annotation_id FROM annotation_tags WHERE tag_id IN ({marks}))"
            )
            params += tag_ids
        columns = ("exact", "note", "tags")
        expression = match_expression(text, columns) if text is not None else None
        if expression is not None:
            where.append(
                "n.id IN (SELECT annotation_id FROM annotation_texts WHERE id IN ("
                "SELECT rowid FROM search_fts WHERE search_fts MATCH ? AND rowid < 0))"
            )
            params.append(expression)
        return " AND ".join(where), params

    def list_annotation_entries(
        self,
        *,
        tag: str | None = None,
        text: str | None = None,
        order: str = "newest",
        limit: int | None = None,
        offset: int = 0,
    ) -> list[AnnotationEntry]:
        """Annotations across the whole library (orphaned ones too), with their articles' titles.

        Args:
            tag: Only annotations with this tag (case-insensitive; a leading '#' is ignored).
            text: Only annotations whose passage, note or tags contain these words, each
                as the start of a word, ignoring case and diacritics (as `search` does;
                text without any letter or digit filters nothing out).
            order: `newest` (most recently made first) or `text` (by article title,
                then position in the article).
            limit: The most entries to return (all if None).
            offset: How many entries of the order to skip first, for paging.

        Returns:
            The entries in the requested order.

        Raises:
            ValueError: For an unknown order.
        """
        if order not in self._ENTRY_ORDERS:
            raise ValueError(f"unknown order {order!r}; use 'newest' or 'text'")
        found = self._entry_filter(tag, text)
        if found is None:
            return []
        where, params = found
        order_by = self._ENTRY_ORDERS[order]
        joined = "annotations n JOIN articles a ON a.id = n.article_id"
        if order == "text":
            # Walk articles by title and each one's annotations by position, both from
            # indexes, and stop at the page's end. Left to itself (no ANALYZE statistics)
            # SQLite would sort every annotation first.
            joined = "articles a CROSS JOIN annotations n ON n.article_id = a.id"
        # The page is chosen first, from the filters and the order alone, so the tag
        # names are gathered for the rows returned only, not for every match.
        # A passage may be a whole book and a note an essay: only their start is read out,
        # so a row costs the same whatever the texts' sizes. They are read as bytes
        # (enough for that many characters in any script): substr() and length() of
        # text stop at a NUL character, which article text may hold.
        size = ENTRY_TEXT_CHARS * 4
        rows = self._query(
            f"""
            SELECT n.id, n.article_id, n.start_block, n.color, n.orphaned, n.created_at,
                n.updated_at, n.original_exact IS NOT NULL AS changed,
                substr(CAST(a.title AS BLOB), 1, {size}) AS article_title,
                substr(CAST(n.exact AS BLOB), 1, {size}) AS quote,
                length(CAST(n.exact AS BLOB)) AS quote_size,
                substr(CAST(n.note AS BLOB), 1, {size}) AS note,
                length(CAST(n.note AS BLOB)) AS note_size,
                {TAG_NAMES}
            FROM (
                SELECT n.rowid AS page_rowid
                FROM {joined}
                WHERE {where} ORDER BY {order_by} LIMIT ? OFFSET ?
            ) page
            JOIN annotations n ON n.rowid = page.page_rowid
            JOIN articles a ON a.id = n.article_id
            ORDER BY {order_by}
            """,
            [*params, -1 if limit is None else max(0, limit), max(0, offset)],
        )
        entries = []
        for row in rows:
            quote, quote_is_cut = _excerpt(row["quote"], row["quote_size"])
            note, note_is_cut = _excerpt(row["note"], row["note_size"])
            entries.append(self._entry(row, quote, quote_is_cut, note, note_is_cut))
        return entries

    @staticmethod
    def _entry(
        row: dict[str, Any], quote: str, quote_is_cut: bool, note: str, note_is_cut: bool
    ) -> AnnotationEntry:
        return AnnotationEntry(
            id=row["id"],
            article_id=row["article_id"],
            article_title=_excerpt(row["article_title"], 0)[0],
            start_block=row["start_block"],
            quote=quote,
            quote_is_cut=quote_is_cut,
            note=note,
            note_is_cut=note_is_cut,
            color=row["color"],
            tags=tag_names(row["tag_names"]),
            orphaned=bool(row["orphaned"]),
            created_at=row["created_at"],
            updated_at=row["updated_at"],
            changed=bool(row["changed"]),
        )

    def count_annotation_entries(
        self, *, tag: str | None = None, text: str | None = None, orphaned: bool | None = None
    ) -> int:
        """How many annotations `list_annotation_entries` gives with these filters (no paging).

        Args:
            tag: As for `list_annotation_entries`.
            text: As for `list_annotation_entries`.
            orphaned: Only orphaned annotations (True), only placed ones (False), or both.

        Returns:
            The number of matching annotations.
        """
        found = self._entry_filter(tag, text, orphaned)
        if found is None:
            return 0
        where, params = found
        return self._count(f"SELECT count(*) FROM annotations n WHERE {where}", params)


def _excerpt(data: bytes | None, size: int | None) -> tuple[str, bool]:
    """The first `ENTRY_TEXT_CHARS` characters of UTF-8 text read as bytes, and whether
    the text (`size` bytes in all) goes on past them."""
    if not data:
        return "", False
    text = data.decode("utf-8", "ignore")[:ENTRY_TEXT_CHARS]
    return text, len(text.encode("utf-8")) < (size or 0)
