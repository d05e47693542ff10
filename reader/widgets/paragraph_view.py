"""The article text as navigable blocks, rendered line by line (Textual's Line API)."""

from __future__ import annotations

import re
from bisect import bisect_right, insort
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import accumulate, pairwise
from typing import ClassVar

from rich.segment import Segment
from rich.style import Style
from textual import events
from textual.binding import BindingType
from textual.cache import LRUCache
from textual.geometry import Region, Size
from textual.message import Message
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip

from annotations.formats.markdown import tag_hashtag
from annotations.models import HIGHLIGHT_COLORS, Annotation, Block, BlockKind
from reader.find import Matches
from reader.keys import movement_bindings
from reader.safe import safe_text
from reader.sentences import sentence_spans
from reader.widgets.wrapping import hard_wrap_offsets, wrap_offsets

TEXT_COLUMN = 80
"""Lines of text are at most this wide, centred, for comfortable reading (unless the
view is set to the full width)."""
GUTTER = 4
"""Cells before the text: the cursor bar, `#` (tags end here), `✎` (a note ends here), a space."""
HIGHLIGHT_MARKS = {"yellow": "●", "green": "▲", "blue": "◆", "pink": "■"}
"""The mark of each highlight colour before its tag and note lines: a shape as well as a
colour, for readers who tell colours apart poorly and for terminals without colour."""
NOTE_LINES = 4
"""A note shows at most this many lines under its passage."""
CHANGED_NOTICE = "changed since you highlighted it · O shows how it was"
"""The line under a passage whose text is no longer the text it was highlighted on."""
_KEPT_LINES = (BlockKind.CODE, BlockKind.TABLE)
"""Blocks shown with their own line breaks (code, and tables one row per line)."""


_Decor = tuple[bool, bool, tuple[tuple[int, int, str], ...]]
"""Whole-row cursor, gutter bar, and marked spans (start, end, component) of a block."""


@dataclass
class _Layout:
    """How one block is laid out at the current width."""

    lines: list[tuple[int, int]]
    """(start, end) offsets of each text line."""
    meta: list[tuple[str, str, str]]
    """Lines shown under the passage: (component name, text, highlight colour)."""
    gap: int
    """Blank lines after the block."""

    @property
    def height(self) -> int:
        return len(self.lines) + len(self.meta) + self.gap


