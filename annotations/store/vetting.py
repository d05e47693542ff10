"""Vetting a library file before it is opened, and the memo of files found intact."""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
from pathlib import Path

from annotations.errors import LibraryError, ReaderError
from annotations.files import write_text_atomic
from annotations.store.migrations import MIGRATION_NAMES, MIGRATION_SET

SQLITE_HEADER = b"SQLite format 3\x00"
DISK_FULL_BYTES = 64 * 1024
"""Free space below which a failing library is said to be on a full disk."""


def check_library_file(path: Path) -> None:
    """Check, without writing anything, that a path can be opened as a library.

    A missing or empty file is fine (it becomes a new library: an empty file holds
    nothing that could be lost). Anything else must be an intact SQLite database that is
    empty or holds a library this version understands. The file and its folder must be
    writable: a library is written to even when only read (reading positions, journal).

    Raises:
        LibraryError: With a one-line reason naming the file.
    """
    if not path.exists():
        return
    if path.is_dir():
        raise LibraryError(f"{path} is a folder, not a library file")
    try:
        with path.open("rb") as handle:
            header = handle.read(len(SQLITE_HEADER))
    except OSError as error:
        raise LibraryError(f"cannot read library {path}: {error.strerror or error}") from None
    if header and header != SQLITE_HEADER:
        raise LibraryError(
            f"{path} is not a reader library (not an SQLite database); left untouched"
        )
    if header:
        tables, applied = _library_schema(path, integrity=not checked_unchanged(path))
        if tables and not applied:
            raise LibraryError(
                f"{path} is an SQLite database of another program, not a reader library"
            )
        if applied - set(MIGRATION_NAMES):
            raise LibraryError(
                f"{path} was written by a newer version of reader; upgrade reader to open it"
            )
    _check_writable(path)


def _library_schema(path: Path, *, integrity: bool = True) -> tuple[set[str], set[str]]:
    """The tables of an SQLite file and the library migrations applied to it.

    With `integrity`, its pages are checked first (`PRAGMA quick_check`), so that a
    damaged library is refused before anything is written to it, not halfway through a
    change. That reads the whole file: see `checked_unchanged` for when it is skipped.

    Raises:
        LibraryError: If the file cannot be read or is damaged.
    """
    try:
        return _read_schema(path, integrity)
    except sqlite3.DatabaseError:
        pass
    # Read once more: a file read as `immutable` may have been checkpointed into by
    # another process at that very moment, which looks like damage but is not.
    try:
        return _read_schema(path, integrity)
    except sqlite3.DatabaseError as error:
        raise LibraryError(_unreadable(path, error)) from None


CHECKED_REMEMBERED = 16
"""How many library files the memo of checked files (`remember_checked`) keeps."""


def _checked_memo() -> Path:
    """The file listing the libraries checked and left unchanged since (in the user cache)."""
    from platformdirs import user_cache_path

    return user_cache_path("reader") / "checked-libraries.json"


def _file_stamp(path: Path) -> list[int] | None:
    """What changes when a library file is written: identity, size and time, and its WAL's."""
    try:
        main = path.stat()
    except OSError:
        return None
    stamp = [main.st_dev, main.st_ino, main.st_size, main.st_mtime_ns]
    try:
        wal = path.with_name(f"{path.name}-wal").stat()
    except OSError:
        return stamp
    return [*stamp, wal.st_ino, wal.st_size, wal.st_mtime_ns]


def _read_checked() -> dict[str, list[int]]:
    try:
        memo = json.loads(_checked_memo().read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return memo if isinstance(memo, dict) else {}


def checked_unchanged(path: Path) -> bool:
    """Whether a library file is just as reader left it, closing it after a check.

    Then the whole-file check is skipped at open, so opening costs the same for any
    size of library. Any write since, by anyone (even of the same size, or within the
    same second), changes the file's stamp, and a file put in its place is another file.
    """
    stamp = _file_stamp(path)
    return stamp is not None and _read_checked().get(str(path.resolve())) == stamp


def remember_checked(path: Path) -> None:
    """Note a library file, checked when opened and just closed, as checked (best effort)."""
    stamp = _file_stamp(path)
    if stamp is None:
        return
    key = str(path.resolve())
    memo = {name: value for name, value in _read_checked().items() if name != key}
    memo[key] = stamp
    memo = dict(list(memo.items())[-CHECKED_REMEMBERED:])
    target = _checked_memo()
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        write_text_atomic(target, json.dumps(memo))
    except (OSError, ReaderError):
        pass  # only a shortcut for the next start: it checks the file again


def _read_schema(path: Path, integrity: bool = True) -> tuple[set[str], set[str]]:
    # Without a -wal file the main file holds everything, and `immutable` reads it
    # without creating -wal/-shm files next to a file that may not be ours.
    wal = path.with_name(f"{path.name}-wal")
    options = "mode=ro" if wal.exists() else "mode=ro&immutable=1"
    conn = sqlite3.connect(f"{path.resolve().as_uri()}?{options}", uri=True)
    try:
        problems = [row[0] for row in conn.execute("PRAGMA quick_check(1)")] if integrity else []
        if problems and problems != ["ok"]:
            raise sqlite3.DatabaseError(_first_problem(problems))
        tables = {
            row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")
        }
        applied: set[str] = set()
        if "_sqlite_migrations" in tables:
            applied = {
                row[0]
                for row in conn.execute(
                    "SELECT name FROM _sqlite_migrations WHERE migration_set = ?",
                    [MIGRATION_SET],
                )
            }
        return tables, applied
    finally:
        conn.close()


def _first_problem(problems: list[str]) -> str:
    """The first problem `PRAGMA quick_check` reported, as one line."""
    lines = [line for text in problems for line in text.splitlines() if not line.startswith("*")]
    return lines[0].strip() if lines else "integrity check failed"


def _unreadable(path: Path, error: sqlite3.DatabaseError) -> str:
    """Why a library file could not be read, as one line."""
    code = getattr(error, "sqlite_errorcode", 0) & 0xFF
    if code in (sqlite3.SQLITE_IOERR, sqlite3.SQLITE_CANTOPEN, sqlite3.SQLITE_FULL):
        return f"cannot read library {path} ({error}){disk_full_hint(path)}; left untouched"
    return f"{path} is damaged or not a library ({error}); left untouched"


def disk_full_hint(path: Path) -> str:
    """`: the disk is full` when the disk holding the path has no room left, else ``."""
    try:
        free = shutil.disk_usage(path.parent).free
    except OSError:
        return ""
    return ": the disk is full" if free < DISK_FULL_BYTES else ""


def _check_writable(path: Path) -> None:
    """Refuse a library file, or its folder, that cannot be written.

    Raises:
        LibraryError: If the file or its folder (where the journal goes) is read-only.
    """
    if not os.access(path, os.W_OK):
        raise LibraryError(f"library {path} is read-only; reader needs to write to it")
    journal = path.with_name(f"{path.name}-wal")
    if not journal.exists() and not os.access(path.parent, os.W_OK | os.X_OK):
        raise LibraryError(
            f"folder {path.parent} is read-only; reader needs to write the journal of "
            f"library {path} there"
        )
