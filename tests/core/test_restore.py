"""Restoring a JSON export: round trip, idempotence, newest edit wins, never deleting, bad files."""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
import threading
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from sqlite_utils import Database

from annotations import export
from annotations.errors import StorageError
from annotations.formats import backup as backup_module
from annotations.formats import interchange
from annotations.formats.backup import (
    BackupTooLarge,
    RestoreError,
    parse_backup,
    read_backup,
)
from annotations.models import Block, BlockKind, Document
from annotations.restore import restore
from annotations.store import AnnotationStore
from reader.cli import cli
from tests.conftest import FixedClock

SUMMARY = (
    "restored: articles added {}, updated {}, unchanged {}; "
    "annotations added {}, updated {}, unchanged {}"
)


def run(*args: str | Path) -> Result:
    """Run the command line with the given arguments."""
    return CliRunner().invoke(cli, [str(arg) for arg in args], prog_name="reader")


def new_store(day: int = 1) -> AnnotationStore:
    """An empty library in memory whose clock starts on the given day of February 2026."""
    return AnnotationStore(
        Database(memory=True), clock=FixedClock(datetime(2026, 2, day, 9, tzinfo=UTC))
    )


def snapshot(store: AnnotationStore) -> dict[str, Any]:
    """The library's JSON export, parsed, without the export time."""
    data = json.loads(export.export_json(store))
    data.pop("exported")
    return data


def backup_of(store: AnnotationStore) -> Any:
    """A checked backup of the whole library, as `reader restore` reads it."""
    return parse_backup(json.loads(export.export_json(store)))


RIVER = (
    Block(BlockKind.HEADING, "The river", 1),
    Block(BlockKind.PARAGRAPH, "The river bends twice before the town. Boats slow down there."),
    Block(BlockKind.QUOTE, "Never trust a calm river."),
    Block(BlockKind.CODE, "depth = 3.5\nwidth = 40"),
)


def fill(store: AnnotationStore) -> dict[str, str]:
    """Two annotated articles (one annotation orphaned), one unannotated; ids by name."""
    river = store.import_document(
        Document("River", RIVER, source="/r.md", tags=("water",), author="A. Writer", format="md")
    ).article
    store.add_highlight(river.id, (1, 4), (1, 9), tags=["geo", "Water ways"], note="bends")
    store.add_highlight(river.id, (1, 39), (2, 10), color="blue", note="Two\nlines")
    store.add_highlight(river.id, (3, 0), (3, 5), color="pink")
    old = store.import_document(
        Document("Old", (Block(BlockKind.PARAGRAPH, "Cut me. Keep me."),), source="/o.txt")
    ).article
    store.add_highlight(old.id, (0, 0), (0, 7), tags=["gone"])
    store.import_document(
        Document("Old", (Block(BlockKind.PARAGRAPH, "Keep me."),), source="/o.txt")
    )
    empty = store.import_document(
        Document("Empty", (Block(BlockKind.PARAGRAPH, "No marks here, ölmo."),))
    ).article
    store.set_position(river.id, 2)
    return {"river": river.id, "old": old.id, "empty": empty.id}


# Round trip and idempotence --------------------------------------------------------------------


def test_round_trip_into_an_empty_library_gives_the_same_export() -> None:
    """export -> restore into an empty library -> export: identical but for the export time."""
    source = new_store()
    fill(source)
    target = new_store(day=9)

    summary = restore(target, backup_of(source))

    assert snapshot(target) == snapshot(source)
    assert summary.line() == SUMMARY.format(3, 0, 0, 4, 0, 0)
    orphaned = [n.tags for n in target.list_annotations() if n.orphaned]
    assert orphaned == [("gone",)]


def test_restored_text_notes_and_tags_are_searchable() -> None:
    """The search index knows the restored text, notes and tags at once."""
    source = new_store()
    ids = fill(source)
    target = new_store(day=9)
    restore(target, backup_of(source))

    assert {(h.article_id, h.source) for h in target.search("calm")} == {(ids["river"], "text")}
    assert [h.source for h in target.search("lines")] == ["note"]
    assert [h.source for h in target.search("ways")] == ["tag"]
    assert [h.article_id for h in target.search("olmo")] == [ids["empty"]]
    assert target.list_tags() == source.list_tags()


