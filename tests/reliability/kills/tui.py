"""The TUI in a pseudo-terminal, driven with keys that annotate, killed at random moments."""

from __future__ import annotations

import contextlib
import fcntl
import os
import pty
import random
import re
import select
import struct
import subprocess
import termios
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from annotations.models import HIGHLIGHT_COLORS, Block, BlockKind, Document
from annotations.store import AnnotationStore
from tests.reliability.kills.shared import Tally
from tests.reliability.kills.terminal import Terminal
from tests.reliability.test_crashes import cli, kill, library_problems

TUI_WORDS = ("river", "lamp", "stone", "ledger", "quiet", "harbour", "ink", "window", "salt")
NOTE_HINT = "ctrl+s saves"
TAG_HINT = "tab completes"
TAG_PLACEHOLDER = "e.g. idea, to-read"
CONFIRM_HINT = "y yes"
STATUS = re.compile(
    r"¶ (\d+)/(\d+)\s+·\s+\d+%\s+·\s+(?:[\w ]+ left\s+·\s+)?([\d,]+) annotations?"
    r"(?:\s+·\s+here: ([a-z]+))?"
)
State = tuple[str, tuple[str, ...], str]
"""A paragraph's highlight: colour, sorted tags, note."""
Flight = tuple[int, State | None, State | None]
"""An action sent but not yet shown saved: its paragraph, its states before and after."""


@dataclass
class Status:
    """What the article screen's status line says."""

    block: int
    count: int
    here: str | None


class TuiTimeout(Exception):
    """The screen did not show what was waited for."""


