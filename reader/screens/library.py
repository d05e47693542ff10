"""The first screen: every article in the library."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from rich.text import Text
from textual import getters, on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Static

from annotations.models import Article
from annotations.store import AnnotationStore, LibraryError
from reader.ingest import ImportFailure, ImportSummary, import_item, is_url, iter_files
from reader.safe import safe_text
from reader.screens.export import export_article
from reader.screens.path_dialog import PathDialog
from reader.widgets.article_table import ArticleTable
from reader.widgets.import_progress import ImportProgress

PROGRESS_INTERVAL = 0.1
"""Seconds between two updates of the import progress line."""
FAILURES_SHOWN = 5
"""How many failed items an import's report names."""


class LibraryScreen(Screen[None]):
    """The list of articles, with import and export."""

    BINDINGS: list[BindingType] = [
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
            "stop_import",
            "Stop import",
            tooltip="Stop the running import after the current file",
            id="stop-import",
        ),
        Binding("e", "export", "Export", tooltip="Export the article's annotations", id="export"),
        Binding("q", "app.quit", "Quit", tooltip="Leave reader", id="quit"),
    ]
    """Library keys; j/k and arrows move in the list."""

    table = getters.query_one(ArticleTable)
    _articles: list[Article] = []
    summary = getters.query_one("#library-summary", Static)
    import_progress = getters.query_one(ImportProgress)
    _importing = False
    """Whether an import runs (only one at a time)."""

    def __init__(self) -> None:
        super().__init__()
        self._stop_import = threading.Event()
        self.import_thread_done = threading.Event()
        """Set when the import thread has ended (it may outlive the screen by one item)."""

    def compose(self) -> ComposeResult:
        yield Static(id="library-summary")
        yield ArticleTable(id="articles")
        yield Static(
            "The library is empty. Press i to import a file or a folder.", id="library-empty"
        )
        yield ImportProgress()
        yield Footer()

    def on_mount(self) -> None:
        self.reload()

    def on_resize(self) -> None:
        self.table.show_articles(self._articles, self.app.size.width)

    def on_screen_resume(self) -> None:
        self.reload()
        self.table.focus()

    def reload(self, select: str | None = None) -> None:
        """Read the articles again from the library."""
        articles = self._articles = self.app.store.list_articles()
        self.table.show_articles(articles, self.app.size.width)
        if select:
            self.table.select(select)
        annotations = sum(article.annotation_count for article in articles)
        path = self.app.store.path or "memory"
        self.summary.update(
            Text.assemble(
                ("reader", "bold"),
                f"  {len(articles)} articles · {annotations} annotations · ",
                (safe_text(str(path)), "dim"),
            )
        )
        self.set_class(not articles, "-empty")

    def action_open_article(self) -> None:
        """Open the selected article."""
        from reader.screens.article import ArticleScreen

        article_id = self.table.selected_id
        if article_id is not None:
            self.app.push_screen(ArticleScreen(article_id))

    @on(DataTable.RowSelected)
    def _row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        self.action_open_article()

    def action_import(self) -> None:
        """Ask for a file, folder or web address and import it in the background."""
        if self._importing:
            self.notify("An import is running", severity="warning")
            return

        def chosen(target: str | None) -> None:
            if target:
                self.start_import(target)

        self.app.push_screen(
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
        if self._importing:
            self._stop_import.set()
            self.notify("Stopping the import after the current file…")

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Offer stopping an import only while one runs."""
        if action == "stop_import":
            return self._importing
        return True

    @work(thread=True, group="import", exit_on_error=False)
    def import_path(self, targets: Sequence[str | Path]) -> None:
        """Import in a thread, into a second connection to the library file if it has one.

        An in-memory library cannot be shared between threads: then each item is stored
        on the UI thread.
        """
        summary = ImportSummary()
        stopped = False
        try:
            stopped = self._import_all(targets, summary)
        except Exception as error:  # any surprise is reported, never a crash
            summary.failures.append((", ".join(map(str, targets)), f"import stopped: {error}"))
        finally:
            try:
                self._call_ui(self._import_finished, summary, stopped)
            finally:
                self.import_thread_done.set()

    def _call_ui(self, callback: Callable[..., object], *args: object) -> object:
        """Run on the UI thread from the import thread; nothing once the app is closing."""
        if not self.app.is_running or not self.is_attached:
            return None
        try:
            return self.app.call_from_thread(callback, *args)
        except RuntimeError:
            return None

    @staticmethod
    def _import_items(targets: Sequence[str | Path], summary: ImportSummary) -> list[Path | str]:
        """The files (folders walked) and URLs to import; missing paths are failures."""
        items: list[Path | str] = []
        for target in targets:
            if isinstance(target, str) and is_url(target):
                items.append(target)
                continue
            path = Path(target).expanduser()
            if path.exists() or path.is_symlink():
                items.extend(iter_files([path]))
            else:
                summary.failures.append((str(target), "no such file or folder"))
        return items

    def _import_all(self, targets: Sequence[str | Path], summary: ImportSummary) -> bool:
        """Import every item of the targets into the summary; True if stopped before the end."""
        items = self._import_items(targets, summary)
        store = self._thread_store()
        shown = 0.0
        try:
            for number, item in enumerate(items, 1):
                if self._stop_import.is_set() or not self.app.is_running:
                    return True
                now = time.monotonic()
                if now - shown > PROGRESS_INTERVAL or number == 1:
                    shown = now
                    name = item.name if isinstance(item, Path) else item
                    self._call_ui(self.import_progress.advance, number - 1, len(items), name)
                self._import_one(store, item, summary)
        finally:
            if store is not None:
                store.close()
        return False

    def _thread_store(self) -> AnnotationStore | None:
        """A connection of this thread to the library file, or None for an in-memory one."""
        main = self.app.store
        if main.path is None:
            return None
        try:
            return AnnotationStore(main.path, clock=main.clock)
        except LibraryError:
            return None

    def _import_one(
        self, store: AnnotationStore | None, item: Path | str, summary: ImportSummary
    ) -> None:
        try:
            if store is None:
                results = self._call_ui(import_item, self.app.store, item)
            else:
                results = import_item(store, item)
        except ImportFailure as error:
            summary.failures.append((str(item), str(error)))
            return
        for result in results or []:
            setattr(summary, result.status, getattr(summary, result.status) + 1)
            summary.article_ids.append(result.article.id)

    def _import_finished(self, summary: ImportSummary, stopped: bool) -> None:
        """Back on the UI thread: hide the progress, reload the list, report."""
        self._importing = False
        self.import_progress.finish()
        self.refresh_bindings()
        self.reload(summary.article_ids[-1] if summary.article_ids else None)
        if summary.failures:
            lines = [
                f"{Path(item).name if not is_url(item) else item}: {reason}"
                for item, reason in summary.failures[:FAILURES_SHOWN]
            ]
            more = summary.failed - len(lines)
            if more:
                lines.append(f"… and {more} more")
            self.notify(
                "\n".join(lines),
                title=f"{summary.failed} could not be imported",
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
        article = self.app.store.get_article(article_id)
        export_article(self, article)
