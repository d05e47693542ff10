"""The notice line: what the app has to say, shown above the key bar for a few seconds.

Textual's toasts float over the screen, on the text being read, the status line or a
note being written. A notice here takes its own lines at the bottom of the screen (the
text above gives them up while it shows), so it never covers anything.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from rich.text import Text
from textual.widget import Widget

if TYPE_CHECKING:
    from textual.timer import Timer

MAX_LINES = 3
"""A notice shows at most this many lines (its title, then its message)."""

Severity = Literal["information", "warning", "error"]


@dataclass(frozen=True)
class Notice:
    """One message for the reader, shown until `expires` (a `time.monotonic()` time)."""

    message: str
    title: str
    severity: Severity
    expires: float

    @property
    def live(self) -> bool:
        return time.monotonic() < self.expires

    def lines(self) -> list[str]:
        """The lines shown: the title with the first line of the message, then the rest."""
        lines = [line for line in self.message.splitlines() if line.strip()] or [""]
        if self.title:
            lines[0] = f"{self.title}: {lines[0]}" if lines[0] else self.title
        if len(lines) > MAX_LINES:
            hidden = len(lines) - MAX_LINES + 1
            lines = [*lines[: MAX_LINES - 1], f"… and {hidden} more lines"]
        return lines


class NoticeLine(Widget):
    """The newest notice of the app, while it lasts; no lines at all otherwise."""

    ALLOW_SELECT = False
    DEFAULT_CSS = """
    NoticeLine {
        display: none;
        height: auto;
        max-height: 3;
        padding: 0 1;
        background: $boost;
        color: $text;
        &.-shown { display: block; }
        &.-warning { background: $warning-muted; color: $text; }
        &.-error { background: $error-muted; color: $text; }
    }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._timer: Timer | None = None
        self._notice: Notice | None = None

    def on_mount(self) -> None:
        # A screen opened while a notice lasts shows it too.
        self.show(getattr(self.app, "notice", None))

    def show(self, notice: Notice | None) -> None:
        """Show a notice (None or an expired one: hide the line)."""
        if notice is not None and not notice.live:
            notice = None
        self._notice = notice
        self.set_class(notice is not None, "-shown")
        for severity in ("warning", "error"):
            self.set_class(notice is not None and notice.severity == severity, f"-{severity}")
        if self._timer is not None:
            self._timer.stop()
            self._timer = None
        if notice is not None:
            self._timer = self.set_timer(
                max(0.05, notice.expires - time.monotonic()), lambda: self.show(notice)
            )
        self.refresh(layout=True)

    def render(self) -> Text:
        notice = self._notice
        if notice is None:
            return Text()
        text = Text(no_wrap=True, overflow="ellipsis", end="")
        for number, line in enumerate(notice.lines()):
            if number:
                text.append("\n")
            text.append(line)
        if notice.title:
            text.stylize("bold", 0, len(notice.title))
        return text
