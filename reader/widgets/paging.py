"""Lists read from the library a page at a time, and the virtualised list widget built on them."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import ClassVar, Generic, TypeVar

from rich.style import Style
from textual import events
from textual.cache import LRUCache
from textual.geometry import Size
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip
from textual.widgets import OptionList

T = TypeVar("T")

PAGE_SIZE = 100
"""Rows read from the library at a time."""
CACHED_PAGES = 8
"""Pages kept in memory; older ones are read again when needed."""
LIST_ACTIONS = {"cursor", "first", "last", "page", "select"}
"""The list's own actions: none does anything while the list is empty."""


class Pages(Generic[T]):
    """A list of `total` rows, read by `fetch(offset, limit)` a page at a time when shown.

    Only the last few pages read are kept, so a list of any length costs what the screen
    shows.
    """

    def __init__(self) -> None:
        self._total = 0
        self._fetch: Callable[[int, int], Sequence[T]] | None = None
        self._pages: LRUCache[int, list[T]] = LRUCache(CACHED_PAGES)

    @property
    def total(self) -> int:
        """How many rows the list holds."""
        return self._total

    def reset(self, total: int, fetch: Callable[[int, int], Sequence[T]]) -> None:
        """Hold a new list (or the same one, to be read again)."""
        self._total = max(0, total)
        self._fetch = fetch
        self._pages.clear()

    def get(self, index: int) -> T | None:
        """The row at a position, reading its page if needed; None outside the list."""
        if not 0 <= index < self._total or self._fetch is None:
            return None
        number, offset = divmod(index, PAGE_SIZE)
        page = self._pages.get(number)
        if page is None:
            page = list(self._fetch(number * PAGE_SIZE, PAGE_SIZE))
            self._pages[number] = page
        return page[offset] if offset < len(page) else None

    def clamp(self, index: int) -> int:
        """A position kept within the list (0 for an empty one)."""
        return max(0, min(index, self._total - 1))


