"""The app's locks on its library hold while other processes use the library too.

SQLite's locks belong to the process, and closing any descriptor of the library file
in the process drops them all. If the app did that (say, reading the file's header to
vet it when a dialog opens a second connection), another process would believe it is
the library's last user, checkpoint it and delete the WAL under the app: the app's
later writes would be lost to everyone else, and the library damaged.
"""

from __future__ import annotations

import asyncio
import builtins
import contextlib
import io
import json
import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from annotations import guard
from annotations.models import Block, BlockKind, Document
from annotations.store import AnnotationStore
from reader.app import ReaderApp
from reader.cli import cli
from reader.library import open_library
from reader.screens.article import ArticleScreen
from reader.screens.library import LibraryScreen
from tests.conftest import FixedClock


def reader(library: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """Run the `reader` command in a process of its own."""
    return subprocess.run(
        [sys.executable, "-m", "reader", "--db", str(library), *args],
        capture_output=True,
        text=True,
        env=os.environ.copy(),
        timeout=120,
    )


def wal_identity(library: Path) -> tuple[int, int]:
    """The WAL file's device and inode: a deleted and remade WAL is another file."""
    status = os.stat(library.with_name(library.name + "-wal"))
    return status.st_dev, status.st_ino


def integrity(library: Path) -> str:
    """`PRAGMA integrity_check` of the library, run by another process."""
    check = (
        "import sqlite3, sys\n"
        "conn = sqlite3.connect(sys.argv[1])\n"
        "print(conn.execute('PRAGMA integrity_check').fetchone()[0])\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", check, str(library)], capture_output=True, text=True, timeout=60
    )
    return done.stdout.strip() or done.stderr.strip()


