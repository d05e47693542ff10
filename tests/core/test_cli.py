"""The `reader` command line, run through click's CliRunner against real library files."""

from __future__ import annotations

import json
import re
import sqlite3
import subprocess
import sys
from importlib.metadata import version
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from annotations.store import AnnotationStore
from reader.cli import cli
from reader.library import open_library

SUMMARY = re.compile(r"^imported (\d+), updated (\d+), unchanged (\d+), failed (\d+)$")


def run(*args: str | Path) -> Result:
    """Run the command line with the given arguments."""
    return CliRunner().invoke(cli, [str(arg) for arg in args], prog_name="reader")


def summary(result: Result) -> tuple[int, int, int, int]:
    """The four counts of an import's summary line, which must be stdout's last line."""
    match = SUMMARY.match(result.stdout.strip().splitlines()[-1])
    assert match, result.stdout
    imported, updated, unchanged, failed = (int(n) for n in match.groups())
    return imported, updated, unchanged, failed


@pytest.fixture
def db(tmp_path: Path) -> Path:
    """Where the test's library file goes (created on first use)."""
    return tmp_path / "lib.db"


def test_version_and_help() -> None:
    """`--version` prints the distribution's version; help texts list the commands."""
    result = run("--version")
    assert result.exit_code == 0
    assert result.stdout.strip() == f"reader, version {version('reader-annotations')}"

    result = run("--help")
    assert result.exit_code == 0
    for command in ("import", "list", "export", "open"):
        assert re.search(rf"^\s+{command}\s", result.stdout, re.M), command
    assert "--db" in result.stdout

    result = run("import", "--help")
    assert result.exit_code == 0
    assert "imported N, updated N, unchanged N, failed N" in result.stdout


def test_first_use_of_a_new_library_by_a_command_creates_it_empty(db: Path) -> None:
    """A command creates a new library without the samples (only the TUI adds them)."""
    result = run("--db", db, "list", "--json")

    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == []
    assert db.exists()


def test_list_json_has_the_fields_of_each_article(db: Path) -> None:
    """`list --json` gives id, title, date, source, words and annotations of each article."""
    open_library(db).close()  # the samples, as the TUI's first start adds them

    result = run("--db", db, "list", "--json")

    assert result.exit_code == 0, result.output
    articles = json.loads(result.stdout)
    assert len(articles) >= 4
    for article in articles:
        assert {"id", "title", "date", "source", "words", "annotations"} <= article.keys()
        assert article["words"] > 0
    assert any(article["title"].startswith("Welcome") for article in articles)


@pytest.fixture
def mixed_folder(tmp_path: Path) -> Path:
    """A folder of good and bad documents, with a subfolder."""
    folder = tmp_path / "inbox"
    (folder / "sub").mkdir(parents=True)
    (folder / "good.txt").write_text("A Title\n\nSome text to read.\n", encoding="utf-8")
    (folder / "sub" / "also-good.md").write_text("# Heading\n\nMore text.\n", encoding="utf-8")
    (folder / "empty.txt").write_bytes(b"")
    (folder / "binary.md").write_bytes(b"\x00\x01\x02garbage")
    return folder


def test_import_reports_a_summary_and_each_failure(db: Path, mixed_folder: Path) -> None:
    """A folder with bad files imports the good ones, names each failure and exits 1.

    Binary files in a folder are skipped; named on the command line, they fail.
    """
    result = run("--db", db, "import", mixed_folder, mixed_folder / "binary.md")

    assert result.exit_code == 1
    assert summary(result) == (2, 0, 0, 2)
    errors = result.stderr.strip().splitlines()
    assert len(errors) == 2
    assert any("empty.txt" in line and "empty" in line for line in errors)
    assert any("binary.md" in line and "binary" in line for line in errors)
    assert "Traceback" not in result.output
    titles = {a["title"] for a in json.loads(run("--db", db, "list", "--json").stdout)}
    assert {"A Title", "Heading"} <= titles


