"""Crash reports: when an unexpected error stops the app, what it was doing, kept on disk.

The app (`CrashReportingApp`) records the last keys, actions and screens in a small ring
buffer as the reader works. When an exception reaches Textual unhandled, the app writes a
report (versions, the traceback, those last actions) to a file in the user's state
folder, exits with a non-zero return code and, instead of Textual's traceback, prints one
line saying where the report is. The library is left as it was: every change is its own
SQLite transaction, so one the error interrupted was rolled back, and the caller of the
app closes the store.
"""

from __future__ import annotations

import os
import platform
import time
import traceback
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from textual import events
from textual.actions import ActionParseResult
from textual.app import App
from textual.dom import DOMNode
from textual.screen import Screen
from textual.widgets import Input, TextArea

from annotations.files import write_text_atomic
from annotations.store import sqlite_version
from reader.about import installed_version
from reader.safe import safe_text

ENV_STATE_DIR = "READER_STATE_DIR"
"""Environment variable naming the folder that holds reader's state (crash reports)."""

KEEP_REPORTS = 10
"""Crash reports kept; older ones are removed when a new one is written."""

ACTIVITY_LENGTH = 50
"""Keys, actions and screens remembered for a crash report."""

REPORT_PREFIX = "crash-"
REPORT_SUFFIX = ".log"


def state_dir() -> Path:
    """Where reader keeps its state: `$READER_STATE_DIR`, else the user state folder."""
    if os.environ.get(ENV_STATE_DIR):
        return Path(os.environ[ENV_STATE_DIR]).expanduser()
    from platformdirs import user_state_path

    return user_state_path("reader", appauthor=False)


def crash_dir() -> Path:
    """The folder of the crash reports."""
    return state_dir() / "crashes"


@dataclass(slots=True)
class Entry:
    """One thing done in the app: a key, an action or a screen shown."""

    seconds: float
    """Since the app started."""
    kind: str
    what: str
    count: int = 1
    """Characters typed, for a run of them (their text is not kept)."""

    def line(self) -> str:
        what = f"{self.count} characters (not recorded)" if self.kind == "typed" else self.what
        return f"{self.seconds:9.2f}s  {self.kind:<7} {what}"


class Activity:
    """The last things done in the app, oldest first, in a ring buffer.

    Recording one costs an append: it runs on every key.

    Args:
        length: How many are kept.
        clock: Seconds on a monotonic clock.
    """

    def __init__(self, length: int = ACTIVITY_LENGTH, clock: Callable[[], float] = time.monotonic):
        self._entries: deque[Entry] = deque(maxlen=length)
        self._clock = clock
        self._start = clock()

    def add(self, kind: str, what: str) -> None:
        """Record a key, an action or a screen."""
        self._entries.append(Entry(self._clock() - self._start, kind, what))

    def add_typed(self) -> None:
        """Record a character typed into a text field, without the character."""
        if self._entries and self._entries[-1].kind == "typed":
            self._entries[-1].count += 1
        else:
            self.add("typed", "")

    def lines(self) -> list[str]:
        """The recorded entries, oldest first, one line each."""
        return [entry.line() for entry in self._entries]


def _version_of(distribution: str) -> str:
    # importlib.metadata is slow to import: loaded only when a crash is reported.
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(distribution)
    except PackageNotFoundError:
        return "not installed"


def versions() -> dict[str, str]:
    """The versions a bug report needs: reader's, Python's and its libraries'."""
    return {
        "reader": installed_version() or "not installed (source checkout)",
        "Python": f"{platform.python_version()} ({platform.python_implementation()})",
        "platform": platform.platform(),
        "Textual": _version_of("textual"),
        "SQLite": sqlite_version(),
        "sqlite-utils": _version_of("sqlite-utils"),
    }


def format_report(
    errors: list[BaseException],
    activity: Activity,
    details: Mapping[str, str],
    moment: datetime,
) -> str:
    """The text of a crash report.

    Args:
        errors: The unhandled exceptions, first one first.
        activity: What was done before.
        details: More facts to list (library, screens).
        moment: When it happened.
    """
    facts = {"time": moment.isoformat(timespec="seconds"), **versions(), **details}
    width = max(map(len, facts))
    lines = [
        "reader crash report",
        "",
        *(f"{name + ':':<{width + 1}} {value}" for name, value in facts.items()),
        "",
        f"Last {ACTIVITY_LENGTH} keys, actions and screens, oldest first. Keys are key names;",
        "characters typed into a text field (notes, tags, queries) are counted, not recorded.",
        "",
        *activity.lines(),
        "",
    ]
    for number, error in enumerate(errors, 1):
        lines.append(f"Error {number} of {len(errors)}:")
        lines.append("".join(traceback.format_exception(error)).rstrip("\n"))
        lines.append("")
    return "\n".join(lines)


def report_path(folder: Path, moment: datetime) -> Path:
    """A new report's file: named by time (so names sort by age) and process."""
    return folder / f"{REPORT_PREFIX}{moment:%Y%m%dT%H%M%SZ}-{os.getpid()}{REPORT_SUFFIX}"


