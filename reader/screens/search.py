"""Full-text search over the whole library: results update as you type."""

from __future__ import annotations

from typing import ClassVar

from rich.cells import cell_len
from textual import getters, on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.content import Content
from textual.widgets import Input, OptionList, Static
from textual.widgets.option_list import Option

from annotations.models import SearchHit
from annotations.search import MIN_PREFIX
from reader.debounce import Debounce
from reader.safe import safe_text
from reader.screens.article import ArticleScreen
from reader.screens.base import ReaderScreen, refusals_noticed
from reader.widgets.annotation_list import fit
from reader.widgets.fitted import Part
from reader.widgets.key_bar import KeyBar
from reader.widgets.notices import NoticeLine
from reader.widgets.paging import page_options
from reader.widgets.status_line import StatusLine
from reader.words import plural

SEARCH_DELAY = 0.15
"""Seconds after the last keystroke before the search runs."""
RESULT_LIMIT = 100
"""Results shown at most, best first."""
MARK_STYLE = "bold $text-warning on $warning 25%"
"""How a matched term stands out in a snippet (theme variables, so every theme works)."""
SOURCE_LABELS = {"text": "text", "note": "note", "tag": "tag"}
"""How each kind of match is named in a result."""
TITLE_CELLS = 120
"""A longer title is cut (titles read from files are shorter), so a result stays short."""
OPTION_PADDING = 2
"""Cells of padding around a result (`#search-results > .option-list--option`)."""
MIN_TITLE_CELLS = 8
"""A result's title is never cut shorter than this."""
CHAPTER_STYLE = "dim"
"""How a result's chapter is set beside its title: there, not to be read first."""
CHAPTER_GAP = "  "
"""What stands between a result's title and its chapter."""


