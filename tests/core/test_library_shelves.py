"""Articles kept for years: details edited by hand, archiving, shelves, article tags, titles.

Real library files in the test's folder; imports through the real ingestion.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlite_utils import Database

from annotations.export import export_json
from annotations.formats.backup import parse_backup
from annotations.models import Block, BlockKind, Document, Tag
from annotations.restore import restore
from annotations.store import SHELVES, AnnotationStore
from annotations.store.migrations import migration_set
from reader.ingest import import_files
from tests.conftest import FixedClock


def document(title: str, source: str, *texts: str, tags: tuple[str, ...] = ()) -> Document:
    blocks = tuple(Block(BlockKind.PARAGRAPH, text) for text in texts or ("Some text.",))
    return Document(title, blocks, source, tags=tags)


def add(store: AnnotationStore, title: str, tags: tuple[str, ...] = ()) -> str:
    """Import a one-paragraph article; its id."""
    made = store.import_document(
        document(title, f"/src/{title}.md", f"Text of {title}.", tags=tags)
    )
    return made.article.id


# Editing ------------------------------------------------------------------------------


def test_an_edit_changes_only_what_is_given_and_marks_it(file_store: AnnotationStore) -> None:
    """Title, author, date and tags change one by one; each goes into `edited`."""
    article_id = file_store.import_document(
        Document(
            "Supported Python Versions PyPI version",
            (Block(BlockKind.PARAGRAPH, "A text."),),
            "/src/readme.md",
            date="2020-01",
            author="Someone",
            tags=("python",),
        )
    ).article.id

    edited = file_store.edit_article(article_id, title="  The   real\ntitle ")
    assert (edited.title, edited.author, edited.date, edited.tags) == (
        "The real title",
        "Someone",
        "2020-01",
        ("python",),
    )
    assert edited.edited == ("title",)
    edited = file_store.edit_article(article_id, date="2021", tags=["#Essays", "essays", " later "])
    assert (edited.date, edited.tags, edited.edited) == (
        "2021",
        ("Essays", "later"),
        ("title", "date", "tags"),
    )
    edited = file_store.edit_article(article_id, author="", date="")
    assert (edited.author, edited.date) == (None, None)
    assert edited.edited == ("title", "author", "date", "tags")
    assert file_store.get_article(article_id) == edited


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"title": "   "}, "a title cannot be empty"),
        ({"date": "2024-13"}, "date '2024-13' does not exist"),
        ({"date": "2023-02-29"}, "date '2023-02-29' does not exist"),
        ({"date": "May 2024"}, "date 'May 2024' is not YYYY, YYYY-MM or YYYY-MM-DD"),
        ({"date": "2024-5"}, "date '2024-5' is not YYYY, YYYY-MM or YYYY-MM-DD"),
    ],
)
def test_an_edit_refuses_a_blank_title_and_a_bad_date(
    file_store: AnnotationStore, changes: dict[str, str], message: str
) -> None:
    """A refused edit says why in one line and changes nothing (not even the other fields)."""
    article_id = add(file_store, "Bridges")
    before = file_store.get_article(article_id)
    with pytest.raises(ValueError) as refused:
        file_store.edit_article(article_id, author="New author", **changes)
    assert str(refused.value) == message
    assert file_store.get_article(article_id) == before


def test_an_edit_of_an_unknown_article_is_not_found(file_store: AnnotationStore) -> None:
    with pytest.raises(LookupError):
        file_store.edit_article("no-such-id", title="x")
    with pytest.raises(LookupError):
        file_store.set_archived("no-such-id", True)


def test_an_edit_survives_a_reimport_of_the_changed_file(
    tmp_path: Path, file_store: AnnotationStore
) -> None:
    """The reader's title, date and tags win over the file's; the text is the file's new one."""
    source = tmp_path / "readme.md"
    source.write_text(
        "---\ntitle: Supported Python Versions PyPI version\ndate: 2020-01\n"
        "author: Badge Maker\ntags: [badges]\n---\n\nFirst paragraph.\n\nSecond one.\n",
        encoding="utf-8",
    )
    import_files(file_store, [source])
    (article,) = file_store.list_articles()
    annotation = file_store.add_highlight(article.id, (1, 0), (1, 6), note="mine")
    file_store.edit_article(article.id, title="Packaging notes", date="2024-05", tags=["python"])

    source.write_text(
        "---\ntitle: Supported Python Versions PyPI version v2\ndate: 2020-02\n"
        "author: Badge Maker II\ntags: [badges, ci]\n---\n\nA new first paragraph.\n\n"
        "Second one.\n",
        encoding="utf-8",
    )
    summary = import_files(file_store, [source])

    assert (summary.imported, summary.updated) == (0, 1)
    (after,) = file_store.list_articles()
    assert after.id == article.id
    assert (after.title, after.date, after.tags) == ("Packaging notes", "2024-05", ("python",))
    assert after.author == "Badge Maker II"  # not edited: the file's new value
    assert [block.text for block in file_store.get_blocks(article.id)] == [
        "A new first paragraph.",
        "Second one.",
    ]
    assert file_store.get_annotation(annotation.id).anchor.exact == "Second"
    assert {tag.name for tag in file_store.list_tags()} == {"python"}

    # The same file again: nothing to do.
    assert import_files(file_store, [source]).unchanged == 1
    assert file_store.get_article(article.id).title == "Packaging notes"