class PagedList(ScrollView, Generic[T], can_focus=True):
    """A list with a cursor over rows read a page at a time: any length, only what shows is read.

    Subclasses say how many lines a row takes (`ROW_HEIGHT`) and how many fixed lines sit
    above the rows (`HEADER_HEIGHT`), draw one line of a row (`render_row_line`) and the
    header (`render_header`), and say what choosing a row does (`action_select`). Strips
    are cached per row, line and cursor state until the data, size or styles change.
    """

    ROW_HEIGHT: ClassVar[int] = 1
    """Lines per row."""
    HEADER_HEIGHT: ClassVar[int] = 0
    """Lines above the rows that stay put while the rows scroll."""

    cursor: reactive[int] = reactive(0, always_update=False, init=False)
    """Index of the row under the cursor."""

    def __init__(
        self, *, name: str | None = None, id: str | None = None, classes: str | None = None
    ) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self._rows: Pages[T] = Pages()
        self._strips: LRUCache[tuple[int, int, bool], Strip] = LRUCache(256)
        self._styles: dict[str, Style] = {}

    # Data -----------------------------------------------------------------

    def _reset_rows(
        self, total: int, fetch: Callable[[int, int], Sequence[T]], cursor: int
    ) -> None:
        """Hold a new list (or the same one, read again) with the cursor at a row; redraw."""
        was_empty = not self._total
        self._rows.reset(total, fetch)
        if was_empty != (not self._total):
            self.refresh_bindings()  # its keys work only on a list that has rows
        self._strips.clear()
        self._update_virtual_size()
        self.set_reactive(PagedList.cursor, self._clamp(cursor))
        self.refresh()

    def row(self, index: int) -> T | None:
        """The row at a position in the list, reading its page if needed."""
        return self._rows.get(index)

    def _clamp(self, index: int) -> int:
        return self._rows.clamp(index)

    @property
    def _total(self) -> int:
        return self._rows.total

    # Rendering ------------------------------------------------------------

    def _update_virtual_size(self) -> None:
        width = self.scrollable_content_region.width
        self.virtual_size = Size(width, self._total * self.ROW_HEIGHT + self.HEADER_HEIGHT)

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._styles.clear()
        self._strips.clear()

    def on_resize(self, event: events.Resize) -> None:
        self._strips.clear()
        self._update_virtual_size()
        self.scroll_to_cursor()

    def render_line(self, y: int) -> Strip:
        width = self.scrollable_content_region.width
        if y < self.HEADER_HEIGHT:
            return self.render_header(y, width)
        index, line = divmod(round(self.scroll_offset.y) + y - self.HEADER_HEIGHT, self.ROW_HEIGHT)
        if index >= self._total:
            return Strip.blank(width, self.rich_style)
        is_cursor = index == self.cursor
        key = (index, line, is_cursor)
        strip = self._strips.get(key)
        if strip is None:
            strip = self.render_row_line(index, line, is_cursor, width)
            self._strips[key] = strip
        return strip

    def render_header(self, y: int, width: int) -> Strip:
        """Line `y` of the fixed lines above the rows."""
        return Strip.blank(width, self.rich_style)

    def render_row_line(self, index: int, line: int, is_cursor: bool, width: int) -> Strip:
        """Line `line` of row `index`, `width` cells wide."""
        raise NotImplementedError

    # Cursor ---------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Moving and choosing are shown disabled while the list is empty."""
        if action in LIST_ACTIONS and not self._total:
            return None
        return True

    def validate_cursor(self, value: int) -> int:
        return self._clamp(value)

    def watch_cursor(self, old: int, new: int) -> None:
        for index in (old, new):
            self.refresh_lines(index * self.ROW_HEIGHT + self.HEADER_HEIGHT, self.ROW_HEIGHT)
        self.scroll_to_cursor()

    @property
    def visible_rows(self) -> int:
        """How many rows fit below the fixed lines (at least one)."""
        height = self.scrollable_content_region.height - self.HEADER_HEIGHT
        return max(1, height // self.ROW_HEIGHT)

    def scroll_to_cursor(self) -> None:
        """Scroll so the cursor row is visible."""
        top = self.cursor * self.ROW_HEIGHT
        room = self.scrollable_content_region.height - self.HEADER_HEIGHT
        y = round(self.scroll_offset.y)
        if top < y:
            y = top
        elif top + self.ROW_HEIGHT > y + room:
            y = top + self.ROW_HEIGHT - room
        else:
            return
        self.scroll_to(y=max(0, y), animate=False, immediate=True, force=True)

    def action_cursor(self, step: int) -> None:
        """Move the cursor by a number of rows."""
        self.cursor = self._clamp(self.cursor + step)

    def action_first(self) -> None:
        """Move to the first row."""
        self.cursor = 0

    def action_last(self) -> None:
        """Move to the last row."""
        self.cursor = self._clamp(self._total - 1)

    def action_page(self, direction: int) -> None:
        """Move the cursor a screen down (1) or up (-1)."""
        self.cursor = self._clamp(self.cursor + direction * max(1, self.visible_rows - 1))

    def action_select(self) -> None:
        """Choose the row under the cursor."""
        raise NotImplementedError

    def on_click(self, event: events.Click) -> None:
        """A click moves the cursor to a row; a second click on it chooses it."""
        if event.y < self.HEADER_HEIGHT:
            return
        index = (round(self.scroll_offset.y) + event.y - self.HEADER_HEIGHT) // self.ROW_HEIGHT
        if index >= self._total:
            return
        if index == self.cursor and event.chain > 1:
            self.action_select()
        self.cursor = index


def page_options(options: OptionList, direction: int) -> None:
    """Move an option list's highlight a page down (1) or up (-1), if it can yet.

    Textual's option list looks up the lines of its options to move by a page; right
    after its options change (keys typed fast), they are not laid out yet, and the
    key would fail. Then it does nothing: the next key finds them laid out.
    """
    highlighted = options.highlighted
    if highlighted is not None and highlighted not in options._index_to_line:
        return
    if direction > 0:
        options.action_page_down()
    else:
        options.action_page_up()
