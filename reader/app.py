"""The Textual application: global keys, stylesheet, the injected library."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, TypeVar

from textual.actions import ActionParseResult
from textual.app import SystemCommand, get_system_commands_provider
from textual.binding import Binding, BindingType
from textual.dom import DOMNode
from textual.notifications import SeverityLevel
from textual.screen import Screen
from textual.theme import Theme, ThemeProvider

from annotations.errors import NotFoundError, ReaderError, StorageError, storage_problem
from annotations.store import AnnotationStore
from reader.crash import CrashReportingApp
from reader.keys import screen_keys
from reader.library import export_dir
from reader.safe import safe_lines, safe_text
from reader.screens.base import Dialog, ReaderScreen
from reader.screens.library import LibraryScreen
from reader.widgets.notices import Notice, NoticeLine

if TYPE_CHECKING:
    from textual.command import Provider

# The other screens (annotations, search, help, the palette, dialogs) are imported when
# first shown: start-up loads only what the first screen needs.

Answer = TypeVar("Answer")

COMMANDS_WITH_KEYS = {"search_library", "show_annotations", "help"}
"""App actions with a key that are palette commands of their own, listed once as that command."""
NOT_COMMANDS = {"command_palette"}
"""App actions with a key that the palette does not list."""
TEXT_WIDTH_SETTING = "text-width"
"""The library's setting for the width of an article's text: `column` or `full`."""


def _theme_commands() -> type[Provider]:
    """The palette's themes (loaded with the palette, not at start-up)."""
    from reader.screens.palette import ThemeCommands

    return ThemeCommands