def test_import_of_good_files_exits_0_and_twice_is_unchanged(db: Path, tmp_path: Path) -> None:
    """Importing a file gives `imported 1`; the same file again gives `unchanged 1`."""
    path = tmp_path / "note.txt"
    path.write_text("My Note\n\nRemember the milk.\n", encoding="utf-8")

    first = run("--db", db, "import", path)
    again = run("--db", db, "import", path)

    assert (first.exit_code, summary(first)) == (0, (1, 0, 0, 0))
    assert (again.exit_code, summary(again)) == (0, (0, 0, 1, 0))
    assert first.stderr == again.stderr == ""


def test_import_of_a_changed_file_is_updated(db: Path, tmp_path: Path) -> None:
    """A changed file from the same path updates its article instead of adding one."""
    path = tmp_path / "note.txt"
    path.write_text("My Note\n\nFirst version.\n", encoding="utf-8")
    run("--db", db, "import", path)
    path.write_text("My Note\n\nSecond version.\n", encoding="utf-8")

    result = run("--db", db, "import", path)

    assert (result.exit_code, summary(result)) == (0, (0, 1, 0, 0))
    sources = [a["source"] for a in json.loads(run("--db", db, "list", "--json").stdout)]
    assert sources.count(str(path.resolve())) == 1


def test_import_of_unreadable_front_matter_warns_in_one_line(db: Path, tmp_path: Path) -> None:
    """A Markdown file whose front matter is not valid YAML still imports, exit 0, with
    one stderr line; its front matter is the article's first block."""
    path = tmp_path / "broken.md"
    path.write_text(
        "---\ntitle: Broken\ntags: [a, b\nauthor: Someone\n---\n\nThe text itself.\n",
        encoding="utf-8",
    )

    result = run("--db", db, "import", path)

    assert (result.exit_code, summary(result)) == (0, (1, 0, 0, 0))
    assert result.stderr == (
        f"reader: {path}: front matter is not valid YAML "
        "(line 4: expected ',' or ']', but got ':'); kept as text\n"
    )
    [article] = [
        article
        for article in json.loads(run("--db", db, "list", "--json").stdout)
        if article["source"] == str(path.resolve())
    ]
    assert (article["title"], article["author"], article["tags"]) == ("The text itself.", None, [])
    store = AnnotationStore(db)
    first = store.get_blocks(article["id"])[0].text
    store.close()
    assert first == "---\ntitle: Broken\ntags: [a, b\nauthor: Someone\n---"


def test_import_of_a_missing_path_fails(db: Path, tmp_path: Path) -> None:
    """A path that does not exist counts as failed, with one stderr line, and exits 1."""
    missing = tmp_path / "nowhere.txt"
    result = run("--db", db, "import", missing)
    assert result.exit_code == 1
    assert summary(result) == (0, 0, 0, 1)
    assert result.stderr.count("\n") == 1
    assert "nowhere.txt" in result.stderr


@pytest.fixture
def annotated(db: Path) -> tuple[str, str]:
    """A library whose Welcome article has one annotation; returns (article id, title)."""
    open_library(db).close()  # the samples, as the TUI's first start adds them
    store = AnnotationStore(db)
    article = next(a for a in store.list_articles() if a.title.startswith("Welcome"))
    store.add_highlight(article.id, (0, 0), (0, 5), tags=["first"], note="My note.")
    store.close()
    return article.id, article.title


def test_export_one_article_to_stdout(db: Path, annotated: tuple[str, str]) -> None:
    """`export --article <prefix>` prints that article's Markdown with front matter and title."""
    article_id, title = annotated
    result = run("--db", db, "export", "--article", article_id[:6])

    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("---\ntitle: ")
    assert f"\n# {title}\n" in result.stdout
    assert "\n#first · colour: yellow\n" in result.stdout
    assert "My note." in result.stdout
    assert result.stdout.count("\n# ") == 1


def test_export_to_a_folder_and_to_a_file(
    db: Path, annotated: tuple[str, str], tmp_path: Path
) -> None:
    """`-o DIR` writes one `<slug>.md` per annotated article; `-o file.md` writes one file."""
    _, title = annotated
    folder = tmp_path / "exports"

    result = run("--db", db, "export", "-o", folder)
    assert result.exit_code == 0, result.output
    assert [p.name for p in folder.iterdir()] == ["welcome-to-reader.md"]
    assert f"# {title}" in (folder / "welcome-to-reader.md").read_text(encoding="utf-8")

    target = tmp_path / "all.md"
    result = run("--db", db, "export", "-o", target)
    assert result.exit_code == 0, result.output
    assert target.read_text(encoding="utf-8").startswith("---\ntitle: ")
    assert result.stdout == ""


