"""The key bar offers only what the keys do in the present state: after each key, the
keys it shows (and which of them are dimmed) follow the filter, the list, the
selection, the find and the way of moving. (The running import: tests/tui/test_import.py.)"""

from __future__ import annotations

from pathlib import Path

from annotations.models import Block, BlockKind, Document
from annotations.store import AnnotationStore
from reader.dialogs.tag_filter import TagFilterDialog
from reader.screens.annotations import AnnotationsScreen
from reader.screens.article import ArticleScreen
from reader.screens.library import LibraryScreen
from reader.screens.search import SearchScreen
from tests.tui.conftest import AppFactory, article_id, bar_keys, screen_text, typed

SIZE = (170, 30)
"""Wide enough for every key of every state in the bar."""

LIBRARY_KEYS = {
    "⏎": ("Open", True),
    "/": ("Search", True),
    "a": ("Annotations", True),
    "i": ("Import", True),
    "s": ("Shelf", True),
    "e": ("Export", True),
    "E": ("Edit", True),
    "x": ("Archive", True),
    "d": ("Delete", True),
    "#": ("Tag", True),
    "o": ("Sort", True),
    "f": ("Filter", True),
    "q": ("Quit", True),
    "?": ("Keys", True),
}
"""The library's keys with nothing going on."""
ARTICLE_KEYS = {
    "h": ("Highlight", True),
    "s": ("Sentences", True),
    "v": ("Select", True),
    "/": ("Find", True),
    "t": ("Tag", True),
    "n": ("Note", True),
    "o": ("Contents", True),
    "esc": ("Back", True),
    "?": ("Keys", True),
}
"""The article's keys with nothing going on."""


def bar_line(app: object) -> str:
    """The key bar as drawn."""
    return screen_text(app).splitlines()[-1]  # type: ignore[arg-type]


def tagged_store(store: AnnotationStore) -> str:
    """One article with a tag and a tagged highlight; returns its id."""
    article = store.import_document(
        Document(
            title="Harbour notes",
            blocks=(
                Block(BlockKind.PARAGRAPH, "The harbour was quiet in the early morning."),
                Block(BlockKind.PARAGRAPH, "Nobody walked on the quay before the ferry came."),
            ),
            source="/notes/harbour.txt",
            tags=("harbour",),
        )
    ).article
    store.add_highlight(article.id, (0, 0), (0, 11), tags=["sea"])
    return article.id


# The library ------------------------------------------------------------------------


async def test_escape_after_the_filter_is_cleared_is_no_longer_offered(
    library: AnnotationStore, make_app: AppFactory
) -> None:
    """f, words, enter, escape, escape: "esc Clear filter" goes with the filter."""
    app = make_app(library)
    async with app.run_test(size=SIZE) as pilot:
        assert bar_keys(app) == LIBRARY_KEYS
        await pilot.press("f")
        # Typing: the field takes the letters (and "/"); escape clears the filter.
        assert bar_keys(app) == {"esc": ("Clear filter", True)}
        await typed(pilot, *"light")
        assert bar_keys(app) == {"esc": ("Clear filter", True)}
        await pilot.press("enter")
        assert bar_keys(app) == {**LIBRARY_KEYS, "esc": ("Clear filter", True)}
        assert "esc Clear filter" in bar_line(app)
        await pilot.press("escape")
        assert bar_keys(app) == LIBRARY_KEYS
        assert "Clear filter" not in bar_line(app)
        await pilot.press("escape")
        assert isinstance(app.screen, LibraryScreen)
        assert bar_keys(app) == LIBRARY_KEYS
        assert "esc" not in bar_line(app)
        # Escape straight from the field hides it too.
        await pilot.press("f")
        await typed(pilot, *"welc")
        await pilot.press("escape")
        assert bar_keys(app) == LIBRARY_KEYS


async def test_an_empty_list_dims_open_and_export(
    library: AnnotationStore, make_app: AppFactory
) -> None:
    """A filter that matches nothing dims enter, e, E, d and x (they would do nothing);
    clearing it brings them back."""
    app = make_app(library)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("f")
        await typed(pilot, *"zzzz")
        await pilot.press("enter")
        keys = bar_keys(app)
        assert keys["⏎"] == ("Open", False) and keys["e"] == ("Export", False)
        assert keys["E"] == ("Edit", False) and keys["d"] == ("Delete", False)
        assert keys["x"] == ("Archive", False)
        await pilot.press("enter", "e", "E", "d", "x")
        assert isinstance(app.screen, LibraryScreen)  # no article, no dialog
        await pilot.press("escape")
        assert bar_keys(app) == LIBRARY_KEYS


