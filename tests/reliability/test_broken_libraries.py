"""Broken libraries: refused in one line, left byte for byte as they were.

Each case is a library file that cannot be used (truncated, damaged, not SQLite, another
program's database, a newer schema, read-only) or a disk that fills up. Every command
that opens the library is run as a real process: `reader list`, `reader import F`,
`reader export`, `reader restore F` and the TUI itself (`reader`), which must fail
before it starts. Each must print exactly one line, `reader: ...` naming the file,
exit 1, and leave the file (and any -wal/-shm next to it) unchanged, with no new file
beside it.

An empty (0-byte) file is not refused: it holds nothing that could be lost, so it is
taken as a new library, as SQLite itself does. An older library is migrated forward
after a backup copy is made next to it.
"""

from __future__ import annotations

import hashlib
import json
import os
import random
import shutil
import sqlite3
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlite_utils import Database
from textual.widgets import Input, Label

from annotations.export import iter_json
from annotations.models import Block, BlockKind, Document
from annotations.store import AnnotationStore
from annotations.store.migrations import migration_set
from reader.app import ReaderApp
from reader.dialogs.confirm import ConfirmDialog
from reader.dialogs.note import NoteDialog
from reader.dialogs.tag import TagDialog
from reader.library import open_library
from reader.screens.article import ArticleScreen
from tests.conftest import FixedClock

migrations = migration_set()

REPO = Path(__file__).resolve().parents[2]
TIMEOUT = 30
PAGE = 4096


# Helpers ------------------------------------------------------------------------


def reader_env(tmp_path: Path) -> dict[str, str]:
    """The environment of a `reader` process: the test's isolated folders, no terminal."""
    env = os.environ.copy()
    env["READER_DB"] = str(tmp_path / "unused" / "library.db")
    env.pop("COLUMNS", None)
    env["PYTHONPATH"] = str(REPO)
    return env


@dataclass
class Run:
    """How one `reader` process ended."""

    command: str
    code: int
    stdout: str
    stderr: str


def run_all(library: Path, commands: dict[str, list[str]], env: dict[str, str]) -> list[Run]:
    """Run several `reader --db LIBRARY ...` processes at once, and wait for each."""
    processes = {
        name: subprocess.Popen(
            [sys.executable, "-m", "reader", "--db", str(library), *args],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
            cwd=library.parent.parent,
        )
        for name, args in commands.items()
    }
    runs = []
    for name, process in processes.items():
        try:
            stdout, stderr = process.communicate(timeout=TIMEOUT)
        except subprocess.TimeoutExpired:
            process.kill()
            stdout, stderr = process.communicate()
            stderr += "\n(still running: it did not refuse the library)"
        runs.append(Run(name, process.returncode, stdout, stderr))
    return runs


def snapshot(folder: Path) -> dict[str, str]:
    """Every file in a folder with the sha256 of its bytes."""
    return {
        path.name: hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() else "dir"
        for path in sorted(folder.iterdir())
    }


def build_library(path: Path) -> None:
    """A real library: the samples, and an annotation with a tag and a note."""
    store = open_library(path, clock=FixedClock())
    article = store.list_articles()[0]
    store.add_highlight(article.id, (0, 0), (0, 12), tags=["kept"], note="A note to keep.")
    store.close()
    assert not path.with_name(f"{path.name}-wal").exists()


def library_rows(path: Path) -> tuple[int, int]:
    """How many articles and annotations a library file holds (read without writing).

    Read as `immutable` (no -wal/-shm made beside it) unless it has a -wal to read too.
    """
    wal = path.with_name(f"{path.name}-wal").exists()
    conn = sqlite3.connect(f"{path.as_uri()}?mode=ro{'' if wal else '&immutable=1'}", uri=True)
    try:
        return (
            conn.execute("SELECT count(*) FROM articles").fetchone()[0],
            conn.execute("SELECT count(*) FROM annotations").fetchone()[0],
        )
    finally:
        conn.close()


