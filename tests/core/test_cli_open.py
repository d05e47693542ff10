"""`reader open` (an id, a file or words of a title) and where the samples go: only to a
library the TUI starts on when it does not exist yet; commands create a new one empty."""

from __future__ import annotations

import json
import os
import re
import select
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from annotations.models import Block, BlockKind, Document
from annotations.store import AnnotationStore
from reader import cli as cli_module
from reader.cli import cli
from reader.library import sample_files

SAMPLE_COUNT = len(sample_files())


def run(*args: str | Path) -> Result:
    """Run the command line with the given arguments."""
    return CliRunner().invoke(cli, [str(arg) for arg in args], prog_name="reader")


@pytest.fixture
def opened(monkeypatch: pytest.MonkeyPatch) -> list[str | None]:
    """The TUI replaced by a list of the article ids it is started on (None: the library)."""
    started: list[str | None] = []
    monkeypatch.setattr(
        cli_module, "run_tui", lambda store, open_article=None: started.append(open_article)
    )
    return started


def titles(db: Path) -> list[str]:
    """The titles of a library's articles, as `reader list --json` gives them."""
    result = run("--db", db, "list", "--json")
    assert result.exit_code == 0, result.output
    return sorted(article["title"] for article in json.loads(result.stdout))


def sample_titles(tmp_path: Path) -> list[str]:
    """The titles of the bundled samples, read from a library the TUI started on."""
    db = tmp_path / "samples.db"
    store = AnnotationStore(db)
    from reader.library import add_samples

    add_samples(store)
    found = sorted(article.title for article in store.list_articles())
    store.close()
    return found


@pytest.fixture
def note_file(tmp_path: Path) -> Path:
    """A small text file to import."""
    path = tmp_path / "Sahel notes.txt"
    path.write_text("Sahel notes\n\nThe Sahel is a region south of the Sahara.\n", "utf-8")
    return path


# The samples ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "command",
    [["list"], ["list", "--json"], ["tags"], ["search", "river"], ["export"], ["import"]],
    ids=lambda command: " ".join(command),
)
def test_a_command_creates_a_new_library_empty(
    tmp_path: Path, note_file: Path, command: list[str]
) -> None:
    """`reader --db new.db import X` holds X alone; other commands leave it with nothing."""
    db = tmp_path / "new.db"
    if command == ["import"]:
        command = ["import", str(note_file)]

    result = run("--db", db, *command)

    assert result.exit_code == 0, result.output
    assert db.exists()
    assert titles(db) == (["Sahel notes"] if command[0] == "import" else [])


def test_a_command_in_a_real_process_creates_a_new_library_empty(
    tmp_path: Path, note_file: Path
) -> None:
    """The same through `python -m reader`, as a shell runs it."""
    db = tmp_path / "new.db"

    def reader(*args: str | Path) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "reader", "--db", str(db), *map(str, args)],
            capture_output=True,
            text=True,
            timeout=120,
        )

    imported = reader("import", note_file)
    listed = reader("list", "--json")

    assert imported.returncode == 0, imported.stderr
    assert imported.stdout.strip() == "imported 1, updated 0, unchanged 0, failed 0"
    assert [article["title"] for article in json.loads(listed.stdout)] == ["Sahel notes"]


def test_the_tui_adds_the_samples_to_a_library_that_does_not_exist(
    tmp_path: Path, opened: list[str | None]
) -> None:
    """Plain `reader` on a new library: the samples, a Welcome article among them."""
    db = tmp_path / "new.db"

    result = run("--db", db)

    assert result.exit_code == 0, result.output
    assert opened == [None]
    assert titles(db) == sample_titles(tmp_path)
    assert len(titles(db)) == SAMPLE_COUNT
    assert any(title.startswith("Welcome") for title in titles(db))


def test_the_samples_are_ordinary_articles_and_never_come_back(
    tmp_path: Path, opened: list[str | None]
) -> None:
    """Deleted samples stay deleted: the TUI adds them only when the file did not exist."""
    db = tmp_path / "new.db"
    assert run("--db", db).exit_code == 0
    store = AnnotationStore(db)
    for article in store.list_articles():
        store.delete_article(article.id)
    store.close()

    assert run("--db", db).exit_code == 0

    assert titles(db) == []
    assert opened == [None, None]


