"""`reader search` and `reader tags`, run through click's CliRunner against real library files."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from annotations.store import AnnotationStore
from tests.core.test_cli import run
from tests.core.test_search import add_article

LINE = re.compile(r"^(?P<id>[0-9a-f]{8})  ¶(?P<block>\d+)  (?P<title>.+?) — (?P<snippet>.*)$")
"""A line of `reader search`: `<id8>  ¶<block+1>  <title> — <snippet with «matches»>`."""


@pytest.fixture
def db(tmp_path: Path) -> Path:
    """A library (no samples) with two articles and one tagged, noted annotation."""
    path = tmp_path / "lib.db"
    store = AnnotationStore(path)
    first = add_article(store)
    add_article(
        store,
        "Bad \x1b]0;pwned\x07 text about the brug.",
        title="Evil \x1b[31m title",
        source="/docs/evil.txt",
    )
    store.add_highlight(first, (1, 0), (1, 9), tags=["Brücke", "later"], note="Check the brug.")
    store.add_highlight(first, (3, 0), (3, 4), tags=["later"])
    store.close()
    return path


def test_search_prints_one_line_per_hit(db: Path) -> None:
    """Each hit is `<id8>  ¶<paragraph>  <title> — <snippet>`, the matches in « »."""
    result = run("--db", db, "search", "goita")

    assert result.exit_code == 0, result.output
    (line,) = result.stdout.splitlines()
    match = LINE.match(line)
    assert match, line
    assert match["block"] == "1"
    assert match["title"] == "Sahel notes"
    assert match["snippet"] == (
        "Assimi «Goïta» leads the transition in Mali, Đài Tiếng Việt reports."
    )
    assert result.stderr == ""


def test_search_json_has_the_hit_fields(db: Path) -> None:
    """`--json` lists article_id, title, 0-based block, a plain snippet, source, marks."""
    result = run("--db", db, "search", "--json", "brug")

    assert result.exit_code == 0, result.output
    hits = json.loads(result.stdout)
    assert {hit["source"] for hit in hits} == {"text", "note"}
    for hit in hits:
        assert {"article_id", "title", "block", "snippet", "source", "annotation_id", "marks"} <= (
            hit.keys()
        )
        assert "«" not in hit["snippet"]
        for start, end in hit["marks"]:
            assert hit["snippet"][start:end].lower().startswith("brug")
    note = next(hit for hit in hits if hit["source"] == "note")
    assert (note["block"], note["snippet"]) == (1, "Check the brug.")
    assert note["annotation_id"]
    texts = [hit for hit in hits if hit["source"] == "text" and hit["title"] == "Sahel notes"]
    assert sorted(hit["block"] for hit in texts) == [1, 3]


def test_search_words_and_limit(db: Path) -> None:
    """Several words all have to match; `--limit` caps the lines."""
    assert len(run("--db", db, "search", "brug").stdout.splitlines()) == 4
    assert len(run("--db", db, "search", "--limit", "2", "brug").stdout.splitlines()) == 2
    both = run("--db", db, "search", "nieuwe", "brug").stdout.splitlines()
    assert [LINE.match(line)["block"] for line in both] == ["2"]  # type: ignore[index]


def test_no_matches_exit_0_with_a_note_on_stderr(db: Path) -> None:
    """Nothing found: empty stdout, one line on stderr, exit 0; `--json` prints []."""
    result = run("--db", db, "search", "zeppelin")
    assert (result.exit_code, result.stdout) == (0, "")
    assert result.stderr.count("\n") == 1
    assert "no matches" in result.stderr

    result = run("--db", db, "search", "--json", "zeppelin")
    assert (result.exit_code, json.loads(result.stdout), result.stderr) == (0, [], "")


@pytest.mark.parametrize("query", ["(brug", "brug)", '"brug', "NEAR(", "-", "a:b", "^", "AND"])
def test_search_takes_any_text(db: Path, query: str) -> None:
    """FTS syntax in a query is plain text: never an error or a traceback."""
    result = run("--db", db, "search", "--", query)
    assert result.exit_code == 0, result.output
    assert "Traceback" not in result.output


def test_search_shows_control_characters_harmlessly(db: Path) -> None:
    """Escape sequences in titles and text print as visible symbols, never as escapes."""
    result = run("--db", db, "search", "pwned")
    assert result.exit_code == 0, result.output
    assert "\x1b" not in result.stdout and "\x07" not in result.stdout
    (line,) = result.stdout.splitlines()
    assert "Evil ␛[31m title — " in line
    assert "«pwned»" in line


def test_search_needs_a_query(db: Path) -> None:
    """A missing query is a usage error."""
    result = run("--db", db, "search")
    assert result.exit_code == 2


def test_tags_lists_names_and_counts_most_used_first(db: Path) -> None:
    """`reader tags` prints `name  N passages` lines, most used first."""
    result = run("--db", db, "tags")
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == ["later   2 passages", "Brücke  1 passage"]

    result = run("--db", db, "tags", "--json")
    assert json.loads(result.stdout) == [
        {"name": "later", "count": 2, "articles": 0},
        {"name": "Brücke", "count": 1, "articles": 0},
    ]


def test_tags_of_a_library_without_tags(tmp_path: Path) -> None:
    """No tags: nothing printed, exit 0; `--json` prints []."""
    db = tmp_path / "empty.db"
    AnnotationStore(db).close()
    assert (run("--db", db, "tags").exit_code, run("--db", db, "tags").stdout) == (0, "")
    assert json.loads(run("--db", db, "tags", "--json").stdout) == []


def test_search_and_tags_take_db_after_the_command(db: Path) -> None:
    """`--db` works after the subcommand too, and both commands are in the help."""
    assert run("search", "goita", "--db", db).stdout.count("\n") == 1
    assert run("tags", "--db", db).stdout.startswith("later")
    listing = run("--help").stdout
    for command in ("search", "tags"):
        assert re.search(rf"^\s+{command}\s", listing, re.M), command


def test_an_empty_search_is_a_usage_error(tmp_path: Path) -> None:
    """`reader search ''` asks for words, with exit code 2, and opens no library."""
    db = tmp_path / "lib.db"
    result = run("--db", db, "search", "  ")
    assert result.exit_code == 2
    assert "needs words" in result.stderr
    assert not db.exists()
