"""Several processes using one library at once: no write fails, none is lost, all see all.

Writers take turns on SQLite's write lock (transactions take it as they begin, and
wait for it up to the busy timeout); readers never wait in WAL mode.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import sqlite3
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import pytest

from annotations.errors import StorageError
from annotations.models import Block, BlockKind, Document
from annotations.store import AnnotationStore
from reader.app import ReaderApp
from reader.screens.article import ArticleScreen
from reader.widgets.paragraph_view import ParagraphView
from tests.reliability.burst import (
    BURST,
    Ledger,
    library_articles,
    library_states,
    unexpected,
    write_book,
)
from tests.reliability.test_crashes import library_problems

WRITERS = 3
WRITES_EACH = 250
FIRST_STARTS = 10
"""Rounds of three processes opening one new library at the same instant."""


SAFETY_SECONDS = 120
"""How long a process of ours may take before the test fails as hung (never a measure)."""


def start(*command: str, stdin: int = subprocess.DEVNULL) -> subprocess.Popen[str]:
    """A process of ours, its output read as text."""
    return subprocess.Popen(
        list(command),
        stdin=stdin,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=os.environ.copy(),
    )


def burst(library: Path, seed: int, prefix: str, delay: float = 0.0) -> subprocess.Popen[str]:
    """A burst of writes in a process of its own."""
    return start(
        sys.executable, str(BURST), "run", str(library), str(seed), str(WRITES_EACH), prefix,
        str(delay),
    )  # fmt: skip


def hold(library: Path, seconds: float | None = None) -> subprocess.Popen[str]:
    """A process holding the library's write lock (an open write transaction).

    Returns once it holds it. It lets go after `seconds`, or, with None, once
    `release` (or `finish`) tells it to.
    """
    if seconds is None:
        command = (sys.executable, str(BURST), "hold", str(library), "released")
        process = start(*command, stdin=subprocess.PIPE)
    else:
        process = start(sys.executable, str(BURST), "hold", str(library), str(seconds))
    assert process.stdout is not None
    assert json.loads(process.stdout.readline()) == {"t": "holding"}
    return process


def release(holding: subprocess.Popen[str]) -> None:
    """Tell a process holding the write lock until released to commit and let go.

    Nothing to do once its input is closed (`finish` closes it, which also releases).
    """
    assert holding.stdin is not None
    with contextlib.suppress(ValueError, BrokenPipeError):  # closed already
        holding.stdin.write("release\n")
        holding.stdin.flush()


LOCK_KEPT_SECONDS = 0.2
"""How long the lock stays held once a transaction began on the watched connection.