def test_restoring_twice_is_restoring_once() -> None:
    """The second restore changes nothing and says so."""
    source = new_store()
    fill(source)
    target = new_store(day=9)
    backup = backup_of(source)
    restore(target, backup)
    once = snapshot(target)

    summary = restore(target, backup)

    assert snapshot(target) == once
    assert summary.line() == SUMMARY.format(0, 0, 3, 0, 0, 4)


# Merging ----------------------------------------------------------------------------------------


def test_the_annotation_changed_last_wins_both_ways() -> None:
    """A later edit in the file replaces the library's; a later edit in the library is kept."""
    home = new_store()
    ids = fill(home)
    laptop = new_store(day=5)
    restore(laptop, backup_of(home))
    first, second, third = home.list_annotations(ids["river"])
    laptop.set_note(first.id, "edited on the laptop")  # Feb 5: later than home's edits
    home_newer = AnnotationStore(home.db, clock=FixedClock(datetime(2026, 2, 7, tzinfo=UTC)))
    home_newer.set_tags(second.id, ["home"])  # Feb 7: later still
    home_newer.set_color(second.id, "green")

    summary = restore(laptop, backup_of(home))

    assert laptop.get_annotation(first.id).note == "edited on the laptop"
    assert laptop.get_annotation(second.id).tags == ("home",)
    assert laptop.get_annotation(second.id).color == "green"
    assert laptop.get_annotation(second.id).note == "Two\nlines"
    assert laptop.get_annotation(third.id) == home.get_annotation(third.id)
    assert (summary.annotations_updated, summary.annotations_unchanged) == (1, 3)
    assert [h.annotation_id for h in laptop.search("home")] == [second.id]


def test_a_tie_keeps_the_library_version() -> None:
    """Same updated_at on both sides: the library's annotation stays as it is."""
    home = new_store()
    ids = fill(home)
    data = json.loads(export.export_json(home))
    data["articles"][0]["annotations"][0]["note"] = "same time, other text"

    summary = restore(home, parse_backup(data))

    assert home.list_annotations(ids["river"])[0].note == "bends"
    assert summary.annotations_updated == 0


def test_restore_never_deletes() -> None:
    """Articles, annotations and tags missing from the file stay in the library."""
    home = new_store()
    fill(home)
    backup = backup_of(home)
    laptop = new_store(day=5)
    restore(laptop, backup)
    extra = laptop.import_document(
        Document("Extra", (Block(BlockKind.PARAGRAPH, "Only here."),))
    ).article
    mine = laptop.add_highlight(extra.id, (0, 0), (0, 4), tags=["mine"])
    river_id = next(a.id for a in laptop.list_articles() if a.title == "River")
    also = laptop.add_highlight(river_id, (0, 0), (0, 3), note="laptop only")
    laptop.delete_annotation(laptop.list_annotations(river_id)[-1].id)

    restore(laptop, backup)

    assert laptop.get_annotation(mine.id).tags == ("mine",)
    assert laptop.get_annotation(also.id).note == "laptop only"
    assert len(laptop.list_articles()) == 4
    assert len(laptop.list_annotations()) == 6, "the deleted one came back from the file"


def test_newer_text_in_the_file_replaces_the_article_and_reanchors() -> None:
    """A changed text from the file wins if newer; the library's own highlights move with it."""
    home = new_store()
    ids = fill(home)
    laptop = new_store(day=3)
    restore(laptop, backup_of(home))
    laptops_own = laptop.add_highlight(ids["river"], (2, 6), (2, 11), note="trust")
    changed = (RIVER[0], Block(BlockKind.PARAGRAPH, "A new first sentence."), *RIVER[1:])
    later = AnnotationStore(home.db, clock=FixedClock(datetime(2026, 2, 8, tzinfo=UTC)))
    later.import_document(
        Document("River", changed, source="/r.md", tags=("water",), author="A. Writer", format="md")
    )

    summary = restore(laptop, backup_of(home))

    assert [b.text for b in laptop.get_blocks(ids["river"])] == [b.text for b in changed]
    assert laptop.get_article(ids["river"]).updated_at == home.get_article(ids["river"]).updated_at
    moved = laptop.get_annotation(laptops_own.id)
    assert (moved.anchor.start_block, moved.anchor.exact, moved.orphaned) == (3, "trust", False)
    assert summary.articles_updated == 1
    homes = home.list_annotations(ids["river"])
    assert len(homes) == 3
    for annotation in homes:
        assert laptop.get_annotation(annotation.id).anchor == annotation.anchor
    assert laptop.search("first sentence")[0].article_id == ids["river"]


