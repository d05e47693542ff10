"""Every annotation in the library, filterable by tag and text; enter jumps to the passage."""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from textual import getters, on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.widgets import Input, Static

from annotations.errors import NotFoundError, StorageError
from annotations.models import Annotation, AnnotationEntry
from reader.dialogs.confirm import ConfirmDialog
from reader.dialogs.note import NoteDialog
from reader.dialogs.tag import TagDialog
from reader.dialogs.tag_filter import ALL_TAGS, TagFilterDialog
from reader.safe import safe_text
from reader.screens.article import ArticleScreen
from reader.screens.base import FilteredListScreen, refusals_noticed
from reader.widgets.annotation_list import AnnotationList
from reader.widgets.fitted import FittedLines, Part
from reader.widgets.key_bar import KeyBar
from reader.widgets.notices import NoticeLine
from reader.words import plural

"""Seconds after the last keystroke in the filter before the list is read again."""
ORDERS = {"newest": "newest first", "text": "in text order"}
"""The list's orders, as the library names them and as the header says them."""
ORDER_SETTING = "annotations_order"
"""The library setting that remembers the order between sessions."""


class AnnotationsScreen(FilteredListScreen):
    """All annotations across the library, newest first or in text order."""

    FILTER_DELAY = 0.15

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding(
            "r",
            "reattach",
            "Re-attach",
            tooltip="Re-attach an orphan to the passage it belongs to now",
            id="reattach",
        ),
        Binding("o", "toggle_order", "Order", tooltip="Newest first or in text order", id="order"),
        Binding("slash", "focus_filter", "Filter", tooltip="Filter by text", id="filter-text"),
        Binding("number_sign,f", "pick_tag", "Tag", tooltip="Filter by tag", id="filter-tag"),
        Binding("n", "note", "Note", tooltip="Write or edit the annotation's note", id="note"),
        Binding("t", "tag", "Tags", tooltip="Edit the annotation's tags", id="tag"),
        Binding(
            "d,delete", "delete", "Delete", tooltip="Delete the annotation (u undoes)", id="delete"
        ),
        Binding(
            "u", "undelete", "Undo", tooltip="Bring back the last deleted annotation", id="undo"
        ),
        Binding(
            "escape",
            "clear_filters",
            "Clear filters",
            tooltip="Show every annotation again",
            id="clear-filters",
        ),
        Binding("escape", "back", "Back", tooltip="Go back", id="back"),
        Binding("q", "back", "Back", tooltip="Go back", show=False, id="close"),
    ]
    """List keys; moving and enter live on the AnnotationList. Escape clears the filters
    if any, else goes back. r is offered only on an orphaned annotation, and first, so
    the key bar has room for it."""

    listing = getters.query_one(AnnotationList)
    header = getters.query_one("#annotations-header", FittedLines)
    filter_input = getters.query_one("#annotations-filter", Input)
    empty = getters.query_one("#annotations-empty", Static)

    def __init__(self, tag: str | None = None) -> None:
        super().__init__()
        self.tag = tag
        """The tag filtering the list, if any."""
        self.order = "newest"
        """How the list is sorted: `newest` or `text`."""
        self._deleted: list[str] = []
        """The annotations deleted from this list to the trash, the last one last (u)."""

    def compose(self) -> ComposeResult:
        yield FittedLines(id="annotations-header")
        yield Input(
            placeholder="/ filter by words in the passage, note or tags",
            id="annotations-filter",
            classes="list-filter",
            compact=True,
        )
        yield AnnotationList(id="annotations")
        yield Static(id="annotations-empty")
        yield NoticeLine()
        yield KeyBar()

    def on_mount(self) -> None:
        saved = self.app.store.get_setting(ORDER_SETTING)
        self.order = saved if saved in ORDERS else "newest"
        self.listing.focus()
        # Whether r re-attaches follows the annotation under the cursor.
        self.watch(self.listing, "cursor", self._cursor_moved, init=False)

    def _cursor_moved(self) -> None:
        self.refresh_bindings()

    def on_screen_resume(self) -> None:
        # On first show, and after an article or a dialog: anything may have changed.
        if not self.library_changed():
            return
        if self.tag and self.tag.casefold() not in self._tag_names():
            self.tag = None
        self.reload(keep_cursor=True)

    def _tag_names(self) -> set[str]:
        """The tags on annotations (an article's own tags do not filter this list)."""
        return {tag.name.casefold() for tag in self.app.store.list_tags() if tag.count}

    # Reading --------------------------------------------------------------

    def reload_from_library(self) -> None:
        """Read the list again where it was (another process changed the library)."""
        self.reload(keep_cursor=True)

    @refusals_noticed
    def reload(self, keep_cursor: bool = False) -> None:
        """Read the count again and show the list from the first page (or where it was)."""
        self.library_read()
        store = self.app.store
        tag, text, order = self.tag, self.text or None, self.order
        total = store.count_annotation_entries(tag=tag, text=text)
        orphans = store.count_annotation_entries(tag=tag, text=text, orphaned=True) if total else 0

        def fetch(offset: int, limit: int) -> list[AnnotationEntry]:
            return store.list_annotation_entries(
                tag=tag, text=text, order=order, limit=limit, offset=offset
            )

        cursor = self.listing.cursor if keep_cursor else 0
        self.listing.show(total, fetch, cursor=cursor)
        self._show_header(total, orphans)
        self.refresh_bindings()  # the filters and the annotation under the cursor may have changed

    def _show_header(self, total: int, orphans: int) -> None:
        # When the line is too narrow, the words typed go first (the filter field
        # shows them too), then the order; the counts and the tag stay.
        parts = [Part.text(plural(total, "annotation"), "bold", rank=9)]
        if orphans:
            parts.append(Part.text(f"{orphans:,} orphaned", "bold $text-error", rank=8))
        if self.tag:
            parts.append(Part.text(f"#{safe_text(self.tag)}", "$text-accent", rank=8))
        if self.text:
            parts.append(Part.text(f"“{safe_text(self.text)}”", rank=5))
        parts.append(Part.text(ORDERS[self.order], "$text-muted", rank=6))
        self.header.update(parts)
        filtered = bool(self.tag or self.text)
        if total:
            message = ""
        elif filtered:
            message = "No annotations match. Escape clears the filters."
        else:
            message = "No annotations yet. Open an article and press h to highlight a passage."
        self.empty.update(message)
        self.set_class(not total, "-empty")

    # Filters --------------------------------------------------------------

    def action_focus_filter(self) -> None:
        """Move to the text filter."""
        self.filter_input.focus()

    def focus_list(self) -> None:
        self.listing.focus()

    def action_pick_tag(self) -> None:
        """Choose a tag to filter by (or all tags)."""

        def chosen(tag: str | None) -> None:
            if tag is None:
                return
            self.tag = None if tag == ALL_TAGS else tag
            self.reload()

        tags = [(tag.name, tag.count) for tag in self.app.store.list_tags() if tag.count]
        self.app.ask(TagFilterDialog(tags, self.tag), chosen)

    def tag_renamed(self, old: str, new: str) -> None:
        """Follow a renamed tag with the filter, and show the list again."""
        if self.tag and self.tag.casefold() == old.casefold():
            self.tag = new
        self.reload(keep_cursor=True)

    def action_toggle_order(self) -> None:
        """Sort newest first, or in text order (by article, then place)."""
        self.order = "text" if self.order == "newest" else "newest"
        order = self.order
        self.app.save(lambda: self.app.store.set_setting(ORDER_SETTING, order))
        self.reload()

    # Acting on the selected annotation --------------------------------------

    @on(AnnotationList.Selected)
    def _selected(self, event: AnnotationList.Selected) -> None:
        """Open the article at the annotation; at an orphaned one's old place, to re-attach it."""
        event.stop()
        entry = event.entry
        if entry.orphaned:
            self._reattach(entry.id)
            return
        self.open_screen(
            ArticleScreen(entry.article_id, block=entry.start_block, annotation_id=entry.id)
        )

    def action_reattach(self) -> None:
        """Re-attach the orphaned annotation under the cursor to a passage chosen in its article."""
        entry = self.listing.selected
        if entry is not None and entry.orphaned:
            self._reattach(entry.id)

    @refusals_noticed
    def _reattach(self, annotation_id: str) -> None:
        """Open the annotation's article at its old place, where the passage it belongs to
        now is selected and attached (or escape leaves it orphaned)."""
        orphan = self.app.store.get_annotation(annotation_id)
        if not orphan.orphaned:  # re-attached or placed again meanwhile
            self.reload(keep_cursor=True)
            return
        self.open_screen(
            ArticleScreen(orphan.article_id, block=orphan.anchor.start_block, reattach=orphan)
        )

    def _selected_annotation(self, missing: str) -> Annotation | None:
        """The whole annotation under the cursor (the list holds only the start of its
        passage and note); None, said in a notice, when the list is empty."""
        entry = self.listing.selected
        if entry is None:
            self.notify(missing, severity="warning")
            return None
        return self.app.store.get_annotation(entry.id)

    def action_note(self) -> None:
        """Write or edit the note of the selected annotation."""
        annotation = self._selected_annotation("No annotation to write a note on")
        if annotation is not None:
            self._edit_note(
                annotation.id, annotation.note, annotation.anchor.exact, annotation.note
            )

    def _edit_note(self, annotation_id: str, note: str, passage: str, saved: str) -> None:
        """Open the note editor; a note the library refuses to save comes back to it."""

        def chosen(text: str | None) -> None:
            if text is None or text == saved:
                return
            try:
                self.app.store.set_note(annotation_id, text)
            except StorageError as error:
                self.app.not_saved(error)
                self._edit_note(annotation_id, text, passage, saved)  # never lost
                return
            self.reload(keep_cursor=True)
            self.notify("Note saved" if text.strip() else "Note removed")

        self.app.ask(NoteDialog(note, passage, saved=saved), chosen)

    def action_tag(self) -> None:
        """Edit the tags of the selected annotation."""
        annotation = self._selected_annotation("No annotation to tag")
        if annotation is not None:
            self._edit_tags(annotation.id, annotation.tags)

    def _edit_tags(self, annotation_id: str, tags: Sequence[str], *, unsaved: bool = False) -> None:
        """Open the tag editor; tags the library refuses to save come back to it."""
        known = [tag.name for tag in self.app.store.list_tags()]

        def chosen(chosen_tags: list[str] | None) -> None:
            if chosen_tags is None:
                return
            try:
                self.app.store.set_tags(annotation_id, chosen_tags)
            except StorageError as error:
                self.app.not_saved(error)
                self._edit_tags(annotation_id, chosen_tags, unsaved=True)
                return
            if self.tag and self.tag.casefold() not in self._tag_names():
                self.tag = None  # its last annotation lost it: the tag is gone
            self.reload(keep_cursor=True)
            self.notify("Tags saved" if chosen_tags else "Tags removed")

        self.app.ask(TagDialog(tags, known, unsaved=unsaved), chosen)

    def action_delete(self) -> None:
        """Delete the selected annotation to the trash, after asking (u brings it back)."""
        entry = self.listing.selected
        if entry is None:
            self.notify("No annotation to delete", severity="warning")
            return

        def confirmed(yes: bool | None) -> None:
            from annotations.trash import delete_annotation

            store = self.app.store
            if not yes or not self.app.save(lambda: delete_annotation(store, entry.id)):
                return
            self._deleted.append(entry.id)
            self.reload(keep_cursor=True)
            self.notify("Annotation deleted · u brings it back")

        has_note = bool(entry.note.strip()) or entry.note_is_cut
        extras = " with its tags and note" if entry.tags or has_note else ""
        detail = "It goes to the trash: u right after brings it back."
        self.app.ask(ConfirmDialog(f"Delete this annotation{extras}?", detail), confirmed)

    def action_undelete(self) -> None:
        """Bring back the annotation deleted last from this list, as it was."""
        if not self._deleted:
            return
        from annotations.trash import undelete

        annotation_id = self._deleted.pop()
        self.refresh_bindings()
        try:
            undelete(self.app.store, annotation_id)
        except NotFoundError as error:
            # Brought back or emptied elsewhere, or its article was deleted meanwhile.
            self.notify(f"Not brought back: {error}", severity="warning", markup=False)
            self.reload(keep_cursor=True)
            return
        except StorageError as error:
            self._deleted.append(annotation_id)  # u can try again
            self.refresh_bindings()
            self.app.not_saved(error)
            return
        self.reload(keep_cursor=True)
        self.notify("Annotation brought back")

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Offer clearing the filters only while there are some; editing and deleting
        only an annotation shown (dimmed while the list is empty); undoing a delete only
        while there is one to undo; re-attaching only an orphaned annotation."""
        if action == "clear_filters":
            return self.filtered
        if action == "undelete":
            return bool(self._deleted)
        if action in ("delete", "note", "tag"):
            return bool(self.listing.total) or None
        if action == "reattach":
            entry = self.listing.selected
            return entry is not None and entry.orphaned
        return True

    @property
    def filtered(self) -> bool:
        """Whether a tag or words filter the list (or words are being typed)."""
        return bool(self.tag or self.text or self.filter_input.value)

    def action_clear_filters(self) -> None:
        """Clear the tag and the words filtering the list."""
        self.tag = None
        self.text = ""
        with self.filter_input.prevent(Input.Changed):
            self.filter_input.value = ""
        self._typing.cancel()
        self.listing.focus()
        self.reload()

    def action_back(self) -> None:
        """Go back to where the list was opened from."""
        self.dismiss()
