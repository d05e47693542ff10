"""The library files this process has open, kept out of reach of Python's `open()`.

SQLite's locks on a file are POSIX locks, which belong to the process: closing *any*
descriptor of the file in the process drops all of them, those of its open connections
included (SQLite's "How To Corrupt An SQLite Database File", 2.2). Another process then
believes it is the library's last user, checkpoints it and deletes the WAL under this
one, and what this process writes next is lost or damages the file.

So, in a process that has a library open, the library file and its `-wal`, `-shm` and
`-journal` files are touched only through SQLite. The store registers each library it
opens here; code that reads or writes a path the user named (an import, a backup, an
export target) asks `is_open_library` first and refuses such a path.
"""

from __future__ import annotations

import os
import threading
from collections import Counter
from pathlib import Path

SIDE_FILES = ("-wal", "-shm", "-journal")
"""What SQLite keeps next to a library file, named after it."""

OPENING = threading.RLock()
"""Held while a library file is vetted and connected to, and while it is closed: the
vetting reads the file's header with `open()`, which is safe only while no connection
of this process has the file open."""

_open: Counter[tuple[int, int]] = Counter()
"""(device, inode) of each library file this process has open, with its connection count."""
_names: dict[tuple[int, int], Path] = {}
"""The path each open library was opened by, to find its side files."""


def _identity(path: Path) -> tuple[int, int] | None:
    try:
        status = os.stat(path)
    except (OSError, ValueError):
        return None
    return status.st_dev, status.st_ino


def register(path: Path) -> tuple[int, int] | None:
    """Note a connection of this process to a library file; returns the key to release."""
    key = _identity(path)
    if key is not None:
        with OPENING:
            _open[key] += 1
            _names[key] = path
    return key


def release(key: tuple[int, int] | None) -> None:
    """Forget one connection noted by `register`."""
    if key is None:
        return
    with OPENING:
        _open[key] -= 1
        if _open[key] <= 0:
            del _open[key]
            _names.pop(key, None)


def in_use(path: Path) -> bool:
    """Whether this process has a connection to this library file."""
    key = _identity(path)
    with OPENING:
        return key is not None and key in _open


def names_in(folder: Path) -> set[str]:
    """The names of the open libraries' files (and side files) that lie in a folder.

    For writing many files into one folder: one look at the folder instead of one per file.
    """
    with OPENING:
        libraries = list(_names.values())
    try:
        where = folder.expanduser().resolve()
    except (OSError, RuntimeError, ValueError):
        return set()
    return {
        library.name + suffix
        for library in libraries
        if library.parent.resolve() == where
        for suffix in ("", *SIDE_FILES)
    }


def is_open_library(path: Path) -> bool:
    """Whether a path is a library file this process has open, or one of its side files
    (also before SQLite has made them). Only `stat` is used, never `open()`."""
    key = _identity(path)
    with OPENING:
        if key is not None and key in _open:
            return True
        libraries = list(_names.values())
    try:
        where = Path(path).expanduser().absolute()
        where = where.parent.resolve() / where.name
    except (OSError, RuntimeError, ValueError):
        return False
    for library in libraries:
        for suffix in SIDE_FILES:
            side = library.with_name(library.name + suffix)
            if key is not None and _identity(side) == key:
                return True
            if where.name == side.name and where.parent == side.parent.resolve():
                return True
    return False
