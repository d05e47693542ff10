"""Hostile files: each imports with the right text or fails with a one-line reason.

One folder holds every kind of hostile file next to a few good ones. `reader import
DIR` and `reader import FILE` (one at a time) are run as real processes: the good files
are always imported, each hostile file either becomes an article with the right text or
is named on one stderr line with its reason, the exit code is 1 only when something
failed, and no run ever prints a traceback or hangs. Then every article imported
from a hostile file is opened in the TUI and read through (G, j, k, h).

Inside a folder only text, Markdown and HTML files are taken, and files that are not
text (binary, NUL bytes, pipes, links that lead nowhere) are passed over, as
`iter_files` documents; named on their own, they fail with their reason.
"""

from __future__ import annotations

import errno
import os
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from annotations.store import AnnotationStore
from reader.app import ReaderApp
from reader.ingest import ImportJob, Sources, import_files, iter_files
from reader.screens.article import ArticleScreen
from tests.conftest import FixedClock

REPO = Path(__file__).resolve().parents[2]
HUNG_SECONDS = 120
"""A run still going after this long is hung (a pipe read, a folder walked in a loop):
the test fails then instead of blocking. It is no measure of speed."""

LONG_LINE = " ".join(["lantern"] * 250_000)[:2_000_000]
"""A 2 MB line of words."""
LONG_WORD = "x" * 200_000
"""A 200 KB word without spaces."""
NESTED_SENTENCE = "Deep inside the nest there is a sentence of text."
UTF8_TEXT = "Café au lait, crème brûlée, déjà vu, naïve façade, smørrebrød."


@dataclass(frozen=True)
class Hostile:
    """A hostile file, and how importing it must end.

    Attributes:
        name: File name in the batch folder.
        make: Creates the file at the given path.
        alone: The failure reason when imported on its own, or None when it imports.
        in_folder: The failure reason inside a folder: None when it imports, "" when
            the folder walk passes over it.
        text: The article's blocks' text, when it imports.
    """

    name: str
    make: Callable[[Path], None]
    alone: str | None
    in_folder: str | None
    text: tuple[str, ...] = ()


def _bytes(data: bytes) -> Callable[[Path], None]:
    def make(path: Path) -> None:
        path.write_bytes(data)

    return make


def _text(text: str) -> Callable[[Path], None]:
    return _bytes(text.encode("utf-8"))


def _fifo(path: Path) -> None:
    os.mkfifo(path)


def _link(target: str) -> Callable[[Path], None]:
    return lambda path: path.symlink_to(target)


LOOP = os.strerror(errno.ELOOP)
MISSING = os.strerror(errno.ENOENT)
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(300)
NESTED = (
    "<html><head><title>Deep</title></head><body>"
    + "<div>" * 10_000
    + f"<p>{NESTED_SENTENCE}</p>"
    + "</div>" * 10_000
    + "</body></html>"
)

HOSTILE = (
    Hostile("empty.txt", _bytes(b""), "empty file, no text to read", "empty file, no text to read"),
    Hostile(
        "whitespace.txt",
        _bytes(b"  \n\t\n   \r\n\x0c\n"),
        "empty file, no text to read",
        "empty file, no text to read",
    ),
    Hostile("image.png", _bytes(PNG), "binary file, not text", ""),
    Hostile("binary.txt", _bytes(PNG), "binary file, not text", ""),
    Hostile(
        "nul-bytes.txt",
        _bytes(b"A title\n\nSome text\x00 with NUL bytes\x00 inside.\n"),
        "binary file, not text",
        "",
    ),
    Hostile(
        "invalid-utf8.txt",
        _bytes(f"Invalid bytes\n\n{UTF8_TEXT} Broken: ".encode() + b"\xff\xc3(" + b" end.\n"),
        None,
        None,
        (f"{UTF8_TEXT} Broken: \ufffd\ufffd( end.",),
    ),
    Hostile(
        "mixed-encodings.txt",
        _bytes(
            f"Mixed encodings\n\n{UTF8_TEXT}\n\n".encode()
            + "A cp1252 line: na\u00efve.\n".encode("cp1252")
        ),
        None,
        None,
        (UTF8_TEXT, "A cp1252 line: na\ufffdve."),
    ),
    Hostile(
        "long-line.txt",
        _text(LONG_LINE),
        None,
        None,
        (LONG_LINE,),
    ),
    Hostile(
        "long-word.txt",
        _text(f"A long word\n\n{LONG_WORD}\n"),
        None,
        None,
        (LONG_WORD,),
    ),
    Hostile(
        "nested.html",
        _text(NESTED),
        None,
        None,
        (NESTED_SENTENCE,),
    ),
    Hostile(
        "no-body.html",
        _bytes(b"<html><head><title>No body here</title></head></html>"),
        "no article text found in the page",
        "no article text found in the page",
    ),
    Hostile("pipe.txt", _fifo, "not a regular file (a pipe, socket or device)", ""),
    Hostile("loop-a.txt", _link("loop-b.txt"), f"cannot read: {LOOP}", ""),
    Hostile("loop-b.txt", _link("loop-a.txt"), f"cannot read: {LOOP}", ""),
    Hostile("dangling.txt", _link("nowhere.txt"), f"cannot read: {MISSING}", ""),
)
"""Every hostile file. A folder link to its own folder (`loop-dir -> .`) is added too."""

