"""The first screen: every article in the library, sorted and filtered as the reader likes."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar, TypeVar

from textual import getters, on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.widgets import Input, Static

from annotations.errors import LibraryError
from annotations.models import Article
from annotations.store import AnnotationStore
from reader.safe import safe_text
from reader.screens.base import FilteredListScreen, refusals_noticed
from reader.widgets.article_table import ArticleTable
from reader.widgets.fitted import FittedLines, Part
from reader.widgets.import_progress import ImportProgress
from reader.widgets.key_bar import KeyBar
from reader.widgets.notices import NoticeLine
from reader.words import plural

if TYPE_CHECKING:
    from reader.ingest import ImportJob, ImportSummary

# The ingest package (parsers, fetching, YAML, charset detection), the export and the path
# dialog are imported when an import or export starts: not needed for the first screen.

PROGRESS_INTERVAL = 0.1
"""Seconds between two updates of the import progress line."""
FAILURES_SHOWN = 5
"""How many failed items, and how many warnings, an import's report names."""
"""Seconds after the last keystroke in the filter before the list is read again."""
ORDERS = {
    "added": "newest first",
    "opened": "recently read first",
    "title": "by title",
    "date": "by date",
    "annotations": "most annotated first",
}
"""The list's orders, as the store names them and as the summary line says them; `o`
goes through them in this order."""
ORDER_SETTING = "library_order"
"""The library setting that remembers the order between sessions."""

Returned = TypeVar("Returned")