class ParagraphView(ScrollView, can_focus=True):
    """An article's blocks, one of which is the cursor, with highlights and notes shown.

    Only the visible lines are rendered; blocks are wrapped for the current width in one
    fast pass, so opening, jumping and moving cost the same at any article length.
    """

    COMPONENT_CLASSES = {
        "paragraph-view--cursor",
        "paragraph-view--cursor-gutter",
        "paragraph-view--heading",
        "paragraph-view--code",
        "paragraph-view--quote",
        "paragraph-view--bullet",
        "paragraph-view--tags",
        "paragraph-view--note",
        "paragraph-view--changed",
        "paragraph-view--marker",
        "paragraph-view--sentence",
        "paragraph-view--selection",
        "paragraph-view--match",
        "paragraph-view--match-current",
        *(f"paragraph-view--highlight-{color}" for color in HIGHLIGHT_COLORS),
    }
    """Cursor, block kinds, annotation lines and one class per highlight colour."""

    DEFAULT_CSS = """
    ParagraphView {
        background: $surface;
        scrollbar-gutter: stable;
        & > .paragraph-view--cursor-gutter { color: $text-accent; }
        & > .paragraph-view--heading { color: $text-primary; text-style: bold; }
        & > .paragraph-view--code { background: $panel; color: $text; }
        & > .paragraph-view--quote { color: $text-muted; text-style: italic; }
        & > .paragraph-view--bullet { color: $text-secondary; }
        & > .paragraph-view--tags { color: $text-accent; }
        & > .paragraph-view--note { color: $text-muted; text-style: italic; }
        & > .paragraph-view--changed { color: $text-warning; text-style: italic; }
        & > .paragraph-view--marker { color: $text-accent; text-style: bold; }
        & > .paragraph-view--sentence { text-style: bold underline; }
        /* Passage colours are chosen per theme and colour depth: see reader.colours. */
        & > .paragraph-view--cursor { background: $passage-cursor; }
        & > .paragraph-view--selection {
            background: $passage-selection; color: $passage-selection-text;
        }
        & > .paragraph-view--match { background: $passage-match; color: $passage-match-text; }
        & > .paragraph-view--match-current {
            background: $passage-match-current;
            color: $passage-match-current-text;
            text-style: bold;
        }
        & > .paragraph-view--highlight-yellow {
            background: $passage-highlight-yellow; color: $passage-highlight-yellow-text;
        }
        & > .paragraph-view--highlight-green {
            background: $passage-highlight-green; color: $passage-highlight-green-text;
        }
        & > .paragraph-view--highlight-blue {
            background: $passage-highlight-blue; color: $passage-highlight-blue-text;
        }
        & > .paragraph-view--highlight-pink {
            background: $passage-highlight-pink; color: $passage-highlight-pink-text;
        }
    }
    """

    BINDINGS: ClassVar[list[BindingType]] = movement_bindings("paragraph")
    """Moving the cursor: by paragraph, to the ends, by a screen."""

    cursor: reactive[int] = reactive(0, always_update=False, init=False)
    """Index of the block under the cursor."""

    class CursorMoved(Message):
        """The cursor moved to another block."""

        def __init__(self, view: ParagraphView, block: int) -> None:
            super().__init__()
            self.view = view
            self.block = block

        def can_replace(self, message: Message) -> bool:
            return isinstance(message, ParagraphView.CursorMoved)

    def __init__(
        self,
        blocks: Sequence[Block],
        annotations: Sequence[Annotation] = (),
        *,
        cursor: int = 0,
        full_width: bool = False,
        name: str | None = None,
        id: str | None = None,
        classes: str | None = None,
    ) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self.blocks = list(blocks)
        self._texts = [safe_text(block.text) for block in self.blocks]
        self._annotations: list[Annotation] = []
        self._by_block: dict[int, list[Annotation]] = {}
        self._ending: dict[int, list[Annotation]] = {}
        self._layouts: list[_Layout | None] = []
        self._heights: list[int] = []
        self._heights_changed = False
        self._starts: list[int] = [0]
        self._width = 0
        self._rows = 0
        """Rows the view showed when last laid out (to keep the end shown on a resize)."""
        self._cache: LRUCache[tuple[int, int, _Decor], Strip] = LRUCache(1024)
        self._full_width = full_width
        self.sentence_mode = False
        """Whether j/k move by sentence rather than by paragraph."""
        self._sentence = 0
        self._sentence_target = 0
        self._sentences: dict[int, list[tuple[int, int]]] = {}
        self.selection_anchor: tuple[int, int, int] | None = None
        """Where a selection started: (block, start, end) of the passage at `v`."""
        self.matches = Matches.none()
        """Find results: (block, start, end), in text order."""
        self.current_match: int | None = None
        """The number of the match shown as the current one."""
        self.set_annotations(annotations, relayout=False)
        self.set_reactive(ParagraphView.cursor, self._clamp(cursor))

    # Data -----------------------------------------------------------------

    def _clamp(self, block: int) -> int:
        return max(0, min(block, len(self.blocks) - 1))

    def set_annotations(self, annotations: Sequence[Annotation], relayout: bool = True) -> None:
        """Show a new set of annotations (after any change to them).

        Only blocks whose lines under a passage (tags, note, whether its text changed
        since it was highlighted) changed are laid out again, so a change costs the
        same in a short article and in a book.
        """
        last = len(self.blocks) - 1
        old_ending = self._ending
        self._annotations = [
            a for a in annotations if not a.orphaned and a.anchor.end_block <= last
        ]
        self._by_block = {}
        self._ending = {}
        for annotation in self._annotations:
            anchor = annotation.anchor
            for block in range(anchor.start_block, anchor.end_block + 1):
                self._by_block.setdefault(block, []).append(annotation)
            if annotation.tags or annotation.note.strip() or annotation.changed:
                self._ending.setdefault(anchor.end_block, []).append(annotation)
        if not relayout or not self._layouts:
            return
        changed = [
            block
            for block in old_ending.keys() | self._ending.keys()
            if _meta_key(old_ending.get(block, ())) != _meta_key(self._ending.get(block, ()))
        ]
        for block in changed:
            self._layouts[block] = None
            self._set_height(block, self._estimate(block))
        self._sync_heights()
        self._cache.clear()
        self.refresh()

    def add_annotation(self, annotation: Annotation) -> None:
        """Show one more annotation (one just made), in text order among the others."""
        annotations = list(self._annotations)
        insort(annotations, annotation, key=_text_order)
        self.set_annotations(annotations)

    def annotations_at(self, block: int) -> list[Annotation]:
        """The annotations touching a block, in text order."""
        return list(self._by_block.get(block, ()))

    @property
    def annotations(self) -> list[Annotation]:
        """All placed annotations shown, in text order."""
        return list(self._annotations)

    # Layout ---------------------------------------------------------------

    @property
    def full_width(self) -> bool:
        """Whether the text takes the view's whole width, rather than a centred column of
        at most `TEXT_COLUMN` cells."""
        return self._full_width

    @full_width.setter
    def full_width(self, full: bool) -> None:
        if full == self._full_width:
            return
        self._full_width = full
        if not self._layouts:
            return
        # The cursor's block stays where it was on the screen.
        above = self._starts[self.cursor] - round(self.scroll_offset.y)
        self._relayout(self._width, force=True)
        self._lay_out_rows(max(0, self._starts[self.cursor] - above), self.size.height)
        self.scroll_to(
            y=max(0, self._starts[self.cursor] - above), animate=False, immediate=True, force=True
        )
        self.scroll_to_cursor()

    @property
    def text_width(self) -> int:
        """Cells available for text on a line."""
        room = self._width - GUTTER - 1
        return max(10, room if self._full_width else min(TEXT_COLUMN, room))

    @property
    def _margin(self) -> int:
        """Cells left of the gutter: the text column is centred, its gutter in the margin."""
        return max(0, (self._width - self.text_width) // 2 - GUTTER)

    def _prefix_width(self, block: Block) -> int:
        if block.kind == BlockKind.LIST_ITEM:
            return 2 * (max(1, block.level) - 1) + (_number_width(block.text) or 2)
        if block.kind == BlockKind.QUOTE:
            return 2 * max(1, block.level)
        if block.kind in _KEPT_LINES:
            return 2
        return 2 * block.level if block.kind == BlockKind.PARAGRAPH else 0

    def _layout_block(self, index: int) -> _Layout:
        block = self.blocks[index]
        width = self.text_width - self._prefix_width(block)
        if block.kind in _KEPT_LINES:
            lines = hard_wrap_offsets(block.text, width - 2)
        else:
            lines = wrap_offsets(self._texts[index], width)
        if index not in self._ending:
            return _Layout(lines, [], self._gap(index))
        meta: list[tuple[str, str, str]] = []
        for annotation in self._ending.get(index, ()):
            color = annotation.color
            if annotation.changed:
                meta.extend(
                    ("changed", CHANGED_NOTICE[a:b], color)
                    for a, b in wrap_offsets(CHANGED_NOTICE, width - 2)
                )
            if annotation.tags:
                # The same #tag spelling as the Markdown export (no spaces).
                tags = safe_text("  ".join(tag_hashtag(tag) for tag in annotation.tags))
                meta.extend(("tags", tags[a:b], color) for a, b in wrap_offsets(tags, width - 2))
            note = annotation.note.strip()
            if note:
                note_lines: list[tuple[str, str, str]] = []
                for part in note.split("\n"):
                    part = safe_text(part)
                    note_lines.extend(
                        ("note", part[a:b], color) for a, b in wrap_offsets(part, width - 4)
                    )
                if len(note_lines) > NOTE_LINES:
                    note_lines = [*note_lines[: NOTE_LINES - 1], ("note", "…", color)]
                meta.extend(note_lines)
        return _Layout(lines, meta, 1)

    def _estimate(self, index: int) -> int:
        """A block's height without wrapping it (exact for blocks with annotation lines)."""
        block = self.blocks[index]
        if index in self._ending:
            layout = self._layouts[index] = self._layout_block(index)
            return layout.height
        if block.kind in _KEPT_LINES:
            lines = block.text.count("\n") + 1
        else:
            width = self.text_width - self._prefix_width(block)
            lines = max(1, -(-len(block.text) // max(1, width - 4)))
        return lines + self._gap(index)

    def _gap(self, index: int) -> int:
        """Blank lines after a block without annotation lines."""
        # Consecutive list items and quote paragraphs sit together, without a blank line.
        block = self.blocks[index]
        if index + 1 < len(self.blocks) and block.kind in (BlockKind.LIST_ITEM, BlockKind.QUOTE):
            return 0 if self.blocks[index + 1].kind == block.kind else 1
        return 1

    def _set_height(self, index: int, height: int) -> None:
        if self._heights[index] != height:
            self._heights[index] = height
            self._heights_changed = True

    def _layout(self, index: int) -> _Layout:
        """A block's exact layout, wrapping it on first use."""
        layout = self._layouts[index]
        if layout is None:
            layout = self._layouts[index] = self._layout_block(index)
            self._set_height(index, layout.height)
        return layout

    def _sync_heights(self) -> None:
        """Recompute block positions after heights changed."""
        if self._heights_changed:
            self._heights_changed = False
            self._starts = [0, *accumulate(self._heights)]
            self.virtual_size = Size(self._width, self._starts[-1])

    def _relayout(self, width: int, force: bool = False) -> None:
        """Prepare a new width: blocks get estimated heights and are wrapped when shown."""
        if width <= 0 or (width == self._width and not force and self._layouts):
            return
        self._width = width
        count = len(self.blocks)
        self._layouts = [None] * count
        self._heights = [0] * count
        # Plain paragraphs, nearly all of a book, are estimated inline: this runs for
        # every block on open and resize.
        per_line = max(1, self.text_width - 4)
        paragraph, ending = BlockKind.PARAGRAPH, self._ending
        self._heights = [
            -(-len(block.text) // per_line) + 1
            if block.kind is paragraph and not block.level and block.text and index not in ending
            else self._estimate(index)
            for index, block in enumerate(self.blocks)
        ]
        self._heights_changed = True
        self._sync_heights()
        self._cache.clear()
        self.refresh()

    def _lay_out_rows(self, top: int, height: int) -> None:
        """Wrap every block shown in rows top..top+height, until positions settle."""
        if not self._layouts:
            return
        for _ in range(4):
            first = self.block_at_row(top)
            last = self.block_at_row(top + height)
            for index in range(first, last + 1):
                self._layout(index)
            if not self._heights_changed:
                return
            self._sync_heights()

    def render_lines(self, crop: Region) -> list[Strip]:
        self._lay_out_rows(round(self.scroll_offset.y), self.scrollable_content_region.height)
        return super().render_lines(crop)

    def on_resize(self, event: events.Resize) -> None:
        # A view showing the end keeps showing it when it loses rows (to a notice
        # under it, say) or gains them; its top row stays put otherwise.
        rows, self._rows = self._rows, self.scrollable_content_region.height
        at_end = bool(self._layouts) and 0 < self._starts[-1] - rows <= self.scroll_offset.y
        self._relayout(self.scrollable_content_region.width)
        if at_end:
            self._show_end()
        self.scroll_to_cursor(animate=False)

    def on_mount(self) -> None:
        self._rows = self.scrollable_content_region.height
        self._relayout(self.scrollable_content_region.width)
        self.call_after_refresh(self.scroll_to_cursor, animate=False, center=True)

    def on_unmount(self) -> None:
        # Free the article at once: a closed book should not wait for the collector.
        self.blocks = []
        self._texts = []
        self._layouts = []
        self._annotations = []
        self._by_block = {}
        self._ending = {}
        self._sentences = {}
        self.matches = Matches.none()
        self._cache.clear()

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._cache.clear()

    def block_rows(self, index: int) -> tuple[int, int]:
        """First row and number of text rows of a block."""
        layout = self._layout(index)
        self._sync_heights()
        return self._starts[index], len(layout.lines) + len(layout.meta)

    def block_at_row(self, row: int) -> int:
        """The block shown on a (virtual) row."""
        return self._clamp(bisect_right(self._starts, row) - 1)

    # Rendering ------------------------------------------------------------

    def render_line(self, y: int) -> Strip:
        row = round(self.scroll_offset.y) + y
        width = self.scrollable_content_region.width
        if not self._layouts or row >= self._starts[-1]:
            return Strip.blank(width, self.rich_style)
        block = self.block_at_row(row)
        decor = self._decor(block)
        key = (block, row - self._starts[block], decor)
        strip = self._cache.get(key)
        if strip is None:
            strip = self._render_row(block, row - self._starts[block], decor, width)
            self._cache[key] = strip
        return strip

    def _decor(self, index: int) -> _Decor:
        """How the cursor, a selection and find matches mark a block."""
        spans: list[tuple[int, int, str]] = []
        bar = whole = False
        selection = self.selection
        if selection is not None and selection[0] <= index <= selection[2]:
            bar = True
            start = selection[1] if index == selection[0] else 0
            end = selection[3] if index == selection[2] else len(self._texts[index])
            spans.append((start, end, "selection"))
        if index == self.cursor:
            bar = True
            if self.sentence_mode:
                spans.append((*self.cursor_span, "sentence"))
            elif selection is None:
                whole = True
        for start, end, number in self.matches.in_block(index):
            name = "match-current" if number == self.current_match else "match"
            spans.append((start, end, name))
        return whole, bar, tuple(spans)

    def _style(self, name: str) -> Style:
        """The ink of a component: colour (blended over the background) and text style."""
        full = self.get_component_rich_style(f"paragraph-view--{name}")
        return Style(
            color=full.color,
            bold=full.bold,
            italic=full.italic,
            underline=full.underline,
            underline2=full.underline2,
            reverse=full.reverse,
        )

    def _look(self, name: str) -> Style:
        """How a marked passage looks: its background, its text colour and text style."""
        return self._background(name) + self._style(name)

    def _background(self, name: str) -> Style:
        """The background of a component, blended over the widget's background."""
        return Style(bgcolor=self.get_component_rich_style(f"paragraph-view--{name}").bgcolor)

    def _render_row(self, index: int, row: int, decor: _Decor, width: int) -> Strip:
        layout = self._layout(index)
        block = self.blocks[index]
        whole, bar_shown, marks = decor
        base = self.rich_style
        row_style = base + self._background("cursor") if whole else base
        margin = Segment(" " * self._margin, row_style)
        if row >= len(layout.lines) + len(layout.meta):
            return Strip([Segment(" " * width, base)], width)
        gutter = " " * GUTTER
        segments = [margin]
        if row < len(layout.lines):
            tags = note = " "
            if row == 0:
                ending = self._ending.get(index, ())
                tags = "#" if any(a.tags for a in ending) else " "
                note = "✎" if any(a.note.strip() for a in ending) else " "
            bar = "▌" if bar_shown else " "
            segments += [
                Segment(bar, row_style + self._style("cursor-gutter")),
                Segment(tags + note, row_style + self._style("marker")),
                Segment(" ", row_style),
            ]
            segments += self._text_segments(index, block, row, row_style, marks)
        else:
            kind, text, color = layout.meta[row - len(layout.lines)]
            prefix = " " * self._prefix_width(block)
            segments += [
                Segment(gutter + prefix, row_style),
                Segment(HIGHLIGHT_MARKS.get(color, "●"), self._look(f"highlight-{color}")),
                Segment("   " if kind == "note" else " ", row_style),
                Segment(text, row_style + self._style(kind)),
            ]
        strip = Strip(segments)
        return strip.extend_cell_length(width, row_style).crop(0, width)

    def _text_segments(
        self,
        index: int,
        block: Block,
        row: int,
        row_style: Style,
        marks: tuple[tuple[int, int, str], ...] = (),
    ) -> list[Segment]:
        start, end = self._layout(index).lines[row]
        text = self._texts[index]
        kind_style = row_style
        prefix: list[Segment] = []
        prefix_width = self._prefix_width(block)
        if block.kind == BlockKind.HEADING:
            kind_style = row_style + self._style("heading")
        elif block.kind == BlockKind.QUOTE:
            kind_style = row_style + self._style("quote")
            prefix = [Segment("▎ " * max(1, block.level), row_style + self._style("bullet"))]
        elif block.kind == BlockKind.LIST_ITEM:
            indent = " " * (2 * (max(1, block.level) - 1))
            number = _number_width(block.text)
            if number:
                # The number is part of the text; wrapped lines hang under the text.
                prefix = [Segment(indent + " " * (number if row else 0), row_style)]
            else:
                bullet = "• " if row == 0 else "  "
                prefix = [
                    Segment(indent, row_style),
                    Segment(bullet, row_style + self._style("bullet")),
                ]
        elif block.kind in _KEPT_LINES:
            kind_style = row_style + self._style("code") + self._background("code")
            prefix = [Segment("  ", row_style), Segment(" ", kind_style)]
        elif prefix_width:
            prefix = [Segment(" " * prefix_width, row_style)]
        cuts = {start, end}
        spans: list[tuple[int, int, Style]] = []
        for annotation in self._by_block.get(index, ()):
            span = annotation.anchor.span_in(index, len(text))
            if span is None or span[1] <= start or span[0] >= end:
                continue
            a, b = max(span[0], start), min(span[1], end)
            spans.append((a, b, self._look(f"highlight-{annotation.color}")))
            cuts.update((a, b))
        # Cursor sentence, selection and find matches are drawn over highlights.
        for mark_start, mark_end, name in marks:
            if mark_end <= start or mark_start >= end:
                continue
            a, b = max(mark_start, start), min(mark_end, end)
            # The cursor sentence is underlined, so a highlight under it keeps its colour.
            look = self._style(name) if name == "sentence" else self._look(name)
            spans.append((a, b, look))
            cuts.update((a, b))
        points = sorted(cuts)
        segments = list(prefix)
        for a, b in pairwise(points):
            style = kind_style
            for span_start, span_end, span_style in spans:
                if span_start <= a and b <= span_end:
                    style = style + span_style
            segments.append(Segment(text[a:b], style))
        if block.kind in _KEPT_LINES:
            used = sum(segment.cell_length for segment in segments) - 2
            fill = max(0, self.text_width - prefix_width - used)
            segments.append(Segment(" " * fill, kind_style))
        return segments

    # Cursor ---------------------------------------------------------------

    def validate_cursor(self, value: int) -> int:
        return self._clamp(value)

    def watch_cursor(self, old: int, new: int) -> None:
        spans = self.sentences(new)
        self._sentence = len(spans) - 1 if self._sentence_target < 0 else 0
        self._sentence_target = 0
        self._cursor_changed(old)

    def _cursor_changed(self, old: int | None = None) -> None:
        if self.selection_anchor is not None:
            self.refresh()
        else:
            if old is not None:
                self.refresh_block(old)
            self.refresh_block(self.cursor)
        self.scroll_to_cursor()
        self.post_message(self.CursorMoved(self, self.cursor))

    # Passages ---------------------------------------------------------------

    def sentences(self, index: int) -> list[tuple[int, int]]:
        """The sentences of a block as (start, end) offsets; code and headings are one."""
        spans = self._sentences.get(index)
        if spans is None:
            if not 0 <= index < len(self.blocks):
                return [(0, 0)]
            block = self.blocks[index]
            if block.kind in (*_KEPT_LINES, BlockKind.HEADING):
                spans = [(0, len(block.text))]
            else:
                spans = sentence_spans(block.text)
            self._sentences[index] = spans
        return spans

    @property
    def cursor_span(self) -> tuple[int, int]:
        """The part of the cursor block under the cursor: a sentence, or all of it."""
        if not self.blocks:
            return (0, 0)
        if self.sentence_mode:
            spans = self.sentences(self.cursor)
            return spans[min(self._sentence, len(spans) - 1)]
        return (0, len(self.blocks[self.cursor].text))

    @property
    def selection(self) -> tuple[int, int, int, int] | None:
        """The selected range (start block, start offset, end block, end offset), if any."""
        if self.selection_anchor is None or not self.blocks:
            return None
        here = (self.cursor, *self.cursor_span)
        anchor = self.selection_anchor
        start = min((anchor[0], anchor[1]), (here[0], here[1]))
        end = max((anchor[0], anchor[2]), (here[0], here[2]))
        return start[0], start[1], end[0], end[1]

    @property
    def passage(self) -> tuple[int, int, int, int]:
        """What h, t and n act on: the selection, else the cursor's sentence or paragraph."""
        selection = self.selection
        if selection is not None:
            return selection
        start, end = self.cursor_span
        return self.cursor, start, self.cursor, end

    def passage_text(self) -> str:
        """The text of the passage, paragraphs separated by a blank line."""
        if not self.blocks:
            return ""
        start_block, start, end_block, end = self.passage
        parts = []
        for index in range(start_block, min(end_block, len(self.blocks) - 1) + 1):
            text = self.blocks[index].text
            first = start if index == start_block else 0
            last = end if index == end_block else len(text)
            parts.append(text[first:last])
        return "\n\n".join(parts)

    def annotations_at_cursor(self) -> list[Annotation]:
        """Annotations overlapping the cursor's sentence or paragraph."""
        if not self.blocks:
            return []
        start, end = self.cursor_span
        length = len(self.blocks[self.cursor].text)
        found = []
        for annotation in self._by_block.get(self.cursor, ()):
            span = annotation.anchor.span_in(self.cursor, length)
            if span is not None and ((span[0] < end and start < span[1]) or start == end):
                found.append(annotation)
        return found

    def toggle_sentence_mode(self) -> bool:
        """Switch between moving by paragraph and by sentence; returns the new mode."""
        self.sentence_mode = not self.sentence_mode
        self._sentence = 0
        self._cursor_changed()
        self.refresh_bindings()
        return self.sentence_mode

    def start_selection(self) -> None:
        """Start selecting at the passage under the cursor."""
        self.selection_anchor = (self.cursor, *self.cursor_span)
        self._cursor_changed()
        self.refresh_bindings()

    def cancel_selection(self) -> None:
        """Forget the selection."""
        self.selection_anchor = None
        self.refresh()
        self.refresh_bindings()
        self.post_message(self.CursorMoved(self, self.cursor))

    def move_to(self, block: int, offset: int = 0) -> None:
        """Put the cursor on a block (and, in sentence mode, on the sentence at an offset)."""
        block = self._clamp(block)
        if block != self.cursor:
            self.cursor = block
        sentence = 0
        if self.sentence_mode:
            for number, (_start, end) in enumerate(self.sentences(block)):
                sentence = number
                if offset < end:
                    break
        self._sentence = sentence
        self._cursor_changed()

    # Find -------------------------------------------------------------------

    def set_matches(self, matches: Matches, current: int | None = None) -> None:
        """Show find results (`Matches.none()` clears them), with `current` as the current
        one; the cursor stays where it is."""
        self.matches = matches
        self.current_match = current if matches else None
        self.refresh()
        self.refresh_bindings()

    def jump_to_match(self, direction: int) -> int | None:
        """Go to the next (1) or previous (-1) match, wrapping; returns its number.

        From the current match while the cursor is on its block, else from the cursor:
        after `G`, `]` goes to a match in the last block, or wraps to the first match.
        """
        matches = self.matches
        if not matches:
            return None
        current = self.current_match
        if current is not None and matches[current][0] == self.cursor:
            number = (current + direction) % len(matches)
        else:
            after = matches.number_at(self.cursor, self.cursor_span[0])
            number = (after if direction > 0 else after - 1) % len(matches)
        self.show_match(number)
        return number

    def show_match(self, number: int) -> None:
        """Make a match the current one and put the cursor on it."""
        self.current_match = number
        block, start, _end = self.matches[number]
        self.move_to(block, start)
        self.refresh()

    def jump_to(self, block: int) -> None:
        """Put the cursor on a block and show it at the top of the view, a line below the
        top when there is one (a chapter's heading, then its text)."""
        self.move_to(block)
        if not self._layouts or not self.blocks:
            return
        top, _rows = self.block_rows(self.cursor)
        self._lay_out_rows(max(0, top - 1), self.scrollable_content_region.height)
        y = min(max(0, self._starts[self.cursor] - 1), self.max_scroll_y)
        self.scroll_to(y=y, animate=False, immediate=True, force=True)

    def refresh_block(self, index: int) -> None:
        """Redraw the rows of one block, if it is laid out."""
        if 0 <= index < len(self._layouts):
            self.refresh_lines(self._starts[index], self._heights[index])

    def scroll_to_cursor(self, animate: bool = False, center: bool = False) -> None:
        """Scroll so the cursor (its sentence, or its block's top rows) is visible."""
        if not self._layouts or not self.blocks:
            return
        top, rows = self.block_rows(self.cursor)
        if self.sentence_mode:
            lines = self._layout(self.cursor).lines
            start, end = self.cursor_span
            first = next((n for n, (_a, b) in enumerate(lines) if start < b), 0)
            last = next((n for n, (_a, b) in enumerate(lines) if end <= b), len(lines) - 1)
            top, rows = top + first, max(1, last - first + 1)
        height = self.scrollable_content_region.height
        y = self.scroll_offset.y
        if center:
            y = top - max(0, (height - rows) // 3)
        elif top < y:
            y = top
        elif top + rows > y + height:
            y = top if rows >= height else top + rows - height + 1
        self.scroll_to(y=max(0, y), animate=animate, immediate=True, force=True)

    def action_cursor(self, step: int) -> None:
        """Move the cursor by a number of paragraphs, or sentences in sentence mode."""
        if not self.sentence_mode:
            self.cursor = self._clamp(self.cursor + step)
            return
        sentence = self._sentence + step
        if 0 <= sentence < len(self.sentences(self.cursor)):
            self._sentence = sentence
            self._cursor_changed()
            return
        target = self._clamp(self.cursor + (1 if step > 0 else -1))
        if target != self.cursor:
            self._sentence_target = step
            self.cursor = target

    def action_first(self) -> None:
        """Move to the first block."""
        self.cursor = 0
        self.scroll_to(y=0, animate=False, immediate=True, force=True)

    def action_last(self) -> None:
        """Move to the last block."""
        self.cursor = len(self.blocks) - 1
        self._show_end()

    def _show_end(self) -> None:
        """Scroll to the end of the text, its last screenful wrapped for real first, so
        the end is exactly where it is drawn."""
        height = self.scrollable_content_region.height
        index, rows = len(self.blocks) - 1, 0
        while index >= 0 and rows < height and self._layouts:
            rows += self._layout(index).height
            index -= 1
        self._sync_heights()
        self.scroll_to(y=self.max_scroll_y, animate=False, immediate=True, force=True)

    def action_page(self, direction: int) -> None:
        """Scroll a screen down (1) or up (-1) and put the cursor on the top block shown."""
        if not self._layouts:
            return
        height = max(1, self.scrollable_content_region.height - 1)
        before = round(self.scroll_offset.y)
        if direction > 0 and before >= self.max_scroll_y:
            # Already showing the end: a further page goes to the last paragraph.
            self.cursor = len(self.blocks) - 1
            return
        y = max(0, before + direction * height)
        self._lay_out_rows(y, height + 1)
        y = min(self.max_scroll_y, y)
        self.scroll_to(y=y, animate=False, immediate=True, force=True)
        block = self.block_at_row(y)
        # The first block that starts on screen; a block taller than the screen,
        # whose middle is all that shows, keeps the cursor itself.
        if self._starts[block] < y and self._starts[block + 1] < y + height:
            block = min(block + 1, len(self.blocks) - 1)
        if direction < 0 and y == 0:
            block = 0
        self.set_reactive(ParagraphView.cursor, self._clamp(block))
        self._sentence = 0
        self.refresh()
        self.post_message(self.CursorMoved(self, self.cursor))

    def on_click(self, event: events.Click) -> None:
        row = round(self.scroll_offset.y) + event.y
        if self._layouts and row < self._starts[-1]:
            self.cursor = self.block_at_row(row)


_NUMBERED = re.compile(r"\d{1,9}[.)] ")


def _number_width(text: str) -> int:
    """Width of the number that starts a numbered list item, or 0."""
    match = _NUMBERED.match(text)
    return match.end() if match else 0


def _text_order(annotation: Annotation) -> tuple[int, int, int, int]:
    """Where an annotation's passage starts and ends: the library's order of annotations."""
    anchor = annotation.anchor
    return anchor.start_block, anchor.start_offset, anchor.end_block, anchor.end_offset


def _meta_key(
    annotations: Sequence[Annotation],
) -> list[tuple[tuple[str, ...], str, str, bool]]:
    """What decides the lines shown under a passage (and the colour of their marks)."""
    return [(a.tags, a.note.strip(), a.color, a.changed) for a in annotations]