GOOD = {
    "good-one.txt": (
        "The first good article\n\nA paragraph about lanterns.\n",
        "The first good article",
    ),
    "good-two.md": ("# The second good article\n\nCopper kettles.\n", "The second good article"),
    "sub/good-three.txt": (
        "The third good article\n\nFrom a subfolder.\n",
        "The third good article",
    ),
}


@pytest.fixture
def batch(tmp_path: Path) -> Path:
    """The batch folder: good files, every hostile file, and a link to the folder itself."""
    folder = tmp_path / "batch"
    (folder / "sub").mkdir(parents=True)
    for name, (text, _title) in GOOD.items():
        (folder / name).write_text(text, encoding="utf-8")
    for hostile in HOSTILE:
        hostile.make(folder / hostile.name)
    (folder / "loop-dir").symlink_to(".")
    (folder / "sub" / "up").symlink_to("..")
    return folder


def reader(tmp_path: Path, library: Path, *args: str) -> tuple[int, str, str]:
    """Run `reader --db LIBRARY ARGS` as a process; its exit code, stdout and stderr."""
    env = os.environ.copy()
    env["PYTHONPATH"] = str(REPO)
    try:
        done = subprocess.run(
            [sys.executable, "-m", "reader", "--db", str(library), *args],
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            env=env,
            cwd=tmp_path,
            timeout=HUNG_SECONDS,
        )
    except subprocess.TimeoutExpired:
        pytest.fail(f"`reader {' '.join(args)}` still running after {HUNG_SECONDS} s: hung")
    assert "Traceback" not in done.stderr + done.stdout, done.stderr
    return done.returncode, done.stdout, done.stderr


def texts_by_file(store: AnnotationStore) -> dict[str, tuple[str, ...]]:
    """Each imported article's block texts, by the name of the file it came from."""
    return {
        Path(article.source).name: tuple(block.text for block in store.get_blocks(article.id))
        for article in store.list_articles()
    }


def test_a_folder_of_hostile_files_imports_the_good_and_names_the_bad(
    tmp_path: Path, batch: Path
) -> None:
    library = tmp_path / "library.db"
    AnnotationStore(library).close()  # an empty library, without the samples

    code, stdout, stderr = reader(tmp_path, library, "import", str(batch))

    failing = {h.name: h.in_folder for h in HOSTILE if h.in_folder}
    imported = [h for h in HOSTILE if h.in_folder is None]
    assert code == 1
    assert stdout == (
        f"imported {len(imported) + len(GOOD)}, updated 0, unchanged 0, failed {len(failing)}\n"
    )
    assert sorted(stderr.splitlines()) == sorted(
        f"reader: {batch / name}: {reason}" for name, reason in failing.items()
    )
    store = AnnotationStore(library)
    texts = texts_by_file(store)
    titles = {Path(a.source).name: a.title for a in store.list_articles()}
    store.close()
    assert set(texts) == {Path(name).name for name in GOOD} | {h.name for h in imported}
    for name, (_text, title) in GOOD.items():
        assert titles[Path(name).name] == title
    for hostile in imported:
        assert texts[hostile.name] == hostile.text, hostile.name


