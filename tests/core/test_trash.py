"""The trash: articles and annotations deleted, kept as JSON records, brought back whole.

Real library files in the test's folder; failures are made by SQLite itself (a trigger
that refuses), not by mocks.
"""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from annotations.errors import NotFoundError, StorageError
from annotations.export import export_json
from annotations.models import Block, BlockKind, Document
from annotations.store import AnnotationStore
from annotations.trash import (
    TRASH_DAYS,
    delete_annotation,
    delete_article,
    empty_trash,
    purge_old_trash,
    trash_entries,
    undelete,
)
from reader.library import open_library
from tests.conftest import FixedClock
from tests.reliability.test_store_properties import check_library

TEXT = ("Bridges over the river Goïta.", "Towns grew around them.", "A third paragraph.")


def make_article(store: AnnotationStore, title: str = "Bridges", source: str = "/src/b.md") -> str:
    """An article with annotations (tags, a note), a reading position, archived and edited."""
    blocks = tuple(Block(BlockKind.PARAGRAPH, text) for text in TEXT)
    article_id = store.import_document(
        Document(title, blocks, source, tags=("history", "Cities"))
    ).article.id
    store.add_highlight(article_id, (0, 0), (0, 7), tags=["idea"], note="saltmarsh memo")
    store.add_highlight(article_id, (1, 0), (2, 1), color="green")
    store.set_position(article_id, 2)
    store.edit_article(article_id, author="A. Writer")
    store.set_archived(article_id, True)
    return article_id


def record(store: AnnotationStore, article_id: str) -> dict[str, Any]:
    """The article's record in the JSON export."""
    data = json.loads(export_json(store, [store.get_article(article_id)]))
    article: dict[str, Any] = data["articles"][0]
    return article


def rows_of(store: AnnotationStore, article_id: str) -> dict[str, int]:
    """How many rows of each table belong to an article."""
    counts = {"articles": store._count("SELECT count(*) FROM articles WHERE id = ?", [article_id])}
    for table in ("blocks", "annotations", "article_tags"):
        sql = f"SELECT count(*) FROM {table} WHERE article_id = ?"
        counts[table] = store._count(sql, [article_id])
    return counts


def test_an_article_goes_to_the_trash_and_comes_back_whole(file_store: AnnotationStore) -> None:
    article_id = make_article(file_store)
    before = record(file_store, article_id)
    tags_before = file_store.list_tags()

    entry = delete_article(file_store, article_id[:8])

    assert (entry.kind, entry.item_id, entry.article_id) == ("article", article_id, article_id)
    assert (entry.title, entry.annotations) == ("Bridges", 2)
    assert rows_of(file_store, article_id) == {
        "articles": 0,
        "blocks": 0,
        "annotations": 0,
        "article_tags": 0,
    }
    assert file_store.list_tags() == []
    assert file_store.search("saltmarsh") == file_store.search("goita") == []
    assert trash_entries(file_store) == [entry]
    check_library(file_store)

    assert undelete(file_store, article_id) == entry

    assert record(file_store, article_id) == before
    assert file_store.list_tags() == tags_before
    assert [hit.source for hit in file_store.search("saltmarsh")] == ["note"]
    assert file_store.get_article(article_id).archived
    assert trash_entries(file_store) == []
    check_library(file_store)


def test_an_annotation_goes_to_the_trash_and_comes_back(file_store: AnnotationStore) -> None:
    article_id = make_article(file_store)
    noted = next(a for a in file_store.list_annotations(article_id) if a.note)

    entry = delete_annotation(file_store, noted.id)

    assert (entry.kind, entry.item_id, entry.article_id, entry.annotations) == (
        "annotation",
        noted.id,
        article_id,
        1,
    )
    assert file_store.search("saltmarsh") == []
    assert "idea" not in {tag.name for tag in file_store.list_tags()}
    assert file_store.get_article(article_id).annotation_count == 1
    check_library(file_store)

    undelete(file_store, noted.id[:8])

    assert file_store.get_annotation(noted.id) == noted
    assert file_store.get_article(article_id).annotation_count == 2
    assert trash_entries(file_store) == []
    check_library(file_store)


def test_an_annotation_comes_back_into_a_changed_text(file_store: AnnotationStore) -> None:
    """Its article's text changed since: it is placed again, as a restore places it."""
    article_id = make_article(file_store)
    noted = next(a for a in file_store.list_annotations(article_id) if a.note)
    delete_annotation(file_store, noted.id)
    texts = ("A new start.", *TEXT)
    blocks = tuple(Block(BlockKind.PARAGRAPH, text) for text in texts)
    file_store.import_document(Document("Bridges", blocks, "/src/b.md"))

    undelete(file_store, noted.id)

    back = file_store.get_annotation(noted.id)
    assert (back.anchor.start_block, back.anchor.exact, back.note) == (1, "Bridges", noted.note)
    check_library(file_store)


