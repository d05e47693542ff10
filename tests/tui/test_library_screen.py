"""The library screen, driven headless."""

from __future__ import annotations

from pathlib import Path

import pytest
from rich.cells import cell_len
from textual.widgets import Input

from annotations.models import Block, BlockKind, Document
from annotations.store import AnnotationStore
from reader.app import ReaderApp
from reader.dialogs.path import PathDialog
from reader.screens.article import ArticleScreen
from reader.screens.help import HelpScreen
from reader.screens.library import ORDER_SETTING, ORDERS, LibraryScreen
from reader.widgets.article_table import ArticleTable, progress_label
from tests.conftest import FixedClock
from tests.tui.conftest import AppFactory, article_id, screen_text, typed

SIZE = (100, 30)
MANY = 2_000
"""Articles in the big library: twenty pages of the table."""


def row_text(app: ReaderApp, title: str) -> str:
    """The line of the screen that shows an article's title."""
    return next(line for line in screen_text(app).splitlines() if title in line)


def add_articles(store: AnnotationStore, count: int) -> list[str]:
    """Articles `Article 00001` and up, one paragraph each, in one transaction; their ids."""
    with store.transaction():
        return [
            store.import_document(
                Document(
                    title=f"Article {number:05}",
                    blocks=(Block(BlockKind.PARAGRAPH, f"Text of article {number}."),),
                    source=f"/many/{number}.txt",
                )
            ).article.id
            for number in range(1, count + 1)
        ]


@pytest.fixture
def big_library(file_store: AnnotationStore) -> AnnotationStore:
    """A library of `MANY` articles, the last one imported shown first."""
    add_articles(file_store, MANY)
    return file_store


async def test_first_screen_lists_samples(library: AnnotationStore, make_app: AppFactory) -> None:
    """The first screen lists the bundled articles, Welcome on top, with their figures."""
    app = make_app(library)
    async with app.run_test(size=SIZE):
        assert isinstance(app.screen, LibraryScreen)
        table = app.screen.query_one(ArticleTable)
        assert table.row_count == len(library.list_articles()) >= 4
        assert table.selected_id == article_id(library, "Welcome")
        shown = screen_text(app)
    assert "Welcome to reader" in shown
    assert "Words" in shown and "Annotations" in shown and "Read" in shown


async def test_enter_opens_selected_article(library: AnnotationStore, make_app: AppFactory) -> None:
    """j moves down the list and enter opens the article under the cursor."""
    app = make_app(library)
    async with app.run_test(size=SIZE) as pilot:
        table = app.screen.query_one(ArticleTable)
        await pilot.press("j")
        second = table.selected_id
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, ArticleScreen)
        assert app.screen.article_id == second


async def test_counts_update_after_annotating(
    library: AnnotationStore, make_app: AppFactory
) -> None:
    """Back in the library, the article's annotation count and progress are current."""
    app = make_app(library)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("enter")
        await pilot.pause()
        await pilot.press("h", "j", "j", "h", "escape")
        await pilot.pause()
        table = app.screen.query_one(ArticleTable)
        assert table.selected_id == article_id(library, "Welcome")
        read = progress_label(library.get_article(article_id(library, "Welcome")))
        assert read.endswith("%") and read != "0%"
        assert row_text(app, "Welcome to reader").split()[-2:] == ["2", read]


async def test_i_imports_a_file(
    library: AnnotationStore, make_app: AppFactory, tmp_path: Path
) -> None:
    """i asks for a path and imports the file in the background."""
    source = tmp_path / "new.txt"
    source.write_text("A fresh article\n\nIts only paragraph.\n", encoding="utf-8")
    app = make_app(library)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("i")
        assert isinstance(app.screen, PathDialog)
        await pilot.press(*str(source), "enter")
        await app.workers.wait_for_complete()
        await pilot.pause()
        table = app.screen.query_one(ArticleTable)
        assert table.selected_id == article_id(library, "A fresh article")


async def test_question_mark_lists_keys(library: AnnotationStore, make_app: AppFactory) -> None:
    """? shows a help screen with the keys of the screen below it."""
    app = make_app(library, open_article=article_id(library, "Welcome"))
    async with app.run_test(size=(100, 50)) as pilot:
        await pilot.press("question_mark")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        shown = screen_text(app)
        for description in ("Highlight", "Tag this passage", "Write a note", "Back to the library"):
            assert description in shown
        await pilot.press("escape")
        assert isinstance(app.screen, ArticleScreen)


async def test_q_quits(library: AnnotationStore, make_app: AppFactory) -> None:
    """q on the library leaves the app."""
    app = make_app(library)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("q")
        await pilot.pause()
        assert not app.is_running


