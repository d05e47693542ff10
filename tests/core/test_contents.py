"""An article's table of contents: a book's own, else its headings; the chapter of a block."""

from __future__ import annotations

from pathlib import Path

from annotations.models import (
    Block,
    BlockKind,
    ContentsEntry,
    Document,
    chapter_path,
    chapter_title,
)
from annotations.store import AnnotationStore


def _book(contents: tuple[ContentsEntry, ...] = (), source: str = "/books/b.epub") -> Document:
    blocks = (
        Block(BlockKind.HEADING, "Book One", 1),
        Block(BlockKind.HEADING, "Chapter 1", 2),
        Block(BlockKind.PARAGRAPH, "It began."),
        Block(BlockKind.HEADING, "Chapter 2", 2),
        Block(BlockKind.PARAGRAPH, "It went on."),
        Block(BlockKind.PARAGRAPH, "It ended."),
    )
    return Document("A book", blocks, source=source, format="epub", contents=contents)


def test_the_chapter_of_a_block_names_the_entries_it_is_in() -> None:
    contents = (
        ContentsEntry("Book One", 0, 1),
        ContentsEntry("Chapter 1", 1, 2),
        ContentsEntry("Chapter 2", 3, 2),
        ContentsEntry("Book Two", 6, 1),
        ContentsEntry("Chapter 1", 7, 2),
    )
    assert chapter_title(contents, 2) == "Book One › Chapter 1"
    assert chapter_title(contents, 5) == "Book One › Chapter 2"
    assert chapter_title(contents, 6) == "Book Two"
    assert chapter_title(contents, 99) == "Book Two › Chapter 1"
    assert chapter_path((ContentsEntry("Late", 3),), 1) == ()
    assert chapter_title((), 4) is None


def test_an_article_without_its_own_contents_has_its_headings(tmp_path: Path) -> None:
    store = AnnotationStore(tmp_path / "library.db")
    article = store.import_document(_book()).article
    assert store.get_contents(article.id) == [
        ContentsEntry("Book One", 0, 1),
        ContentsEntry("Chapter 1", 1, 2),
        ContentsEntry("Chapter 2", 3, 2),
    ]
    assert store.chapter_of(article.id, 5) == "Book One › Chapter 2"


def test_a_book_keeps_its_own_contents_and_a_new_version_replaces_them(tmp_path: Path) -> None:
    store = AnnotationStore(tmp_path / "library.db")
    own = (ContentsEntry("Opening", 0), ContentsEntry("Middle", 4), ContentsEntry("Lost", 60))
    article = store.import_document(_book(own)).article
    assert store.get_contents(article.id) == [
        ContentsEntry("Opening", 0),
        ContentsEntry("Middle", 4),
    ]
    assert store.chapter_of(article.id, 5) == "Middle"
    changed = _book((ContentsEntry("Start", 0),))
    changed = Document(
        changed.title,
        (*changed.blocks, Block(BlockKind.PARAGRAPH, "More.")),
        source=changed.source,
        contents=changed.contents,
    )
    assert store.import_document(changed).status == "updated"
    assert store.get_contents(article.id) == [ContentsEntry("Start", 0)]
    store.delete_article(article.id)
    assert store.get_contents(article.id) == []


def test_a_blank_heading_is_no_entry_and_a_backup_of_it_restores(tmp_path: Path) -> None:
    import json

    from annotations import export
    from annotations.formats.backup import parse_backup

    store = AnnotationStore(tmp_path / "library.db")
    blocks = (Block(BlockKind.HEADING, " \t", 2), Block(BlockKind.PARAGRAPH, "Text."))
    article = store.import_document(Document("Blank", blocks, source="/b.txt")).article
    assert store.get_contents(article.id) == []
    backup = parse_backup(json.loads(export.export_json(store)))
    assert backup.articles[0].contents == ()
