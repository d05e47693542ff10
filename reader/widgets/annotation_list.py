"""Every annotation of the library as a list, fetched page by page (Textual's Line API)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import ClassVar

from rich.cells import cell_len, set_cell_size
from rich.segment import Segment
from rich.style import Style
from textual.binding import Binding, BindingType
from textual.message import Message
from textual.strip import Strip

from annotations.formats.markdown import tag_hashtag
from annotations.models import HIGHLIGHT_COLORS, AnnotationEntry
from reader.keys import movement_bindings
from reader.safe import safe_text
from reader.widgets.paging import PagedList

GUTTER = 4
"""Cells before the text: cursor bar, colour swatch, space."""

Fetch = Callable[[int, int], Sequence[AnnotationEntry]]
"""Reads `limit` annotations starting at `offset`: called as fetch(offset, limit)."""


def one_line(text: str) -> str:
    """Text on one line: every run of whitespace becomes one space, controls made visible."""
    return safe_text(" ".join(text.split()))


MEASURED_CHARACTERS_PER_CELL = 4
"""`fit` measures at most this many characters per cell of room: a character takes at
most two cells, and only combining marks take none."""


def fit(text: str, width: int) -> str:
    """Text cut to at most `width` cells, with an ellipsis when cut.

    Only the start of a long text is measured, so a whole book costs what a line does.
    """
    if width <= 0:
        return ""
    most = width * MEASURED_CHARACTERS_PER_CELL
    if len(text) > most:
        text = text[:most]
    elif cell_len(text) <= width:
        return text
    return set_cell_size(text, width - 1).rstrip() + "…"


MIN_TITLE_CELLS = 12
"""An article's title in the list is never cut shorter than this."""
MIN_NOTE_CELLS = 8
"""A note's first line is shown only if this much room is left for it."""


def whole_tags(tags: Sequence[str], room: int) -> str:
    """As many whole tags as fit in `room` cells, then how many more (`  #a #b +2`)."""
    for count in range(len(tags), -1, -1):
        more = len(tags) - count
        text = "  " + " ".join([*tags[:count], *([f"+{more}"] if more else [])])
        if cell_len(text) <= room:
            return text
    return ""