That transaction asks for the lock within microseconds, so it finds the lock held and
must wait. No check depends on this time: a longer wait only lets a write that does not
wait at all be caught even on a machine that stalls a thread for longer."""


def release_after_a_transaction_begins(
    conn: sqlite3.Connection, holding: subprocess.Popen[str]
) -> list[str]:
    """Release the held lock `LOCK_KEPT_SECONDS` after a transaction begins on `conn`.

    So that transaction has begun while the lock was held, and asked for it while the
    other process still held it. Returns the list that will hold the statement that
    began it.
    """
    begun: list[str] = []

    def traced(statement: str) -> None:
        if statement.startswith("BEGIN") and not begun:
            begun.append(statement)
            timer = threading.Timer(LOCK_KEPT_SECONDS, release, [holding])
            timer.daemon = True
            timer.start()

    conn.set_trace_callback(traced)
    return begun


def finish(process: subprocess.Popen[str]) -> tuple[list[dict[str, Any]], str]:
    """Wait for a process (its input closed); its report lines and its stderr."""
    try:
        out, err = process.communicate(timeout=SAFETY_SECONDS)
    except subprocess.TimeoutExpired:
        process.kill()
        process.communicate()
        pytest.fail(f"{process.args} still running after {SAFETY_SECONDS} s: hung")
    return [json.loads(line) for line in out.splitlines() if line.startswith("{")], err


@pytest.mark.slow
def test_writers_and_a_long_import_at_once_lose_nothing(tmp_path: Path) -> None:
    """Three writers, a 4 MB book import and a 1.5 s write transaction, all at once.

    Every write succeeds (none fails with "database is locked"), every reported write
    is in the library, and a connection opened before them all sees them all.
    """
    library = tmp_path / "shared.db"
    watcher = AnnotationStore(library)
    book = tmp_path / "book.txt"
    write_book(book, 4, seed=2)
    importing = start(sys.executable, "-m", "reader", "--db", str(library), "import", str(book))
    holding = hold(library, 1.5)
    writers = [burst(library, seed, prefix, 0.001) for seed, prefix in enumerate("abc")]
    ledgers, failures = [], []
    for process in writers:
        lines, err = finish(process)
        ledger = Ledger()
        for line in lines:
            ledger.apply(line)
        ledgers.append(ledger)
        failures += [line["message"] for line in lines if line["t"] == "error"]
        assert process.returncode == 0 and lines[-1] == {"t": "finished"}, (failures, err)
    _, err = finish(importing)
    assert importing.returncode == 0, err
    assert finish(holding)[0] == [{"t": "released"}]
    stored, articles = library_states(watcher), library_articles(watcher)
    lost = [problem for ledger in ledgers for problem in ledger.missing(stored, articles)]
    lost += unexpected(ledgers, stored)
    tried = sum(ledger.writes_begun for ledger in ledgers)
    print(f"\nconcurrent writes: {tried} tried, {len(failures)} failed, {len(lost)} lost")
    assert tried == WRITERS * WRITES_EACH
    assert not failures and not lost, (failures, lost[:10])
    assert any(source == str(book.resolve()) for source, _ in articles.values())
    watcher.close()
    assert library_problems(library) == []


def test_a_transaction_that_reads_first_waits_for_another_writer(tmp_path: Path) -> None:
    """A write transaction that starts by reading is not failed by a write made meanwhile.

    One connection moves an annotation (it reads the article, then writes) while
    another connection renames a tag: the transaction holds the write lock from its
    start, although it has only read (another writer that does not wait is refused),
    so the rename begun meanwhile waits for it, and both changes are saved.
    """
    library = tmp_path / "library.db"
    first = AnnotationStore(library)
    article = first.import_document(
        Document("Turns", (Block(BlockKind.PARAGRAPH, "Writers take turns, and none fails."),))
    ).article
    annotation = first.add_highlight(article.id, (0, 0), (0, 7), tags=["turns"])
    begun = threading.Event()
    errors: list[BaseException] = []

    def rename() -> None:
        second = AnnotationStore(library)
        second.db.conn.set_trace_callback(
            lambda statement: begun.set() if statement.startswith("BEGIN") else None
        )
        try:
            second.rename_tag("turns", "taking turns")
        except BaseException as error:
            errors.append(error)
        finally:
            second.close()

    impatient = sqlite3.connect(library, timeout=0, isolation_level=None)
    with first.transaction():
        first.get_article(article.id)
        with pytest.raises(sqlite3.OperationalError, match="database is locked"):
            impatient.execute("BEGIN IMMEDIATE")
        thread = threading.Thread(target=rename)
        thread.start()
        assert begun.wait(SAFETY_SECONDS), "the rename never began its transaction"
        first.set_note(annotation.id, "moved")
    impatient.close()
    thread.join(timeout=SAFETY_SECONDS)
    assert not thread.is_alive(), f"the rename still runs after {SAFETY_SECONDS} s: hung"
    assert errors == []
    saved = AnnotationStore(library).get_annotation(annotation.id)
    assert (saved.note, saved.tags) == ("moved", ("taking turns",))
    first.close()


def test_readers_do_not_wait_and_writers_wait_for_a_long_write(tmp_path: Path) -> None:
    """While another process holds the write lock, reading never waits for it; a write waits.

    With no busy timeout at all, anything that had to wait for a lock would fail at
    once: reads succeed, a write is refused. With the library's busy timeout, a write
    begun while the lock is held is saved once the other process lets go.
    """
    library = tmp_path / "library.db"
    store = AnnotationStore(library)
    article = store.import_document(
        Document("Waiting", (Block(BlockKind.PARAGRAPH, "Readers read while one writes."),))
    ).article
    highlight = store.add_highlight(article.id, (0, 0), (0, 7), note="before the wait")
    conn = store.db.conn
    configured = conn.execute("PRAGMA busy_timeout").fetchone()[0]
    holding = hold(library)
    try:
        conn.execute("PRAGMA busy_timeout = 0")
        assert [a.title for a in store.list_articles()] == ["Waiting"]
        assert [a.id for a in store.list_annotations()] == [highlight.id]
        assert [hit.article_id for hit in store.search("readers")] == [article.id]
        with pytest.raises(StorageError, match="database is locked"):
            store.add_highlight(article.id, (0, 8), (0, 12), note="refused")
        conn.execute(f"PRAGMA busy_timeout = {configured}")  # the library's own
        begun = release_after_a_transaction_begins(conn, holding)
        annotation = store.add_highlight(article.id, (0, 8), (0, 12), note="after the wait")
    finally:
        conn.set_trace_callback(None)
        lines, _ = finish(holding)
    assert begun == ["BEGIN IMMEDIATE"]
    assert lines == [{"t": "released"}]
    store.close()
    saved = AnnotationStore(library)
    assert sorted(a.note for a in saved.list_annotations()) == ["after the wait", "before the wait"]
    assert saved.get_annotation(annotation.id).note == "after the wait"
    saved.close()


def test_processes_starting_on_a_new_library_together_all_open_it(tmp_path: Path) -> None:
    """Three processes creating the same library at the same instant all succeed, 10 times."""
    libraries = [tmp_path / f"new-{round_}.db" for round_ in range(FIRST_STARTS)]
    lines, _ = finish(start(sys.executable, str(BURST), "open", "3", *map(str, libraries)))
    failures = [line["message"] for line in lines if line["t"] == "error"]
    opened = sum(line["t"] == "exit" and line["status"] == 0 for line in lines)
    for library in libraries:
        assert library_problems(library) == []
    print(f"\nfirst starts: {3 * FIRST_STARTS} opened at once, {opened} succeeded")
    assert failures == []
    assert opened == 3 * FIRST_STARTS


def error_toasts(app: ReaderApp) -> list[str]:
    """The error notifications the app has shown."""
    return [str(note.message) for note in app._notifications if note.severity == "error"]


async def test_the_app_sees_another_process_and_writes_while_it_writes(tmp_path: Path) -> None:
    """The TUI and another process on one library.

    An annotation another process adds shows once the article is opened again; a
    highlight made in the app while the other process holds the write lock (let go
    only once the app's write has begun) is saved, with no error shown.
    """
    library = tmp_path / "library.db"
    store = AnnotationStore(library)
    blocks = tuple(
        Block(BlockKind.PARAGRAPH, f"Paragraph {n} of a shared article.") for n in range(6)
    )
    article = store.import_document(Document("Shared", blocks)).article
    app = ReaderApp(store, open_article=article.id, export_folder=tmp_path / "exports")
    other = (
        "import sys\n"
        "from annotations.store import AnnotationStore\n"
        "store = AnnotationStore(sys.argv[1])\n"
        "print(store.add_highlight(sys.argv[2], (2, 0), (2, 9), note='from elsewhere').id)\n"
    )
    async with app.run_test(size=(100, 30)) as pilot:
        assert isinstance(app.screen, ArticleScreen)
        done = await asyncio.to_thread(
            subprocess.run,
            [sys.executable, "-c", other, str(library), article.id],
            capture_output=True,
            text=True,
            env=os.environ.copy(),
        )
        assert done.returncode == 0, done.stderr
        theirs = done.stdout.strip()
        await pilot.press("q", "enter")
        assert isinstance(app.screen, ArticleScreen)
        view = app.screen.query_one(ParagraphView)
        assert [a.id for a in view.annotations_at(2)] == [theirs]

        holding = await asyncio.to_thread(hold, library)
        begun = release_after_a_transaction_begins(store.db.conn, holding)
        try:
            await pilot.press("j", "h")
        finally:
            store.db.conn.set_trace_callback(None)
            lines, _ = await asyncio.to_thread(finish, holding)
        assert begun == ["BEGIN IMMEDIATE"]
        assert lines == [{"t": "released"}]
        mine = [a for a in store.list_annotations(article.id) if a.id != theirs]
        assert [(a.anchor.start_block, a.note) for a in mine] == [(1, "")]
        assert error_toasts(app) == []
    store.close()
