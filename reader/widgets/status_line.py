"""A one-line status bar that redraws without a layout pass."""

from __future__ import annotations

from rich.text import Text
from textual.reactive import reactive
from textual.widget import Widget


class StatusLine(Widget):
    """One line of status text; changing it only repaints this line."""

    DEFAULT_CSS = """
    StatusLine {
        height: 1;
        width: 1fr;
    }
    """

    text: reactive[str] = reactive("", layout=False)
    """The status shown (plain text, never markup)."""

    def render(self) -> Text:
        return Text(self.text, no_wrap=True, overflow="ellipsis")
