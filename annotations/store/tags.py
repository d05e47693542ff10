"""Tags: cleaning their names, putting them on annotations, listing and renaming them."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable

from annotations.errors import NotFoundError
from annotations.models import EDITABLE_FIELDS, Tag
from annotations.store.connection import StoreBase

_TAG_CONTROLS = re.compile(
    "[\x00-\x08\x0e-\x1b\x7f-\x84\x86-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]"
)
"""Control characters a tag name drops (whitespace ones become spaces instead)."""


def normalize_tags(tags: Iterable[str]) -> tuple[str, ...]:
    """Clean tag names: trimmed, inner whitespace collapsed, no leading '#', no duplicates.

    Control characters (escape sequences, bidirectional overrides) are dropped: a tag is
    a name to type and to show, and they would do neither.
    """
    seen: dict[str, str] = {}
    for raw in tags:
        name = re.sub(r"\s+", " ", _TAG_CONTROLS.sub("", raw)).strip().lstrip("#").strip()
        if name and name.casefold() not in seen:
            seen[name.casefold()] = name
    return tuple(seen.values())


TAG_NAMES = """(
    SELECT json_group_array(name) FROM (
        SELECT t.name FROM annotation_tags x JOIN tags t ON t.id = x.tag_id
        WHERE x.annotation_id = n.id ORDER BY t.name COLLATE NOCASE
    )
) AS tag_names"""
"""Select column of an annotation `n`'s tag names as a JSON list."""


def tag_names(names: str | None) -> tuple[str, ...]:
    """Tag names selected as a JSON list (`TAG_NAMES`)."""
    return () if not names or names == "[]" else tuple(json.loads(names))


