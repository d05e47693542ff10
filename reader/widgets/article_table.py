"""The library's list of articles, fetched page by page (Textual's Line API)."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from rich.cells import cell_len
from rich.segment import Segment
from rich.style import Style
from textual import events
from textual.binding import Binding, BindingType
from textual.cache import LRUCache
from textual.geometry import Size
from textual.message import Message
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip

from annotations.models import Article
from reader.keys import movement_bindings
from reader.safe import safe_text
from reader.widgets.annotation_list import fit
from reader.widgets.paging import Pages

HEADER_HEIGHT = 1
"""Lines of the column headings, which stay put while the rows scroll."""
PADDING = 1
"""Blank cells on either side of every column."""
COLUMNS: tuple[tuple[str, int, bool], ...] = (
    ("Date", 10, False),
    ("Words", 7, True),
    ("Annotations", 11, True),
    ("Read", 4, True),
)
"""The columns after the title: heading, width in cells, right-aligned."""
FIXED_COLUMNS_WIDTH = sum(width + 2 * PADDING for _, width, _ in COLUMNS) + 2 * PADDING
"""Cells taken by every column but the title, with padding."""
MIN_TITLE_WIDTH = 12
"""The title column never gets narrower than this."""

Fetch = Callable[[int, int], Sequence[Article]]
"""Reads `limit` articles starting at `offset`: called as fetch(offset, limit)."""
Locate = Callable[[str], int | None]
"""The index of an article in the list, by id (None if it is not in the list)."""


def progress_label(article: Article) -> str:
    """Reading progress as shown in the list."""
    if article.opened_at is None:
        return "new"
    return f"{round(article.progress * 100)}%"


def cells(article: Article) -> list[str]:
    """The texts of an article's row, one per column, the title first."""
    return [
        safe_text(article.title),
        safe_text(article.date or ""),
        f"{article.words:,}",
        str(article.annotation_count or ""),
        progress_label(article),
    ]