def write_articles(folder: Path, count: int, label: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for number in range(count):
        paragraphs = "\n\n".join(
            f"{label} article {number}, paragraph {p}: the river keeps its course."
            for p in range(40)
        )
        (folder / f"{label}-{number}.md").write_text(f"# {label} {number}\n\n{paragraphs}\n")
    return folder


async def type_path(pilot: Any, text: str) -> None:
    await pilot.press(*[{" ": "space", "/": "slash", ".": "full_stop"}.get(c, c) for c in text])


async def import_in_app(app: ReaderApp, pilot: Any, target: str) -> None:
    """Import through the import dialog (`i`, the path, enter) and wait for it to end."""
    screen = app.screen
    assert isinstance(screen, LibraryScreen)
    await pilot.press("i")
    await type_path(pilot, target)
    await pilot.press("enter")
    await pilot.pause()
    assert await asyncio.to_thread(screen.import_thread_done.wait, 60)
    await pilot.pause()


async def test_the_import_dialog_leaves_the_app_its_wal_and_locks(tmp_path: Path) -> None:
    """The sequence that deleted the WAL under the app, with two real processes.

    The app imports through its dialog (a missing path, then a real file), another
    process lists the library, the app highlights, another process exports and
    imports while the app writes: the WAL is the same file throughout, each side sees
    the other's writes, and the library passes the integrity check.
    """
    library = tmp_path / "library.db"
    store = open_library(library, clock=FixedClock())
    app = ReaderApp(store, export_folder=tmp_path / "exports")
    article = write_articles(tmp_path / "mine", 1, "Mine") / "Mine-0.md"
    theirs = write_articles(tmp_path / "theirs", 30, "Theirs")
    async with app.run_test(size=(100, 30)) as pilot:
        await import_in_app(app, pilot, str(tmp_path / "no such file.md"))
        await import_in_app(app, pilot, str(article))
        wal = wal_identity(library)

        listed = await asyncio.to_thread(reader, library, "list")
        assert listed.returncode == 0, listed.stderr
        assert "Mine 0" in listed.stdout
        assert wal_identity(library) == wal

        await pilot.press("enter")
        assert isinstance(app.screen, ArticleScreen)
        await pilot.press("h", "j", "j", "h", "j", "j", "h")
        exported = await asyncio.to_thread(reader, library, "export", "--format", "json")
        assert exported.returncode == 0, exported.stderr
        records = json.loads(exported.stdout)
        shown = sum(len(a["annotations"]) for a in records["articles"])
        assert shown == store.count_annotations() >= 3
        assert wal_identity(library) == wal

        importing = asyncio.create_task(asyncio.to_thread(reader, library, "import", str(theirs)))
        for _ in range(12):
            await pilot.press("j", "h")
        imported = await importing
        assert imported.returncode == 0, imported.stderr
        assert wal_identity(library) == wal

        final = await asyncio.to_thread(reader, library, "export", "--format", "json")
        records = json.loads(final.stdout)
        assert sum(len(a["annotations"]) for a in records["articles"]) == (
            store.count_annotations()
        )
        assert len(records["articles"]) == store.count_articles()
    store.close()
    assert integrity(library) == "ok"


# Nothing reads or writes an open library with Python's open() --------------------------


def held_open(library: Path) -> bool:
    """Whether a descriptor of this process is open on the library file (SQLite's)."""
    target = str(library.resolve())
    for name in os.listdir("/proc/self/fd"):
        with contextlib.suppress(OSError):
            if os.readlink(f"/proc/self/fd/{name}") == target:
                return True
    return False


@contextmanager
def library_opens_watched(library: Path) -> Iterator[list[str]]:
    """Record every `open()` of the library file or its side files while it is open.

    Open means: a descriptor of this process is on the file (Linux's /proc tells),
    whatever the code under test believes.

    `builtins.open`, `io.open` and `os.open` are watched (pathlib and tempfile use
    them); descriptors passed in (`open(fd)`) are not paths and are let through.
    """
    names = {library.name + suffix for suffix in ("", *guard.SIDE_FILES)}
    folder = library.parent.resolve()
    seen: list[str] = []

    def check(target: object) -> None:
        if isinstance(target, int) or not isinstance(target, str | bytes | os.PathLike):
            return
        path = Path(os.fsdecode(target))
        try:
            where = path.absolute().parent.resolve()
        except OSError:
            return
        if path.name in names and where == folder and held_open(library):
            seen.append(str(path))

    def watched(real: Callable[..., Any]) -> Callable[..., Any]:
        def opener(target: Any, *args: Any, **kwargs: Any) -> Any:
            check(target)
            return real(target, *args, **kwargs)

        return opener

    originals = (builtins.open, io.open, os.open)
    builtins.open = io.open = watched(originals[0])  # type: ignore[assignment]
    os.open = watched(originals[2])  # type: ignore[assignment]
    try:
        yield seen
    finally:
        builtins.open, io.open, os.open = originals  # type: ignore[misc]


needs_proc = pytest.mark.skipif(
    not Path("/proc/self/fd").is_dir(), reason="needs /proc to see open descriptors"
)


@pytest.fixture
def backup(tmp_path: Path) -> Path:
    """A JSON export of a small annotated library."""
    source = AnnotationStore(tmp_path / "source.db", clock=FixedClock())
    article = source.import_document(
        Document("Backup", tuple(Block(BlockKind.PARAGRAPH, f"Saved {n}.") for n in range(3)))
    ).article
    source.add_highlight(article.id, (1, 0), (1, 5), note="kept")
    source.close()
    target = tmp_path / "backup.json"
    done = reader(tmp_path / "source.db", "export", "--format", "json", "-o", str(target))
    assert done.returncode == 0, done.stderr
    return target


@needs_proc
def test_commands_never_open_the_library_file_with_python(tmp_path: Path, backup: Path) -> None:
    """Import (the library's own folder included), export and restore, in one process.

    The library's own file, named as a document or a backup or an export target, is
    refused in one line instead of being read or written.
    """
    library = tmp_path / "lib" / "notes.txt"  # a library named like a document
    library.parent.mkdir()
    write_articles(library.parent, 2, "Near")
    runner = CliRunner()
    with library_opens_watched(library) as seen:
        assert runner.invoke(cli, ["--db", str(library), "list"]).exit_code == 0
        first = runner.invoke(cli, ["--db", str(library), "import", str(library.parent)])
        again = runner.invoke(cli, ["--db", str(library), "import", str(library)])
        restored = runner.invoke(cli, ["--db", str(library), "restore", str(backup)])
        itself = runner.invoke(cli, ["--db", str(library), "restore", str(library)])
        folder = runner.invoke(cli, ["--db", str(library), "export", "-o", str(tmp_path / "v")])
        over = runner.invoke(
            cli, ["--db", str(library), "export", "--format", "json", "-o", str(library)]
        )
        wal = runner.invoke(
            cli, ["--db", str(library), "export", "--format", "csv", "-o", f"{library}-wal"]
        )
    assert seen == []
    assert first.output.startswith("imported 2,")  # the library, not text, is passed over
    assert "is the library file itself" in again.output
    assert restored.exit_code == 0, restored.output
    assert itself.exit_code == 1
    assert "not a JSON export" in itself.output  # read before the library was opened
    assert folder.exit_code == 0, folder.output
    assert over.exit_code == 1
    assert "is the library file; choose another file" in over.output
    assert wal.exit_code == 1
    assert integrity(library) == "ok"


@needs_proc
async def test_the_app_never_opens_the_library_file_with_python(
    tmp_path: Path, backup: Path
) -> None:
    """Start-up, imports through the dialog (the library's folder too) and an export."""
    library = tmp_path / "library.db"
    write_articles(tmp_path, 2, "Beside")
    with library_opens_watched(library) as seen:
        store = open_library(library, clock=FixedClock())
        app = ReaderApp(store, export_folder=tmp_path / "exports")
        async with app.run_test(size=(100, 30)) as pilot:
            await import_in_app(app, pilot, str(tmp_path))
            await import_in_app(app, pilot, str(library))
            await pilot.press("enter", "h", "escape", "e")
            await pilot.pause()
            await pilot.press("enter")
            await pilot.pause()
        store.close()
    assert seen == []
    assert list((tmp_path / "exports").glob("*.md"))
    assert integrity(library) == "ok"
