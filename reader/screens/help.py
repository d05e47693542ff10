"""The help screen: every key of the screen it was opened from."""

from __future__ import annotations

from typing import ClassVar

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import Label, Static

from reader.keys import screen_keys
from reader.screens.base import Dialog


class HelpScreen(Dialog[None]):
    """Lists every key of a screen.

    Args:
        screen: The screen whose keys are shown.
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,q,question_mark", "dismiss", "Close", id="close"),
        Binding("j,down", "scroll(1)", "Scroll down", show=False),
        Binding("k,up", "scroll(-1)", "Scroll up", show=False),
    ]
    """Escape, q or ? close the help; j/k scroll it."""

    def __init__(self, screen: Screen[object]) -> None:
        super().__init__(classes="dialog")
        table = Table.grid(padding=(0, 2))
        table.add_column(style="bold", no_wrap=True)
        table.add_column()
        for entry in screen_keys(screen, screen.app, every=True):
            table.add_row(Text(" ".join(entry.keys)), Text(entry.tooltip))
        self.table = table

    def compose(self) -> ComposeResult:
        with VerticalScroll(classes="dialog-box help-box"):
            yield Label("Keys", classes="dialog-title")
            yield Static(self.table)
            yield Label("escape closes · j/k scroll", classes="dialog-hint")

    def action_scroll(self, lines: int) -> None:
        """Scroll the list of keys."""
        self.query_one(VerticalScroll).scroll_relative(y=lines, animate=False)