class ArticleTable(ScrollView, can_focus=True):
    """One row per article: title, date, words, annotations, progress; any length.

    The screen gives the total, a function that reads a page of articles and one that
    finds an article's index; the table reads only the pages it shows, and keeps a few.
    """

    COMPONENT_CLASSES = {
        "article-table--header",
        "article-table--cursor",
        "article-table--even-row",
    }
    """The column headings, the cursor row, and every second row (zebra stripes)."""

    DEFAULT_CSS = """
    ArticleTable {
        background: $surface;
        color: $foreground;
        & > .article-table--header { text-style: bold; background: $panel; }
        & > .article-table--even-row { background: $surface-lighten-1 50%; }
        &:dark > .article-table--even-row { background: $surface-darken-1 40%; }
        & > .article-table--cursor {
            background: $block-cursor-blurred-background;
            color: $block-cursor-blurred-foreground;
            text-style: $block-cursor-blurred-text-style;
        }
        &:focus > .article-table--cursor {
            background: $block-cursor-background;
            color: $block-cursor-foreground;
            text-style: $block-cursor-text-style;
        }
    }
    """

    BINDINGS: list[BindingType] = [
        Binding("enter", "select", "Open", tooltip="Read the selected article", id="open"),
        *movement_bindings("article"),
    ]
    """Moving the cursor: by row, to the ends, by a screen; enter opens."""

    cursor_row: reactive[int] = reactive(0, always_update=False, init=False)
    """Index of the article under the cursor."""

    class Selected(Message):
        """The reader chose an article (enter, or a double click on the cursor row)."""

        def __init__(self, table: ArticleTable, article_id: str) -> None:
            super().__init__()
            self.table = table
            self.article_id = article_id

    def __init__(
        self, *, name: str | None = None, id: str | None = None, classes: str | None = None
    ) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self._rows: Pages[Article] = Pages()
        self._locate: Locate | None = None
        self._strips: LRUCache[tuple[int, bool], Strip] = LRUCache(256)
        self._styles: dict[str, Style] = {}

    # Data -----------------------------------------------------------------

    @property
    def row_count(self) -> int:
        """How many articles the table holds."""
        return self._total

    def show(self, total: int, fetch: Fetch, locate: Locate, cursor: int = 0) -> None:
        """Show a new list (or the same one, read again).

        Args:
            total: How many articles there are.
            fetch: Reads a page of them, as fetch(offset, limit).
            locate: Finds an article's index by its id.
            cursor: Where to put the cursor (kept within the list).
        """
        self._rows.reset(total, fetch)
        self._locate = locate
        self._strips.clear()
        self._update_virtual_size()
        self.set_reactive(ArticleTable.cursor_row, self._clamp(cursor))
        self.refresh()
        # Now, so the rows at the old place are never read; and after the next
        # refresh again, for a table that has no size yet.
        self.scroll_to_cursor()
        self.call_after_refresh(self.scroll_to_cursor)

    def article(self, index: int) -> Article | None:
        """The article at a position in the list, reading its page if needed."""
        return self._rows.get(index)

    @property
    def selected(self) -> Article | None:
        """The article under the cursor."""
        return self.article(self.cursor_row)

    @property
    def selected_id(self) -> str | None:
        """The id of the article under the cursor."""
        article = self.selected
        return article.id if article is not None else None

    def select(self, article_id: str) -> bool:
        """Move the cursor to an article.

        Returns:
            Whether the article is in the list (if not, the cursor stays).
        """
        index = self._locate(article_id) if self._locate is not None else None
        if index is None or not 0 <= index < self._total:
            return False
        self.cursor_row = index
        self.scroll_to_cursor()
        return True

    def _clamp(self, index: int) -> int:
        return self._rows.clamp(index)

    @property
    def _total(self) -> int:
        return self._rows.total

    # Rendering ------------------------------------------------------------

    def _update_virtual_size(self) -> None:
        width = self.scrollable_content_region.width
        self.virtual_size = Size(width, self._total + HEADER_HEIGHT)

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._styles.clear()
        self._strips.clear()

    def on_resize(self, event: events.Resize) -> None:
        self._strips.clear()
        self._update_virtual_size()
        self.scroll_to_cursor()

    def _style(self, name: str) -> Style:
        """The widget's style with a component's on top (cached until the styles change)."""
        style = self._styles.get(name)
        if style is None:
            style = self.rich_style
            if name:
                style += self.get_component_rich_style(f"article-table--{name}")
            self._styles[name] = style
        return style

    @property
    def title_width(self) -> int:
        """Cells of the title column at the current width."""
        width = self.scrollable_content_region.width
        return max(MIN_TITLE_WIDTH, width - FIXED_COLUMNS_WIDTH)

    def render_line(self, y: int) -> Strip:
        width = self.scrollable_content_region.width
        if y < HEADER_HEIGHT:
            headings = ["Title", *(heading for heading, _, _ in COLUMNS)]
            return self._row_strip(headings, self._style("header"), width)
        index = round(self.scroll_offset.y) + y - HEADER_HEIGHT
        if index >= self._total:
            return Strip.blank(width, self.rich_style)
        is_cursor = index == self.cursor_row
        key = (index, is_cursor)
        strip = self._strips.get(key)
        if strip is None:
            strip = self._render_row(index, is_cursor, width)
            self._strips[key] = strip
        return strip

    def _render_row(self, index: int, is_cursor: bool, width: int) -> Strip:
        name = "cursor" if is_cursor else "even-row" if index % 2 else ""
        style = self._style(name)
        article = self.article(index)
        if article is None:
            return Strip.blank(width, style)
        return self._row_strip(cells(article), style, width)

    def _row_strip(self, texts: list[str], style: Style, width: int) -> Strip:
        """One line of the table: the texts cut or padded to their columns."""
        pad = " " * PADDING
        columns = [(self.title_width, False), *((size, right) for _, size, right in COLUMNS)]
        parts: list[str] = []
        for text, (size, right) in zip(texts, columns, strict=True):
            shown = fit(text, size)
            room = " " * (size - cell_len(shown))
            parts.append(pad + (room + shown if right else shown + room) + pad)
        strip = Strip([Segment("".join(parts), style)])
        return strip.extend_cell_length(width, style).crop(0, width)

    # Cursor ---------------------------------------------------------------

    def validate_cursor_row(self, value: int) -> int:
        return self._clamp(value)

    def watch_cursor_row(self, old: int, new: int) -> None:
        self.refresh_line(old + HEADER_HEIGHT)
        self.refresh_line(new + HEADER_HEIGHT)
        self.scroll_to_cursor()

    @property
    def visible_rows(self) -> int:
        """How many rows fit below the headings."""
        return max(1, self.scrollable_content_region.height - HEADER_HEIGHT)

    def scroll_to_cursor(self) -> None:
        """Scroll so the cursor row is visible."""
        y = round(self.scroll_offset.y)
        if self.cursor_row < y:
            y = self.cursor_row
        elif self.cursor_row >= y + self.visible_rows:
            y = self.cursor_row - self.visible_rows + 1
        else:
            return
        self.scroll_to(y=max(0, y), animate=False, immediate=True, force=True)

    def action_cursor(self, step: int) -> None:
        """Move the cursor by a number of rows."""
        self.cursor_row = self._clamp(self.cursor_row + step)

    def action_first(self) -> None:
        """Move to the first article."""
        self.cursor_row = 0

    def action_last(self) -> None:
        """Move to the last article."""
        self.cursor_row = self._clamp(self._total - 1)

    def action_page(self, direction: int) -> None:
        """Move the cursor a screen down (1) or up (-1)."""
        rows = max(1, self.visible_rows - 1)
        self.cursor_row = self._clamp(self.cursor_row + direction * rows)

    def action_select(self) -> None:
        """Open the article under the cursor."""
        article_id = self.selected_id
        if article_id is not None:
            self.post_message(self.Selected(self, article_id))

    def on_click(self, event: events.Click) -> None:
        if event.y < HEADER_HEIGHT:
            return
        index = round(self.scroll_offset.y) + event.y - HEADER_HEIGHT
        if index >= self._total:
            return
        if index == self.cursor_row and event.chain > 1:
            self.action_select()
        self.cursor_row = index
