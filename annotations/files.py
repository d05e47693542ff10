"""Writing files atomically and durably: one file, or a batch of files in one folder.

A file is written to a hidden temporary file next to it (`.<name>.<8 characters>.tmp`),
made durable, then renamed over its target: a crash or a full disk leaves the target
either as it was or whole, and the temporary files of failed writes are removed.
"""

from __future__ import annotations

import base64
import contextlib
import os
import re
import stat
import tempfile
import time
from collections.abc import Iterable
from pathlib import Path

from annotations import guard
from annotations.errors import BadInputError


def write_text_atomic(path: Path, text: str) -> None:
    """Write a text file so that it is either fully written or not changed at all.

    The file gets the permissions of the file it replaces, or the usual ones for a
    new file (0o666 less the umask), not the private 0o600 of a temporary file.
    """
    write_chunks_atomic(path, [text])


def write_chunks_atomic(path: Path, chunks: Iterable[str]) -> None:
    """Write text given piece by piece, atomically, as `write_text_atomic` does.

    The pieces go to a temporary file next to the target as they come, so a large
    export is never held in memory as one string; the target appears only once all of
    it is written.
    """
    _write_atomic(path, chunks, 0o666 & ~_umask())
    remove_stale_temporaries(path)


def refuse_library(path: Path) -> None:
    """Refuse to write over the library file this process has open (or its side files).

    Raises:
        BadInputError: Naming the path.
    """
    if guard.is_open_library(path):
        raise BadInputError(f"{path} is the library file; choose another file to write")


