"""The errors of reader's core: one hierarchy, each with a one-line message for the user.

Callers catch `ReaderError` at their edge (the command line prints it in one line, the
app shows it as a notice) and one of its kinds where they act on it:

- `NotFoundError`: an article, annotation or tag that does not exist, or no longer does
  (another process deleted it);
- `LibraryError`: a library file that cannot be used, refused before anything was written;
- `StorageError`: SQLite refused an operation (disk full, read-only, damaged, busy);
  nothing of that operation was saved;
- `BadInputError`: a file, backup, page or value that reader cannot use.

No `sqlite3` exception leaves the store: it is wrapped in a `StorageError` whose
`__cause__` is the driver's error.
"""

from __future__ import annotations

import sqlite3


class ReaderError(Exception):
    """Something reader cannot do; `str()` is one line for the user."""


class NotFoundError(ReaderError, LookupError):
    """An article, annotation or tag that does not exist (any more)."""


class LibraryError(ReaderError):
    """A library file that cannot be used; nothing was written to it."""


class BadInputError(ReaderError, ValueError):
    """Input that reader cannot use: a file, a backup, a web page or a value typed."""


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


class StorageError(ReaderError):
    """SQLite refused an operation; SQLite rolled it back, so nothing of it was saved.

    Attributes:
        code: SQLite's primary result code (`sqlite3.SQLITE_FULL`, ...), 0 if unknown.
    """

    def __init__(self, message: str, code: int = 0) -> None:
        super().__init__(message)
        self.code = code

    @classmethod
    def from_sqlite(cls, error: sqlite3.Error) -> StorageError:
        """The error for a driver's exception, saying why in one line."""
        code = getattr(error, "sqlite_errorcode", 0) & 0xFF
        detail = " ".join(str(error).split()) or type(error).__name__
        reason = STORAGE_REASONS.get(code)
        return cls(f"{reason} ({detail})" if reason else detail, code)


def storage_problem(error: sqlite3.Error | StorageError) -> str:
    """Why the library refused an operation (disk full, read-only, damaged, busy), one line.

    Whatever the operation was, SQLite has rolled it back: nothing of it was saved.
    """
    if isinstance(error, StorageError):
        return str(error)
    return str(StorageError.from_sqlite(error))