async def test_empty_library_says_how_to_import(
    file_store: AnnotationStore, make_app: AppFactory
) -> None:
    """An empty library shows how to import instead of an empty table."""
    app = make_app(file_store)
    async with app.run_test(size=SIZE):
        assert "Press i to import" in screen_text(app)


async def test_theme_is_remembered(library: AnnotationStore, make_app: AppFactory) -> None:
    """A theme chosen in the app is used again at the next start."""
    app = make_app(library)
    async with app.run_test(size=SIZE) as pilot:
        app.theme = "nord"
        await pilot.pause()
    app = make_app(library)
    async with app.run_test(size=SIZE):
        assert app.theme == "nord"


async def test_moving_through_the_list(library: AnnotationStore, make_app: AppFactory) -> None:
    """j/k and arrows move by one row, G/end and g/home go to the ends, and stop there."""
    ids = [article.id for article in library.list_articles()]
    app = make_app(library)
    async with app.run_test(size=SIZE) as pilot:
        table = app.screen.query_one(ArticleTable)
        await pilot.press("k")
        assert table.selected_id == ids[0]
        await pilot.press("j", "down")
        assert table.selected_id == ids[2]
        await pilot.press("up")
        assert table.selected_id == ids[1]
        await pilot.press("G")
        assert table.selected_id == ids[-1]
        await pilot.press("j")
        assert table.selected_id == ids[-1]
        await pilot.press("g")
        assert table.selected_id == ids[0]
        await pilot.press("end")
        assert table.cursor_row == len(ids) - 1
        await pilot.press("home")
        assert table.cursor_row == 0


async def test_click_selects_and_double_click_opens(
    library: AnnotationStore, make_app: AppFactory
) -> None:
    """A click puts the cursor on a row; a second click on it opens the article."""
    third = library.list_articles()[2].id
    app = make_app(library)
    async with app.run_test(size=SIZE) as pilot:
        table = app.screen.query_one(ArticleTable)
        await pilot.click(ArticleTable, offset=(5, 3))  # the heading, then rows 0, 1, 2
        assert table.selected_id == third
        assert isinstance(app.screen, LibraryScreen)
        await pilot.click(ArticleTable, offset=(5, 3), times=2)
        await pilot.pause()
        assert isinstance(app.screen, ArticleScreen)
        assert app.screen.article_id == third


async def test_o_cycles_the_order_shows_it_and_remembers_it(
    library: AnnotationStore, make_app: AppFactory
) -> None:
    """Each o sorts the next way, said in the summary line; the next start keeps it."""
    app = make_app(library)
    async with app.run_test(size=SIZE) as pilot:
        table = app.screen.query_one(ArticleTable)
        assert "newest first" in screen_text(app)
        for order, label in list(ORDERS.items())[1:]:
            await pilot.press("o")
            assert label in screen_text(app)
            assert library.get_setting(ORDER_SETTING) == order
            if order == "title":
                titles = sorted(a.title.casefold() for a in library.list_articles())
                assert table.selected is not None
                await pilot.press("g")
                assert table.selected.title.casefold() == titles[0]
                await pilot.press("G")
                assert table.selected.title.casefold() == titles[-1]
    app = make_app(library)
    async with app.run_test(size=SIZE) as pilot:
        assert ORDERS["annotations"] in screen_text(app)
        await pilot.press("o")
        assert "newest first" in screen_text(app)
        assert library.get_setting(ORDER_SETTING) == "added"


async def test_f_filters_as_you_type_and_escape_clears(
    library: AnnotationStore, make_app: AppFactory
) -> None:
    """f shows the filter; typing narrows the list; escape clears it and keeps the article."""
    plain = article_id(library, "Why plain text")
    total = library.count_articles()
    app = make_app(library)
    async with app.run_test(size=SIZE) as pilot:
        table = app.screen.query_one(ArticleTable)
        box = app.screen.query_one("#library-filter", Input)
        assert not box.display
        await pilot.press("f")
        assert box.display and box.has_focus
        await typed(pilot, *"PLAIN")
        assert table.row_count == 1 and table.selected_id == plain
        assert f"1 of {total} articles · “PLAIN”" in screen_text(app)
        await pilot.press("enter")
        assert table.has_focus and box.display
        await pilot.press("escape")
        await pilot.pause()
        assert not box.display and table.has_focus
        assert table.row_count == total
        assert table.selected_id == plain  # still on the article it was on
        await pilot.press("f")
        await typed(pilot, *"no such words")
        assert table.row_count == 0
        assert "No article's title or author contains that" in screen_text(app)
        await pilot.press("escape")
        await pilot.pause()
        assert table.row_count == total
        assert "Welcome to reader" in screen_text(app)


