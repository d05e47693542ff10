"""A one-line status bar that redraws without a layout pass."""

from __future__ import annotations

from collections.abc import Sequence

from rich.text import Text
from textual.content import Content
from textual.reactive import reactive
from textual.widget import Widget

from reader.widgets.fitted import Part, fit_parts

STATUS_SEPARATOR = "  ·  "
"""What stands between two parts of a status line."""


class StatusLine(Widget):
    """One line of status; changing it only repaints this line.

    Either plain `text` (cut with an ellipsis when too long) or `parts`, of which as
    many whole ones are shown as fit, the least important dropped first.
    """

    DEFAULT_CSS = """
    StatusLine {
        height: 1;
        width: 1fr;
    }
    """

    text: reactive[str] = reactive("", layout=False)
    """The status shown (plain text, never markup)."""

    def __init__(
        self,
        *,
        separator: str = STATUS_SEPARATOR,
        name: str | None = None,
        id: str | None = None,
        classes: str | None = None,
    ) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self.separator = separator
        self._parts: tuple[Part, ...] = ()

    def show(self, parts: Sequence[Part | str]) -> None:
        """Show parts (a string is a part of rank 0) instead of a plain text."""
        self._parts = tuple(Part.text(part) if isinstance(part, str) else part for part in parts)
        plain = self.separator.join(part.content.plain for part in self._parts)
        if plain == self.text:
            self.refresh()
        else:
            self.text = plain

    def watch_text(self, text: str) -> None:
        if self._parts and text != self.separator.join(part.content.plain for part in self._parts):
            self._parts = ()  # plain text was set: it replaces the parts

    def render(self) -> Content | Text:
        if self._parts:
            return fit_parts(self._parts, self.size.width, self.separator)
        return Text(self.text, no_wrap=True, overflow="ellipsis")