def test_the_tui_on_a_library_a_command_created_adds_no_samples(
    tmp_path: Path, note_file: Path, opened: list[str | None]
) -> None:
    """`reader import X` first, then `reader`: the library holds X alone."""
    db = tmp_path / "new.db"
    assert run("--db", db, "import", note_file).exit_code == 0

    assert run("--db", db).exit_code == 0

    assert titles(db) == ["Sahel notes"]


def test_the_tui_adds_the_samples_to_an_empty_file(
    tmp_path: Path, opened: list[str | None]
) -> None:
    """A 0-byte file (as `mktemp` makes) is a library that does not exist yet."""
    db = tmp_path / "new.db"
    db.touch()

    assert run("--db", db).exit_code == 0

    assert len(titles(db)) == SAMPLE_COUNT


def test_reader_open_on_a_new_library_is_the_tuis_first_start(
    tmp_path: Path, note_file: Path, opened: list[str | None]
) -> None:
    """`reader open FILE` on a new library opens the file, with the samples beside it; an
    open that finds nothing leaves the new library empty, as any command does."""
    db = tmp_path / "new.db"

    result = run("--db", db, "open", note_file)

    assert result.exit_code == 0, result.output
    store = AnnotationStore(db)
    [article] = [a for a in store.list_articles() if a.title == "Sahel notes"]
    store.close()
    assert opened == [article.id]
    assert titles(db) == sorted(["Sahel notes", *sample_titles(tmp_path)])

    missing = tmp_path / "other.db"
    failed = run("--db", missing, "open", "nothing like it")
    assert failed.exit_code == 1
    assert titles(missing) == []
    assert opened == [article.id]


# Opening by id, file or title ---------------------------------------------------------------


@pytest.fixture
def library(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, dict[str, str]]:
    """A library file of articles with known ids; their ids by title."""
    numbers = iter(range(1, 100))
    monkeypatch.setattr(
        uuid, "uuid4", lambda: uuid.UUID(f"{next(numbers):02d}ab0000-0000-4000-8000-000000000000")
    )
    db = tmp_path / "library.db"
    store = AnnotationStore(db)
    ids = {}
    for number, title in enumerate(
        [
            "On Bridges: a short essay",
            "The Old Bridge of Oosterlede",
            "Goïta and the Wagner Group",
            "Kaffee und Zeit",
        ]
    ):
        blocks = (Block(BlockKind.PARAGRAPH, f"Text of article {number}."),)
        ids[title] = store.import_document(Document(title, blocks, source=f"/{number}")).article.id
    store.close()
    return db, ids


def test_open_by_id_or_id_prefix_in_any_case(
    library: tuple[Path, dict[str, str]], opened: list[str | None]
) -> None:
    """A whole id, or a prefix of it in upper or lower case, opens that article."""
    db, ids = library
    kaffee = ids["Kaffee und Zeit"]

    for target in (kaffee, kaffee[:4], kaffee[:4].upper()):
        result = run("--db", db, "open", target)
        assert result.exit_code == 0, result.output

    assert opened == [kaffee] * 3


@pytest.mark.parametrize(
    ("words", "title"),
    [
        (["kaffee"], "Kaffee und Zeit"),
        (["essay"], "On Bridges: a short essay"),
        (["BRIDGE", "old"], "The Old Bridge of Oosterlede"),
        (["old bridge"], "The Old Bridge of Oosterlede"),
        (["goita", "wagner"], "Goïta and the Wagner Group"),
    ],
)
def test_open_by_words_of_the_title(
    library: tuple[Path, dict[str, str]], opened: list[str | None], words: list[str], title: str
) -> None:
    """Words of one title, as one argument or several, in any case and without accents."""
    db, ids = library

    result = run("--db", db, "open", *words)

    assert result.exit_code == 0, result.output
    assert result.output == ""
    assert opened == [ids[title]]


def test_several_titles_list_the_candidates_and_exit_1(
    library: tuple[Path, dict[str, str]], opened: list[str | None]
) -> None:
    """`reader open bridge` matches two titles: both listed (id prefix, title), one hint."""
    db, ids = library

    result = run("--db", db, "open", "Bridge")

    assert result.exit_code == 1
    assert opened == []
    first, second = ids["On Bridges: a short essay"], ids["The Old Bridge of Oosterlede"]
    assert result.stdout == (
        f"{first[:8]}  On Bridges: a short essay\n{second[:8]}  The Old Bridge of Oosterlede\n"
    )
    assert result.stderr == (
        'reader: 2 articles match "Bridge": give more words of the title, '
        f"or more of the id (reader open {first[:8]})\n"
    )


