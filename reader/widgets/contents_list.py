"""An article's table of contents as a list: indented by level, each entry with its percent."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import ClassVar

from rich.cells import cell_len
from rich.segment import Segment
from rich.style import Style
from textual.binding import Binding, BindingType
from textual.message import Message
from textual.strip import Strip

from reader.keys import movement_bindings
from reader.widgets.annotation_list import fit, one_line
from reader.widgets.paging import PagedList

INDENT = 2
"""Cells of indent per level below the top."""
MAX_INDENT_LEVEL = 6
"""Deeper levels are indented as this one, so titles keep their room."""
HERE_MARK = "●"
"""Before the entry the reader is in."""

Fetch = Callable[[int, int], Sequence["ContentsRow"]]
"""Makes `limit` rows starting at `offset`: called as fetch(offset, limit)."""


@dataclass(frozen=True)
class ContentsRow:
    """One entry as the list shows it.

    Attributes:
        index: The entry's place in the contents.
        title: The entry's title, on one line.
        level: 1 for the top (a part, a book), 2 for a chapter in it, ...
        block: The block where the entry starts.
        percent: How far through the article it starts, in whole percent.
        here: Whether the reader's cursor is in this entry (the innermost one).
    """

    index: int
    title: str
    level: int
    block: int
    percent: int
    here: bool = False


class ContentsList(PagedList[ContentsRow]):
    """Entries of a table of contents with a cursor; any length costs what the screen shows."""

    COMPONENT_CLASSES = {
        "contents-list--cursor",
        "contents-list--cursor-gutter",
        "contents-list--here",
        "contents-list--top",
        "contents-list--percent",
    }
    """The cursor row, the mark of where the reader is, top-level titles, percentages."""

    DEFAULT_CSS = """
    ContentsList {
        background: $surface;
        scrollbar-gutter: stable;
        & > .contents-list--cursor { background: $foreground 12%; }
        & > .contents-list--cursor-gutter { color: $text-accent; }
        & > .contents-list--here { color: $text-accent; text-style: bold; }
        & > .contents-list--top { text-style: bold; }
        & > .contents-list--percent { color: $text-muted; }
    }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter", "select", "Jump", tooltip="Jump to this entry", id="contents-jump"),
        *movement_bindings("entry"),
    ]
    """Moving the cursor: by entry, to the ends, by a screen; enter jumps."""

    class Selected(Message):
        """The reader chose an entry (enter, or a click on the cursor row)."""

        def __init__(self, contents_list: ContentsList, row: ContentsRow) -> None:
            super().__init__()
            self.contents_list = contents_list
            self.row = row

    def show(self, total: int, fetch: Fetch, cursor: int = 0) -> None:
        """Show a list of rows, made a page at a time when shown, the cursor on one.

        Args:
            total: How many rows there are.
            fetch: Makes a page of them, as fetch(offset, limit).
            cursor: Where to put the cursor (kept within the list).
        """
        self._reset_rows(total, fetch, cursor)
        self.call_after_refresh(self._scroll_cursor_to_middle)

    @property
    def rows(self) -> list[ContentsRow]:
        """Every row of the list (each page made if needed)."""
        return [row for index in range(self._total) if (row := self.row(index)) is not None]

    @property
    def selected(self) -> ContentsRow | None:
        """The row under the cursor."""
        return self.row(self.cursor)

    def _scroll_cursor_to_middle(self) -> None:
        """Show the cursor row with entries around it, as on opening."""
        room = self.scrollable_content_region.height
        y = max(0, self.cursor - room // 3)
        self.scroll_to(y=y, animate=False, immediate=True, force=True)

    def _style(self, name: str) -> Style:
        style = self._styles.get(name)
        if style is None:
            full = self.get_component_rich_style(f"contents-list--{name}")
            style = self._styles[name] = Style(color=full.color, bold=full.bold)
        return style

    def _background(self) -> Style:
        style = self._styles.get("cursor-background")
        if style is None:
            full = self.get_component_rich_style("contents-list--cursor")
            style = self._styles["cursor-background"] = Style(bgcolor=full.bgcolor)
        return style

    def render_row_line(self, index: int, line: int, is_cursor: bool, width: int) -> Strip:
        base = self.rich_style
        row_style = base + self._background() if is_cursor else base
        row = self.row(index)
        if row is None:
            return Strip([Segment(" " * width, row_style)], width)
        percent = f" {row.percent:>3}% "
        indent = " " * (INDENT * (min(row.level, MAX_INDENT_LEVEL) - 1))
        room = max(0, width - 3 - cell_len(indent) - len(percent))
        title = fit(row.title, room)
        title_style = row_style + (self._style("top") if row.level <= 1 else Style())
        if row.here:
            title_style += self._style("here")
        segments = [
            Segment("▌" if is_cursor else " ", row_style + self._style("cursor-gutter")),
            Segment(HERE_MARK if row.here else " ", row_style + self._style("here")),
            Segment(" " + indent, row_style),
            Segment(title, title_style),
            Segment(" " * (room - cell_len(title)), row_style),
            Segment(percent, row_style + self._style("percent")),
        ]
        strip = Strip(segments)
        return strip.extend_cell_length(width, row_style).crop(0, width)

    def action_select(self) -> None:
        """Jump to the entry under the cursor."""
        row = self.selected
        if row is not None:
            self.post_message(self.Selected(self, row))


def contents_row(
    index: int, title: str, level: int, block: int, percent: int, here: bool
) -> ContentsRow:
    """A row of the list, its title on one line with control characters made visible."""
    return ContentsRow(index, one_line(title) or "Untitled", level, block, percent, here)
