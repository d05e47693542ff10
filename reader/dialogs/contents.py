"""A dialog listing an article's table of contents, where the reader is, and jumping to an entry."""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Sequence
from typing import ClassVar

from textual import getters, on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.widgets import Input, Label

from annotations.models import ContentsEntry
from reader.progress import ReadingProgress
from reader.screens.base import Dialog
from reader.widgets.contents_list import HERE_MARK, ContentsList, contents_row
from reader.words import plural


def here_index(contents: Sequence[ContentsEntry], block: int) -> int | None:
    """The index of the entry a block is in (the last one starting at or before it)."""
    index = bisect_right([entry.block for entry in contents], block) - 1
    return index if index >= 0 else None


class ContentsDialog(Dialog[int | None]):
    """An article's contents, indented by level, each entry with its position in percent.

    The entry the reader is in is marked, and the cursor starts on it. Returns the block
    of the entry chosen, or None when closed.

    Args:
        contents: The article's contents, in reading order.
        progress: Where each block is in the article.
        cursor: The block under the reader's cursor.
    """

    AUTO_FOCUS = "ContentsList"

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("slash", "filter", "Filter", tooltip="Narrow the list by title", id="filter"),
        Binding(
            "escape", "clear_filter", "Clear filter", tooltip="Show every entry", id="clear-filter"
        ),
        Binding("escape", "cancel", "Close", tooltip="Close the contents", id="cancel"),
        Binding("down", "move(1)", "Next", tooltip="Next entry", show=False),
        Binding("up", "move(-1)", "Previous", tooltip="Previous entry", show=False),
    ]
    """Enter jumps; / narrows the list by title (arrows move in it meanwhile, enter jumps
    to the entry under the cursor); escape clears that, else closes."""

    entries = getters.query_one(ContentsList)
    filter_input = getters.query_one("#contents-filter", Input)

    def __init__(
        self, contents: Sequence[ContentsEntry], progress: ReadingProgress, cursor: int
    ) -> None:
        super().__init__(classes="dialog")
        here = here_index(contents, cursor)
        self.rows = [
            contents_row(
                entry.title, entry.level, entry.block, progress.percent(entry.block), index == here
            )
            for index, entry in enumerate(contents)
        ]
        self.here = here
        """The index of the entry the reader is in, if any."""
        self.typed = ""
        """The words narrowing the list."""

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog-box contents-box"):
            yield Label(
                f"Contents · {plural(len(self.rows), 'entry', 'entries')}", classes="dialog-title"
            )
            yield Input(placeholder="Type to narrow the list", id="contents-filter", compact=True)
            yield ContentsList(classes="dialog-choices")
            yield Label(
                f"{HERE_MARK} where you are · enter jumps · / filters · escape closes",
                classes="dialog-hint",
            )

    def on_mount(self) -> None:
        self.filter_input.display = False
        self.entries.show(self.rows, self.here or 0)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Escape clears the filter while there is one, else closes."""
        if action == "clear_filter":
            return bool(self.typed) or self.filter_input.has_focus
        return True

    def action_filter(self) -> None:
        """Show the filter field and type into it."""
        self.filter_input.display = True
        self.filter_input.focus()
        self.refresh_bindings()

    def action_clear_filter(self) -> None:
        """Show every entry again, the cursor on the one it was on."""
        self.filter_input.value = ""
        self.filter_input.display = False
        self._narrow("")
        self.entries.focus()
        self.refresh_bindings()

    @on(Input.Changed, "#contents-filter")
    def _typed(self, event: Input.Changed) -> None:
        self._narrow(event.value)

    @on(Input.Submitted, "#contents-filter")
    def _submitted(self) -> None:
        row = self.entries.selected
        if row is not None:
            self.dismiss(row.block)

    def action_move(self, step: int) -> None:
        """Move the list's cursor while typing in the filter field."""
        self.entries.action_cursor(step)

    def _narrow(self, typed: str) -> None:
        folded = typed.strip().casefold()
        if folded == self.typed:
            return
        kept = self.entries.selected
        self.typed = folded
        rows = [row for row in self.rows if folded in row.title.casefold()] if folded else self.rows
        cursor = 0
        if kept in rows:
            cursor = rows.index(kept)
        elif not folded and self.here is not None:
            cursor = self.here
        self.entries.show(rows, cursor)

    @on(ContentsList.Selected)
    def _chosen(self, event: ContentsList.Selected) -> None:
        event.stop()
        self.dismiss(event.row.block)

    def action_cancel(self) -> None:
        """Close without moving."""
        self.dismiss(None)