def _write_atomic(path: Path, chunks: Iterable[str], new_mode: int) -> None:
    """Write a file atomically (temporary file, fsync, rename); `new_mode` if it is new.

    Safe to run in several threads at once (the umask is read by the caller).

    Raises:
        BadInputError: If the path is the library file (or one of its side files).
    """
    refuse_library(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        try:
            mode = stat.S_IMODE(path.stat().st_mode)
        except FileNotFoundError:
            mode = new_mode
        os.chmod(temporary, mode)
        with os.fdopen(handle, "w", encoding="utf-8", newline="\n") as file:
            for chunk in chunks:
                file.write(chunk)
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


STALE_TEMPORARY_SECONDS = 3600
"""How long a temporary file of an atomic write must be untouched to count as left over."""


def remove_stale_temporaries(path: Path) -> list[Path]:
    """Remove the temporary files that killed writes of `path` left next to it.

    A write that is killed (power cut, SIGKILL) leaves its temporary file: hidden
    (`.<name>.<8 random characters>.tmp`), never under the target's name, so never
    mistaken for an export. One untouched for an hour cannot be a write still going on.

    Returns:
        The files removed.
    """
    return remove_stale_temporaries_in(path.parent, {path.name})


_TEMPORARY = re.compile(r"\.(.+)\.[a-z0-9_]{8}\.tmp")
"""The name of a temporary file of an atomic write; its group is the target's name."""


def remove_stale_temporaries_in(folder: Path, names: set[str]) -> list[Path]:
    """Remove the stale temporary files of writes of any of `names` in a folder, in one pass."""
    limit = time.time() - STALE_TEMPORARY_SECONDS
    removed: list[Path] = []
    try:
        with os.scandir(folder) as found:
            entries = [
                entry
                for entry in found
                if (match := _TEMPORARY.fullmatch(entry.name)) and match.group(1) in names
            ]
    except OSError:
        return removed
    for entry in entries:
        try:
            if entry.is_file(follow_symlinks=False) and entry.stat().st_mtime < limit:
                os.unlink(entry.path)
                removed.append(Path(entry.path))
        except OSError:
            continue
    return removed


def _umask() -> int:
    """The process's umask (reading it means setting it, so it is set straight back)."""
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


SYNC_BATCH_FILES = 10_000
"""Files a `BatchWriter` writes before making them durable with one sync, then renaming them.

Each sync stalls the creation of files for a while after it (the file system commits its
journal), so a whole library is best written with one sync; the limit only bounds the
hidden temporary files a crash can leave (removed by the next export after an hour)."""
SYNC_BATCH_BYTES = 256 * 1024 * 1024
"""Bytes a `BatchWriter` writes before making them durable, whatever the number of files."""


_NEW_FILE = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
"""Flags that create a file that must not exist yet, for bytes (no newline translation)."""


class BatchWriter:
    """Writes files of one folder atomically, making a whole batch durable at once.

    Each file goes to a hidden temporary file next to it. Once `SYNC_BATCH_FILES` files
    (or `SYNC_BATCH_BYTES`) are written, one `os.sync` makes them all durable, and only
    then is each renamed over its target; the folder itself is synced at the end. So a
    crash or a full disk leaves every target either as it was or whole, as one fsync per
    file would, for the cost of a few syncs instead of thousands (which took most of the
    time of a large export). The price: the sync covers every file system, so a large
    copy going on at the same time makes the export wait for it too. Where `os.sync` is
    missing (Windows), each file is fsynced before its rename instead.

    On an error, the temporary files not yet renamed are removed and the error raised.
    """

    def __init__(self, folder: Path) -> None:
        self._folder = folder
        self._mode = 0o666 & ~_umask()
        # One random part for all the files: their temporary files need no name search.
        self._token = base64.b32encode(os.urandom(5)).decode("ascii").lower()
        self._pending: list[tuple[str, Path]] = []
        self._size = 0
        self._sync_each = not hasattr(os, "sync")
        self._refused = guard.names_in(folder)
        """Names in the folder that are the open library's own files."""

    def __enter__(self) -> BatchWriter:
        return self

    def write(self, path: Path, text: str, *, replacing: bool = False) -> None:
        """Write a file (a batch at a time); `replacing` keeps the permissions of the file."""
        if path.name in self._refused:
            raise BadInputError(f"{path} is the library file; choose another folder to write")
        data = text.encode("utf-8")
        handle, temporary = self._temporary(path)
        try:
            if replacing:
                with contextlib.suppress(FileNotFoundError):
                    os.chmod(temporary, stat.S_IMODE(path.stat().st_mode))
            with open(handle, "wb") as file:
                file.write(data)
                if self._sync_each:
                    file.flush()
                    os.fsync(file.fileno())
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
        self._pending.append((temporary, path))
        self._size += len(data)
        if len(self._pending) >= SYNC_BATCH_FILES or self._size >= SYNC_BATCH_BYTES:
            self._flush()

    def _temporary(self, path: Path) -> tuple[int, str]:
        """A new temporary file for `path`, open, with the usual permissions of a new file."""
        name = os.path.join(self._folder, f".{path.name}.{self._token}.tmp")
        try:
            return os.open(name, _NEW_FILE, 0o666), name
        except FileExistsError:
            handle, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
            os.chmod(name, self._mode)
            return handle, name

    def _flush(self) -> None:
        """Make the written files durable, then put each in place."""
        if not self._sync_each:
            os.sync()
        for done, (temporary, path) in enumerate(self._pending):
            try:
                os.replace(temporary, path)
            except BaseException:
                del self._pending[:done]
                raise
        self._pending.clear()
        self._size = 0

    def __exit__(self, kind: type[BaseException] | None, *_: object) -> None:
        try:
            if kind is None:
                self._flush()
                _sync_folder(self._folder)
        finally:
            for temporary, _path in self._pending:
                Path(temporary).unlink(missing_ok=True)


def _sync_folder(folder: Path) -> None:
    """Make the renames in a folder durable, where the system can sync a folder."""
    try:
        handle = os.open(folder, os.O_RDONLY)
    except OSError:
        return  # Windows cannot open a folder; its renames are durable on their own
    try:
        os.fsync(handle)
    except OSError:
        pass  # some file systems cannot sync a folder
    finally:
        os.close(handle)
