"""SVG snapshots that guard the looks of the library-wide lists: search and annotations."""

from __future__ import annotations

from typing import Any

from annotations.models import Document
from annotations.store import AnnotationStore
from reader.app import ReaderApp
from tests.tui.conftest import article_id, typed
from tests.tui.test_snapshots import sample_store

SIZE = (100, 32)


def annotated_samples() -> AnnotationStore:
    """The bundled samples with annotations in every colour, tags, notes and an orphan."""
    store = sample_store()
    notes = article_id(store, "Why plain text")
    keeper = article_id(store, "The Lighthouse")
    store.add_highlight(notes, (0, 0), (0, 24), tags=["formats"])
    store.add_highlight(
        notes, (2, 10), (3, 20), color="green", note="Worth a second read.\nAnd a third."
    )
    store.add_highlight(keeper, (3, 0), (3, 90), color="blue", tags=["island", "weather"])
    store.add_highlight(keeper, (5, 0), (5, 60), color="pink", note="The ferryman knows.")
    orphan = store.add_highlight(keeper, (6, 0), (6, 40), tags=["island"])
    # Re-import the article without that paragraph's text: its highlight is orphaned.
    article = store.get_article(keeper)
    blocks = store.get_blocks(keeper)
    changed = (*blocks[:6], *blocks[7:])
    store.import_document(
        Document(title=article.title, blocks=changed, source=article.source, author=article.author)
    )
    assert store.get_annotation(orphan.id).orphaned
    return store


class TestSearchScreen:
    """Snapshots of the search screen."""

    def test_results_with_marks(self, snap_compare: Any, tmp_path: Any) -> None:
        """Results for a two-word query: title, paragraph, kind, and the terms marked."""
        app = ReaderApp(annotated_samples(), export_folder=tmp_path)

        async def run_before(pilot: Any) -> None:
            await pilot.press("slash")
            await typed(pilot, *"light keeper")
            await pilot.press("down")

        assert snap_compare(app, terminal_size=SIZE, run_before=run_before)


class TestAnnotationsScreen:
    """Snapshots of the annotations list."""

    def test_all_annotations(self, snap_compare: Any, tmp_path: Any) -> None:
        """Every annotation with its colour, title, tags, note, and an orphaned one marked."""
        app = ReaderApp(annotated_samples(), export_folder=tmp_path)
        assert snap_compare(app, terminal_size=SIZE, press=["a", "j"])
