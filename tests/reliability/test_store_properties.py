"""Any sequence of library operations keeps the library's invariants.

A hypothesis state machine drives one `AnnotationStore` through imports, re-imports of
changed text, highlights, notes, tags, colours, deletions, tag renames and merges,
article deletions, reading positions, edits of an article's details, archiving,
deletions to the trash and back (`annotations.trash`), and restores of its own JSON
export. After every step it checks:

- every annotation that is not orphaned lies inside its article, and its `exact` is the
  text there (its prefix and suffix too);
- no tag without an annotation or article carrying it, no tag link pointing nowhere, one
  spelling per tag, the tag counts of `list_tags` are those of the annotations and the
  articles, and an article's `tags` are its tag links;
- the full-text index is in sync: FTS5's own integrity check against its content, the
  index's mirror of annotations equals the annotations, and a search for a word of a
  note finds that note;
- `PRAGMA foreign_key_check` finds nothing;
- the trash: newest first, each entry's record a JSON export holding exactly what was
  deleted, and nothing of a deleted article left in the library (rows, tag links, or
  search entries: its words find nothing that is gone).

What is deleted to the trash comes back whole: the same export of it as before.

Export -> restore into an empty library -> export is identical at any point of the
history, and a restore of the library's own export changes nothing.
"""

from __future__ import annotations

import json
from collections import Counter
from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule
from sqlite_utils import Database

from annotations import export, trash
from annotations.anchoring import TextMap
from annotations.errors import NotFoundError
from annotations.formats.backup import parse_backup
from annotations.models import HIGHLIGHT_COLORS, Block, BlockKind, Document
from annotations.restore import restore
from annotations.store import AnnotationStore
from tests.conftest import FixedClock

WORD = st.text(alphabet="abcdefgh", min_size=3, max_size=6)
"""Words of a small alphabet, so quotes repeat and re-anchoring has choices to make."""
TEXT = st.lists(WORD, min_size=1, max_size=8).map(" ".join)
BLOCKS = st.lists(
    st.builds(
        Block, st.sampled_from([BlockKind.PARAGRAPH, BlockKind.HEADING, BlockKind.CODE]), TEXT
    ),
    min_size=1,
    max_size=5,
)
TAG = st.one_of(
    st.sampled_from(["idea", "Idea", "to read", "#later", "ärger", "Ärger", "ÄRGER", "x,y", "  "]),
    st.text(st.characters(exclude_categories=("Cs",)), max_size=6),
)
"""Tag names as people (and files) write them: cases, spaces, '#', accents, anything."""
NOTE = st.one_of(st.just(""), st.lists(WORD, min_size=1, max_size=5).map(" ".join))
DATE = st.sampled_from(["2024", "2024-02", "2024-02-29", "1999-12-31", ""])