def test_an_annotation_of_a_deleted_article_waits_for_its_article(
    file_store: AnnotationStore,
) -> None:
    article_id = make_article(file_store)
    annotation = file_store.list_annotations(article_id)[0]
    delete_annotation(file_store, annotation.id)
    delete_article(file_store, article_id)

    with pytest.raises(NotFoundError, match="not in the library; bring it back first"):
        undelete(file_store, annotation.id)
    assert len(trash_entries(file_store)) == 2

    undelete(file_store, article_id)
    undelete(file_store, annotation.id)
    assert len(file_store.list_annotations(article_id)) == 2
    check_library(file_store)


def test_undelete_finds_the_latest_entry_by_id_or_prefix(file_store: AnnotationStore) -> None:
    first = make_article(file_store)
    second = make_article(file_store, "Rivers", "/src/r.md")
    delete_article(file_store, first)
    undelete(file_store, first)
    delete_article(file_store, first)
    delete_article(file_store, second)

    assert [entry.item_id for entry in trash_entries(file_store)] == [second, first]
    assert undelete(file_store, first.upper()[:8].lower()).item_id == first
    with pytest.raises(NotFoundError, match="nothing with id nope in the trash"):
        undelete(file_store, "nope")
    with pytest.raises(NotFoundError, match="no id given"):
        undelete(file_store, " ")
    with pytest.raises(NotFoundError, match="no article with id"):
        delete_article(file_store, "nope")
    with pytest.raises(NotFoundError):
        delete_annotation(file_store, "nope")


def test_an_ambiguous_prefix_is_refused(file_store: AnnotationStore) -> None:
    for title in ("One", "Two"):
        made = file_store.import_document(Document(title, (Block(BlockKind.PARAGRAPH, title),)))
        delete_article(file_store, made.article.id)
    # Two ids that start alike (UUIDs rarely do, ids restored from a backup may).
    file_store.db.execute("UPDATE trash SET item_id = 'abc' || id, article_id = 'abc' || id")
    with pytest.raises(NotFoundError, match="ambiguous"):
        undelete(file_store, "abc")
    assert undelete(file_store, "abc1").item_id == "abc1"


def test_the_same_text_imported_again_takes_the_annotations(file_store: AnnotationStore) -> None:
    """An article deleted, then its file imported anew: undelete brings its annotations to
    the article now in the library, and makes no second copy of the text."""
    article_id = make_article(file_store)
    delete_article(file_store, article_id)
    blocks = tuple(Block(BlockKind.PARAGRAPH, text) for text in TEXT)
    again = file_store.import_document(Document("Bridges", blocks, "/src/b.md")).article

    undelete(file_store, article_id)

    assert [a.id for a in file_store.list_articles()] == [again.id]
    assert len(file_store.list_annotations(again.id)) == 2
    check_library(file_store)


def test_a_refused_delete_or_undelete_changes_nothing(file_store: AnnotationStore) -> None:
    """Each is one transaction: when SQLite refuses a part, none of it is saved."""
    article_id = make_article(file_store)
    before = record(file_store, article_id)
    file_store.db.execute(
        "CREATE TRIGGER refuse_delete BEFORE DELETE ON articles "
        "BEGIN SELECT RAISE(ABORT, 'refused'); END"
    )
    with pytest.raises(StorageError, match="refused"):
        delete_article(file_store, article_id)
    assert trash_entries(file_store) == []
    assert record(file_store, article_id) == before

    file_store.db.execute("DROP TRIGGER refuse_delete")
    delete_article(file_store, article_id)
    file_store.db.execute(
        "CREATE TRIGGER refuse_insert BEFORE INSERT ON annotations "
        "BEGIN SELECT RAISE(ABORT, 'refused'); END"
    )
    with pytest.raises(StorageError, match="refused"):
        undelete(file_store, article_id)
    assert len(trash_entries(file_store)) == 1
    assert file_store.list_articles() == []
    check_library(file_store)


def test_the_trash_empties_all_or_what_is_old(tmp_path: Path) -> None:
    clock = FixedClock()
    store = AnnotationStore(tmp_path / "lib.db", clock=clock)
    old = make_article(store)
    delete_article(store, old)
    clock.now += timedelta(days=TRASH_DAYS - 1)
    recent = make_article(store, "Rivers", "/src/r.md")
    delete_article(store, recent)
    clock.now += timedelta(days=2)

    assert purge_old_trash(store) == 1
    assert [entry.item_id for entry in trash_entries(store)] == [recent]
    assert purge_old_trash(store) == 0
    assert empty_trash(store, older_than_days=5) == 0
    assert empty_trash(store) == 1
    assert trash_entries(store) == []
    store.close()


def test_opening_a_library_purges_what_is_older_than_30_days(tmp_path: Path) -> None:
    path = tmp_path / "lib.db"
    clock = FixedClock()
    store = AnnotationStore(path, clock=clock)
    delete_article(store, make_article(store))
    kept = make_article(store, "Rivers", "/src/r.md")
    clock.now += timedelta(days=20)
    delete_article(store, kept)
    store.close()

    clock.now += timedelta(days=TRASH_DAYS - 15)
    reopened = open_library(path, clock=clock, samples=False)

    assert [entry.item_id for entry in trash_entries(reopened)] == [kept]
    reopened.close()
