"""Several processes using one library at once: no write fails, none is lost, all see all.

Writers take turns on SQLite's write lock (transactions take it as they begin, and
wait for it up to the busy timeout); readers never wait in WAL mode.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from annotations.models import Block, BlockKind, Document
from annotations.store import BUSY_TIMEOUT_MS, AnnotationStore
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


def start(*command: str) -> subprocess.Popen[str]:
    """A process of ours, its output read as text."""
    return subprocess.Popen(
        list(command),
        stdin=subprocess.DEVNULL,
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


def hold(library: Path, seconds: float) -> subprocess.Popen[str]:
    """A process holding the library's write lock; returns once it holds it."""
    process = start(sys.executable, str(BURST), "hold", str(library), str(seconds))
    assert process.stdout is not None
    assert json.loads(process.stdout.readline()) == {"t": "holding"}
    return process


def finish(process: subprocess.Popen[str]) -> tuple[list[dict[str, Any]], str]:
    """Wait for a process; its report lines and its stderr."""
    out, err = process.communicate(timeout=120)
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
    _, err = importing.communicate(timeout=120)
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
    another connection's rename commits in the middle: both changes are saved.
    """
    library = tmp_path / "library.db"
    first = AnnotationStore(library)
    article = first.import_document(
        Document("Turns", (Block(BlockKind.PARAGRAPH, "Writers take turns, and none fails."),))
    ).article
    annotation = first.add_highlight(article.id, (0, 0), (0, 7), tags=["turns"])
    renamed = threading.Event()
    errors: list[BaseException] = []

    def rename() -> None:
        second = AnnotationStore(library)
        try:
            second.rename_tag("turns", "taking turns")
        except BaseException as error:
            errors.append(error)
        finally:
            second.close()
        renamed.set()

    with first.db.atomic():
        first.get_article(article.id)
        thread = threading.Thread(target=rename)
        thread.start()
        waited = not renamed.wait(0.5)
        first.set_note(annotation.id, "moved")
    thread.join(timeout=BUSY_TIMEOUT_MS / 1000)
    assert errors == []
    assert waited and renamed.is_set()
    saved = AnnotationStore(library).get_annotation(annotation.id)
    assert (saved.note, saved.tags) == ("moved", ("taking turns",))
    first.close()


def test_readers_do_not_wait_and_writers_wait_for_a_long_write(tmp_path: Path) -> None:
    """While another process holds the write lock, reading is immediate; a write waits."""
    library = tmp_path / "library.db"
    store = AnnotationStore(library)
    article = store.import_document(
        Document("Waiting", (Block(BlockKind.PARAGRAPH, "Readers read while one writes."),))
    ).article
    holding = hold(library, 1.5)
    started = time.monotonic()
    store.list_articles()
    store.list_annotations()
    store.search("readers")
    read = time.monotonic() - started
    annotation = store.add_highlight(article.id, (0, 0), (0, 7), note="after the wait")
    written = time.monotonic() - started
    assert finish(holding)[0] == [{"t": "released"}]
    assert read < 0.75
    assert 0.75 < written < BUSY_TIMEOUT_MS / 1000
    store.close()
    assert AnnotationStore(library).get_annotation(annotation.id).note == "after the wait"


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
    highlight made in the app while the other process holds the write lock for a
    second is saved, with no error shown.
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

        holding = await asyncio.to_thread(hold, library, 1.0)
        await pilot.press("j", "h")
        lines, _ = await asyncio.to_thread(finish, holding)
        assert lines == [{"t": "released"}]
        mine = [a for a in store.list_annotations(article.id) if a.id != theirs]
        assert [(a.anchor.start_block, a.note) for a in mine] == [(1, "")]
        assert error_toasts(app) == []
    store.close()