def test_an_unchanged_file_reimported_after_a_title_edit_is_unchanged(
    tmp_path: Path, file_store: AnnotationStore
) -> None:
    source = tmp_path / "notes.txt"
    source.write_text("A Title\n\nSome text to read.\n", encoding="utf-8")
    import_files(file_store, [source])
    (article,) = file_store.list_articles()
    file_store.edit_article(article.id, title="Better title")

    summary = import_files(file_store, [source])

    assert (summary.updated, summary.unchanged) == (0, 1)
    assert file_store.get_article(article.id).title == "Better title"


# Archiving and shelves ------------------------------------------------------------------


def test_archiving_moves_an_article_between_shelves(file_store: AnnotationStore) -> None:
    first, second, third = (add(file_store, title) for title in ("One", "Two", "Three"))

    archived = file_store.set_archived(second, True)

    assert archived.archived and archived.archived_at is not None
    assert file_store.set_archived(second, True).archived_at == archived.archived_at
    assert SHELVES == ("reading", "archived", "all")
    assert [a.id for a in file_store.list_articles("reading")] == [third, first]
    assert [a.id for a in file_store.list_articles("archived")] == [second]
    assert [a.id for a in file_store.list_articles()] == [third, second, first]
    assert file_store.count_articles(shelf="reading") == 2
    assert file_store.count_articles("Tw", shelf="archived") == 1
    assert file_store.count_articles("Tw", shelf="reading") == 0
    assert [a.id for a in file_store.list_articles_page(0, 10, shelf="archived")] == [second]
    assert file_store.position_of(second, shelf="archived") == 0
    assert file_store.position_of(second, shelf="reading") is None
    assert file_store.position_of(first, "title", shelf="reading") == 0
    assert file_store.position_of(first, "title") == 0

    assert not file_store.set_archived(second, False).archived
    assert file_store.count_articles(shelf="archived") == 0
    with pytest.raises(ValueError, match="unknown shelf"):
        file_store.list_articles_page(0, 10, shelf="finished")


@pytest.mark.parametrize("order", ["added", "opened", "title", "date", "annotations"])
def test_pages_of_a_shelf_follow_every_order(file_store: AnnotationStore, order: str) -> None:
    """A shelf's pages are the whole order's articles of that shelf, in the same order."""
    ids = [add(file_store, f"Article {n:02}") for n in range(12)]
    for number, article_id in enumerate(ids):
        if number % 3 == 0:
            file_store.set_archived(article_id, True)
        if number % 4 == 0:
            file_store.set_position(article_id, 0)
    everything = [a.id for a in file_store.list_articles_page(0, 100, order=order)]
    for shelf in SHELVES:
        on_shelf = {a.id for a in file_store.list_articles(shelf)}
        pages = [
            a.id
            for start in range(0, 12, 5)
            for a in file_store.list_articles_page(start, 5, order=order, shelf=shelf)
        ]
        assert pages == [article_id for article_id in everything if article_id in on_shelf]
        for index, article_id in enumerate(pages):
            assert file_store.position_of(article_id, order, shelf=shelf) == index


