"""The library-wide search screen, driven headless."""

from __future__ import annotations

from typing import Any

import pytest
from rich.cells import cell_len
from textual.pilot import Pilot
from textual.widgets import OptionList

from annotations.models import Block, BlockKind, Document, SearchHit
from annotations.store import AnnotationStore
from reader.screens.article import ArticleScreen
from reader.screens.library import LibraryScreen
from reader.screens.search import CHAPTER_STYLE, MARK_STYLE, SearchScreen, hit_prompt
from reader.widgets.paragraph_view import ParagraphView
from tests.tui.conftest import AppFactory, screen_text, typed

SIZE = (100, 30)


def harbour_store(store: AnnotationStore) -> AnnotationStore:
    """Two short articles with known paragraphs, one passage with a note."""
    texts = [
        "The harbour was quiet in the early morning.",
        "Nobody walked on the quay before the ferry came.",
        "The keeper wrote every ship into a ledger bound in green cloth.",
    ]
    store.import_document(
        Document(
            title="Harbour notes",
            blocks=tuple(Block(BlockKind.PARAGRAPH, text) for text in texts),
            source="/notes/harbour.txt",
        )
    )
    coffee = store.import_document(
        Document(
            title="Kaffee und Zeit",
            blocks=(
                Block(BlockKind.PARAGRAPH, "Es gibt Menschen, die ihren Kaffee im Gehen trinken."),
                Block(BlockKind.PARAGRAPH, "Zwischen Bahnsteig und Bürotür bleibt wenig Zeit."),
            ),
            source="/notes/kaffee.txt",
        )
    ).article
    store.add_highlight(coffee.id, (0, 0), (0, 20), note="Remember the tide tables")
    return store


async def type_query(pilot: Pilot[Any], text: str) -> None:
    """Type into the search field and wait for the results."""
    await typed(pilot, *text)


async def test_slash_searches_and_enter_opens_paragraph(
    store: AnnotationStore, make_app: AppFactory
) -> None:
    """/ opens the search; a result shows title, ¶, kind and the marked term; enter opens it."""
    harbour_store(store)
    app = make_app(store)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("slash")
        assert isinstance(app.screen, SearchScreen)
        await type_query(pilot, "ledger")
        screen = app.screen
        assert [hit.block for hit in screen.hits] == [2]
        shown = screen_text(app)
        assert "Harbour notes" in shown and "¶3" in shown and "text" in shown
        assert "ledger bound in green cloth" in shown
        prompt = screen.query_one(OptionList).get_option_at_index(0).prompt
        marked = [
            prompt.plain[span.start : span.end] for span in prompt.spans if span.style == MARK_STYLE
        ]
        assert [text.casefold() for text in marked] == ["ledger"]
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, ArticleScreen)
        assert app.screen.query_one(ParagraphView).cursor == 2
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, SearchScreen)
        assert "ledger bound" in screen_text(app)


async def test_query_without_accents_finds_accented_text(
    store: AnnotationStore, make_app: AppFactory
) -> None:
    """Accents and case are folded: "BUROTUR" finds "Bürotür"."""
    harbour_store(store)
    app = make_app(store)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("slash")
        await type_query(pilot, "BUROTUR")
        hits = app.screen.hits
        assert [(hit.title, hit.block) for hit in hits] == [("Kaffee und Zeit", 1)]
        assert "Bürotür" in screen_text(app)


async def test_notes_are_searched(store: AnnotationStore, make_app: AppFactory) -> None:
    """A word from a note finds its passage, shown as a note match."""
    harbour_store(store)
    app = make_app(store)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("slash")
        await type_query(pilot, "tide")
        hits = app.screen.hits
        assert [(hit.source, hit.block) for hit in hits] == [("note", 0)]
        assert "note" in screen_text(app)
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, ArticleScreen)
        assert app.screen.query_one(ParagraphView).cursor == 0


async def test_no_matches_and_hint(store: AnnotationStore, make_app: AppFactory) -> None:
    """An empty query shows a hint; a query without results says so; enter does nothing."""
    harbour_store(store)
    app = make_app(store)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("slash")
        await pilot.pause()
        assert "Type to search" in screen_text(app)
        await type_query(pilot, "zebra")
        assert "No matches for “zebra”" in screen_text(app)
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, SearchScreen)


async def test_arrows_and_jk_move_between_results(
    store: AnnotationStore, make_app: AppFactory
) -> None:
    """down/up move while typing; j/k move once the list has focus."""
    harbour_store(store)
    app = make_app(store)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("slash")
        await type_query(pilot, "the")
        results = app.screen.query_one(OptionList)
        assert len(app.screen.hits) >= 3
        assert results.highlighted == 0
        await pilot.press("down", "down", "up")
        assert results.highlighted == 1
        assert app.screen.query_one("#search-query").value == "the"
        await pilot.press("tab")
        assert results.has_focus
        await pilot.press("j", "j", "k")
        assert results.highlighted == 2
        chosen = app.screen.hits[2]
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, ArticleScreen)
        assert app.screen.article_id == chosen.article_id
        assert app.screen.query_one(ParagraphView).cursor == chosen.block


