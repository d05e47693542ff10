"""Contents, places and the width of the text: `o`, `:`, the status line's chapter,
percent and time left, and `w`."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot

from annotations.models import Block, BlockKind, ContentsEntry, Document
from annotations.store import AnnotationStore
from reader.dialogs.contents import ContentsDialog
from reader.dialogs.goto import GotoDialog
from reader.progress import ReadingProgress, parse_place, time_left
from reader.screens.article import ArticleScreen
from reader.widgets.contents_list import ContentsList
from reader.widgets.paragraph_view import GUTTER, TEXT_COLUMN
from reader.widgets.status_line import StatusLine
from tests.conftest import FixedClock
from tests.tui.conftest import AppFactory, screen_text, toasts

SIZE = (100, 30)
WORDS = ["the", "river", "ran", "past", "the", "mill", "and", "on", "to", "the", "sea"]


def words(count: int, seed: int = 0) -> str:
    """A sentence of `count` words."""
    return " ".join(WORDS[(seed + n) % len(WORDS)] for n in range(count)) + "."


def paragraph(count: int, seed: int = 0) -> Block:
    return Block(BlockKind.PARAGRAPH, words(count, seed))


def heading(text: str, level: int) -> Block:
    return Block(BlockKind.HEADING, text, level)


def book() -> Document:
    """Two parts of two chapters each; 10 paragraphs of 23 words per chapter (920 words
    of text, so 4 minutes at 230 a minute)."""
    blocks: list[Block] = [paragraph(3)]
    for part in ("One", "Two"):
        blocks.append(heading(f"Part {part}", 1))
        for chapter in ("first", "second"):
            blocks.append(heading(f"The {chapter} chapter of part {part.lower()}", 2))
            blocks.extend(paragraph(23, n) for n in range(10))
    return Document(title="A small book", blocks=tuple(blocks), source="/books/small.txt")


def import_book(store: AnnotationStore, document: Document | None = None) -> str:
    return store.import_document(document or book()).article.id


def screen_of(app: Any) -> ArticleScreen:
    screen = app.screen
    assert isinstance(screen, ArticleScreen)
    return screen


def status_text(app: Any) -> str:
    return screen_of(app).query_one("#article-status", StatusLine).render().plain  # type: ignore[union-attr]


async def settle(pilot: Pilot[Any]) -> None:
    await pilot.pause()
    await pilot.pause()


# o: the contents --------------------------------------------------------------


async def test_o_lists_the_headings_with_percent_and_where_you_are(
    store: AnnotationStore, make_app: AppFactory
) -> None:
    """Each entry with its indent and percent; the entry the cursor is in is marked and
    under the list's cursor."""
    article = import_book(store)
    app = make_app(store, open_article=article)
    async with app.run_test(size=SIZE) as pilot:
        screen_of(app).go_to(20)  # in the second chapter of part one
        await pilot.press("o")
        await settle(pilot)
        dialog = app.screen
        assert isinstance(dialog, ContentsDialog)
        entries = dialog.query_one(ContentsList)
        assert [(row.title, row.level, row.percent) for row in entries.rows] == [
            ("Part One", 1, 0),
            ("The first chapter of part one", 2, 1),
            ("The second chapter of part one", 2, 25),
            ("Part Two", 1, 50),
            ("The first chapter of part two", 2, 50),
            ("The second chapter of part two", 2, 75),
        ]
        assert [row.here for row in entries.rows] == [False, False, True, False, False, False]
        assert entries.cursor == 2
        shown = screen_text(app)
        assert "Contents · 6 entries" in shown
        line = next(line for line in shown.splitlines() if "second chapter of part one" in line)
        assert "▌●" in line and line.rstrip(" │").endswith("25%")
        assert "  The first chapter of part two" in shown  # indented under its part


async def test_enter_jumps_to_the_entry_and_the_position_is_saved(
    store: AnnotationStore, make_app: AppFactory
) -> None:
    """j then enter: the cursor is on the entry's heading, at the top of the view."""
    article = import_book(store)
    app = make_app(store, open_article=article)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("o")
        await settle(pilot)
        await pilot.press("G", "k", "enter")  # the first chapter of part two
        await settle(pilot)
        screen = screen_of(app)
        target = store.get_contents(article)[4].block
        assert screen.view.cursor == target
        top, _rows = screen.view.block_rows(target)
        assert 0 <= top - screen.view.scroll_offset.y <= 1
        assert "The first chapter of part two" in status_text(app)
        await pilot.press("escape")
        await settle(pilot)
    assert store.get_article(article).position == target