class AnnotationList(PagedList[AnnotationEntry]):
    """A list of annotations with a cursor, any length: only the visible rows are read.

    The screen gives the total and a function that reads a page of entries; the list
    asks for the pages it shows and keeps a few of them.
    """

    COMPONENT_CLASSES = {
        "annotation-list--cursor",
        "annotation-list--cursor-gutter",
        "annotation-list--title",
        "annotation-list--meta",
        "annotation-list--tags",
        "annotation-list--note",
        "annotation-list--orphaned",
        *(f"annotation-list--swatch-{color}" for color in HIGHLIGHT_COLORS),
    }
    """Cursor, the parts of a row, and one swatch class per highlight colour."""

    DEFAULT_CSS = """
    AnnotationList {
        background: $surface;
        scrollbar-gutter: stable;
        & > .annotation-list--cursor { background: $foreground 7%; }
        &:focus > .annotation-list--cursor { background: $foreground 12%; }
        & > .annotation-list--cursor-gutter { color: $text-accent; }
        & > .annotation-list--title { color: $text-primary; }
        & > .annotation-list--meta { color: $text-muted; }
        & > .annotation-list--tags { color: $text-accent; }
        & > .annotation-list--note { color: $text-muted; text-style: italic; }
        & > .annotation-list--orphaned { color: $text-error; text-style: bold; }
        & > .annotation-list--swatch-yellow { color: $warning; }
        & > .annotation-list--swatch-green { color: $success; }
        & > .annotation-list--swatch-blue { color: $primary; }
        & > .annotation-list--swatch-pink { color: $error; }
    }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding(
            "enter",
            "select",
            "Open",
            tooltip="Jump to the passage (an orphaned one: re-attach it)",
            id="open",
        ),
        *movement_bindings("annotation"),
    ]
    """Moving the cursor: by row, to the ends, by a screen; enter opens."""

    ROW_HEIGHT = 2
    """Lines per annotation: the passage, then where it is with its tags and note."""

    class Selected(Message):
        """The reader chose an annotation (enter, or a click on the cursor row)."""

        def __init__(self, annotation_list: AnnotationList, entry: AnnotationEntry) -> None:
            super().__init__()
            self.annotation_list = annotation_list
            self.entry = entry

    # Data -----------------------------------------------------------------

    @property
    def total(self) -> int:
        """How many annotations the list holds."""
        return self._total

    def show(self, total: int, fetch: Fetch, cursor: int = 0) -> None:
        """Show a new list (or the same one, read again).

        Args:
            total: How many annotations there are.
            fetch: Reads a page of them, as fetch(offset, limit).
            cursor: Where to put the cursor (kept within the list).
        """
        self._reset_rows(total, fetch, cursor)
        self.call_after_refresh(self.scroll_to_cursor)

    def entry(self, index: int) -> AnnotationEntry | None:
        """The annotation at a position in the list, reading its page if needed."""
        return self.row(index)

    @property
    def selected(self) -> AnnotationEntry | None:
        """The annotation under the cursor."""
        return self.entry(self.cursor)

    # Rendering ------------------------------------------------------------

    def _style(self, name: str) -> Style:
        """The ink of a component (no background, so it sits on the row's own)."""
        style = self._styles.get(name)
        if style is None:
            full = self.get_component_rich_style(f"annotation-list--{name}")
            style = self._styles[name] = Style(color=full.color, bold=full.bold, italic=full.italic)
        return style

    def _background(self) -> Style:
        style = self._styles.get("cursor-background")
        if style is None:
            full = self.get_component_rich_style("annotation-list--cursor")
            style = self._styles["cursor-background"] = Style(bgcolor=full.bgcolor)
        return style

    def render_row_line(self, index: int, line: int, is_cursor: bool, width: int) -> Strip:
        base = self.rich_style
        row_style = base + self._background() if is_cursor else base
        entry = self.entry(index)
        if entry is None:
            return Strip([Segment(" " * width, row_style)], width)
        bar = Segment("▌" if is_cursor else " ", row_style + self._style("cursor-gutter"))
        room = max(0, width - GUTTER)
        if line == 0:
            swatch = Segment("██", row_style + self._style(f"swatch-{entry.color}"))
            segments = [bar, swatch, Segment(" ", row_style)]
            if entry.orphaned:
                label = fit("orphaned ", room)
                segments.append(Segment(label, row_style + self._style("orphaned")))
                room -= cell_len(label)
            quote = one_line(entry.quote) + ("…" if entry.quote_is_cut else "")
            segments.append(Segment(fit(quote, room), row_style))
        else:
            segments = [bar, Segment("   ", row_style), *self._details(entry, room, row_style)]
        strip = Strip(segments)
        return strip.extend_cell_length(width, row_style).crop(0, width)

    def _details(self, entry: AnnotationEntry, room: int, row_style: Style) -> list[Segment]:
        """Second line: article title, paragraph (where an orphan was; whether its text
        changed since it was highlighted), tags and the note's first line.

        The title has the room the rest leaves, and at least a third of the line; tags
        are shown whole, as many as fit (`+2` counts the others); the note is cut.
        """
        # An orphan's paragraph is where its passage was before the text changed.
        where = f" · {'was ' if entry.orphaned else ''}¶{entry.start_block + 1}"
        where += " · changed" if entry.changed else ""
        tags = [one_line(tag_hashtag(tag)) for tag in entry.tags]
        lines = entry.note.strip().splitlines()
        note = ""
        if lines:
            more = "…" if entry.note_is_cut and len(lines) == 1 else ""
            note = "  ✎ " + one_line(lines[0][: room * MEASURED_CHARACTERS_PER_CELL]) + more
        tags_text = "  " + " ".join(tags) if tags else ""
        rest = cell_len(where) + cell_len(tags_text) + cell_len(note)
        title_text = one_line(entry.article_title[: room * MEASURED_CHARACTERS_PER_CELL])
        title = fit(title_text or "Untitled", max(MIN_TITLE_CELLS, room // 3, room - rest))
        parts: list[tuple[str, str]] = [(title, "title"), (where, "meta")]
        left = room - cell_len(title) - cell_len(where)
        if tags:
            parts.append((whole_tags(tags, left), "tags"))
            left -= cell_len(parts[-1][0])
        if note and left >= MIN_NOTE_CELLS:
            parts.append((note, "note"))
        segments: list[Segment] = []
        for text, name in parts:
            if room <= 0:
                break
            shown = fit(text, room)
            if shown:
                segments.append(Segment(shown, row_style + self._style(name)))
            room -= cell_len(shown)
        return segments

    # Cursor ---------------------------------------------------------------

    def action_select(self) -> None:
        """Open the annotation under the cursor."""
        entry = self.selected
        if entry is not None:
            self.post_message(self.Selected(self, entry))
