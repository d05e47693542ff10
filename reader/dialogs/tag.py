"""A dialog to edit the tags of a passage, completing existing tags."""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.suggester import Suggester
from textual.widgets import Input, Label, Static

from annotations.store import normalize_tags
from reader.safe import safe_text
from reader.screens.base import Dialog


class TagSuggester(Suggester):
    """Completes the last comma-separated tag from the tags already in the library."""

    def __init__(self, known: Sequence[str]) -> None:
        super().__init__(use_cache=False, case_sensitive=True)
        self.known = list(known)

    async def get_suggestion(self, value: str) -> str | None:
        head, _, last = value.rpartition(",")
        typed = last.lstrip()
        if not typed:
            return None
        chosen = {tag.casefold() for tag in head.split(",")}
        for tag in self.known:
            folded = tag.casefold()
            if (
                folded.startswith(typed.casefold())
                and folded != typed.casefold()
                and folded not in chosen
            ):
                return value[: len(value) - len(typed)] + tag
        return None


class TagDialog(Dialog[list[str] | None]):
    """Edit tags as a comma-separated list; returns the tags, or None when cancelled.

    Args:
        tags: The passage's current tags.
        known: Every tag in the library, most used first, for completion.
        unsaved: The tags are ones the library refused: the dialog says they are not
            saved yet.
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel", id="cancel"),
        Binding("tab", "complete", "Complete", id="complete"),
    ]
    """Escape cancels, tab accepts the suggested tag; enter saves."""

    def __init__(self, tags: Sequence[str], known: Sequence[str], *, unsaved: bool = False) -> None:
        super().__init__(classes="dialog")
        self.tags = list(tags)
        self.known = list(known)
        self.unsaved = unsaved

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog-box"):
            yield Label("Tags (comma-separated)", classes="dialog-title")
            yield Input(
                ", ".join(map(safe_text, self.tags)),
                placeholder="e.g. idea, to-read",
                suggester=TagSuggester(self.known),
                id="tags",
            )
            if self.known:
                yield Static(
                    Text("Existing: " + safe_text(", ".join(self.known[:30])), no_wrap=False),
                    classes="dialog-hint tag-known",
                )
            hint = "tab completes · enter saves · escape cancels"
            if self.unsaved:
                hint = "Not saved yet · enter tries again · escape cancels"
            yield Label(hint, classes="dialog-hint")

    def on_mount(self) -> None:
        field = self.query_one(Input)
        if field.value:
            field.value += ", "
        field.cursor_position = len(field.value)

    def action_complete(self) -> None:
        """Accept the suggested completion, ready for the next tag."""
        field = self.query_one(Input)
        if field._suggestion:
            field.value = field._suggestion + ", "
            field.cursor_position = len(field.value)

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        self.dismiss(list(normalize_tags(event.value.split(","))))

    def action_cancel(self) -> None:
        """Close without changing the tags."""
        self.dismiss(None)
