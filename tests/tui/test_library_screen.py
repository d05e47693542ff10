"""The library screen, driven headless."""

from __future__ import annotations

from pathlib import Path

from annotations.store import AnnotationStore
from reader.screens.article import ArticleScreen
from reader.screens.help import HelpScreen
from reader.screens.library import LibraryScreen
from reader.screens.path_dialog import PathDialog
from reader.widgets.article_table import ArticleTable
from tests.tui.conftest import AppFactory, article_id, screen_text

SIZE = (100, 30)


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
        row = table.get_row(table.selected_id)
        assert str(row[3]) == "2"
        assert str(row[4]).endswith("%")


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
