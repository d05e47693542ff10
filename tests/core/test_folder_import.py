"""Importing folders: what the walk takes and skips, failures mid-batch, the command line."""

from __future__ import annotations

import json
import os
import pty
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from annotations.store import AnnotationStore
from reader.cli import cli
from reader.ingest import import_files, iter_files

DATA = Path(__file__).resolve().parent.parent / "data" / "highlights"
REPO = Path(__file__).resolve().parent.parent.parent


def write(root: Path, name: str, content: str | bytes | None = None) -> Path:
    """Write a file (and its folders) under root; by default a short text titled by its name."""
    path = root / name
    content = f"{name}\n\nSome text.\n" if content is None else content
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    return path


def run(*args: str | Path) -> Result:
    """Run the command line with the given arguments."""
    return CliRunner().invoke(cli, [str(arg) for arg in args], prog_name="reader")


@pytest.fixture
def inbox(tmp_path: Path) -> Path:
    """A folder of documents, highlights files, and things that are not to be imported."""
    root = tmp_path / "inbox"
    write(root, "a.txt")
    write(root, "b.md", "# B\n\nText.\n")
    write(root, "page.html", "<html><body><p>Hello.</p></body></html>")
    write(root, "deep/er/c.markdown", "# C\n\nText.\n")
    write(root, "utf16.txt", "UTF-16\n\nSome text.\n".encode("utf-16"))
    (root / "kindle").mkdir()
    shutil.copyfile(DATA / "My Clippings.txt", root / "kindle" / "My Clippings.txt")
    shutil.copyfile(DATA / "readwise-export.csv", root / "readwise.csv")
    write(root, "people.csv", "Name,Age\nAnn,3\n")
    write(root, "binary.txt", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
    write(root, "photo.jpg", b"\xff\xd8\xff")
    write(root, "notes.pdf", "%PDF-1.7")
    write(root, ".hidden.txt")
    write(root, ".git/d.md")
    write(tmp_path / "outside", "linked.txt")
    (root / "link-to-file.txt").symlink_to(tmp_path / "outside" / "linked.txt")
    (root / "loop").symlink_to(root)
    (root / "elsewhere").symlink_to(tmp_path / "outside")
    (root / "dangling.txt").symlink_to(tmp_path / "missing.txt")
    os.mkfifo(root / "pipe.txt")
    return root


def test_walk_takes_documents_and_highlights_only(inbox: Path) -> None:
    """Known documents, clippings and highlights CSV files; nothing hidden, binary, foreign,
    special or behind a symlinked folder."""
    found = [path.relative_to(inbox).as_posix() for path in iter_files([inbox])]

    assert found == [
        "a.txt",
        "b.md",
        "link-to-file.txt",
        "page.html",
        "readwise.csv",
        "utf16.txt",
        "deep/er/c.markdown",
        "kindle/My Clippings.txt",
    ]


def test_files_named_explicitly_are_always_tried(inbox: Path, store: AnnotationStore) -> None:
    """A file named on the command line is imported or fails with its reason."""
    named = [inbox / "people.csv", inbox / "binary.txt", inbox / "notes.pdf", inbox / "a.txt"]

    summary = import_files(store, iter_files(named))

    assert summary.imported == 1
    reasons = {Path(path).name: reason for path, reason in summary.failures}
    assert reasons["people.csv"].startswith("unsupported file type .csv")
    assert reasons["binary.txt"] == "binary file, not text"
    assert "unsupported file type .pdf" in reasons["notes.pdf"]


def test_a_file_vanishing_mid_batch_fails_alone(inbox: Path, store: AnnotationStore) -> None:
    """A file removed between the walk and its import is one failure; the rest imports."""
    files = list(iter_files([inbox]))
    (inbox / "b.md").unlink()

    summary = import_files(store, files)

    assert [(Path(path).name, reason) for path, reason in summary.failures] == [
        ("b.md", "cannot read: No such file or directory")
    ]
    # 5 documents, 2 Kindle books, 2 Readwise books
    assert summary.imported == 9


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads every file")
def test_unreadable_files_and_folders_fail_with_a_reason(
    inbox: Path, store: AnnotationStore
) -> None:
    """Unreadable files and folders are failures with their reason, not skipped."""
    locked = inbox / "locked"
    write(locked, "secret.txt")
    (inbox / "a.txt").chmod(0)
    locked.chmod(0)
    try:
        summary = import_files(store, iter_files([inbox]))
    finally:
        locked.chmod(0o755)
        (inbox / "a.txt").chmod(0o644)

    reasons = {Path(path).name: reason for path, reason in summary.failures}
    assert reasons["a.txt"].startswith("cannot read")
    assert reasons["locked"].startswith("cannot read folder")


def test_cli_imports_a_folder_with_highlights_and_is_idempotent(
    inbox: Path, tmp_path: Path
) -> None:
    """`reader import DIR` counts one article per book; a second run changes nothing."""
    db = tmp_path / "lib.db"
    (inbox / "page.html").unlink()  # HTML has its own tests

    first = run("--db", db, "import", inbox)
    second = run("--db", db, "import", inbox)

    assert first.exit_code == 0, first.output
    assert first.stdout == "imported 9, updated 0, unchanged 0, failed 0\n"
    assert second.stdout == "imported 0, updated 0, unchanged 9, failed 0\n"
    articles = json.loads(run("--db", db, "list", "--json").stdout)
    kindle = [a for a in articles if a["source"].startswith("kindle:")]
    assert sorted(a["annotations"] for a in kindle) == [2, 3]


def test_cli_progress_bar_on_a_terminal(tmp_path: Path) -> None:
    """On a terminal, stderr shows a progress bar with the count; stdout only the summary."""
    folder = tmp_path / "many"
    for number in range(1, 41):
        write(folder, f"note-{number:02}.txt", f"Note {number}\n\nText number {number}.\n")
    main, terminal = pty.openpty()
    process = subprocess.Popen(
        [sys.executable, "-m", "reader", "--db", str(tmp_path / "lib.db"), "import", str(folder)],
        stdout=subprocess.PIPE,
        stderr=terminal,
        cwd=REPO,
    )
    os.close(terminal)
    shown = b""
    while True:
        try:
            chunk = os.read(main, 4096)
        except OSError:
            break
        if not chunk:
            break
        shown += chunk
    stdout, _ = process.communicate(timeout=60)
    os.close(main)

    assert process.returncode == 0
    assert stdout == b"imported 40, updated 0, unchanged 0, failed 0\n"
    text = shown.decode("utf-8", errors="replace")
    assert "Importing" in text
    assert "40/40" in text and "note-40.txt" in text
