"""A short kill run: restores, vault exports, the TUI and bursts killed at random moments.

`kill_run.py` is the long run (1,000 kills and more); this runs a few dozen of its kills,
mostly of what `test_crashes.py` does not kill: `reader restore` (the library must be as
before or as after the restore, and restoring twice must do what once does), a vault
export over earlier exports of a library that changes between kills, and the TUI driven
in a pseudo-terminal, whose actions shown saved must be in the library after the kill.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.reliability.kill_run import KILL_RUN

KILLS = 24
WEIGHTS = "bursts=8,restore=6,export=3,tui=2"


@pytest.mark.slow
def test_a_short_kill_run_loses_and_damages_nothing(tmp_path: Path) -> None:
    """24 SIGKILLs of four kinds of work: nothing shown or reported saved is lost.

    No library fails its integrity checks, no restore is half applied or differs when
    done twice, no vault file is cut short or left as a visible temporary file.
    """
    done = subprocess.run(
        [
            sys.executable,
            str(KILL_RUN),
            *("--kills", str(KILLS), "--seed", "11", "--weights", WEIGHTS),
            *("--small", "--quiet", "--json", "--workdir", str(tmp_path / "run")),
        ],
        capture_output=True,
        text=True,
        timeout=600,
        env=os.environ.copy(),
    )
    assert done.stdout, done.stderr
    figures = json.loads(done.stdout)
    kinds = figures["kinds"]
    problems = [f"{name}: {p}" for name, kind in kinds.items() for p in kind["problems"]]
    assert done.returncode == 0, "\n".join(problems) or done.stderr
    assert figures["kills"] == KILLS
    assert figures["lost"] == figures["integrity"] == figures["truncated"] == 0
    assert {name for name, kind in kinds.items() if kind["kills"]} == set(kinds)
    assert kinds["tui"]["acknowledged"] > 0, "the TUI never showed an action saved"
