"""Importing from the library screen (`i`): files, folders, URLs, progress and failures."""

from __future__ import annotations

import asyncio
import shutil
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from textual.widgets import Input

from annotations.store import AnnotationStore
from reader.app import ReaderApp
from reader.dialogs.path import PathDialog
from reader.screens.library import LibraryScreen
from reader.widgets.article_table import ArticleTable
from reader.widgets.import_progress import ImportProgress
from tests.tui.conftest import HUNG_SECONDS, AppFactory, bar_keys, screen_text

SIZE = (110, 32)
DATA = Path(__file__).resolve().parent.parent / "data" / "highlights"
PAGE = "A page served slowly\n\nIt arrives only when the test lets it go.\n"


def messages(app: ReaderApp) -> list[str]:
    """The titles and texts of every notification shown so far."""
    return [f"{note.title}: {note.message}" for note in app._notifications]


def titles(store: AnnotationStore) -> set[str]:
    """The titles in the library."""
    return {article.title for article in store.list_articles()}


async def type_path(app: ReaderApp, pilot, target: str | Path) -> None:  # type: ignore[no-untyped-def]
    """Press i, fill in a path or URL in the dialog and press enter."""
    await pilot.press("i")
    assert isinstance(app.screen, PathDialog)
    app.screen.query_one(Input).value = str(target)
    await pilot.press("enter")


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    """Twelve articles, a Kindle clippings file and an empty file in a folder tree."""
    root = tmp_path / "inbox"
    (root / "sub").mkdir(parents=True)
    for number in range(1, 13):
        where = root / ("sub" if number % 2 else "") / f"note-{number:02}.txt"
        where.write_text(f"Field note {number}\n\nWhat was seen on day {number}.\n", "utf-8")
    shutil.copyfile(DATA / "My Clippings.txt", root / "My Clippings.txt")
    (root / "empty.md").write_bytes(b"")
    return root


