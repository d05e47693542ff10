"""A dialog to rename a tag everywhere, or merge it into another."""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from textual import getters, on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.content import Content
from textual.widgets import Input, Label, Static

from annotations.errors import NotFoundError, StorageError
from annotations.models import TagCount
from annotations.store import normalize_tags
from reader.dialogs.tag import TagSuggester
from reader.safe import safe_text
from reader.screens.base import Dialog
from reader.words import plural


class RenameTagDialog(Dialog[tuple[str, str] | None]):
    """Pick a tag and its new name, then rename it (merging when the name is taken).

    Returns (old name, new name) once renamed, or None when cancelled.

    Args:
        tags: Every tag in the library with its count, for completion and the preview.
        tag: A tag to propose.
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel", tooltip="Close without renaming", id="cancel"),
        Binding("tab", "complete", "Complete", tooltip="Accept the suggested tag", id="complete"),
    ]
    """Escape cancels; tab accepts the suggested tag (or moves on); enter saves."""

    old_input = getters.query_one("#rename-old", Input)
    new_input = getters.query_one("#rename-new", Input)
    preview = getters.query_one("#rename-preview", Static)

    def __init__(self, tags: Sequence[TagCount], tag: str | None = None) -> None:
        super().__init__(classes="dialog")
        self.tags = {item.name.casefold(): item for item in tags}
        self.tag = tag or ""

    def compose(self) -> ComposeResult:
        names = [item.name for item in self.tags.values()]
        with Vertical(classes="dialog-box"):
            yield Label("Rename or merge a tag", classes="dialog-title")
            yield Label("Tag")
            yield Input(
                self.tag,
                placeholder="an existing tag",
                suggester=TagSuggester(names),
                id="rename-old",
            )
            yield Label("New name (an existing tag merges them)")
            yield Input(placeholder="new name", suggester=TagSuggester(names), id="rename-new")
            yield Static(id="rename-preview", classes="dialog-hint")
            yield Label("tab completes · enter saves · escape cancels", classes="dialog-hint")

    def on_mount(self) -> None:
        (self.new_input if self.tag else self.old_input).focus()
        self._show_preview()

    # Checking -------------------------------------------------------------

    def _old(self) -> TagCount | None:
        names = normalize_tags([self.old_input.value])
        return self.tags.get(names[0].casefold()) if names else None

    def _problem(self) -> str | None:
        """Why the rename cannot be done as typed, if it cannot."""
        typed_old = normalize_tags([self.old_input.value])
        if not typed_old:
            return "Type the tag to rename"
        old = self._old()
        if old is None:
            return f"There is no tag #{typed_old[0]}"
        new = normalize_tags([self.new_input.value])
        if not new:
            return "Type its new name"
        if "," in new[0]:
            return "A tag name cannot contain a comma"
        if new[0] == old.name:
            return f"#{old.name} already has that name"
        return None

    def _show_preview(self) -> None:
        problem = self._problem()
        old = self._old()
        if problem is not None:
            self.preview.update(Content(safe_text(problem)))
            return
        assert old is not None
        new = normalize_tags([self.new_input.value])[0]
        target = self.tags.get(new.casefold())
        counted = f"#{old.name} ({plural(old.count, 'annotation')})"
        if target is not None and target.name.casefold() != old.name.casefold():
            text = f"{counted} will be merged into #{target.name} ({target.count:,})"
        else:
            text = f"{counted} will be renamed #{new}"
        self.preview.update(Content.styled(safe_text(text), "$text-accent"))

    @on(Input.Changed)
    def _changed(self) -> None:
        self._show_preview()

    # Keys -----------------------------------------------------------------

    def action_complete(self) -> None:
        """Accept the suggested tag, or move to the other field."""
        field = self.focused
        if isinstance(field, Input) and field._suggestion:
            field.value = field._suggestion
            field.cursor_position = len(field.value)
        else:
            self.focus_next()

    @on(Input.Submitted, "#rename-old")
    def _old_submitted(self) -> None:
        if self._old() is None:
            self._show_preview()
        else:
            self.new_input.focus()

    @on(Input.Submitted, "#rename-new")
    def _new_submitted(self) -> None:
        old = self._old()
        if self._problem() is not None or old is None:
            self._show_preview()
            return
        new = normalize_tags([self.new_input.value])[0]
        target = self.tags.get(new.casefold())
        merging = target is not None and target.name.casefold() != old.name.casefold()
        try:
            count = self.app.store.rename_tag(old.name, new)
        except (NotFoundError, ValueError) as error:
            self.preview.update(Content(safe_text(str(error))))
            return
        except StorageError as error:
            self.app.not_saved(error)
            return
        name = target.name if merging and target is not None else new
        done = "Merged #{} into #{}" if merging else "Renamed #{} to #{}"
        self.notify(
            safe_text(done.format(old.name, name)) + f" ({plural(count, 'annotation')})",
            markup=False,
        )
        self.dismiss((old.name, name))

    def action_cancel(self) -> None:
        """Close without renaming."""
        self.dismiss(None)