async def test_a_books_own_contents_are_listed_rather_than_its_headings(
    store: AnnotationStore, make_app: AppFactory
) -> None:
    document = book()
    own = (ContentsEntry("Opening", 0), ContentsEntry("Middle", 25, 2))
    article = import_book(
        store,
        Document(
            title=document.title, blocks=document.blocks, source=document.source, contents=own
        ),
    )
    app = make_app(store, open_article=article)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("o")
        await settle(pilot)
        rows = app.screen.query_one(ContentsList).rows
        assert [(row.title, row.block, row.here) for row in rows] == [
            ("Opening", 0, True),
            ("Middle", 25, False),
        ]
        await pilot.press("j", "enter")
        await settle(pilot)
        assert screen_of(app).view.cursor == 25
        assert "Opening › Middle" in status_text(app)


async def test_o_without_headings_says_so(store: AnnotationStore, make_app: AppFactory) -> None:
    article = store.import_document(
        Document(title="Plain", blocks=(paragraph(10), paragraph(12)), source="/plain.txt")
    ).article.id
    app = make_app(store, open_article=article)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("o")
        await settle(pilot)
        assert isinstance(app.screen, ArticleScreen)
        assert toasts(app)[-1] == "No contents: this article has no headings"


async def test_typing_narrows_the_contents_and_escape_clears_then_closes(
    store: AnnotationStore, make_app: AppFactory
) -> None:
    article = import_book(store)
    app = make_app(store, open_article=article)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("o", "slash", *"part two")
        await settle(pilot)
        entries = app.screen.query_one(ContentsList)
        assert [row.title for row in entries.rows] == [
            "Part Two",
            "The first chapter of part two",
            "The second chapter of part two",
        ]
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, ContentsDialog) and len(entries.rows) == 6
        await pilot.press("slash", *"second", "down", "enter")
        await settle(pilot)
        assert screen_of(app).view.cursor == store.get_contents(article)[5].block
        await pilot.press("o", "escape")
        await settle(pilot)
        assert isinstance(app.screen, ArticleScreen)


async def test_a_long_contents_opens_and_reaches_its_end(
    store: AnnotationStore, make_app: AppFactory
) -> None:
    """2,000 entries: only the rows shown are drawn; G reaches the last."""
    blocks = []
    for number in range(2000):
        blocks += [heading(f"Chapter {number + 1}", 2), paragraph(8, number)]
    article = import_book(
        store, Document(title="Many chapters", blocks=tuple(blocks), source="/many.txt")
    )
    app = make_app(store, open_article=article)
    async with app.run_test(size=SIZE) as pilot:
        screen_of(app).go_to(2001)
        await pilot.press("o")
        await settle(pilot)
        entries = app.screen.query_one(ContentsList)
        assert entries.cursor == 1000 and "Chapter 1001" in screen_text(app)
        await pilot.press("G")
        await settle(pilot)
        assert "Chapter 2000" in screen_text(app)


# :, a place -------------------------------------------------------------------


async def test_colon_goes_to_a_paragraph_or_a_percentage(
    store: AnnotationStore, make_app: AppFactory
) -> None:
    article = import_book(store)
    app = make_app(store, open_article=article)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("colon", *"12", "enter")
        await settle(pilot)
        assert screen_of(app).view.cursor == 11
        assert "¶ 12/" in status_text(app)
        await pilot.press("colon", *"50%", "enter")
        await settle(pilot)
        assert "  50%  " in status_text(app).split("·")
        assert screen_of(app).view.cursor == 24  # Part Two starts half-way by words
        await pilot.press("colon", *"100%", "enter")
        await settle(pilot)
        assert screen_of(app).view.cursor == len(book().blocks) - 1


async def test_colon_explains_what_is_not_a_place(
    store: AnnotationStore, make_app: AppFactory
) -> None:
    article = import_book(store)
    app = make_app(store, open_article=article)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("colon", *"soon", "enter")
        await settle(pilot)
        assert isinstance(app.screen, GotoDialog)
        assert "'soon' is not a paragraph number or a percentage" in screen_text(app)
        await pilot.press(*["backspace"] * 4, *"999", "enter")
        await settle(pilot)
        assert "No paragraph 999: there are 47" in screen_text(app)
        await pilot.press("escape")
        await settle(pilot)
        assert screen_of(app).view.cursor == 0


@pytest.mark.parametrize(
    ("typed", "meant"),
    [
        ("1", 0),
        (" 47 ", 46),
        ("¶ 3", 2),
        ("0%", 0),
        ("25 %", 13),
        ("100%", 46),
        ("", "Type a paragraph number or a percentage (50%)"),
        ("0", "No paragraph 0: there are 47"),
        ("48", "No paragraph 48: there are 47"),
        ("150%", "150% is past the end: 0% to 100%"),
        ("-5", "'-5' is not a paragraph number or a percentage"),
        ("[b]x", "'[b]x' is not a paragraph number or a percentage"),
    ],
)
def test_places_typed(typed: str, meant: int | str) -> None:
    """A paragraph is numbered as the status line counts (from 1); a percentage is the
    block starting nearest that share of the text."""
    document = book()
    progress = ReadingProgress(document.blocks, 940)
    assert parse_place(typed, progress) == meant


