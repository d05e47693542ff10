"""Big imports: files stored in batches, each file on its own, bad ones failing alone."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from annotations.errors import StorageError
from annotations.store import AnnotationStore
from reader.ingest import ImportJob, Sources, import_files, iter_files, job


def write_articles(folder: Path, count: int, *, bad: set[int] = frozenset()) -> list[Path]:
    """`count` small articles, each with its own word; the numbers in `bad` are empty files."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for number in range(count):
        path = folder / f"article-{number:04d}.md"
        text = "" if number in bad else f"# Article {number}\n\nA word of its own: w{number}x.\n"
        path.write_text(text, encoding="utf-8")
        paths.append(path)
    return paths


def titles_in_file(path: Path) -> set[str]:
    """The titles stored in a library file, read by a connection of its own."""
    conn = sqlite3.connect(path)
    try:
        return {title for (title,) in conn.execute("SELECT title FROM articles")}
    finally:
        conn.close()


def test_files_across_several_batches_with_failures_in_between(
    file_store: AnnotationStore, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every good file is stored and searchable, 7 per commit; each bad one fails alone."""
    monkeypatch.setattr(job, "BATCH_FILES", 7)
    monkeypatch.setattr(job, "BATCH_SECONDS", 3600)
    bad = {0, 6, 7, 13, 30, 49}
    files = write_articles(tmp_path / "inbox", 50, bad=bad)
    statements: list[str] = []
    file_store.db.conn.set_trace_callback(statements.append)

    summary = import_files(file_store, iter_files([tmp_path / "inbox"]))

    file_store.db.conn.set_trace_callback(None)
    assert summary.imported == 50 - len(bad)
    assert sorted(Path(path).name for path, _ in summary.failures) == [
        files[number].name for number in sorted(bad)
    ]
    assert {reason for _, reason in summary.failures} == {"empty file, no text to read"}
    assert statements.count("COMMIT") == 7  # 44 documents, 7 at a time
    expected = {f"Article {number}" for number in range(50) if number not in bad}
    assert titles_in_file(file_store.path) == expected
    for number in (1, 8, 29, 48):
        [hit] = file_store.search(f"w{number}x")
        assert hit.title == f"Article {number}"
    assert not file_store.db.conn.in_transaction


def test_the_same_text_twice_in_one_batch_is_stored_once(
    file_store: AnnotationStore, tmp_path: Path
) -> None:
    """A copy of a file read in the same batch is `unchanged`, as in separate imports."""
    inbox = tmp_path / "inbox"
    write_articles(inbox, 3)
    (inbox / "copy.md").write_bytes((inbox / "article-0001.md").read_bytes())

    summary = import_files(file_store, iter_files([inbox]))

    assert (summary.imported, summary.unchanged) == (3, 1)
    assert file_store.count_articles() == 3


def test_an_interrupted_import_keeps_the_files_it_read(
    file_store: AnnotationStore, tmp_path: Path
) -> None:
    """Ctrl-C in the middle of a batch: the files read before it are stored."""
    write_articles(tmp_path / "inbox", 30)

    def progress(read: int, item: Path | str | None) -> None:
        if read == 12:  # twelve files read, the thirteenth not yet
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        ImportJob(Sources(list(iter_files([tmp_path / "inbox"]))), progress).run(file_store)

    assert not file_store.db.conn.in_transaction
    assert titles_in_file(file_store.path) == {f"Article {number}" for number in range(12)}


def test_a_failing_library_rolls_back_only_the_batch_being_stored(
    file_store: AnnotationStore, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A storage error stops the import; batches stored before it stay, nothing half-done."""
    monkeypatch.setattr(job, "BATCH_FILES", 5)
    monkeypatch.setattr(job, "BATCH_SECONDS", 3600)
    write_articles(tmp_path / "inbox", 20)
    real = file_store.import_document
    calls = 0

    def refusing(document):  # type: ignore[no-untyped-def]
        nonlocal calls
        calls += 1
        if calls == 13:
            raise sqlite3.OperationalError("database or disk is full")
        return real(document)

    monkeypatch.setattr(file_store, "import_document", refusing)

    with pytest.raises(StorageError, match="disk is full"):
        import_files(file_store, iter_files([tmp_path / "inbox"]))

    assert not file_store.db.conn.in_transaction
    assert titles_in_file(file_store.path) == {f"Article {number}" for number in range(10)}
    assert file_store.db.execute("SELECT count(*) FROM blocks").fetchone()[0] == 10


def test_the_library_is_not_locked_while_files_are_read(
    file_store: AnnotationStore, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Another program writes to the library after every file, without waiting."""
    monkeypatch.setattr(job, "BATCH_FILES", 4)
    write_articles(tmp_path / "inbox", 10)
    assert file_store.path is not None
    other = AnnotationStore(file_store.path)
    other.db.conn.execute("PRAGMA busy_timeout = 0")
    written: list[str] = []

    def meanwhile(_: int, item: Path | str | None) -> None:
        if item is not None:
            other.set_setting("seen", Path(item).stem)
            written.append(Path(item).stem)

    sources = Sources(list(iter_files([tmp_path / "inbox"])))
    summary = ImportJob(sources, on_progress=meanwhile).run(file_store)

    assert summary.imported == 10
    assert len(written) == 10
    assert other.get_setting("seen") == "article-0009"
    other.close()
