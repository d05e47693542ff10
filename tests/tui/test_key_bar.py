"""The key bar at the bottom of every screen, and screens that read the library again
only when it changed."""

from __future__ import annotations

from pathlib import Path

from annotations.store import AnnotationStore
from reader.dialogs.tag import TagDialog
from reader.screens.annotations import AnnotationsScreen
from reader.screens.article import ArticleScreen
from reader.screens.search import SearchScreen
from reader.widgets.key_bar import KeyBar
from tests.tui.conftest import AppFactory, article_id, screen_text

SIZE = (100, 30)


def bar_text(app: object) -> str:
    """The key bar's line as shown."""
    return screen_text(app).splitlines()[-1]  # type: ignore[arg-type]


async def test_bar_follows_the_screen_and_its_focus(
    library: AnnotationStore, make_app: AppFactory
) -> None:
    """Each screen shows its own keys; the find field shows only what works in it."""
    app = make_app(library)
    async with app.run_test(size=SIZE) as pilot:
        bar = bar_text(app)
        assert "q Quit" in bar and "a Annotations" in bar and "^p palette" in bar
        await pilot.press("enter")
        assert isinstance(app.screen, ArticleScreen)
        assert "h Highlight" in bar_text(app) and "q Quit" not in bar_text(app)
        await pilot.press("slash")
        assert "h Highlight" not in bar_text(app) and "esc Close find" in bar_text(app)
        await pilot.press("escape")
        assert "h Highlight" in bar_text(app)


async def test_clicking_a_key_presses_it(library: AnnotationStore, make_app: AppFactory) -> None:
    app = make_app(library)
    async with app.run_test(size=SIZE) as pilot:
        bar = bar_text(app)
        await pilot.click(KeyBar, offset=(bar.index("Search"), 0))
        await pilot.pause()
        assert isinstance(app.screen, SearchScreen)
        await pilot.click(KeyBar, offset=(bar_text(app).index("Back"), 0))
        await pilot.pause()
        assert not isinstance(app.screen, SearchScreen)


async def test_change_made_elsewhere_while_a_dialog_is_open_is_shown(
    library: AnnotationStore, library_path: Path, make_app: AppFactory
) -> None:
    """Closing a dialog shows what another process wrote meanwhile (and nothing is read
    again when nothing changed, which only a timing can show: see benchmarks/lists.py)."""
    welcome = article_id(library, "Welcome")
    app = make_app(library, open_article=welcome)
    other = AnnotationStore(library_path)
    try:
        async with app.run_test(size=SIZE) as pilot:
            assert "0 annotations" in screen_text(app)
            await pilot.press("t")
            assert isinstance(app.screen, TagDialog)
            other.add_highlight(welcome, (1, 0), (1, 5), note="written elsewhere")
            await pilot.press("escape")
            assert isinstance(app.screen, ArticleScreen)
            assert "1 annotation" in screen_text(app)
            # The annotations list, left and come back to, counts it too.
            await pilot.press("escape", "a")
            assert isinstance(app.screen, AnnotationsScreen)
            other.add_highlight(welcome, (2, 0), (2, 5))
            await pilot.press("question_mark")
            await pilot.press("escape")
            assert isinstance(app.screen, AnnotationsScreen)
            assert "2 annotations" in screen_text(app)
    finally:
        other.close()
