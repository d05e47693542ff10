"""The first screen: every article in the library."""

from __future__ import annotations

from pathlib import Path

from rich.text import Text
from textual import getters, on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Static

from annotations.models import Article
from reader.ingest import ImportFailure, iter_files, load_document
from reader.screens.export import export_article
from reader.screens.path_dialog import PathDialog
from reader.widgets.article_table import ArticleTable


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
        Binding("i", "import", "Import", tooltip="Import a file or folder", id="import"),
        Binding("e", "export", "Export", tooltip="Export the article's annotations", id="export"),
        Binding("q", "app.quit", "Quit", tooltip="Leave reader", id="quit"),
    ]
    """Library keys; j/k and arrows move in the list."""

    table = getters.query_one(ArticleTable)
    _articles: list[Article] = []
    summary = getters.query_one("#library-summary", Static)

    def compose(self) -> ComposeResult:
        yield Static(id="library-summary")
        yield ArticleTable(id="articles")
        yield Static(
            "The library is empty. Press i to import a file or a folder.", id="library-empty"
        )
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
                (str(path), "dim"),
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
        """Ask for a file or folder and import it."""

        def chosen(path: str | None) -> None:
            if path:
                self.import_path(Path(path).expanduser())

        self.app.push_screen(
            PathDialog("Import a file or folder", placeholder="~/Articles or ~/article.md"),
            chosen,
        )

    @work(thread=True, exclusive=True, group="import")
    def import_path(self, path: Path) -> None:
        """Parse files in a thread; each parsed document is stored on the UI thread."""
        if not path.exists():
            self.app.call_from_thread(
                self.notify, f"No such file or folder: {path}", severity="error", markup=False
            )
            return
        files = list(iter_files([path]))
        counts = {"imported": 0, "updated": 0, "unchanged": 0, "failed": 0}
        last_id = None
        for number, file in enumerate(files, 1):
            try:
                document = load_document(file)
            except ImportFailure as error:
                counts["failed"] += 1
                self.app.call_from_thread(
                    self.notify, f"{file.name}: {error}", severity="warning", markup=False
                )
                continue
            result = self.app.call_from_thread(self.app.store.import_document, document)
            counts[result.status] += 1
            last_id = result.article.id
            if number % 20 == 0:
                self.app.call_from_thread(self.summary.update, f"Importing… {number}/{len(files)}")
        line = ", ".join(f"{name} {count}" for name, count in counts.items())
        self.app.call_from_thread(self.reload, last_id)
        self.app.call_from_thread(
            self.notify,
            line,
            title="Import",
            severity="error" if counts["failed"] else "information",
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