class TuiKills:
    """The TUI in a pseudo-terminal, driven with keys, killed at random moments."""

    name = "tui"
    COLUMNS, ROWS = 110, 60
    PARAGRAPHS = 10
    WAIT = 20.0
    """Seconds to wait for the screen to show something."""
    SETTLE = 0.15
    """Seconds an editing key is given to run before what it did is looked at."""

    def __init__(self, root: Path, rng: random.Random) -> None:
        self.root, self.rng = root / "tui", rng
        self.root.mkdir()
        self.library = self.root / "library.db"
        words = random.Random(17)
        self.texts = [
            f"Line {number}: "
            + " ".join(words.choice(TUI_WORDS) for _ in range(words.randint(4, 8)))
            + "."
            for number in range(self.PARAGRAPHS)
        ]
        store = AnnotationStore(self.library)
        document = Document(
            "Kill the reader",
            tuple(Block(BlockKind.PARAGRAPH, text) for text in self.texts),
            source="kill-run:tui",
        )
        self.article = store.import_document(document).article.id
        store.close()
        self.model: dict[int, State] = {}
        self.flight: Flight | None = None
        self.episodes = 0
        self.actions = 0
        self._moment = ""

    # Driving ---------------------------------------------------------------

    def _pump(self, seconds: float) -> None:
        """Read the program's output for that long (it must never block on a full pty)."""
        deadline = time.monotonic() + seconds
        while True:
            left = deadline - time.monotonic()
            if select.select([self.master], [], [], max(0.0, min(left, 0.02)))[0]:
                try:
                    data = os.read(self.master, 65536)
                except OSError:
                    data = b""
                if data:
                    self.screen.feed(data)
                elif self.process.poll() is not None:
                    time.sleep(max(0.0, min(left, 0.02)))
            if left <= 0:
                return

    def _wait(self, ready: Callable[[], bool], what: str, seconds: float | None = None) -> None:
        deadline = time.monotonic() + (seconds or self.WAIT)
        while not ready():
            if self.process.poll() is not None:
                raise TuiTimeout(f"the TUI ended ({self.process.returncode}) waiting for {what}")
            if time.monotonic() > deadline:
                raise TuiTimeout(f"no {what} within {self.WAIT:.0f} s")
            self._pump(0.01)

    def _keys(self, keys: str) -> None:
        os.write(self.master, keys.encode("utf-8"))

    def _status(self) -> Status | None:
        match = STATUS.search(self.screen.text())
        if match is None:
            return None
        return Status(int(match.group(1)) - 1, int(match.group(3).replace(",", "")), match.group(4))

    def _shows(self, *words: str) -> bool:
        text = self.screen.text()
        return all(word in text for word in words)

    def _no_dialog(self) -> bool:
        text = self.screen.text()
        return not any(hint in text for hint in (NOTE_HINT, TAG_HINT, CONFIRM_HINT))

    # One action ------------------------------------------------------------

    def _action(self, last: bool) -> None:
        """Move to a random paragraph and change its highlight.

        The action's paragraph and its states before and after are `flight` from the
        moment its last key is sent; unless it is the `last`, it is waited for until
        the screen shows it saved (and `flight` is then None).
        """
        rng = self.rng
        block = rng.randrange(self.PARAGRAPHS)
        self._keys("g" + "j" * block)
        self._wait(lambda: (s := self._status()) is not None and s.block == block, "cursor move")
        status = self._status()
        assert status is not None
        count = len(self.model)
        if status.count != count:
            raise TuiTimeout(f"the screen shows {status.count} annotations, the library {count}")
        before = self.model.get(block)
        self.actions += 1
        token = f"zq{self.episodes}x{self.actions}"
        default = HIGHLIGHT_COLORS[0]
        kind = rng.choice(("h", "t", "n") if before is None else ("c", "t", "n", "h"))
        after: State | None
        if kind == "h":
            after, commit = (None, "h") if before else ((default, (), ""), "h")
            if before is not None and (before[1] or before[2]):
                self._keys("h")
                self._wait(lambda: self._shows(CONFIRM_HINT), "confirm dialog")
                commit = "y"
        elif kind == "c":
            assert before is not None
            following = (HIGHLIGHT_COLORS.index(before[0]) + 1) % len(HIGHLIGHT_COLORS)
            after, commit = (HIGHLIGHT_COLORS[following], before[1], before[2]), "c"
        elif kind == "t":
            tags = tuple(sorted(f"{token}t{n}" for n in range(rng.randint(1, 2))))
            self._keys("t")
            self._wait(lambda: self._shows(TAG_HINT), "tag dialog")
            self._type(", ".join(tags))
            after = (before[0], tags, before[2]) if before else (default, tags, "")
            commit = "\r"
        else:
            note = f"Note {token} kept"
            self._keys("n")
            self._wait(lambda: self._shows(NOTE_HINT), "note dialog")
            self._type(note)
            after = (before[0], before[1], note) if before else (default, (), note)
            commit = "\x13"
        self.flight = (block, before, after)
        self._keys(commit)
        if last:
            return
        self._wait(
            lambda: self._acknowledged(block, before, after),
            f"acknowledgement of {kind!r} on paragraph {block + 1}",
        )
        self._set(block, after)
        self.flight = None

    def _field(self) -> str | None:
        """The text in the open dialog's field (its placeholder counts as empty)."""
        rows = self.screen.text().split("\n")
        top = next((n for n, row in enumerate(rows) if "▊▔" in row), None)
        if top is None:
            return None
        lines: list[str] = []
        for row in rows[top + 1 :]:
            if "▊▁" in row:
                text = "\n".join(lines).strip()
                return "" if text == TAG_PLACEHOLDER else text
            lines.append(row[row.index("▊") + 1 : row.rindex("▎")] if "▎" in row else "")
        return None

    def _type(self, text: str) -> None:
        """Type into the open dialog's field, replacing what it holds.

        Keys sent before the new dialog has focused its field are dropped, and an
        editing key (ctrl+u) runs after the letters sent with it: so ctrl+u is sent
        until the field shows empty, then the text until it shows exactly that, for
        `SETTLE` seconds.
        """
        deadline = time.monotonic() + self.WAIT
        while time.monotonic() < deadline:
            self._keys("\x15")
            self._pump(self.SETTLE)
            with contextlib.suppress(TuiTimeout):
                self._wait(lambda: self._field() == "", "an empty field", seconds=0.5)
                self._keys(text)
                self._wait(lambda: self._field() == text, "the text typed", seconds=1.0)
                self._pump(self.SETTLE)
                if self._field() == text:
                    return
        raise TuiTimeout(f"{text!r} typed never showed; the field holds {self._field()!r}")

    def _set(self, block: int, state: State | None) -> None:
        if state is None:
            self.model.pop(block, None)
        else:
            self.model[block] = state

    # One kill --------------------------------------------------------------

    def once(self, tally: Tally) -> None:
        """Start the TUI, do a few actions, kill it at a random moment, check the library."""
        rng = self.rng
        self.episodes += 1
        where = f"tui episode {self.episodes}"
        self.screen = Terminal(self.COLUMNS, self.ROWS)
        self.master, terminal = pty.openpty()
        fcntl.ioctl(
            terminal, termios.TIOCSWINSZ, struct.pack("HHHH", self.ROWS, self.COLUMNS, 0, 0)
        )
        env = {**os.environ, "TERM": "xterm-256color", "COLORTERM": "truecolor"}
        env.pop("NO_COLOR", None)
        self.process = subprocess.Popen(
            cli(self.library, "open", self.article),
            stdin=terminal,
            stdout=terminal,
            stderr=terminal,
            env=env,
            start_new_session=True,
        )
        os.close(terminal)
        self.flight = None
        try:
            self._moment = "while it started"
            if rng.random() < 0.12:
                self._pump(rng.uniform(0.05, 1.5))  # while it starts, opens and saves its position
            else:
                self._wait(lambda: self._status() is not None, "article screen")
                actions = rng.randint(0, 5)
                for number in range(actions + 1):
                    self._action(last=number == actions)
                    tally.acknowledged += self.flight is None
                moment = rng.random()
                self._moment = "just after a key that saves"
                if moment < 0.2 and self.flight is not None:  # once it showed the last saved
                    self._moment = "once the screen showed it saved"
                    block, before, after = self.flight
                    self._wait(
                        lambda: self._acknowledged(block, before, after), "last acknowledgement"
                    )
                    self._set(block, after)
                    tally.acknowledged += 1
                    self.flight = None
                else:
                    self._pump(rng.uniform(0, 0.12 if moment < 0.8 else 0.6))
        except TuiTimeout as error:
            tally.add("other", [f"{error}; screen:\n{self.screen.text().rstrip()}"], where)
        finally:
            alive = self.process.poll() is None
            kill(self.process)
            self.process.wait()
            with contextlib.suppress(OSError):
                self._pump(0)
            os.close(self.master)
        if alive:
            tally.kills += 1
            tally.outcomes[self._moment] += 1
        else:
            tally.finished += 1
            tally.add("other", [f"the TUI had ended by itself ({self.process.returncode})"], where)
        tally.add_library(library_problems(self.library), where)
        self._check(tally, where, self.flight)

    def _acknowledged(self, block: int, before: State | None, after: State | None) -> bool:
        """Whether the screen shows a paragraph's highlight changed as asked, read back.

        The dialog is gone; the status line has the new count and colour under the
        cursor; the new tags and note show under the passage, and the old ones no more
        (each is unique in the run). The screen shows all this only once the action
        has written and read the annotations back from the library.
        """
        status = self._status()
        count = len(self.model) - (before is not None) + (after is not None)
        if status is None or not self._no_dialog():
            return False
        if (status.block, status.count, status.here) != (block, count, after and after[0]):
            return False
        shown = {*after[1], after[2]} - {""} if after else set()
        gone = {*before[1], before[2]} - {""} - shown if before else set()
        text = self.screen.text()
        return all(word in text for word in shown) and not any(word in text for word in gone)

    def _check(self, tally: Tally, where: str, flight: Flight | None) -> None:
        """The library holds every action shown saved; the one in flight either way."""
        store = AnnotationStore(self.library)
        try:
            annotations = store.list_annotations(self.article)
        finally:
            store.close()
        found: dict[int, State] = {}
        wrong = []
        for annotation in annotations:
            anchor = annotation.anchor
            block = anchor.start_block
            whole = (block, 0, block, len(self.texts[block]))
            if (
                anchor.start_block,
                anchor.start_offset,
                anchor.end_block,
                anchor.end_offset,
            ) != whole:
                wrong.append(f"an annotation on {anchor} is no paragraph highlighted")
            if block in found:
                wrong.append(f"two annotations on paragraph {block + 1}")
            found[block] = (annotation.color, tuple(sorted(annotation.tags)), annotation.note)
        for block in sorted(self.model.keys() | found.keys()):
            expected, got = self.model.get(block), found.get(block)
            if got == expected or (flight is not None and flight[0] == block and got == flight[2]):
                continue
            wrong.append(f"paragraph {block + 1}: shown saved as {expected}, library has {got}")
        tally.add("lost", wrong, where)
        self.model = found

    def close(self) -> None:
        """Nothing to stop."""
