"""Any sequence of library operations keeps the library's invariants.

A hypothesis state machine drives one `AnnotationStore` through imports, re-imports of
changed text, highlights, notes, tags, colours, deletions, tag renames and merges,
article deletions, reading positions, and restores of its own JSON export. After every
step it checks:

- every annotation that is not orphaned lies inside its article, and its `exact` is the
  text there (its prefix and suffix too);
- no tag without an annotation carrying it, no tag link pointing nowhere, and the tag
  counts of `list_tags` are those of the annotations;
- the full-text index is in sync: FTS5's own integrity check against its content, the
  index's mirror of annotations equals the annotations, and a search for a word of a
  note finds that note;
- `PRAGMA foreign_key_check` finds nothing.

Export -> restore into an empty library -> export is identical at any point of the
history, and a restore of the library's own export changes nothing.
"""

from __future__ import annotations

import json
from collections import Counter
from datetime import UTC, datetime
from typing import Any

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule
from sqlite_utils import Database

from annotations import export
from annotations.anchoring import TextMap
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


class LibraryMachine(RuleBasedStateMachine):
    """One library in memory, changed by random operations, checked after each."""

    def __init__(self) -> None:
        super().__init__()
        self.clock = FixedClock(datetime(2026, 2, 1, tzinfo=UTC))
        self.store = AnnotationStore(Database(memory=True), clock=self.clock)
        self.sources = 0
        self.steps: dict[str, int] = {}

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

    @rule(data=st.data(), edit=st.sampled_from(["insert", "delete", "replace", "reword"]))
    def reimport_changed(self, data: st.DataObject, edit: str) -> None:
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
        document = Document(article.title, tuple(blocks), article.source, tags=article.tags)
        self.store.import_document(document)
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
}
"""Every kind of operation the machine makes (an operation with nothing to work on, such
as a note without any annotation, is skipped and not counted)."""


def snapshot(store: AnnotationStore) -> dict[str, Any]:
    """The library's JSON export, parsed, without the export time."""
    data = json.loads(export.export_json(store))
    data.pop("exported")
    return data


def backup_of(store: AnnotationStore) -> Any:
    """The library's export, checked as `reader restore` checks it."""
    return parse_backup(json.loads(export.export_json(store)))


def check_library(store: AnnotationStore) -> None:
    """Assert every invariant of a library."""
    db = store.db
    annotations = store.list_annotations()
    for article in store.list_articles():
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
    # Tags: none unused, no link pointing nowhere, counts as the annotations say.
    assert (
        list(db.query("SELECT id FROM tags WHERE id NOT IN (SELECT tag_id FROM annotation_tags)"))
        == []
    )
    assert (
        list(
            db.query(
                "SELECT * FROM annotation_tags WHERE tag_id NOT IN (SELECT id FROM tags)"
                " OR annotation_id NOT IN (SELECT id FROM annotations)"
            )
        )
        == []
    )
    counts: dict[str, int] = {}
    for annotation in annotations:
        assert len({tag.casefold() for tag in annotation.tags}) == len(annotation.tags)
        for tag in annotation.tags:
            counts[tag] = counts.get(tag, 0) + 1
    assert {tag.name: tag.count for tag in store.list_tags()} == counts
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


class TestLibraryMachine(LibraryMachine.TestCase):
    """The machine's runs; and every kind of operation ran in them, so the invariants were
    checked after each (not after imports alone)."""

    # Derandomized: the same runs every time, so whether every operation ran does not
    # depend on luck (a random draw once left out every `set_tags`).
    settings = settings(
        max_examples=75,
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
