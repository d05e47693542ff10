"""A long run of SIGKILLs at random moments of the reader's writes, each one checked.

Five kinds of work are killed, chosen at random (seeded) one kill after the other:

- bursts: annotation writes through `AnnotationStore` (`burst.py serve`: highlights,
  notes, tags, colours, moves, deletes, tag renames and merges, imports), checked
  against the `Ledger` of writes each burst reported saved;
- import: a folder of 60 notes and a 1.5 MB book, imported by `reader import` or by
  `reader.ingest.import_files` in a forked process, into a fresh library or over an
  earlier version of the same files; every article must be whole and equal to an import
  of one version of its file, annotations made before must stay, and a run that ended
  must have imported everything;
- restore: `reader restore` of a JSON export (CLI, or `annotations.restore` in a forked
  process) into a copy of an older library; the library must then be as before the
  restore or as after a complete one, and restoring it to the end twice must give what
  once gives;
- export: `reader export -o VAULT/` into a folder of earlier exports, the library changed
  in between; every visible `.md` file must be a complete export of some version of its
  article (not cut short, not a leftover temporary), and the other entries the hidden
  temporary files of the write cut short;
- tui: `reader open ARTICLE` in a pseudo-terminal, driven with keys that highlight,
  recolour, tag, write notes and remove highlights. The screen is read back (a tiny
  terminal emulator): an action counts as saved once the screen shows its result read
  back from the library (the count of annotations and the colour in the status line,
  the new tags or note under the passage, the dialog gone). Everything shown as saved
  must be in the library after the kill; the action in flight may or may not be.

After every kill the library passes `PRAGMA integrity_check`, the search index's check
and `library_problems` of `test_crashes.py` (no article partly imported). Figures are
printed at the end; the exit code is 1 if anything was lost or damaged.

    python tests/reliability/kill_run.py --kills 1000 --seed 1
    python tests/reliability/kill_run.py --kills 40 --seed 7 --weights restore=3,tui=2,export=1
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from tests.reliability.kills.bursts import BurstKills
from tests.reliability.kills.exports import ExportKills
from tests.reliability.kills.forks import ForkServer
from tests.reliability.kills.imports import ImportKills
from tests.reliability.kills.restores import RestoreKills
from tests.reliability.kills.shared import Tally
from tests.reliability.kills.tui import TuiKills

KILL_RUN = Path(__file__).resolve()
"""This script."""

KINDS = ("bursts", "import", "restore", "export", "tui")
DEFAULT_WEIGHTS = {"bursts": 40, "import": 18, "restore": 12, "export": 18, "tui": 12}
"""How often each kind of work is the next one killed."""


COUNTS = ("kills", "finished", "acknowledged", "lost", "integrity", "partial", "truncated", "other")
"""What each kind of kill counts, in the order the figures show them."""


def parse_weights(text: str | None) -> dict[str, int]:
    """`bursts=40,tui=12` into weights (kinds not named get 0 when any is named)."""
    if not text:
        return dict(DEFAULT_WEIGHTS)
    weights = dict.fromkeys(KINDS, 0)
    for part in text.split(","):
        name, _, value = part.partition("=")
        if name not in weights:
            raise SystemExit(f"unknown kind {name!r} (kinds: {', '.join(KINDS)})")
        weights[name] = int(value or 1)
    return weights


def isolate(workdir: Path) -> None:
    """Point the reader's user folders at the work folder, for every process started."""
    home = workdir / "home"
    home.mkdir(exist_ok=True)
    os.environ.update(
        HOME=str(home),
        XDG_DATA_HOME=str(home / ".local" / "share"),
        XDG_CONFIG_HOME=str(home / ".config"),
        XDG_CACHE_HOME=str(home / ".cache"),
        XDG_DOCUMENTS_DIR=str(home / "Documents"),
        READER_DB=str(workdir / "unused.db"),
        READER_EXPORT_DIR=str(workdir / "exports"),
    )