def remove_old_reports(folder: Path, keep: int = KEEP_REPORTS) -> list[Path]:
    """Remove all but the newest `keep` reports in a folder.

    Returns:
        The reports removed.
    """
    reports = sorted(folder.glob(f"{REPORT_PREFIX}*{REPORT_SUFFIX}"), key=lambda path: path.name)
    old = reports[: max(len(reports) - keep, 0)]
    for path in old:
        path.unlink(missing_ok=True)
    return old


class CrashReportingApp(App[None]):
    """An app that writes a crash report when an unexpected error stops it.

    Attributes:
        activity: The last keys, actions and screens.
        crash_report: The report written, once the app crashed (None before).
        crash_report_error: Why no report could be written, if so.
    """

    def __init__(self) -> None:
        super().__init__()
        self.activity = Activity()
        self.crash_report: Path | None = None
        self.crash_report_error: OSError | None = None
        self._crashes: list[BaseException] = []
        self._crashed_at: datetime | None = None
        self._crash_line_shown = False

    def crash_details(self) -> dict[str, str]:
        """Facts about the app for a crash report; subclasses add theirs."""
        try:
            screens = " > ".join(type(screen).__name__ for screen in self.screen_stack)
        except KeyError:  # a crash while Textual set up its screen modes
            screens = "none yet"
        return {"screens": screens, "terminal": f"{self.size.width}x{self.size.height}"}

    def on_mount(self) -> None:
        self.screen_change_signal.subscribe(self, self._record_screen)
        for screen in self.screen_stack:
            self._record_screen(screen)

    def _record_screen(self, screen: Screen[Any]) -> None:
        self.activity.add("screen", type(screen).__name__)

    async def on_event(self, event: events.Event) -> None:
        """Record keys and clicks (a key forwarded to a widget comes back; counted once)."""
        if isinstance(event, events.Key) and not event.is_forwarded:
            if event.is_printable and isinstance(self.focused, Input | TextArea):
                self.activity.add_typed()
            else:
                self.activity.add("key", event.key)
        elif isinstance(event, events.MouseDown) and not event.is_forwarded:
            self.activity.add("click", f"at {event.x},{event.y}")
        elif isinstance(event, events.Paste) and not event.is_forwarded:
            self.activity.add("paste", f"{len(event.text)} characters (not recorded)")
        await super().on_event(event)

    async def run_action(
        self,
        action: str | ActionParseResult,
        default_namespace: DOMNode | None = None,
        namespaces: Mapping[str, DOMNode] | None = None,
    ) -> bool:
        """Run an action, recorded with the class it runs on."""
        where = type(default_namespace).__name__ if default_namespace is not None else "app"
        if isinstance(action, str):
            name = action
        else:
            namespace, action_name, parameters = action
            name = f"{namespace + '.' if namespace else ''}{action_name}{parameters!r}"
        self.activity.add("action", f"{where}: {name[:80]}")
        return await super().run_action(action, default_namespace, namespaces)

    def _handle_exception(self, error: Exception) -> None:
        # Textual's one door for an exception nothing handled: in a message handler, a
        # worker, a timer or at start. It sets the return code to 1 and exits the app.
        self._record_crash(error)
        super()._handle_exception(error)

    def _record_crash(self, error: BaseException) -> None:
        """Write (or rewrite, for a later error) this run's crash report."""
        self._crashes.append(error)
        if self._crashed_at is None:
            self._crashed_at = datetime.now(UTC)
        text = format_report(self._crashes, self.activity, self.crash_details(), self._crashed_at)
        try:
            path = self.crash_report or report_path(crash_dir(), self._crashed_at)
            write_text_atomic(path, text)
            remove_old_reports(path.parent)
        except OSError as problem:
            self.crash_report_error = problem
            return
        self.crash_report = path

    def crash_line(self) -> str | None:
        """The one line that tells a crash happened and where its report is (None if none)."""
        if not self._crashes:
            return None
        first = self._crashes[0]
        summary = " ".join(f"{type(first).__name__}: {first}".split())
        if len(summary) > 100:
            summary = summary[:99] + "…"
        if self.crash_report is None:
            return (
                f"reader: crashed ({summary}); no report could be written "
                f"({self.crash_report_error}), the traceback is above"
            )
        return f"reader: crashed ({summary}); the full report is in {self.crash_report}"

    def _print_error_renderables(self) -> None:
        # Textual prints a traceback (with local variables) here once the terminal is back
        # to normal; the report holds it, so only the one line goes out, unless no report
        # could be written.
        line = self.crash_line()
        if line is None or self.crash_report is None:
            super()._print_error_renderables()
        if line is not None and not self._crash_line_shown:
            # Textual calls this twice when the app fails to start.
            self._crash_line_shown = True
            self.error_console.print(safe_text(line), markup=False, highlight=False, soft_wrap=True)