async def test_returning_from_an_article_keeps_it_selected(
    library: AnnotationStore, make_app: AppFactory
) -> None:
    """Sorted by last read, the article just read moves to the top, the cursor with it."""
    library.set_setting(ORDER_SETTING, "opened")
    app = make_app(library)
    async with app.run_test(size=SIZE) as pilot:
        table = app.screen.query_one(ArticleTable)
        await pilot.press("j", "j")
        chosen = table.selected_id
        assert table.cursor_row == 2
        await pilot.press("enter")
        await pilot.pause()
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, LibraryScreen)
        assert table.selected_id == chosen
        assert table.cursor_row == 0


async def test_big_library_scrolls_to_the_end_and_opens_from_a_later_page(
    big_library: AnnotationStore, make_app: AppFactory
) -> None:
    """In 2,000 articles G shows the last title; enter opens the article under the cursor."""
    app = make_app(big_library)
    async with app.run_test(size=SIZE) as pilot:
        table = app.screen.query_one(ArticleTable)
        assert table.row_count == MANY
        assert "Article 02000" in screen_text(app)
        await pilot.press("G")
        await pilot.pause()
        shown = screen_text(app)
        assert "Article 00001" in shown and "Article 02000" not in shown
        await pilot.press("k", "pageup")
        await pilot.pause()
        chosen = table.selected
        assert chosen is not None
        number = int(chosen.title.split()[1])
        assert 2 < number < 40  # a screen up from the end
        assert chosen.title in screen_text(app)
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, ArticleScreen)
        assert app.screen.article_id == chosen.id


async def test_big_library_keeps_selection_after_an_import(
    big_library: AnnotationStore, make_app: AppFactory, tmp_path: Path
) -> None:
    """After an import the list is read again: the new article is there and selected."""
    source = tmp_path / "late.txt"
    source.write_text("A late arrival\n\nIts only paragraph.\n", encoding="utf-8")
    big_library.set_setting(ORDER_SETTING, "title")
    app = make_app(big_library)
    async with app.run_test(size=SIZE) as pilot:
        table = app.screen.query_one(ArticleTable)
        await pilot.press("G")
        assert table.selected is not None and table.selected.title == "Article 02000"
        app.screen.start_import(source)
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert table.row_count == MANY + 1
        assert table.selected is not None and table.selected.title == "A late arrival"
        assert table.cursor_row == 0  # "A late…" before "Article…"
        assert f"{MANY + 1:,} articles" in screen_text(app)


async def test_wide_titles_keep_the_columns_in_place(
    file_store: AnnotationStore, make_app: AppFactory
) -> None:
    """Titles in wide characters are cut by screen cells, so the columns stay aligned."""
    for number, title in enumerate(["古い駅舎の再生と町の記憶" * 8, "Short title", "Ü" * 200]):
        file_store.import_document(
            Document(
                title=title,
                blocks=(Block(BlockKind.PARAGRAPH, "Some words."),),
                source=f"/wide/{number}.txt",
                date="2024-05-06",
            )
        )
    app = make_app(file_store)
    async with app.run_test(size=SIZE):
        lines = [line for line in screen_text(app).splitlines() if "2024-05-06" in line]
        assert len(lines) == 3
        columns = {cell_len(line[: line.index("2024-05-06")]) for line in lines}
        assert len(columns) == 1
        assert any("…" in line and "古い駅舎" in line for line in lines)


async def test_without_a_saved_order_newest_comes_first(clock: FixedClock, tmp_path: Path) -> None:
    """Without a saved order the list is newest first, as `list_articles`."""
    store = AnnotationStore(tmp_path / "fresh.db", clock=clock)
    ids = add_articles(store, 3)
    app = ReaderApp(store, export_folder=tmp_path / "exports")
    async with app.run_test(size=SIZE):
        table = app.screen.query_one(ArticleTable)
        assert [table.article(i).id for i in range(3)] == list(reversed(ids))  # type: ignore[union-attr]


def test_the_summary_names_a_library_in_the_home_folder_with_a_tilde(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """`~/.local/share/reader/library.db`, not the whole path; elsewhere, the whole path."""
    from reader.screens.library import shown_path

    monkeypatch.setenv("HOME", str(tmp_path))
    assert shown_path(tmp_path / ".local" / "library.db") == "~/.local/library.db"
    assert shown_path(Path("/srv/library.db")) == "/srv/library.db"
    assert shown_path(None) == "memory"
