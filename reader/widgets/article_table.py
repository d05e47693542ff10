"""The library's list of articles, fetched page by page (Textual's Line API)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import ClassVar

from rich.cells import cell_len
from rich.segment import Segment
from rich.style import Style
from textual.binding import Binding, BindingType
from textual.message import Message
from textual.strip import Strip

from annotations.models import Article
from reader.keys import movement_bindings
from reader.safe import safe_text
from reader.widgets.annotation_list import fit
from reader.widgets.paging import PagedList

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


class ArticleTable(PagedList[Article]):
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

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter", "select", "Open", tooltip="Read the selected article", id="open"),
        *movement_bindings("article"),
    ]
    """Moving the cursor: by row, to the ends, by a screen; enter opens."""

    HEADER_HEIGHT = 1
    """Lines of the column headings, which stay put while the rows scroll."""

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
        self._locate: Locate | None = None

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
        self._locate = locate
        self._reset_rows(total, fetch, cursor)
        # Now, so the rows at the old place are never read; and after the next
        # refresh again, for a table that has no size yet.
        self.scroll_to_cursor()
        self.call_after_refresh(self.scroll_to_cursor)

    def article(self, index: int) -> Article | None:
        """The article at a position in the list, reading its page if needed."""
        return self.row(index)

    @property
    def cursor_row(self) -> int:
        """Index of the article under the cursor (the name Textual's DataTable uses)."""
        return self.cursor

    @cursor_row.setter
    def cursor_row(self, index: int) -> None:
        self.cursor = index

    @property
    def selected(self) -> Article | None:
        """The article under the cursor."""
        return self.article(self.cursor)

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
        self.cursor = index
        self.scroll_to_cursor()
        return True

    # Rendering ------------------------------------------------------------

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

    def render_header(self, y: int, width: int) -> Strip:
        headings = ["Title", *(heading for heading, _, _ in COLUMNS)]
        return self._row_strip(headings, self._style("header"), width)

    def render_row_line(self, index: int, line: int, is_cursor: bool, width: int) -> Strip:
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

    def action_select(self) -> None:
        """Open the article under the cursor."""
        article_id = self.selected_id
        if article_id is not None:
            self.post_message(self.Selected(self, article_id))
