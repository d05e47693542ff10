"""The Textual application: global keys, stylesheet, the injected library."""

from __future__ import annotations

from collections.abc import Iterable
from functools import partial
from pathlib import Path

from textual.app import App, SystemCommand
from textual.binding import Binding, BindingType
from textual.screen import Screen
from textual.theme import Theme

from annotations.store import AnnotationStore
from reader.keys import screen_keys
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
        saved = self.store.get_setting("theme")
        if saved in self.available_themes:
            self.theme = saved
        self.theme_changed_signal.subscribe(self, self._remember_theme)
        self.push_screen(LibraryScreen())
        if self.open_article:
            from reader.screens.article import ArticleScreen

            self.push_screen(ArticleScreen(self.open_article))

    def _remember_theme(self, theme: Theme) -> None:
        self.store.set_setting("theme", theme.name)

    def action_help(self) -> None:
        """Show the keys of the current screen."""
        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen(self.screen))

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        """Textual's commands, then every action of the current screen by name."""
        yield from super().get_system_commands(screen)
        for entry in screen_keys(screen, self):
            if entry.node is self:
                continue
            yield SystemCommand(
                entry.description,
                f"{entry.tooltip} ({' '.join(entry.keys)})",
                partial(entry.node.run_action, entry.action),
            )
