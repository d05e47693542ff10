"""The connection to a library: setup, WAL, migrations and backups, transactions, errors."""

from __future__ import annotations

import functools
import inspect
import itertools
import shutil
import sqlite3
import time
from collections.abc import Callable, Generator, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Self

from annotations import guard
from annotations.errors import LibraryError, NotFoundError, StorageError
from annotations.models import format_timestamp
from annotations.store.migrations import MIGRATION_NAMES, MIGRATION_SET, migration_set
from annotations.store.vetting import check_library_file, disk_full_hint, remember_checked

if TYPE_CHECKING:
    from sqlite_utils import Database

BUSY_TIMEOUT_MS = 10_000

Clock = Callable[[], datetime]

STORAGE_REASONS = {
    sqlite3.SQLITE_FULL: "the disk is full",
    sqlite3.SQLITE_READONLY: "the library is read-only",
    sqlite3.SQLITE_CORRUPT: "the library file is damaged",
    sqlite3.SQLITE_NOTADB: "the library file is damaged",
    sqlite3.SQLITE_BUSY: "another program kept the library busy",
    sqlite3.SQLITE_LOCKED: "another program kept the library busy",
    sqlite3.SQLITE_IOERR: "the disk could not be read or written",
}
"""What each of SQLite's primary result codes means to the reader of a message."""


def storage_error(error: sqlite3.Error) -> StorageError:
    """The `StorageError` for a driver's exception, saying why in one line."""
    code = getattr(error, "sqlite_errorcode", 0) & 0xFF
    detail = " ".join(str(error).split()) or type(error).__name__
    reason = STORAGE_REASONS.get(code)
    return StorageError(f"{reason} ({detail})" if reason else detail, code)


def utc_now() -> datetime:
    """The current time in UTC."""
    return datetime.now(UTC)


def sqlite_version() -> str:
    """The version of the SQLite library the store runs on."""
    return sqlite3.sqlite_version


@contextmanager
def write_transaction(conn: sqlite3.Connection) -> Iterator[None]:
    """A transaction that holds the library's write lock from its start (a savepoint
    when one is open already).

    A plain `BEGIN` starts as a reader and asks for the write lock at its first write;
    if another process wrote in between, SQLite fails at once with "database is
    locked", as waiting would not help a transaction that read older data. `BEGIN
    IMMEDIATE` waits for the lock first (up to the busy timeout), so concurrent writers
    take turns. Readers never wait for writers in WAL mode.
    """
    if conn.in_transaction:
        name = f"nested_{next(_savepoints)}"
        conn.execute(f"SAVEPOINT {name}")
        try:
            yield
        except BaseException:
            # An error such as a RAISE(ROLLBACK) trigger may have ended the whole
            # transaction, savepoint included: then there is nothing to undo here.
            if conn.in_transaction:
                conn.execute(f"ROLLBACK TO SAVEPOINT {name}")
                conn.execute(f"RELEASE SAVEPOINT {name}")
            raise
        conn.execute(f"RELEASE SAVEPOINT {name}")
        return
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield
    except BaseException:
        _rollback(conn)
        raise
    try:
        conn.execute("COMMIT")
    except BaseException:
        _rollback(conn)
        raise


_savepoints = itertools.count(1)


def _rollback(conn: sqlite3.Connection) -> None:
    if conn.in_transaction:
        conn.execute("ROLLBACK")


