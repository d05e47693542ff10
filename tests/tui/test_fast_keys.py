"""Keys faster than the screens, and a library changed under them: the app goes on.

Each test is a sequence that ended the app with a traceback: keys queued before a
dialog had closed (a second enter popped the screen below it), a command run against
a screen that had gone, the command palette paged before its list was laid out, an
annotation deleted by another process and then coloured, tagged or noted.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path

from annotations.store import AnnotationStore
from reader.app import ReaderApp
from reader.dialogs.note import NoteDialog
from reader.dialogs.path import PathDialog
from reader.dialogs.tag import TagDialog
from reader.screens.annotations import AnnotationsScreen
from reader.screens.article import ArticleScreen
from reader.screens.base import Dialog
from reader.screens.library import LibraryScreen
from reader.screens.palette import ReaderPalette
from reader.widgets.paragraph_view import ParagraphView
from tests.tui.conftest import AppFactory, article_id, fast_keys, toasts

SIZE = (100, 30)


async def settle(pilot: object, times: int = 4) -> None:
    for _ in range(times):
        await pilot.pause()  # type: ignore[attr-defined]


def alive(app: ReaderApp) -> None:
    """The app runs on, with its first screen at the bottom of the stack: the library, or
    the article it was started on (the library is made when that article closes)."""
    assert app.is_running
    assert app._exception is None
    assert isinstance(app.screen_stack[1], LibraryScreen | ArticleScreen)


def dialogs(app: ReaderApp) -> list[object]:
    return [screen for screen in app.screen_stack if isinstance(screen, Dialog | ReaderPalette)]


async def test_enter_enter_enter_closes_the_import_dialog_once(
    library: AnnotationStore, make_app: AppFactory, tmp_path: Path
) -> None:
    """The first enter imports; the next ones reach the library, not a screen below it."""
    app = make_app(library)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("i")
        fast_keys(app, *"nothing", "enter", "enter", "enter")
        await settle(pilot)
        screen = app.screen_stack[1]
        assert isinstance(screen, LibraryScreen)
        assert await asyncio.to_thread(screen.import_thread_done.wait, 30)
        await settle(pilot)
        alive(app)
        assert not any(isinstance(s, PathDialog) for s in app.screen_stack)
        assert sum("no such file" in text for text in toasts(app)) == 1


async def test_enter_enter_enter_in_the_export_dialog_writes_once(
    library: AnnotationStore, make_app: AppFactory, tmp_path: Path
) -> None:
    """One export, one notice; the article stays open."""
    app = make_app(library, open_article=article_id(library, "Welcome"))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("h")
        fast_keys(app, "e", "enter", "enter", "enter")
        await settle(pilot)
        alive(app)
        assert isinstance(app.screen, ArticleScreen)
        assert len(list((tmp_path / "exports").glob("*.md"))) == 1
        assert sum(text.startswith("Exported") for text in toasts(app)) == 1


async def test_enter_enter_enter_in_the_tag_and_filter_dialogs(
    library: AnnotationStore, make_app: AppFactory
) -> None:
    """Tags saved once, the article still open; the tag filter closes once too."""
    welcome = article_id(library, "Welcome")
    app = make_app(library, open_article=welcome)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("t")
        fast_keys(app, "i", "d", "e", "a", "enter", "enter", "enter")
        await settle(pilot)
        alive(app)
        assert isinstance(app.screen, ArticleScreen)
        assert [a.tags for a in library.list_annotations(welcome)] == [("idea",)]

        await pilot.press("escape", "a", "number_sign")
        fast_keys(app, "enter", "enter", "enter")
        await settle(pilot)
        alive(app)
        assert isinstance(app.screen, ArticleScreen | AnnotationsScreen)
        assert dialogs(app) == []


async def test_the_command_palette_under_fast_keys(
    library: AnnotationStore, make_app: AppFactory
) -> None:
    """Enter thrice, page keys before the list is laid out, a command run twice."""
    app = make_app(library, open_article=article_id(library, "Welcome"))
    async with app.run_test(size=SIZE) as pilot:
        fast_keys(app, "ctrl+p", "enter", "enter", "enter")
        await settle(pilot)
        alive(app)
        for _ in range(10):
            fast_keys(app, "ctrl+p", "pageup", "pagedown", "escape")
        await settle(pilot)
        alive(app)
        assert dialogs(app) == []

        fast_keys(app, "escape", "ctrl+p", "f", "i", "n", "d", "enter", "enter")
        await settle(pilot, 8)
        alive(app)

        fast_keys(app, "ctrl+p", "ctrl+p", "escape", "escape")
        await settle(pilot)
        alive(app)
        assert dialogs(app) == []


async def test_a_dialog_answered_then_the_palette_at_once(
    library: AnnotationStore, make_app: AppFactory
) -> None:
    """Enter in a dialog, then ctrl+p before the enter has reached it: the app goes on.

    Textual opens the palette first (ctrl+p is a priority key) and the enter then
    reaches the palette; the dialog stays open below it with what was typed.
    """
    welcome = article_id(library, "Welcome")
    app = make_app(library, open_article=welcome)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("n")
        fast_keys(app, "y", "ctrl+s", "ctrl+p", "enter", "enter")
        await settle(pilot, 8)
        alive(app)
        notes = [a.note for a in library.list_annotations(welcome)]
        open_editors = [s for s in app.screen_stack if isinstance(s, NoteDialog)]
        assert notes == ["y"] or len(open_editors) == 1  # saved, or still in its editor
        fast_keys(app, "escape", "escape", "y", "escape", "escape")
        await settle(pilot)
        alive(app)


def run_elsewhere(library: Path, code: str, *args: str) -> None:
    """Run store calls in another process (`store` is the library there)."""
    script = (
        "import sys\n"
        "from annotations.store import AnnotationStore\n"
        "store = AnnotationStore(sys.argv[1])\n" + code
    )
    subprocess.run(
        [sys.executable, "-c", script, str(library), *args],
        check=True,
        env=os.environ.copy(),
        timeout=60,
    )


def delete_elsewhere(library: Path, annotation_id: str) -> None:
    """Delete an annotation from another process, as a second window would."""
    run_elsewhere(library, "store.delete_annotation(sys.argv[2])\n", annotation_id)


async def test_an_annotation_deleted_elsewhere_then_coloured_tagged_and_noted(
    library: AnnotationStore, library_path: Path, make_app: AppFactory
) -> None:
    """c, t and n on a highlight another process deleted: a notice, a refreshed screen.

    The tags and the note typed are not lost: their editor comes back, and saving
    again puts them on a new highlight of the passage.
    """
    welcome = article_id(library, "Welcome")
    app = make_app(library, open_article=welcome)
    async with app.run_test(size=SIZE) as pilot:
        for key, then in (("c", ()), ("t", ("x", "enter")), ("n", ("y", "ctrl+s"))):
            await pilot.press("h")
            [annotation] = library.list_annotations(welcome)
            delete_elsewhere(library_path, annotation.id)
            await pilot.press(key, *then)
            await settle(pilot)
            alive(app)
            assert "changed elsewhere" in toasts(app)[-1]
            if key == "t":
                assert isinstance(app.screen, TagDialog)
                await pilot.press("enter")
                [tagged] = library.list_annotations(welcome)
                assert tagged.tags == ("x",)
                delete_elsewhere(library_path, tagged.id)
            elif key == "n":
                await pilot.press("ctrl+s")
                [noted] = library.list_annotations(welcome)
                assert noted.note == "y"
            else:
                assert library.list_annotations(welcome) == []
            await pilot.press("escape")
            await settle(pilot)
            assert isinstance(app.screen, LibraryScreen | ArticleScreen)
            if isinstance(app.screen, LibraryScreen):
                await pilot.press("enter")


async def test_an_article_deleted_elsewhere_under_every_screen(
    library: AnnotationStore, library_path: Path, make_app: AppFactory
) -> None:
    """Keys on an article, its row and its annotations after another process deleted it."""
    welcome = article_id(library, "Welcome")
    app = make_app(library, open_article=welcome)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("h", "j", "t", "x", "enter")
        run_elsewhere(library_path, "store.delete_article(sys.argv[2])\n", welcome)
        for key in ("c", "h", "t", "n", "y", "e", "bracketright"):
            await pilot.press(key)
            await settle(pilot, 2)
            alive(app)
        assert "no longer in the library" in " ".join(toasts(app))
        for key in ("escape", "escape", "g", "e", "enter", "a", "enter", "d", "y", "escape"):
            await pilot.press(key)
            await settle(pilot, 2)
            alive(app)
        await pilot.press("escape", "slash", *"lighthouse", "enter")
        run_elsewhere(library_path, "[store.delete_article(a.id) for a in store.list_articles()]\n")
        for key in ("enter", "escape", "down", "enter", "escape", "escape", "e", "enter", "a"):
            await pilot.press(key)
            await settle(pilot, 2)
            alive(app)


async def test_keys_queued_behind_q_do_nothing(
    library: AnnotationStore, make_app: AppFactory
) -> None:
    """`q`, then keys that would open screens: the app closes without opening them."""
    app = make_app(library)
    async with app.run_test(size=SIZE) as pilot:
        fast_keys(app, "q", "o", "e", "pagedown", "a", "enter", "slash")
        await settle(pilot)
    assert app._exception is None
    assert app.return_code == 0


async def test_enter_enter_enter_on_a_list_opens_one_article(
    library: AnnotationStore, make_app: AppFactory
) -> None:
    """Each enter on the library, the annotations list or the search results asks for the
    article; only the first opens it (six stacked copies, one without text, ended the
    app when `y` copied from it)."""
    welcome = article_id(library, "Welcome")
    library.add_highlight(welcome, (1, 0), (1, 5))
    app = make_app(library)

    def articles() -> int:
        return sum(isinstance(screen, ArticleScreen) for screen in app.screen_stack)

    async with app.run_test(size=SIZE) as pilot:
        fast_keys(app, *["enter"] * 6)
        await settle(pilot)
        assert articles() == 1
        await pilot.press("escape", "a")
        assert isinstance(app.screen, AnnotationsScreen)
        fast_keys(app, *["enter"] * 6)
        await settle(pilot)
        assert articles() == 1
        await pilot.press("escape", "escape", "slash", *"lighthouse")
        await settle(pilot)
        fast_keys(app, "down", *["enter"] * 6)
        await settle(pilot)
        assert articles() == 1
        await pilot.press("y", "escape")
        alive(app)


def test_an_article_view_without_text_has_no_passage() -> None:
    """What `y`, `t` and `n` read on a screen whose article vanished: nothing, no error."""
    view = ParagraphView([], [])
    assert view.passage_text() == ""