def test_older_text_in_the_file_is_ignored_and_its_annotations_placed_in_the_new_text() -> None:
    """The library's newer text stays; the file's new annotations are re-anchored into it."""
    home = new_store()
    ids = fill(home)
    home_annotation = home.add_highlight(ids["river"], (2, 6), (2, 11), tags=["trust"])
    backup = backup_of(home)
    laptop = new_store(day=3)
    trimmed = json.loads(export.export_json(home))
    trimmed["articles"][0]["annotations"] = []
    restore(laptop, parse_backup(trimmed))
    changed = (RIVER[0], Block(BlockKind.PARAGRAPH, "Inserted."), *RIVER[1:3])
    laptop.import_document(
        Document("River", changed, source="/r.md", tags=("water",), author="A. Writer", format="md")
    )

    summary = restore(laptop, backup)

    assert [b.text for b in laptop.get_blocks(ids["river"])] == [b.text for b in changed]
    placed = laptop.get_annotation(home_annotation.id)
    assert (placed.anchor.start_block, placed.anchor.exact, placed.orphaned) == (3, "trust", False)
    code = next(n for n in home.list_annotations(ids["river"]) if n.color == "pink")
    assert laptop.get_annotation(code.id).orphaned is True
    assert laptop.get_annotation(code.id).anchor == code.anchor
    assert summary.orphaned == 1
    assert "1 no longer found in the text, kept as orphaned" in summary.line()


def test_same_text_under_another_id_gets_the_annotations_instead_of_a_copy() -> None:
    """An article already imported on this machine (another id) receives the annotations."""
    home = new_store()
    ids = fill(home)
    laptop = new_store(day=3)
    mine = laptop.import_document(
        Document("River", RIVER, source="/elsewhere/r.md", tags=("water",), format="md")
    ).article
    assert mine.id != ids["river"]

    summary = restore(laptop, backup_of(home))

    titles = sorted(a.title for a in laptop.list_articles())
    assert titles == ["Empty", "Old", "River"]
    assert len(laptop.list_annotations(mine.id)) == 3
    assert {n.id for n in laptop.list_annotations(mine.id)} == {
        n.id for n in home.list_annotations(ids["river"])
    }
    assert summary.articles_merged == 1
    assert "merged into same text 1" in summary.line()
    again = restore(laptop, backup_of(home))
    assert again.annotations_added == 0 and len(laptop.list_articles()) == 3


def test_anchors_outside_the_article_are_kept_as_orphaned() -> None:
    """A position beyond the text (and a quote not in it) is kept, marked orphaned."""
    home = new_store()
    fill(home)
    data = json.loads(export.export_json(home))
    data["articles"][0]["annotations"][0]["anchor"].update(
        start_block=40, end_block=41, exact="not in this text"
    )
    target = new_store(day=3)

    summary = restore(target, parse_backup(data))

    kept = target.get_annotation(data["articles"][0]["annotations"][0]["id"])
    assert kept.orphaned is True
    assert (kept.anchor.start_block, kept.anchor.exact) == (40, "not in this text")
    assert summary.annotations_added == 4 and summary.orphaned == 1


def test_a_later_reading_position_is_taken() -> None:
    """The position of the copy opened last wins; an older one does not move the reader back."""
    home = new_store()
    ids = fill(home)
    laptop = new_store(day=3)
    restore(laptop, backup_of(home))
    laptop.set_position(ids["river"], 3)
    assert restore(laptop, backup_of(home)).articles_updated == 0
    assert laptop.get_article(ids["river"]).position == 3

    later = AnnotationStore(home.db, clock=FixedClock(datetime(2026, 2, 9, tzinfo=UTC)))
    later.set_position(ids["river"], 1)
    assert restore(laptop, backup_of(home)).articles_updated == 1
    assert laptop.get_article(ids["river"]).position == 1


