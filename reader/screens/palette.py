"""The command palette (ctrl+p), made safe against keys typed faster than it settles, and
the themes it finds by name."""

from __future__ import annotations

import contextlib
from collections.abc import Callable

from textual import work
from textual.command import CommandList, CommandPalette, Hit, Hits, Provider
from textual.css.query import NoMatches

from reader.screens.base import DismissOnce
from reader.widgets.paging import page_options

PAGE_ACTIONS = {"page_up", "page_down"}
"""List actions that need the list laid out first."""


class ReaderPalette(DismissOnce, CommandPalette):
    """Textual's command palette that closes once and tolerates keys that come too soon.

    - `dismiss` closes it once and only while it is on top (enter, enter, enter runs
      one command and never pops the screen below);
    - page up or down before the list of commands is laid out does nothing, instead
      of looking up lines that do not exist yet;
    - the search for commands stops quietly when the palette has closed meanwhile.
    """

    def _action_command_list(self, action: str) -> None:
        if action in PAGE_ACTIONS:
            with contextlib.suppress(NoMatches):
                page_options(self.query_one(CommandList), 1 if action == "page_down" else -1)
            return
        super()._action_command_list(action)

    @work(exclusive=True, group=CommandPalette._GATHER_COMMANDS_GROUP)
    async def _gather_commands(self, search_value: str) -> None:
        gather = CommandPalette._gather_commands.__wrapped__  # type: ignore[attr-defined]
        try:
            await gather(self, search_value)
        except NoMatches:
            if self.is_attached and not self._dismissed:
                raise


class ThemeCommands(Provider):
    """Every theme, found by typing its name (or "theme") into the palette.

    Before anything is typed the palette lists reader's commands, among them "Change
    theme"; a theme comes up when its name holds what is typed (two letters at least),
    or every theme after "theme". Loose fuzzy matches are left out: "canc" finds
    "Cancel selection", not catppuccin. The app remembers the theme chosen.
    """

    async def search(self, query: str) -> Hits:
        """The themes whose name holds what is typed."""
        wanted = themes_wanted(query)
        if wanted is None:
            return
        matcher = self.matcher(query)
        for name in sorted(self.app.available_themes):
            if wanted not in name.casefold():
                continue
            title = f"Theme: {name}"
            yield Hit(
                max(matcher.match(title), MIN_THEME_SCORE),
                matcher.highlight(title),
                self._switch_to(name),
                text=title,
                help="Use this theme from now on",
            )

    def _switch_to(self, name: str) -> Callable[[], None]:
        def switch() -> None:
            if name in self.app.available_themes:
                self.app.theme = name

        return switch


MIN_THEME_SCORE = 1.0
"""The score of a theme whose name holds what is typed but which the fuzzy matcher
scores 0 ("theme nord" for "Theme: nord")."""


def themes_wanted(query: str) -> str | None:
    """What a theme's name must hold for what is typed in the palette; None for no theme.

    "nord" -> "nord"; "theme", "them" -> "" (every theme); "theme: rose" -> "rose";
    one letter -> None.
    """
    wanted = query.strip().casefold()
    for word in ("themes", "theme"):
        if wanted.startswith(word):
            return wanted.removeprefix(word).lstrip(" :")
    if len(wanted) >= 3 and "theme".startswith(wanted):
        return ""
    return wanted if len(wanted) >= 2 else None
