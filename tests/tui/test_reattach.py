"""Orphaned annotations: listed with their old quote, and re-attached to a passage chosen
in their article."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from sqlite_utils import Database

from annotations.models import Annotation, Block, BlockKind, Document
from annotations.store import AnnotationStore
from reader.screens.annotations import AnnotationsScreen
from reader.screens.article import ArticleScreen
from reader.widgets.annotation_list import AnnotationList
from tests.conftest import FixedClock
from tests.tui.conftest import AppFactory, bar_keys, screen_text, toasts

SIZE = (100, 30)
SOURCE = "/notes/harbour.md"
OLD = "The keeper wrote every ship into a ledger bound in green cloth."
"""The passage highlighted, which the next version of the text no longer has."""
NEW = "A clerk now keeps the list of boats in a notebook."
"""What stands in its place in the next version."""


def harbour(middle: str) -> Document:
    """The article, with `middle` as its second paragraph."""
    texts = ["The harbour was quiet in the early morning.", middle, "Nobody walked on the quay."]
    return Document(
        title="Harbour notes",
        blocks=tuple(Block(BlockKind.PARAGRAPH, text) for text in texts),
        source=SOURCE,
    )


def orphaned_library(store: AnnotationStore) -> tuple[Annotation, Annotation]:
    """An orphan with tags and a note, made as a re-import makes one, and a placed
    highlight made before it (so the orphan is first, newest first); returns both."""
    article = store.import_document(harbour(OLD)).article
    placed = store.add_highlight(article.id, (0, 0), (0, 11), color="green")
    orphan = store.add_highlight(
        article.id, (1, 0), (1, len(OLD)), color="blue", tags=["ships"], note="Ask about it"
    )
    assert store.import_document(harbour(NEW)).orphaned == 1
    orphan = store.get_annotation(orphan.id)
    assert orphan.orphaned and orphan.anchor.exact == OLD
    return orphan, placed


async def start_reattaching(app, pilot) -> ArticleScreen:  # type: ignore[no-untyped-def]
    """Open the annotations list and press r on its first row, an orphan."""
    await pilot.press("a", "r")
    await pilot.pause()
    screen = app.screen
    assert isinstance(screen, ArticleScreen)
    return screen


async def test_an_orphan_is_listed_with_its_old_quote_and_offers_reattaching(
    file_store: AnnotationStore, make_app: AppFactory
) -> None:
    """The row says it is orphaned, shows the quote as highlighted and where it was; r
    (Re-attach) is offered on it and not on a placed annotation; the header counts it."""
    orphaned_library(file_store)
    app = make_app(file_store)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("a")
        await pilot.pause()
        shown = screen_text(app)
        assert "2 annotations · 1 orphaned" in shown
        row = next(line for line in shown.splitlines() if "orphaned " in line and "▌" in line)
        assert "The keeper wrote every ship into a ledger" in row
        assert "Harbour notes · was ¶2  #ships  ✎ Ask about it" in shown
        assert bar_keys(app)["r"] == ("Re-attach", True)
        await pilot.press("j")  # the placed highlight
        await pilot.pause()
        assert "r" not in bar_keys(app)
        await pilot.press("r")  # not offered: does nothing
        await pilot.pause()
        assert isinstance(app.screen, AnnotationsScreen)


async def test_reattach_a_selected_passage(
    file_store: AnnotationStore, make_app: AppFactory
) -> None:
    """r opens the article at the old place with a bar showing the old quote; v, a move
    and enter attach it there with its colour, tags and note; the list then shows it placed."""
    orphan, _placed = orphaned_library(file_store)
    app = make_app(file_store)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("a", "r")
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, ArticleScreen) and screen.reattaching is not None
        assert screen.view.cursor == 1  # where it was
        shown = screen_text(app)
        assert f"Re-attach “{OLD}”" in shown
        assert "Select the passage it belongs to now: v, then move" in shown
        keys = bar_keys(app)
        assert keys["⏎"] == ("Attach", True)
        assert keys["esc"] == ("Cancel re-attach", True)
        assert "h" not in keys and "t" not in keys  # no new highlight while re-attaching
        await pilot.press("v", "j")
        await pilot.pause()
        assert "enter or h attaches it here" in screen_text(app)
        await pilot.press("enter")
        await pilot.pause()
        moved = file_store.get_annotation(orphan.id)
        assert not moved.orphaned
        assert (moved.anchor.start_block, moved.anchor.start_offset) == (1, 0)
        assert (moved.anchor.end_block, moved.anchor.end_offset) == (2, 26)
        assert moved.anchor.exact.startswith(NEW)
        assert (moved.color, moved.tags, moved.note) == ("blue", ("ships",), "Ask about it")
        assert toasts(app)[-1].startswith("Re-attached")
        assert screen.reattaching is None
        shown = screen_text(app)
        assert "Re-attach “" not in shown
        assert "#ships" in shown and "Ask about it" in shown  # drawn with the passage
        assert [a.id for a in screen.view.annotations_at_cursor()] == [orphan.id]
        assert bar_keys(app)["h"] == ("Highlight", True)
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, AnnotationsScreen)
        shown = screen_text(app)
        assert "orphaned" not in shown
        assert "A clerk now keeps the list" in shown and "Harbour notes · ¶2" in shown


async def test_enter_on_an_orphan_reattaches_and_h_takes_the_paragraph(
    file_store: AnnotationStore, make_app: AppFactory
) -> None:
    """enter on an orphan opens the re-attach mode too; h without a selection attaches
    the paragraph under the cursor."""
    orphan, _placed = orphaned_library(file_store)
    app = make_app(file_store)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("a", "enter")
        await pilot.pause()
        assert isinstance(app.screen, ArticleScreen) and app.screen.reattaching is not None
        await pilot.press("h")
        await pilot.pause()
        moved = file_store.get_annotation(orphan.id)
        assert not moved.orphaned and moved.anchor.exact == NEW
        assert len(file_store.list_annotations()) == 2  # moved, no new highlight made


async def test_escape_cancels_and_changes_nothing(
    file_store: AnnotationStore, make_app: AppFactory
) -> None:
    """escape first cancels a selection, then the re-attaching (the annotation stays as
    it was, orphaned), then goes back."""
    orphan, _placed = orphaned_library(file_store)
    app = make_app(file_store)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("a", "r", "v", "j")
        await pilot.pause()
        await pilot.press("escape")  # the selection
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, ArticleScreen) and screen.reattaching is not None
        await pilot.press("escape")
        await pilot.pause()
        assert screen.reattaching is None
        assert "still orphaned" in toasts(app)[-1]
        assert "Re-attach “" not in screen_text(app)
        assert file_store.get_annotation(orphan.id) == orphan
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, AnnotationsScreen)
        assert "1 orphaned" in screen_text(app)
    assert file_store.get_annotation(orphan.id) == orphan


async def test_reattaching_onto_a_highlight_is_allowed(
    file_store: AnnotationStore, make_app: AppFactory
) -> None:
    """As a selection over a highlight makes an overlapping one, an orphan can be
    attached onto a highlighted passage; the other highlight stays."""
    orphan, placed = orphaned_library(file_store)
    app = make_app(file_store)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("a", "r", "k", "enter")
        await pilot.pause()
    moved = file_store.get_annotation(orphan.id)
    assert not moved.orphaned and moved.anchor.start_block == 0
    assert file_store.get_annotation(placed.id) == placed


async def test_an_orphan_placed_meanwhile_ends_the_mode(
    file_store: AnnotationStore, make_app: AppFactory
) -> None:
    """If another window re-attaches or deletes the orphan while it is being re-attached,
    the mode ends with a notice when the screen reads the library again."""
    orphan, _placed = orphaned_library(file_store)
    app = make_app(file_store)
    async with app.run_test(size=SIZE) as pilot:
        screen = await start_reattaching(app, pilot)
        file_store.move_annotation(orphan.id, (2, 0), (2, 6))
        screen.reload_from_library()
        await pilot.pause()
        assert screen.reattaching is None
        assert "placed or deleted elsewhere" in toasts(app)[-1]


async def test_a_library_that_refuses_the_write_is_one_line(
    tmp_path: Path, make_app: AppFactory
) -> None:
    """On a library that cannot be written, attaching says so in one notice; the
    annotation stays orphaned and the mode goes on, so escape or another try is possible."""
    path = tmp_path / "library.db"
    writer = AnnotationStore(path, clock=FixedClock())
    orphan, _placed = orphaned_library(writer)
    writer.close()
    conn = sqlite3.connect(f"{path.as_uri()}?mode=ro", uri=True, check_same_thread=False)
    store = AnnotationStore(Database(conn), clock=FixedClock())
    app = make_app(store)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("a", "r", "enter")
        await pilot.pause()
        assert app.is_running
        screen = app.screen
        assert isinstance(screen, ArticleScreen) and screen.reattaching is not None
        assert toasts(app)[-1].startswith("Not saved: the library is read-only")
        assert store.get_annotation(orphan.id) == orphan
    store.close()


async def test_the_orphan_row_at_80_columns(
    file_store: AnnotationStore, make_app: AppFactory
) -> None:
    """At 80 columns the row still says orphaned with the start of the old quote, r has
    room in the key bar, and the re-attach bar keeps its instruction."""
    orphaned_library(file_store)
    app = make_app(file_store)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("a")
        await pilot.pause()
        listing = app.screen.query_one(AnnotationList)
        assert listing.selected is not None and listing.selected.orphaned
        row = next(line for line in screen_text(app).splitlines() if "██ orphaned " in line)
        assert "The keeper wrote every ship" in row
        assert bar_keys(app)["r"] == ("Re-attach", True)  # it fits the key bar
        await pilot.press("r")
        await pilot.pause()
        shown = screen_text(app)
        assert "Re-attach “The keeper wrote" in shown
        assert "Select the passage it belongs to now: v, then move" in shown


async def test_a_long_old_quote_takes_three_lines_and_says_it_goes_on(
    file_store: AnnotationStore, make_app: AppFactory
) -> None:
    """The bar wraps a long old quote in at most three lines, the last ending in …"""
    long = " ".join(f"Sentence {n} of the long paragraph goes on." for n in range(40))
    article = file_store.import_document(harbour(long)).article
    file_store.add_highlight(article.id, (1, 0), (1, len(long)))
    assert file_store.import_document(harbour(NEW)).orphaned == 1
    app = make_app(file_store)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("a", "r")
        await pilot.pause()
        lines = screen_text(app).splitlines()
        first = next(n for n, line in enumerate(lines) if "Re-attach “Sentence 0" in line)
        assert lines[first + 3].strip().startswith("Select the passage it belongs to now")
        assert lines[first + 2].rstrip().endswith("…")


async def test_a_text_changed_meanwhile_is_shown_again_before_attaching(
    file_store: AnnotationStore, make_app: AppFactory
) -> None:
    """If an import changed the article since the mode began, the attach key shows the
    new text (above the bar, still there) instead of attaching to the old one."""
    orphan, _placed = orphaned_library(file_store)
    app = make_app(file_store)
    async with app.run_test(size=SIZE) as pilot:
        screen = await start_reattaching(app, pilot)
        file_store.import_document(harbour(NEW + " It is kept in the office."))
        await pilot.press("enter")
        await pilot.pause()
        assert "updated by an import" in toasts(app)[-1]
        assert file_store.get_annotation(orphan.id).orphaned
        assert screen.reattaching is not None
        order = [child.id or type(child).__name__ for child in screen.children]
        assert order.index("ParagraphView") < order.index("reattach-quote")
        await pilot.press("enter")
        await pilot.pause()
        assert file_store.get_annotation(orphan.id).anchor.exact.endswith("in the office.")
        assert toasts(app)[-1] == "Re-attached, with its tags and note"
