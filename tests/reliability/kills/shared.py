"""What the kinds of kills share: the tally of what they found, when to kill a run."""

from __future__ import annotations

import os
import random
import signal
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path


@dataclass
class Tally:
    """What the kills of one kind of work found."""

    kills: int = 0
    """SIGKILLs that met a running process."""
    finished: int = 0
    """Runs that ended before their kill came (checked too, not counted as kills)."""
    acknowledged: int = 0
    """Writes reported saved: burst writes, files of finished imports and exports,
    finished restores, TUI actions the screen showed saved."""
    lost: int = 0
    integrity: int = 0
    partial: int = 0
    """Articles partly imported, restores half applied, restore twice unlike once."""
    truncated: int = 0
    """Vault files that are no complete export, or a temporary file left visible."""
    other: int = 0
    """Anything else wrong (a process that failed, a TUI that showed no acknowledgement)."""
    seconds: float = 0.0
    outcomes: Counter[str] = field(default_factory=Counter)
    """Where the kills landed (what the work had done by then)."""
    problems: list[str] = field(default_factory=list)

    def add(self, category: str, problems: list[str], where: str) -> None:
        """Count problems of one category, keeping their text."""
        setattr(self, category, getattr(self, category) + len(problems))
        self.problems += [f"{where}: {problem}" for problem in problems]

    def add_library(self, problems: list[str], where: str) -> None:
        """Count the problems `library_problems` found, as integrity or partial ones."""
        self.add("partial", [p for p in problems if "partly imported" in p], where)
        self.add("integrity", [p for p in problems if "partly imported" not in p], where)

    @property
    def failures(self) -> int:
        """Everything counted as wrong."""
        return self.lost + self.integrity + self.partial + self.truncated + self.other


class Window:
    """A guess of how long a kind of run takes, to kill it at a random moment within.

    A run that ended before its kill shortens the guess to what it took; a killed one
    lengthens it a little, up to the longest run seen.
    """

    def __init__(self, seconds: float) -> None:
        self.seconds = self.longest = seconds

    def moment(self, rng: random.Random) -> float:
        """A random moment of the run."""
        return rng.uniform(0, 1.05) * self.seconds

    def killed(self) -> None:
        """The run was killed: it may take longer than guessed."""
        self.seconds = min(self.longest, self.seconds * 1.1)

    def ended(self, seconds: float) -> None:
        """The run ended by itself after that long."""
        self.seconds = max(0.02, seconds)
        self.longest = max(self.longest, seconds)


def signalled(status: int) -> bool:
    """Whether a wait status is that of a process ended by SIGKILL."""
    return os.WIFSIGNALED(status) and os.WTERMSIG(status) == signal.SIGKILL


def exit_code(status: int) -> int:
    """The exit code of a wait status (negative for a signal), as `Popen.returncode`."""
    return os.waitstatus_to_exitcode(status)


def remove_library(path: Path) -> None:
    """Remove a library file and its write-ahead log and shared memory."""
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