async def test_an_empty_library_dims_open_and_export(
    store: AnnotationStore, make_app: AppFactory
) -> None:
    """With no article at all, only enter, e, E, x, d and # are dimmed; the rest work.
    An article that another process adds, once the list is read again, brings them back."""
    app = make_app(store)
    async with app.run_test(size=SIZE) as pilot:
        assert bar_keys(app) == {
            **LIBRARY_KEYS,
            "⏎": ("Open", False),
            "e": ("Export", False),
            "E": ("Edit", False),
            "x": ("Archive", False),
            "d": ("Delete", False),
            "#": ("Tag", False),
        }
        tagged_store(store)
        screen = app.screen
        assert isinstance(screen, LibraryScreen)
        screen.reload_from_library()
        await pilot.pause()
        assert bar_keys(app) == LIBRARY_KEYS


async def test_an_import_into_an_empty_library_brings_open_and_export(
    store: AnnotationStore, make_app: AppFactory, tmp_path: Path
) -> None:
    """The first article imported makes enter and e work again."""
    path = tmp_path / "note.txt"
    path.write_text("A first note\n\nIt has a paragraph of its own.\n", "utf-8")
    app = make_app(store)
    async with app.run_test(size=SIZE) as pilot:
        screen = app.screen
        assert isinstance(screen, LibraryScreen)
        assert bar_keys(app)["⏎"] == ("Open", False)
        screen.start_import(path)
        await app.workers.wait_for_complete()
        await pilot.pause()
        keys = bar_keys(app)
        assert keys["⏎"] == ("Open", True) and keys["e"] == ("Export", True)


# The article --------------------------------------------------------------------------


async def test_selection_offers_cancelling_it(
    library: AnnotationStore, make_app: AppFactory
) -> None:
    """v: escape cancels the selection (v is no longer "Select"); escape or a highlight
    ends it and the bar is as before."""
    app = make_app(library, open_article=article_id(library, "Welcome"))
    async with app.run_test(size=SIZE) as pilot:
        assert bar_keys(app) == ARTICLE_KEYS
        await pilot.press("v")
        keys = bar_keys(app)
        assert keys["esc"] == ("Cancel selection", True)
        assert "v" not in keys and "Select " not in bar_line(app)
        await pilot.press("j")
        assert bar_keys(app) == keys
        await pilot.press("escape")
        assert isinstance(app.screen, ArticleScreen)
        assert bar_keys(app) == ARTICLE_KEYS
        await pilot.press("v", "j", "h")  # highlighting the selection ends it
        assert app.screen.view.selection_anchor is None
        assert bar_keys(app) == ARTICLE_KEYS
        await pilot.press("v", "v")  # v again cancels it too
        assert app.screen.view.selection_anchor is None
        assert bar_keys(app) == ARTICLE_KEYS


async def test_sentence_mode_offers_paragraphs(
    library: AnnotationStore, make_app: AppFactory
) -> None:
    """s says what it switches to: sentences, then paragraphs."""
    app = make_app(library, open_article=article_id(library, "Welcome"))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("s")
        assert app.screen.view.sentence_mode
        assert bar_keys(app) == {**ARTICLE_KEYS, "s": ("Paragraphs", True)}
        assert "s Paragraphs" in bar_line(app)
        await pilot.press("s")
        assert not app.screen.view.sentence_mode
        assert bar_keys(app) == ARTICLE_KEYS


async def test_find_offers_closing_then_clearing(
    library: AnnotationStore, make_app: AppFactory
) -> None:
    """/: escape closes the field; after a find that matched, escape clears the matches
    (before cancelling a selection), then goes back."""
    app = make_app(library, open_article=article_id(library, "Welcome"))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("slash")
        assert bar_keys(app) == {"esc": ("Close find", True)}  # "/" types into the field
        await pilot.press(*"the", "enter")
        screen = app.screen
        assert isinstance(screen, ArticleScreen) and screen.view.matches
        assert bar_keys(app) == {**ARTICLE_KEYS, "esc": ("Clear find", True)}
        await pilot.press("v")
        assert bar_keys(app)["esc"] == ("Clear find", True)
        await pilot.press("escape")
        assert not screen.view.matches
        assert bar_keys(app)["esc"] == ("Cancel selection", True)
        await pilot.press("escape")
        assert screen.view.selection_anchor is None
        assert bar_keys(app) == ARTICLE_KEYS
        # A find that matches nothing leaves nothing to clear.
        await pilot.press("slash", *"qqqqzz", "enter")
        assert not screen.view.matches
        assert bar_keys(app) == ARTICLE_KEYS
        # Closing the field keeps the article open.
        await pilot.press("slash", "escape")
        assert app.screen is screen and bar_keys(app) == ARTICLE_KEYS
        await pilot.press("escape")
        assert isinstance(app.screen, LibraryScreen)