@pytest.fixture(scope="module")
def good_library(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A real library file to damage in each case (copied, never used itself)."""
    path = tmp_path_factory.mktemp("good") / "library.db"
    build_library(path)
    return path


@pytest.fixture(scope="module")
def backup_file(tmp_path_factory: pytest.TempPathFactory, good_library: Path) -> Path:
    """A valid JSON export, for `reader restore`."""
    store = AnnotationStore(Path(good_library), clock=FixedClock())
    try:
        text = "".join(iter_json(store, store.list_articles(), store.clock()))
    finally:
        store.close()
    path = tmp_path_factory.mktemp("backup") / "backup.json"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture
def article_file(tmp_path: Path) -> Path:
    """A small article to import."""
    path = tmp_path / "inbox" / "article.txt"
    path.parent.mkdir()
    path.write_text("A short article\n\nIt has one paragraph of text.\n", encoding="utf-8")
    return path


# The cases -------------------------------------------------------------------------


def truncated_half(good: Path, target: Path) -> None:
    data = good.read_bytes()
    target.write_bytes(data[: len(data) // 2])


def truncated_100(good: Path, target: Path) -> None:
    target.write_bytes(good.read_bytes()[:100])


def damaged_pages(good: Path, target: Path) -> None:
    """Random bytes over three pages in the middle of a real library."""
    data = bytearray(good.read_bytes())
    rng = random.Random(20260131)
    first = (len(data) // PAGE // 2) * PAGE
    data[first : first + 3 * PAGE] = rng.randbytes(3 * PAGE)
    target.write_bytes(bytes(data))


def text_file(_good: Path, target: Path) -> None:
    target.write_text("Shopping list\n\n- bread\n- tea\n", encoding="utf-8")


def png_file(_good: Path, target: Path) -> None:
    target.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(200))


def another_program(_good: Path, target: Path) -> None:
    conn = sqlite3.connect(target)
    conn.execute("CREATE TABLE recipes (id INTEGER PRIMARY KEY, name TEXT)")
    conn.execute("INSERT INTO recipes (name) VALUES ('lentil soup')")
    conn.commit()
    conn.close()


def newer_schema(good: Path, target: Path) -> None:
    """Our library with a migration applied that this version does not know."""
    shutil.copyfile(good, target)
    conn = sqlite3.connect(target)
    conn.execute(
        "INSERT INTO _sqlite_migrations (migration_set, name, applied_at) VALUES (?, ?, ?)",
        [migrations.name, "m999_from_the_future", "2030-01-01T00:00:00"],
    )
    conn.commit()
    conn.close()


CASES: dict[str, tuple[Callable[[Path, Path], None], str]] = {
    "truncated at half": (truncated_half, "is damaged or not a library"),
    "truncated at 100 bytes": (truncated_100, "is damaged or not a library"),
    "damaged pages": (damaged_pages, "is damaged or not a library"),
    "text file": (text_file, "not an SQLite database"),
    "PNG image": (png_file, "not an SQLite database"),
    "another program's database": (another_program, "another program"),
    "newer schema": (newer_schema, "newer version of reader"),
}


def commands(article_file: Path, backup_file: Path) -> dict[str, list[str]]:
    """Every command that opens the library, the TUI included."""
    return {
        "list": ["list"],
        "import": ["import", str(article_file)],
        "export": ["export"],
        "restore": ["restore", str(backup_file)],
        "tui": [],
    }


def assert_refused(runs: list[Run], library: Path, reason: str) -> None:
    """Each run: exactly one line `reader: ...` naming the library and the reason, exit 1."""
    for run in runs:
        lines = run.stderr.splitlines()
        assert run.code == 1, (run.command, run.code, run.stderr)
        assert len(lines) == 1, (run.command, run.stderr)
        assert lines[0].startswith("reader: "), (run.command, run.stderr)
        assert str(library) in lines[0], (run.command, run.stderr)
        assert reason in lines[0], (run.command, run.stderr)
        assert "Traceback" not in run.stderr + run.stdout
        assert run.stdout == "", (run.command, run.stdout)


@pytest.mark.parametrize("case", list(CASES))
def test_a_broken_library_is_refused_and_left_untouched(
    case: str, tmp_path: Path, good_library: Path, backup_file: Path, article_file: Path
) -> None:
    make, reason = CASES[case]
    folder = tmp_path / "data"
    folder.mkdir()
    library = folder / "library.db"
    make(good_library, library)
    before = snapshot(folder)

    runs = run_all(library, commands(article_file, backup_file), reader_env(tmp_path))

    assert_refused(runs, library, reason)
    assert snapshot(folder) == before  # same bytes, no -wal, -shm or .bak beside it


def test_a_folder_as_library_is_refused(
    tmp_path: Path, backup_file: Path, article_file: Path
) -> None:
    folder = tmp_path / "data"
    library = folder / "library.db"
    library.mkdir(parents=True)
    (library / "inside.txt").write_text("mine", encoding="utf-8")
    before = snapshot(folder), snapshot(library)

    runs = run_all(library, commands(article_file, backup_file), reader_env(tmp_path))

    assert_refused(runs, library, "is a folder, not a library file")
    assert (snapshot(folder), snapshot(library)) == before


# Read-only libraries ----------------------------------------------------------------


@pytest.fixture
def immutable() -> Iterator[Callable[[Path], None]]:
    """Make files read-only even for root (`chattr +i`); undone after the test."""
    marked: list[Path] = []

    def mark(path: Path) -> None:
        if shutil.which("chattr") is None:
            pytest.skip("chattr is not available to make a file read-only for root")
        done = subprocess.run(["chattr", "+i", str(path)], capture_output=True, text=True)
        if done.returncode != 0:
            pytest.skip(f"chattr +i is not permitted here: {done.stderr.strip()}")
        marked.append(path)

    yield mark
    for path in reversed(marked):
        subprocess.run(["chattr", "-i", str(path)], check=False)


@pytest.mark.parametrize("what", ["file", "folder"])
def test_a_read_only_library_is_refused_and_left_untouched(
    what: str,
    tmp_path: Path,
    good_library: Path,
    backup_file: Path,
    article_file: Path,
    immutable: Callable[[Path], None],
) -> None:
    folder = tmp_path / "data"
    folder.mkdir()
    library = folder / "library.db"
    shutil.copyfile(good_library, library)
    if os.geteuid() != 0 and what == "file":
        library.chmod(0o444)
    elif os.geteuid() != 0:
        folder.chmod(0o555)
    else:
        immutable(library if what == "file" else folder)
    before = snapshot(folder)

    try:
        runs = run_all(library, commands(article_file, backup_file), reader_env(tmp_path))
    finally:
        if os.geteuid() != 0:
            folder.chmod(0o755)

    assert_refused(runs, library, "is read-only")
    assert snapshot(folder) == before


def read_only_app(tmp_path: Path) -> tuple[Path, AnnotationStore, ReaderApp]:
    """The app on an article of a library it can only read (a read-only connection)."""
    path = tmp_path / "library.db"
    build_library(path)
    conn = sqlite3.connect(f"{path.as_uri()}?mode=ro", uri=True, check_same_thread=False)
    store = AnnotationStore(Database(conn), clock=FixedClock())
    target = store.list_articles()[1].id
    return path, store, ReaderApp(store, open_article=target, export_folder=tmp_path / "exports")


async def test_a_write_refused_by_a_read_only_library_is_a_toast_and_the_app_goes_on(
    tmp_path: Path,
) -> None:
    """The TUI on a library it cannot write (a read-only connection): each write fails."""
    path, store, app = read_only_app(tmp_path)
    before = library_rows(path)
    async with app.run_test() as pilot:
        await pilot.pause()
        assert isinstance(app.screen, ArticleScreen)
        await pilot.press("j", "h")
        await pilot.pause()
        await pilot.press("G", "k", "h")
        await pilot.pause()
        shown = [n.message for n in app._notifications]
        assert app.is_running and isinstance(app.screen, ArticleScreen)
        assert not app.screen.view.annotations_at_cursor()
        await pilot.press("q")
        await pilot.pause()
        assert app.is_running  # leaving saves the reading position: refused, not a crash
    store.close()
    refused = [m for m in shown if m.startswith("Not saved: the library is read-only")]
    assert len(refused) >= 2, shown  # both highlights (and reading positions)
    assert "Highlighted" not in shown
    assert library_rows(path) == before


async def test_tags_a_read_only_library_refuses_come_back_to_their_editor(
    tmp_path: Path,
) -> None:
    """Tags typed for a passage are not lost when the library cannot take them."""
    path, store, app = read_only_app(tmp_path)
    before = library_rows(path)
    async with app.run_test() as pilot:
        await pilot.pause()
        await pilot.press("j", "t")
        await pilot.pause()
        assert isinstance(app.screen, TagDialog)
        await pilot.press(*"idea, river", "enter")
        await pilot.pause()
        shown = [n.message for n in app._notifications]
        assert any(m.startswith("Not saved: the library is read-only") for m in shown), shown
        assert isinstance(app.screen, TagDialog)
        assert app.screen.query_one(Input).value == "idea, river, "
        hint = str(app.screen.query(".dialog-hint").last(Label).render())
        assert hint.startswith("Not saved yet")
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, ArticleScreen)
    store.close()
    assert library_rows(path) == before


# A full disk ------------------------------------------------------------------------


@pytest.fixture
def tiny_disk(tmp_path: Path) -> Iterator[Path]:
    """A 1 MB tmpfs mounted in the test's folder, or a skip where mounting is not allowed."""
    mount = tmp_path / "tiny"
    mount.mkdir()
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(mount)],
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        pytest.skip(f"cannot mount a small tmpfs here: {done.stderr.strip()}")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


