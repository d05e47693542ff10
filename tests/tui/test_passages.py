"""Passages smaller and larger than a paragraph: sentence mode, selections and find."""

from __future__ import annotations

from annotations.models import Block, BlockKind, Document
from annotations.store import AnnotationStore
from reader.screens.article import ArticleScreen
from reader.widgets.paragraph_view import ParagraphView
from tests.tui.conftest import AppFactory, screen_text

SIZE = (100, 30)

TEXT = (
    Block(BlockKind.PARAGRAPH, "Dr. Visser opened the bridge. It cost 3.5 million. Nobody came."),
    Block(BlockKind.PARAGRAPH, "The next day was quiet. Then the boats arrived."),
    Block(BlockKind.PARAGRAPH, "In Goïta the market opened. Goita is a town."),
)


def article(store: AnnotationStore) -> str:
    """A small three-paragraph article; returns its id."""
    return store.import_document(Document(title="Bridge", blocks=TEXT)).article.id


async def test_sentence_mode_highlights_one_sentence(
    store: AnnotationStore, make_app: AppFactory
) -> None:
    """s then j moves by sentence (abbreviations and decimals kept whole); h marks it."""
    article_id = article(store)
    app = make_app(store, open_article=article_id)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("s", "j", "h")
    [annotation] = store.list_annotations(article_id)
    assert annotation.anchor.exact == "It cost 3.5 million."
    assert (annotation.anchor.start_block, annotation.anchor.start_offset) == (0, 30)


async def test_sentences_cross_paragraph_ends(store: AnnotationStore, make_app: AppFactory) -> None:
    """In sentence mode, j from a paragraph's last sentence goes to the next one's first."""
    article_id = article(store)
    app = make_app(store, open_article=article_id)
    async with app.run_test(size=SIZE) as pilot:
        view = app.screen.query_one(ParagraphView)
        await pilot.press("s", "j", "j", "j")
        assert view.cursor == 1 and view.passage_text() == "The next day was quiet."
        await pilot.press("k")
        assert view.cursor == 0 and view.passage_text() == "Nobody came."


async def test_selection_across_a_paragraph_break(
    store: AnnotationStore, make_app: AppFactory
) -> None:
    """v starts a selection; moving extends it into the next paragraph; t tags all of it."""
    article_id = article(store)
    app = make_app(store, open_article=article_id)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("s", "j", "j", "v", "j")
        await pilot.press("t", *"bridge", "enter")
        await pilot.pause()
        assert app.screen.query_one(ParagraphView).selection is None
    [annotation] = store.list_annotations(article_id)
    anchor = annotation.anchor
    assert (anchor.start_block, anchor.end_block) == (0, 1)
    assert anchor.exact == "Nobody came.\n\nThe next day was quiet."
    assert annotation.tags == ("bridge",)


async def test_escape_cancels_selection_then_goes_back(
    store: AnnotationStore, make_app: AppFactory
) -> None:
    """escape first cancels a selection (nothing saved), then leaves the article."""
    article_id = article(store)
    app = make_app(store, open_article=article_id)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("v", "j", "escape")
        assert isinstance(app.screen, ArticleScreen)
        assert app.screen.query_one(ParagraphView).selection is None
        await pilot.press("escape")
        assert not isinstance(app.screen, ArticleScreen)
    assert store.list_annotations(article_id) == []


async def test_overlapping_highlights_stay_intact(
    store: AnnotationStore, make_app: AppFactory
) -> None:
    """A sentence highlighted inside a highlighted paragraph leaves both intact; h removes one."""
    article_id = article(store)
    app = make_app(store, open_article=article_id)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("h", "s", "v", "j", "h")
        spans = sorted(
            (a.anchor.start_offset, a.anchor.end_offset) for a in store.list_annotations(article_id)
        )
        assert spans == [(0, 50), (0, len(TEXT[0].text))]
        await pilot.press("h")
    assert len(store.list_annotations(article_id)) == 1


async def test_find_ignores_case_and_diacritics(
    store: AnnotationStore, make_app: AppFactory
) -> None:
    """/ finds every spelling (goita finds Goïta); ] and [ move between matches."""
    article_id = article(store)
    app = make_app(store, open_article=article_id)
    async with app.run_test(size=SIZE) as pilot:
        view = app.screen.query_one(ParagraphView)
        await pilot.press("slash", *"goita", "enter")
        await pilot.pause()
        assert [(m[0], m[1]) for m in view.matches] == [(2, 3), (2, 28)]
        assert view.cursor == 2 and view.current_match == 0
        await pilot.press("right_square_bracket")
        assert view.current_match == 1
        await pilot.press("left_square_bracket")
        assert view.current_match == 0
        assert "match 1/2" in screen_text(app)
        await pilot.press("escape")
        assert view.matches == [] and isinstance(app.screen, ArticleScreen)
