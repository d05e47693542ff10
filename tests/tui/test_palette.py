"""The command palette (ctrl+p) offers reader's commands and the themes, not Textual's
generic commands (maximize, screenshot, the focused widget's key panel)."""

from __future__ import annotations

from typing import Any

import pytest
from textual.command import Command, CommandList
from textual.pilot import Pilot

from annotations.store import AnnotationStore
from reader.screens.article import ArticleScreen
from reader.screens.help import HelpScreen
from reader.screens.library import LibraryScreen
from reader.screens.palette import ReaderPalette, themes_wanted
from reader.screens.search import SearchScreen
from tests.tui.conftest import AppFactory, article_id, screen_text

SIZE = (100, 30)

TEXTUALS = {"Maximize", "Minimize", "Screenshot", "Quit", "Theme"}
"""Titles of Textual's own palette commands (its "Keys" is told apart by its help)."""


async def palette(pilot: Pilot[Any], typed: str = "") -> dict[str, str]:
    """Open the palette, type into it, and read what it lists: title -> help."""
    await pilot.press("ctrl+p")
    await pilot.pause()
    assert isinstance(pilot.app.screen, ReaderPalette)
    await pilot.press(*typed)
    await pilot.app.workers.wait_for_complete()  # the palette's search for commands
    await pilot.pause()
    options = pilot.app.screen.query_one(CommandList).options
    shown = [option.hit for option in options if isinstance(option, Command)]
    titles = [str(hit.text) for hit in shown]
    assert len(titles) == len(set(titles)), f"listed twice: {titles}"
    return {str(hit.text): str(hit.help or "") for hit in shown}


async def close(pilot: Pilot[Any]) -> None:
    """Close the palette without choosing."""
    await pilot.press("escape")
    await pilot.pause()
    assert not isinstance(pilot.app.screen, ReaderPalette)


def assert_no_textual_commands(commands: dict[str, str]) -> None:
    """None of Textual's generic commands is listed."""
    assert not TEXTUALS & commands.keys(), commands
    assert not any("focused widget" in help for help in commands.values()), commands


async def test_palette_lists_readers_commands_and_none_of_textuals(
    library: AnnotationStore, make_app: AppFactory
) -> None:
    """Before anything is typed: the library-wide commands, the theme, the screen's actions."""
    app = make_app(library)
    async with app.run_test(size=SIZE) as pilot:
        commands = await palette(pilot)
        assert_no_textual_commands(commands)
        for title in (
            "Search the library",
            "All annotations",
            "Rename or merge a tag",
            "Change theme",
            "Keys",
            "Open",
            "Import",
            "Export",
            "Sort",
            "Filter",
            "Quit reader",
        ):
            assert title in commands
        assert commands["Keys"] == "Every key of this screen (?)"
        assert commands["Quit reader"].endswith("(q ^q)")
        # The themes come up when typed, not in the first list.
        assert not any(title.startswith("Theme: ") for title in commands)
        assert "All annotations" in screen_text(app)  # shown, first in the list


async def test_textuals_commands_are_not_found_by_typing(
    library: AnnotationStore, make_app: AppFactory
) -> None:
    """Typing the name of a generic command finds nothing of Textual's, on any screen."""
    app = make_app(library, open_article=article_id(library, "Welcome"))
    async with app.run_test(size=SIZE) as pilot:
        assert isinstance(app.screen, ArticleScreen)  # its text view could be maximized
        for typed in ("maxi", "minimize", "screenshot", "keys", "quit", "theme"):
            commands = await palette(pilot, typed)
            assert_no_textual_commands(commands)
            await close(pilot)
        assert "Quit reader" in await palette(pilot, "quit")
        await close(pilot)
        assert "Keys" in await palette(pilot, "keys")


async def test_article_palette_has_its_actions_once(
    library: AnnotationStore, make_app: AppFactory
) -> None:
    """The article's actions by name; escape and q both go back: one "Back"."""
    app = make_app(library, open_article=article_id(library, "Welcome"))
    async with app.run_test(size=SIZE) as pilot:
        commands = await palette(pilot)
        assert_no_textual_commands(commands)
        for title in ("Highlight", "Tag", "Note", "Find", "Select", "Sentences", "Back"):
            assert title in commands
        assert commands["Back"] == "Back to the library (esc q)"
        assert commands["Contents"].endswith("(o)")
        assert commands["Go to"].endswith("(:)")
        assert commands["Full width"] == "Set the text across the whole width (remembered) (w)"
        # What does not apply now is not offered.
        for title in ("Cancel selection", "Clear find", "Close find", "Paragraphs", "Text column"):
            assert title not in commands


