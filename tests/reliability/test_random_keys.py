"""Thousands of random keys on every screen while another process changes the library.

The keys follow from a seed (`READER_FUZZ_SEED`, default 1) and are grouped in the
gestures of a reader (see `random_keys.py`); `READER_FUZZ_KEYS` sets how many (default
5,000). Meanwhile another process imports, edits, deletes and restores on the same
library file, with timing of its own, so a run is reproducible in its keys, not in
its races. On failure the message names the seed, each distinct crash with the last
keys before it and the tail of its traceback; `random_keys.py replay` presses them
again. The long mode (100,000 keys, several seeds, a real terminal) is
`python tests/reliability/random_keys.py all`.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.reliability.random_keys import run_pilot

KEYS = int(os.environ.get("READER_FUZZ_KEYS", "5000"))
SEED = int(os.environ.get("READER_FUZZ_SEED", "1"))
PACE = float(os.environ.get("READER_FUZZ_PACE", "2"))
"""How much slower than in the long mode the other process writes (CI machines are small)."""
SCREENS = {
    "LibraryScreen",
    "ArticleScreen",
    "AnnotationsScreen",
    "SearchScreen",
    "HelpScreen",
    "ReaderPalette",
    "PathDialog",
    "TagDialog",
    "NoteDialog",
    "TagFilterDialog",
    "RenameTagDialog",
    "ConfirmDialog",
}
"""Every screen and dialog; a run must have pressed keys on each."""


@pytest.mark.slow
async def test_random_keys_on_every_screen_while_another_process_writes(tmp_path: Path) -> None:
    """Thousands of seeded keys on every screen, another process writing all along.

    The app never dies of an exception nor gets stuck, the library passes SQLite's
    integrity check, and its WAL stays the same file throughout.
    """
    report = await run_pilot(tmp_path / "fuzz", SEED, KEYS, pace=PACE)
    print(f"\n{report.summary()}")
    unvisited = sorted(SCREENS - set(report.screens))
    done = report.other.get("done", {})
    assert report.keys >= KEYS
    assert sum(done.values()) > 0, report.other
    assert not report.problems() and not unvisited, (
        f"seed {SEED} (READER_FUZZ_SEED={SEED} READER_FUZZ_KEYS={KEYS} to run it again)\n"
        f"screens never visited: {unvisited}\n{report.explain()}"
    )