def fill(folder: Path, leave: int) -> Path:
    """Fill a disk with a filler file until about `leave` bytes are free."""
    filler = folder / "filler"
    with filler.open("wb") as handle:
        try:
            while shutil.disk_usage(folder).free > leave:
                handle.write(bytes(min(PAGE, shutil.disk_usage(folder).free - leave) or 1))
                handle.flush()
        except OSError:
            pass
    return filler


def long_article(path: Path, paragraphs: int = 300) -> Path:
    rng = random.Random(7)
    words = ["river", "lantern", "harbour", "ledger", "morning", "window", "copper", "field"]
    text = "\n\n".join(" ".join(rng.choice(words) for _ in range(100)) for _ in range(paragraphs))
    path.write_text("A long article\n\n" + text + "\n", encoding="utf-8")
    return path


def test_an_import_onto_a_full_disk_is_one_line_and_loses_nothing(
    tmp_path: Path, good_library: Path, tiny_disk: Path
) -> None:
    library = tiny_disk / "library.db"
    shutil.copyfile(good_library, library)
    saved = library_rows(library)
    fill(tiny_disk, leave=120 * 1024)
    before = snapshot(tiny_disk)
    article = long_article(tmp_path / "long.txt")

    [run] = run_all(library, {"import": ["import", str(article)]}, reader_env(tmp_path))

    lines = run.stderr.splitlines()
    assert run.code == 1 and len(lines) == 1, run.stderr
    assert lines[0].startswith(f"reader: library {library}: the disk is full"), run.stderr
    assert snapshot(tiny_disk) == before
    (tiny_disk / "filler").unlink()
    assert library_rows(library) == saved