class LibraryMachine(RuleBasedStateMachine):
    """One library in memory, changed by random operations, checked after each."""

    def __init__(self) -> None:
        super().__init__()
        self.clock = FixedClock(datetime(2026, 2, 1, tzinfo=UTC))
        self.store = AnnotationStore(Database(memory=True), clock=self.clock)
        self.sources = 0
        self.steps: dict[str, int] = {}
        # What was last deleted to the trash, by id: its export, to compare once back.
        self.trashed_articles: dict[str, dict[str, Any]] = {}
        self.trashed_annotations: dict[str, tuple[dict[str, Any], str]] = {}

    def count(self, name: str) -> None:
        """Count an operation that ran."""
        self.steps[name] = self.steps.get(name, 0) + 1

    # Drawing existing things ------------------------------------------------------

    # Ids are random: things are drawn in the order they were made, so that a replay of
    # the same steps draws the same things.

    def article_ids(self, *, with_text: bool = False) -> list[str]:
        articles = sorted(self.store.list_articles(), key=lambda a: a.created_at)
        return [article.id for article in articles if article.block_count or not with_text]

    def annotation_ids(self) -> list[str]:
        annotations = sorted(self.store.list_annotations(), key=lambda a: a.created_at)
        return [annotation.id for annotation in annotations]

    # Operations -------------------------------------------------------------------

    @initialize(title=TEXT, blocks=BLOCKS, tags=st.lists(TAG, max_size=2))
    def first_article(self, title: str, blocks: list[Block], tags: list[str]) -> None:
        self.import_document(title, blocks, tags)

    @rule(title=TEXT, blocks=BLOCKS, tags=st.lists(TAG, max_size=2))
    def import_document(self, title: str, blocks: list[Block], tags: list[str]) -> None:
        self.sources += 1
        document = Document(title, tuple(blocks), f"/src/{self.sources}.md", tags=tuple(tags))
        self.store.import_document(document)
        self.count("import")

    @rule(title=TEXT)
    def import_empty_article(self, title: str) -> None:
        """An article without text (a restore may bring one): nothing to highlight in it."""
        self.sources += 1
        self.store.import_document(Document(title, (), f"/src/{self.sources}.md"))
        self.count("import empty")

    @rule(
        data=st.data(),
        edit=st.sampled_from(["insert", "delete", "replace", "reword"]),
        retitle=st.booleans(),
    )
    def reimport_changed(self, data: st.DataObject, edit: str, retitle: bool) -> None:
        """A new version of a source; sometimes its title and tags changed too (those the
        reader edited by hand stay the reader's)."""
        if not self.article_ids(with_text=True):
            return
        choice = data.draw(st.sampled_from(self.article_ids(with_text=True)))
        article = self.store.get_article(choice)
        blocks = self.store.get_blocks(article.id)
        where = data.draw(st.integers(0, len(blocks) - 1))
        if edit == "insert":
            blocks.insert(where, Block(BlockKind.PARAGRAPH, data.draw(TEXT)))
        elif edit == "delete" and len(blocks) > 1:
            del blocks[where]
        elif edit == "replace":
            blocks[where] = Block(blocks[where].kind, data.draw(TEXT))
        else:
            words = blocks[where].text.split()
            words[data.draw(st.integers(0, len(words) - 1))] = data.draw(WORD)
            blocks[where] = Block(blocks[where].kind, " ".join(words))
        title, tags = article.title, article.tags
        if retitle:
            title, tags = data.draw(TEXT), tuple(data.draw(st.lists(TAG, max_size=2)))
        document = Document(title, tuple(blocks), article.source, tags=tags)
        self.store.import_document(document)
        after = self.store.get_article(article.id)
        for name in article.edited:
            assert getattr(after, name) == getattr(article, name), name
        self.count("reimport")

    @rule(data=st.data(), color=st.sampled_from(HIGHLIGHT_COLORS), note=NOTE)
    def add_highlight(self, data: st.DataObject, color: str, note: str) -> None:
        if not self.article_ids(with_text=True):
            return
        article_id = data.draw(st.sampled_from(self.article_ids(with_text=True)))
        texts = [block.text for block in self.store.get_blocks(article_id)]
        first = data.draw(st.integers(0, len(texts) - 1))
        last = data.draw(st.integers(first, min(len(texts) - 1, first + 2)))
        start = data.draw(st.integers(0, len(texts[first]) - (first == last)))
        low = start + 1 if first == last else 1
        end = data.draw(st.integers(low, len(texts[last])))
        tags = data.draw(st.lists(TAG, max_size=3))
        self.store.add_highlight(
            article_id, (first, start), (last, end), color=color, tags=tags, note=note
        )
        self.count("highlight")

    @rule(data=st.data(), color=st.sampled_from(HIGHLIGHT_COLORS), note=NOTE)
    def add_another_highlight(self, data: st.DataObject, color: str, note: str) -> None:
        """Highlighting is what readers do most: it is drawn twice as often."""
        self.add_highlight(data, color, note)

    @rule(data=st.data(), note=NOTE)
    def set_note(self, data: st.DataObject, note: str) -> None:
        if not self.store.list_annotations():
            return
        self.store.set_note(data.draw(st.sampled_from(self.annotation_ids())), note)
        self.count("note")

    @rule(data=st.data(), tags=st.lists(TAG, max_size=3))
    def set_tags(self, data: st.DataObject, tags: list[str]) -> None:
        if not self.store.list_annotations():
            return
        self.store.set_tags(data.draw(st.sampled_from(self.annotation_ids())), tags)
        self.count("tags")

    @rule(data=st.data(), color=st.sampled_from(HIGHLIGHT_COLORS))
    def set_color(self, data: st.DataObject, color: str) -> None:
        if not self.store.list_annotations():
            return
        self.store.set_color(data.draw(st.sampled_from(self.annotation_ids())), color)
        self.count("colour")

    @rule(data=st.data())
    def delete_annotation(self, data: st.DataObject) -> None:
        if not self.store.list_annotations():
            return
        self.store.delete_annotation(data.draw(st.sampled_from(self.annotation_ids())))
        self.count("delete annotation")

    @rule(data=st.data(), new=TAG)
    def rename_tag(self, data: st.DataObject, new: str) -> None:
        if not self.store.list_tags():
            return
        tags = sorted(self.store.list_tags(), key=lambda tag: tag.name)
        old = data.draw(st.sampled_from(tags)).name
        # Sometimes the name of another tag: the two merge.
        new = data.draw(st.sampled_from([new, *(tag.name for tag in tags)]))
        try:
            self.store.rename_tag(old, new)
        except ValueError:  # a name that is empty once cleaned
            return
        self.count("rename tag")

    @rule(data=st.data())
    def delete_article(self, data: st.DataObject) -> None:
        if not self.store.count_articles():
            return
        self.store.delete_article(data.draw(st.sampled_from(self.article_ids())))
        self.count("delete article")

    @rule(
        data=st.data(),
        title=st.one_of(st.none(), TEXT),
        author=st.one_of(st.none(), st.just(""), WORD),
        date=st.one_of(st.none(), DATE),
        tags=st.one_of(st.none(), st.lists(TAG, max_size=3)),
    )
    def edit_article(
        self,
        data: st.DataObject,
        title: str | None,
        author: str | None,
        date: str | None,
        tags: list[str] | None,
    ) -> None:
        if not self.store.count_articles():
            return
        article_id = data.draw(st.sampled_from(self.article_ids()))
        before = self.store.get_article(article_id)
        after = self.store.edit_article(
            article_id, title=title, author=author, date=date, tags=tags
        )
        given = {"title": title, "author": author, "date": date, "tags": tags}
        assert set(after.edited) == set(before.edited) | {
            k for k, v in given.items() if v is not None
        }
        assert after.title == (title if title is not None else before.title)
        assert after.date == (date or None if date is not None else before.date)
        self.count("edit article")

    @rule(data=st.data(), archived=st.booleans())
    def set_archived(self, data: st.DataObject, archived: bool) -> None:
        if not self.store.count_articles():
            return
        article_id = data.draw(st.sampled_from(self.article_ids()))
        assert self.store.set_archived(article_id, archived).archived == archived
        assert (article_id in {a.id for a in self.store.list_articles("archived")}) == archived
        self.count("archive")

    @rule(data=st.data())
    def trash_article(self, data: st.DataObject) -> None:
        if not self.store.count_articles():
            return
        article_id = data.draw(st.sampled_from(self.article_ids()))
        self.trashed_articles[article_id] = article_export(self.store, article_id)
        entry = trash.delete_article(self.store, article_id)
        assert (entry.kind, entry.item_id, entry.article_id) == ("article", article_id, article_id)
        assert article_id not in {article.id for article in self.store.list_articles()}
        assert self.store.trash_entries()[0] == entry
        self.count("trash article")

    @rule(data=st.data())
    def trash_annotation(self, data: st.DataObject) -> None:
        if not self.store.list_annotations():
            return
        annotation_id = data.draw(st.sampled_from(self.annotation_ids()))
        article_id = self.store.get_annotation(annotation_id).article_id
        record = annotation_export(self.store, annotation_id)
        digest = self.store.get_article(article_id).content_hash
        self.trashed_annotations[annotation_id] = (record, digest)
        entry = trash.delete_annotation(self.store, annotation_id)
        assert (entry.kind, entry.item_id, entry.article_id) == (
            "annotation",
            annotation_id,
            article_id,
        )
        assert annotation_id not in self.annotation_ids()
        self.count("trash annotation")

    @rule(data=st.data())
    def undelete(self, data: st.DataObject) -> None:
        """The latest entry of an id comes back as it was deleted, and leaves the trash."""
        entries = sorted(self.store.trash_entries(), key=lambda entry: entry.id)
        if not entries:
            return
        entry = data.draw(st.sampled_from(entries))
        articles = {article.id: article for article in self.store.list_articles()}
        if entry.kind == "annotation" and entry.article_id not in articles:
            with pytest.raises(NotFoundError):
                trash.undelete(self.store, entry.item_id)
            assert entry in self.store.trash_entries()
            return
        if entry.kind == "article":
            saved = self.trashed_articles.pop(entry.item_id)
            # The same text imported again meanwhile: the annotations go to that article.
            twin = saved["content_hash"] in {a.content_hash for a in articles.values()}
            back = trash.undelete(self.store, entry.item_id)
            if not twin:
                assert without_tag_case(article_export(self.store, entry.item_id)) == (
                    without_tag_case(saved)
                )
        else:
            record, digest = self.trashed_annotations.pop(entry.item_id)
            back = trash.undelete(self.store, entry.item_id)
            if articles[entry.article_id].content_hash == digest:
                assert without_tag_case(annotation_export(self.store, entry.item_id)) == (
                    without_tag_case(record)
                )
            else:  # placed again in a changed text
                self.store.get_annotation(entry.item_id)
        assert back == entry
        assert entry not in self.store.trash_entries()
        self.count(f"undelete {entry.kind}")

    @rule(data=st.data(), block=st.integers(-3, 12))
    def set_position(self, data: st.DataObject, block: int) -> None:
        if not self.store.count_articles():
            return
        self.store.set_position(data.draw(st.sampled_from(self.article_ids())), block)
        self.count("position")

    @rule()
    def restore_own_export(self) -> None:
        """A restore of the library's own export changes nothing."""
        before = snapshot(self.store)
        summary = restore(self.store, backup_of(self.store))
        assert snapshot(self.store) == before
        assert summary.articles_added == summary.annotations_added == 0
        assert summary.articles_updated == summary.annotations_updated == 0
        self.count("restore own export")

    @rule()
    def export_restore_export(self) -> None:
        """Restored into an empty library, the export is the same but for its time."""
        other = AnnotationStore(
            Database(memory=True), clock=FixedClock(datetime(2026, 6, 1, tzinfo=UTC))
        )
        restore(other, backup_of(self.store))
        assert snapshot(other) == snapshot(self.store)
        check_library(other)
        other.close()
        self.count("export, restore, export")

    # Invariants -------------------------------------------------------------------

    @invariant()
    def library_is_consistent(self) -> None:
        check_library(self.store)

    def teardown(self) -> None:
        TRIED.append(dict(self.steps))
        self.store.close()


