"""Every screen and dialog in small terminals: nothing overlaps, nothing is cut mid-item."""

from __future__ import annotations

from itertools import combinations
from typing import Any

import pytest
from textual.containers import Vertical
from textual.geometry import Region
from textual.pilot import Pilot
from textual.screen import Screen
from textual.widget import Widget
from textual.widgets import Input, OptionList, TextArea

from annotations.models import Block, BlockKind, Document
from annotations.store import AnnotationStore
from reader.app import ReaderApp
from reader.dialogs.confirm import ConfirmDialog
from reader.dialogs.contents import ContentsDialog
from reader.dialogs.edit_article import EditArticleDialog
from reader.dialogs.goto import GotoDialog
from reader.dialogs.note import NoteDialog
from reader.dialogs.path import PathDialog
from reader.dialogs.rename_tag import RenameTagDialog
from reader.dialogs.tag import TagDialog
from reader.dialogs.tag_filter import TagFilterDialog
from reader.screens.annotations import AnnotationsScreen
from reader.screens.article import ArticleScreen
from reader.screens.help import HelpScreen
from reader.screens.search import SearchScreen
from reader.widgets.annotation_list import AnnotationList
from reader.widgets.article_table import ArticleTable
from reader.widgets.contents_list import ContentsList
from reader.widgets.fitted import FittedLines, Part, fit_parts
from reader.widgets.key_bar import KeyBar
from reader.widgets.paragraph_view import ParagraphView
from reader.widgets.status_line import StatusLine
from tests.tui.conftest import AppFactory, screen_text, typed

SMALL = (60, 20)
STANDARD = (80, 24)
LONG_TITLE = "The harbour master's account of every ship that came in 1911"
"""A title of 60 characters."""
TAGS = [f"topic-{number:02}" for number in range(30)]
"""Enough tags to fill the tag dialog's list of known tags and the tag filter."""
SEPARATORS = ("·", "•", "|", "-", "–", ",")


def small_library(store: AnnotationStore) -> dict[str, str]:
    """An article with a long title, author and date, three headings, annotated with tags
    and a note; it is the newest of two."""
    store.import_document(
        Document(
            title="Short one",
            blocks=(Block(BlockKind.PARAGRAPH, "The ferry waited at the quay."),),
            source="/notes/short.txt",
        )
    )
    article = store.import_document(
        Document(
            title=LONG_TITLE,
            author="Harbour Office of the Northern Isles",
            date="1911-06-30",
            blocks=tuple(
                Block(BlockKind.HEADING, f"The ships of week {n // 10} and what they carried", 1)
                if n in (10, 20, 30)
                else Block(BlockKind.PARAGRAPH, f"Ship number {n} came into the harbour. " * 6)
                for n in range(40)
            ),
            source="/notes/harbour.txt",
        )
    ).article
    tagged = store.add_highlight(
        article.id, (0, 0), (0, 40), tags=TAGS, note="A long note about ships. " * 20
    )
    store.add_highlight(article.id, (2, 0), (2, 30), color="green")
    return {"article": article.id, "tagged": tagged.id}


def screen_region(app: ReaderApp) -> Region:
    return Region(0, 0, *app.size)


def assert_on_screen(app: ReaderApp, *widgets: Widget) -> None:
    """Each widget is shown whole: not empty, and inside the terminal."""
    for widget in widgets:
        region = widget.region
        assert region.width > 0 and region.height > 0, f"{widget} has no room: {region}"
        assert screen_region(app).contains_region(region), f"{widget} is cut: {region}"


def assert_apart(*widgets: Widget) -> None:
    """No two of the widgets share a cell."""
    for first, second in combinations(widgets, 2):
        assert not first.region.overlaps(second.region), (
            f"{first} {first.region} overlaps {second} {second.region}"
        )


def assert_dialog_fits(app: ReaderApp) -> Widget:
    """The dialog's box is inside the terminal and shows every one of its parts whole."""
    box = app.screen.query_one(".dialog-box")
    assert_on_screen(app, box)
    if isinstance(box, Vertical):
        inside = box.content_region
        shown = [child for child in box.children if child.display]
        for child in shown:
            assert inside.contains_region(child.region), (
                f"{child} {child.region} is cut by its dialog {inside}"
            )
        assert_apart(*shown)
    return box