@pytest.mark.parametrize("hostile", HOSTILE, ids=[h.name for h in HOSTILE])
def test_each_hostile_file_alone_imports_or_fails_in_one_line(
    tmp_path: Path, batch: Path, hostile: Hostile
) -> None:
    library = tmp_path / "library.db"
    AnnotationStore(library).close()

    code, stdout, stderr = reader(tmp_path, library, "import", str(batch / hostile.name))

    store = AnnotationStore(library)
    texts = texts_by_file(store)
    store.close()
    if hostile.alone is None:
        assert (code, stderr) == (0, "")
        assert stdout == "imported 1, updated 0, unchanged 0, failed 0\n"
        assert texts == {hostile.name: hostile.text}
    else:
        assert code == 1
        assert stderr == f"reader: {batch / hostile.name}: {hostile.alone}\n"
        assert stdout == "imported 0, updated 0, unchanged 0, failed 1\n"
        assert texts == {}


def test_a_folder_linked_to_itself_is_walked_once(tmp_path: Path, batch: Path) -> None:
    """Named on its own, a link to the folder is the folder; links inside are not followed."""
    library = tmp_path / "library.db"
    AnnotationStore(library).close()
    reader(tmp_path, library, "import", str(batch))

    code, stdout, _stderr = reader(tmp_path, library, "import", str(batch / "loop-dir"))

    imported = len(GOOD) + sum(h.in_folder is None for h in HOSTILE)
    failing = sum(bool(h.in_folder) for h in HOSTILE)
    assert code == 1  # the same failures as the first time
    assert stdout == f"imported 0, updated 0, unchanged {imported}, failed {failing}\n"


def test_a_file_that_vanishes_during_a_folder_import_fails_alone(
    tmp_path: Path, batch: Path
) -> None:
    """Files deleted (or emptied) while the batch runs: a reason for each, the rest imported."""
    store = AnnotationStore(tmp_path / "library.db", clock=FixedClock())
    files = list(iter_files([batch]))
    names = [path.name for path in files]
    vanishing = batch / "good-two.md"
    emptied = batch / "long-word.txt"
    assert names.index("good-one.txt") < names.index("good-two.md")

    def meanwhile(_: int, item: Path | str | None) -> None:
        if item is not None and Path(item).name == "good-one.txt":
            vanishing.unlink()
            emptied.write_bytes(b"")

    summary = ImportJob(Sources(files), on_progress=meanwhile).run(store)

    reasons = {Path(path).name: reason for path, reason in summary.failures}
    assert reasons["good-two.md"] == f"cannot read: {MISSING}"
    assert reasons["long-word.txt"] == "empty file, no text to read"
    assert summary.imported == len(files) - summary.failed
    texts = texts_by_file(store)
    assert "good-one.txt" in texts and "good-three.txt" in texts
    assert "good-two.md" not in texts and "long-word.txt" not in texts
    store.close()


async def test_every_hostile_article_opens_and_reads_in_the_tui(
    tmp_path: Path, batch: Path
) -> None:
    store = AnnotationStore(tmp_path / "library.db", clock=FixedClock())
    summary = import_files(store, iter_files([batch]))
    hostile = {h.name for h in HOSTILE if h.in_folder is None}
    articles = [a for a in store.list_articles() if Path(a.source).name in hostile]
    assert len(articles) == len(hostile)
    assert summary.failed == sum(bool(h.in_folder) for h in HOSTILE)
    for article in articles:
        app = ReaderApp(store, open_article=article.id, export_folder=tmp_path / "exports")
        async with app.run_test(size=(100, 30)) as pilot:
            await pilot.pause()
            screen = app.screen
            assert isinstance(screen, ArticleScreen), article.source
            await pilot.press("G", "j", "k", "h")
            await pilot.pause()
            assert app.is_running and app.screen is screen, article.source
            shown = "".join(
                segment.text for strip in screen._compositor.render_strips() for segment in strip
            )
            first_words = store.get_blocks(article.id)[0].text[:20]
            assert first_words in shown, (article.source, shown[:300])
        assert len(store.list_annotations(article.id)) == 1, article.source
    store.close()
