"""Find in an article: every match counted, ] and [ through all of them, counting in a
worker while the first match already shows."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable, Iterator

import pytest
from textual.pilot import Pilot

from annotations.models import Block, BlockKind, Document
from annotations.store import AnnotationStore
from reader.app import ReaderApp
from reader.find import Finder, Matches
from reader.screens import article as article_screen
from reader.screens.article import ArticleScreen
from reader.screens.library import LibraryScreen
from reader.widgets.paragraph_view import ParagraphView
from reader.widgets.status_line import StatusLine
from tests.tui.conftest import HUNG_SECONDS, AppFactory

SIZE = (100, 30)
PARAGRAPHS = 120
"""Paragraphs of "the" in the big article: 100 matches each, 12,000 in all."""


def big_article(store: AnnotationStore) -> str:
    """12,000 matches of "the" (more than were ever listed), then a paragraph without."""
    blocks = [
        Block(BlockKind.PARAGRAPH, " ".join(f"the {number}" for number in range(100)))
        for _ in range(PARAGRAPHS)
    ]
    blocks.append(Block(BlockKind.PARAGRAPH, "Fin."))
    document = Document(title="Many matches", blocks=tuple(blocks))
    return store.import_document(document).article.id


def small_article(store: AnnotationStore) -> str:
    """Ten paragraphs with "alpha" in the odd ones, "beta" in the even ones."""
    blocks = tuple(
        Block(
            BlockKind.PARAGRAPH,
            f"Paragraph {n} says {'alpha' if n % 2 else 'beta'} twice: "
            f"{'ALPHA' if n % 2 else 'BETA'}.",
        )
        for n in range(10)
    )
    return store.import_document(Document(title="Letters", blocks=blocks)).article.id


def status(app: ReaderApp) -> str:
    """The article's status line, all of its parts."""
    return app.screen.query_one("#article-status", StatusLine).text


class Gate:
    """Holds every count made in a worker thread until opened, so a test sees the
    screen while counting; `finished` counts the counts that have returned."""

    def __init__(self) -> None:
        self.opened = threading.Event()
        self.finished = threading.Semaphore(0)

    def wrap(self, find: Callable[..., Matches | None]) -> Callable[..., Matches | None]:
        def gated(finder: Finder, *args: object, **kwargs: object) -> Matches | None:
            if threading.current_thread() is threading.main_thread():
                return find(finder, *args, **kwargs)
            self.opened.wait(HUNG_SECONDS)
            try:
                return find(finder, *args, **kwargs)
            finally:
                self.finished.release()

        return gated

    async def wait_finished(self, count: int = 1) -> None:
        """Wait until `count` more counts have returned."""
        for _ in range(count):
            assert await asyncio.to_thread(self.finished.acquire, True, HUNG_SECONDS)


@pytest.fixture
def gate(monkeypatch: pytest.MonkeyPatch) -> Iterator[Gate]:
    """Counting in a worker for any article longer than 100 characters, held at a gate."""
    gate = Gate()
    monkeypatch.setattr(article_screen, "FIND_AT_ONCE", 100)
    monkeypatch.setattr(Finder, "find", gate.wrap(Finder.find))
    try:
        yield gate
    finally:
        gate.opened.set()  # never leave a thread waiting


async def counted(screen: ArticleScreen, pilot: Pilot[None]) -> None:
    """Wait until the screen's running count is done and shown."""
    worker = screen._counting
    assert worker is not None
    await worker.wait()
    await pilot.pause()
    assert screen._counting is None


async def test_every_match_is_counted_and_visited(
    store: AnnotationStore, make_app: AppFactory
) -> None:
    """No cap: 12,000 matches; [ from the first goes to the last, ] from the last wraps."""
    app = make_app(store, open_article=big_article(store))
    async with app.run_test(size=SIZE) as pilot:
        view = app.screen.query_one(ParagraphView)
        await pilot.press("slash", *"the", "enter")
        assert len(view.matches) == 12_000
        assert view.current_match == 0 and "match 1/12,000" in status(app)
        await pilot.press("left_square_bracket")
        assert view.current_match == 11_999 and view.cursor == PARAGRAPHS - 1
        assert "match 12,000/12,000" in status(app)
        await pilot.press("right_square_bracket")
        assert view.current_match == 0 and view.cursor == 0
        await pilot.press("left_square_bracket", "left_square_bracket")
        assert view.current_match == 11_998
        await pilot.press(*["right_square_bracket"] * 3)
        assert view.current_match == 1 and "match 2/12,000" in status(app)