def assert_whole_items(line: str) -> None:
    """A line of items never ends in a separator or a space before one."""
    assert not line.rstrip().endswith(SEPARATORS), f"dangling separator: {line!r}"


def shown_lines(widget: Widget) -> list[str]:
    """The text of each line of a widget as drawn."""
    return [strip.text for strip in widget.render_lines(Region(0, 0, *widget.outer_size))]


async def settle(pilot: Pilot[Any]) -> None:
    await pilot.pause()
    await pilot.pause()


async def open_dialog(app: ReaderApp, pilot: Pilot[Any], key: str, kind: type[Screen[Any]]) -> None:
    """Press a key; the dialog it opens is of its kind and fits the terminal."""
    await pilot.press(key)
    await settle(pilot)
    assert isinstance(app.screen, kind)
    assert_dialog_fits(app)


# The parts of a line -------------------------------------------------------


def test_whole_parts_are_dropped_least_important_first() -> None:
    parts = [
        Part.text("The reader team", rank=3),
        Part.text("2026-11-29", rank=2),
        Part.text("1,001 words", rank=1),
    ]
    assert fit_parts(parts, 80).plain == "The reader team · 2026-11-29 · 1,001 words"
    assert fit_parts(parts, 40).plain == "The reader team · 2026-11-29"
    assert fit_parts(parts, 20).plain == "The reader team"
    assert fit_parts(parts, 10).plain == "The reade…"
    assert fit_parts(parts, 0).plain == ""


def test_equal_ranks_drop_from_the_right_and_parts_keep_their_separator() -> None:
    parts = [
        Part.text("reader", rank=1),
        Part.text("5 articles", rank=9, before="  "),
        Part.text("a", rank=0),
        Part.text("b", rank=0),
    ]
    assert fit_parts(parts, 80).plain == "reader  5 articles · a · b"
    assert fit_parts(parts, 22).plain == "reader  5 articles · a"
    assert fit_parts(parts, 12).plain == "5 articles"


def test_markup_in_a_part_is_text() -> None:
    assert fit_parts([Part.text("[bold]not markup[/]")], 40).plain == "[bold]not markup[/]"


# 60 x 20 -----------------------------------------------------------------------


async def test_library_and_its_dialogs_fit_a_small_terminal(
    store: AnnotationStore, make_app: AppFactory
) -> None:
    """The library, the import, export, edit, delete, tag filter and help dialogs at
    60x20: whole and apart."""
    ids = small_library(store)
    store.edit_article(ids["article"], tags=TAGS[:5])
    app = make_app(store)
    async with app.run_test(size=SMALL) as pilot:
        await settle(pilot)
        screen = app.screen
        summary = screen.query_one("#library-summary", FittedLines)
        table = screen.query_one(ArticleTable)
        keys = screen.query_one(KeyBar)
        assert_on_screen(app, summary, table, keys)
        assert_apart(summary, table, keys)
        assert_whole_items(shown_lines(summary)[0])
        assert table.title_width >= 30

        await open_dialog(app, pilot, "i", PathDialog)
        assert_on_screen(app, app.screen.query_one(Input))
        await pilot.press("escape")

        # The article with the long title is the newest.
        await open_dialog(app, pilot, "e", PathDialog)
        assert_on_screen(app, app.screen.query_one(Input))
        await pilot.press("escape")

        await open_dialog(app, pilot, "E", EditArticleDialog)
        for name in ("title", "author", "date", "tags"):
            assert_on_screen(app, app.screen.query_one(f"#edit-{name}", Input))
        await pilot.press("tab", "tab", "ctrl+u", *"June 1911", "enter")  # refused
        await settle(pilot)
        assert_dialog_fits(app)
        assert "is not YYYY, YYYY-MM or YYYY-MM-DD" in screen_text(app)
        await pilot.press("escape")

        await open_dialog(app, pilot, "d", ConfirmDialog)
        assert "and its 2 annotations?" in screen_text(app)
        await pilot.press("n")

        await open_dialog(app, pilot, "number_sign", TagFilterDialog)
        await pilot.press("escape")

        await open_dialog(app, pilot, "question_mark", HelpScreen)
        await pilot.press("escape")
        await settle(pilot)
        assert app.screen is screen