def test_an_id_prefix_several_articles_share_lists_them(
    library: tuple[Path, dict[str, str]], opened: list[str | None]
) -> None:
    """A prefix of several ids (and of no title) lists those articles."""
    db, ids = library
    store = AnnotationStore(db)
    store.import_document(Document("Twin", (Block(BlockKind.PARAGRAPH, "Twin."),), "/twin"))
    store.close()

    result = run("--db", db, "open", "0")

    assert result.exit_code == 1
    assert opened == []
    assert len(result.stdout.splitlines()) == 5
    assert f"{ids['Kaffee und Zeit'][:8]}  Kaffee und Zeit\n" in result.stdout
    assert "05ab0000  Twin\n" in result.stdout
    assert result.stderr.count("\n") == 1
    assert result.stderr.startswith('reader: 5 articles match "0": ')


@pytest.mark.parametrize("target", ["NonExistent.TXT", "No Such Title", "ZZ99"])
def test_nothing_found_quotes_what_was_typed(
    library: tuple[Path, dict[str, str]], opened: list[str | None], target: str
) -> None:
    """No file, id or title: one line naming the target exactly as typed, exit 1."""
    db, _ = library

    result = run("--db", db, "open", target)

    assert result.exit_code == 1
    assert opened == []
    assert result.stdout == ""
    assert result.stderr == f'reader: no file, article id or title matches "{target}"\n'


def test_open_a_file_imports_it_once(
    library: tuple[Path, dict[str, str]],
    opened: list[str | None],
    note_file: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A path is imported (once) and opened, even when its words are also in a title."""
    db, _ = library
    monkeypatch.chdir(note_file.parent)

    first = run("--db", db, "open", note_file.name)
    again = run("--db", db, "open", "Sahel", "notes.txt")  # the shell split the name

    assert first.exit_code == again.exit_code == 0, first.output + again.output
    assert opened[0] == opened[1] is not None
    assert titles(db).count("Sahel notes") == 1


def test_export_of_an_unknown_id_quotes_it_as_typed(library: tuple[Path, dict[str, str]]) -> None:
    """`export --article` names the id as typed too (the store no longer lowers it)."""
    db, _ = library

    result = run("--db", db, "export", "--article", "NoSuchID")

    assert result.exit_code == 1
    assert result.stderr == "reader: no article with id NoSuchID\n"


# One end to end, in a terminal ---------------------------------------------------------------

ESCAPE = re.compile(r"\x1b(\[[0-9;?<>=]*[ -/]*[@-~]|\][^\x07\x1b]*(\x07|\x1b\\)|[()][0-9A-B]|.)")


@pytest.mark.skipif(sys.platform == "win32", reason="needs a POSIX pseudo-terminal")
def test_reader_open_by_title_shows_the_article_in_a_terminal(
    library: tuple[Path, dict[str, str]],
) -> None:
    """`reader open kaffee` in a real terminal shows that article; `q` twice quits, exit 0."""
    import fcntl
    import pty
    import struct
    import termios

    db, _ = library
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 80, 0, 0))
    process = subprocess.Popen(
        [sys.executable, "-m", "reader", "--db", str(db), "open", "kaffee"],
        stdin=slave,
        stdout=slave,
        stderr=slave,
        env={**os.environ, "TERM": "xterm-256color"},
        start_new_session=True,
    )
    os.close(slave)
    shown, sent = "", []
    deadline = time.monotonic() + 60
    try:
        while time.monotonic() < deadline:
            readable, _, _ = select.select([master], [], [], 0.5)
            if readable:
                try:
                    chunk = os.read(master, 65536)
                except OSError:
                    break  # the program ended
                if not chunk:
                    break
                shown += ESCAPE.sub("", chunk.decode("utf-8", "replace"))
            if not sent and "Text of article 3." in shown:
                os.write(master, b"q")  # back to the library
                sent.append("article")
            elif sent == ["article"] and "The Old Bridge" in shown:
                os.write(master, b"q")  # quit
                sent.append("library")
        code = process.wait(timeout=30)
    finally:
        os.close(master)
        if process.poll() is None:
            process.kill()
            process.wait()

    assert sent == ["article", "library"], shown[-500:]
    assert code == 0