def test_a_library_on_a_disk_with_no_room_left_is_refused_in_one_line(
    tmp_path: Path, good_library: Path, backup_file: Path, article_file: Path, tiny_disk: Path
) -> None:
    """With no room for the journal, every command fails before doing anything.

    SQLite may leave an empty -wal and a few-byte -shm it could not fill; the library
    itself is untouched and opens as before once there is room again.
    """
    library = tiny_disk / "library.db"
    shutil.copyfile(good_library, library)
    saved = library_rows(library)
    digest = hashlib.sha256(library.read_bytes()).hexdigest()
    fill(tiny_disk, leave=0)

    runs = run_all(library, commands(article_file, backup_file), reader_env(tmp_path))

    assert_refused(runs, library, "the disk is full")
    assert hashlib.sha256(library.read_bytes()).hexdigest() == digest
    (tiny_disk / "filler").unlink()
    [run] = run_all(library, {"list": ["list", "--json"]}, reader_env(tmp_path))
    assert run.code == 0, run.stderr
    assert len(json.loads(run.stdout)) == saved[0]


LIMIT_SCRIPT = """
import sys
from annotations.store import AnnotationStore

configure = AnnotationStore._configure

def limited(self):
    # A disk with room for the library as it is and barely more: SQLITE_FULL.
    configure(self)
    pages = self.db.execute("PRAGMA page_count").fetchone()[0]
    self.db.execute(f"PRAGMA max_page_count = {pages + 2}")

AnnotationStore._configure = limited
from reader.cli import main
sys.argv = ["reader", *sys.argv[1:]]
main()
"""