def test_a_failure_half_way_leaves_the_library_as_it_was(tmp_path: Path) -> None:
    """If the database refuses a write late in the restore, everything before is rolled back."""
    home = new_store()
    ids = fill(home)
    path = tmp_path / "lib.db"
    target = AnnotationStore(path, clock=FixedClock())
    last = home.list_annotations(ids["old"])[0].id
    target.db.execute(
        "CREATE TRIGGER refuse BEFORE INSERT ON annotations WHEN new.id = ? "
        "BEGIN SELECT RAISE(ABORT, 'disk trouble'); END".replace("?", f"'{last}'")
    )

    with pytest.raises(StorageError, match="disk trouble"):
        restore(target, backup_of(home))

    assert target.list_articles() == []
    assert target.list_annotations() == []
    assert target.search("river") == []


# Checking the file ------------------------------------------------------------------------------


def valid_data() -> dict[str, Any]:
    """A valid export of a small library, parsed."""
    store = new_store()
    fill(store)
    return json.loads(export.export_json(store))


def broken(change: str) -> Any:
    """A valid export with one thing broken."""
    data = valid_data()
    article = data["articles"][0]
    annotation = article["annotations"][0]
    if change == "format":
        data["format"] = "something-else"
    elif change == "newer":
        data["version"] = 2
    elif change == "missing-title":
        del article["title"]
    elif change == "bad-kind":
        article["blocks"][1]["kind"] = "table-of-doom"
    elif change == "negative":
        annotation["anchor"]["start_offset"] = -1
    elif change == "colour":
        annotation["color"] = "octarine"
    elif change == "twice":
        data["articles"][1]["id"] = article["id"]
    elif change == "date":
        annotation["updated_at"] = "yesterday"
    elif change == "tags":
        annotation["tags"] = "geo"
    elif change == "list":
        data = [data]
    elif change == "huge-anchor":
        annotation["anchor"]["end_offset"] = 10**30
    elif change == "huge-level":
        article["blocks"][1]["level"] = 2**63
    elif change == "huge-position":
        article["position"] = 2**31
    elif change == "fraction":
        annotation["anchor"]["end_block"] = 1.0
    elif change == "boolean":
        annotation["anchor"]["start_block"] = True
    elif change == "number-text":
        annotation["anchor"]["start_offset"] = "4"
    elif change == "anchor-list":
        annotation["anchor"] = [[[0, 4]]]
    elif change == "nested-tags":
        annotation["tags"] = [["geo", ["deeper"]]]
    elif change == "surrogate":
        annotation["note"] = "half a pair \ud800"
    elif change.startswith("article-id:"):
        article["id"] = change.removeprefix("article-id:")
    elif change.startswith("annotation-id:"):
        annotation["id"] = change.removeprefix("annotation-id:")
    return data


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ("format", "not a reader JSON export"),
        ("newer", "newer version of reader"),
        ("missing-title", 'field "title" is missing'),
        ("bad-kind", "unknown kind 'table-of-doom'"),
        ("negative", 'field "start_offset" is not a whole number'),
        ("colour", "unknown colour 'octarine'"),
        ("twice", "appears twice"),
        ("date", 'field "updated_at" is not a date and time'),
        ("tags", 'field "tags" is not a list of texts'),
        ("list", "not a reader JSON export"),
        ("huge-anchor", 'annotation 1: field "end_offset" is not a whole number from 0 to'),
        ("huge-level", 'block 2: field "level" is not a whole number from 0 to 2147483647'),
        ("huge-position", 'field "position" is not a whole number from 0 to 2147483647'),
        ("fraction", 'annotation 1: field "end_block" is not a whole number'),
        ("boolean", 'annotation 1: field "start_block" is not a whole number'),
        ("number-text", 'annotation 1: field "start_offset" is not a whole number'),
        ("anchor-list", 'annotation 1: field "anchor" is not an object'),
        ("nested-tags", 'annotation 1: field "tags" is not a list of texts'),
        ("surrogate", 'annotation 1: field "note" is not a text'),
        ("article-id:../../vault", "article 1: id '../../vault' is not one reader makes"),
        ("article-id:a/b", "article 1: id 'a/b' is not one reader makes"),
        ("article-id:a\\b", "article 1: id 'a\\\\b' is not one reader makes"),
        ("article-id:.hidden", "article 1: id '.hidden' is not one reader makes"),
        ("article-id:nul\x00", "article 1: id 'nul\\x00' is not one reader makes"),
        ("article-id:two\nlines", "article 1: id 'two\\nlines' is not one reader makes"),
        ("article-id:-rf", "article 1: id '-rf' is not one reader makes"),
        ("article-id:" + "z" * 65, f"article 1: id '{'z' * 40}'... is not one reader makes"),
        ("annotation-id:x/../y", "annotation 1: id 'x/../y' is not one reader makes"),
    ],
)
def test_bad_exports_are_refused_with_one_line(change: str, message: str) -> None:
    """Each problem gets a one-line reason naming it (and the record it is in)."""
    with pytest.raises(RestoreError) as caught:
        parse_backup(broken(change))
    assert message in str(caught.value)
    assert "\n" not in str(caught.value)