# The annotations list --------------------------------------------------------------------


async def test_annotations_escape_clears_filters_then_goes_back(
    store: AnnotationStore, make_app: AppFactory
) -> None:
    """escape offers clearing the filters while there are some (words being typed, words,
    a tag), else going back."""
    tagged_store(store)
    app = make_app(store)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("a")
        screen = app.screen
        assert isinstance(screen, AnnotationsScreen)
        back = bar_keys(app)
        assert back["esc"] == ("Back", True) and back["d"] == ("Delete", True)
        await pilot.press("slash")
        assert bar_keys(app) == {"esc": ("Back", True)}
        await pilot.press("h")  # as soon as there is a word, before the list follows it
        assert bar_keys(app) == {"esc": ("Clear filters", True)}
        await pilot.press("backspace")
        assert bar_keys(app) == {"esc": ("Back", True)}
        await typed(pilot, *"harbour")
        await pilot.press("enter")
        assert bar_keys(app) == {**back, "esc": ("Clear filters", True)}
        await pilot.press("escape")
        assert app.screen is screen and not screen.text
        assert bar_keys(app) == back
        # A tag filter too.
        await pilot.press("number_sign")
        assert isinstance(app.screen, TagFilterDialog)
        await pilot.press(*"sea", "enter")
        await pilot.pause()
        assert app.screen is screen and screen.tag == "sea"
        assert bar_keys(app) == {**back, "esc": ("Clear filters", True)}
        await pilot.press("escape")
        assert app.screen is screen and screen.tag is None
        assert bar_keys(app) == back
        await pilot.press("escape")
        assert isinstance(app.screen, LibraryScreen)


async def test_annotations_empty_list_dims_open_and_delete(
    store: AnnotationStore, make_app: AppFactory
) -> None:
    """No annotation shown: enter and d are dimmed; words that match one bring them back."""
    tagged_store(store)
    app = make_app(store)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("a", "slash")
        await typed(pilot, *"zzzz")
        await pilot.press("enter")
        keys = bar_keys(app)
        assert keys["⏎"] == ("Open", False) and keys["d"] == ("Delete", False)
        await pilot.press("enter", "d")
        assert isinstance(app.screen, AnnotationsScreen)  # no article, no question
        await pilot.press("slash", *["backspace"] * 4)
        await typed(pilot, *"harb")
        await pilot.press("enter")
        keys = bar_keys(app)
        assert keys["⏎"] == ("Open", True) and keys["d"] == ("Delete", True)


async def test_annotations_of_an_empty_library(
    store: AnnotationStore, make_app: AppFactory
) -> None:
    """No annotation at all: enter and d are dimmed from the start."""
    app = make_app(store)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("a")
        assert isinstance(app.screen, AnnotationsScreen)
        keys = bar_keys(app)
        assert keys["⏎"] == ("Open", False) and keys["d"] == ("Delete", False)
        assert keys["esc"] == ("Back", True)


# Search -----------------------------------------------------------------------------------


async def test_search_offers_back_whatever_the_results(
    library: AnnotationStore, make_app: AppFactory
) -> None:
    """The search has one key in its bar, escape back, with or without results."""
    app = make_app(library)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("slash")
        assert isinstance(app.screen, SearchScreen)
        assert bar_keys(app) == {"esc": ("Back", True)}
        await typed(pilot, *"lighthouse")
        assert app.screen.hits
        assert bar_keys(app) == {"esc": ("Back", True)}
        await typed(pilot, *"qqqzz")
        assert not app.screen.hits
        assert bar_keys(app) == {"esc": ("Back", True)}
        await pilot.press("escape")
        assert isinstance(app.screen, LibraryScreen)
