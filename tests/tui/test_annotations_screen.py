"""The library-wide annotations list, driven headless."""

from __future__ import annotations

from typing import Any

import pytest
from textual.widgets import Input, OptionList, TextArea

from annotations.models import ENTRY_TEXT_CHARS, AnnotationEntry, Block, BlockKind, Document
from annotations.store import AnnotationStore
from reader.dialogs.confirm import ConfirmDialog
from reader.dialogs.note import NoteDialog
from reader.dialogs.tag import TagDialog
from reader.dialogs.tag_filter import TagFilterDialog
from reader.screens.annotations import AnnotationsScreen
from reader.screens.article import ArticleScreen
from reader.screens.library import LibraryScreen
from reader.widgets.annotation_list import AnnotationList
from reader.widgets.paging import PAGE_SIZE
from reader.widgets.paragraph_view import ParagraphView
from tests.tui.conftest import AppFactory, bar_keys, screen_text, toasts, typed

SIZE = (100, 30)


def document(title: str, texts: list[str], source: str) -> Document:
    """A document of plain paragraphs."""
    return Document(
        title=title,
        blocks=tuple(Block(BlockKind.PARAGRAPH, text) for text in texts),
        source=source,
    )


def annotated_store(store: AnnotationStore) -> dict[str, str]:
    """Two articles with three annotations; returns annotation ids by a short name.

    Newest first they are ledger, quay, tomatoes; in text order quay comes before ledger.
    """
    harbour = store.import_document(
        document(
            "Harbour notes",
            [
                "The harbour was quiet in the early morning.",
                "Nobody walked on the quay before the ferry came.",
                "The keeper wrote every ship into a ledger bound in green cloth.",
            ],
            "/notes/harbour.txt",
        )
    ).article
    garden = store.import_document(
        document(
            "Garden diary",
            ["Tomatoes need more sun than the north bed gives.", "The pears ripened early."],
            "/notes/garden.txt",
        )
    ).article
    ids = {}
    ids["tomatoes"] = store.add_highlight(
        garden.id, (0, 0), (0, 30), color="pink", tags=["idea"]
    ).id
    ids["quay"] = store.add_highlight(harbour.id, (1, 0), (1, 30), color="green").id
    ids["ledger"] = store.add_highlight(
        harbour.id, (2, 0), (2, 40), tags=["idea", "ships"], note="Ask about the ledger\nlater"
    ).id
    return ids


def shown_passages(app: object) -> list[str]:
    """The passages of every row of the list, in order (reading all pages)."""
    listing = app.screen.query_one(AnnotationList)  # type: ignore[attr-defined]
    return [listing.entry(index).quote for index in range(listing.total)]


async def test_lists_every_annotation(store: AnnotationStore, make_app: AppFactory) -> None:
    """a lists all annotations, newest first, with title, passage, tags and the note."""
    annotated_store(store)
    app = make_app(store)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("a")
        await pilot.pause()
        assert isinstance(app.screen, AnnotationsScreen)
        shown = screen_text(app)
        assert "3 annotations" in shown
        assert "Tomatoes need more sun than th" in shown
        assert "Garden diary" in shown and "Harbour notes" in shown
        assert "#idea #ships" in shown
        assert "Ask about the ledger" in shown and "later" not in shown
        assert shown_passages(app)[0].startswith("The keeper wrote")


async def test_tag_filter(store: AnnotationStore, make_app: AppFactory) -> None:
    """# picks a tag from the library's tags; 'all tags' removes the filter."""
    annotated_store(store)
    app = make_app(store)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("a")
        await pilot.pause()
        await pilot.press("number_sign")
        await pilot.pause()
        assert isinstance(app.screen, TagFilterDialog)
        assert "#idea" in screen_text(app) and "#ships" in screen_text(app)
        await pilot.press(*"shi", "enter")
        await pilot.pause()
        assert isinstance(app.screen, AnnotationsScreen)
        assert app.screen.tag == "ships"
        assert len(shown_passages(app)) == 1
        assert "1 annotation · #ships" in screen_text(app)
        await pilot.press("f")
        await pilot.pause()
        assert app.screen.query_one(OptionList).highlighted == 2  # the current tag
        await pilot.press("up", "up", "enter")  # "All tags" comes first
        await pilot.pause()
        assert app.screen.tag is None
        assert len(shown_passages(app)) == 3