def test_a_library_that_cannot_grow_fails_an_import_in_one_line(
    tmp_path: Path, good_library: Path
) -> None:
    """Portable twin of the full disk: SQLite's page limit makes writes fail the same way."""
    folder = tmp_path / "data"
    folder.mkdir()
    library = folder / "library.db"
    shutil.copyfile(good_library, library)
    saved = library_rows(library)
    article = long_article(tmp_path / "long.txt")

    done = subprocess.run(
        [sys.executable, "-c", LIMIT_SCRIPT, "--db", str(library), "import", str(article)],
        capture_output=True,
        text=True,
        env=reader_env(tmp_path),
        timeout=TIMEOUT,
    )

    assert done.returncode == 1, done.stderr
    full = "the disk is full (database or disk is full)"
    assert done.stderr == f"reader: library {library}: {full}\n"
    assert library_rows(library) == saved
    assert sorted(p.name for p in folder.iterdir()) == ["library.db"]


async def test_a_full_library_refuses_a_note_with_a_toast_and_gives_it_back(
    tmp_path: Path,
) -> None:
    path = tmp_path / "library.db"
    build_library(path)
    store = AnnotationStore(path, clock=FixedClock())
    store.import_document(
        Document(
            title="Short",
            blocks=(Block(BlockKind.PARAGRAPH, "One paragraph to annotate."),),
            source="short.txt",
        )
    )
    target = store.find_article_by_source("short.txt")
    assert target is not None
    before = library_rows(path)
    pages = store.db.execute("PRAGMA page_count").fetchone()[0]
    store.db.execute(f"PRAGMA max_page_count = {pages}")
    app = ReaderApp(store, open_article=target.id, export_folder=tmp_path / "exports")
    async with app.run_test() as pilot:
        await pilot.pause()
        await pilot.press("n")
        await pilot.pause()
        note = app.screen.query_one("TextArea")
        written = "A long note. " * 4000  # about 50 KB: needs pages the library lacks
        note.text = written
        await pilot.press("ctrl+s")
        await pilot.pause()
        shown = [n.message for n in app._notifications]
        assert any(m.startswith("Not saved: the disk is full") for m in shown), shown
        assert "Note saved" not in shown
        # The note is not lost: the editor is back with it, saying it is not saved.
        assert app.is_running and isinstance(app.screen, NoteDialog)
        assert app.screen.query_one("TextArea").text == written
        hint = str(app.screen.query_one(".dialog-hint", Label).render())
        assert hint.startswith("Not saved yet")
        await pilot.press("ctrl+s")  # still no room: back again, still whole
        await pilot.pause()
        assert isinstance(app.screen, NoteDialog)
        assert app.screen.query_one("TextArea").text == written
        await pilot.press("escape")  # not edited since, but unsaved: asks first
        await pilot.pause()
        assert isinstance(app.screen, ConfirmDialog)
        await pilot.press("y")
        await pilot.pause()
        assert isinstance(app.screen, ArticleScreen)
        await pilot.press("j", "k")
    store.close()
    assert library_rows(path) == before