def _title_and_chapter(hit: SearchHit, room: int) -> Content:
    """A result's title (bold) and its chapter (dim, if it has one) in `room` cells.

    The title goes first: it is cut to give the chapter room only down to half the
    line. A chapter too long for the rest is its last level alone (`CHAPTER I` for
    `BOOK ONE › CHAPTER I`), and left out when that does not fit either: a chapter
    is never cut, as `CHAPTER XX…` would read as another one.
    """
    title = fit(safe_text(hit.title), min(TITLE_CELLS, room)) or "Untitled"
    if not hit.chapter:
        return Content.styled(title, "bold")
    chapter = safe_text(" ".join(hit.chapter.split()))
    kept = min(cell_len(title), max(MIN_TITLE_CELLS, room // 2))
    left = room - len(CHAPTER_GAP) - kept
    if cell_len(chapter) > left:
        chapter = chapter.rsplit(" › ", 1)[-1]
    if cell_len(chapter) > left or not chapter:
        return Content.styled(title, "bold")
    title = fit(title, room - len(CHAPTER_GAP) - cell_len(chapter))
    return Content.assemble((title, "bold"), (CHAPTER_GAP + chapter, CHAPTER_STYLE))


def hit_prompt(hit: SearchHit, width: int = TITLE_CELLS) -> Content:
    """A result as two lines: title, chapter, paragraph and kind of match; then the snippet.

    The first line fits in `width` cells: a long title is cut (and a chapter shortened
    or left out, see `_title_and_chapter`) so the paragraph and the kind of match stay
    on it.
    """
    source = SOURCE_LABELS.get(hit.source, safe_text(hit.source))
    where = Content.assemble(
        (f"  ¶{hit.block + 1}", "$text-muted"),
        (f"  {source}", "italic $text-secondary"),
    )
    room = max(MIN_TITLE_CELLS, width - where.cell_length)
    head = Content.assemble(_title_and_chapter(hit, room), where)
    # safe_text replaces character for character, so the marks still point at the terms.
    snippet = Content(safe_text(hit.snippet))
    for start, end in hit.marks:
        snippet = snippet.stylize(MARK_STYLE, start, end)
    return Content.assemble(head, "\n", snippet)


class SearchScreen(ReaderScreen[None]):
    """Search every article's text, notes and tags; enter opens the paragraph found."""

    AUTO_FOCUS = "#search-query"

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "back", "Back", tooltip="Back to where you were", id="back"),
        Binding("down,j", "move(1)", "Next", tooltip="Next result", show=False, id="result-next"),
        Binding(
            "up,k", "move(-1)", "Previous", tooltip="Previous result", show=False, id="result-prev"
        ),
        Binding("pagedown", "page(1)", "Page down", tooltip="A screen of results down", show=False),
        Binding("pageup", "page(-1)", "Page up", tooltip="A screen of results up", show=False),
    ]
    """Arrows move through the results while typing (j/k too, once the list has focus)."""

    query_input = getters.query_one("#search-query", Input)
    results = getters.query_one("#search-results", OptionList)
    status = getters.query_one("#search-status", StatusLine)
    empty = getters.query_one("#search-empty", Static)

    def __init__(self, query: str = "") -> None:
        super().__init__()
        self.initial_query = query
        self.hits: list[SearchHit] = []
        self._searched: str | None = None
        self._typing = Debounce(self, SEARCH_DELAY, self.run_search)
        self._fitted_width = 0
        """The width the results' first lines were fitted to."""

    def compose(self) -> ComposeResult:
        yield Input(
            self.initial_query,
            placeholder="Search the text, notes and tags of every article",
            id="search-query",
        )
        yield StatusLine(id="search-status")
        yield OptionList(id="search-results")
        yield Static(id="search-empty")
        yield NoticeLine()
        yield KeyBar()

    def on_screen_resume(self) -> None:
        # On first show, and after an article: notes and tags may have changed there.
        if self.library_changed():
            self.run_search(force=True)

    # Searching ----------------------------------------------------------

    @on(Input.Changed, "#search-query")
    def _query_changed(self) -> None:
        self._typing.restart()

    def reload_from_library(self) -> None:
        """Search again (another process changed the library)."""
        self.run_search(force=True)

    @refusals_noticed
    def run_search(self, force: bool = False) -> None:
        """Search for what is typed, unless that was the last search."""
        self._typing.cancel()
        query = self.query_input.value.strip()
        if query == self._searched and not force:
            return
        keep = self.results.highlighted if query == self._searched else None
        self.library_read()
        self._searched = query
        self.hits = self.app.store.search(query, limit=RESULT_LIMIT) if query else []
        options: list[Option | None] = []
        self._fitted_width = width = self._result_width()
        for hit in self.hits:
            # A rule between results (None) keeps two-line results apart.
            options += [Option(hit_prompt(hit, width)), None]
        self.results.set_options(options[:-1])
        if self.hits:
            self.results.highlighted = min(keep or 0, len(self.hits) - 1)
            self.results.scroll_to_highlight()
        self._show_status(query)

    def _result_width(self) -> int:
        """Cells a result's line has (as if the list had a scroll bar: it may get one).

        The list spans the screen, which spans the terminal; measured from there, it is
        known while the list is hidden too (when nothing was found yet).
        """
        results = self.results
        gutter = results.styles.gutter.width + results.styles.scrollbar_size_vertical
        return self.app.size.width - gutter - OPTION_PADDING

    def on_resize(self) -> None:
        self._fit_results()

    def _fit_results(self) -> None:
        """Fit the results' first lines to the terminal's width again (after a resize)."""
        width = self._result_width()
        if width == self._fitted_width:
            return
        self._fitted_width = width
        for index, hit in enumerate(self.hits[: self.results.option_count]):
            self.results.replace_option_prompt_at_index(index, hit_prompt(hit, width))

    def _show_status(self, query: str) -> None:
        shown = safe_text(query)
        if not query:
            self.status.text = "Type to search every article, note and tag"
            self.empty.update(
                Content(
                    f"Every word of {MIN_PREFIX} or more letters matches the start of a word,"
                    " ignoring case and accents;\n"
                    'put a phrase in "double quotes". Enter opens the paragraph found.'
                )
            )
        elif not self.hits:
            self.status.text = f"No matches for “{shown}”"
            hint = ""
            words = query.replace('"', " ").split()
            if any(len(word.rstrip("*")) < MIN_PREFIX and not word.endswith("*") for word in words):
                hint = (
                    f"\nWords shorter than {MIN_PREFIX} letters match whole words only:"
                    " type more, or end a word with * to match its beginning."
                )
            self.empty.update(Content(f"No matches for “{shown}”{hint}"))
        else:
            best = " (the best)" if len(self.hits) >= RESULT_LIMIT else ""
            # When the line is too narrow, the hints go first.
            self.status.show(
                [
                    Part.text(f"{plural(len(self.hits), 'result')}{best} for “{shown}”", rank=9),
                    Part.text("↑↓ choose", rank=2),
                    Part.text("enter opens", rank=1),
                ]
            )
        self.set_class(not self.hits, "-empty")

    # Moving and opening ---------------------------------------------------

    def action_move(self, step: int) -> None:
        """Highlight the next (1) or previous (-1) result."""
        if not self.hits:
            return
        current = self.results.highlighted
        self.results.highlighted = 0 if current is None else current + step

    def action_page(self, direction: int) -> None:
        """Move the highlight a screen of results down (1) or up (-1)."""
        page_options(self.results, direction)

    @on(Input.Submitted, "#search-query")
    def _submitted(self) -> None:
        self.run_search()
        if self.results.highlighted is not None:
            self.open_hit(self.results.highlighted)

    @on(OptionList.OptionSelected, "#search-results")
    def _selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.open_hit(event.option_index)

    def open_hit(self, index: int) -> None:
        """Open the article of a result at the paragraph found."""
        if 0 <= index < len(self.hits):
            hit = self.hits[index]
            self.open_screen(ArticleScreen(hit.article_id, block=hit.block))

    def action_back(self) -> None:
        """Leave the search."""
        self.dismiss()
