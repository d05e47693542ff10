"""Settings kept in the library (name and value)."""

from __future__ import annotations

from annotations.store.connection import StoreBase


class SettingsMixin(StoreBase):
    """Settings kept in the library, by name."""

    def get_setting(self, name: str, default: str | None = None) -> str | None:
        """A setting kept in the library, or the default."""
        row = self.conn.execute("SELECT value FROM settings WHERE name = ?", [name]).fetchone()
        return row[0] if row else default

    def set_setting(self, name: str, value: str) -> None:
        """Keep a setting in the library."""
        self.conn.execute(
            "INSERT INTO settings (name, value) VALUES (?, ?) "
            "ON CONFLICT (name) DO UPDATE SET value = excluded.value",
            [name, value],
        )
