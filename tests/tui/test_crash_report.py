"""A crash does not look like success: a report on disk, one line on stderr, exit status 1.

The failure is injected by the test itself, replacing a real screen's action with one
that raises: in the test's process for the Pilot tests, and in the child interpreter for
the run through the command line under a pseudo-terminal. reader has no switch of its own
that makes it crash.
"""

from __future__ import annotations

import contextlib
import os
import re
import select
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time
from importlib.metadata import version
from pathlib import Path

import pytest

from annotations.store import AnnotationStore
from reader.crash import KEEP_REPORTS, crash_dir
from reader.library import open_library
from reader.screens.library import LibraryScreen
from tests.tui.conftest import AppFactory

INJECTED = "injected by the test"
HUNG_SECONDS = 60
"""A run on the terminal still going after this long is hung: the test fails then."""


def fail(_screen: LibraryScreen) -> None:
    """Stands in for the library screen's export action (`e`)."""
    raise RuntimeError(INJECTED)


def reports() -> list[Path]:
    """The crash reports in the state folder, oldest first."""
    folder = crash_dir()
    return sorted(folder.iterdir()) if folder.is_dir() else []


async def test_crash_writes_a_report_and_returns_1(
    library: AnnotationStore,
    make_app: AppFactory,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """A crash returns 1, prints one line, and writes a report; only the newest are kept."""
    crash_dir().mkdir(parents=True)
    for day in range(1, KEEP_REPORTS + 2):
        (crash_dir() / f"crash-202001{day:02}T000000Z-1.log").write_text("old\n")
    monkeypatch.setattr(LibraryScreen, "action_export", fail)
    app = make_app(library)
    with pytest.raises(RuntimeError, match=INJECTED):
        async with app.run_test() as pilot:
            await pilot.press("f", *"secret", "escape", "j", "e")
            await pilot.pause()

    assert app.return_code == 1
    kept = reports()
    assert len(kept) == KEEP_REPORTS
    assert app.crash_report == kept[-1]
    assert kept[0].name == "crash-20200103T000000Z-1.log"  # the two oldest went
    report = app.crash_report.read_text()
    assert f"reader:       {version('reader-annotations')}" in report
    assert f"Textual:      {version('textual')}" in report
    assert f"SQLite:       {sqlite3.sqlite_version}" in report
    assert f"library:      {library.path}" in report
    assert "screens:      Screen > LibraryScreen" in report
    assert "Keys are key names" in report
    last = re.findall(r"^ +[\d.]+s  (\w+) +(.*)$", report, flags=re.MULTILINE)
    assert last[-9:] == [
        ("key", "f"),
        ("action", "LibraryScreen: filter"),
        ("typed", "6 characters (not recorded)"),
        ("key", "escape"),
        ("action", "LibraryScreen: clear_filter"),
        ("key", "j"),
        ("action", "ArticleTable: cursor(1)"),
        ("key", "e"),
        ("action", "LibraryScreen: export"),
    ]
    assert "secret" not in report
    assert "Error 1 of 1:\nTraceback (most recent call last):" in report
    assert f"RuntimeError: {INJECTED}" in report
    assert capsys.readouterr().err.splitlines() == [
        f"reader: crashed (RuntimeError: {INJECTED}); the full report is in {app.crash_report}"
    ]


async def test_without_a_report_textual_shows_the_traceback(
    library: AnnotationStore,
    make_app: AppFactory,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
) -> None:
    """When the report cannot be written, the traceback goes to stderr and the line says why."""
    blocked = tmp_path / "not-a-folder"
    blocked.write_text("")
    monkeypatch.setenv("READER_STATE_DIR", str(blocked))
    monkeypatch.setattr(LibraryScreen, "action_export", fail)
    app = make_app(library)
    with pytest.raises(RuntimeError, match=INJECTED):
        async with app.run_test() as pilot:
            await pilot.press("e")

    assert app.return_code == 1
    assert app.crash_report is None
    err = capsys.readouterr().err
    assert INJECTED in err and "Traceback" in err
    assert err.splitlines()[-1].startswith(
        f"reader: crashed (RuntimeError: {INJECTED}); no report could be written ("
    )


CHILD = textwrap.dedent(
    f"""
    import sys
    from reader.screens.library import LibraryScreen

    def fail(self):
        raise RuntimeError({INJECTED!r})

    LibraryScreen.action_export = fail
    from reader.cli import main

    sys.argv = ["reader", *sys.argv[1:]]
    main()
    """
)
"""The `reader` console script (`main()`), with the library screen's `e` made to fail."""

ESCAPE = re.compile(rb"\x1b(\[[0-9;?<>=]*[ -/]*[@-~]|[()][0-9A-B]|[=>78])")
LEAVE_ALTERNATE_SCREEN = b"\x1b[?1049l"


def run_in_terminal(args: list[str], keys: bytes, ready: bytes) -> tuple[int, bytes]:
    """Run the crashing `reader` on a pseudo-terminal, type keys once `ready` is shown.

    Returns:
        The exit status and everything written to the terminal.
    """
    import fcntl
    import pty
    import struct
    import termios

    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 30, 100, 0, 0))
    env = {**os.environ, "TERM": "xterm-256color"}
    process = subprocess.Popen(
        [sys.executable, "-c", CHILD, *args],
        stdin=slave,
        stdout=slave,
        stderr=slave,
        env=env,
        start_new_session=True,
    )
    os.close(slave)
    shown = b""
    typed = False
    deadline = time.monotonic() + HUNG_SECONDS
    try:
        # Read until the terminal's other end closes (the process ended): reading the
        # master then fails.
        while True:
            left = deadline - time.monotonic()
            readable, _, _ = select.select([master], [], [], max(left, 0))
            if not readable:
                pytest.fail(
                    f"reader on the terminal still running after {HUNG_SECONDS} s"
                    f" (keys typed: {typed}); it showed last: {shown[-300:]!r}"
                )
            try:
                chunk = os.read(master, 65536)
            except OSError:
                break
            if not chunk:
                break
            shown += chunk
            if not typed and ready in shown:
                os.write(master, keys)
                typed = True
        return process.wait(timeout=HUNG_SECONDS), shown
    finally:
        os.close(master)
        if process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait()


@pytest.mark.skipif(sys.platform == "win32", reason="needs a POSIX pseudo-terminal")
def test_reader_on_a_terminal_exits_1_with_one_line_and_the_library_intact(
    tmp_path: Path,
) -> None:
    """On a terminal, `reader` exits 1 with one line and no traceback; the library is intact."""
    path = tmp_path / "crash.db"
    store = open_library(path)
    before = (store.count_articles(), len(store.list_annotation_entries()))
    store.close()

    code, shown = run_in_terminal(["--db", str(path)], keys=b"je", ready=b"Welcome")

    assert code == 1
    assert b"Traceback" not in shown
    after_app = shown.rsplit(LEAVE_ALTERNATE_SCREEN, 1)[-1]
    lines = [line for line in ESCAPE.sub(b"", after_app).decode().splitlines() if line.strip()]
    (report,) = reports()
    assert lines == [f"reader: crashed (RuntimeError: {INJECTED}); the full report is in {report}"]
    text = report.read_text()
    assert "key     j" in text and "key     e" in text
    assert f"RuntimeError: {INJECTED}" in text
    assert not path.with_name(f"{path.name}-wal").exists()  # closed: SQLite removed its log
    store = AnnotationStore(path)
    assert [row[0] for row in store.db.execute("PRAGMA integrity_check")] == ["ok"]
    assert (store.count_articles(), len(store.list_annotation_entries())) == before
    store.close()
