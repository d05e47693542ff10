"""The library's list of articles, fetched page by page (Textual's Line API)."""

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

from annotations.formats.markdown import tag_hashtag
from annotations.models import Article
from reader.keys import movement_bindings
from reader.safe import safe_text
from reader.widgets.annotation_list import fit, one_line, whole_tags
from reader.widgets.paging import PagedList

EDGE = 1
"""Blank cells at either end of a row."""
TITLE_GAP = 2
"""Blank cells between the title and the first column after it."""
GAP = 1
"""Blank cells between two of the columns after the title."""
TITLE_ROOM = 30
"""Below this many cells for the title (and titles that need them), columns are dropped."""
MEASURED_TITLE_CHARACTERS = 400
"""Only the start of a title is measured (a longer one is cut anyway)."""


@dataclass(frozen=True)
class Column:
    """A column after the title.

    Attributes:
        key: Its name.
        labels: Its headings, longest first: the longest that leaves the titles room.
        right: Whether it is right-aligned (numbers are).
    """

    key: str
    labels: tuple[str, ...]
    right: bool


COLUMNS: tuple[Column, ...] = (
    Column("date", ("Date",), False),
    Column("words", ("Words",), True),
    Column("annotations", ("Annotations", "Annot."), True),
    Column("read", ("Read",), True),
)
"""The columns after the title, each as wide as its heading or its widest value."""
DROP_ORDER = ("words", "date", "read", "annotations")
"""Which columns go first when the title would get too narrow."""


@dataclass(frozen=True)
class Layout:
    """How a width is shared: the title's cells, then each column shown with its heading."""

    title: int
    columns: tuple[tuple[Column, int, str], ...]


Fetch = Callable[[int, int], Sequence[Article]]
"""Reads `limit` articles starting at `offset`: called as fetch(offset, limit)."""
Locate = Callable[[str], int | None]
"""The index of an article in the list, by id (None if it is not in the list)."""


def progress_label(article: Article) -> str:
    """Reading progress as shown in the list: `done` once archived."""
    if article.archived:
        return "done"
    if article.opened_at is None:
        return "new"
    return f"{round(article.progress * 100)}%"


def tag_labels(article: Article) -> list[str]:
    """An article's tags as its row shows them (`#tag`)."""
    return [one_line(tag_hashtag(tag)) for tag in article.tags]