class ReaderApp(CrashReportingApp):
    """A keyboard-driven reader that keeps highlights, tags and notes.

    Args:
        store: The library to show.
        open_article: Id of an article to open at start, over the library.
        export_folder: Where exports go by default.
        colour_depth: The terminal's colours as Rich names them (`truecolor`, `256`,
            `standard`); by default, what the terminal says it has.
    """

    CSS_PATH = "reader.tcss"
    TITLE = "reader"
    VERTICAL_BREAKPOINTS = [(0, "-short"), (24, "-tall")]
    """Screens in a terminal of fewer than 24 lines have the class `-short`: dialogs are
    drawn tighter there, so they fit."""
    COMMANDS: ClassVar[set[type[Provider] | Callable[[], type[Provider]]]] = {
        get_system_commands_provider,
        _theme_commands,
    }
    """The palette's commands: reader's own (`get_system_commands`) and the themes by name."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("question_mark", "help", "Keys", tooltip="Show every key", id="help"),
    ]
    """Keys that work on every screen."""

    def __init__(
        self,
        store: AnnotationStore,
        *,
        open_article: str | None = None,
        export_folder: Path | None = None,
        colour_depth: str | None = None,
    ) -> None:
        self.colour_depth = colour_depth
        self.notice: Notice | None = None
        """The newest notice (see `notify`)."""
        super().__init__()
        self.store = store
        self.open_article = open_article
        self.export_folder = export_folder or export_dir()
        self._reloading = False
        """Whether a screen is being shown again after a refusal (see `refused`)."""
        self.closing = False
        """Whether the app is closing: keys that come after `q` do nothing."""
        self.full_width = False
        """Whether articles are set across the whole width, rather than in a centred
        column (remembered in the library, see `set_full_width`)."""

    def get_css_variables(self) -> dict[str, str]:
        """The theme's variables and the passage colours chosen for it (`reader.colours`)."""
        from reader.colours import passage_variables

        variables = super().get_css_variables()
        theme = self.current_theme
        passages = passage_variables(
            variables,
            dark=theme.dark,
            depth=self.colour_depth or self.console.color_system,
            ansi=theme.ansi,
            no_color=self.no_color,
        )
        self.theme_variables.update(passages)
        return {**variables, **passages}

    def crash_details(self) -> dict[str, str]:
        """The library file, with the app's facts, for a crash report."""
        return {"library": str(self.store.path or "in memory"), **super().crash_details()}

    def on_mount(self) -> None:
        saved = self.store.get_setting("theme")
        if saved in self.available_themes:
            self.theme = saved
        self.theme_changed_signal.subscribe(self, self._remember_theme)
        self.full_width = self.store.get_setting(TEXT_WIDTH_SETTING) == "full"
        if self.open_article:
            # The article shows first; the library is made when the article closes.
            from reader.screens.article import ArticleScreen

            self.push_screen(ArticleScreen(self.open_article), self._show_library)
        else:
            self._show_library()

    def _show_library(self, _: object = None) -> None:
        self.push_screen(LibraryScreen())

    def notify(
        self,
        message: str,
        *,
        title: str = "",
        severity: SeverityLevel = "information",
        timeout: float | None = None,
        markup: bool = True,
    ) -> None:
        """Show a notice in the notice line of the screens (never over the text); control
        characters in it (from file names, paths) are made visible, markup is not read.

        Messages name files, folders and articles that may hold terminal escape sequences.
        Textual's own record of notifications is kept (its toasts are hidden).
        """
        message, title = safe_lines(message), safe_text(title)
        super().notify(message, title=title, severity=severity, timeout=timeout, markup=False)
        seconds = self.NOTIFICATION_TIMEOUT if timeout is None else timeout
        self.notice = Notice(message, title, severity, time.monotonic() + seconds)
        for screen in self.screen_stack:
            for line in screen.query(NoticeLine):
                line.show(self.notice)

    def clear_notifications(self) -> None:
        super().clear_notifications()
        self.notice = None
        for screen in self.screen_stack:
            for line in screen.query(NoticeLine):
                line.show(None)

    def _remember_theme(self, theme: Theme) -> None:
        self.save(lambda: self.store.set_setting("theme", theme.name))

    def set_full_width(self, full: bool) -> None:
        """Set articles across the whole width, or in a centred column; remembered."""
        self.full_width = full
        value = "full" if full else "column"
        self.save(lambda: self.store.set_setting(TEXT_WIDTH_SETTING, value))

    def save(self, write: Callable[[], object]) -> bool:
        """Make a change to the library; if the library refuses it, say so.

        Args:
            write: Calls the store to make the change.

        Returns:
            Whether the change was saved. When not (disk full, read-only or damaged
            library, or what it changes was deleted meanwhile by another process),
            nothing of it was, and a notice says why; the app goes on.
        """
        try:
            write()
        except ReaderError as error:
            self.refused(error)
            return False
        return True

    def refused(self, error: ReaderError) -> None:
        """Say why the library refused something, and show the library as it is now.

        What the screen shows may be out of date: another process or window may have
        deleted or changed the annotation, article or tag it acted on.
        """
        if isinstance(error, StorageError):
            self.not_saved(error)
        elif isinstance(error, NotFoundError):
            self.notify(
                f"{error}: it was changed elsewhere (another window or process); "
                "the screen shows the library as it is now",
                title="Library",
                severity="warning",
                markup=False,
            )
        else:
            self.notify(str(error), severity="error", markup=False)
        screen = self.screen
        if isinstance(screen, ReaderScreen) and not self._reloading:
            # Said once already; if reading fails too, the next key tries again.
            self._reloading = True
            try:
                with contextlib.suppress(ReaderError):
                    screen.reload_from_library()
            finally:
                self._reloading = False

    def ask(self, dialog: Dialog[Answer], answered: Callable[[Answer | None], object]) -> None:
        """Show a dialog; its answer goes to the screen that asked, if still there.

        As for any Textual screen, the answer may be None (a dialog closed without one).
        The answer is dropped when the screen that asked has closed meanwhile (keys
        typed fast), and a refusal of the library while acting on it is a notice.
        """
        asker = self.screen

        def answer(result: Answer | None) -> None:
            if asker not in self.screen_stack:
                return
            try:
                answered(result)
            except ReaderError as error:
                self.refused(error)

        self.push_screen(dialog, answer)

    async def run_action(
        self,
        action: str | ActionParseResult,
        default_namespace: DOMNode | None = None,
        namespaces: Mapping[str, DOMNode] | None = None,
    ) -> bool:
        """Run an action (a key, a command); nothing if its screen has closed or not opened.

        A refusal of the library (a deleted annotation, a full disk) is a notice, never
        the end of the app.
        """
        if self.closing or (
            default_namespace is not None and self._gone_or_not_ready(default_namespace)
        ):
            return False
        try:
            return await super().run_action(action, default_namespace, namespaces)
        except ReaderError as error:
            self.refused(error)
            return True

    def _gone_or_not_ready(self, node: DOMNode) -> bool:
        """Whether a node's screen has closed, is not yet mounted, or there is none."""
        if node is self:
            return False
        try:
            screen = node if isinstance(node, Screen) else node.screen
        except Exception:  # NoScreen, detached: nothing to act on
            return True
        # A screen not yet mounted has nothing to act on either (a key typed just
        # after the key that opened it).
        return screen not in self.screen_stack or not screen.is_mounted

    def exit(self, *args: Any, **kwargs: Any) -> None:
        """Close the app; actions of keys queued behind the one that closed it do nothing."""
        self.closing = True
        super().exit(*args, **kwargs)

    def search_themes(self) -> None:
        """Choose a theme in the palette (the one that closes once)."""
        from reader.screens.palette import ReaderPalette

        self.push_screen(ReaderPalette(providers=[ThemeProvider], placeholder="Search for themes…"))

    def action_command_palette(self) -> None:
        """Show the command palette (one at a time; it closes once)."""
        from reader.screens.palette import ReaderPalette

        if self.use_command_palette and not any(
            isinstance(screen, ReaderPalette) for screen in self.screen_stack
        ):
            self.push_screen(ReaderPalette())

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
        from reader.screens.help import HelpScreen

        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen(self.screen))

    def action_search_library(self) -> None:
        """Search the text, notes and tags of every article."""
        from reader.screens.search import SearchScreen

        if isinstance(self.screen, SearchScreen):
            self.screen.query_input.focus()
        else:
            self.push_screen(SearchScreen())

    def action_show_annotations(self) -> None:
        """List every annotation in the library."""
        from reader.screens.annotations import AnnotationsScreen

        if not isinstance(self.screen, AnnotationsScreen):
            self.push_screen(AnnotationsScreen())

    def action_rename_tag(self) -> None:
        """Rename a tag everywhere, or merge it into another."""
        from reader.dialogs.rename_tag import RenameTagDialog
        from reader.screens.annotations import AnnotationsScreen

        tags = self.store.list_tags()
        if not tags:
            self.notify("There are no tags yet", severity="warning")
            return
        screen = self.screen
        current = screen.tag if isinstance(screen, AnnotationsScreen) else None

        def renamed(names: tuple[str, str] | None) -> None:
            if names is not None and isinstance(screen, AnnotationsScreen):
                screen.tag_renamed(*names)

        self.ask(RenameTagDialog(tags, current), renamed)

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        """reader's commands for the palette: the library-wide ones, the theme, then every
        action the screen offers now, by name.

        Textual's own (maximize, screenshot, the focused widget's key panel) mean nothing
        to a reader and are left out, as are the editing keys of a text field.
        """
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
        yield SystemCommand(
            "Change theme",
            "Choose the colours of reader (remembered); or type a theme's name here",
            self.search_themes,
        )
        yield SystemCommand(
            "Keys", "Every key of this screen (?)", self._on_screen(screen, self, "help")
        )
        for entry in screen_keys(screen, self):
            namespace, _, name = entry.action.rpartition(".")
            app_action = name if entry.node is self or namespace == "app" else None
            if (
                not entry.enabled  # what does nothing now is not offered
                or app_action in COMMANDS_WITH_KEYS | NOT_COMMANDS
                or not (entry.node is self or _is_readers(entry.node))
            ):
                continue
            yield SystemCommand(
                entry.description,
                f"{entry.tooltip} ({' '.join(entry.keys)})",
                self._on_screen(screen, entry.node, entry.action),
            )

    def _on_screen(self, screen: Screen[Any], node: DOMNode, action: str) -> Callable[[], Any]:
        """A palette command: the action runs only if its screen is still the one shown."""

        async def command() -> None:
            if self.screen is screen:
                await self.run_action(action, node)

        return command


def _is_readers(node: DOMNode) -> bool:
    """Whether a node is one of reader's own screens or widgets (not one of Textual's,
    such as a text field, whose keys edit text rather than run commands)."""
    return type(node).__module__.partition(".")[0] == "reader"
