"""SVG snapshots that guard the looks of the main screens."""

from __future__ import annotations

from typing import Any

from sqlite_utils import Database

from annotations.store import AnnotationStore
from reader.app import ReaderApp
from reader.ingest import import_files
from reader.library import sample_files
from tests.conftest import FixedClock
from tests.tui.conftest import article_id

SIZE = (100, 32)


def sample_store() -> AnnotationStore:
    """The bundled samples in a memory library, with a fixed clock."""
    store = AnnotationStore(Database(memory=True), clock=FixedClock())
    import_files(store, sample_files())
    return store


class TestLibraryScreen:
    """Snapshots of the library screen."""

    def test_first_start(self, snap_compare: Any, tmp_path: Any) -> None:
        """The library as a new user first sees it."""
        app = ReaderApp(sample_store(), export_folder=tmp_path)
        assert snap_compare(app, terminal_size=SIZE)


class TestArticleScreen:
    """Snapshots of the article screen."""

    def test_annotated_article(self, snap_compare: Any, tmp_path: Any) -> None:
        """Highlights in two colours, tags and a note, with the cursor on a list item."""
        store = sample_store()
        notes = article_id(store, "Why plain text")
        store.add_highlight(notes, (0, 0), (0, 60), tags=["formats", "longevity"])
        store.add_highlight(notes, (2, 10), (3, 20), color="green", note="Worth a second read.")
        app = ReaderApp(store, open_article=notes, export_folder=tmp_path)
        assert snap_compare(app, terminal_size=SIZE, press=["j", "j", "j", "j", "j"])

    def test_code_and_quote_blocks(self, snap_compare: Any, tmp_path: Any) -> None:
        """Code keeps its line breaks and quotes are set apart."""
        store = sample_store()
        notes = article_id(store, "Why plain text")
        app = ReaderApp(store, open_article=notes, export_folder=tmp_path)
        assert snap_compare(app, terminal_size=SIZE, press=["G"])

    def test_help_screen(self, snap_compare: Any, tmp_path: Any) -> None:
        """The help screen lists the article keys."""
        store = sample_store()
        app = ReaderApp(store, open_article=article_id(store, "Welcome"), export_folder=tmp_path)
        assert snap_compare(app, terminal_size=(100, 44), press=["question_mark"])
