"""What the benchmark scripts share: word lists written as paragraphs, and timing and memory.

The scripts run as `python benchmarks/NAME.py`, so this folder is on their import path.
"""

from __future__ import annotations

import resource
from dataclasses import dataclass
from time import perf_counter, process_time
from typing import Any


def words(text: str) -> list[str]:
    """The words of a text block (a word list is easier to read and edit as a paragraph)."""
    return text.split()


def peak_rss_mb() -> float:
    """Peak resident memory of this process so far (Linux reports KB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


@dataclass
class Sample:
    """The cost of one step (a keypress, an open), in milliseconds."""

    wall: float
    cpu: float


class Stopwatch:
    """Wall clock and process CPU time from a start."""

    def __init__(self) -> None:
        self.wall = perf_counter()
        self.cpu = process_time()

    def sample(self) -> Sample:
        """Milliseconds since the start."""
        return Sample((perf_counter() - self.wall) * 1000, (process_time() - self.cpu) * 1000)


def plain(value: Any) -> Any:
    """A figure as JSON-ready data: samples as dicts."""
    if isinstance(value, Sample):
        return vars(value)
    if isinstance(value, list):
        return [plain(item) for item in value]
    return value