async def test_text_filter(store: AnnotationStore, make_app: AppFactory) -> None:
    """/ focuses the text filter; the list narrows as you type; escape clears it first."""
    annotated_store(store)
    app = make_app(store)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("a")
        await pilot.pause()
        await pilot.press("slash")
        await typed(pilot, *"tomatoes")
        assert [p[:8] for p in shown_passages(app)] == ["Tomatoes"]
        assert "“tomatoes”" in screen_text(app)
        await pilot.press("enter")
        assert app.screen.query_one(AnnotationList).has_focus
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, AnnotationsScreen)
        assert len(shown_passages(app)) == 3
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, LibraryScreen)


async def test_order_toggle(store: AnnotationStore, make_app: AppFactory) -> None:
    """o switches between newest first and text order; the list opens in the last order."""
    annotated_store(store)
    app = make_app(store)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("a")
        await pilot.pause()
        newest = shown_passages(app)
        ledger, quay = newest[0], newest[1]
        assert ledger.startswith("The keeper") and quay.startswith("Nobody walked")
        await pilot.press("o")
        await pilot.pause()
        in_text_order = shown_passages(app)
        assert sorted(newest) == sorted(in_text_order)
        assert in_text_order.index(quay) < in_text_order.index(ledger)
        assert "in text order" in screen_text(app)
        assert store.get_setting("annotations_order") == "text"
        await pilot.press("escape", "a")
        await pilot.pause()
        assert shown_passages(app) == in_text_order
        await pilot.press("o")
        await pilot.pause()
        assert shown_passages(app) == newest
        assert "newest first" in screen_text(app)


async def test_enter_jumps_to_the_passage(store: AnnotationStore, make_app: AppFactory) -> None:
    """enter opens the article at the annotation's first paragraph."""
    annotated_store(store)
    app = make_app(store)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("a")
        await pilot.pause()
        await pilot.press("j", "j")
        selected = app.screen.query_one(AnnotationList).selected
        assert selected is not None
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, ArticleScreen)
        assert app.screen.article_id == selected.article_id
        assert app.screen.query_one(ParagraphView).cursor == selected.start_block


async def test_list_is_current_after_reading(store: AnnotationStore, make_app: AppFactory) -> None:
    """A highlight removed in the article is gone from the list on the way back."""
    annotated_store(store)
    app = make_app(store)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("a")
        await pilot.pause()
        await pilot.press("j")  # the quay: no tags or note, so h removes it at once
        assert app.screen.query_one(AnnotationList).selected.color == "green"
        await pilot.press("enter")
        await pilot.pause()
        await pilot.press("h", "escape")
        await pilot.pause()
        assert isinstance(app.screen, AnnotationsScreen)
        assert len(shown_passages(app)) == 2
        assert "2 annotations" in screen_text(app)


async def test_delete_asks_first(store: AnnotationStore, make_app: AppFactory) -> None:
    """d asks; n keeps the annotation, y deletes it."""
    ids = annotated_store(store)
    app = make_app(store)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("a")
        await pilot.pause()
        await pilot.press("d")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmDialog)
        await pilot.press("n")
        await pilot.pause()
        assert len(store.list_annotations()) == 3
        await pilot.press("delete")
        await pilot.pause()
        await pilot.press("y")
        await pilot.pause()
        remaining = {annotation.id for annotation in store.list_annotations()}
        assert remaining == {ids["tomatoes"], ids["quay"]}
        assert "2 annotations" in screen_text(app)
        assert "The keeper wrote" not in screen_text(app)


