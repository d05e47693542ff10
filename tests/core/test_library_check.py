"""The whole-file check of a library at open, and when it is skipped (file as reader left it)."""

from __future__ import annotations

import os
import random
import sqlite3
from pathlib import Path

import pytest

from annotations.errors import LibraryError
from annotations.models import Block, BlockKind, Document
from annotations.store import AnnotationStore, checked_unchanged

PAGE = 4096


def make_library(path: Path, articles: int = 40) -> None:
    """A library file of a few dozen pages, closed."""
    store = AnnotationStore(path)
    for number in range(articles):
        text = f"Paragraph {number} of a library large enough to span pages. " * 20
        blocks = (Block(BlockKind.PARAGRAPH, text),) * 3
        store.import_document(Document(title=f"Article {number}", blocks=blocks))
    store.close()


def damage_in_place(path: Path, *, keep_stamp: bool = False) -> None:
    """Random bytes over three pages in the middle of the file, written into the same file."""
    before = path.stat()
    first = (before.st_size // PAGE // 2) * PAGE
    with path.open("r+b") as handle:
        handle.seek(first)
        handle.write(random.Random(7).randbytes(3 * PAGE))
    if keep_stamp:
        os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))


def test_a_library_closed_by_reader_is_remembered_as_checked(tmp_path: Path) -> None:
    library = tmp_path / "library.db"
    make_library(library)
    assert checked_unchanged(library)
    AnnotationStore(library).close()
    assert checked_unchanged(library)


def test_a_library_changed_since_is_checked_again_and_refused_if_damaged(tmp_path: Path) -> None:
    """Damage written after reader closed the file changes its stamp: the check runs again."""
    library = tmp_path / "library.db"
    make_library(library)
    damage_in_place(library)

    assert not checked_unchanged(library)
    with pytest.raises(LibraryError, match="is damaged or not a library"):
        AnnotationStore(library)
    assert not checked_unchanged(library)


def test_a_write_by_another_program_makes_the_next_open_check_again(tmp_path: Path) -> None:
    library = tmp_path / "library.db"
    make_library(library)
    conn = sqlite3.connect(library)
    conn.execute("UPDATE articles SET title = 'Renamed elsewhere' WHERE title = 'Article 3'")
    conn.commit()
    conn.close()

    assert not checked_unchanged(library)
    store = AnnotationStore(library)  # checked whole again, and fine
    assert "Renamed elsewhere" in {article.title for article in store.list_articles()}
    store.close()
    assert checked_unchanged(library)


def test_a_copy_in_place_of_the_library_is_another_file(tmp_path: Path) -> None:
    """A file moved over the library (same size, same time) is not taken as checked."""
    library = tmp_path / "library.db"
    make_library(library)
    stamp = library.stat()
    copy = tmp_path / "copy.db"
    copy.write_bytes(library.read_bytes())
    damage_in_place(copy)
    os.utime(copy, ns=(stamp.st_atime_ns, stamp.st_mtime_ns))
    os.replace(copy, library)

    with pytest.raises(LibraryError, match="is damaged or not a library"):
        AnnotationStore(library)


def test_damage_that_keeps_the_stamp_is_found_when_its_pages_are_read(tmp_path: Path) -> None:
    """The check is skipped for a file as reader left it.

    Damage from below the file system (same size and time) is then found by what reads
    those pages (an error of that one operation), not at open.
    """
    library = tmp_path / "library.db"
    make_library(library)
    damage_in_place(library, keep_stamp=True)

    store = AnnotationStore(library)
    try:
        problems = [row[0] for row in store.db.execute("PRAGMA quick_check")]
    except sqlite3.DatabaseError as error:
        problems = [str(error)]
    store.db.close()
    assert problems != ["ok"]
