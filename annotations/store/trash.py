"""The trash's table: entries added, found, read and removed (`annotations.trash` fills it)."""

from __future__ import annotations

from typing import Any

from annotations.errors import NotFoundError
from annotations.models import TrashEntry
from annotations.store.connection import StoreBase

TRASH_KINDS: tuple[str, ...] = ("article", "annotation")
"""What the trash holds."""


class TrashMixin(StoreBase):
    """Deleted articles and annotations, each with the JSON record that brings it back.

    These are the trash's rows only: deleting to it and bringing back is
    `annotations.trash`, which writes the records (JSON exports) and reads them back.
    """

    _TRASH_COLUMNS = "id, kind, item_id, article_id, title, annotations, deleted_at"

    @staticmethod
    def _trash_entry(row: Any) -> TrashEntry:
        return TrashEntry(*row)

    def add_trash_entry(
        self,
        kind: str,
        item_id: str,
        article_id: str,
        title: str,
        annotations: int,
        record: str,
    ) -> TrashEntry:
        """Put a record of something deleted in the trash, dated now.

        Args:
            kind: `article` or `annotation`.
            item_id: The id of what was deleted.
            article_id: The article it belongs to (its own id for an article).
            title: The article's title.
            annotations: How many annotations went with it.
            record: What brings it back (a JSON export).

        Returns:
            The new entry.

        Raises:
            ValueError: For an unknown kind.
        """
        if kind not in TRASH_KINDS:
            raise ValueError(f"unknown kind {kind!r}; use one of {', '.join(TRASH_KINDS)}")
        with self._write():
            cursor = self.conn.execute(
                "INSERT INTO trash (kind, item_id, article_id, title, annotations, deleted_at, "
                "record) VALUES (?, ?, ?, ?, ?, ?, ?)",
                [kind, item_id, article_id, title, annotations, self._now(), record],
            )
            entry_id = cursor.lastrowid
            assert entry_id is not None
            return self.get_trash_entry(entry_id)

    def get_trash_entry(self, entry_id: int) -> TrashEntry:
        """One entry of the trash by its number.

        Raises:
            NotFoundError: If the trash has no such entry.
        """
        row = self.conn.execute(
            f"SELECT {self._TRASH_COLUMNS} FROM trash WHERE id = ?", [entry_id]
        ).fetchone()
        if row is None:
            raise NotFoundError(f"no entry {entry_id} in the trash")
        return self._trash_entry(row)

    def trash_entries(self) -> list[TrashEntry]:
        """Everything in the trash, most recently deleted first."""
        cursor = self.conn.execute(f"SELECT {self._TRASH_COLUMNS} FROM trash ORDER BY id DESC")
        return [self._trash_entry(row) for row in cursor]

    def count_trash(self) -> int:
        """How many entries the trash holds."""
        return self._count("SELECT count(*) FROM trash")

    def find_trash_entry(self, reference: str) -> TrashEntry:
        """The latest entry of the trash for an article or annotation id, or a unique
        prefix of one.

        Raises:
            NotFoundError: If nothing in the trash has that id, or several ids start so.
        """
        reference = reference.strip()
        if not reference:
            raise NotFoundError("no id given")
        latest = (
            f"SELECT {self._TRASH_COLUMNS} FROM trash WHERE item_id = ? ORDER BY id DESC LIMIT 1"
        )
        row = self.conn.execute(latest, [reference]).fetchone()
        if row is not None:
            return self._trash_entry(row)
        chosen = self._unique_prefix(
            "SELECT DISTINCT item_id FROM trash WHERE item_id >= ? AND item_id < ? "
            "ORDER BY item_id LIMIT 2",
            reference,
            missing="nothing with id {typed} in the trash",
            ambiguous="id {typed} is ambiguous in the trash; give more characters",
        )
        return self._trash_entry(self.conn.execute(latest, [chosen]).fetchone())

    def trash_record(self, entry_id: int) -> str:
        """The record (a JSON export) of an entry of the trash.

        Raises:
            NotFoundError: If the trash has no such entry.
        """
        row = self.conn.execute("SELECT record FROM trash WHERE id = ?", [entry_id]).fetchone()
        if row is None:
            raise NotFoundError(f"no entry {entry_id} in the trash")
        record: str = row[0]
        return record

    def remove_trash_entry(self, entry_id: int) -> None:
        """Take one entry out of the trash (it was brought back, or is gone for good)."""
        self.conn.execute("DELETE FROM trash WHERE id = ?", [entry_id])

    def has_trash_before(self, moment: str) -> bool:
        """Whether the trash holds anything deleted before a moment (ISO 8601, UTC)."""
        row = self.conn.execute(
            "SELECT 1 FROM trash WHERE deleted_at < ? LIMIT 1", [moment]
        ).fetchone()
        return row is not None

    def remove_trash_entries(self, before: str | None = None) -> int:
        """Empty the trash, or only of what was deleted before a moment (ISO 8601, UTC).

        Returns:
            How many entries were removed.
        """
        with self._write():
            if before is None:
                cursor = self.conn.execute("DELETE FROM trash")
            else:
                cursor = self.conn.execute("DELETE FROM trash WHERE deleted_at < ?", [before])
            return cursor.rowcount
