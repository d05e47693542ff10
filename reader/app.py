"""The Textual application: global keys, stylesheet, the injected library."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from textual.app import App, SystemCommand
from textual.binding import Binding, BindingType
from textual.screen import Screen

from annotations.store import AnnotationStore
from reader.library import export_dir
from reader.screens.help import HelpScreen
from reader.screens.library import LibraryScreen


class ReaderApp(App[None]):
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

    def on_mount(self) -> None:
        self.push_screen(LibraryScreen())
        if self.open_article:
            from reader.screens.article import ArticleScreen

            self.push_screen(ArticleScreen(self.open_article))

    def action_help(self) -> None:
        """Show the keys of the current screen."""
        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen(self.screen))

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        yield from super().get_system_commands(screen)
        yield SystemCommand("Keys", "Show every key of this screen", self.action_help)
        if isinstance(screen, LibraryScreen):
            yield SystemCommand("Import", "Import a file or folder", screen.action_import)
            yield SystemCommand(
                "Export", "Export the selected article's annotations", screen.action_export
            )
        elif hasattr(screen, "action_export"):
            yield SystemCommand("Export", "Export this article's annotations", screen.action_export)
