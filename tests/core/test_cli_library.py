"""`reader delete`, `undelete`, `trash`, `edit`, `list --archived/--all` and `tags`, run
through click's CliRunner against real library files."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from annotations.models import Block, BlockKind, Document
from annotations.store import AnnotationStore
from reader.cli import cli


def run(*args: str | Path) -> Result:
    return CliRunner().invoke(cli, [str(arg) for arg in args], prog_name="reader")


@pytest.fixture
def db(tmp_path: Path) -> Path:
    """A library (no samples) of two articles, one annotated and tagged."""
    path = tmp_path / "lib.db"
    store = AnnotationStore(path)
    for title, tags in (("Bridges of Utrecht", ("history",)), ("Rivers", ())):
        blocks = (Block(BlockKind.PARAGRAPH, f"{title} text, river words."),)
        store.import_document(Document(title, blocks, f"/src/{title}.md", tags=tags))
    bridges = store.find_articles("bridges")[0]
    store.add_highlight(bridges.id, (0, 0), (0, 7), tags=["idea", "history"], note="A note.")
    store.close()
    return path


def ids(db: Path) -> dict[str, str]:
    """Article ids by title."""
    store = AnnotationStore(db)
    found = {article.title: article.id for article in store.list_articles()}
    store.close()
    return found


def titles(db: Path, *options: str) -> list[str]:
    result = run("--db", db, "list", "--json", *options)
    assert result.exit_code == 0, result.output
    return [article["title"] for article in json.loads(result.stdout)]


def test_delete_says_what_went_to_the_trash_and_how_to_undo(db: Path) -> None:
    bridges = ids(db)["Bridges of Utrecht"]

    result = run("--db", db, "delete", bridges[:8])

    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == [
        f'deleted {bridges[:8]} "Bridges of Utrecht" with 1 annotation to the trash',
        f"undo: reader undelete {bridges[:8]} (the trash keeps them 30 days, "
        "or until 'reader trash --empty')",
    ]
    assert titles(db) == ["Rivers"]

    result = run("--db", db, "undelete", bridges[:8])
    assert result.exit_code == 0, result.output
    assert result.stdout == f'brought back {bridges[:8]} "Bridges of Utrecht" with 1 annotation\n'
    assert sorted(titles(db)) == ["Bridges of Utrecht", "Rivers"]  # ties of import time: any order
    assert run("--db", db, "trash").stdout == "the trash is empty\n"


def test_delete_of_an_unknown_id_deletes_nothing(db: Path) -> None:
    rivers = ids(db)["Rivers"]

    result = run("--db", db, "delete", rivers, "NoSuchId")

    assert result.exit_code == 1
    assert result.stderr == "reader: no article with id NoSuchId; nothing was deleted\n"
    assert len(titles(db)) == 2
    assert run("--db", db, "delete").exit_code == 2


def test_delete_and_undelete_an_annotation_by_its_id(db: Path) -> None:
    store = AnnotationStore(db)
    (annotation,) = store.list_annotations()
    store.close()

    result = run("--db", db, "delete", annotation.id)
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[0] == (
        'deleted an annotation of "Bridges of Utrecht" to the trash'
    )
    assert titles(db) == ["Rivers", "Bridges of Utrecht"]

    result = run("--db", db, "undelete", annotation.id[:8])
    assert result.stdout == 'brought back an annotation of "Bridges of Utrecht"\n'
    store = AnnotationStore(db)
    assert store.get_annotation(annotation.id) == annotation
    store.close()


def test_trash_lists_entries_and_empties(db: Path) -> None:
    found = ids(db)
    run("--db", db, "delete", found["Rivers"], found["Bridges of Utrecht"])

    result = run("--db", db, "trash")
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert re.fullmatch(
        rf"article\s+{found['Bridges of Utrecht'][:8]}\s+1 annotation\s+just now\s+"
        "Bridges of Utrecht",
        lines[0],
    ), lines
    assert re.fullmatch(
        rf"article\s+{found['Rivers'][:8]}\s+0 annotations\s+just now\s+Rivers", lines[1]
    )
    assert "reader undelete ID" in result.stderr

    listed = json.loads(run("--db", db, "trash", "--json").stdout)
    assert [(item["kind"], item["id"], item["annotations"]) for item in listed] == [
        ("article", found["Bridges of Utrecht"], 1),
        ("article", found["Rivers"], 0),
    ]
    assert {"title", "article_id", "deleted_at"} <= listed[0].keys()

    result = run("--db", db, "trash", "--empty")
    assert (result.exit_code, result.stdout) == (0, "emptied the trash: 2 items removed for good\n")
    assert json.loads(run("--db", db, "trash", "--json").stdout) == []
    result = run("--db", db, "undelete", found["Rivers"])
    assert result.exit_code == 1
    assert result.stderr == f"reader: nothing with id {found['Rivers']} in the trash\n"


def test_edit_changes_the_details_and_says_so(db: Path) -> None:
    rivers = ids(db)["Rivers"]

    result = run(
        "--db", db, "edit", rivers[:6], "--title", "Rivers of Europe", "--author", "Ann",
        "--date", "2024-05", "--tag", "geography", "--tag", "#later",
    )  # fmt: skip

    assert result.exit_code == 0, result.output
    assert result.stdout == (
        f'edited {rivers[:8]} "Rivers of Europe": author Ann; date 2024-05; tags geography, later\n'
    )
    (article,) = [
        a for a in json.loads(run("--db", db, "list", "--json").stdout) if a["id"] == rivers
    ]
    assert (article["title"], article["author"], article["date"], article["tags"]) == (
        "Rivers of Europe",
        "Ann",
        "2024-05",
        ["geography", "later"],
    )
    assert article["edited"] == ["title", "author", "date", "tags"]

    result = run("--db", db, "edit", rivers, "--no-tags", "--author", "")
    assert result.stdout == f'edited {rivers[:8]} "Rivers of Europe": author -; tags -\n'


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (["--date", "2024-13"], 2, "date '2024-13' does not exist"),
        (["--date", "soon"], 2, "date 'soon' is not YYYY, YYYY-MM or YYYY-MM-DD"),
        (["--title", " "], 2, "a title cannot be empty"),
        ([], 2, "nothing to change: give --title, --author, --date, --tag or --no-tags"),
        (["--tag", "a", "--no-tags"], 2, "--tag and --no-tags do not go together"),
    ],
)
def test_edit_refuses_in_one_line(db: Path, args: list[str], code: int, message: str) -> None:
    rivers = ids(db)["Rivers"]
    result = run("--db", db, "edit", rivers, *args)
    assert result.exit_code == code
    assert result.stderr.startswith(f"reader: {message}")
    assert result.stderr.count("\n") == 1
    assert titles(db) == ["Rivers", "Bridges of Utrecht"]


def test_edit_of_an_unknown_article_quotes_what_was_typed(db: Path) -> None:
    result = run("--db", db, "edit", "NonExistent", "--title", "x")
    assert (result.exit_code, result.stderr) == (1, "reader: no article with id NonExistent\n")


def test_list_shows_the_reading_shelf_unless_asked(db: Path) -> None:
    store = AnnotationStore(db)
    store.set_archived(ids(db)["Rivers"], True)
    store.close()

    assert titles(db) == ["Bridges of Utrecht"]
    assert titles(db, "--archived") == ["Rivers"]
    assert titles(db, "--all") == ["Rivers", "Bridges of Utrecht"]
    listed = json.loads(run("--db", db, "list", "--json", "--all").stdout)
    assert [(a["archived"], a["tags"]) for a in listed] == [(True, []), (False, ["history"])]

    lines = run("--db", db, "list", "--all").stdout.splitlines()
    assert lines[0].endswith("Rivers  [archived]")
    assert lines[1].endswith("Bridges of Utrecht  #history")


def test_tags_say_which_are_on_articles_and_which_on_passages(db: Path) -> None:
    result = run("--db", db, "tags")
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == [
        "history  1 passage, 1 article",
        "idea     1 passage",
    ]
    assert json.loads(run("--db", db, "tags", "--json").stdout) == [
        {"name": "history", "count": 1, "articles": 1},
        {"name": "idea", "count": 1, "articles": 0},
    ]


def test_a_command_empties_what_the_trash_kept_over_30_days(db: Path) -> None:
    """Opening the library (any command, and the app) purges the trash's old entries."""
    found = ids(db)
    run("--db", db, "delete", found["Rivers"], found["Bridges of Utrecht"])
    store = AnnotationStore(db)
    store.db.execute(
        "UPDATE trash SET deleted_at = '2000-01-01T00:00:00.000Z' WHERE item_id = ?",
        [found["Rivers"]],
    )
    store.close()

    listed = json.loads(run("--db", db, "trash", "--json").stdout)

    assert [item["id"] for item in listed] == [found["Bridges of Utrecht"]]
    assert run("--db", db, "undelete", found["Rivers"]).exit_code == 1