TRIED: list[dict[str, int]] = []
"""The operations each run of the machine made."""
OPERATIONS = {
    "import",
    "import empty",
    "reimport",
    "highlight",
    "note",
    "tags",
    "colour",
    "delete annotation",
    "rename tag",
    "delete article",
    "position",
    "restore own export",
    "export, restore, export",
    "edit article",
    "archive",
    "trash article",
    "trash annotation",
    "undelete article",
    "undelete annotation",
}
"""Every kind of operation the machine makes (an operation with nothing to work on, such
as a note without any annotation, is skipped and not counted)."""


def snapshot(store: AnnotationStore) -> dict[str, Any]:
    """The library's JSON export, parsed, without the export time."""
    data = json.loads(export.export_json(store))
    data.pop("exported")
    return data


def article_export(store: AnnotationStore, article_id: str) -> dict[str, Any]:
    """One article's record in the JSON export."""
    data = json.loads(export.export_json(store, [store.get_article(article_id)]))
    record: dict[str, Any] = data["articles"][0]
    return record


def annotation_export(store: AnnotationStore, annotation_id: str) -> dict[str, Any]:
    """One annotation's record in the JSON export."""
    article_id = store.get_annotation(annotation_id).article_id
    (record,) = (
        item
        for item in article_export(store, article_id)["annotations"]
        if item["id"] == annotation_id
    )
    return record


