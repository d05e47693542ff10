"""Renaming and merging tags from the command palette, and the palette's library commands."""

from __future__ import annotations

from textual.command import CommandPalette

from annotations.models import Block, BlockKind, Document
from annotations.store import AnnotationStore
from reader.dialogs.rename_tag import RenameTagDialog
from reader.screens.annotations import AnnotationsScreen
from reader.screens.library import LibraryScreen
from reader.screens.search import SearchScreen
from tests.tui.conftest import AppFactory, screen_text

SIZE = (100, 30)


def tagged_store(store: AnnotationStore) -> AnnotationStore:
    """One article with three passages tagged idea / idea+todo / todo."""
    texts = ["First thought.", "Second thought.", "Third thought."]
    article = store.import_document(
        Document(
            title="Thoughts",
            blocks=tuple(Block(BlockKind.PARAGRAPH, text) for text in texts),
            source="/notes/thoughts.txt",
        )
    ).article
    store.add_highlight(article.id, (0, 0), (0, 5), tags=["idea"])
    store.add_highlight(article.id, (1, 0), (1, 6), tags=["idea", "todo"])
    store.add_highlight(article.id, (2, 0), (2, 5), tags=["todo"])
    return store


def tag_counts(store: AnnotationStore) -> dict[str, int]:
    """Every tag with its count."""
    return {tag.name: tag.count for tag in store.list_tags()}


async def run_command(pilot: object, title: str) -> None:
    """Run a command palette entry by typing its title."""
    await pilot.press("ctrl+p")  # type: ignore[attr-defined]
    await pilot.pause()  # type: ignore[attr-defined]
    await pilot.press(*title)  # type: ignore[attr-defined]
    await pilot.app.workers.wait_for_complete()  # type: ignore[attr-defined]
    await pilot.pause()  # type: ignore[attr-defined]
    await pilot.press("enter")  # type: ignore[attr-defined]
    await pilot.pause()  # type: ignore[attr-defined]


async def test_palette_has_library_commands(store: AnnotationStore, make_app: AppFactory) -> None:
    """The palette offers search, all annotations and tag renaming, each once."""
    app = make_app(tagged_store(store))
    async with app.run_test(size=SIZE):
        titles = [command.title for command in app.get_system_commands(app.screen)]
        for title in ("Search the library", "All annotations", "Rename or merge a tag"):
            assert titles.count(title) == 1
        # The library's / and a run the same commands and are not listed a second time.
        assert "Search" not in titles and "Annotations" not in titles
        assert "Import" in titles


async def test_palette_opens_search_and_annotations(
    store: AnnotationStore, make_app: AppFactory
) -> None:
    """The palette's commands open the search and the annotations list."""
    app = make_app(tagged_store(store))
    async with app.run_test(size=SIZE) as pilot:
        await run_command(pilot, "Search the library")
        assert isinstance(app.screen, SearchScreen)
        await pilot.press("escape")
        await pilot.pause()
        await run_command(pilot, "All annotations")
        assert isinstance(app.screen, AnnotationsScreen)


async def test_rename_tag(store: AnnotationStore, make_app: AppFactory) -> None:
    """A tag gets a new name everywhere, with completion of the old name."""
    app = make_app(tagged_store(store))
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await run_command(pilot, "Rename or merge a tag")
        assert isinstance(app.screen, RenameTagDialog)
        await pilot.press("i", "tab")  # completes "idea"
        assert app.screen.query_one("#rename-old").value == "idea"
        await pilot.press("enter", *"insight")
        await pilot.pause()
        assert "#idea (2 annotations) will be renamed #insight" in screen_text(app)
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, LibraryScreen)
        assert tag_counts(store) == {"insight": 2, "todo": 2}
        await pilot.pause()
        assert "Renamed #idea to #insight (2 annotations)" in screen_text(app)


async def test_merge_tag_into_existing(store: AnnotationStore, make_app: AppFactory) -> None:
    """Renaming to an existing tag merges the two; the annotations list follows the rename."""
    app = make_app(tagged_store(store))
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await pilot.press("a")
        await pilot.pause()
        await pilot.press("f", *"idea", "enter")
        await pilot.pause()
        assert app.screen.tag == "idea"
        await run_command(pilot, "Rename or merge a tag")
        assert isinstance(app.screen, RenameTagDialog)
        # The tag filtering the list is proposed; the new name field has focus.
        assert app.screen.query_one("#rename-old").value == "idea"
        await pilot.press(*"todo")
        await pilot.pause()
        assert "will be merged into #todo" in screen_text(app)
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, AnnotationsScreen)
        assert tag_counts(store) == {"todo": 3}
        await pilot.pause()
        assert "Merged #idea into #todo" in screen_text(app)
        assert app.screen.tag == "todo"
        assert "3 annotations · #todo" in screen_text(app)


async def test_rename_needs_an_existing_tag(store: AnnotationStore, make_app: AppFactory) -> None:
    """An unknown tag is refused with a reason; escape cancels without change."""
    app = make_app(tagged_store(store))
    async with app.run_test(size=SIZE) as pilot:
        app.action_rename_tag()
        await pilot.pause()
        await pilot.press(*"nothing", "enter")
        await pilot.pause()
        assert "There is no tag #nothing" in screen_text(app)
        assert app.screen.query_one("#rename-old").has_focus
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, LibraryScreen)
        assert tag_counts(store) == {"idea": 2, "todo": 2}
        assert not isinstance(app.screen, CommandPalette)