def test_unreadable_files_are_refused(tmp_path: Path) -> None:
    """Not JSON, not UTF-8, a folder, a missing file: each one line."""
    cases = {
        "text.json": b"just notes",
        "latin1.json": '{"a": "caf\xe9"}'.encode("latin-1"),
        "deep.json": b"[" * 100_000,
        "digits.json": b'{"format": "reader-annotations", "version": ' + b"9" * 5000 + b"}",
    }
    for name, content in cases.items():
        (tmp_path / name).write_bytes(content)
    reasons = {}
    for name in [*cases, "missing.json", ""]:
        with pytest.raises(RestoreError) as caught:
            read_backup(tmp_path / name)
        reasons[name] = str(caught.value)
    assert reasons["text.json"].startswith("not a JSON export (invalid JSON at line 1")
    assert reasons["latin1.json"] == "not a JSON export (not UTF-8 text)"
    assert reasons["deep.json"].startswith("not a JSON export")
    assert reasons["digits.json"] == "not a JSON export (a number far too long)"
    assert reasons["missing.json"] == "no such file"
    assert reasons[""] == "is a folder, not a JSON export"


def test_a_bom_is_accepted(tmp_path: Path) -> None:
    """A file saved by an editor with a UTF-8 byte order mark still restores."""
    path = tmp_path / "bom.json"
    path.write_bytes(b"\xef\xbb\xbf" + json.dumps(valid_data()).encode("utf-8"))
    assert len(read_backup(path).articles) == 3


# Command line ----------------------------------------------------------------------------------


@pytest.fixture
def libraries(tmp_path: Path) -> tuple[Path, Path]:
    """A filled library file and an empty one (both real files, so no samples are added)."""
    home, laptop = tmp_path / "home.db", tmp_path / "laptop.db"
    store = AnnotationStore(home, clock=FixedClock())
    fill(store)
    store.close()
    AnnotationStore(laptop, clock=FixedClock()).close()
    return home, laptop


def test_cli_round_trip_and_summary(libraries: tuple[Path, Path], tmp_path: Path) -> None:
    """`export --format json -o F`, then `restore F` twice: the summaries, the same data."""
    home, laptop = libraries
    backup = tmp_path / "backup.json"
    assert run("--db", home, "export", "--format", "json", "-o", backup).exit_code == 0

    first = run("--db", laptop, "restore", backup)
    second = run("--db", laptop, "restore", backup)

    assert first.exit_code == second.exit_code == 0, first.output
    assert first.stdout == SUMMARY.format(3, 0, 0, 4, 0, 0) + "\n"
    assert second.stdout == SUMMARY.format(0, 0, 3, 0, 0, 4) + "\n"
    exported = [
        json.loads(run("--db", db, "export", "--format", "json").stdout) for db in (home, laptop)
    ]
    for data in exported:
        data.pop("exported")
    assert exported[0] == exported[1]


def test_cli_restore_on_a_new_machine_creates_the_library_without_samples(
    libraries: tuple[Path, Path], tmp_path: Path
) -> None:
    """A library that does not exist yet is created holding exactly the backup, same ids."""
    home, _ = libraries
    backup = tmp_path / "backup.json"
    assert run("--db", home, "export", "--format", "json", "-o", backup).exit_code == 0
    fresh = tmp_path / "new-machine.db"

    result = run("--db", fresh, "restore", backup)

    assert result.exit_code == 0, result.output
    assert result.stdout == SUMMARY.format(3, 0, 0, 4, 0, 0) + "\n"
    exported = [
        json.loads(run("--db", db, "export", "--format", "json").stdout) for db in (home, fresh)
    ]
    for data in exported:
        data.pop("exported")
    assert exported[0] == exported[1]