def title_with_tags(title: str, tags: Sequence[str], room: int) -> tuple[str, str]:
    """The title and the tags after it, fitted to `room` cells together.

    The tags have what the title leaves, and at least a third of the room: as many
    whole tags as fit, then how many more (`  #a #b +2`); the title is cut to the rest.
    """
    if not tags:
        return fit(title, room), ""
    shown_tags = whole_tags(tags, max(room - cell_len(title), room // 3))
    return fit(title, room - cell_len(shown_tags)), shown_tags


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
    """One row per article: title and tags, date, words, annotations, progress; any length.

    The screen gives the total, a function that reads a page of articles and one that
    finds an article's index; the table reads only the pages it shows, and keeps a few.
    """

    COMPONENT_CLASSES = {
        "article-table--header",
        "article-table--cursor",
        "article-table--even-row",
        "article-table--tags",
    }
    """The column headings, the cursor row, every second row (zebra stripes), and the
    tags after a title."""

    DEFAULT_CSS = """
    ArticleTable {
        background: $surface;
        color: $foreground;
        & > .article-table--header { text-style: bold; background: $panel; }
        & > .article-table--even-row { background: $surface-lighten-1 50%; }
        & > .article-table--tags { color: $text-accent; }
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
        self._widest: dict[str, int] = {}
        """The widest title and value of each column among the rows read so far."""
        self._layout: tuple[int, Layout] | None = None
        """The layout for a width (until the widths of the rows or the table change)."""

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
        self._widest = {}
        self._layout = None

        def measured(offset: int, limit: int) -> Sequence[Article]:
            articles = fetch(offset, limit)
            self._measure(articles)
            return articles

        self._reset_rows(total, measured, cursor)
        # The page at the cursor is read now, so the columns are sized before they show.
        self.row(self.cursor)
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

    def _measure(self, articles: Sequence[Article]) -> None:
        """Note the widest title and values of a page; redraw if a column grows."""
        widest = dict(self._widest)
        for article in articles:
            texts = cells(article)
            texts[0] = texts[0][:MEASURED_TITLE_CHARACTERS]
            tags = tag_labels(article)
            if tags:  # the tags show after the title, in its column
                texts[0] += "  " + " ".join(tags)
            for key, text in zip(("title", *(c.key for c in COLUMNS)), texts, strict=True):
                widest[key] = max(widest.get(key, 0), cell_len(text))
        if widest != self._widest:
            had_rows = bool(self._widest)
            self._widest = widest
            self._layout = None
            if had_rows:  # rows drawn before were sized for the narrower values
                self._strips.clear()
                self.refresh()

    def layout_for(self, width: int) -> Layout:
        """How `width` cells are shared between the title and the other columns.

        Every column is as wide as its heading or its widest value, with a cell between
        columns; the title gets the rest. While that leaves the titles less than they
        need and less than `TITLE_ROOM`, columns are dropped (the word count first,
        then the date, the progress); shorter headings are used unless the titles have
        room to spare.
        """
        if self._layout is not None and self._layout[0] == width:
            return self._layout[1]
        need = max(self._widest.get("title", 0), cell_len("Title"))

        def cells_for(column: Column, label: str) -> int:
            return max(cell_len(label), self._widest.get(column.key, 0))

        def title_for(chosen: dict[Column, str]) -> int:
            taken = sum(GAP + cells_for(column, label) for column, label in chosen.items())
            if chosen:
                taken += TITLE_GAP - GAP
            return width - 2 * EDGE - taken

        chosen = {column: column.labels[-1] for column in COLUMNS}
        for key in DROP_ORDER:
            if title_for(chosen) >= min(need, TITLE_ROOM):
                break
            chosen = {column: label for column, label in chosen.items() if column.key != key}
        for column in chosen:
            for label in column.labels:
                longer = {**chosen, column: label}
                if title_for(longer) >= need:
                    chosen = longer
                    break
        layout = Layout(
            max(1, title_for(chosen)),
            tuple((column, cells_for(column, label), label) for column, label in chosen.items()),
        )
        self._layout = (width, layout)
        return layout

    @property
    def title_width(self) -> int:
        """Cells of the title column at the current width."""
        return self.layout_for(self.scrollable_content_region.width).title

    @property
    def shown_columns(self) -> list[str]:
        """The headings of the columns shown at the current width, the title first."""
        layout = self.layout_for(self.scrollable_content_region.width)
        return ["Title", *(label for _, _, label in layout.columns)]

    def render_header(self, y: int, width: int) -> Strip:
        layout = self.layout_for(width)
        headings = ["Title", *(label for _, _, label in layout.columns)]
        return self._row_strip(layout, headings, self._style("header"), width)

    def render_row_line(self, index: int, line: int, is_cursor: bool, width: int) -> Strip:
        name = "cursor" if is_cursor else "even-row" if index % 2 else ""
        style = self._style(name)
        article = self.article(index)
        if article is None:
            return Strip.blank(width, style)
        texts = dict(zip(("title", *(c.key for c in COLUMNS)), cells(article), strict=True))
        layout = self.layout_for(width)
        shown = [texts["title"], *(texts[column.key] for column, _, _ in layout.columns)]
        # On the cursor row the tags keep the cursor's colours, so they stay readable.
        tag_style = style if is_cursor else style + self._style("tags")
        return self._row_strip(layout, shown, style, width, tag_labels(article), tag_style)

    def _row_strip(
        self,
        layout: Layout,
        texts: list[str],
        style: Style,
        width: int,
        tags: Sequence[str] = (),
        tag_style: Style | None = None,
    ) -> Strip:
        """One line of the table: the texts cut or padded to their columns, the tags
        after the title."""
        sizes = [(layout.title, False, 0), *((size, c.right, GAP) for c, size, _ in layout.columns)]
        if len(sizes) > 1:
            sizes[1] = (sizes[1][0], sizes[1][1], TITLE_GAP)
        title, shown_tags = title_with_tags(texts[0], tags, layout.title)
        segments = [Segment(" " * EDGE + title, style)]
        if shown_tags:
            segments.append(Segment(shown_tags, tag_style or style))
        parts = [" " * (layout.title - cell_len(title) - cell_len(shown_tags))]
        for text, (size, right, gap) in zip(texts[1:], sizes[1:], strict=True):
            shown = fit(text, size)
            room = " " * (size - cell_len(shown))
            parts.append(" " * gap + (room + shown if right else shown + room))
        segments.append(Segment("".join(parts), style))
        strip = Strip(segments)
        return strip.extend_cell_length(width, style).crop(0, width)

    # Cursor ---------------------------------------------------------------

    def action_select(self) -> None:
        """Open the article under the cursor."""
        article_id = self.selected_id
        if article_id is not None:
            self.post_message(self.Selected(self, article_id))