class LibraryScreen(FilteredListScreen):
    """The list of articles, with import and export; sorted by `o`, filtered by `f`."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter", "open_article", "Open", tooltip="Read the selected article", id="open"),
        Binding(
            "slash",
            "app.search_library",
            "Search",
            tooltip="Search the whole library (text, notes, tags)",
            id="search",
        ),
        Binding(
            "a",
            "app.show_annotations",
            "Annotations",
            tooltip="All annotations, filterable by tag and text",
            id="annotations",
        ),
        Binding(
            "i", "import", "Import", tooltip="Import a file, a folder or a web page", id="import"
        ),
        Binding(
            "escape",
            "clear_filter",
            "Clear filter",
            tooltip="Show every article again",
            id="clear-filter",
        ),
        Binding(
            "escape",
            "stop_import",
            "Stop import",
            tooltip="Stop the running import after the current file",
            id="stop-import",
        ),
        Binding("e", "export", "Export", tooltip="Export the article's annotations", id="export"),
        Binding(
            "o",
            "cycle_order",
            "Sort",
            tooltip="Sort by import, last read, title, date or annotations",
            id="order",
        ),
        Binding("f", "filter", "Filter", tooltip="Filter by title or author", id="filter"),
        Binding("q", "app.quit", "Quit", tooltip="Leave reader", id="quit"),
    ]
    """Library keys; j/k and arrows move in the list."""

    table = getters.query_one(ArticleTable)
    summary = getters.query_one("#library-summary", FittedLines)
    filter_input = getters.query_one("#library-filter", Input)
    empty = getters.query_one("#library-empty", Static)
    import_progress = getters.query_one(ImportProgress)
    _importing = False
    """Whether an import runs (only one at a time)."""

    def __init__(self) -> None:
        super().__init__()
        self._stop_import = threading.Event()
        self.import_thread_done = threading.Event()
        """Set when the import thread has ended (it may outlive the screen by one item)."""
        self.order = "added"
        """How the list is sorted: a key of `ORDERS`."""

    def compose(self) -> ComposeResult:
        yield FittedLines(id="library-summary")
        yield Input(
            placeholder="Filter by title or author",
            id="library-filter",
            classes="list-filter",
            compact=True,
        )
        yield ArticleTable(id="articles")
        yield Static(id="library-empty")
        yield ImportProgress()
        yield NoticeLine()
        yield KeyBar()

    def on_mount(self) -> None:
        saved = self.app.store.get_setting(ORDER_SETTING)
        self.order = saved if saved in ORDERS else "added"
        self.reload()

    def on_screen_resume(self) -> None:
        if self.library_changed():
            self.reload()
        self.table.focus()

    # The list ---------------------------------------------------------------

    def reload_from_library(self) -> None:
        """Read the list again (another process changed the library)."""
        self.reload()

    @refusals_noticed
    def reload(self, select: str | None = None) -> None:
        """Read the list again from the library, keeping the cursor on its article.

        Only the count is read here; the table reads the pages it shows.

        Args:
            select: Put the cursor on this article instead (if the list holds it).
        """
        self.library_read()
        store = self.app.store
        order, text = self.order, self.text or None
        select = select or self.table.selected_id
        cursor = self.table.cursor_row
        total = store.count_articles(text)

        def fetch(offset: int, limit: int) -> list[Article]:
            return store.list_articles_page(offset, limit, order=order, text=text)

        def locate(article_id: str) -> int | None:
            return store.position_of(article_id, order, text)

        if select is not None:
            found = locate(select)
            cursor = cursor if found is None else found
        self.table.show(total, fetch, locate, cursor=cursor)
        self._show_summary(total)

    def _show_summary(self, shown: int) -> None:
        """The summary line (counts, order, filter, library file) and the empty message."""
        store = self.app.store
        articles = store.count_articles() if self.text else shown
        # When the line is too narrow, the library file goes first, then the app's
        # name, the annotations and the order; the count and the filter stay.
        count = plural(articles, "article")
        parts = [
            Part.text("reader", "bold", rank=1),
            Part.text(f"{shown:,} of {count}" if self.text else count, rank=9, before="  "),
        ]
        if self.text:
            parts.append(Part.text(f"“{safe_text(self.text)}”", rank=8))
        parts.append(Part.text(plural(store.count_annotations(), "annotation"), rank=2))
        parts.append(Part.text(ORDERS[self.order], "$text-accent", rank=3))
        parts.append(Part.text(safe_text(shown_path(store.path)), "dim", rank=0))
        self.summary.update(parts)
        if shown:
            message = ""
        elif self.text:
            message = "No article's title or author contains that. Escape clears the filter."
        else:
            message = "The library is empty. Press i to import a file or a folder."
        self.empty.update(message)
        self.set_class(not shown, "-empty")

    def action_cycle_order(self) -> None:
        """Sort the list the next way: by import, last read, title, date, annotations."""
        names = list(ORDERS)
        self.order = order = names[(names.index(self.order) + 1) % len(names)]
        self.app.save(lambda: self.app.store.set_setting(ORDER_SETTING, order))
        self.reload()

    def action_filter(self) -> None:
        """Show the filter and type into it."""
        self.add_class("-filtering")
        self.filter_input.focus()
        self.refresh_bindings()

    def focus_list(self) -> None:
        self.table.focus()

    def action_clear_filter(self) -> None:
        """Clear and hide the filter, keeping the cursor on its article."""
        self._typing.cancel()
        with self.filter_input.prevent(Input.Changed):
            self.filter_input.value = ""
        self.remove_class("-filtering")
        self.table.focus()
        self.refresh_bindings()  # the focus may not have moved: escape from the list
        if self.text:
            self.text = ""
            self.reload()

    def action_open_article(self) -> None:
        """Open the selected article."""
        article_id = self.table.selected_id
        if article_id is not None:
            self._open(article_id)

    def _open(self, article_id: str) -> None:
        from reader.screens.article import ArticleScreen

        self.open_screen(ArticleScreen(article_id))

    @on(ArticleTable.Selected)
    def _row_selected(self, event: ArticleTable.Selected) -> None:
        event.stop()
        self._open(event.article_id)

    # Import -----------------------------------------------------------------

    def action_import(self) -> None:
        """Ask for a file, folder or web address and import it in the background."""
        if self._importing:
            self.notify("An import is running", severity="warning")
            return

        def chosen(target: str | None) -> None:
            if target:
                self.start_import(target)

        from reader.dialogs.path import PathDialog

        self.app.ask(
            PathDialog(
                "Import a file, a folder or a web page",
                placeholder="~/Articles, ~/article.md or https://…",
            ),
            chosen,
        )

    def start_import(self, *targets: str | Path) -> None:
        """Import files, folders (recursively) and http(s) URLs without blocking the screen.

        Only one import runs at a time; while it runs, another is refused with a message.
        """
        if self._importing:
            self.notify("An import is running", severity="warning")
            return
        self._importing = True
        self._stop_import.clear()
        self.import_thread_done.clear()
        self.import_progress.begin(", ".join(map(str, targets)))
        self.refresh_bindings()
        self.import_path(targets)

    def on_unmount(self) -> None:
        # Quitting during an import waits only for the item being imported.
        self._stop_import.set()

    def action_stop_import(self) -> None:
        """Stop the running import after the item being imported."""
        if self._importing and not self._stop_import.is_set():
            self._stop_import.set()
            self.refresh_bindings()
            self.notify("Stopping the import after the current file…")

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Offer only what works now.

        - stopping an import while one runs (dimmed once asked, while it finishes the
          current file);
        - clearing the filter while it is shown;
        - one import at a time (dimmed while one runs);
        - opening and exporting while the list shows an article (dimmed when empty).
        """
        if action == "stop_import":
            if not self._importing:
                return False
            return None if self._stop_import.is_set() else True
        if action == "clear_filter":
            return self.has_class("-filtering") or bool(self.text)
        if action == "import":
            return not self._importing or None
        if action in ("open_article", "export"):
            return bool(self.table.row_count) or None
        return True

    @work(thread=True, group="import", exit_on_error=False)
    def import_path(self, targets: Sequence[str | Path]) -> None:
        """Import in a thread, into a second connection to the library file if it has one.

        An in-memory library cannot be shared between threads: then what is read is stored
        on the UI thread.
        """
        from reader.ingest import ImportSummary

        summary = ImportSummary()
        stopped = False
        try:
            job = self._import_job(targets)
            summary = job.summary
            store = self._thread_store()
            try:
                if store is None:
                    job.run(self.app.store, self._call_ui)
                else:
                    job.run(store)
            finally:
                if store is not None:
                    store.close()
            stopped = job.stopped
        except Exception as error:  # any surprise is reported, never a crash
            summary.failures.append((", ".join(map(str, targets)), f"import stopped: {error}"))
        finally:
            try:
                self._call_ui(self._import_finished, summary, stopped)
            finally:
                self.import_thread_done.set()

    def _call_ui(self, callback: Callable[..., Returned], *args: object) -> Returned | None:
        """Run on the UI thread from the import thread; nothing once the app is closing."""
        if not self.app.is_running or not self.is_attached:
            return None
        try:
            return self.app.call_from_thread(callback, *args)
        except RuntimeError:
            return None

    def _import_job(self, targets: Sequence[str | Path]) -> ImportJob:
        """The import of the targets, showing its progress; escape or quitting stops it."""
        from reader.ingest import ImportJob, find_sources, item_name

        shown = 0.0

        def progress(done: int, item: Path | str | None) -> None:
            nonlocal shown
            now = time.monotonic()
            if item is not None and (done == 0 or now - shown > PROGRESS_INTERVAL):
                shown = now
                self._call_ui(self.import_progress.advance, done, len(job.items), item_name(item))

        def should_stop() -> bool:
            return self._stop_import.is_set() or not self.app.is_running

        job = ImportJob(find_sources(targets), on_progress=progress, should_stop=should_stop)
        return job

    def _thread_store(self) -> AnnotationStore | None:
        """A connection of this thread to the library file, or None for an in-memory one."""
        main = self.app.store
        if main.path is None:
            return None
        try:
            return AnnotationStore(main.path, clock=main.clock)
        except LibraryError:
            return None

    def _import_finished(self, summary: ImportSummary, stopped: bool) -> None:
        """Back on the UI thread: hide the progress, reload the list, report."""
        self._importing = False
        self.import_progress.finish()
        self.refresh_bindings()
        self.reload(summary.article_ids[-1] if summary.article_ids else None)
        for problems, title in (
            (summary.warnings, f"Imported with {plural(len(summary.warnings), 'warning')}"),
            (summary.failures, f"{summary.failed} could not be imported"),
        ):
            if problems:
                self.notify(
                    _problem_lines(problems),
                    title=title,
                    severity="warning",
                    markup=False,
                    timeout=10,
                )
        self.notify(
            summary.line() + (" (stopped before the end)" if stopped else ""),
            title="Import",
            severity="error" if summary.failed else "information",
            markup=False,
        )

    def action_export(self) -> None:
        """Export the selected article's annotations to a Markdown file."""
        article_id = self.table.selected_id
        if article_id is None:
            self.notify("No article to export", severity="warning")
            return
        from reader.screens.export import export_article

        article = self.app.store.get_article(article_id)
        export_article(self, article)


def _problem_lines(problems: Sequence[tuple[str, str]]) -> str:
    """The first few `(item, problem)` of an import as lines, each named by its file name."""
    from reader.ingest import is_url

    lines = [
        f"{Path(item).name if not is_url(item) else item}: {problem}"
        for item, problem in problems[:FAILURES_SHOWN]
    ]
    more = len(problems) - len(lines)
    if more:
        lines.append(f"… and {more} more")
    return "\n".join(lines)


def shown_path(path: Path | None) -> str:
    """A library file as the summary shows it: `~/…` inside the home folder."""
    if path is None:
        return "memory"
    try:
        return str(Path("~") / path.relative_to(Path.home()))
    except ValueError:
        return str(path)
