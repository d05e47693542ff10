"""A small prompt for a place in an article: a paragraph number or a percentage."""

from __future__ import annotations

from typing import ClassVar

from textual import getters, on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.content import Content
from textual.widgets import Input, Label, Static

from reader.progress import ReadingProgress, parse_place
from reader.safe import safe_text
from reader.screens.base import Dialog


class GotoDialog(Dialog[int | None]):
    """Ask where to go: `120` (the paragraph numbered as the status line's `¶ 120/345`)
    or `50%` (how far through the text). What is not a place is explained in the
    dialog, which stays open. Returns the block, or None when cancelled.

    Args:
        progress: Where each block is in the article.
    """

    AUTO_FOCUS = "#goto-place"

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel", tooltip="Stay where you are", id="cancel")
    ]
    """Enter goes; escape cancels."""

    problem = getters.query_one("#goto-problem", Static)

    def __init__(self, progress: ReadingProgress) -> None:
        super().__init__(classes="dialog")
        self.progress = progress

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog-box goto-box"):
            yield Label("Go to", classes="dialog-title")
            yield Input(
                placeholder=f"a paragraph (1 to {self.progress.blocks:,}) or a percentage: 50%",
                id="goto-place",
                compact=True,
            )
            yield Static(id="goto-problem", classes="dialog-hint")
            yield Label("enter goes · escape cancels", classes="dialog-hint")

    def on_mount(self) -> None:
        self.problem.display = False

    @on(Input.Submitted, "#goto-place")
    def _submitted(self, event: Input.Submitted) -> None:
        place = parse_place(event.value, self.progress)
        if isinstance(place, int):
            self.dismiss(place)
            return
        self.problem.update(Content.styled(safe_text(place), "$text-error"))
        self.problem.display = True

    @on(Input.Changed, "#goto-place")
    def _changed(self) -> None:
        self.problem.display = False

    def action_cancel(self) -> None:
        """Close without moving."""
        self.dismiss(None)
