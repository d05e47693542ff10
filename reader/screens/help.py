"""The help screen: every key of the screen it was opened from."""

from __future__ import annotations

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import ModalScreen, Screen
from textual.widgets import Label, Static

HIDDEN_ACTIONS = {
    "scroll_left",
    "scroll_right",
    "page_left",
    "page_right",
    "focus_next",
    "focus_previous",
    "screen.copy_text",
    "copy_text",
    "scroll_home",
    "scroll_end",
}
"""Inherited scrolling and focus keys that mean nothing in reader."""


def key_table(screen: Screen[object]) -> Table:
    """A table of the keys active on a screen, keys of the same action together."""
    app = screen.app
    grouped: dict[tuple[int, str], tuple[list[str], str]] = {}
    for key, active in screen.active_bindings.items():
        binding = active.binding
        description = binding.tooltip or binding.description
        if not description or binding.action in HIDDEN_ACTIONS:
            continue
        entry = grouped.setdefault((id(active.node), binding.action), ([], description))
        label = app.get_key_display(binding.with_key(key))
        if label not in entry[0]:
            entry[0].append(label)
    table = Table.grid(padding=(0, 2))
    table.add_column(style="bold", no_wrap=True)
    table.add_column()
    for keys, description in grouped.values():
        table.add_row(Text(" ".join(keys)), Text(description))
    return table


class HelpScreen(ModalScreen[None]):
    """Lists every key of a screen.

    Args:
        screen: The screen whose keys are shown.
    """

    BINDINGS: list[BindingType] = [
        Binding("escape,q,question_mark", "dismiss", "Close", id="close"),
    ]
    """Escape, q or ? close the help."""

    def __init__(self, screen: Screen[object]) -> None:
        super().__init__(classes="dialog")
        self.table = key_table(screen)

    def compose(self) -> ComposeResult:
        with VerticalScroll(classes="dialog-box help-box"):
            yield Label("Keys", classes="dialog-title")
            yield Static(self.table)
            yield Label("escape closes", classes="dialog-hint")
