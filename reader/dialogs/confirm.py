"""A yes/no question."""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.widgets import Label

from reader.screens.base import Dialog


class ConfirmDialog(Dialog[bool]):
    """Ask a question; returns True for yes.

    Args:
        question: The question, one line.
        detail: What answering yes means, if the question does not say it all.
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("y", "answer(True)", "Yes", id="yes"),
        Binding("n,escape", "answer(False)", "No", id="no"),
    ]
    """y answers yes; n or escape answer no."""

    def __init__(self, question: str, detail: str = "") -> None:
        super().__init__(classes="dialog")
        self.question = question
        self.detail = detail

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog-box"):
            yield Label(self.question, classes="dialog-title confirm-text", markup=False)
            if self.detail:
                yield Label(self.detail, classes="confirm-text", markup=False)
            yield Label("y yes · n no", classes="dialog-hint")

    def action_answer(self, answer: bool) -> None:
        """Close with the answer."""
        self.dismiss(answer)
