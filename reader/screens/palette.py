"""The command palette (ctrl+p), made safe against keys typed faster than it settles."""

from __future__ import annotations

import contextlib

from textual import work
from textual.command import CommandList, CommandPalette
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