def test_export_of_an_unknown_article_fails_with_one_line(db: Path) -> None:
    """An unknown article id exits 1 with a single error line and no output."""
    result = run("--db", db, "export", "--article", "zzzz")
    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr.count("\n") == 1
    assert "zzzz" in result.stderr


@pytest.mark.parametrize(
    "content",
    [b"just some notes\n", b"SQLite format 3\x00" + bytes(100)],
    ids=["text-file", "broken-sqlite"],
)
@pytest.mark.parametrize("command", [["list"], ["import", "x.txt"], ["export"]])
def test_a_non_library_db_is_refused_and_untouched(
    tmp_path: Path, content: bytes, command: list[str]
) -> None:
    """Any command on a file that is not a library exits 1 with one line and leaves it as is."""
    path = tmp_path / "precious.db"
    path.write_bytes(content)

    result = run("--db", path, *command)

    assert result.exit_code == 1
    assert result.stderr.count("\n") == 1
    assert str(path) in result.stderr
    assert "Traceback" not in result.output
    assert path.read_bytes() == content


def test_another_programs_database_is_refused(tmp_path: Path) -> None:
    """An SQLite database of another program is not turned into a library."""
    path = tmp_path / "other.db"
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE t (x)")
    conn.commit()
    conn.close()
    before = path.read_bytes()

    result = run("--db", path, "list")

    assert result.exit_code == 1
    assert "another program" in result.stderr
    assert path.read_bytes() == before


@pytest.mark.parametrize(
    "args",
    [["import"], ["export", "--format", "pdf"], ["no-such-command"], ["list", "--bogus"]],
    ids=["missing-argument", "bad-choice", "unknown-command", "unknown-option"],
)
def test_usage_errors_exit_2(db: Path, args: list[str]) -> None:
    """Mistakes in the command line exit 2 with a usage message and touch no library."""
    result = run("--db", db, *args)
    assert result.exit_code == 2
    assert "Usage:" in result.stderr
    assert not db.exists()


def test_db_is_accepted_after_the_subcommand(tmp_path: Path) -> None:
    """`reader list --db PATH` uses that library, like `reader --db PATH list`."""
    db = tmp_path / "after.db"
    result = CliRunner().invoke(cli, ["list", "--json", "--db", str(db)], prog_name="reader")
    assert result.exit_code == 0, result.output
    assert db.exists()
    assert json.loads(result.stdout) == []