async def test_article_and_its_dialogs_fit_a_small_terminal(
    store: AnnotationStore, make_app: AppFactory
) -> None:
    """An article with its tag, note, confirm, contents and go-to dialogs and the find
    field at 60x20."""
    ids = small_library(store)
    app = make_app(store, open_article=ids["article"])
    async with app.run_test(size=SMALL) as pilot:
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, ArticleScreen)
        header = screen.query_one("#article-header", FittedLines)
        view = screen.query_one(ParagraphView)
        status = screen.query_one("#article-status", StatusLine)
        keys = screen.query_one(KeyBar)
        assert_on_screen(app, header, view, status, keys)
        assert_apart(header, view, status, keys)
        title, details = shown_lines(header)
        assert title.rstrip().endswith("…") and "The harbour master" in title
        assert_whole_items(details)
        assert details.strip() == "Harbour Office of the Northern Isles · 1911-06-30"
        await pilot.press("v", "j")
        assert_whole_items(shown_lines(status)[0])

        await pilot.press("escape", "g")  # back to the tagged highlight
        await open_dialog(app, pilot, "t", TagDialog)
        assert_on_screen(app, app.screen.query_one(Input))
        await pilot.press("escape")

        await open_dialog(app, pilot, "n", NoteDialog)
        editor = app.screen.query_one(TextArea)
        assert_on_screen(app, editor)
        assert editor.content_region.height >= 5, "the note editor has no room to write"
        await pilot.press("escape")

        # A highlight with tags and a note: asks first.
        await open_dialog(app, pilot, "h", ConfirmDialog)
        await pilot.press("n")
        await settle(pilot)

        await pilot.press("slash")
        await settle(pilot)
        field = screen.query_one("#find", Input)
        assert field.has_focus
        assert_on_screen(app, field)
        assert_apart(field, status, keys)
        await pilot.press("escape")

        await open_dialog(app, pilot, "o", ContentsDialog)
        assert_on_screen(app, app.screen.query_one(ContentsList))
        await pilot.press("slash", *"week")
        await settle(pilot)
        assert_dialog_fits(app)
        await pilot.press("escape", "escape")

        await open_dialog(app, pilot, "colon", GotoDialog)
        await pilot.press(*"far away", "enter")
        await settle(pilot)
        assert_dialog_fits(app)
        assert "'far away' is not a paragraph number or a percentage" in screen_text(app)
        await pilot.press("escape")

        await open_dialog(app, pilot, "question_mark", HelpScreen)
        await pilot.press("escape")
        await settle(pilot)
        assert app.screen is screen


async def test_lists_and_their_dialogs_fit_a_small_terminal(
    store: AnnotationStore, make_app: AppFactory
) -> None:
    """The annotations list with the tag filter, rename and delete dialogs, and the search."""
    small_library(store)
    app = make_app(store)
    async with app.run_test(size=SMALL) as pilot:
        await settle(pilot)
        await pilot.press("a")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, AnnotationsScreen)
        header = screen.query_one("#annotations-header", FittedLines)
        field = screen.query_one("#annotations-filter", Input)
        listing = screen.query_one(AnnotationList)
        keys = screen.query_one(KeyBar)
        assert_on_screen(app, header, field, listing, keys)
        assert_apart(header, field, listing, keys)
        await pilot.press("slash")
        await typed(pilot, *"ships that came in")
        assert_whole_items(shown_lines(header)[0])
        await pilot.press("escape")

        await open_dialog(app, pilot, "number_sign", TagFilterDialog)
        choices = app.screen.query_one(OptionList)
        assert_on_screen(app, app.screen.query_one(Input), choices)
        await pilot.press(*["down"] * 12)
        highlighted = choices.highlighted
        assert highlighted is not None
        await pilot.press("escape")

        app.action_rename_tag()
        await settle(pilot)
        assert isinstance(app.screen, RenameTagDialog)
        assert_dialog_fits(app)
        for name in ("#rename-old", "#rename-new"):
            assert_on_screen(app, app.screen.query_one(name, Input))
        await pilot.press("escape")

        await open_dialog(app, pilot, "d", ConfirmDialog)
        await pilot.press("n")

        await pilot.press("escape")
        await settle(pilot)
        await pilot.press("slash")
        await typed(pilot, *"harbour")
        search = app.screen
        assert isinstance(search, SearchScreen)
        query = search.query_one("#search-query", Input)
        status = search.query_one("#search-status", StatusLine)
        results = search.query_one("#search-results", OptionList)
        keys = search.query_one(KeyBar)
        assert_on_screen(app, query, status, results, keys)
        assert_apart(query, status, results, keys)
        assert_whole_items(shown_lines(status)[0])
        # A result's first line keeps its paragraph and kind: the title is cut instead.
        lines = screen_text(app).splitlines()
        assert any("…  ¶1  text" in line for line in lines)