def test_a_page_of_a_shelf_is_read_from_an_index(file_store: AnnotationStore) -> None:
    """Each order of each shelf walks an index of m005 (no sort of the whole library)."""
    for shelf in ("reading", "archived"):
        where = file_store._shelf_filter(shelf)
        for order, order_by in file_store._ARTICLE_ORDERS.items():
            plan = " ".join(
                row[-1]
                for row in file_store.conn.execute(
                    f"EXPLAIN QUERY PLAN SELECT a.rowid FROM articles a WHERE {where} "
                    f"ORDER BY {order_by} LIMIT 50"
                )
            )
            assert "idx_articles_shelf_" in plan, (shelf, order, plan)
            assert "TEMP B-TREE" not in plan, (shelf, order, plan)


# Article tags ---------------------------------------------------------------------------


def test_article_tags_are_counted_and_filter_the_library(file_store: AnnotationStore) -> None:
    """Tags of articles count in `list_tags` beside annotations', and filter the list."""
    bridges = add(file_store, "Bridges", ("history", "#Cities"))
    rivers = add(file_store, "Rivers", ("cities",))
    add(file_store, "Plain")
    file_store.add_highlight(rivers, (0, 0), (0, 4), tags=["History", "idea"])

    assert file_store.get_article(rivers).tags == ("Cities",)  # one spelling per tag
    assert file_store.list_tags() == [
        Tag("history", 1, 1),
        Tag("idea", 1, 0),
        Tag("Cities", 0, 2),
    ]
    assert [a.id for a in file_store.list_articles_page(0, 10, tag="CITIES")] == [rivers, bridges]
    assert [a.id for a in file_store.list_articles_page(0, 10, tag="#history")] == [bridges]
    assert file_store.list_articles_page(0, 10, tag="idea") == []  # on a passage only
    assert file_store.list_articles_page(0, 10, tag="nothing") == []
    assert file_store.count_articles(tag="cities") == 2
    assert file_store.count_articles(tag="  ") == 3  # a blank tag filters nothing
    assert file_store.position_of(bridges, tag="cities") == 1
    assert file_store.position_of(bridges, tag="idea") is None
    file_store.set_archived(rivers, True)
    assert file_store.count_articles(shelf="reading", tag="cities") == 1


def test_renaming_a_tag_renames_it_on_articles_and_marks_it_edited(
    file_store: AnnotationStore,
) -> None:
    bridges = add(file_store, "Bridges", ("hist", "towns"))
    rivers = add(file_store, "Rivers", ("history",))
    file_store.rename_tag("hist", "History")  # merges into "history"
    assert file_store.get_article(bridges).tags == ("history", "towns")
    assert file_store.get_article(bridges).edited == ("tags",)
    assert file_store.get_article(rivers).tags == ("history",)
    file_store.rename_tag("towns", "Towns")
    assert file_store.get_article(bridges).tags == ("history", "Towns")
    assert file_store.list_tags() == [Tag("history", 0, 2), Tag("Towns", 0, 1)]


def test_deleting_and_editing_leave_no_unused_tag(file_store: AnnotationStore) -> None:
    bridges = add(file_store, "Bridges", ("history",))
    rivers = add(file_store, "Rivers", ("rivers",))
    file_store.edit_article(bridges, tags=[])
    assert file_store.get_article(bridges).tags == ()
    file_store.delete_article(rivers)
    assert file_store.list_tags() == []
    assert file_store.db.execute("SELECT count(*) FROM article_tags").fetchone() == (0,)


# Finding by title -----------------------------------------------------------------------