async def test_orphaned_annotation_is_marked(store: AnnotationStore, make_app: AppFactory) -> None:
    """An annotation whose text vanished in a re-import is listed and marked orphaned."""
    annotated_store(store)
    result = store.import_document(
        document("Garden diary", ["Completely new text about bees."], "/notes/garden.txt")
    )
    assert result.orphaned == 1
    app = make_app(store)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("a")
        await pilot.pause()
        shown = screen_text(app)
        assert "3 annotations · 1 orphaned" in shown
        lines = [line for line in shown.splitlines() if "██ orphaned" in line]
        assert len(lines) == 1 and "Tomatoes" in lines[0]


async def test_thousands_of_annotations(
    store: AnnotationStore, make_app: AppFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """5,000 annotations open at once, and G reaches the last (oldest) one.

    Only the pages shown are read from the library: the first and the last, never the
    whole list (how long that takes is measured in benchmarks/run.py, 50,025 of them).
    """
    count = 5_000
    texts = [f"Paragraph {n} of the long book says something." for n in range(count)]
    book = store.import_document(document("A long book", texts, "/books/long.txt")).article
    with store.transaction():
        for n in range(count):
            store.add_highlight(book.id, (n, 0), (n, len(f"Paragraph {n} of")))
    pages: list[tuple[int, int]] = []
    entries = store.list_annotation_entries

    def counted(**options: Any) -> list[AnnotationEntry]:
        page = entries(**options)
        pages.append((options.get("offset", 0), len(page)))
        return page

    monkeypatch.setattr(store, "list_annotation_entries", counted)
    app = make_app(store)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("a")
        await pilot.pause()
        listing = app.screen.query_one(AnnotationList)
        assert listing.total == count
        assert "5,000 annotations" in screen_text(app)
        assert "Paragraph 4999 of" in screen_text(app)
        await pilot.press("G")
        await pilot.pause()
        assert listing.cursor == count - 1
        shown = screen_text(app)
        assert "Paragraph 0 of" in shown and "¶1" in shown
        await pilot.press("k", "g")
        await pilot.pause()
        assert listing.cursor == 0
    assert {offset for offset, _ in pages} == {0, count - PAGE_SIZE}
    assert sum(size for _, size in pages) <= 3 * PAGE_SIZE < count / 10


async def test_a_whole_book_passage_shows_its_start_and_enter_jumps_to_it(
    store: AnnotationStore, make_app: AppFactory
) -> None:
    """A highlight over a whole book is a row of its start and an ellipsis; enter opens it."""
    texts = [
        f"Chapter {n}: the tide came in over the long quay and went out." * 15 for n in range(1200)
    ]
    book = store.import_document(document("The long book", texts, "/books/long.txt")).article
    store.add_highlight(book.id, (0, 0), (4, 10))  # a short one, where the cursor starts
    last = store.get_blocks(book.id)[-1].text
    whole = store.add_highlight(
        book.id, (0, 0), (len(texts) - 1, len(last)), note="Read it all again. " * 50_000
    )
    assert len(whole.anchor.exact) > 1_000_000
    app = make_app(store)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("a")
        await pilot.pause()
        listing = app.screen.query_one(AnnotationList)
        entry = listing.selected
        assert entry is not None and entry.id == whole.id
        assert len(entry.quote) <= ENTRY_TEXT_CHARS and entry.quote_is_cut
        quote, details = (line.rstrip() for line in screen_text(app).splitlines() if "▌" in line)
        assert quote.startswith("▌██ Chapter 0: the tide came in over the long quay")
        assert quote.endswith("…")
        assert "The long book · ¶1  ✎ Read it all again." in details and details.endswith("…")
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, ArticleScreen)
        assert app.screen.article_id == book.id
        assert app.screen.query_one(ParagraphView).cursor == 0


