"""A passage whose text changed since it was highlighted: marked in the article and the
annotations list, and `O` shows what it said then beside what it says now."""

from __future__ import annotations

from pathlib import Path

from textual.widgets import Static

from annotations.models import Block, BlockKind, Document
from annotations.store import AnnotationStore
from reader.dialogs.original import OriginalDialog, marked_texts
from reader.screens.annotations import AnnotationsScreen
from reader.screens.article import ArticleScreen
from reader.widgets.paragraph_view import CHANGED_NOTICE
from tests.conftest import FixedClock
from tests.tui.conftest import AppFactory, bar_keys, screen_text, toasts

SIZE = (100, 30)
BEFORE = "The keeper walked along the pier every night and lit the [b]lamp[/b]."
AFTER = "The keeper strolled along the pier every night and lit the [b]lamp[/b]."


def document(*texts: str) -> Document:
    """A note at one source, one paragraph per text."""
    blocks = tuple(Block(BlockKind.PARAGRAPH, text) for text in texts)
    return Document("Pier", blocks, source="/docs/pier.md", format="md")


def changed_library(tmp_path: Path, clock: FixedClock) -> tuple[AnnotationStore, str, str, str]:
    """A library with two highlights, the first on a sentence reworded by a re-import;
    returns the store, the article's id and the two annotations' ids."""
    store = AnnotationStore(tmp_path / "library.db", clock=clock)
    article_id = store.import_document(document(BEFORE, "Unchanged words here.")).article.id
    changed = store.add_highlight(article_id, (0, 0), (0, len(BEFORE)))
    kept = store.add_highlight(article_id, (1, 0), (1, 9))
    store.import_document(document(AFTER, "Unchanged words here."))
    return store, article_id, changed.id, kept.id


async def test_a_changed_passage_is_marked_and_o_shows_both_texts(
    tmp_path: Path, clock: FixedClock, make_app: AppFactory
) -> None:
    """The line under the passage says it changed; O is offered on it and shows the old
    and the new text (as text: markup in it shows as written)."""
    store, article_id, _, _ = changed_library(tmp_path, clock)
    app = make_app(store)
    async with app.run_test(size=SIZE) as pilot:
        await app.push_screen(ArticleScreen(article_id, block=0))
        await pilot.pause()
        shown = screen_text(app)
        assert CHANGED_NOTICE in shown
        assert "here: yellow, changed" in shown
        assert "O" in bar_keys(app), list(bar_keys(app).items())

        await pilot.press("O")
        await pilot.pause()
        dialog = app.screen
        assert isinstance(dialog, OriginalDialog)
        then = str(dialog.query_one("#original-then", Static).render())
        now = str(dialog.query_one("#original-now", Static).render())
        assert (then, now) == (BEFORE, AFTER)
        shown = screen_text(app)
        assert "When you highlighted it" in shown and "[b]lamp[/b]" in shown

        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, ArticleScreen)


async def test_o_on_an_unchanged_passage_says_so_and_is_not_offered(
    tmp_path: Path, clock: FixedClock, make_app: AppFactory
) -> None:
    """On an unchanged highlight O is not in the key bar, and pressing it says so."""
    store, article_id, _, _ = changed_library(tmp_path, clock)
    app = make_app(store)
    async with app.run_test(size=SIZE) as pilot:
        await app.push_screen(ArticleScreen(article_id, block=1))
        await pilot.pause()
        assert "O" not in bar_keys(app)
        assert CHANGED_NOTICE in screen_text(app)  # the paragraph above still says it
        await pilot.press("O")
        await pilot.pause()
        assert isinstance(app.screen, ArticleScreen)
        assert toasts(app)[-1] == "Unchanged: this passage reads as when you highlighted it"
        await pilot.press("k")
        await pilot.pause()
        assert "O" in bar_keys(app)  # back on the changed one


async def test_o_is_in_the_help_and_the_annotations_list_marks_the_change(
    tmp_path: Path, clock: FixedClock, make_app: AppFactory
) -> None:
    """`?` lists O once; the annotations list says which passage changed."""
    store, article_id, _, _ = changed_library(tmp_path, clock)
    app = make_app(store)
    async with app.run_test(size=(120, 40)) as pilot:
        await app.push_screen(ArticleScreen(article_id, block=1))
        await pilot.pause()
        await pilot.press("question_mark")
        await pilot.pause()
        lines = [line for line in screen_text(app).splitlines() if "as you highlighted it" in line]
        assert len(lines) == 1 and " O " in lines[0]
        await pilot.press("escape")
        await app.push_screen(AnnotationsScreen())
        await pilot.pause()
        rows = [line for line in screen_text(app).splitlines() if "Pier" in line]
        assert sum("· changed" in row for row in rows) == 1


def test_the_words_that_differ_are_marked_in_both_texts() -> None:
    """Only the reworded words carry the mark; the texts themselves are unchanged."""
    old, new = marked_texts("He walked along the pier.", "He strolled along the long pier.")
    assert (old.plain, new.plain) == (
        "He walked along the pier.",
        "He strolled along the long pier.",
    )
    marked_old = {old.plain[span.start : span.end] for span in old.spans}
    marked_new = {new.plain[span.start : span.end] for span in new.spans}
    assert marked_old == {"walked"}
    assert marked_new == {"strolled", "long"}
