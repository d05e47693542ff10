"""Killed at any moment, the reader loses nothing it reported saved and leaves nothing half done.

Processes writing annotations, importing a folder and exporting are killed with
SIGKILL at random moments (seeded). After each kill the library must open, pass
SQLite's and the search index's integrity checks, hold every change reported saved
before the kill (the one write in flight may or may not be there), hold no article
partly imported, and an export folder or file must hold only complete files.
"""

from __future__ import annotations

import contextlib
import json
import os
import queue
import random
import re
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from annotations.files import (
    STALE_TEMPORARY_SECONDS,
    remove_stale_temporaries,
    write_text_atomic,
)
from annotations.models import Block, BlockKind, Document, content_hash
from annotations.store import AnnotationStore
from tests.reliability.burst import (
    BURST,
    Ledger,
    library_articles,
    library_states,
    paragraphs,
    unexpected,
    write_book,
)

BURST_KILLS = 50
IMPORT_KILLS = 4
EXPORT_KILLS = 4
"""Kill points per kind of work (the export ones for the Markdown folder and for JSON each)."""
HUNG_SECONDS = 120
"""A process still going after this long, or silent for this long, is hung: the test
fails then instead of blocking. It is no measure of speed."""
TEMPORARY = re.compile(r"\..+\.[a-z0-9_]{8}\.tmp")
"""The name of an atomic write's temporary file (hidden, never the target's name)."""


def library_problems(path: Path, verified: set[tuple[str, str]] | None = None) -> list[str]:
    """What is wrong with a library after a crash: damage, a stale index, partial articles.

    Opening it runs SQLite's recovery of the write-ahead log, as any next start would.

    Args:
        path: The library.
        verified: Articles (id, content hash) found whole before, not read again; those
            found whole now are added.
    """
    verified = set() if verified is None else verified
    store = AnnotationStore(path)
    try:
        problems = []
        checked = [row[0] for row in store.db.execute("PRAGMA integrity_check")]
        if checked != ["ok"]:
            problems.append(f"integrity_check: {checked[:5]}")
        try:
            store.db.execute(
                "INSERT INTO search_fts (search_fts, rank) VALUES ('integrity-check', 1)"
            )
        except sqlite3.DatabaseError as error:
            problems.append(f"search index: {error}")
        if list(store.db.execute("PRAGMA foreign_key_check")):
            problems.append("foreign_key_check found dangling rows")
        if store.db.execute("SELECT count(*) FROM search_deferred").fetchone()[0]:
            problems.append("an import's deferred indexing was left behind")
        for article in store.list_articles():
            if (article.id, article.content_hash) in verified:
                continue
            blocks = tuple(store.get_blocks(article.id))
            whole = content_hash(Document(article.title, blocks)) == article.content_hash
            if len(blocks) != article.block_count or not whole:
                problems.append(f"article {article.title!r} is partly imported")
            else:
                verified.add((article.id, article.content_hash))
        return problems
    finally:
        store.close()


def kill(process: subprocess.Popen[Any] | int) -> None:
    """SIGKILL a process we started, by its id."""
    pid = process if isinstance(process, int) else process.pid
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGKILL)


def cli(library: Path, *args: str) -> list[str]:
    """The command line of `reader` on a library."""
    return [sys.executable, "-m", "reader", "--db", str(library), *args]