@pytest.mark.parametrize(
    "content", [b"not json", b'{"format": "reader-annotations", "version": 9}']
)
def test_cli_bad_file_is_one_line_and_leaves_the_library_alone(
    libraries: tuple[Path, Path], tmp_path: Path, content: bytes
) -> None:
    """Exit 1, `reader: FILE: reason` on stderr, library file bytes unchanged, none created."""
    _, laptop = libraries
    before = laptop.read_bytes()
    bad = tmp_path / "bad.json"
    bad.write_bytes(content)
    never = tmp_path / "never.db"

    for db in (laptop, never):
        result = run("--db", db, "restore", bad)
        assert result.exit_code == 1
        assert result.stdout == ""
        assert result.stderr.startswith(f"reader: {bad}: ")
        assert result.stderr.count("\n") == 1
    assert laptop.read_bytes() == before
    assert not never.exists()


def test_cli_absurd_number_in_an_orphaned_anchor_is_one_line(
    libraries: tuple[Path, Path], tmp_path: Path
) -> None:
    """An anchor of 10**30 (kept as it is, being orphaned) is refused before SQLite sees it."""
    _, laptop = libraries
    before = laptop.read_bytes()
    data = valid_data()
    annotation = data["articles"][0]["annotations"][0]
    annotation["orphaned"] = True
    annotation["anchor"]["start_block"] = 10**30
    bad = tmp_path / "huge.json"
    bad.write_text(json.dumps(data), encoding="utf-8")

    result = run("--db", laptop, "restore", bad)

    assert result.exit_code == 1
    assert result.stderr.startswith(f"reader: {bad}: article 1 (")
    assert 'annotation 1: field "start_block" is not a whole number' in result.stderr
    assert result.stderr.count("\n") == 1
    assert laptop.read_bytes() == before


def test_cli_restore_needs_a_file_argument(libraries: tuple[Path, Path]) -> None:
    """No FILE is a usage error (exit 2)."""
    _, laptop = libraries
    result = run("--db", laptop, "restore")
    assert result.exit_code == 2