def run_process(*args: str | Path) -> subprocess.CompletedProcess[str]:
    """Run `python -m reader` for real, as a user's shell would."""
    return subprocess.run(
        [sys.executable, "-m", "reader", *(str(arg) for arg in args)],
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.mark.parametrize(
    "args", [["bogus"], ["import"], ["list", "--nope"], ["export", "--format", "pdf"]]
)
def test_usage_errors_are_one_line(db: Path, args: list[str]) -> None:
    """A usage mistake prints one line on stderr, exits 2 and creates no library."""
    result = run_process("--db", db, *args)
    assert result.returncode == 2
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert result.stderr.startswith("reader: ")
    assert "Traceback" not in result.stderr
    assert not db.exists()


def test_db_in_a_missing_folder_is_refused(tmp_path: Path) -> None:
    """A mistyped --db folder is an error, not a new library somewhere unexpected."""
    db = tmp_path / "no-such-folder" / "lib.db"
    result = run("--db", db, "list")
    assert result.exit_code == 1
    assert "does not exist" in result.stderr
    assert not db.parent.exists()


def test_several_articles_to_one_file_is_refused(
    db: Path, annotated: tuple[str, str], tmp_path: Path
) -> None:
    """Exporting several articles to one .md file asks for a folder instead."""
    store = AnnotationStore(db)
    second = store.list_articles()[1].id
    store.add_highlight(second, (0, 0), (0, 3))
    store.close()
    result = run("--db", db, "export", "-o", tmp_path / "all.md")
    assert result.exit_code == 2
    assert "folder" in result.stderr
    assert not (tmp_path / "all.md").exists()


def test_list_shows_control_characters_harmlessly(db: Path, tmp_path: Path) -> None:
    """Titles with terminal escape sequences print as visible symbols, not as escapes."""
    hostile = tmp_path / "hostile.txt"
    hostile.write_text("Bad \x1b]0;pwned\x07 title\n\nSome text here.\n", encoding="utf-8")
    assert run("--db", db, "import", hostile).exit_code == 0
    listed = run("--db", db, "list").stdout
    assert "\x1b" not in listed and "\x07" not in listed
    assert "Bad ␛]0;pwned␇ title" in listed


def test_export_to_a_folder_draws_a_progress_bar_on_a_terminal(tmp_path: Path) -> None:
    """On a terminal, `reader export -o DIR` shows how many files are done, on one line that
    fits the terminal however long the titles (else it would wrap and scroll); piped, nothing."""
    import fcntl
    import os
    import pty
    import struct
    import termios

    from annotations.models import Block, BlockKind, Document

    db = tmp_path / "lib.db"
    store = AnnotationStore(db)
    for number in range(3):
        blocks = (Block(BlockKind.PARAGRAPH, f"Paragraph number {number} of this article."),)
        title = f"Article {number} with a title far longer than the terminal is wide " * 2
        article = store.import_document(Document(title, blocks)).article
        store.add_highlight(article.id, (0, 0), (0, 9))
    store.close()
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 60, 0, 0))
    command = [sys.executable, "-m", "reader", "--db", str(db), "export", "-o"]
    try:
        done = subprocess.run(
            [*command, str(tmp_path / "vault")],
            stdout=subprocess.PIPE,
            stderr=slave,
            timeout=60,
        )
    finally:
        os.close(slave)
    shown = b""
    while True:
        try:
            chunk = os.read(master, 65536)
        except OSError:
            break
        if not chunk:
            break
        shown += chunk
    os.close(master)
    text = shown.decode("utf-8", "replace")
    assert done.returncode == 0, text
    assert "Exporting" in text and "3/3" in text
    assert "exported 3 articles" in text
    drawn = [re.sub(r"\x1b\[[0-9;?]*[a-zA-Z]", "", line) for line in re.split(r"[\r\n]+", text)]
    assert [line for line in drawn if line.startswith("Exporting")]
    assert max(len(line) for line in drawn if line.startswith("Exporting")) <= 60, drawn
    assert re.search(r"\d/3  Article \d", text)  # the title, cut to fit

    piped = subprocess.run(
        [*command, str(tmp_path / "piped")], capture_output=True, text=True, timeout=60
    )
    assert piped.returncode == 0
    assert "Exporting" not in piped.stderr
    assert piped.stderr.startswith("exported 3 articles")


def test_import_of_a_changed_file_says_how_many_annotations_are_orphaned(
    db: Path, tmp_path: Path
) -> None:
    """A re-import that cannot place some annotations says so in one line, on stderr."""
    source = tmp_path / "report.md"
    kept = "The ferry left at six."
    gone = "Several boats ran aground near the breakwater that week."
    source.write_text(f"# Report\n\n{kept} {gone} Nobody was hurt.\n", encoding="utf-8")
    assert summary(run("--db", db, "import", source)) == (1, 0, 0, 0)
    store = AnnotationStore(db)
    (article,) = store.list_articles()
    texts = [block.text for block in store.get_blocks(article.id)]
    (index,) = [i for i, text in enumerate(texts) if kept in text]
    for words in (kept, gone):
        at = texts[index].index(words)
        store.add_highlight(article.id, (index, at), (index, at + len(words)))
    store.close()

    source.write_text(f"# Report\n\n{kept} Nobody was hurt.\n", encoding="utf-8")
    result = run("--db", db, "import", source)

    assert result.exit_code == 0, result.output
    assert summary(result) == (0, 1, 0, 0)
    assert result.stderr == (
        "reader: 1 annotation could not be placed in the changed text and stays orphaned: "
        "the annotations list (a) shows it and re-attaches it (r)\n"
    )
