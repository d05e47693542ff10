"""The article screen: read, move between paragraphs, highlight, tag and note."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import ClassVar

from textual import getters, on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.content import Content
from textual.widgets import Input
from textual.worker import Worker, WorkerState, get_current_worker

from annotations.errors import NotFoundError, StorageError
from annotations.formats.markdown import tag_hashtag
from annotations.models import (
    HIGHLIGHT_COLORS,
    Annotation,
    Article,
    ChapterIndex,
    ContentsEntry,
)
from reader.clipboard import copy_text
from reader.debounce import Debounce
from reader.dialogs.confirm import ConfirmDialog
from reader.dialogs.note import NoteDialog
from reader.dialogs.tag import TagDialog
from reader.find import Finder, Matches
from reader.progress import ReadingProgress, time_left
from reader.safe import safe_text
from reader.screens.base import ReaderScreen, refusals_noticed
from reader.widgets.annotation_list import one_line
from reader.widgets.fitted import ClampedText, FittedLines, Part, cut
from reader.widgets.key_bar import KeyBar
from reader.widgets.notices import NoticeLine
from reader.widgets.paragraph_view import ParagraphView
from reader.widgets.status_line import StatusLine
from reader.words import plural

POSITION_SAVE_DELAY = 0.5
"""Seconds after the last move before the reading position is written."""
CHAPTER_CELLS = 40
"""The status line cuts a chapter's title to this many cells."""
FIND_AT_ONCE = 300_000
"""Characters searched on the UI thread when a find is submitted. A longer article shows
the first match found in them at once, and its matches are counted by a worker."""
REATTACH_QUOTE_CHARS = 400
"""The re-attach bar shows at most this much of the old quote (it is cut to its lines)."""
REATTACH_QUOTE_LINES = 3
"""Lines of the re-attach bar for the old quote, at most."""