@pytest.mark.parametrize("size", [SMALL, STANDARD, (40, 14)])
async def test_every_screen_opens_without_error(
    store: AnnotationStore, make_app: AppFactory, size: tuple[int, int]
) -> None:
    """Every screen and dialog opens and closes at any of these sizes."""
    ids = small_library(store)
    app = make_app(store)
    async with app.run_test(size=size) as pilot:
        for keys in (
            ["i"],
            ["e"],
            ["question_mark"],
            ["a", "number_sign"],
            ["a", "d"],
            ["slash", *"ship"],
            ["enter", "t"],
            ["enter", "n"],
            ["enter", "h"],
            ["enter", "o"],
            ["enter", "colon"],
        ):
            await pilot.press(*keys)
            await settle(pilot)
            assert app.screen.query(".dialog-box") or isinstance(app.screen, SearchScreen)
            await pilot.press("escape", "escape", "escape")
            await settle(pilot)
        app.action_rename_tag()
        await settle(pilot)
        assert isinstance(app.screen, RenameTagDialog)
        assert app.is_running
    assert ids


# 80 x 24 -----------------------------------------------------------------------


async def test_the_standard_terminal_gives_the_title_the_room(
    store: AnnotationStore, make_app: AppFactory
) -> None:
    """At 80x24 the library's title column takes what the numbers leave: a 60-character
    title loses only its end, and every column is still shown."""
    ids = small_library(store)
    app = make_app(store)
    async with app.run_test(size=STANDARD) as pilot:
        await settle(pilot)
        table = app.screen.query_one(ArticleTable)
        assert table.shown_columns[0] == "Title" and len(table.shown_columns) == 5
        assert table.title_width >= 45
        row = next(line for line in screen_text(app).splitlines() if "The harbour" in line)
        assert LONG_TITLE[: table.title_width - 1] in row
        assert "1911-06-30" in row
        summary = app.screen.query_one("#library-summary", FittedLines)
        assert_whole_items(shown_lines(summary)[0])

        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, ArticleScreen) and app.screen.article_id == ids["article"]
        title, details = shown_lines(app.screen.query_one("#article-header", FittedLines))
        assert title.strip() == LONG_TITLE
        assert_whole_items(details)
        assert details.strip().startswith("Harbour Office of the Northern Isles · 1911-06-30")


async def test_short_titles_leave_the_long_headings(
    store: AnnotationStore, make_app: AppFactory
) -> None:
    """With room to spare the headings are whole words; the title column gets the rest."""
    store.import_document(
        Document(
            title="Short one",
            blocks=(Block(BlockKind.PARAGRAPH, "The ferry waited at the quay."),),
            source="/notes/short.txt",
        )
    )
    app = make_app(store)
    async with app.run_test(size=STANDARD) as pilot:
        await settle(pilot)
        table = app.screen.query_one(ArticleTable)
        assert table.shown_columns == ["Title", "Date", "Words", "Annotations", "Read"]
        heading = screen_text(app).splitlines()[1]
        assert heading.rstrip().endswith("Annotations Read")