def test_find_articles_by_words_of_the_title(file_store: AnnotationStore) -> None:
    """Every word, anywhere in the title, ignoring case and accents; sorted by title."""
    goita = add(file_store, "Goïta and the Sahel")
    sahel = add(file_store, "The SAHEL after Wagner")
    add(file_store, "Bridges")
    viet = add(file_store, "Việt Nam, a history")

    assert [a.id for a in file_store.find_articles("sahel")] == [goita, sahel]
    assert [a.id for a in file_store.find_articles("goita SAH")] == [goita]
    assert [a.id for a in file_store.find_articles("viet")] == [viet]
    assert file_store.find_articles("sahel bridges") == []
    assert file_store.find_articles("   ") == []


# Backups and migration ------------------------------------------------------------------


def test_json_export_and_restore_carry_archived_state_and_edits(
    tmp_path: Path, clock: FixedClock
) -> None:
    source = AnnotationStore(tmp_path / "a.db", clock=clock)
    article_id = add(source, "Bridges", ("history",))
    source.edit_article(article_id, title="Bridges of Europe", tags=["history", "cities"])
    source.set_archived(article_id, True)
    data = json.loads(export_json(source))
    record = data["articles"][0]
    assert record["edited"] == ["title", "tags"]
    assert record["archived_at"] == source.get_article(article_id).archived_at

    target = AnnotationStore(tmp_path / "b.db", clock=clock)
    restore(target, parse_backup(data))
    restored = target.get_article(article_id)
    assert restored == source.get_article(article_id)
    assert target.list_tags() == source.list_tags()

    # A later unarchive and edit in the source reach a library that has the article.
    source.set_archived(article_id, False)
    source.edit_article(article_id, author="Someone")
    summary = restore(target, parse_backup(json.loads(export_json(source))))
    assert summary.articles_updated == 1
    assert target.get_article(article_id) == source.get_article(article_id)
    source.close()
    target.close()


def test_an_older_backup_without_the_new_fields_restores(file_store: AnnotationStore) -> None:
    other = AnnotationStore(Database(memory=True), clock=FixedClock())
    article_id = add(other, "Bridges", ("history",))
    data = json.loads(export_json(other))
    for record in data["articles"]:
        del record["archived_at"], record["edited"]

    restore(file_store, parse_backup(data))

    restored = file_store.get_article(article_id)
    assert (restored.archived_at, restored.edited, restored.tags) == (None, (), ("history",))


def test_a_backup_naming_an_unknown_edited_field_is_refused() -> None:
    other = AnnotationStore(Database(memory=True), clock=FixedClock())
    add(other, "Bridges")
    data = json.loads(export_json(other))
    data["articles"][0]["edited"] = ["title", "colour"]
    with pytest.raises(ValueError, match="names 'colour'"):
        parse_backup(data)


def test_migration_links_the_tags_articles_already_have(tmp_path: Path, clock: FixedClock) -> None:
    """A library from before shelves gets its articles' tags linked, cleaned and counted."""
    path = tmp_path / "old.db"
    db = Database(path)
    migration_set().apply(db, stop_before="m005_library_shelves")
    moment = "2025-01-01T00:00:00.000Z"
    for article, tags in (("a1", ["#History", "history", " later "]), ("a2", ["HISTORY"])):
        db["articles"].insert(
            {
                "id": article,
                "title": article,
                "content_hash": article,
                "tags": json.dumps(tags),
                "created_at": moment,
                "updated_at": moment,
            }
        )
    db.execute("INSERT INTO tags (name) VALUES ('History')")  # an annotation's, once
    db.close()

    store = AnnotationStore(path, clock=clock)

    assert store.get_article("a1").tags == ("History", "later")
    assert store.get_article("a2").tags == ("History",)
    assert store.list_tags() == [Tag("History", 0, 2), Tag("later", 0, 1)]
    assert store.list_articles("reading") == store.list_articles()
    assert list(tmp_path.glob("old.db.before-m005_library_shelves.bak"))
    store.close()
