"""The Textual application: global keys, stylesheet, the injected library."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from functools import partial
from pathlib import Path

from textual.app import SystemCommand
from textual.binding import Binding, BindingType
from textual.notifications import SeverityLevel
from textual.screen import Screen
from textual.theme import Theme

from annotations.errors import StorageError, storage_problem
from annotations.store import AnnotationStore
from reader.crash import CrashReportingApp
from reader.keys import screen_keys
from reader.library import export_dir
from reader.safe import safe_lines, safe_text
from reader.screens.annotations import AnnotationsScreen
from reader.screens.help import HelpScreen
from reader.screens.library import LibraryScreen
from reader.screens.rename_tag_dialog import RenameTagDialog
from reader.screens.search import SearchScreen

COMMANDS_WITH_KEYS = {"app.search_library", "app.show_annotations"}
"""Screen keys that run one of the app's own palette commands, listed once as that command."""


class ReaderApp(CrashReportingApp):
    """A keyboard-driven reader that keeps highlights, tags and notes.

    Args:
        store: The library to show.
        open_article: Id of an article to open at start, over the library.
        export_folder: Where exports go by default.
    """

    CSS_PATH = "reader.tcss"
    TITLE = "reader"

    BINDINGS: list[BindingType] = [
        Binding("question_mark", "help", "Keys", tooltip="Show every key", id="help"),
    ]
    """Keys that work on every screen."""

    def __init__(
        self,
        store: AnnotationStore,
        *,
        open_article: str | None = None,
        export_folder: Path | None = None,
    ) -> None:
        super().__init__()
        self.store = store
        self.open_article = open_article
        self.export_folder = export_folder or export_dir()

    def crash_details(self) -> dict[str, str]:
        """The library file, with the app's facts, for a crash report."""
        return {"library": str(self.store.path or "in memory"), **super().crash_details()}

    def on_mount(self) -> None:
        saved = self.store.get_setting("theme")
        if saved in self.available_themes:
            self.theme = saved
        self.theme_changed_signal.subscribe(self, self._remember_theme)
        self.push_screen(LibraryScreen())
        if self.open_article:
            from reader.screens.article import ArticleScreen

            self.push_screen(ArticleScreen(self.open_article))

    def notify(
        self,
        message: str,
        *,
        title: str = "",
        severity: SeverityLevel = "information",
        timeout: float | None = None,
        markup: bool = True,
    ) -> None:
        """Show a toast; control characters in it (from file names, paths) are made visible.

        Messages name files, folders and articles that may hold terminal escape sequences.
        """
        super().notify(
            safe_lines(message),
            title=safe_text(title),
            severity=severity,
            timeout=timeout,
            markup=markup,
        )

    def _remember_theme(self, theme: Theme) -> None:
        self.save(lambda: self.store.set_setting("theme", theme.name))

    def save(self, write: Callable[[], object]) -> bool:
        """Make a change to the library; if the library refuses it, say so.

        Args:
            write: Calls the store to make the change.

        Returns:
            Whether the change was saved. When not (disk full, read-only or damaged
            library), nothing of it was, and an error toast says why; the app goes on.
        """
        try:
            write()
        except StorageError as error:
            self.not_saved(error)
            return False
        return True

    def not_saved(self, error: StorageError) -> None:
        """Tell the reader that a change was not saved, and why."""
        self.notify(
            f"Not saved: {storage_problem(error)}",
            title="Library",
            severity="error",
            timeout=10,
            markup=False,
        )

    def action_help(self) -> None:
        """Show the keys of the current screen."""
        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen(self.screen))

    def action_search_library(self) -> None:
        """Search the text, notes and tags of every article."""
        if isinstance(self.screen, SearchScreen):
            self.screen.query_input.focus()
        else:
            self.push_screen(SearchScreen())

    def action_show_annotations(self) -> None:
        """List every annotation in the library."""
        if not isinstance(self.screen, AnnotationsScreen):
            self.push_screen(AnnotationsScreen())

    def action_rename_tag(self) -> None:
        """Rename a tag everywhere, or merge it into another."""
        tags = self.store.list_tags()
        if not tags:
            self.notify("There are no tags yet", severity="warning")
            return
        screen = self.screen
        current = screen.tag if isinstance(screen, AnnotationsScreen) else None

        def renamed(names: tuple[str, str] | None) -> None:
            if names is not None and isinstance(screen, AnnotationsScreen):
                screen.tag_renamed(*names)

        self.push_screen(RenameTagDialog(tags, current), renamed)

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        """Textual's commands, the library-wide ones, then every action of the screen by name."""
        yield from super().get_system_commands(screen)
        yield SystemCommand(
            "Search the library",
            "Full-text search over every article, note and tag (/ in the library)",
            self.action_search_library,
        )
        yield SystemCommand(
            "All annotations",
            "Every annotation in the library, filterable by tag and text (a in the library)",
            self.action_show_annotations,
        )
        yield SystemCommand(
            "Rename or merge a tag",
            "Give a tag a new name everywhere, or merge it into an existing tag",
            self.action_rename_tag,
        )
        for entry in screen_keys(screen, self):
            if entry.node is self or entry.action in COMMANDS_WITH_KEYS:
                continue
            yield SystemCommand(
                entry.description,
                f"{entry.tooltip} ({' '.join(entry.keys)})",
                partial(entry.node.run_action, entry.action),
            )
