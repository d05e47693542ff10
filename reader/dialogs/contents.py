"""A dialog listing an article's table of contents, where the reader is, and jumping to an entry."""

from __future__ import annotations

from bisect import bisect_left, bisect_right
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
from reader.widgets.contents_list import HERE_MARK, ContentsList, ContentsRow, contents_row
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
        self.contents = contents
        self.progress = progress
        self.here = here_index(contents, cursor)
        """The index of the entry the reader is in, if any."""
        self.typed = ""
        """The words narrowing the list."""
        self.shown: Sequence[int] = range(len(contents))
        """The indices of the entries listed."""

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog-box contents-box"):
            yield Label(
                f"Contents · {plural(len(self.contents), 'entry', 'entries')}",
                classes="dialog-title",
            )
            yield Input(placeholder="Type to narrow the list", id="contents-filter", compact=True)
            yield ContentsList(classes="dialog-choices")
            yield Label(
                f"{HERE_MARK} you are here · enter jumps · / filters · escape closes",
                classes="dialog-hint contents-hint",
            )

    def on_mount(self) -> None:
        self.filter_input.display = False
        self._show(range(len(self.contents)), self.here or 0)

    def _show(self, indices: Sequence[int], cursor: int) -> None:
        """List these entries of the contents; rows are made only as they are shown, so a
        book of thousands of entries opens as fast as an article of three."""
        contents, progress, here = self.contents, self.progress, self.here

        def fetch(offset: int, limit: int) -> list[ContentsRow]:
            rows = []
            for index in indices[offset : offset + limit]:
                entry = contents[index]
                percent = progress.percent(entry.block)
                rows.append(
                    contents_row(
                        index, entry.title, entry.level, entry.block, percent, index == here
                    )
                )
            return rows

        self.shown = indices
        self.entries.show(len(indices), fetch, cursor)

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
        indices: Sequence[int] = range(len(self.contents))
        if folded:
            indices = [
                index
                for index, entry in enumerate(self.contents)
                if folded in " ".join(entry.title.split()).casefold()
            ]
        wanted = kept.index if kept is not None else self.here
        cursor = bisect_left(indices, wanted) if wanted is not None else 0
        self._show(indices, cursor)

    @on(ContentsList.Selected)
    def _chosen(self, event: ContentsList.Selected) -> None:
        event.stop()
        self.dismiss(event.row.block)

    def action_cancel(self) -> None:
        """Close without moving."""
        self.dismiss(None)
