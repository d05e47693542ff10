"""The library's list of articles."""

from __future__ import annotations

from collections.abc import Sequence

from rich.text import Text
from textual.binding import Binding, BindingType
from textual.widgets import DataTable

from annotations.models import Article
from reader.safe import safe_text

FIXED_COLUMNS_WIDTH = 48
"""Cells taken by every column but the title, with padding."""


def progress_label(article: Article) -> str:
    """Reading progress as shown in the list."""
    if article.opened_at is None:
        return "new"
    return f"{round(article.progress * 100)}%"


class ArticleTable(DataTable[Text]):
    """One row per article: title, date, words, annotations, progress."""

    BINDINGS: list[BindingType] = [
        Binding("enter", "select_cursor", "Open", tooltip="Read the selected article"),
        Binding("j", "cursor_down", "Down", show=False),
        Binding("k", "cursor_up", "Up", show=False),
        Binding("g", "scroll_top", "First", show=False),
        Binding("G", "scroll_bottom", "Last", show=False),
    ]
    """Vim keys beside the arrows."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id, cursor_type="row", zebra_stripes=True)

    def _add_columns(self, title_width: int) -> None:
        self.add_column("Title", width=title_width, key="title")
        self.add_column("Date", width=10, key="date")
        self.add_column(Text("Words", justify="right"), width=7, key="words")
        self.add_column(Text("Annotations", justify="right"), width=11, key="annotations")
        self.add_column(Text("Read", justify="right"), width=4, key="progress")

    def show_articles(self, articles: Sequence[Article], width: int) -> None:
        """Replace the rows, keeping the cursor on the same article where possible."""
        selected = self.selected_id
        title_width = max(12, width - FIXED_COLUMNS_WIDTH)
        self.clear(columns=True)
        self._add_columns(title_width)
        for article in articles:
            title = Text(safe_text(article.title), no_wrap=True)
            title.truncate(title_width, overflow="ellipsis")
            self.add_row(
                title,
                Text(article.date or ""),
                Text(f"{article.words:,}", justify="right"),
                Text(str(article.annotation_count or ""), justify="right"),
                Text(progress_label(article), justify="right"),
                key=article.id,
            )
        if selected is not None and selected in self.rows:
            self.move_cursor(row=self.get_row_index(selected), animate=False)

    @property
    def selected_id(self) -> str | None:
        """The id of the article under the cursor."""
        if not self.row_count:
            return None
        key = self.coordinate_to_cell_key(self.cursor_coordinate).row_key
        return key.value

    def select(self, article_id: str) -> None:
        """Move the cursor to an article."""
        if article_id in self.rows:
            self.move_cursor(row=self.get_row_index(article_id), animate=False)