# The status line --------------------------------------------------------------


async def test_status_shows_chapter_percent_and_time_left(
    store: AnnotationStore, make_app: AppFactory
) -> None:
    article = import_book(store)
    app = make_app(store, open_article=article)
    async with app.run_test(size=SIZE) as pilot:
        assert status_text(app) == "¶ 1/47  ·  0%  ·  4 min left  ·  0 annotations"
        screen_of(app).go_to(20)
        await settle(pilot)
        assert status_text(app) == (
            "Part One › The second chapter of part one  ·  ¶ 21/47  ·  41%  ·  "
            "2 min left  ·  0 annotations"
        )
    # Narrow: the outer part goes first, then the count and the time left.
    app = make_app(store, open_article=article)
    async with app.run_test(size=(60, 20)) as pilot:
        screen_of(app).go_to(20)
        await settle(pilot)
        assert status_text(app) == "The second chapter of part one  ·  ¶ 21/47  ·  41%"


async def test_percent_follows_the_words_not_the_paragraphs(
    store: AnnotationStore, make_app: AppFactory
) -> None:
    """After 100 one-line paragraphs that hold half the words, the status says about 50%
    (by paragraphs, it would be 98%)."""
    blocks = [paragraph(5, n) for n in range(100)] + [paragraph(250, 1), paragraph(250, 2)]
    article = import_book(
        store, Document(title="Uneven", blocks=tuple(blocks), source="/uneven.txt")
    )
    app = make_app(store, open_article=article)
    async with app.run_test(size=SIZE) as pilot:
        screen_of(app).go_to(100)
        await settle(pilot)
        percent = status_text(app).split("  ·  ")[1]
        assert percent in ("49%", "50%", "51%")


def test_time_left_reads_as_minutes_and_hours() -> None:
    assert [time_left(m) for m in (0, 0.2, 12.4, 60, 185, 24 * 60 + 1)] == [
        "0 min left",
        "1 min left",
        "12 min left",
        "1 h left",
        "3 h 5 min left",
        "24 h 1 min left",
    ]


# w, the width of the text -----------------------------------------------------


@pytest.mark.parametrize(("width", "height"), [(80, 24), (120, 40), (200, 50)])
async def test_text_is_a_centred_column_of_80_cells_at_most(
    store: AnnotationStore, make_app: AppFactory, width: int, height: int
) -> None:
    """The text is at most 80 cells wide, centred, its gutter in the margin; every line
    fits the view."""
    article = import_book(store)
    app = make_app(store, open_article=article)
    async with app.run_test(size=(width, height)) as pilot:
        await settle(pilot)
        view = screen_of(app).view
        room = view.scrollable_content_region.width
        assert view.text_width == min(TEXT_COLUMN, room - GUTTER - 1)
        left = view._margin + GUTTER
        right = room - left - view.text_width
        assert left >= GUTTER and right >= 1
        if room - GUTTER - 1 > TEXT_COLUMN:
            assert abs(left - right) <= 1
        lines = [line[:room] for line in screen_text(app).splitlines() if "river" in line]
        assert lines and max(len(line.rstrip()) for line in lines) <= left + view.text_width


async def test_w_sets_the_full_width_and_it_is_remembered(
    tmp_path: Path, clock: FixedClock, make_app: AppFactory
) -> None:
    """w once: the text takes the whole width, in this article and the next run; w
    again: the column is back."""
    store = AnnotationStore(tmp_path / "library.db", clock=clock)
    article = import_book(store)
    app = make_app(store, open_article=article)
    async with app.run_test(size=(160, 30)) as pilot:
        view = screen_of(app).view
        assert view.text_width == TEXT_COLUMN and not view.full_width
        await pilot.press("w")
        await settle(pilot)
        assert view.full_width and view.text_width > 140
        assert toasts(app)[-1] == "Full width"
    store.close()

    store = AnnotationStore(tmp_path / "library.db", clock=clock)
    app = make_app(store, open_article=article)
    async with app.run_test(size=(160, 30)) as pilot:
        view = screen_of(app).view
        assert view.full_width and view.text_width > 140
        await pilot.press("w")
        await settle(pilot)
        assert view.text_width == TEXT_COLUMN
        assert toasts(app)[-1] == "Text in a column of 80 cells"
    assert store.get_setting("text-width") == "column"
    store.close()


async def test_new_keys_are_in_the_help_and_the_palette(
    store: AnnotationStore, make_app: AppFactory
) -> None:
    article = import_book(store)
    app = make_app(store, open_article=article)
    async with app.run_test(size=(100, 44)) as pilot:
        await pilot.press("question_mark")
        await settle(pilot)
        shown = screen_text(app)
        assert "The table of contents: where you are, jump to a chapter" in shown
        assert "Go to a paragraph number or a percentage (:120, :50%)" in shown
        assert "Set the text across the whole width (remembered)" in shown