def without_tag_case(record: dict[str, Any]) -> dict[str, Any]:
    """An export's record with its tags (and its annotations') in lower case: a tag comes
    back with the spelling the library has for it by then."""
    changed = dict(record, tags=sorted(tag.casefold() for tag in record["tags"]))
    if "annotations" in record:
        changed["annotations"] = [without_tag_case(item) for item in record["annotations"]]
    return changed


def backup_of(store: AnnotationStore) -> Any:
    """The library's export, checked as `reader restore` checks it."""
    return parse_backup(json.loads(export.export_json(store)))


def check_library(store: AnnotationStore) -> None:
    """Assert every invariant of a library."""
    db = store.db
    annotations = store.list_annotations()
    articles = store.list_articles()
    for article in articles:
        texts = [block.text for block in store.get_blocks(article.id)]
        assert article.block_count == len(texts)
        assert 0 <= article.position <= max(0, len(texts) - 1), article.position
        text = TextMap(texts)
        for annotation in (a for a in annotations if a.article_id == article.id):
            if annotation.orphaned:
                continue
            anchor = annotation.anchor
            assert 0 <= anchor.start_block <= anchor.end_block < len(texts), annotation
            assert 0 <= anchor.start_offset <= len(texts[anchor.start_block])
            assert 0 <= anchor.end_offset <= len(texts[anchor.end_block])
            start = text.to_global(anchor.start_block, anchor.start_offset)
            end = text.to_global(anchor.end_block, anchor.end_offset)
            assert start < end
            assert text.text[start:end] == anchor.exact
            assert text.text[:start].endswith(anchor.prefix)
            assert text.text[end:].startswith(anchor.suffix)
    # Tags: none unused, no link pointing nowhere, one spelling each, counts as the
    # annotations and articles say, an article's tags its links.
    unused = (
        "SELECT id FROM tags WHERE id NOT IN (SELECT tag_id FROM annotation_tags)"
        " AND id NOT IN (SELECT tag_id FROM article_tags)"
    )
    assert list(db.query(unused)) == []
    assert (
        list(
            db.query(
                "SELECT * FROM annotation_tags WHERE tag_id NOT IN (SELECT id FROM tags)"
                " OR annotation_id NOT IN (SELECT id FROM annotations)"
            )
        )
        == []
    )
    assert (
        list(
            db.query(
                "SELECT * FROM article_tags WHERE tag_id NOT IN (SELECT id FROM tags)"
                " OR article_id NOT IN (SELECT id FROM articles)"
            )
        )
        == []
    )
    names = [row["name"] for row in db.query("SELECT name FROM tags")]
    assert len({name.casefold() for name in names}) == len(names)
    counts: dict[str, list[int]] = {}
    for annotation in annotations:
        assert len({tag.casefold() for tag in annotation.tags}) == len(annotation.tags)
        for tag in annotation.tags:
            counts.setdefault(tag, [0, 0])[0] += 1
    for article in articles:
        assert len({tag.casefold() for tag in article.tags}) == len(article.tags)
        linked = {
            row["name"]
            for row in db.query(
                "SELECT t.name FROM article_tags x JOIN tags t ON t.id = x.tag_id "
                "WHERE x.article_id = ?",
                [article.id],
            )
        }
        assert set(article.tags) == linked, (article.tags, linked)
        for tag in article.tags:
            counts.setdefault(tag, [0, 0])[1] += 1
    assert {tag.name: [tag.count, tag.articles] for tag in store.list_tags()} == counts
    # Shelves: each article on one of the two, archived or not.
    reading = {article.id for article in store.list_articles("reading")}
    archived = {article.id for article in store.list_articles("archived")}
    assert not reading & archived
    assert reading | archived == {article.id for article in articles}
    assert store.count_articles(shelf="archived") == len(archived)
    # The search index: FTS5's own check against the content, and its mirror of annotations.
    db.execute("INSERT INTO search_fts (search_fts, rank) VALUES ('integrity-check', 1)")
    mirror = {
        row["annotation_id"]: (
            row["exact"],
            row["note"],
            sorted(row["tags"].split(" ")) if row["tags"] else [],
        )
        for row in db.query("SELECT annotation_id, exact, note, tags FROM annotation_texts")
    }
    assert mirror == {
        a.id: (a.anchor.exact, a.note, sorted(" ".join(a.tags).split(" ")) if a.tags else [])
        for a in annotations
    }
    for annotation in annotations:
        words = annotation.note.split()
        if words:
            hits = store.search(words[len(words) // 2], limit=10_000)
            assert any(hit.annotation_id == annotation.id for hit in hits), annotation.note
    assert list(db.query("PRAGMA foreign_key_check")) == []
    check_trash(store)


def check_trash(store: AnnotationStore) -> None:
    """Assert the trash's invariants: newest first, each record exactly what was deleted,
    and nothing left in the library of a deleted article."""
    entries = store.trash_entries()
    assert [entry.id for entry in entries] == sorted((entry.id for entry in entries), reverse=True)
    present = {article.id for article in store.list_articles()}
    for entry in entries:
        (item,) = parse_backup(json.loads(store.trash_record(entry.id))).articles
        assert item.article.id == entry.article_id
        assert item.article.title == entry.title
        if entry.kind == "annotation":
            assert [annotation.id for annotation in item.annotations] == [entry.item_id]
            assert entry.annotations == 1
            continue
        assert entry.kind == "article"
        assert entry.item_id == entry.article_id
        assert len(item.annotations) == entry.annotations
        if entry.article_id in present:
            continue
        # Gone for good: no row of it, and its words find nothing that does not exist.
        for table in ("blocks", "annotations", "article_tags"):
            assert store.db.execute(
                f"SELECT count(*) FROM {table} WHERE article_id = ?", [entry.article_id]
            ).fetchone() == (0,), table
        words = {word for block in item.blocks for word in block.text.split()}
        words |= {word for annotation in item.annotations for word in annotation.note.split()}
        for word in sorted(words):
            rows = store.db.execute(
                "SELECT rowid FROM search_fts WHERE search_fts MATCH ?", [f'"{word}"']
            ).fetchall()
            for (rowid,) in rows:
                table = "blocks" if rowid > 0 else "annotation_texts"
                assert store.db.execute(
                    f"SELECT 1 FROM {table} WHERE id = ?", [rowid]
                ).fetchone(), (word, rowid)


class TestLibraryMachine(LibraryMachine.TestCase):
    """The machine's runs; and every kind of operation ran in them, so the invariants were
    checked after each (not after imports alone)."""

    # Derandomized: the same runs every time, so whether every operation ran does not
    # depend on luck (a random draw once left out every `set_tags`).
    settings = settings(
        max_examples=100,
        stateful_step_count=40,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
    )

    def runTest(self) -> None:
        TRIED.clear()
        super().runTest()
        totals: Counter[str] = Counter()
        for steps in TRIED:
            totals.update(steps)
        print(f"operations tried over {len(TRIED)} runs: {dict(totals)}")
        assert set(totals) == OPERATIONS, f"never ran: {sorted(OPERATIONS - set(totals))}"


def test_machine_finds_a_broken_index() -> None:
    """The checks fail on a library whose search index lost a note: they can see a bug."""
    store = AnnotationStore(Database(memory=True), clock=FixedClock())
    article = store.import_document(Document("t", (Block(BlockKind.PARAGRAPH, "abc def"),))).article
    annotation = store.add_highlight(article.id, (0, 0), (0, 3), note="fgh ghe")
    check_library(store)
    store.db.execute("DROP TRIGGER annotation_texts_search_update")
    store.set_note(annotation.id, "hhh ggg")
    try:
        check_library(store)
    except Exception:  # sqlite3.DatabaseError from the integrity check, or an assertion
        return
    raise AssertionError("the checks missed an index out of sync")


def test_machine_finds_an_unused_tag() -> None:
    """The checks fail on a tag left without annotations."""
    store = AnnotationStore(Database(memory=True), clock=FixedClock())
    store.db.execute("INSERT INTO tags (name) VALUES ('lonely')")
    try:
        check_library(store)
    except AssertionError:
        return
    raise AssertionError("the checks missed an unused tag")


def test_machine_finds_a_deletion_that_left_search_entries() -> None:
    """The checks fail when an article deleted to the trash left its words in the index."""
    store = AnnotationStore(Database(memory=True), clock=FixedClock())
    blocks = (Block(BlockKind.PARAGRAPH, "abc def"), Block(BlockKind.PARAGRAPH, "ghi"))
    article = store.import_document(Document("t", blocks)).article
    check_library(store)
    store.db.execute("DROP TRIGGER blocks_search_delete")
    trash.delete_article(store, article.id)
    try:
        check_library(store)
    except Exception:  # sqlite3.DatabaseError from the integrity check, or an assertion
        return
    raise AssertionError("the checks missed search entries of a deleted article")


def test_machine_finds_a_trash_record_that_lost_an_annotation() -> None:
    """The checks fail when an article's record in the trash lacks one of its annotations."""
    store = AnnotationStore(Database(memory=True), clock=FixedClock())
    article = store.import_document(Document("t", (Block(BlockKind.PARAGRAPH, "abc def"),))).article
    store.add_highlight(article.id, (0, 0), (0, 3))
    entry = trash.delete_article(store, article.id)
    check_library(store)
    record = json.loads(store.trash_record(entry.id))
    record["articles"][0]["annotations"] = []
    store.db.execute("UPDATE trash SET record = ? WHERE id = ?", [json.dumps(record), entry.id])
    try:
        check_library(store)
    except AssertionError:
        return
    raise AssertionError("the checks missed an annotation lost from the trash")


def test_reading_position_stays_inside_the_article() -> None:
    """A position past the end (or before the start) is kept at the last (first) block."""
    store = AnnotationStore(Database(memory=True), clock=FixedClock())
    blocks = (Block(BlockKind.PARAGRAPH, "one"), Block(BlockKind.PARAGRAPH, "two"))
    article = store.import_document(Document("t", blocks)).article

    store.set_position(article.id, 7)
    assert store.get_article(article.id).position == 1
    assert store.get_article(article.id).progress == 1.0
    store.set_position(article.id, -2)
    assert store.get_article(article.id).position == 0
