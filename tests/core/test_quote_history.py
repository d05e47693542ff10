"""The quote's history: the text an annotation was made on, kept through re-imports,
moves, exports and restores; placing it again is never an edit of the reader's."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

from sqlite_utils import Database

from annotations import export, trash
from annotations.formats.backup import parse_backup
from annotations.formats.markdown import CHANGED_LINE
from annotations.models import Annotation, Block, BlockKind, Document, kept_original
from annotations.restore import restore
from annotations.store import AnnotationStore
from annotations.store.migrations import migration_set
from tests.conftest import FixedClock

SENTENCE = "The keeper walked along the pier every night and lit the lamp."
REWORDED = "The keeper strolled along the pier every night and lit the lamp."
AGAIN = "The keeper wandered along the pier every night and lit the lamp."
PASSAGE = (0, 4), (0, 44)
"""`keeper walked along the pier every night` in `SENTENCE`."""


def document(*texts: str) -> Document:
    """A plain document at one source, one paragraph per text."""
    blocks = tuple(Block(BlockKind.PARAGRAPH, text) for text in texts)
    return Document("Pier", blocks, source="/docs/pier.md", format="md")


def highlighted(store: AnnotationStore) -> tuple[str, Annotation]:
    """An article of `SENTENCE` and a following paragraph, with `PASSAGE` highlighted."""
    article_id = store.import_document(document("Intro.", SENTENCE, "The end.")).article.id
    start, end = PASSAGE
    made = store.add_highlight(article_id, (1, start[1]), (1, end[1]), note="why at night?")
    return article_id, made


def test_kept_original_keeps_the_first_text_and_drops_it_once_back() -> None:
    """The first text is kept through changes; it goes once the passage holds it again."""
    assert kept_original("", "a", "a") == ""
    assert kept_original("", "a", "b") == "a"
    assert kept_original("a", "b", "c") == "a"
    assert kept_original("a", "b", "a") == ""


def test_reimport_of_a_changed_passage_keeps_the_text_it_was_made_on(
    store: AnnotationStore,
) -> None:
    """Re-importing edited text: the annotation follows it, keeps its first text, and
    its updated_at stays (no edit of the reader's) while anchored_at is set."""
    _, made = highlighted(store)
    assert (made.original, made.anchored_at, made.changed) == ("", "", False)

    store.import_document(document("Intro.", REWORDED, "The end."))

    after = store.get_annotation(made.id)
    assert after.anchor.exact == "keeper strolled along the pier every night"
    assert after.original == "keeper walked along the pier every night"
    assert after.changed
    assert after.updated_at == made.updated_at
    assert after.anchored_at > made.updated_at
    assert after.note == "why at night?"


def test_a_second_change_keeps_the_first_text_and_a_change_back_clears_it(
    store: AnnotationStore,
) -> None:
    """Through several re-imports the FIRST text is kept; when the text is back, no history."""
    _, made = highlighted(store)
    store.import_document(document("Intro.", REWORDED, "The end."))
    store.import_document(document("Intro.", AGAIN, "The end."))
    twice = store.get_annotation(made.id)
    assert twice.anchor.exact == "keeper wandered along the pier every night"
    assert twice.original == "keeper walked along the pier every night"

    store.import_document(document("Intro.", SENTENCE, "The end."))
    back = store.get_annotation(made.id)
    assert back.anchor.exact == made.anchor.exact
    assert (back.original, back.changed) == ("", False)
    assert back.updated_at == made.updated_at
    assert back.anchored_at > twice.anchored_at


def test_a_move_elsewhere_alone_sets_anchored_at_but_no_history(store: AnnotationStore) -> None:
    """A passage that only moved (a paragraph added before it) has no earlier text."""
    _, made = highlighted(store)
    store.import_document(document("New start.", "Intro.", SENTENCE, "The end."))
    after = store.get_annotation(made.id)
    assert after.anchor.start_block == 2
    assert (after.original, after.updated_at) == ("", made.updated_at)
    assert after.anchored_at > made.updated_at


def test_an_edit_elsewhere_leaves_anchored_at_alone(store: AnnotationStore) -> None:
    """Neither the passage's place nor its text changed (only its context): no re-anchor."""
    _, made = highlighted(store)
    store.import_document(document("Intro.", SENTENCE, "The end, rewritten."))
    after = store.get_annotation(made.id)
    assert after.anchor.suffix.endswith("The end, rew")
    assert replace(after, anchor=made.anchor) == made


def test_orphaned_on_reimport_keeps_updated_at(store: AnnotationStore) -> None:
    """Orphaning is placing again too: updated_at stays, anchored_at says when."""
    _, made = highlighted(store)
    result = store.import_document(document("Intro.", "Something else entirely.", "The end."))
    assert result.orphaned == 1
    after = store.get_annotation(made.id)
    assert after.orphaned
    assert (after.anchor, after.original, after.updated_at) == (made.anchor, "", made.updated_at)
    assert after.anchored_at > made.updated_at


def test_a_move_by_the_reader_is_an_edit_and_keeps_the_history(store: AnnotationStore) -> None:
    """Re-attaching an orphan to its new passage changes updated_at and keeps the old text."""
    _, made = highlighted(store)
    store.import_document(
        document("Intro.", "A lamp was lit by the keeper each night.", "The end.")
    )
    orphan = store.get_annotation(made.id)
    assert orphan.orphaned

    moved = store.move_annotation(made.id, (1, 0), (1, 40))

    assert (moved.orphaned, moved.anchor.exact) == (
        False,
        "A lamp was lit by the keeper each night.",
    )
    assert moved.original == made.anchor.exact
    assert moved.updated_at > orphan.updated_at
    assert moved.anchored_at == orphan.anchored_at  # a move of the reader's is no re-anchor
    assert store.get_annotation(made.id) == moved


def test_a_move_without_history_forgets_the_earlier_text(store: AnnotationStore) -> None:
    """`keep_history=False`: the new passage is what was highlighted (a source's own edit)."""
    _, made = highlighted(store)
    store.import_document(document("Intro.", REWORDED, "The end."))
    moved = store.move_annotation(made.id, (1, 0), (1, len(REWORDED)), keep_history=False)
    assert (moved.anchor.exact, moved.original, moved.changed) == (REWORDED, "", False)


def test_a_move_back_onto_the_first_text_clears_the_history(store: AnnotationStore) -> None:
    """A move whose passage holds the first text again leaves no history."""
    _, made = highlighted(store)
    store.move_annotation(made.id, (1, 0), (1, 10))
    assert store.get_annotation(made.id).original == made.anchor.exact
    back = store.move_annotation(made.id, (1, 4), (1, 44))
    assert (back.anchor.exact, back.original) == (made.anchor.exact, "")


def test_the_list_across_the_library_marks_changed_annotations(store: AnnotationStore) -> None:
    """The annotations list knows which passages changed since they were highlighted."""
    article_id, made = highlighted(store)
    other = store.add_highlight(article_id, (0, 0), (0, 5))
    store.import_document(document("Intro.", REWORDED, "The end."))
    changed = {entry.id: entry.changed for entry in store.list_annotation_entries()}
    assert changed == {made.id: True, other.id: False}


# Exports and restore -------------------------------------------------------------------------


def new_store(day: int = 1) -> AnnotationStore:
    """An empty library in memory whose clock starts on the given day of February 2026."""
    return AnnotationStore(
        Database(memory=True), clock=FixedClock(datetime(2026, 2, day, 9, tzinfo=UTC))
    )


def changed_library() -> tuple[AnnotationStore, str, Annotation]:
    """A library with one annotation whose text changed on a re-import, and one that did not."""
    store = new_store()
    article_id, made = highlighted(store)
    store.add_highlight(article_id, (2, 0), (2, 3), color="blue")
    store.import_document(document("Intro.", REWORDED, "The end."))
    return store, article_id, store.get_annotation(made.id)


def records(store: AnnotationStore) -> list[dict[str, object]]:
    """The annotations' records of the library's JSON export."""
    data = json.loads(export.export_json(store))
    return [record for article in data["articles"] for record in article["annotations"]]


def test_json_carries_the_original_text_and_when_it_was_placed_again() -> None:
    """Each record has `original` ("" when unchanged) and `anchored_at` (null if never)."""
    store, _, changed = changed_library()
    by_colour = {record["color"]: record for record in records(store)}
    assert by_colour["yellow"]["original"] == "keeper walked along the pier every night"
    assert by_colour["yellow"]["anchored_at"] == changed.anchored_at
    assert by_colour["yellow"]["updated_at"] == changed.updated_at
    assert (by_colour["blue"]["original"], by_colour["blue"]["anchored_at"]) == ("", None)


def test_json_round_trip_reproduces_the_history() -> None:
    """export -> restore into an empty library -> export: the same history."""
    store, _, changed = changed_library()
    target = new_store(day=9)
    restore(target, parse_backup(json.loads(export.export_json(store))))
    assert target.get_annotation(changed.id) == changed
    assert records(target) == records(store)


def test_an_export_from_before_the_history_still_restores() -> None:
    """An export without `original` nor `anchored_at` restores, with no history."""
    store, _, changed = changed_library()
    data = json.loads(export.export_json(store))
    for article in data["articles"]:
        for record in article["annotations"]:
            del record["original"], record["anchored_at"]
    target = new_store(day=9)
    restore(target, parse_backup(data))
    restored = target.get_annotation(changed.id)
    assert restored.anchor == changed.anchor
    assert (restored.original, restored.anchored_at) == ("", "")


def test_a_re_anchor_does_not_make_a_copy_win_over_the_readers_edit() -> None:
    """A backup with a note edited by the reader wins over the library's re-anchored copy,
    and a backup of the re-anchored copy does not overwrite a later edit of the reader's."""
    store = new_store()
    _, made = highlighted(store)
    edited_copy = new_store(day=9)
    restore(edited_copy, parse_backup(json.loads(export.export_json(store))))
    edited_copy.set_note(made.id, "edited elsewhere")
    store.import_document(document("Intro.", REWORDED, "The end."))  # re-anchors, no edit

    restore(store, parse_backup(json.loads(export.export_json(edited_copy))))
    assert store.get_annotation(made.id).note == "edited elsewhere"

    store.set_note(made.id, "edited here, last")
    reanchored = new_store(day=20)
    restore(reanchored, parse_backup(json.loads(export.export_json(store))))
    reanchored.import_document(document("Intro.", AGAIN, "The end."))
    restore(store, parse_backup(json.loads(export.export_json(reanchored))))
    assert store.get_annotation(made.id).note == "edited here, last"


def test_a_restore_into_changed_text_keeps_the_history() -> None:
    """An annotation restored into an article whose text changed since the backup is
    placed again as on a re-import: its first text kept, updated_at the backup's."""
    source = new_store()
    _, made = highlighted(source)
    data = json.loads(export.export_json(source))
    target = new_store(day=9)
    target.import_document(document("Intro.", REWORDED, "The end."))
    # The same article at the same source, newer text: the file's annotation is placed.
    data["articles"][0]["id"] = target.list_articles()[0].id
    data["articles"][0]["updated_at"] = "2026-01-01T00:00:00.000Z"
    restore(target, parse_backup(data))
    restored = target.get_annotation(made.id)
    assert restored.anchor.exact == "keeper strolled along the pier every night"
    assert restored.original == made.anchor.exact
    assert restored.updated_at == made.updated_at
    assert restored.anchored_at.startswith("2026-02-09")


def test_an_annotation_back_from_the_trash_onto_changed_text_keeps_its_history() -> None:
    """Undeleting into a text re-imported meanwhile places it as a re-import does."""
    store = new_store()
    _, made = highlighted(store)
    trash.delete_annotation(store, made.id)
    store.import_document(document("Intro.", REWORDED, "The end."))
    trash.undelete(store, made.id)
    back = store.get_annotation(made.id)
    assert back.anchor.exact == "keeper strolled along the pier every night"
    assert (back.original, back.updated_at) == (made.anchor.exact, made.updated_at)
    assert back.anchored_at > made.updated_at


def test_markdown_shows_the_current_passage_and_the_text_it_was_made_on() -> None:
    """The quote is the text now; after its tags, a line says it changed and quotes the old."""
    store, article_id, changed = changed_library()
    markdown = export.article_markdown(store, store.get_article(article_id))
    expected = "\n\n".join(
        [
            "> keeper strolled along the pier every night",
            f"^{changed.id}",
            "colour: yellow",
            CHANGED_LINE,
            "> keeper walked along the pier every night",
            "why at night?",
        ]
    )
    assert expected in markdown
    assert markdown.count(CHANGED_LINE) == 1  # the unchanged annotation has none


def test_markdown_escapes_the_original_as_article_text() -> None:
    """The old text is article text: markup in it is escaped, and it stays in its quote."""
    store = new_store()
    hostile = "# Not a heading\n\n---\n\n<script>x</script> *bold*"
    article_id = store.import_document(document("Intro.", "Plain words here.")).article.id
    made = store.add_highlight(article_id, (1, 0), (1, 5))
    store.conn.execute("UPDATE annotations SET original_exact = ? WHERE id = ?", [hostile, made.id])
    markdown = export.article_markdown(store, store.get_article(article_id))
    old = markdown.split(CHANGED_LINE)[1].strip()
    assert old.startswith("> \\# Not a heading\n>\n> \\---\n>\n> \\<script\\>")
    assert "\n#" not in old and "\n---" not in old and "<script>" not in old


# Migration ------------------------------------------------------------------------------------


def test_migration_gives_older_libraries_no_history(tmp_path: Path, clock: FixedClock) -> None:
    """A library made before the history is kept opens with every annotation unchanged."""
    fresh = tmp_path / "older.db"
    db = Database(fresh)
    migration_set().apply(db, stop_before="m007_quote_history")
    assert "original_exact" not in {column.name for column in db["annotations"].columns}
    moment = "2025-01-01T00:00:00.000Z"
    db["articles"].insert(
        {"id": "a1", "title": "A", "content_hash": "h", "block_count": 1,
         "created_at": moment, "updated_at": moment}
    )  # fmt: skip
    db["blocks"].insert({"article_id": "a1", "idx": 0, "kind": "paragraph", "text": "Hello there"})
    db["annotations"].insert(
        {"id": "n1", "article_id": "a1", "start_block": 0, "start_offset": 0, "end_block": 0,
         "end_offset": 5, "exact": "Hello", "created_at": moment, "updated_at": moment}
    )  # fmt: skip
    db.close()

    store = AnnotationStore(fresh, clock=clock)
    annotation = store.get_annotation("n1")
    assert (annotation.original, annotation.anchored_at, annotation.changed) == ("", "", False)
    assert migration_set().pending(store.db) == []
    store.close()