async def test_n_edits_the_note_of_the_selected_annotation(
    store: AnnotationStore, make_app: AppFactory
) -> None:
    """n opens the whole note of the annotation under the cursor (the list shows only its
    first line); ctrl+s saves it to the library and the row shows it at once. Escape
    after typing asks first; n at that question goes back to the editor."""
    ids = annotated_store(store)
    app = make_app(store)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("a")
        await pilot.pause()
        assert bar_keys(app)["n"] == ("Note", True)
        await pilot.press("n")  # the ledger, newest first
        await pilot.pause()
        assert isinstance(app.screen, NoteDialog)
        editor = app.screen.query_one(TextArea)
        assert editor.text == "Ask about the ledger\nlater"
        assert "The keeper wrote every ship" in screen_text(app)  # the passage, for context
        await pilot.press(*" today", "escape")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmDialog)
        await pilot.press("n")
        await pilot.pause()
        assert isinstance(app.screen, NoteDialog)
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert isinstance(app.screen, AnnotationsScreen)
        assert store.get_annotation(ids["ledger"]).note == "Ask about the ledger\nlater today"
        await pilot.press("j", "n")  # the quay has no note yet
        await pilot.pause()
        assert app.screen.query_one(TextArea).text == ""
        await pilot.press(*"Check the ferry times", "ctrl+s")
        await pilot.pause()
        assert store.get_annotation(ids["quay"]).note == "Check the ferry times"
        assert "✎ Check the ferry times" in screen_text(app)
        assert app.screen.query_one(AnnotationList).selected.id == ids["quay"]  # cursor kept
        assert "Note saved" in toasts(app)[-1]


async def test_t_edits_the_tags_of_the_selected_annotation(
    store: AnnotationStore, make_app: AppFactory
) -> None:
    """t edits the tags of the annotation under the cursor, completing existing tags; the
    row shows them at once. Taking the last #ships away while the list is filtered by it
    ends that filter (no annotation carries the tag any more)."""
    ids = annotated_store(store)
    app = make_app(store)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("a")
        await pilot.pause()
        assert bar_keys(app)["t"] == ("Tags", True)
        await pilot.press("G", "t")  # the tomatoes: #idea
        await pilot.pause()
        assert isinstance(app.screen, TagDialog)
        assert app.screen.query_one(Input).value == "idea, "
        await pilot.press(*"sh", "tab", *"garden", "enter")  # tab completes "ships"
        await pilot.pause()
        assert isinstance(app.screen, AnnotationsScreen)
        assert store.get_annotation(ids["tomatoes"]).tags == ("garden", "idea", "ships")
        assert "#garden #idea #ships" in screen_text(app)

        await pilot.press("number_sign", *"ships", "enter")
        await pilot.pause()
        assert app.screen.tag == "ships" and len(shown_passages(app)) == 2
        for _ in range(2):  # take #ships from both
            await pilot.press("g", "t", "ctrl+u", *"idea", "enter")
            await pilot.pause()
        assert "ships" not in {tag.name for tag in store.list_tags()}
        assert app.screen.tag is None
        assert len(shown_passages(app)) == 3
        assert "#ships" not in screen_text(app)
        assert store.get_annotation(ids["ledger"]).tags == ("idea",)


async def test_n_and_t_are_dimmed_on_an_empty_list(
    store: AnnotationStore, make_app: AppFactory
) -> None:
    """With no annotation to act on, n, t and d are dimmed and do nothing; u is not
    offered before a delete."""
    app = make_app(store)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("a")
        await pilot.pause()
        keys = bar_keys(app)
        assert keys["n"] == ("Note", False) and keys["t"] == ("Tags", False)
        assert keys["d"] == ("Delete", False) and "u" not in keys
        await pilot.press("n", "t", "d", "u")
        await pilot.pause()
        assert isinstance(app.screen, AnnotationsScreen)