class StoreBase:
    """The connection to one library, which every part of the store works through.

    Opening vets the file (unless this process has it open already), sets up WAL and
    applies pending migrations (after a backup). Tests pass `Database(memory=True)`.

    The store speaks SQL on `conn` itself; `db`, the sqlite-utils `Database` on the
    same connection, is made when first needed (inserts and updates of whole rows,
    migrations), so opening an article does not pay for importing sqlite-utils. The
    connection runs in autocommit mode: a write outside `_write()` commits at once.
    """

    def __init__(self, db: Database | str | Path, clock: Clock = utc_now) -> None:
        self._guard_key: tuple[int, int] | None = None
        self._db: Database | None = None
        if not isinstance(db, str | Path):
            self.path: Path | None = None
            self._db = db
            self.conn = db.conn
            # The store decides where transactions begin and end (see `_write`).
            self.conn.isolation_level = None
        else:
            self.path = Path(db).expanduser()
            with guard.OPENING:
                # A file this process has open was vetted when first opened; reading it
                # again with open() would drop the locks of the connections it has.
                if not guard.in_use(self.path):
                    check_library_file(self.path)
                try:
                    self.path.parent.mkdir(parents=True, exist_ok=True)
                    self.conn = sqlite3.connect(self.path, isolation_level=None)
                except (OSError, sqlite3.Error) as error:
                    raise LibraryError(
                        f"cannot open library {self.path}: {error}{disk_full_hint(self.path)}"
                    ) from None
                self._guard_key = guard.register(self.path)
        self.clock = clock
        try:
            self._configure()
            self._migrate()
        except LibraryError:
            # Closing lets SQLite remove the journal files it made next to the library.
            self.close(remember=False)
            raise

    @property
    def db(self) -> Database:
        """The library as a sqlite-utils `Database` (on the store's own connection)."""
        if self._db is None:
            from sqlite_utils import Database

            self._db = Database(self.conn, recursive_triggers=False, execute_plugins=False)
        return self._db

    def _write(self) -> AbstractContextManager[None]:
        """One transaction holding the write lock (see `write_transaction`)."""
        return write_transaction(self.conn)

    def _query(self, sql: str, params: Sequence[Any] = ()) -> Iterator[dict[str, Any]]:
        """The rows of a query (run at once, read as iterated), as dicts of column to value."""
        cursor = self.conn.execute(sql, params)
        names = [column[0] for column in cursor.description]
        return (dict(zip(names, row, strict=True)) for row in cursor)

    def _insert(self, table: str, row: dict[str, Any]) -> None:
        """Add one row to one of the library's tables."""
        columns = ", ".join(row)
        marks = ", ".join("?" * len(row))
        self.conn.execute(f"INSERT INTO {table} ({columns}) VALUES ({marks})", list(row.values()))

    def _update(self, table: str, key: str, values: dict[str, Any]) -> None:
        """Change columns of the row whose `id` is `key`."""
        changes = ", ".join(f"{column} = ?" for column in values)
        self.conn.execute(f"UPDATE {table} SET {changes} WHERE id = ?", [*values.values(), key])

    def _configure(self) -> None:
        conn = self.conn
        conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        conn.execute("PRAGMA foreign_keys = ON")
        conn.execute("PRAGMA recursive_triggers = ON")
        if self.path is not None:
            try:
                self._use_wal()
                conn.execute("PRAGMA synchronous = NORMAL")
            except sqlite3.OperationalError as error:
                raise LibraryError(
                    f"cannot open library {self.path}: {error}{disk_full_hint(self.path)}"
                ) from None

    def _use_wal(self) -> None:
        """Put the library in WAL mode, waiting while another process is using it.

        Switching a new library to WAL needs it to itself for a moment, and SQLite does
        not wait for that (no busy timeout): so this tries again, up to the timeout.
        """
        deadline = time.monotonic() + BUSY_TIMEOUT_MS / 1000
        while True:
            try:
                self.conn.execute("PRAGMA journal_mode = WAL")
                return
            except sqlite3.OperationalError as error:
                busy = getattr(error, "sqlite_errorcode", 0) & 0xFF == sqlite3.SQLITE_BUSY
                if not busy or time.monotonic() > deadline:
                    raise
                time.sleep(0.01)

    def _migrate(self) -> None:
        try:
            if not self._pending_migrations():
                return
            # Another process may be preparing the same library (two first starts at
            # once): one at a time, and what is pending is read again under the lock.
            with self._write():
                pending = self._pending_migrations()
                if not pending:
                    return
                if self.path is not None and len(pending) < len(MIGRATION_NAMES):
                    self._backup(f"before-{pending[0]}")
                migration_set().apply(self.db)
        except sqlite3.Error as error:
            where = self.path or "memory"
            raise LibraryError(f"cannot prepare library {where}: {error}") from None

    def _pending_migrations(self) -> list[str]:
        """The names of the migrations not applied to this library yet, in order."""
        applied: set[str] = set()
        recorded = self.conn.execute(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = '_sqlite_migrations'"
        ).fetchone()
        if recorded:
            applied = {
                name
                for (name,) in self.conn.execute(
                    "SELECT name FROM _sqlite_migrations WHERE migration_set = ?",
                    [MIGRATION_SET],
                )
            }
        return [name for name in MIGRATION_NAMES if name not in applied]

    def _backup(self, label: str) -> Path:
        """Copy the library next to itself before changing its schema.

        The copy is read through a connection of its own: by now the library's
        connection holds the write lock, and SQLite's backup cannot read through a
        connection that is writing (it would wait for itself forever).
        """
        assert self.path is not None
        target = self.path.with_name(f"{self.path.name}.{label}.bak")
        source = sqlite3.connect(self.path)
        backup = sqlite3.connect(target)
        try:
            source.backup(backup)
        finally:
            backup.close()
            source.close()
        shutil.copymode(self.path, target)
        return target

    def version(self) -> tuple[int, int]:
        """A mark that changes whenever the library changes, through this store or any
        other connection or process; equal marks mean nothing changed in between.

        Cheap enough to ask before every read a screen would otherwise repeat.
        """
        conn = self.conn
        (data_version,) = conn.execute("PRAGMA data_version").fetchone()
        return data_version, conn.total_changes

    @contextmanager
    def transaction(self) -> Iterator[Self]:
        """One transaction around several calls of this store: all of them or nothing.

        Raises:
            StorageError: If SQLite refused any of it (then nothing of it was saved).
        """
        try:
            with self._write():
                yield self
        except sqlite3.Error as error:
            raise storage_error(error) from error

    def close(self, *, remember: bool = True) -> None:
        """Close the connection (and remember the file as checked: see `checked_unchanged`)."""
        with guard.OPENING:
            self.conn.close()
            guard.release(self._guard_key)
            self._guard_key = None
        if remember and self.path is not None and self.path.exists():
            remember_checked(self.path)

    def _now(self) -> str:
        return format_timestamp(self.clock())

    def _unique_prefix(self, sql: str, reference: str, *, missing: str, ambiguous: str) -> str:
        """The one id that a full id or its first characters name among those `sql`
        lists (`sql` takes the two bounds of a range of ids, lowest first).

        Args:
            sql: A query of ids in a range, at most two rows.
            reference: What the user typed (case does not matter).
            missing: The error when nothing matches, with `{typed}` for what was typed.
            ambiguous: The error when several ids start so, with `{typed}`.

        Raises:
            NotFoundError: With one of the two messages.
        """
        typed = reference.strip()
        key = typed.lower()
        ids = [item_id for (item_id,) in self.conn.execute(sql, [key, key + "\uffff"])]
        if not ids:
            raise NotFoundError(missing.format(typed=typed))
        if len(ids) > 1 and key not in ids:
            raise NotFoundError(ambiguous.format(typed=typed))
        return key if key in ids else str(ids[0])

    def _count(self, sql: str, params: Sequence[Any] = ()) -> int:
        """The number a `SELECT count(*) ...` query gives."""
        count: int = self.conn.execute(sql, params).fetchone()[0]
        return count


def storage_errors(method: Callable[..., Any]) -> Callable[..., Any]:
    """A store method whose `sqlite3` errors come out as `StorageError`s."""
    if inspect.isgeneratorfunction(method):

        @functools.wraps(method)
        def generate(*args: Any, **kwargs: Any) -> Generator[Any, Any, Any]:
            try:
                return (yield from method(*args, **kwargs))
            except sqlite3.Error as error:
                raise storage_error(error) from error

        return generate

    @functools.wraps(method)
    def call(*args: Any, **kwargs: Any) -> Any:
        try:
            return method(*args, **kwargs)
        except sqlite3.Error as error:
            raise storage_error(error) from error

    return call