async def test_escape_goes_back(store: AnnotationStore, make_app: AppFactory) -> None:
    """Escape leaves the search for the library."""
    harbour_store(store)
    app = make_app(store)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("slash")
        await type_query(pilot, "harbour")
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, LibraryScreen)


async def test_short_words_explain_themselves(store: AnnotationStore, make_app: AppFactory) -> None:
    """A one- or two-letter word without matches says that short words match whole."""
    harbour_store(store)
    app = make_app(store)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("slash")
        await pilot.pause()
        await type_query(pilot, "zq")
        assert "match whole words only" in screen_text(app)


async def test_a_10000_character_title_is_cut_in_the_library_and_the_results(
    store: AnnotationStore, make_app: AppFactory
) -> None:
    """An outsized title is one cut line in the library, at most two in a search result."""
    title = ("The harbour master's very long account of every ship that ever came in " * 150)[
        :10_000
    ]
    store.import_document(
        Document(
            title=title,
            blocks=(Block(BlockKind.PARAGRAPH, "The ferry waited at the quay."),),
            source="/notes/long-title.txt",
        )
    )
    app = make_app(store)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        (row,) = [line for line in screen_text(app).splitlines() if "harbour master" in line]
        assert row.rstrip().endswith("…") or "… " in row
        await pilot.press("slash")
        await type_query(pilot, "ferry")
        lines = screen_text(app).splitlines()
        head = next(n for n, line in enumerate(lines) if "The harbour master" in line)
        result = "\n".join(lines[head : head + 3])
        assert "…  ¶1  text" in result and "The ferry waited at the quay." in result


def book_store(store: AnnotationStore, title: str = "War and Peace") -> AnnotationStore:
    """A small book of two parts of chapters (its headings), and an article without any."""
    blocks = (
        Block(BlockKind.HEADING, "BOOK ONE: 1805", 1),
        Block(BlockKind.HEADING, "CHAPTER I", 2),
        Block(BlockKind.PARAGRAPH, "The reception was crowded with princes and generals."),
        Block(BlockKind.HEADING, "CHAPTER XXVIII", 2),
        Block(BlockKind.PARAGRAPH, "A courier rode to the generals with the dispatch."),
    )
    store.import_document(Document(title=title, blocks=blocks, source="/books/war.txt"))
    plain = (Block(BlockKind.PARAGRAPH, "The generals of the chess club met on Tuesday."),)
    store.import_document(Document(title="Chess club", blocks=plain, source="/notes/chess.txt"))
    return store


async def test_a_result_in_a_book_shows_its_chapter_dim_after_the_title(
    store: AnnotationStore, make_app: AppFactory
) -> None:
    """A hit in a chapter shows the chapter, dim, between the title and the ¶; a hit in
    an article without contents shows none."""
    book_store(store)
    app = make_app(store)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("slash")
        await type_query(pilot, "generals")
        screen = app.screen
        assert isinstance(screen, SearchScreen)
        heads = {
            hit.title: screen.results.get_option_at_index(index).prompt.plain.split("\n")[0]
            for index, hit in enumerate(screen.hits)
        }
        assert heads == {
            "War and Peace": heads["War and Peace"],
            "Chess club": "Chess club  ¶1  text",
        }
        assert heads["War and Peace"] in (
            "War and Peace  BOOK ONE: 1805 › CHAPTER I  ¶3  text",
            "War and Peace  BOOK ONE: 1805 › CHAPTER XXVIII  ¶5  text",
        )
        first = screen.results.get_option_at_index(0).prompt
        chapter = screen.hits[0].chapter
        assert chapter is not None
        start = first.plain.index(chapter)
        dim = [span for span in first.spans if span.style == CHAPTER_STYLE]
        assert [(span.start, span.end) for span in dim] == [(start - 2, start + len(chapter))]
        assert "BOOK ONE: 1805 › CHAPTER XXVIII" in screen_text(app)


@pytest.mark.parametrize("width", [24, 40, 56, 76, 120])
def test_a_result_with_a_chapter_fits_its_line(width: int) -> None:
    """Title, chapter, ¶ and kind fit the line: the title is cut to half the line at
    most, then the chapter is its last level, or left out (never cut)."""
    hit = SearchHit(
        article_id="a",
        title="The Project Gutenberg eBook of War and Peace, by Leo Tolstoy",
        block=12344,
        snippet="generals",
        marks=(),
        source="text",
        annotation_id=None,
        score=-1.0,
        chapter="BOOK FIFTEEN: 1812 - 13 › CHAPTER XXVIII",
    )

    head = hit_prompt(hit, width).plain.split("\n")[0]

    assert head.endswith("  ¶12345  text")
    assert cell_len(head) <= width
    title, _, rest = head.partition("  ")
    assert hit.title.startswith(title.removesuffix("…"))
    shown = rest.removesuffix("¶12345  text").strip()
    assert shown in ("", hit.chapter, "CHAPTER XXVIII")
    if width >= 76:
        assert shown
    if width >= 120:
        assert title == hit.title and shown == hit.chapter
