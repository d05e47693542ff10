"""Imports of many files and URLs: each one read, stored in batches, counted in a summary."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from annotations.clippings_sync import import_highlights
from annotations.formats.clippings import HighlightsError
from reader.ingest.fetch import load_url
from reader.ingest.sources import (
    MISSING,
    Sources,
    folder_problem,
    highlights_kind,
    load_document,
)
from reader.ingest.text import ImportFailure
from reader.words import plural

if TYPE_CHECKING:
    from annotations.models import Document, ImportResult
    from annotations.store import AnnotationStore

    Storing = Callable[[], list[ImportResult]]
    """A step that writes to the library, and what it stored."""
    CallStoring = Callable[[Storing], list[ImportResult] | None]
    """Runs a storing step, e.g. on the thread that owns the library; None if it could not."""

BATCH_FILES = 200
"""Documents an import reads before storing them together, in one transaction..."""
BATCH_CHARACTERS = 8_000_000
"""...or fewer, once they hold this much text (memory stays flat)..."""
BATCH_SECONDS = 0.5
"""...or once the first of them has waited this long (so the import shows up as it goes)."""


@dataclass
class ImportSummary:
    """Counts and failures of an import batch."""

    imported: int = 0
    updated: int = 0
    unchanged: int = 0
    failures: list[tuple[str, str]] = field(default_factory=list)
    article_ids: list[str] = field(default_factory=list)
    warnings: list[tuple[str, str]] = field(default_factory=list)
    """Files imported with a part that could not be read, and what (one line each)."""
    orphaned: int = 0
    """Annotations of updated articles that could not be placed in their changed text."""

    @property
    def failed(self) -> int:
        """How many files failed."""
        return len(self.failures)

    def add(self, item: Path | str, result: ImportResult) -> None:
        """Count an article stored from an item (a file or URL), and keep its warnings."""
        setattr(self, result.status, getattr(self, result.status) + 1)
        self.article_ids.append(result.article.id)
        self.warnings.extend((str(item), warning) for warning in result.warnings)
        self.orphaned += result.orphaned

    def line(self) -> str:
        """The summary line: `imported N, updated N, unchanged N, failed N`."""
        return (
            f"imported {self.imported}, updated {self.updated}, "
            f"unchanged {self.unchanged}, failed {self.failed}"
        )

    def orphans_line(self) -> str:
        """What became of annotations whose text changed, if some could not be placed."""
        if not self.orphaned:
            return ""
        stays, them = ("stays", "it") if self.orphaned == 1 else ("stay", "them")
        return (
            f"{plural(self.orphaned, 'annotation')} could not be placed in the changed text "
            f"and {stays} orphaned: the annotations list (a) shows {them} and re-attaches "
            f"{them} (r)"
        )


class ImportJob:
    """One import of many files and URLs into a library, and its summary.

    Documents are read and parsed outside any transaction, then stored a few hundred at a
    time in one transaction (a commit and a segment of the search index per file made big
    imports several times slower), each in a savepoint of its own: the write lock is held
    only while storing. Files of highlights and web pages are imported on their own, in
    order. A bad item never stops the import. Stopped or interrupted (Ctrl-C), the import
    stores what it has read first; an error of the library itself (disk full) rolls back
    the batch being stored and ends the import.

    Args:
        sources: What to import (see `find_sources`); its missing arguments are failures.
        on_progress: Called before each item with the number of items done and the item,
            and once all are done with their number and None.
        should_stop: Asked before each item; True stops the import there (`stopped`).
    """

    def __init__(
        self,
        sources: Sources,
        on_progress: Callable[[int, Path | str | None], None] | None = None,
        should_stop: Callable[[], bool] | None = None,
    ) -> None:
        self.items = sources.items
        """The files and URLs to import, in order."""
        self.on_progress = on_progress
        self.should_stop = should_stop
        self.summary = ImportSummary(failures=[(target, MISSING) for target in sources.missing])
        """What the import has done so far (complete once `run` returns)."""
        self.stopped = False
        """Whether `should_stop` ended the import before its last item."""

    def run(self, store: AnnotationStore, call: CallStoring | None = None) -> ImportSummary:
        """Import the items into a library; the summary.

        Args:
            store: The `AnnotationStore` to import into.
            call: Runs each step that writes to the library (by default, here), e.g. on
                the thread that owns an in-memory library; a step it returns None for
                is not counted.
        """
        batch = _Batch(store, call or _here, self.summary)
        try:
            for done, item in enumerate(self.items):
                if self.should_stop is not None and self.should_stop():
                    self.stopped = True
                    break
                if self.on_progress is not None:
                    self.on_progress(done, item)
                try:
                    document = _plain_document(item)
                    if document is None:
                        batch.store_all()  # the library gets everything in the order given
                        batch.store_alone(item, _read_alone(item))
                    else:
                        batch.add(item, document)
                except ImportFailure as error:
                    self.summary.failures.append((str(item), str(error)))
            else:
                if self.on_progress is not None:
                    self.on_progress(len(self.items), None)
        except KeyboardInterrupt:
            batch.store_all()
            raise
        batch.store_all()
        return self.summary


def import_files(store: AnnotationStore, files: Iterable[Path | str]) -> ImportSummary:
    """Import files (see `iter_files`) and URLs into a store, as an `ImportJob` does."""
    return ImportJob(Sources(list(files))).run(store)


def import_item(store: AnnotationStore, item: Path | str) -> list[ImportResult]:
    """Import one file or URL, in its own transaction(s).

    Args:
        store: The `AnnotationStore` to import into.
        item: A file path, or a URL as a string.

    Returns:
        One result per article stored (a file of highlights can hold several books).

    Raises:
        ImportFailure: With a one-line reason when it cannot be imported.
    """
    return _read_alone(item)(store)


def _here(storing: Storing) -> list[ImportResult]:
    return storing()


class _Batch:
    """Documents read and parsed, waiting to be stored in the library together."""

    def __init__(self, store: AnnotationStore, call: CallStoring, summary: ImportSummary) -> None:
        self.store = store
        self.call = call
        self.summary = summary
        self.documents: list[tuple[Path | str, Document]] = []
        self.characters = 0
        self.since = 0.0

    def add(self, item: Path | str, document: Document) -> None:
        """Queue a document read from an item; store the queue when it is full."""
        if not self.documents:
            self.since = time.monotonic()
        self.documents.append((item, document))
        self.characters += sum(len(block.text) for block in document.blocks)
        if (
            len(self.documents) >= BATCH_FILES
            or self.characters >= BATCH_CHARACTERS
            or time.monotonic() - self.since >= BATCH_SECONDS
        ):
            self.store_all()

    def store_all(self) -> None:
        """Store the queued documents in one transaction, each in a savepoint of its own."""
        if not self.documents:
            return
        documents, self.documents, self.characters = self.documents, [], 0
        store = self.store

        def storing() -> list[ImportResult]:
            with store.transaction():
                return [store.import_document(document) for _, document in documents]

        results = self.call(storing)
        if results is not None:
            for (item, _), result in zip(documents, results, strict=True):
                self.summary.add(item, result)

    def store_alone(
        self, item: Path | str, storing: Callable[[AnnotationStore], list[ImportResult]]
    ) -> None:
        """Store what an item holds in its own transaction(s)."""
        for result in self.call(lambda: storing(self.store)) or []:
            self.summary.add(item, result)


def _read_alone(item: Path | str) -> Callable[[AnnotationStore], list[ImportResult]]:
    """Read an item that is stored on its own; the step that stores it.

    A web page is fetched here; a file of highlights is read as it is stored.

    Raises:
        ImportFailure: With a one-line reason when it cannot be imported.
    """
    if isinstance(item, str):
        page = load_url(item)
        return lambda store: [store.import_document(page)]
    if item.is_dir():
        raise ImportFailure(folder_problem(item))
    kind = highlights_kind(item)
    if kind is None and item.suffix.lower() == ".csv":
        raise ImportFailure("unsupported file type .csv (not a Kindle or Readwise highlights file)")
    if kind is None:
        document = load_document(item)
        return lambda store: [store.import_document(document)]
    return lambda store: _import_highlights(store, item, kind)


def _import_highlights(store: AnnotationStore, path: Path, kind: str) -> list[ImportResult]:
    try:
        return import_highlights(store, path, kind)
    except HighlightsError as error:
        raise ImportFailure(str(error)) from None


def _plain_document(item: Path | str) -> Document | None:
    """The parsed document of a text, Markdown or HTML file; None for anything else.

    Web pages, folders and highlights files are stored on their own.

    Raises:
        ImportFailure: If the file cannot be read or parsed.
    """
    if isinstance(item, str) or item.is_dir() or item.suffix.lower() == ".csv":
        return None
    if highlights_kind(item) is not None:
        return None
    return load_document(item)
