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


class ReaderError(Exception):
    """Something reader cannot do; `str()` is one line for the user."""


class NotFoundError(ReaderError, LookupError):
    """An article, annotation or tag that does not exist (any more)."""


class LibraryError(ReaderError):
    """A library file that cannot be used; nothing was written to it."""


class BadInputError(ReaderError, ValueError):
    """Input that reader cannot use: a file, a backup, a web page or a value typed."""


class StorageError(ReaderError):
    """SQLite refused an operation; SQLite rolled it back, so nothing of it was saved.

    Attributes:
        code: SQLite's primary result code (`sqlite3.SQLITE_FULL`, ...), 0 if unknown.
    """

    def __init__(self, message: str, code: int = 0) -> None:
        super().__init__(message)
        self.code = code


def storage_problem(error: StorageError) -> str:
    """Why the library refused an operation (disk full, read-only, damaged, busy), one line.

    Whatever the operation was, SQLite has rolled it back: nothing of it was saved.
    """
    return str(error)