# Empty and older libraries --------------------------------------------------------------


def test_an_empty_file_becomes_a_new_library(tmp_path: Path, backup_file: Path) -> None:
    """A 0-byte file holds nothing to lose: it is taken as a new library (as SQLite does),
    empty for a command."""
    for listed, args in ((True, ["list", "--json"]), (False, ["restore", str(backup_file)])):
        folder = tmp_path / f"data-{listed}"
        folder.mkdir()
        library = folder / "library.db"
        library.touch()

        [run] = run_all(library, {"run": args}, reader_env(tmp_path))

        assert run.code == 0, run.stderr
        articles, _annotations = library_rows(library)
        if listed:
            assert json.loads(run.stdout) == [] and articles == 0
        else:
            assert run.stdout.startswith("restored: articles added")
        assert sorted(p.name for p in folder.iterdir()) == ["library.db"]


def older_library(path: Path) -> None:
    """A library at the first migration only, with an article, an annotation and a tag."""
    db = Database(path)
    migrations.apply(db, stop_before="m002_settings")
    now = "2025-01-02T03:04:05.000Z"
    db["articles"].insert(
        {
            "id": "a" * 32,
            "title": "An article from last year",
            "source": "/old/article.txt",
            "format": "txt",
            "words": 6,
            "block_count": 2,
            "content_hash": "0" * 64,
            "created_at": now,
            "updated_at": now,
        }
    )
    db["blocks"].insert_all(
        [
            {
                "article_id": "a" * 32,
                "idx": 0,
                "kind": "paragraph",
                "text": "Lanterns by the quay.",
            },
            {"article_id": "a" * 32, "idx": 1, "kind": "paragraph", "text": "Copper kettles."},
        ]
    )
    db["annotations"].insert(
        {
            "id": "b" * 32,
            "article_id": "a" * 32,
            "start_block": 0,
            "start_offset": 0,
            "end_block": 0,
            "end_offset": 8,
            "exact": "Lanterns",
            "suffix": " by the quay.",
            "note": "Remember the quay.",
            "created_at": now,
            "updated_at": now,
        }
    )
    db["tags"].insert({"id": 1, "name": "harbour"})
    db["annotation_tags"].insert({"annotation_id": "b" * 32, "tag_id": 1})
    db.close()


def test_an_older_library_is_migrated_after_a_backup_copy(tmp_path: Path) -> None:
    folder = tmp_path / "data"
    folder.mkdir()
    library = folder / "library.db"
    older_library(library)
    old_bytes = library.read_bytes()

    [run] = run_all(library, {"search": ["search", "quay", "--json"]}, reader_env(tmp_path))

    assert run.code == 0, run.stderr
    hits = json.loads(run.stdout)
    assert {hit["article_id"] for hit in hits} == {"a" * 32}  # the new index holds old text
    backup = folder / "library.db.before-m002_settings.bak"
    assert sorted(p.name for p in folder.iterdir()) == ["library.db", backup.name]
    conn = sqlite3.connect(backup)
    assert [r[0] for r in conn.execute("SELECT name FROM _sqlite_migrations")] == ["m001_initial"]
    assert conn.execute("SELECT note FROM annotations").fetchall() == [("Remember the quay.",)]
    conn.close()
    assert len(old_bytes) > 0
    store = AnnotationStore(library)
    [annotation] = store.list_annotations("a" * 32)
    assert (annotation.anchor.exact, annotation.note, annotation.tags) == (
        "Lanterns",
        "Remember the quay.",
        ("harbour",),
    )
    assert [b.text for b in store.get_blocks("a" * 32)] == [
        "Lanterns by the quay.",
        "Copper kettles.",
    ]
    store.close()