def run(
    kills: int,
    seed: int,
    weights: dict[str, int],
    workdir: Path,
    *,
    quiet: bool = False,
    small: bool = False,
) -> dict[str, Any]:
    """Kill work at random until `kills` SIGKILLs met a running process; the figures.

    Args:
        kills: How many.
        seed: Seeds every random choice (the kills' moments still depend on timing).
        weights: How often each kind of work is the next one killed.
        workdir: Where the libraries, files and user folders go.
        quiet: No progress lines on stderr.
        small: Smaller restore and export libraries (for the quick run in the tests).
    """
    rng = random.Random(seed)
    isolate(workdir)
    tallies = {name: Tally() for name in KINDS if weights.get(name)}
    started = time.monotonic()
    workers: dict[str, Any] = {}
    forks: list[ForkServer] = []

    def fork_server() -> ForkServer:
        if not forks:
            forks.append(ForkServer())
        return forks[0]

    makers: dict[str, Callable[[], Any]] = {
        "bursts": lambda: BurstKills(workdir, random.Random(rng.random())),
        "import": lambda: ImportKills(workdir, random.Random(rng.random()), fork_server()),
        "restore": lambda: RestoreKills(
            workdir, random.Random(rng.random()), fork_server(), small=small
        ),
        "export": lambda: ExportKills(workdir, random.Random(rng.random()), small=small),
        "tui": lambda: TuiKills(workdir, random.Random(rng.random())),
    }
    names = list(tallies)
    try:
        total = 0
        next_report = 50
        while total < kills:
            name = rng.choices(names, [weights[n] for n in names])[0]
            tally = tallies[name]
            began = time.monotonic()
            if name not in workers:
                workers[name] = makers[name]()
            workers[name].once(tally)
            tally.seconds += time.monotonic() - began
            total = sum(t.kills for t in tallies.values())
            if not quiet and total >= next_report:
                next_report += 50
                failures = sum(t.failures for t in tallies.values())
                print(
                    f"{total} kills, {time.monotonic() - started:.0f} s, {failures} problems",
                    file=sys.stderr,
                    flush=True,
                )
    finally:
        for worker in workers.values():
            worker.close()
        for server in forks:
            server.close()
    figures: dict[str, Any] = {
        "seed": seed,
        "kills": sum(t.kills for t in tallies.values()),
        "seconds": round(time.monotonic() - started, 1),
        "kinds": {},
    }
    for key in ("finished", "acknowledged", "lost", "integrity", "partial", "truncated", "other"):
        figures[key] = sum(getattr(t, key) for t in tallies.values())
    for name, tally in tallies.items():
        figures["kinds"][name] = {key: getattr(tally, key) for key in COUNTS} | {
            "seconds": round(tally.seconds, 1),
            "outcomes": dict(tally.outcomes.most_common()),
            "problems": tally.problems[:20],
        }
    return figures


def print_figures(figures: dict[str, Any]) -> None:
    """The figures as a table, then the first problems of each kind."""
    columns = (*COUNTS, "seconds")
    print(f"seed {figures['seed']}: {figures['kills']} kills in {figures['seconds']} s")
    print(f"{'kind':8}" + "".join(f"{c:>13}" for c in columns))
    for name, kind in figures["kinds"].items():
        print(f"{name:8}" + "".join(f"{kind[c]:>13}" for c in columns))
    print(
        f"{'all':8}"
        + "".join(f"{figures.get(c, ''):>13}" for c in columns[:-1])
        + f"{figures['seconds']:>13}"
    )
    for name, kind in figures["kinds"].items():
        if kind["outcomes"]:
            print(
                f"{name} kills: " + ", ".join(f"{n} {what}" for what, n in kind["outcomes"].items())
            )
    for name, kind in figures["kinds"].items():
        for problem in kind["problems"]:
            print(f"[{name}] {problem}")


def main(argv: list[str]) -> int:
    """Run the kills; print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--kills", type=int, default=1000, help="SIGKILLs to deliver")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--weights", help="e.g. bursts=40,import=18,restore=12,export=18,tui=12")
    parser.add_argument(
        "--workdir", type=Path, help="keep the libraries here (default: a temporary folder)"
    )
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    parser.add_argument("--quiet", action="store_true", help="no progress lines on stderr")
    parser.add_argument(
        "--small", action="store_true", help="smaller restore and export libraries (quicker)"
    )
    options = parser.parse_args(argv)
    weights = parse_weights(options.weights)
    settings = {"quiet": options.quiet, "small": options.small}
    if options.workdir is not None:
        options.workdir.mkdir(parents=True, exist_ok=True)
        workdir = options.workdir.resolve()
        figures = run(options.kills, options.seed, weights, workdir, **settings)
    else:
        with tempfile.TemporaryDirectory(prefix="kill-run-") as folder:
            figures = run(options.kills, options.seed, weights, Path(folder), **settings)
    if options.json:
        print(json.dumps(figures, indent=2))
    else:
        print_figures(figures)
    wrong = sum(figures[k] for k in ("lost", "integrity", "partial", "truncated", "other"))
    return 1 if wrong else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