async def test_palette_offers_what_applies_now(
    library: AnnotationStore, make_app: AppFactory
) -> None:
    """In a selection and in sentence mode, the palette offers cancelling and paragraphs."""
    app = make_app(library, open_article=article_id(library, "Welcome"))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("v", "s")
        commands = await palette(pilot)
        assert "Cancel selection" in commands and "Select" not in commands
        assert "Paragraphs" in commands and "Sentences" not in commands
        await close(pilot)
        # No theme's name holds "canc": none crowds the command out (catppuccin would,
        # by the palette's fuzzy match).
        assert list(await palette(pilot, "canc")) == ["Cancel selection"]
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, ArticleScreen)
        assert app.screen.view.selection_anchor is None


async def test_search_palette_leaves_out_text_editing_keys(
    library: AnnotationStore, make_app: AppFactory
) -> None:
    """The search field's editing keys (select all, cut, submit) are no commands."""
    app = make_app(library)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("slash")
        assert isinstance(app.screen, SearchScreen)
        commands = await palette(pilot)
        assert_no_textual_commands(commands)
        assert {"Back", "Keys", "Search the library", "Change theme"} <= commands.keys()
        for title in ("Select all", "Cut selected text", "Submit", "Delete character left"):
            assert title not in commands


async def test_typing_a_theme_name_switches_to_it_and_it_is_remembered(
    library: AnnotationStore, make_app: AppFactory
) -> None:
    """ "nord" in the palette finds the theme; choosing it switches and is kept for next time."""
    app = make_app(library)
    async with app.run_test(size=SIZE) as pilot:
        assert app.theme != "nord"
        commands = await palette(pilot, "nord")
        assert list(commands) == ["Theme: nord"]
        await pilot.press("enter")
        await pilot.pause()
        assert app.theme == "nord"
        assert isinstance(app.screen, LibraryScreen)
    assert library.get_setting("theme") == "nord"

    again = make_app(library)
    async with again.run_test(size=SIZE):
        assert again.theme == "nord"


async def test_change_theme_lists_every_theme(
    library: AnnotationStore, make_app: AppFactory
) -> None:
    """ "Change theme" opens the list of themes; the one chosen is used and remembered."""
    app = make_app(library)
    async with app.run_test(size=SIZE) as pilot:
        assert "Change theme" in await palette(pilot, "change")
        await pilot.press("enter")
        await pilot.pause()
        themes = app.screen
        assert isinstance(themes, ReaderPalette)
        await pilot.press(*"dracula")
        await app.workers.wait_for_complete()
        await pilot.pause()
        titles = [
            str(option.hit.text)
            for option in themes.query_one(CommandList).options
            if isinstance(option, Command)
        ]
        assert titles[0] == "dracula"
        await pilot.press("enter")
        await pilot.pause()
        assert app.theme == "dracula"
        assert isinstance(app.screen, LibraryScreen)
    assert library.get_setting("theme") == "dracula"


async def test_keys_command_shows_the_screens_keys(
    library: AnnotationStore, make_app: AppFactory
) -> None:
    """ "Keys" opens reader's help for the screen the palette was opened on."""
    app = make_app(library)
    async with app.run_test(size=SIZE) as pilot:
        await palette(pilot, "keys")
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        assert "Import a file, a folder or a web page" in screen_text(app)


async def test_themes_come_up_by_name_or_after_theme(
    library: AnnotationStore, make_app: AppFactory
) -> None:
    """ "theme" lists every theme after the "Change theme" command; a part of a name,
    the themes that hold it."""
    app = make_app(library)
    async with app.run_test(size=SIZE) as pilot:
        commands = list(await palette(pilot, "theme"))
        themes = [f"Theme: {name}" for name in app.available_themes]
        assert sorted(commands) == sorted(["Change theme", *themes])
        await close(pilot)
        commands = list(await palette(pilot, "dark"))
        assert commands and all(title.startswith("Theme: ") for title in commands)
        assert all("dark" in title for title in commands)


@pytest.mark.parametrize(
    ("typed", "wanted"),
    [
        ("nord", "nord"),
        ("Dark", "dark"),
        ("theme", ""),
        ("them", ""),
        ("themes", ""),
        ("theme: rose", "rose"),
        ("Theme nord", "nord"),
        ("th", "th"),
        ("t", None),
        ("  ", None),
    ],
)
def test_themes_wanted(typed: str, wanted: str | None) -> None:
    """What a theme's name must hold for what is typed; None: no theme at all."""
    assert themes_wanted(typed) == wanted