class ArticleScreen(ReaderScreen[None]):
    """One article as navigable paragraphs, with its annotations.

    Args:
        article_id: The article to show.
        block: A block to open at (e.g. a search result); else the reading position.
        annotation_id: An annotation to open at; h, c, t and n then act on it.
        reattach: An orphaned annotation to re-attach: the screen opens in a mode where
            the reader selects the passage it belongs to now and enter (or h) attaches
            it there; escape leaves it orphaned.
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding(
            "x",
            "archive(True)",
            "Archive",
            tooltip="Archive the article (finished), at its end",
            id="archive",
        ),
        Binding(
            "x",
            "archive(False)",
            "Unarchive",
            tooltip="Unarchive the article, at its end",
            id="unarchive",
        ),
        Binding(
            "O",
            "original(True)",
            "Original",
            tooltip="This passage as you highlighted it, before it changed",
            id="original",
        ),
        # The same key elsewhere, unlisted: it says there is nothing to show.
        Binding("O", "original(False)", show=False, id="original-unchanged"),
        Binding(
            "enter,h",
            "reattach",
            "Attach",
            tooltip="Re-attach the orphaned annotation to this passage",
            id="reattach",
        ),
        Binding("h", "highlight", "Highlight", tooltip="Highlight or unhighlight", id="highlight"),
        Binding(
            "s",
            "sentence_mode(True)",
            "Sentences",
            tooltip="Move by sentence",
            id="sentence-mode",
        ),
        Binding(
            "s",
            "sentence_mode(False)",
            "Paragraphs",
            tooltip="Move by paragraph again",
            id="paragraph-mode",
        ),
        Binding("v", "select", "Select", tooltip="Start a selection", id="select"),
        Binding(
            "v",
            "cancel_selection",
            "Cancel selection",
            tooltip="Cancel the selection",
            show=False,
            id="select-cancel",
        ),
        Binding("slash", "find", "Find", tooltip="Find in this article", id="find"),
        Binding(
            "c", "color", "Colour", tooltip="Next colour of this highlight", show=False, id="color"
        ),
        Binding("t", "tag", "Tag", tooltip="Tag this passage", id="tag"),
        Binding("n", "note", "Note", tooltip="Write a note on this passage", id="note"),
        Binding(
            "o",
            "contents",
            "Contents",
            tooltip="The table of contents: where you are, jump to a chapter",
            id="contents",
        ),
        Binding(
            "colon",
            "goto",
            "Go to",
            tooltip="Go to a paragraph number or a percentage (:120, :50%)",
            show=False,
            id="goto",
        ),
        Binding(
            "w",
            "full_width(True)",
            "Full width",
            tooltip="Set the text across the whole width (remembered)",
            show=False,
            id="full-width",
        ),
        Binding(
            "w",
            "full_width(False)",
            "Text column",
            tooltip="Set the text in a centred column (remembered)",
            show=False,
            id="text-column",
        ),
        Binding(
            "right_square_bracket",
            "jump(1)",
            "Next annotation",
            show=False,
            tooltip="Next annotation",
            id="annotation-next",
        ),
        Binding(
            "left_square_bracket",
            "jump(-1)",
            "Previous annotation",
            show=False,
            tooltip="Previous annotation",
            id="annotation-prev",
        ),
        Binding("y", "copy", "Copy", show=False, tooltip="Copy the passage", id="copy"),
        Binding(
            "e",
            "export",
            "Export",
            tooltip="Export this article's annotations",
            show=False,
            id="export",
        ),
        Binding(
            "E",
            "edit",
            "Edit",
            tooltip="Edit the article's title, author, date and tags",
            show=False,
            id="edit",
        ),
        Binding(
            "escape", "close_find", "Close find", tooltip="Close the find field", id="find-close"
        ),
        Binding(
            "escape", "clear_find", "Clear find", tooltip="Clear the find matches", id="find-clear"
        ),
        Binding(
            "escape",
            "cancel_selection",
            "Cancel selection",
            tooltip="Cancel the selection",
            id="escape-selection",
        ),
        Binding(
            "escape",
            "cancel_reattach",
            "Cancel re-attach",
            tooltip="Stop re-attaching: the annotation stays orphaned",
            id="reattach-cancel",
        ),
        Binding("escape", "back", "Back", tooltip="Back to the library", id="escape"),
        Binding("q", "back", "Back", show=False, tooltip="Back to the library", id="back"),
    ]
    """Annotation keys; movement keys live on the ParagraphView. Escape closes the find
    field, else clears its matches, else cancels a selection, else stops re-attaching,
    else goes back: the first of these that applies is the one offered. While an orphan
    is re-attached, enter and h attach it (h, t, n and c make no highlight then). The keys
    offered only where they apply (x at the end, O on a passage changed since it was
    highlighted) come first, so the key bar shows them even when narrow."""

    status = getters.query_one(StatusLine)

    def __init__(
        self,
        article_id: str,
        block: int | None = None,
        annotation_id: str | None = None,
        *,
        reattach: Annotation | None = None,
    ) -> None:
        super().__init__()
        self.article_id = article_id
        self.start_block = block
        self._focused: str | None = annotation_id
        self.reattaching = reattach
        """The orphaned annotation being re-attached, until it is or escape stops it."""
        self.article: Article | None = None
        self.contents: list[ContentsEntry] = []
        """The article's table of contents (its own, else its headings), read on opening."""
        self._chapters = ChapterIndex(())
        """The chapters of `contents`, for the status line at every move."""
        self.progress = ReadingProgress((), 0)
        """Where each block is in the article, measured on opening."""
        self._position_save = Debounce(self, POSITION_SAVE_DELAY, self.save_position)
        self._position: int | None = None
        self._finder: Finder | None = None
        self._counting: Worker[Matches | None] | None = None
        """The worker counting the matches of the latest find, until it is done."""
        self._steps = 0
        """Presses of ] (+1) and [ (-1) while counting, done when the count is in."""
        self._query = ""
        """What the latest find looked for."""
        self._saved_position: int | None = None
        self._leaving = False
        """Whether the screen is being taken down (nothing to show any more)."""
        self._at_end = False
        """Whether the cursor is on the last block (x archives the article there)."""
        self._archive_offered = False
        """Whether reaching the end has offered to archive the article (once a reading)."""
        self._changed_here = False
        """Whether the annotation under the cursor is on text changed since it was
        highlighted (O then shows how it was)."""

    def compose(self) -> ComposeResult:
        store = self.app.store
        self.library_read()
        try:
            self.article = store.get_article(self.article_id)
            blocks = store.get_blocks(self.article_id)
            self._read_contents()
        except NotFoundError:
            blocks = []
        self.progress = ReadingProgress(blocks, self.article.words if self.article else 0)
        yield FittedLines(*self._header(), separator_style="dim", id="article-header")
        self._view = ParagraphView(
            blocks,
            store.list_annotations(self.article_id) if blocks else (),
            cursor=self._start_cursor(),
            full_width=self.app.full_width,
        )
        yield self._view
        # Known before the key bar is first drawn, which it then offers O by.
        self._changed_here = self._on_changed_text()
        yield Input(placeholder="Find in this article", id="find")
        if self.reattaching is not None:
            yield from self._reattach_bar(self.reattaching)
        yield StatusLine(id="article-status")
        yield NoticeLine()
        yield KeyBar()

    @property
    def view(self) -> ParagraphView:
        """The article's text; a new one when another process changed the text."""
        return self._view

    def _start_cursor(self) -> int:
        if self.start_block is not None:
            return self.start_block
        return self.article.position if self.article else 0

    def on_mount(self) -> None:
        if self.article is None or not self.view.blocks:
            self.notify("This article has no text", severity="error")
            self.dismiss()
            return
        self.view.focus()
        self._update_status()
        self._at_end = self.view.cursor == len(self.view.blocks) - 1
        # Opening counts as reading: the library then shows progress instead of "new".
        self._position = self.view.cursor
        self.save_position()

    def _header(self) -> tuple[list[Part], list[Part]]:
        """The title (cut when too long), then author, date, length, whether it is
        archived, and its tags.

        When the line is too narrow, the tags go first, then whether it is archived,
        the length, the date: what is shown is whole.
        """
        if self.article is None:
            return [], []
        article = self.article
        details = []
        if article.author:
            details.append(Part.text(safe_text(article.author), "dim", rank=3))
        if article.date:
            details.append(Part.text(safe_text(article.date), "dim", rank=2))
        details.append(Part.text(f"{article.words:,} words", "dim", rank=1))
        if article.archived:
            details.append(Part.text("archived", "dim", rank=1))
        if article.tags:
            tags = " ".join(one_line(tag_hashtag(tag)) for tag in article.tags)
            details.append(Part.text(tags, "$text-accent", rank=1))
        return [Part.text(safe_text(article.title), "bold")], details

    @staticmethod
    def _reattach_bar(orphan: Annotation) -> ComposeResult:
        """What is being re-attached (its old quote, as many lines as fit) and how."""
        quote = one_line(orphan.anchor.exact[:REATTACH_QUOTE_CHARS])
        if len(orphan.anchor.exact) > REATTACH_QUOTE_CHARS:
            quote += "…"
        yield ClampedText(
            Content.assemble(("Re-attach ", "bold"), (f"“{quote}”", "italic")),
            REATTACH_QUOTE_LINES,
            id="reattach-quote",
            classes="reattach",
        )
        yield FittedLines(
            [
                Part.text("Select the passage it belongs to now: v, then move", rank=9),
                Part.text("enter or h attaches it", rank=7),
                Part.text("escape cancels", rank=8),
            ],
            id="reattach-how",
            classes="reattach",
        )

    def _end_reattach(self) -> None:
        """Leave the re-attach mode: its bar goes, the keys are the usual ones again."""
        self.reattaching = None
        self.query(".reattach").remove()
        self.refresh_bindings()
        self._update_status()

    def _read_contents(self) -> None:
        self.contents = self.app.store.get_contents(self.article_id)
        self._chapters = ChapterIndex(self.contents)

    def _chapter_parts(self) -> list[Part]:
        """Where the cursor is in the contents: the innermost entry, with the entries it
        is in before it when the line has room for them. A lone heading (most often the
        text's own title) names no chapter, as in exports and search (`chapters`)."""
        path = self._chapters.path(self.view.cursor)
        parts = []
        for depth, entry in enumerate(path):
            title = cut(Content(safe_text(" ".join(entry.title.split()))), CHAPTER_CELLS)
            innermost = depth == len(path) - 1
            # The outer entries go before any other part; the innermost stays long.
            parts.append(Part(title, rank=5 if innermost else 1, before=" › " if depth else None))
        return parts

    def _update_status(self) -> None:
        view = self.view
        total = len(view.blocks)
        count = len(view.annotations)
        here = [a for a in view.annotations_at_cursor() if a.id == self._focused] or (
            view.annotations_at_cursor()
        )
        # When the line is too narrow, the outer chapters go first, then the counts and
        # the time left, then what is under the cursor; the position, the modes and how
        # to end a selection stay longest.
        parts = [
            *self._chapter_parts(),
            Part.text(f"¶ {view.cursor + 1}/{total}", rank=9),
            Part.text(f"{self.progress.percent(view.cursor)}%", rank=6),
            Part.text(time_left(self.progress.minutes_left(view.cursor)), rank=4),
            Part.text(plural(count, "annotation"), rank=3),
        ]
        if here:
            changed = ", changed" if here[0].changed else ""
            parts.append(Part.text(f"here: {here[0].color}{changed}", rank=5))
        if view.sentence_mode:
            parts.append(Part.text("sentences", rank=7))
        if view.selection is not None:
            parts.append(Part.text("selecting", rank=8))
            if self.reattaching is not None:
                parts.append(Part.text("enter or h attaches it here, escape cancels", rank=6))
            else:
                parts.append(Part.text("h/t/n act on it, escape cancels", rank=6))
        if self._counting is not None:
            parts.append(Part.text("counting matches…", rank=8))
        elif view.matches:
            number = "–" if view.current_match is None else f"{view.current_match + 1:,}"
            parts.append(Part.text(f"match {number}/{len(view.matches):,}", rank=8))
            parts.append(Part.text("]/[ next/previous", rank=2))
        self.status.show(parts)
        self._update_keys()

    def _on_changed_text(self) -> bool:
        """Whether the annotation under the cursor is on text changed since it was highlighted."""
        existing = self._annotation_here()
        return existing is not None and existing.changed

    def _update_keys(self) -> None:
        """Offer O only on an annotation whose text changed since it was highlighted."""
        changed = self._on_changed_text()
        if changed != self._changed_here:
            self._changed_here = changed
            self.refresh_bindings()

    def on_screen_resume(self) -> None:
        if self.article is None or not self.view.blocks:
            self.dismiss()  # no text to show (it could not close while another screen was on top)
            return
        # Tags may have been renamed or annotations deleted from another screen.
        if self.library_changed():
            self._reload_annotations()

    # Reading position -------------------------------------------------------

    @on(ParagraphView.CursorMoved)
    def _cursor_moved(self, event: ParagraphView.CursorMoved) -> None:
        if self._focused and not any(
            a.id == self._focused for a in self.view.annotations_at_cursor()
        ):
            self._focused = None
        self._position = event.block
        self._update_status()
        self._position_save.restart()
        at_end = event.block == len(self.view.blocks) - 1
        if at_end != self._at_end:
            self._at_end = at_end
            self.refresh_bindings()  # x archives the article at its end
            if at_end:
                self._offer_archive()

    def _offer_archive(self) -> None:
        """Once a reading, on reaching the end: say that x archives the article."""
        if self._archive_offered or self.article is None or self.article.archived:
            return
        self._archive_offered = True
        self.notify("The end. x archives the article (finished); it leaves the reading shelf")

    def save_position(self) -> None:
        """Write the reading position to the library, if it changed."""
        if self._position is not None and self._position != self._saved_position:
            position = self._position
            shown_is_current = not self.library_changed()
            if self.app.save(lambda: self.app.store.set_position(self.article_id, position)):
                self._saved_position = position
                if shown_is_current:
                    self.library_read()  # the position is not something the screen shows

    def on_unmount(self) -> None:
        self._leaving = True
        self._stop_counting()
        self._position_save.cancel()
        self.save_position()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Offer what each key does in the present state.

        Escape offers the first of closing the find field, clearing its matches and
        cancelling a selection that applies (else it goes back); `v` starts a selection
        or cancels it; `s` switches to the other way of moving, `w` to the other width
        of the text; at the last block, `x` archives the article or unarchives it; `O`
        is offered on an annotation whose text changed since it was highlighted. While
        an orphan is re-attached, enter and h attach it and escape stops; no key makes a
        new highlight or changes one.
        """
        if action == "close_find":
            return self.query_one("#find", Input).has_focus
        if action == "clear_find":
            return bool(self.view.matches) or self._counting is not None
        if action == "cancel_selection":
            return self.view.selection_anchor is not None
        if action == "select":
            return self.view.selection_anchor is None
        if action == "sentence_mode" and parameters:
            return parameters[0] != self.view.sentence_mode
        if action == "full_width" and parameters:
            return parameters[0] != self.view.full_width
        if action == "archive":
            archived = self.article is not None and self.article.archived
            return self._at_end and parameters[0] != archived
        if action == "original" and parameters:
            return parameters[0] == self._changed_here
        if action in ("reattach", "cancel_reattach"):
            return self.reattaching is not None
        if action in ("highlight", "tag", "note", "color"):
            return self.reattaching is None
        return True

    def action_close_find(self) -> None:
        """Close the find field (its matches stay, ] and [ go through them)."""
        self.query_one("#find", Input).remove_class("-shown")
        self.view.focus()

    def action_clear_find(self) -> None:
        """Forget the find matches (and stop counting them)."""
        self._stop_counting()
        self.view.set_matches(Matches.none())
        self._update_status()

    def action_cancel_selection(self) -> None:
        """Cancel the selection in progress."""
        self.view.cancel_selection()

    def action_cancel_reattach(self) -> None:
        """Stop re-attaching: the annotation stays orphaned, as it was."""
        if self.reattaching is not None:
            self._end_reattach()
            self.notify("Not re-attached: the annotation is still orphaned")

    def action_reattach(self) -> None:
        """Re-attach the orphaned annotation to the passage (the selection, else the
        sentence or paragraph under the cursor), with its colour, tags and note."""
        orphan = self.reattaching
        if orphan is None or not self._is_current() or not self._has_passage():
            return
        start_block, start, end_block, end = self.view.passage
        store = self.app.store
        try:
            saved = self.app.save(
                lambda: store.move_annotation(orphan.id, (start_block, start), (end_block, end))
            )
        except ValueError as error:
            self.notify(f"Could not re-attach: {error}", severity="error", markup=False)
            return
        if not saved:
            return
        if self.view.selection_anchor is not None:
            self.view.cancel_selection()
        self._focused = orphan.id
        self._end_reattach()
        self._reload_annotations()
        kept = [what for what, has in (("tags", orphan.tags), ("note", orphan.note.strip())) if has]
        self.notify(f"Re-attached, with its {' and '.join(kept)}" if kept else "Re-attached")

    def action_back(self) -> None:
        """Remember the position and go back to the library."""
        self.save_position()
        self.dismiss()

    # Annotations ---------------------------------------------------------

    def _annotation_here(self) -> Annotation | None:
        """The annotation under the cursor, unless a selection asks for a new one.

        Where several overlap, the one jumped to (with ] or [, or from the annotations
        list) is meant.
        """
        if self.view.selection_anchor is not None:
            return None
        here = self.view.annotations_at_cursor()
        focused = [a for a in here if a.id == self._focused]
        meant = focused or here
        return meant[0] if meant else None

    def reload_from_library(self) -> None:
        """Show the article and its annotations as the library holds them now."""
        if not self._leaving and self._is_current():
            self._reload_annotations()

    @refusals_noticed
    def _reload_annotations(self) -> None:
        self.library_read()
        annotations = self.app.store.list_annotations(self.article_id)
        self.view.set_annotations(annotations)
        self._update_status()
        orphan = self.reattaching
        if orphan is not None and not any(a.id == orphan.id and a.orphaned for a in annotations):
            self._end_reattach()
            self.notify(
                "The annotation being re-attached was placed or deleted elsewhere",
                severity="warning",
            )

    def _has_passage(self) -> bool:
        """Whether there is text to highlight under the cursor; if not, say so."""
        start_block, start, end_block, end = self.view.passage
        if (start_block, start) >= (end_block, end):
            self.notify("Nothing to highlight here", severity="warning")
            return False
        return True

    def _new_highlight(self, *, tags: Iterable[str] = (), note: str = "") -> Annotation | None:
        """Highlight the passage (selection, sentence or paragraph) and end any selection."""
        if not self._has_passage():
            return None
        start_block, start, end_block, end = self.view.passage
        try:
            annotation = self.app.store.add_highlight(
                self.article_id, (start_block, start), (end_block, end), tags=tags, note=note
            )
        except (ValueError, NotFoundError) as error:
            self.notify(f"Could not highlight: {error}", severity="error", markup=False)
            return None
        except StorageError as error:
            self.app.not_saved(error)
            return None
        if self.view.selection_anchor is not None:
            self.view.cancel_selection()
        return annotation

    def _is_current(self) -> bool:
        """Whether the text shown is still the article's; when not, reload it and say so.

        Another process (an import) may have changed the article since it was opened;
        annotating the old text would attach notes to the wrong passage.
        """
        store = self.app.store
        try:
            latest = store.get_article(self.article_id)
        except NotFoundError:
            self.notify("This article is no longer in the library", severity="error")
            self.dismiss()
            return False
        if self.article is not None and latest.content_hash == self.article.content_hash:
            return True
        self.article = latest
        old = self._view
        blocks = store.get_blocks(self.article_id)
        self._read_contents()
        self.progress = ReadingProgress(blocks, latest.words)
        view = ParagraphView(
            blocks,
            store.list_annotations(self.article_id),
            cursor=old.cursor,
            full_width=self.app.full_width,
        )
        self._view = view
        self._stop_counting()
        self._finder = None  # the matches were in the old text
        self.mount(view, before=old)  # in its place, above the find field and any bar
        old.remove()
        view.focus()
        self.query_one("#article-header", FittedLines).update(*self._header())
        self._update_status()
        self.notify(
            "This article was updated by an import and has been reloaded; try again",
            severity="warning",
        )
        return False

    def action_highlight(self) -> None:
        """Highlight the paragraph under the cursor, or remove the highlight there.

        Removing a highlight that carries tags or a note asks first.
        """
        if not self._is_current():
            return
        existing = self._annotation_here()
        if existing is None:
            annotation = self._new_highlight()
            if annotation is not None:
                self.notify("Highlighted")
                # The store returned the highlight as saved: the others need no new read.
                self.view.add_annotation(annotation)
                self._update_status()
            return

        def remove(confirmed: bool | None) -> None:
            if confirmed and self.app.save(lambda: self.app.store.delete_annotation(existing.id)):
                self._reload_annotations()
                self.notify("Highlight removed")

        if existing.tags or existing.note.strip():
            self.app.ask(ConfirmDialog("Remove this highlight with its tags and note?"), remove)
        else:
            remove(True)

    def action_color(self) -> None:
        """Give the highlight under the cursor the next colour."""
        if not self._is_current():
            return
        existing = self._annotation_here()
        if existing is None:
            self.notify("No highlight here: press h first", severity="warning")
            return
        index = HIGHLIGHT_COLORS.index(existing.color) if existing.color in HIGHLIGHT_COLORS else -1
        color = HIGHLIGHT_COLORS[(index + 1) % len(HIGHLIGHT_COLORS)]
        if not self.app.save(lambda: self.app.store.set_color(existing.id, color)):
            return
        self._reload_annotations()
        self.notify(f"Colour: {color}")

    def action_tag(self) -> None:
        """Tag the passage under the cursor (highlighting it if needed)."""
        if not self._is_current():
            return
        existing = self._annotation_here()
        if existing is None and not self._has_passage():
            return
        self._edit_tags(existing.tags if existing else ())

    def _edit_tags(self, tags: Sequence[str], *, unsaved: bool = False) -> None:
        """Open the tag editor; tags the library refuses come back to it."""
        known = [tag.name for tag in self.app.store.list_tags()]

        def chosen(chosen_tags: list[str] | None) -> None:
            if chosen_tags is None:
                return
            current = self._annotation_here()
            if current is None:
                if not chosen_tags:
                    return
                done = self._new_highlight(tags=chosen_tags) is not None
            else:
                done = self.app.save(lambda: self.app.store.set_tags(current.id, chosen_tags))
            if not done:
                self._edit_tags(chosen_tags, unsaved=True)
                return
            self._reload_annotations()
            self.notify("Tags saved" if chosen_tags else "Tags removed")

        self.app.ask(TagDialog(tags, known, unsaved=unsaved), chosen)

    def action_note(self) -> None:
        """Write or edit the note on the passage under the cursor."""
        if not self._is_current():
            return
        existing = self._annotation_here()
        if existing is None and not self._has_passage():
            return
        passage = existing.anchor.exact if existing else self.view.passage_text()
        saved = existing.note if existing else ""
        self._edit_note(saved, passage, saved)

    def _edit_note(self, note: str, passage: str, saved: str) -> None:
        """Open the note editor on a text; a note the library refuses comes back to it."""

        def chosen(text: str | None) -> None:
            if text is None:
                return
            current = self._annotation_here()
            if current is None:
                if not text.strip():
                    return
                done = self._new_highlight(note=text) is not None
            else:
                done = self.app.save(lambda: self.app.store.set_note(current.id, text))
            if not done:
                # Never lost: the reader can try again, or copy the note elsewhere.
                self._edit_note(text, passage, saved)
                return
            self._reload_annotations()
            self.notify("Note saved" if text.strip() else "Note removed")

        self.app.ask(NoteDialog(note, passage, saved=saved), chosen)

    def action_original(self, offered: bool = True) -> None:
        """Show what the passage under the cursor said when it was highlighted, beside
        what it says now; or say in a line that there is nothing to show.

        Args:
            offered: Whether the key bar offers it (the annotation under the cursor
                decides what is shown either way).
        """
        existing = self._annotation_here()
        if existing is None:
            self.notify("No highlight here", severity="warning")
        elif not existing.changed:
            self.notify("Unchanged: this passage reads as when you highlighted it")
        else:
            from reader.dialogs.original import OriginalDialog

            self.app.push_screen(OriginalDialog(existing.original, existing.anchor.exact))

    def action_jump(self, direction: int) -> None:
        """Next (1) or previous (-1) find match, or else annotated passage."""
        view = self.view
        if self._counting is not None and view.matches:
            self._steps += direction  # done when the count is in
            return
        if view.matches:
            view.jump_to_match(direction)
            self._update_status()
            return
        # Annotations in text order; ones starting at the same place are visited in turn.
        ordered = sorted(
            view.annotations, key=lambda a: (a.anchor.start_block, a.anchor.start_offset, a.id)
        )
        keys = [(a.anchor.start_block, a.anchor.start_offset, a.id) for a in ordered]
        current = next((k for k in keys if k[2] == self._focused), None)
        here = current or (view.cursor, view.cursor_span[0], "\uffff" if direction > 0 else "")
        if direction > 0:
            target = next((k for k in keys if k > here), None)
        else:
            target = next((k for k in reversed(keys) if k < here), None)
        if target is None:
            self.notify("No more annotations" if keys else "No annotations yet")
            return
        self._focused = target[2]
        view.move_to(target[0], target[1])
        self._update_status()

    def action_copy(self) -> None:
        """Copy the passage (selection, annotation, sentence or paragraph) with the title."""
        existing = self._annotation_here()
        passage = existing.anchor.exact if existing else self.view.passage_text()
        title = self.article.title if self.article else ""
        self.notify(copy_text(self.app, f"{passage}\n\n— {title}"), markup=False)

    def action_sentence_mode(self, on: bool | None = None) -> None:
        """Move by sentence (True), by paragraph (False), or the other way (None)."""
        if on is None or on != self.view.sentence_mode:
            on = self.view.toggle_sentence_mode()
        self.notify("Moving by sentence" if on else "Moving by paragraph")

    def action_select(self) -> None:
        """Start a selection at the cursor, or cancel the one in progress."""
        if self.view.selection_anchor is None:
            self.view.start_selection()
        else:
            self.view.cancel_selection()

    def action_find(self) -> None:
        """Show the find field."""
        field = self.query_one("#find", Input)
        field.add_class("-shown")
        field.focus()
        finder = self._article_finder()
        if finder.size > FIND_AT_ONCE and not finder.is_folded:
            self._fold(finder)

    def _article_finder(self) -> Finder:
        if self._finder is None:
            self._finder = Finder([block.text for block in self.view.blocks])
        return self._finder

    @work(thread=True, exclusive=True, group="fold", exit_on_error=False)
    def _fold(self, finder: Finder) -> None:
        """Fold a long article while the query is typed: the find then starts from it."""
        finder.folded()

    @on(Input.Submitted, "#find")
    def _find_submitted(self, event: Input.Submitted) -> None:
        """Show the first match at or after the cursor at once; a long article's matches
        are then counted by a worker while the reader goes on."""
        field = event.input
        field.remove_class("-shown")
        view = self.view
        view.focus()
        self._stop_counting()
        query = self._query = event.value
        finder = self._article_finder()
        if finder.size <= FIND_AT_ONCE:
            self._show_matches(query, finder.find(query) or Matches.none())
            return
        found, searched_all = finder.first(
            query, view.cursor, view.cursor_span[0], limit=FIND_AT_ONCE
        )
        if found is None and searched_all:
            self._show_matches(query, Matches.none())
            return
        view.set_matches(finder.matches_of([found]) if found else Matches.none())
        if found:
            view.show_match(0)
        self._steps = 0
        self._counting = self._count_matches(finder, query)
        self._update_status()

    @work(thread=True, exclusive=True, group="find", exit_on_error=False)
    def _count_matches(self, finder: Finder, query: str) -> Matches | None:
        """Every match of a query (in a thread); None when a newer find replaced it."""
        worker = get_current_worker()
        return finder.find(query, cancelled=lambda: worker.is_cancelled)

    @on(Worker.StateChanged)
    def _counted(self, event: Worker.StateChanged) -> None:
        """Show the counted matches, unless a newer find or a clear made them stale."""
        worker = event.worker
        if worker is not self._counting or not worker.is_finished:
            return
        self._counting = None
        matches = worker.result if event.state == WorkerState.SUCCESS else None
        if matches is None:  # failed: the find is as if never made
            self.view.set_matches(Matches.none())
            self._update_status()
            return
        view = self.view
        shown = view.current_match
        if matches and view.matches and shown is not None:
            # The match shown at once is one of these; the cursor stays unless ] or [ moved it.
            block, start, _end = view.matches[shown]
            number = matches.number_at(block, start) % len(matches)
            view.set_matches(matches, current=number)
            if self._steps:
                view.show_match((number + self._steps) % len(matches))
                self._steps = 0
            self._update_status()
            return
        self._show_matches(self._query, matches)

    def _show_matches(self, query: str, matches: Matches) -> None:
        """Show all the matches of a find, going to the first at or after the cursor."""
        view = self.view
        view.set_matches(matches)
        if matches:
            number = view.jump_to_match(1) or 0
            if self._steps:
                view.show_match((number + self._steps) % len(matches))
        else:
            self.notify(f"Not found: {query}", severity="warning", markup=False)
        self._steps = 0
        self._update_status()

    def _stop_counting(self) -> None:
        """Cancel counting matches: its result, if it still comes, is ignored."""
        if self._counting is not None:
            self._counting.cancel()
            self._counting = None
        self._steps = 0

    # Places ------------------------------------------------------------------

    def go_to(self, block: int) -> None:
        """Put the cursor on a block, shown near the top of the view."""
        self.view.jump_to(block)
        self._update_status()

    def action_contents(self) -> None:
        """Show the table of contents; enter there jumps to an entry."""
        if not self.contents:
            self.notify("No contents: this article has no headings", severity="warning")
            return
        from reader.dialogs.contents import ContentsDialog

        def chosen(block: int | None) -> None:
            if block is not None:
                self.go_to(block)

        self.app.ask(ContentsDialog(self.contents, self.progress, self.view.cursor), chosen)

    def action_goto(self) -> None:
        """Ask for a paragraph number or a percentage, and go there."""
        from reader.dialogs.goto import GotoDialog

        def chosen(block: int | None) -> None:
            if block is not None:
                self.go_to(block)

        self.app.ask(GotoDialog(self.progress), chosen)

    def action_full_width(self, full: bool) -> None:
        """Set the text across the whole width (True) or in a centred column (False),
        for every article from now on."""
        self.view.full_width = full
        self.app.set_full_width(full)
        self.refresh_bindings()
        self.notify("Full width" if full else "Text in a column of 80 cells")

    # The article itself --------------------------------------------------------

    def _show_article(self, article: Article) -> None:
        """Show the article's details as saved (its text has not changed)."""
        self.article = article
        self.query_one("#article-header", FittedLines).update(*self._header())
        self.refresh_bindings()

    def action_edit(self) -> None:
        """Edit the article's title, author, date and tags."""
        if not self._is_current() or self.article is None:
            return
        from reader.dialogs.edit_article import EditArticleDialog

        def edited(saved: Article | None) -> None:
            if saved is not None:
                self._show_article(saved)
                self.notify("Saved")

        known = [tag.name for tag in self.app.store.list_tags()]
        self.app.ask(EditArticleDialog(self.app.store.get_article(self.article_id), known), edited)

    def action_archive(self, archived: bool = True) -> None:
        """Archive the article (finished), or put it back on the reading shelf."""
        if not self._is_current():
            return
        try:
            article = self.app.store.set_archived(self.article_id, archived)
        except StorageError as error:
            self.app.not_saved(error)
            return
        self._show_article(article)
        if archived:
            self.notify("Archived: it left the reading shelf · x puts it back")
        else:
            self.notify("Back on the reading shelf")

    def action_export(self) -> None:
        """Export this article's annotations as Markdown."""
        # The export modules are loaded when first used, not at start-up.
        from reader.screens.export import export_article

        export_article(self, self.app.store.get_article(self.article_id))
