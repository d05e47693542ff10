"""A multi-line editor for the note on a passage."""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.widgets import Label, Static, TextArea

from reader.dialogs.confirm import ConfirmDialog
from reader.safe import safe_lines, safe_text
from reader.screens.base import Dialog

PASSAGE_PREVIEW = 240
"""Characters of the passage shown above the editor."""


class NoteDialog(Dialog[str | None]):
    """Edit a note; returns the text on ctrl+s, or None when cancelled.

    Args:
        note: The note to edit.
        passage: The passage it belongs to, shown for context.
        saved: The note as the library holds it, when `note` is text the library
            refused: the editor then says it is not saved, and escape asks before
            discarding it even if it was not edited again.
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        # Not a priority binding: keys typed before ctrl+s reach the editor first.
        Binding("ctrl+s", "save", "Save", id="save"),
        Binding("escape", "cancel", "Cancel", id="cancel"),
    ]
    """ctrl+s saves; escape cancels, asking first if the text changed."""

    def __init__(self, note: str, passage: str = "", *, saved: str | None = None) -> None:
        super().__init__(classes="dialog")
        self.note = note
        self.passage = passage
        self.unsaved = saved is not None and saved != note
        """Whether the note given is not what the library holds (a refused save)."""
        self.shown = safe_lines(note)
        """The note as the editor shows it: control characters made visible, never run."""

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog-box note-box"):
            yield Label("Note", classes="dialog-title")
            if self.passage:
                preview = " ".join(self.passage.split())
                if len(preview) > PASSAGE_PREVIEW:
                    preview = preview[: PASSAGE_PREVIEW - 1] + "…"
                yield Static(Text(safe_text(preview), style="italic"), classes="note-passage")
            yield TextArea(self.shown, soft_wrap=True, show_line_numbers=False, id="note")
            hint = "ctrl+s saves · escape cancels"
            if self.unsaved:
                hint = "Not saved yet · ctrl+s tries again · escape discards"
            yield Label(hint, classes="dialog-hint")

    def on_mount(self) -> None:
        editor = self.query_one(TextArea)
        editor.focus()
        editor.move_cursor(editor.document.end)

    def action_save(self) -> None:
        """Close with the edited note (the note as it was if it was not edited)."""
        text = self.query_one(TextArea).text
        self.dismiss(self.note if text == self.shown else text)

    @work
    async def action_cancel(self) -> None:
        """Close without saving; ask first when the text changed."""
        changed = self.unsaved or self.query_one(TextArea).text != self.shown
        if changed and not await self.app.push_screen_wait(
            ConfirmDialog("Discard the changes to this note?")
        ):
            return
        self.dismiss(None)
