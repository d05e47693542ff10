"""A one-line progress report of a running import: `Importing 37/120 … name` and a bar."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.widgets import ProgressBar, Static

from reader.safe import safe_text


class ImportProgress(Horizontal):
    """Shows how far an import is; hidden while no import runs."""

    DEFAULT_CSS = """
    ImportProgress {
        display: none;
        height: 1;
        padding: 0 1;
        background: $panel;
    }
    ImportProgress.-running {
        display: block;
    }
    ImportProgress > #import-status {
        width: 1fr;
        height: 1;
        color: $text;
    }
    ImportProgress > ProgressBar {
        width: auto;
        margin-left: 1;
    }
    """

    def compose(self) -> ComposeResult:
        yield Static(id="import-status", markup=False)
        yield ProgressBar(show_eta=False, id="import-bar")

    def begin(self, target: str) -> None:
        """Show that an import of a file, folder or URL has started."""
        self._show(f"Importing {target} …")
        self.query_one(ProgressBar).update(total=None, progress=0)
        self.add_class("-running")

    def advance(self, done: int, total: int, current: str = "") -> None:
        """Show how many of the items have been imported, and which one is being read.

        Args:
            done: Items imported so far.
            total: Items in the whole import.
            current: The name of the item being imported.
        """
        self._show(f"Importing {done}/{total} … {current}".rstrip())
        self.query_one(ProgressBar).update(total=max(total, 1), progress=done)

    def finish(self) -> None:
        """Hide the progress line."""
        self.remove_class("-running")

    @property
    def status(self) -> str:
        """The status text shown (for tests and screen readers)."""
        return str(self.query_one("#import-status", Static).content)

    def _show(self, text: str) -> None:
        # File names and URLs may hold escape sequences: shown, never sent to the terminal.
        self.query_one("#import-status", Static).update(
            Text(safe_text(text), no_wrap=True, overflow="ellipsis")
        )
