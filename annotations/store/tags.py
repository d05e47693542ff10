"""Tags: cleaning their names, putting them on annotations, listing and renaming them."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable

from annotations.errors import NotFoundError
from annotations.models import TagCount
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
    """The tags of annotations."""

    def _write_tags(self, annotation_id: str, tags: Iterable[str]) -> None:
        names = normalize_tags(tags)
        if not names:
            return
        # SQLite's NOCASE folds ASCII only: match existing tags by casefold here, so
        # "ärger" reuses an existing "Ärger" as "foo" reuses "Foo".
        existing = {
            name.casefold(): tag_id
            for tag_id, name in self.conn.execute("SELECT id, name FROM tags")
        }
        for name in names:
            tag_id = existing.get(name.casefold())
            if tag_id is None:
                tag_id = self.conn.execute("INSERT INTO tags (name) VALUES (?)", [name]).lastrowid
                existing[name.casefold()] = tag_id
            self.conn.execute(
                "INSERT OR IGNORE INTO annotation_tags (annotation_id, tag_id) VALUES (?, ?)",
                [annotation_id, tag_id],
            )

    def _drop_unused_tags(self) -> None:
        self.conn.execute(
            "DELETE FROM tags WHERE id NOT IN (SELECT DISTINCT tag_id FROM annotation_tags)"
        )

    def list_tags(self) -> list[TagCount]:
        """Every tag with the number of annotations carrying it, most used first."""
        rows = self.conn.execute(
            """
            SELECT t.name, count(x.annotation_id) FROM tags t
            LEFT JOIN annotation_tags x ON x.tag_id = t.id
            GROUP BY t.id ORDER BY count(x.annotation_id) DESC, t.name COLLATE NOCASE
            """
        )
        return [TagCount(name, count) for name, count in rows]

    def _tag_ids(self, name: str) -> list[int]:
        """Ids of the tags named `name`, compared case-insensitively (Unicode, not just ASCII)."""
        wanted = name.casefold()
        return [
            tag_id
            for tag_id, existing in self.conn.execute("SELECT id, name FROM tags")
            if existing.casefold() == wanted
        ]

    def rename_tag(self, old: str, new: str) -> int:
        """Rename a tag on every annotation; merge it into `new` if that tag exists.

        Names are compared case-insensitively, so renaming `history` to `History` only
        changes how it is written. When another tag already has the new name (in any
        case), the two merge: every annotation of `old` gets that tag, once, keeping its
        spelling (as setting tags does), and `old` disappears. One transaction does it all.

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
            if targets:
                target_id = targets[0]
                self.conn.execute(
                    "INSERT OR IGNORE INTO annotation_tags (annotation_id, tag_id) "
                    "SELECT annotation_id, ? FROM annotation_tags WHERE tag_id = ?",
                    [target_id, old_id],
                )
                self.conn.execute("DELETE FROM annotation_tags WHERE tag_id = ?", [old_id])
                self.conn.execute("DELETE FROM tags WHERE id = ?", [old_id])
            else:
                self.conn.execute("UPDATE tags SET name = ? WHERE id = ?", [name, old_id])
            self.conn.execute(
                "UPDATE annotations SET updated_at = ? "
                "WHERE id IN (SELECT value FROM json_each(?))",
                [self._now(), json.dumps(moved)],
            )
        return len(moved)