def test_export_and_restore_do_not_load_the_tui(
    libraries: tuple[Path, Path], tmp_path: Path
) -> None:
    """`reader export --format json` and `reader restore` run without importing Textual."""
    home, laptop = libraries
    backup = tmp_path / "b.json"
    code = (
        "import json, sys\n"
        "from reader.cli import cli\n"
        "for args in json.loads(sys.argv[1]):\n"
        "    cli.main(args, prog_name='reader', standalone_mode=False)\n"
        "print(json.dumps(sorted({name.split('.')[0] for name in sys.modules})))\n"
    )
    commands = [
        ["--db", str(home), "export", "--format", "json", "-o", str(backup)],
        ["--db", str(home), "export", "--format", "w3c", "-o", str(tmp_path / "w.json")],
        ["--db", str(home), "export", "--format", "csv", "-o", str(tmp_path / "c.csv")],
        ["--db", str(home), "export", "-o", str(tmp_path / "vault")],
        ["--db", str(laptop), "restore", str(backup)],
    ]
    done = subprocess.run(
        [sys.executable, "-c", code, json.dumps(commands)],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    loaded = set(json.loads(done.stdout.strip().splitlines()[-1]))
    assert "annotations" in loaded
    assert loaded.isdisjoint({"textual", "rich"})
    assert "restored: articles added 3" in done.stdout


# Annotation ids the library has on another article ---------------------------------------------


def test_an_annotation_id_of_another_article_is_restored_under_a_new_id() -> None:
    """A backup reusing the id of another article's annotation never moves or changes that one.

    The backup's annotation is added to its own article under a new id; a second restore
    finds it there and changes nothing.
    """
    store = new_store()
    ids = fill(store)
    mine = store.list_annotations(ids["river"])[0]
    data = json.loads(export.export_json(store))
    articles = {article["id"]: article for article in data["articles"]}
    river = articles[ids["river"]]
    river["annotations"] = [n for n in river["annotations"] if n["id"] != mine.id]
    empty = articles[ids["empty"]]
    empty["annotations"] = [
        {
            **interchange.annotation_record(mine),
            "anchor": {
                "start_block": 0,
                "start_offset": 0,
                "end_block": 0,
                "end_offset": 8,
                "exact": "No marks",
                "prefix": "",
                "suffix": " here, ölmo.",
            },
            "note": "theirs",
            "updated_at": "2026-03-01T00:00:00.000Z",
        }
    ]
    backup = parse_backup(data)

    first = restore(store, backup)
    second = restore(store, backup)

    assert store.get_annotation(mine.id) == mine
    [theirs] = store.list_annotations(ids["empty"])
    assert theirs.id != mine.id
    assert (theirs.note, theirs.anchor.exact, theirs.orphaned) == ("theirs", "No marks", False)
    assert first.line() == (
        SUMMARY.format(0, 0, 3, 1, 0, 3)
        + " (1 under a new id: the library has their id on another article)"
    )
    assert second.line() == SUMMARY.format(0, 0, 3, 0, 0, 4)


def test_annotations_merged_into_a_twin_stay_there_when_the_article_comes_later() -> None:
    """Restored into a twin (same text, other id), then the article itself restored after its
    text changed: the twin keeps its annotations, the article gets copies."""
    home, laptop = new_store(), new_store()
    river = home.import_document(Document("River", RIVER, source="/r.md")).article
    home.add_highlight(river.id, (1, 4), (1, 9), note="bends")
    twin = laptop.import_document(Document("River", RIVER, source="/copy.md")).article
    restore(laptop, backup_of(home))
    [merged] = laptop.list_annotations(twin.id)
    home.clock.now = datetime(2026, 3, 1, tzinfo=UTC)  # type: ignore[attr-defined]
    home.import_document(Document("River", (*RIVER, Block(BlockKind.PARAGRAPH, "More.")), "/r.md"))

    restore(laptop, backup_of(home))
    restore(laptop, backup_of(home))

    assert laptop.list_annotations(twin.id) == [merged]
    [copy] = laptop.list_annotations(river.id)
    assert (copy.note, copy.anchor.exact) == ("bends", "river")
    assert copy.id != merged.id


# Size limit -------------------------------------------------------------------------------------


def test_a_file_over_the_limit_is_refused_before_it_is_read(tmp_path: Path) -> None:
    """A (sparse) file one byte over 256 MB is refused by its size, not read and parsed."""
    huge = tmp_path / "huge.json"
    with huge.open("wb") as file:
        file.truncate(backup_module.MAX_BACKUP_MB * 1_000_000 + 1)

    with pytest.raises(BackupTooLarge) as caught:
        read_backup(huge)

    assert str(caught.value) == (
        "is 257 MB, over the 256 MB limit of a restore "
        "(checking it takes several times its size in memory)"
    )


def test_cli_size_limit_is_one_line_and_max_size_lifts_it(
    libraries: tuple[Path, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Over the limit: one line naming the size and the way out, the library unchanged;
    with `--max-size` the same file restores."""
    home, laptop = libraries
    backup = tmp_path / "backup.json"
    assert run("--db", home, "export", "--format", "json", "-o", backup).exit_code == 0
    before = laptop.read_bytes()
    monkeypatch.setattr(backup_module, "MAX_BACKUP_MB", 0)

    refused = run("--db", laptop, "restore", backup)
    unchanged = laptop.read_bytes()
    allowed = run("--db", laptop, "restore", "--max-size", "1", backup)

    assert unchanged == before
    assert refused.exit_code == 1
    assert refused.stderr == (
        f"reader: {backup}: is 1 MB, over the 0 MB limit of a restore (checking it takes "
        "several times its size in memory); --max-size 1 reads it, if this computer has "
        "the memory\n"
    )
    assert refused.stdout == ""
    assert allowed.exit_code == 0, allowed.output
    assert allowed.stdout == SUMMARY.format(3, 0, 0, 4, 0, 0) + "\n"


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no named pipes")
def test_a_pipe_is_read_up_to_the_limit_only(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A pipe has no size to check first: it is read up to the limit, then refused."""
    pipe = tmp_path / "pipe"
    os.mkfifo(pipe)
    data = json.dumps(valid_data()).encode("utf-8")

    def feed() -> None:
        with contextlib.suppress(BrokenPipeError), pipe.open("wb") as writer:
            writer.write(data)

    monkeypatch.setattr(backup_module, "MAX_BACKUP_MB", 0)
    feeder = threading.Thread(target=feed, daemon=True)
    feeder.start()
    with pytest.raises(BackupTooLarge) as caught:
        read_backup(pipe)
    feeder.join(timeout=5)

    assert str(caught.value).startswith("is over the 0 MB limit of a restore (")
    assert caught.value.size is None