async def test_after_moving_away_the_next_match_is_from_the_cursor(
    store: AnnotationStore, make_app: AppFactory
) -> None:
    """After G, ] wraps to the first match (the last paragraph has none) and [ goes to the
    last; after moving to a paragraph, ] goes to its first match."""
    app = make_app(store, open_article=big_article(store))
    async with app.run_test(size=SIZE) as pilot:
        view = app.screen.query_one(ParagraphView)
        await pilot.press("slash", *"the", "enter", "G", "right_square_bracket")
        assert view.current_match == 0 and view.cursor == 0
        await pilot.press("G", "left_square_bracket")
        assert view.current_match == 11_999 and "match 12,000/12,000" in status(app)
        await pilot.press("g", "j", "j", "right_square_bracket")
        assert view.cursor == 2 and view.current_match == 200
        await pilot.press("right_square_bracket")
        assert view.current_match == 201  # on from the match, within its paragraph


async def test_first_match_shows_while_counting(
    store: AnnotationStore, make_app: AppFactory, gate: Gate
) -> None:
    """The first match at or after the cursor shows at once; the count follows; ] pressed
    while counting is done when the count is in."""
    app = make_app(store, open_article=small_article(store))
    async with app.run_test(size=SIZE) as pilot:
        screen = app.screen
        assert isinstance(screen, ArticleScreen)
        view = screen.view
        await pilot.press("j", "j", "slash", *"alpha", "enter")
        assert view.cursor == 3 and view.current_match == 0
        assert view.matches.in_block(3) == [(17, 22, 0)]
        assert "counting matches…" in status(app) and "match 1" not in status(app)
        await pilot.press("right_square_bracket")
        assert view.cursor == 3
        gate.opened.set()
        await counted(screen, pilot)
        assert len(view.matches) == 10
        assert view.current_match == 3 and (view.cursor, view.cursor_span[0]) == (3, 0)
        assert "match 4/10" in status(app)


async def test_a_new_find_replaces_the_one_counting(
    store: AnnotationStore, make_app: AppFactory, gate: Gate
) -> None:
    app = make_app(store, open_article=small_article(store))
    async with app.run_test(size=SIZE) as pilot:
        screen = app.screen
        assert isinstance(screen, ArticleScreen)
        await pilot.press("slash", *"alpha", "enter")
        first = screen._counting
        await pilot.press("slash", *"beta", "enter")
        assert first is not None and first.is_cancelled and screen._counting is not first
        assert screen.view.cursor == 2  # beta's first match after alpha's, at block 1
        gate.opened.set()
        await counted(screen, pilot)
        await gate.wait_finished(2)
        await pilot.pause()
        assert [block for block, _start, _end in screen.view.matches] == [
            0,
            0,
            2,
            2,
            4,
            4,
            6,
            6,
            8,
            8,
        ]
        assert "match 3/10" in status(app)


async def test_leaving_or_clearing_while_counting(
    store: AnnotationStore, make_app: AppFactory, gate: Gate
) -> None:
    """Escape while counting clears the find; leaving the article while counting is fine,
    and what the count finds later goes nowhere."""
    app = make_app(store, open_article=small_article(store))
    async with app.run_test(size=SIZE) as pilot:
        screen = app.screen
        assert isinstance(screen, ArticleScreen)
        await pilot.press("slash", *"alpha", "enter", "escape")
        assert screen._counting is None and not screen.view.matches
        assert "counting" not in status(app) and "match " not in status(app)
        await pilot.press("slash", *"beta", "enter")
        assert screen._counting is not None
        await pilot.press("q")
        assert isinstance(app.screen, LibraryScreen)
        gate.opened.set()
        await gate.wait_finished(2)
        await pilot.pause()
        assert isinstance(app.screen, LibraryScreen)