class TagsMixin(StoreBase):
    """The tags of annotations and of articles (one set of names, shared by both)."""

    def _tag_links(self, tags: Iterable[str]) -> list[tuple[int, str]]:
        """The tags for some names (cleaned), made if missing: (id, name as the library spells it).

        SQLite's NOCASE folds ASCII only: existing tags are matched by casefold here, so
        "ärger" reuses an existing "Ärger" as "foo" reuses "Foo".
        """
        names = normalize_tags(tags)
        if not names:
            return []
        existing = {
            name.casefold(): (tag_id, name)
            for tag_id, name in self.conn.execute("SELECT id, name FROM tags")
        }
        found = []
        for name in names:
            tag = existing.get(name.casefold())
            if tag is None:
                tag_id = self.conn.execute("INSERT INTO tags (name) VALUES (?)", [name]).lastrowid
                assert tag_id is not None
                tag = existing[name.casefold()] = (tag_id, name)
            found.append(tag)
        return found

    def _write_tags(self, annotation_id: str, tags: Iterable[str]) -> None:
        for tag_id, _name in self._tag_links(tags):
            self.conn.execute(
                "INSERT OR IGNORE INTO annotation_tags (annotation_id, tag_id) VALUES (?, ?)",
                [annotation_id, tag_id],
            )

    def _write_article_tags(self, article_id: str, tags: Iterable[str]) -> tuple[str, ...]:
        """Set an article's own tags (replacing its links and `articles.tags`); call
        inside a transaction. Returns the names as stored (cleaned, the library's spelling).

        Tags no longer carried by anything are left for `_drop_unused_tags`.
        """
        links = self._tag_links(tags)
        self.conn.execute("DELETE FROM article_tags WHERE article_id = ?", [article_id])
        self.conn.executemany(
            "INSERT OR IGNORE INTO article_tags (article_id, tag_id) VALUES (?, ?)",
            [(article_id, tag_id) for tag_id, _name in links],
        )
        names = tuple(name for _tag_id, name in links)
        self.conn.execute(
            "UPDATE articles SET tags = ? WHERE id = ?",
            [json.dumps(list(names), ensure_ascii=False), article_id],
        )
        return names

    def _drop_unused_tags(self) -> None:
        self.conn.execute(
            "DELETE FROM tags WHERE id NOT IN (SELECT tag_id FROM annotation_tags) "
            "AND id NOT IN (SELECT tag_id FROM article_tags)"
        )

    def list_tags(self) -> list[Tag]:
        """Every tag with the number of annotations and of articles carrying it.

        Most used on annotations first, then on articles, then by name.
        """
        rows = self.conn.execute(
            """
            SELECT name, passages, articles FROM (
                SELECT t.name,
                    (SELECT count(*) FROM annotation_tags x WHERE x.tag_id = t.id) AS passages,
                    (SELECT count(*) FROM article_tags y WHERE y.tag_id = t.id) AS articles
                FROM tags t
            ) ORDER BY passages DESC, articles DESC, name COLLATE NOCASE
            """
        )
        return [Tag(name, passages, articles) for name, passages, articles in rows]

    def _tag_ids(self, name: str) -> list[int]:
        """Ids of the tags named `name`, compared case-insensitively (Unicode, not just ASCII)."""
        wanted = name.casefold()
        return [
            tag_id
            for tag_id, existing in self.conn.execute("SELECT id, name FROM tags")
            if existing.casefold() == wanted
        ]

    def rename_tag(self, old: str, new: str) -> int:
        """Rename a tag on every annotation and article; merge it into `new` if that tag exists.

        Names are compared case-insensitively, so renaming `history` to `History` only
        changes how it is written. When another tag already has the new name (in any
        case), the two merge: every annotation and article of `old` gets that tag, once,
        keeping its spelling (as setting tags does), and `old` disappears. An article's
        tags renamed count as set by hand (a re-import keeps them, see `Article.edited`).
        One transaction does it all.

        Args:
            old: The tag to rename.
            new: Its new name (cleaned as tags are when set: trimmed, no leading '#').

        Returns:
            How many annotations carried `old` and now carry `new`.

        Raises:
            NotFoundError: If no tag is named `old`.
            ValueError: If `new` is empty once cleaned.
        """
        names = normalize_tags([new])
        if not names:
            raise ValueError("a tag name cannot be empty")
        name = names[0]
        with self._write():
            old_names = normalize_tags([old])
            found = self._tag_ids(old_names[0]) if old_names else []
            if not found:
                raise NotFoundError(f"no tag named {old!r}")
            old_id = found[0]
            targets = [tag_id for tag_id in self._tag_ids(name) if tag_id != old_id]
            moved = [
                annotation_id
                for (annotation_id,) in self.conn.execute(
                    "SELECT annotation_id FROM annotation_tags WHERE tag_id = ?", [old_id]
                )
            ]
            articles = [
                article_id
                for (article_id,) in self.conn.execute(
                    "SELECT article_id FROM article_tags WHERE tag_id = ?", [old_id]
                )
            ]
            (old_name,) = self.conn.execute(
                "SELECT name FROM tags WHERE id = ?", [old_id]
            ).fetchone()
            if targets:
                target_id = targets[0]
                self.conn.execute(
                    "INSERT OR IGNORE INTO annotation_tags (annotation_id, tag_id) "
                    "SELECT annotation_id, ? FROM annotation_tags WHERE tag_id = ?",
                    [target_id, old_id],
                )
                self.conn.execute("DELETE FROM annotation_tags WHERE tag_id = ?", [old_id])
                self.conn.execute(
                    "INSERT OR IGNORE INTO article_tags (article_id, tag_id) "
                    "SELECT article_id, ? FROM article_tags WHERE tag_id = ?",
                    [target_id, old_id],
                )
                self.conn.execute("DELETE FROM tags WHERE id = ?", [old_id])
                (name,) = self.conn.execute(
                    "SELECT name FROM tags WHERE id = ?", [target_id]
                ).fetchone()
            else:
                self.conn.execute("UPDATE tags SET name = ? WHERE id = ?", [name, old_id])
            now = self._now()
            self.conn.execute(
                "UPDATE annotations SET updated_at = ? "
                "WHERE id IN (SELECT value FROM json_each(?))",
                [now, json.dumps(moved)],
            )
            self._respell_article_tags(articles, old_name, name, now)
        return len(moved)

    def _respell_article_tags(self, article_ids: list[str], old: str, new: str, now: str) -> None:
        """Write `new` for `old` in the `tags` of articles whose tag was renamed or merged."""
        for article_id in article_ids:
            (raw, edited) = self.conn.execute(
                "SELECT tags, edited FROM articles WHERE id = ?", [article_id]
            ).fetchone()
            names: dict[str, str] = {}
            for tag in json.loads(raw or "[]"):
                spelled = new if tag.casefold() == old.casefold() else tag
                names.setdefault(spelled.casefold(), spelled)
            marked = set(json.loads(edited or "[]")) | {"tags"}
            self.conn.execute(
                "UPDATE articles SET tags = ?, edited = ?, updated_at = ? WHERE id = ?",
                [
                    json.dumps(list(names.values()), ensure_ascii=False),
                    json.dumps([f for f in EDITABLE_FIELDS if f in marked]),
                    now,
                    article_id,
                ],
            )