def run_cli(library: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """Run `reader` to its end; it must succeed."""
    done = subprocess.run(
        cli(library, *args), capture_output=True, text=True, timeout=120, env=os.environ.copy()
    )
    assert done.returncode == 0, done.stderr
    return done


def kill_when(command: list[str], ready: Callable[[], bool]) -> int | None:
    """Start a command, SIGKILL it as soon as `ready()` is true; its exit code.

    `ready` looks at what the process has done so far (its files, the time since it
    started), which nothing announces: it is looked at every half millisecond, the
    finest grain of a kill moment.
    """
    process = subprocess.Popen(
        command,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=os.environ.copy(),
    )
    deadline = time.monotonic() + HUNG_SECONDS
    while process.poll() is None:
        if ready():
            kill(process)
            break
        if time.monotonic() > deadline:
            kill(process)
            process.wait()
            pytest.fail(f"{command} still running after {HUNG_SECONDS} s: hung")
        time.sleep(0.0005)
    return process.wait()


def elapsed(seconds: float) -> Callable[[], bool]:
    """Ready once that many seconds have passed."""
    deadline = time.monotonic() + seconds
    return lambda: time.monotonic() >= deadline


def wal_size(library: Path) -> int:
    """The size of a library's write-ahead log (0 if there is none)."""
    try:
        return Path(f"{library}-wal").stat().st_size
    except FileNotFoundError:
        return 0


def wal_reaches(library: Path, size: float) -> Callable[[], bool]:
    """Ready once a library's write-ahead log holds `size` bytes."""
    return lambda: wal_size(library) >= size


def files_replaced(folder: Path, wanted: int) -> Callable[[], bool]:
    """Ready once `wanted` files of a folder are new or replaced (a new inode under a name)."""
    before = {path.name: path.stat().st_ino for path in folder.glob("*")}

    def ready() -> bool:
        try:
            with os.scandir(folder) as entries:
                return sum(before.get(entry.name) != entry.inode() for entry in entries) >= wanted
        except FileNotFoundError:
            return False

    return ready


def temporary_holds(folder: Path, size: float) -> Callable[[], bool]:
    """Ready once a temporary file in the folder holds `size` bytes (a write half done)."""

    def ready() -> bool:
        with os.scandir(folder) as entries:
            return any(
                TEMPORARY.fullmatch(entry.name) and entry.stat().st_size >= size
                for entry in entries
            )

    return ready


# Bursts of annotation writes -------------------------------------------------------


class BurstServer:
    """`burst.py serve`: forks bursts on request and reports their lines, read by a thread."""

    def __init__(self, library: Path) -> None:
        self.process = subprocess.Popen(
            [sys.executable, str(BURST), "serve", str(library)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            env=os.environ.copy(),
        )
        self.lines: queue.Queue[dict[str, Any] | None] = queue.Queue()
        self.early: list[dict[str, Any]] = []
        """Lines of the burst just started that came before its pid."""
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for raw in self.process.stdout:
            self.lines.put(json.loads(raw))
        self.lines.put(None)

    def next(self) -> dict[str, Any]:
        """The next line; fails the test if the server stopped or nothing comes."""
        if self.early:
            return self.early.pop(0)
        try:
            line = self.lines.get(timeout=HUNG_SECONDS)
        except queue.Empty:
            pytest.fail(f"the burst server said nothing for {HUNG_SECONDS} s: hung")
        assert line is not None, "the burst server stopped"
        assert line["t"] != "error", line["message"]
        return line

    def start(self, seed: int, operations: int, prefix: str) -> int:
        """Fork a burst; returns its pid."""
        assert self.process.stdin is not None
        self.process.stdin.write(f"{seed} {operations} {prefix}\n".encode())
        self.process.stdin.flush()
        early = []
        # The burst is forked before the server reports its pid: its first lines may
        # come first.
        while (line := self.next())["t"] != "pid":
            early.append(line)
        self.early = early
        return int(line["pid"])

    def close(self) -> None:
        """End the server (it exits when its input closes)."""
        end_server(self.process)

    def kill_midway(self, ledger: Ledger, rng: random.Random, seed: int, most: int) -> int:
        """Fork a burst and SIGKILL it at a random moment: while it opens the library, or
        after up to `most` writes it reported done; its lines go to the ledger.

        Returns:
            The burst's wait status.
        """
        pid = self.start(seed=seed, operations=100_000, prefix="k")
        if rng.random() < 0.3:
            time.sleep(rng.uniform(0, 0.06))  # opening the library, or its first writes
        else:
            wanted = rng.randint(0, most)
            while wanted:
                line = self.next()
                ledger.apply(line)
                wanted -= line["t"] == "done"
            time.sleep(rng.uniform(0, 0.004))
        kill(pid)
        while (line := self.next())["t"] != "exit":
            ledger.apply(line)
        return int(line["status"])


def end_server(process: subprocess.Popen[bytes]) -> None:
    """End a server that exits when its input closes; killed if it does not."""
    assert process.stdin is not None
    process.stdin.close()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        kill(process)
        process.wait()


@pytest.fixture
def burst_server(tmp_path: Path) -> Iterator[tuple[BurstServer, Path]]:
    """A burst server writing to a library that does not exist yet."""
    library = tmp_path / "bursts.db"
    server = BurstServer(library)
    yield server, library
    server.close()


@pytest.mark.slow
def test_killed_bursts_lose_no_change_reported_saved(
    burst_server: tuple[BurstServer, Path],
) -> None:
    """Bursts of writes killed at random moments, 50 times over, on one library.

    The first kill may hit the library's creation. Each kill comes either after a random
    number of reported writes plus a few milliseconds, or at a random time after the
    burst started (while it opens the library or imports).
    """
    server, library = burst_server
    rng = random.Random(20260131)
    ledger = Ledger()
    verified: set[tuple[str, str]] = set()
    killed = reported = lost = 0
    failures: list[str] = []
    for run in range(BURST_KILLS):
        status = server.kill_midway(ledger, rng, seed=run, most=80)
        killed += os.WIFSIGNALED(status) and os.WTERMSIG(status) == signal.SIGKILL
        problems = library_problems(library, verified)
        store = AnnotationStore(library)
        try:
            stored, articles = library_states(store), library_articles(store)
        finally:
            store.close()
        problems += ledger.missing(stored, articles) + unexpected([ledger], stored)
        lost += len(problems)
        failures += [f"kill {run}: {problem}" for problem in problems]
        ledger.settle(stored, articles)
    reported = ledger.writes_done
    print(f"\nbursts: {killed} kill points, {reported} writes reported saved, {lost} lost")
    assert killed == BURST_KILLS
    assert reported > 500
    assert len(ledger.articles) > 2, "no import was ever reported"
    assert not failures, "\n".join(failures[:20])


def test_a_note_saved_then_killed_is_kept(tmp_path: Path) -> None:
    """A note saved as the note dialog saves it (ctrl+s), then the process killed, is kept."""
    library = tmp_path / "library.db"
    store = AnnotationStore(library)
    article = store.import_document(
        Document("Kept", (Block(BlockKind.PARAGRAPH, "A passage to keep a note on."),))
    ).article
    annotation = store.add_highlight(article.id, (0, 2), (0, 9))
    store.close()
    script = (
        "import sys, time\n"
        "from annotations.store import AnnotationStore\n"
        f"store = AnnotationStore({str(library)!r})\n"
        f"store.set_note({annotation.id!r}, 'Written just before the power went')\n"
        "print('saved', flush=True)\n"
        "time.sleep(60)\n"
    )
    process = subprocess.Popen(
        [sys.executable, "-c", script], stdout=subprocess.PIPE, text=True, env=os.environ.copy()
    )
    try:
        assert process.stdout is not None
        assert process.stdout.readline() == "saved\n"
    finally:
        kill(process)
        process.wait()
    assert process.returncode == -signal.SIGKILL
    assert library_problems(library) == []
    store = AnnotationStore(library)
    assert store.get_annotation(annotation.id).note == "Written just before the power went"
    store.close()


# Import ----------------------------------------------------------------------------


def import_folder(root: Path) -> Path:
    """A folder of 60 small notes in two levels and a 1.5 MB book in the middle of the order."""
    folder = root / "to-import"
    (folder / "deeper").mkdir(parents=True)
    rng = random.Random(7)
    for number in range(60):
        where = folder / "deeper" if number % 3 == 0 else folder
        prefix = "a" if number < 30 else "z"
        if number % 2:
            text = f"# Note {number}\n\n" + "\n\n".join(
                block.text for block in paragraphs(rng, rng.randint(3, 40), f"Note {number}")
            )
            (where / f"{prefix}-note-{number:02}.md").write_text(text, encoding="utf-8")
        else:
            text = "\n\n".join(block.text for block in paragraphs(rng, 30, f"Text {number}"))
            (where / f"{prefix}-text-{number:02}.txt").write_text(text, encoding="utf-8")
    write_book(folder / "m-big-book.txt", 1.5, seed=8)
    return folder


def sources(library: Path) -> dict[str, str]:
    """A library's articles' content hashes, by source."""
    store = AnnotationStore(library)
    try:
        return {source: digest for source, digest in library_articles(store).values()}
    finally:
        store.close()


@pytest.mark.slow
def test_a_killed_import_leaves_no_partial_article(tmp_path: Path) -> None:
    """`reader import FOLDER` killed midway: what is in is whole; importing again completes it.

    Kills come at a random moment of the import's run time (mostly while it reads and
    parses), or once its write-ahead log has grown to a random size (while it stores a
    batch of files in one transaction, not yet committed); a run that ends first is
    tried again.
    """
    folder = import_folder(tmp_path)
    reference = tmp_path / "reference.db"
    AnnotationStore(reference).close()  # an existing library: no samples
    peak = [0]

    def watch() -> bool:
        peak[0] = max(peak[0], wal_size(reference))
        return False

    started = time.monotonic()
    assert kill_when(cli(reference, "import", str(folder)), watch) == 0
    duration = time.monotonic() - started
    expected = sources(reference)
    assert len(expected) == 61
    rng = random.Random(11)
    partial_counts: list[int] = []
    for run in range(3 * IMPORT_KILLS):
        if len(partial_counts) == IMPORT_KILLS:
            break
        library = tmp_path / f"killed-{run}.db"
        AnnotationStore(library).close()
        if run % 2:
            ready = wal_reaches(library, rng.uniform(0.05, 0.9) * peak[0])
        else:
            ready = elapsed(rng.uniform(0.2, 0.8) * duration)
        code = kill_when(cli(library, "import", str(folder)), ready)
        assert library_problems(library) == []
        found = sources(library)
        if code == -signal.SIGKILL:
            partial_counts.append(len(found))
        assert {source: expected.get(source) for source in found} == found
        run_cli(library, "import", str(folder))
        assert sources(library) == expected
    print(f"\nimport: {len(partial_counts)} kill points, articles in when killed: {partial_counts}")
    assert len(partial_counts) == IMPORT_KILLS


# Export ----------------------------------------------------------------------------


def annotated_library(path: Path, articles: int) -> AnnotationStore:
    """A library of many short annotated articles and one long one with a long note."""
    store = AnnotationStore(path)
    rng = random.Random(5)
    with store.transaction():
        for number in range(articles):
            blocks = paragraphs(rng, 12, f"Piece {number}")
            article = store.import_document(Document(f"Piece number {number}", blocks)).article
            for block in range(0, 12, 4):
                store.add_highlight(
                    article.id, (block, 0), (block, 20), tags=[f"t{block}"], note=f"n{number}"
                )
        blocks = paragraphs(rng, 6000, "Book")
        book = store.import_document(Document("A long book", blocks)).article
        store.add_highlight(book.id, (10, 0), (10, 30), note="Long note. " * 2000)
    return store


def without_export_time(text: str) -> str:
    """A Markdown export without its `exported:` line."""
    return re.sub(r"(?m)^exported: .*\n", "", text, count=1)


def folder_files(folder: Path) -> tuple[dict[str, str], list[str]]:
    """The exports in a folder (without export time), by name; and every other entry's name."""
    exports, others = {}, []
    for entry in sorted(folder.iterdir()):
        if entry.suffix == ".md" and not entry.name.startswith("."):
            exports[entry.name] = without_export_time(entry.read_text(encoding="utf-8"))
        else:
            others.append(entry.name)
    return exports, others


@pytest.mark.slow
def test_a_killed_folder_export_leaves_only_complete_files(tmp_path: Path) -> None:
    """`reader export -o DIR/` killed midway, into a new folder and over an earlier export.

    Every Markdown file there is then a complete export, of before or of after the
    changes; the temporary file of the write cut short is hidden and named apart.
    """
    library = tmp_path / "library.db"
    store = annotated_library(library, articles=80)
    before = tmp_path / "before"
    run_cli(library, "export", "-o", f"{before}/")
    old, _ = folder_files(before)
    for annotation in store.list_annotations()[::2]:
        store.set_note(annotation.id, "Changed since the earlier export")
    store.close()
    after = tmp_path / "after"
    run_cli(library, "export", "-o", f"{after}/")
    new, _ = folder_files(after)
    assert len(new) == len(old) == 81
    rng = random.Random(3)
    cut_short = []
    for run in range(EXPORT_KILLS):
        target = tmp_path / f"killed-{run}"
        if run % 2:
            target.mkdir()
            for name, text in old.items():
                (target / name).write_text(text, encoding="utf-8")
        written = files_replaced(target, rng.randint(1, len(new) - 1))
        code = kill_when(cli(library, "export", "-o", f"{target}/"), written)
        exports, others = folder_files(target) if target.exists() else ({}, [])
        for name, text in exports.items():
            assert text in (old.get(name), new[name]), f"{name} is incomplete"
        assert all(TEMPORARY.fullmatch(name) for name in others), others
        if code == -signal.SIGKILL:
            cut_short.append(sum(exports[name] == new[name] for name in exports))
        run_cli(library, "export", "-o", f"{target}/")
        assert folder_files(target)[0] == new
    print(f"\nfolder export: {len(cut_short)} kill points, new files written by then: {cut_short}")
    assert len(cut_short) >= EXPORT_KILLS - 1


@pytest.mark.slow
def test_a_killed_json_export_is_absent_or_complete(tmp_path: Path) -> None:
    """`reader export --format json -o FILE` killed midway: no file, or the earlier complete one."""
    library = tmp_path / "library.db"
    annotated_library(library, articles=150).close()
    reference = tmp_path / "reference.json"
    run_cli(library, "export", "--format", "json", "-o", str(reference))
    expected = json.loads(reference.read_text(encoding="utf-8"))
    expected.pop("exported")
    rng = random.Random(4)
    outcomes = []
    for run in range(EXPORT_KILLS):
        folder = tmp_path / f"killed-{run}"
        folder.mkdir()
        target = folder / "backup.json"
        if run % 2:
            target.write_text('{"earlier": true}', encoding="utf-8")
        part = temporary_holds(folder, rng.uniform(0.05, 0.95) * reference.stat().st_size)
        code = kill_when(cli(library, "export", "--format", "json", "-o", str(target)), part)
        others = [entry.name for entry in folder.iterdir() if entry != target]
        assert all(TEMPORARY.fullmatch(name) for name in others), others
        if not target.exists():
            outcome = "absent"
        else:
            found = json.loads(target.read_text(encoding="utf-8"))
            found.pop("exported", None)
            assert found in (expected, {"earlier": True})
            outcome = "earlier" if found == {"earlier": True} else "complete"
        outcomes.append(outcome if code == -signal.SIGKILL else f"finished ({outcome})")
    print(f"\njson export: {EXPORT_KILLS} runs: {outcomes}")
    assert sum(not outcome.startswith("finished") for outcome in outcomes) >= EXPORT_KILLS - 1


def test_temporary_files_of_killed_writes_are_removed_by_the_next(tmp_path: Path) -> None:
    """A killed write's temporary file is removed by the next write of that file, once stale.

    A fresh one may be another write still going on, and other files are never touched.
    """
    target = tmp_path / "notes.md"
    stale = tmp_path / ".notes.md.ab12cd_9.tmp"
    fresh = tmp_path / ".notes.md.zz99yy00.tmp"
    other = tmp_path / ".other.md.ab12cd_9.tmp"
    mine = tmp_path / ".notes.md.mine.tmp"
    for path in (stale, fresh, other, mine):
        path.write_text("half a wri", encoding="utf-8")
    old = time.time() - STALE_TEMPORARY_SECONDS - 60
    for path in (stale, other, mine):
        os.utime(path, (old, old))
    write_text_atomic(target, "whole\n")
    assert target.read_text(encoding="utf-8") == "whole\n"
    assert not stale.exists()
    assert fresh.exists() and other.exists() and mine.exists()
    assert remove_stale_temporaries(tmp_path / "other.md") == [other]
