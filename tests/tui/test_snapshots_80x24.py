"""SVG snapshots of the main screens in a standard 80x24 terminal."""

from __future__ import annotations

from typing import Any

from reader.app import ReaderApp
from tests.tui.conftest import article_id
from tests.tui.test_snapshots import sample_store
from tests.tui.test_snapshots_lists import annotated_samples

SIZE = (80, 24)


class TestStandardTerminal:
    """The library, an annotated article and the annotations list at 80x24."""

    def test_library(self, snap_compare: Any, tmp_path: Any) -> None:
        """Titles take what the number columns leave; the summary ends with a whole item."""
        app = ReaderApp(annotated_samples(), export_folder=tmp_path)
        assert snap_compare(app, terminal_size=SIZE)

    def test_annotated_article(self, snap_compare: Any, tmp_path: Any) -> None:
        """Highlights in three colours, one with tags and a note, under a whole header."""
        store = sample_store()
        notes = article_id(store, "Why plain text")
        store.add_highlight(
            notes, (0, 0), (0, 60), tags=["formats", "longevity"], note="The whole argument."
        )
        store.add_highlight(notes, (0, 150), (0, 230), color="blue")
        store.add_highlight(notes, (2, 10), (2, 80), color="green", note="Worth a second read.")
        app = ReaderApp(store, open_article=notes, export_folder=tmp_path)
        assert snap_compare(app, terminal_size=SIZE)

    def test_annotations_list(self, snap_compare: Any, tmp_path: Any) -> None:
        """Every annotation with its colour, title, whole tags and note."""
        app = ReaderApp(annotated_samples(), export_folder=tmp_path)
        assert snap_compare(app, terminal_size=SIZE, press=["a"])
