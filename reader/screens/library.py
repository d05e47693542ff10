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
from textual.notifications import SeverityLevel
from textual.widgets import Input, Static

from annotations.errors import LibraryError, NotFoundError, StorageError
from annotations.models import Article
from annotations.store import AnnotationStore
from reader.dialogs.confirm import ConfirmDialog
from reader.safe import safe_text
from reader.screens.base import FilteredListScreen, refusals_noticed
from reader.widgets.annotation_list import fit
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
SHELVES = {
    "reading": "Reading",
    "archived": "Archived",
    "all": "All",
}
"""The library's shelves, as the store names them and as the summary line says them; `s`
goes through them in this order. The list opens on the articles being read."""
ORDER_SETTING = "library_order"
"""The library setting that remembers the order between sessions."""

TITLE_SHOWN = 50
"""Cells of an article's title that a question or a notice names it by at most."""

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
            "s",
            "cycle_shelf",
            "Shelf",
            tooltip="Switch shelf: reading, archived, all",
            id="shelf",
        ),
        Binding("u", "undelete", "Undo", tooltip="Bring back the article deleted last", id="undo"),
        Binding(
            "escape",
            "clear_filter",
            "Clear filter",
            tooltip="Show every article of the shelf again",
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
        Binding("E", "edit", "Edit", tooltip="Edit the title, author, date and tags", id="edit"),
        Binding(
            "x",
            "archive(True)",
            "Archive",
            tooltip="Archive the article (finished): off the reading shelf",
            id="archive",
        ),
        Binding(
            "x",
            "archive(False)",
            "Unarchive",
            tooltip="Put the archived article back on the reading shelf",
            id="unarchive",
        ),
        Binding(
            "d,delete",
            "delete",
            "Delete",
            tooltip="Delete the article to the trash (asks first; u brings it back)",
            id="delete",
        ),
        Binding("number_sign", "pick_tag", "Tag", tooltip="Filter by article tag", id="filter-tag"),
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
        self.shelf = "reading"
        """Which articles the list shows: a key of `SHELVES`."""
        self.tag: str | None = None
        """The article tag filtering the list, if any."""
        self._deleted: list[str] = []
        """The articles deleted from the list to the trash, the last one last (u)."""
        self._tagged = False
        """Whether any article has a tag (to filter by), when the list was last read."""

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
        # What x does (archive or unarchive) follows the article under the cursor.
        self.watch(self.table, "cursor", self._cursor_moved, init=False)

    def _cursor_moved(self) -> None:
        self.refresh_bindings()

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
        order, text, shelf, tag = self.order, self.text or None, self.shelf, self.tag
        select = select or self.table.selected_id
        cursor = self.table.cursor_row
        total = store.count_articles(text, shelf=shelf, tag=tag)

        def fetch(offset: int, limit: int) -> list[Article]:
            return store.list_articles_page(
                offset, limit, order=order, text=text, shelf=shelf, tag=tag
            )

        def locate(article_id: str) -> int | None:
            return store.position_of(article_id, order, text, shelf=shelf, tag=tag)

        if select is not None:
            found = locate(select)
            cursor = cursor if found is None else found
        self.table.show(total, fetch, locate, cursor=cursor)
        self._tagged = any(tag.articles for tag in store.list_tags())
        self._show_summary(total)
        self.refresh_bindings()  # the article under the cursor, the filters may have changed

    @property
    def filtered(self) -> bool:
        """Whether words or a tag narrow the shelf's list."""
        return bool(self.text or self.tag)

    def _show_summary(self, shown: int) -> None:
        """The summary line (shelf, counts, order, filters, library file) and the empty
        message."""
        store = self.app.store
        on_shelf = store.count_articles(shelf=self.shelf) if self.filtered else shown
        # When the line is too narrow, the library file goes first, then the app's
        # name, the annotations and the order; the shelf, the count and the filters stay.
        count = plural(on_shelf, "article")
        parts = [
            Part.text("reader", "bold", rank=1),
            Part.text(SHELVES[self.shelf], "$text-accent", rank=10, before="  "),
            Part.text(f"{shown:,} of {count}" if self.filtered else count, rank=9),
        ]
        if self.tag:
            parts.append(Part.text(f"#{safe_text(self.tag)}", "$text-accent", rank=8))
        if self.text:
            parts.append(Part.text(f"“{safe_text(self.text)}”", rank=8))
        parts.append(Part.text(plural(store.count_annotations(), "annotation"), rank=2))
        parts.append(Part.text(ORDERS[self.order], "$text-accent", rank=3))
        parts.append(Part.text(safe_text(shown_path(store.path)), "dim", rank=0))
        self.summary.update(parts)
        self.empty.update("" if shown else self._empty_message(on_shelf))
        self.set_class(not shown, "-empty")

    def _empty_message(self, on_shelf: int) -> str:
        """What the screen says when the list is empty, and what to do about it."""
        if self.tag and on_shelf:
            return "No article here has that tag. Escape clears the filter."
        if self.text and on_shelf:
            return "No article's title or author contains that. Escape clears the filter."
        if self.shelf == "archived":
            return "No archived articles. x on an article archives it; s shows the others."
        if self.shelf == "reading" and self.app.store.count_articles(shelf="all"):
            return "Every article is archived. s shows the archived ones; i imports more."
        return "The library is empty. Press i to import a file or a folder."

    def action_cycle_shelf(self) -> None:
        """Show the next shelf: the articles being read, the archived ones, all of them."""
        names = list(SHELVES)
        self.shelf = names[(names.index(self.shelf) + 1) % len(names)]
        self.reload()

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
        if self.filtered:
            self.text = ""
            self.tag = None
            self.reload()

    def action_pick_tag(self) -> None:
        """Choose an article tag to filter the list by (or all tags)."""
        from reader.dialogs.tag_filter import ALL_TAGS, TagFilterDialog

        tags = sorted(
            ((tag.name, tag.articles) for tag in self.app.store.list_tags() if tag.articles),
            key=lambda pair: (-pair[1], pair[0].casefold()),
        )
        if not tags:
            self.notify("No article has a tag yet: E on an article gives it some")
            return

        def chosen(tag: str | None) -> None:
            if tag is not None:
                self.tag = None if tag == ALL_TAGS else tag
                self.reload()

        dialog = TagFilterDialog(tags, self.tag, title="Filter articles by tag")
        self.app.ask(dialog, chosen)

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
        - clearing the filter while it is shown, or words or a tag filter the list;
        - one import at a time (dimmed while one runs);
        - undoing a delete while there is one to undo;
        - filtering by tag while an article has one (dimmed when none has);
        - archiving the article under the cursor, or unarchiving an archived one;
        - opening, exporting, editing, archiving and deleting while the list shows an
          article (dimmed when empty).
        """
        if action == "stop_import":
            if not self._importing:
                return False
            return None if self._stop_import.is_set() else True
        if action == "clear_filter":
            return self.has_class("-filtering") or self.filtered
        if action == "import":
            return not self._importing or None
        if action == "undelete":
            return bool(self._deleted)
        if action == "pick_tag":
            return self._tagged or bool(self.tag) or None
        if action == "archive":
            article = self.table.selected
            if article is None:
                return None if parameters[0] else False  # "Archive", dimmed
            return parameters[0] != article.archived
        if action in ("open_article", "export", "edit", "delete"):
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
        # One notice: the notice line shows the newest only, so the summary and what went
        # wrong are said together (the summary first, then the files and their problems).
        problems = [
            f"{title}: {_problem_lines(items)}"
            for items, title in (
                (summary.warnings, f"with {plural(len(summary.warnings), 'warning')}"),
                (summary.failures, f"{summary.failed} could not be imported"),
            )
            if items
        ]
        if summary.orphaned:
            problems.append(summary.orphans_line())
        severity: SeverityLevel = (
            "error" if summary.failed else "warning" if problems else "information"
        )
        self.notify(
            "\n".join(
                [summary.line() + (" (stopped before the end)" if stopped else ""), *problems]
            ),
            title="Import",
            severity=severity,
            markup=False,
            timeout=10 if problems else self.app.NOTIFICATION_TIMEOUT,
        )

    # Changing the articles ---------------------------------------------------

    def _selected_article(self, missing: str) -> Article | None:
        """The article under the cursor as the library holds it now; None, said in a
        notice, when the list is empty."""
        article_id = self.table.selected_id
        if article_id is None:
            self.notify(missing, severity="warning")
            return None
        return self.app.store.get_article(article_id)

    def action_edit(self) -> None:
        """Edit the selected article's title, author, date and tags."""
        article = self._selected_article("No article to edit")
        if article is None:
            return
        from reader.dialogs.edit_article import EditArticleDialog

        def edited(saved: Article | None) -> None:
            if saved is not None:
                self.reload(select=saved.id)
                self.notify(f"Saved “{fit(safe_text(saved.title), TITLE_SHOWN)}”")

        known = [tag.name for tag in self.app.store.list_tags()]
        self.app.ask(EditArticleDialog(article, known), edited)

    def action_archive(self, archived: bool = True) -> None:
        """Archive the selected article (finished), or put it back on the reading shelf."""
        article = self._selected_article("No article to archive")
        if article is None or article.archived == archived:
            return
        if not self.app.save(lambda: self.app.store.set_archived(article.id, archived)):
            return
        self.reload(select=article.id)
        title = fit(safe_text(article.title), TITLE_SHOWN)
        if not archived:
            self.notify(f"“{title}” is back on the reading shelf")
        elif self.shelf == "reading":
            self.notify(f"Archived “{title}” · s shows the archived shelf")
        else:
            self.notify(f"Archived “{title}”")

    def action_delete(self) -> None:
        """Delete the selected article to the trash, after asking (u brings it back)."""
        article = self._selected_article("No article to delete")
        if article is None:
            return
        title = fit(safe_text(article.title), TITLE_SHOWN)

        def confirmed(yes: bool | None) -> None:
            from annotations.trash import delete_article

            store = self.app.store
            if not yes or not self.app.save(lambda: delete_article(store, article.id)):
                return
            self._deleted.append(article.id)
            self.reload()
            self.notify(f"Deleted “{title}” · u brings it back")

        count = article.annotation_count
        if count:
            question = f"Delete “{title}” and its {plural(count, 'annotation')}?"
        else:
            question = f"Delete “{title}” (no annotations)?"
        detail = "It goes to the trash: u right after brings it back whole."
        self.app.ask(ConfirmDialog(question, detail), confirmed)

    def action_undelete(self) -> None:
        """Bring back the article deleted last, whole: text, annotations, position."""
        if not self._deleted:
            return
        from annotations.trash import undelete

        article_id = self._deleted.pop()
        self.refresh_bindings()
        try:
            entry = undelete(self.app.store, article_id)
        except NotFoundError:
            self.notify(
                "That article is no longer in the trash (brought back or emptied elsewhere)",
                severity="warning",
            )
            self.reload()
            return
        except StorageError as error:
            self._deleted.append(article_id)  # u can try again
            self.refresh_bindings()
            self.app.not_saved(error)
            return
        self.reload(select=article_id)
        title = fit(safe_text(entry.title), TITLE_SHOWN)
        if self.table.selected_id == article_id:
            self.notify(f"Brought back “{title}”")
        else:
            self.notify(f"Brought back “{title}” (not on this shelf or filter)")

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