async def test_i_imports_a_folder_with_progress_and_failures(
    library: AnnotationStore,
    make_app: AppFactory,
    folder: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A folder imports in the background: progress counts up, the list shows the new
    articles, the failure is named and the summary is shown."""
    shown: list[str] = []
    original = ImportProgress.advance

    def watched(self: ImportProgress, done: int, total: int, current: str = "") -> None:
        original(self, done, total, current)
        shown.append(self.status)

    monkeypatch.setattr(ImportProgress, "advance", watched)
    monkeypatch.setattr("reader.screens.library.PROGRESS_INTERVAL", 0.0)
    before = len(library.list_articles())
    app = make_app(library)
    async with app.run_test(size=SIZE) as pilot:
        await type_path(app, pilot, folder)
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert isinstance(app.screen, LibraryScreen)
        table = app.screen.query_one(ArticleTable)
        assert table.row_count == before + 14  # 12 notes and 2 books
        assert not app.screen.query_one(ImportProgress).has_class("-running")
        text = screen_text(app)
        notes = messages(app)

    assert shown[:2] == ["Importing 0/14 … My Clippings.txt", "Importing 1/14 … empty.md"]
    assert shown[-1].startswith("Importing 13/14 … ")
    assert {f"Field note {n}" for n in range(1, 13)} <= titles(library)
    assert "The Lighthouse Keeper's Almanac" in titles(library)
    assert any("empty.md: empty file" in note for note in notes)
    assert "Import: imported 14, updated 0, unchanged 0, failed 1" in [
        note.splitlines()[0] for note in notes
    ]
    assert "Importing" not in text


async def test_missing_path_is_reported(
    library: AnnotationStore, make_app: AppFactory, tmp_path: Path
) -> None:
    """A path that does not exist is a failure with its reason; nothing is imported."""
    before = titles(library)
    app = make_app(library)
    async with app.run_test(size=SIZE) as pilot:
        await type_path(app, pilot, tmp_path / "nowhere")
        await app.workers.wait_for_complete()
        await pilot.pause()
        notes = messages(app)
    assert notes[-1] == (
        "Import: imported 0, updated 0, unchanged 0, failed 1\n"
        "1 could not be imported: nowhere: no such file or folder"
    )
    assert titles(library) == before


async def test_a_warning_of_an_imported_file_is_shown(
    library: AnnotationStore, make_app: AppFactory, tmp_path: Path
) -> None:
    """A file imported with front matter that is not valid YAML is named with its warning."""
    path = tmp_path / "broken.md"
    path.write_text("---\ntitle: [unclosed\n---\n\nThe text itself.\n", encoding="utf-8")
    app = make_app(library)
    async with app.run_test(size=SIZE) as pilot:
        await type_path(app, pilot, path)
        await app.workers.wait_for_complete()
        await pilot.pause()
        notes = messages(app)
        shown = screen_text(app)
    # One notice, so the warning is not replaced at once by the summary: both are shown.
    assert notes[-1] == (
        "Import: imported 1, updated 0, unchanged 0, failed 0\n"
        "with 1 warning: broken.md: front matter is not valid YAML "
        "(line 2: expected ',' or ']', but got '<stream end>'); kept as text"
    )
    assert "Import: imported 1, updated 0, unchanged 0, failed 0" in shown
    assert "with 1 warning: broken.md: front matter is not valid YAML" in shown
    assert "The text itself." in titles(library)


class SlowPage:
    """A local web server whose page is sent only once the test releases it."""

    def __init__(self) -> None:
        self.release = threading.Event()
        self.requested = threading.Event()
        page = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                page.requested.set()
                page.release.wait(30)
                body = PAGE.encode("utf-8")
                try:
                    self.send_response(200)
                    self.send_header("Content-Type", "text/plain; charset=utf-8")
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                except OSError:
                    pass  # the client gave up

            def log_message(self, format: str, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/slow-page.txt"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    async def wait_for_request(self) -> None:
        """Let the app run until the page has been asked for."""
        if not await asyncio.to_thread(self.requested.wait, HUNG_SECONDS):
            pytest.fail(f"the page was not requested in {HUNG_SECONDS} s")


@pytest.fixture
def slow_page(monkeypatch: pytest.MonkeyPatch) -> Iterator[SlowPage]:
    """A slow page on 127.0.0.1, reached without any proxy."""
    for name in ("http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY", "all_proxy"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("no_proxy", "*")
    page = SlowPage()
    page.thread.start()
    yield page
    page.release.set()
    page.server.shutdown()
    page.server.server_close()


async def test_url_import_runs_in_the_background(
    library: AnnotationStore, make_app: AppFactory, slow_page: SlowPage
) -> None:
    """While a URL loads the list still moves, progress shows, and a second `i` is refused
    (dimmed in the key bar until the first import ends)."""
    app = make_app(library)
    async with app.run_test(size=SIZE) as pilot:
        table = app.screen.query_one(ArticleTable)
        await type_path(app, pilot, slow_page.url)
        await slow_page.wait_for_request()
        await pilot.pause()
        assert isinstance(app.screen, LibraryScreen)
        assert "Importing 0/1 … http://127.0.0.1" in screen_text(app)
        first = table.cursor_row
        await pilot.press("j")
        assert table.cursor_row == first + 1
        await pilot.press("k")
        assert table.cursor_row == first
        assert bar_keys(app)["i"] == ("Import", False)  # one at a time: dimmed
        await pilot.press("i")
        assert isinstance(app.screen, LibraryScreen)  # no second dialog

        slow_page.release.set()
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert table.selected_id == next(
            a.id for a in library.list_articles() if a.source == slow_page.url
        )
        assert "Import: imported 1, updated 0, unchanged 0, failed 0" in messages(app)
        assert "Importing" not in screen_text(app)
        assert bar_keys(app)["i"] == ("Import", True)
    assert "A page served slowly" in titles(library)


async def test_escape_stops_a_running_import(
    library: AnnotationStore, make_app: AppFactory, slow_page: SlowPage, tmp_path: Path
) -> None:
    """escape during an import stops it after the current item; the key bar offers it
    only while an import runs, dimmed once asked."""
    second = tmp_path / "after.txt"
    second.write_text("Never reached\n\nThis file comes after the slow page.\n", "utf-8")
    app = make_app(library)
    async with app.run_test(size=SIZE) as pilot:
        screen = app.screen
        assert isinstance(screen, LibraryScreen)
        assert "Stop import" not in screen_text(app)
        screen.start_import(slow_page.url, second)
        await slow_page.wait_for_request()
        await pilot.pause()
        assert "Stop import" in screen_text(app)
        assert bar_keys(app)["esc"] == ("Stop import", True)
        await pilot.press("escape")
        assert bar_keys(app)["esc"] == ("Stop import", False)  # asked: dimmed until it ends
        slow_page.release.set()
        await app.workers.wait_for_complete()
        await pilot.pause()
        notes = messages(app)
        assert (
            "Import: imported 1, updated 0, unchanged 0, failed 0 (stopped before the end)" in notes
        )
        assert "Never reached" not in titles(library)
        assert "Stop import" not in screen_text(app)
        assert "esc" not in bar_keys(app)
        # A new import may start once the first has finished.
        screen.start_import(second)
        await app.workers.wait_for_complete()
        await pilot.pause()
    assert "Never reached" in titles(library)


async def test_highlights_file_imports_one_article_per_book(
    library: AnnotationStore, make_app: AppFactory
) -> None:
    """A Readwise CSV chosen in the dialog becomes one article per book, annotated."""
    app = make_app(library)
    async with app.run_test(size=SIZE) as pilot:
        await type_path(app, pilot, DATA / "readwise-export.csv")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert "Import: imported 2, updated 0, unchanged 0, failed 0" in messages(app)
    orchard = next(a for a in library.list_articles() if a.title == "The Orchard Year")
    assert orchard.annotation_count == 4


async def test_quitting_during_an_import_stops_it(
    library: AnnotationStore, make_app: AppFactory, slow_page: SlowPage, tmp_path: Path
) -> None:
    """q during an import quits once the item being imported is done; nothing after it."""
    second = tmp_path / "after.txt"
    second.write_text("Never reached\n\nThis file comes after the slow page.\n", "utf-8")
    app = make_app(library)
    async with app.run_test(size=SIZE) as pilot:
        screen = app.screen
        assert isinstance(screen, LibraryScreen)
        screen.start_import(slow_page.url, second)
        await slow_page.wait_for_request()
        await pilot.press("q")
        try:
            await asyncio.wait_for(asyncio.shield(app._task), HUNG_SECONDS)
        except TimeoutError:
            pytest.fail(f"q did not end the app in {HUNG_SECONDS} s")
    # The app has ended and closed its screens while the import still waits for the
    # page: quitting did not wait for it.
    ended_first = not screen.import_thread_done.is_set()
    slow_page.release.set()
    assert not app.is_running
    assert ended_first, "quitting waited for the item being imported"
    done = await asyncio.to_thread(screen.import_thread_done.wait, HUNG_SECONDS)
    assert done, f"the import thread still runs {HUNG_SECONDS} s after the page was sent"
    assert "Never reached" not in titles(library)


async def test_in_memory_library_imports_on_the_ui_thread(
    store: AnnotationStore, make_app: AppFactory, tmp_path: Path
) -> None:
    """A library without a file cannot be shared with a thread; the import still works."""
    note = tmp_path / "memo.md"
    note.write_text("# A memo\n\nKept in memory only.\n", "utf-8")
    app = make_app(store)
    async with app.run_test(size=SIZE) as pilot:
        await type_path(app, pilot, note)
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert "Import: imported 1, updated 0, unchanged 0, failed 0" in messages(app)
        assert app.screen.query_one(ArticleTable).row_count == 1
    assert titles(store) == {"A memo"}


async def test_a_reimport_that_orphans_annotations_says_so(
    library: AnnotationStore, make_app: AppFactory, tmp_path: Path
) -> None:
    """Importing a changed file again names how many annotations it could not place."""
    path = tmp_path / "report.txt"
    gone = "Several boats ran aground near the breakwater that week."
    path.write_text(f"Harbour report\n\nThe ferry left at six. {gone}\n", encoding="utf-8")
    app = make_app(library)
    async with app.run_test(size=SIZE) as pilot:
        await type_path(app, pilot, path)
        await app.workers.wait_for_complete()
        (article,) = [a for a in library.list_articles() if a.title == "Harbour report"]
        texts = [block.text for block in library.get_blocks(article.id)]
        (index,) = [i for i, text in enumerate(texts) if gone in text]
        at = texts[index].index(gone)
        library.add_highlight(article.id, (index, at), (index, at + len(gone)))
        path.write_text("Harbour report\n\nThe ferry left at six.\n", encoding="utf-8")
        await type_path(app, pilot, path)
        await app.workers.wait_for_complete()
        await pilot.pause()
        notes = messages(app)
    assert notes[-1] == (
        "Import: imported 0, updated 1, unchanged 0, failed 0\n"
        "1 annotation could not be placed in the changed text and stays orphaned: "
        "the annotations list (a) shows it and re-attaches it (r)"
    )
