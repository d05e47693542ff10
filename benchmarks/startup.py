"""Start-up of `reader open ID` in a real pseudo-terminal, against a bare Textual app.

Run `python benchmarks/startup.py` (`--runs N` for more or fewer runs of each case,
`--no-importtime` to skip the import summary). Everything happens in a temporary folder: a
~5 KB plain-text article is imported with the real `reader import` into a fresh library there
(`READER_DB`, `READER_STATE_DIR`, `READER_EXPORT_DIR`, `HOME` and `XDG_*` point into it, so the
user's library is never touched). Then, in turns, each case runs as a whole process in a
pseudo-terminal of 100x30 cells, and the time from just before the process is started until a
marker shows in what it wrote to the terminal is measured:

- bare: a tiny Textual app (an `App` showing one `Static` with a marker word), the floor that
  any Textual app pays (Python, Textual's imports, the first frame);
- reader: `reader --db LIB open ID`, until a word found only in the article's first paragraph
  shows.

Prints medians, p90, reader minus bare and the ratio, the median of the paired
differences (each reader run minus the bare run before it: steadier on a busy machine) and,
with the import summary, the total of
`python -X importtime -c "import reader.app"` and its largest entries. See `benchmarks/README.md`.
"""

from __future__ import annotations

import argparse
import fcntl
import json
import os
import platform
import re
import select
import statistics
import struct
import subprocess
import sys
import tempfile
import termios
import time
from collections.abc import Sequence
from importlib.metadata import version
from pathlib import Path

RUNS = 7
"""Runs of each case, alternating bare and reader."""
SIZE = (100, 30)
"""The terminal (columns, lines)."""
GIVE_UP = 30.0
"""A case whose marker has not shown after this many seconds fails the run."""
BARE_MARKER = "Barefloormarker"
FIRST_WORD = "Quillothorpe"
"""In the middle of the article's first paragraph only (not in its title or anywhere else)."""
ANSI = re.compile(rb"\x1b(?:\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]*(?:\x07|\x1b\\)|[@-Z\\-_])")
"""Escape sequences, removed from the output before looking for a marker."""

BARE_APP = f'''\
from textual.app import App, ComposeResult
from textual.widgets import Static


class Bare(App[None]):
    def compose(self) -> ComposeResult:
        yield Static("{BARE_MARKER}")


Bare().run()
'''

PROSE = (
    "the harbour lay quiet under a grey sky while the boats waited for the tide and "
    "nobody on the quay seemed to be in any hurry at all that morning"
)
WORDS = PROSE.split(" ")


def article_text() -> str:
    """A plain-text article of about 5 KB: a title line, then paragraphs of prose."""
    paragraphs = []
    for number in range(15):
        words = [WORDS[(number * 7 + index) % len(WORDS)] for index in range(70)]
        words[0] = words[0].capitalize()
        if number == 0:
            words[40] = FIRST_WORD
        paragraphs.append(" ".join(words) + ".")
    return "A morning at the harbour\n\n" + "\n\n".join(paragraphs) + "\n"


def environment(folder: Path) -> dict[str, str]:
    home = folder / "home"
    home.mkdir()
    env = {name: value for name, value in os.environ.items() if name != "PYTHONDONTWRITEBYTECODE"}
    return {
        **env,
        # Compiled modules are kept (as an installed reader's are), in the temporary folder:
        # the warm-up runs write them, for reader and Textual alike.
        "PYTHONPYCACHEPREFIX": str(folder / "pycache"),
        "HOME": str(home),
        "READER_DB": str(folder / "lib.db"),
        "READER_STATE_DIR": str(folder / "state"),
        "READER_EXPORT_DIR": str(folder / "export"),
        "XDG_DATA_HOME": str(home / ".local" / "share"),
        "XDG_CONFIG_HOME": str(home / ".config"),
        "XDG_CACHE_HOME": str(home / ".cache"),
        "XDG_STATE_HOME": str(home / ".local" / "state"),
        "XDG_DOCUMENTS_DIR": str(home / "Documents"),
        "TERM": "xterm-256color",
        "COLUMNS": str(SIZE[0]),
        "LINES": str(SIZE[1]),
    }


def reader_command() -> list[str]:
    return [sys.executable, "-m", "reader"]


def time_to_marker(command: Sequence[str], marker: str, env: dict[str, str], cwd: Path) -> float:
    """Seconds from starting `command` in a pseudo-terminal until `marker` shows in its output."""
    master, slave = os.openpty()
    columns, lines = SIZE
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", lines, columns, 0, 0))
    wanted = marker.encode()
    output = bytearray()
    began = time.perf_counter()
    process = subprocess.Popen(
        command,
        stdin=slave,
        stdout=slave,
        stderr=slave,
        env=env,
        cwd=cwd,
        start_new_session=True,
        close_fds=True,
    )
    os.close(slave)
    try:
        while True:
            elapsed = time.perf_counter() - began
            if elapsed > GIVE_UP:
                text = ANSI.sub(b"", bytes(output)).decode("utf-8", "replace")
                raise SystemExit(f"{marker!r} not shown after {GIVE_UP:.0f} s:\n{text[-2000:]}")
            ready, _, _ = select.select([master], [], [], 0.5)
            if not ready:
                continue
            try:
                chunk = os.read(master, 65536)
            except OSError:  # the process ended: the pty is closed
                chunk = b""
            if not chunk:
                text = ANSI.sub(b"", bytes(output)).decode("utf-8", "replace")
                raise SystemExit(f"{command[-1]} ended before {marker!r} showed:\n{text[-2000:]}")
            output += chunk
            if wanted in ANSI.sub(b"", bytes(output)):
                return time.perf_counter() - began
    finally:
        if process.poll() is None:
            process.kill()
        process.wait()
        os.close(master)


def p90(samples: Sequence[float]) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(0.9 * (len(ordered) - 1)))]


def import_summary(env: dict[str, str], cwd: Path, top: int = 12) -> None:
    """`python -X importtime -c "import reader.app"`: the total and the largest entries."""
    result = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", "import reader.app"],
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        check=True,
    )
    rows = []
    for line in result.stderr.splitlines():
        parts = line.removeprefix("import time:").split("|")
        if len(parts) != 3 or not parts[1].strip().isdigit():
            continue
        name = parts[2].rstrip()
        rows.append((int(parts[1]), len(name) - len(name.lstrip()), name.strip()))
    total = next(cumulative for cumulative, _, name in rows if name == "reader.app")
    print(f'\npython -X importtime -c "import reader.app": {total / 1e6:.3f} s in all')
    first_party = [row for row in rows if row[2].split(".")[0] in ("reader", "annotations")]
    print(f"  largest of reader's own modules (cumulative), of {len(first_party)} loaded:")
    for cumulative, _, name in sorted(first_party, reverse=True)[:top]:
        print(f"    {cumulative / 1e6:6.3f} s  {name}")
    outside: dict[str, int] = {}
    for cumulative, _, name in rows:
        if "." not in name and name not in ("reader", "annotations"):
            outside[name] = max(outside.get(name, 0), cumulative)
    print("  largest other packages loaded (cumulative, wherever first imported):")
    for name, cumulative in sorted(outside.items(), key=lambda item: -item[1])[:top]:
        print(f"    {cumulative / 1e6:6.3f} s  {name}")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=RUNS, help="runs of each case")
    parser.add_argument("--no-importtime", action="store_true", help="skip the import summary")
    options = parser.parse_args(argv)

    with tempfile.TemporaryDirectory(prefix="reader-startup-") as name:
        folder = Path(name)
        env = environment(folder)
        library = folder / "lib.db"
        article = folder / "harbour.txt"
        article.write_text(article_text(), encoding="utf-8")
        bare = folder / "bare_app.py"
        bare.write_text(BARE_APP, encoding="utf-8")

        def reader_says(*arguments: str) -> str:
            command = [*reader_command(), "--db", str(library), *arguments]
            return subprocess.run(
                command, env=env, cwd=folder, check=True, capture_output=True, text=True
            ).stdout

        reader_says("import", str(article))
        listed = reader_says("list", "--json")
        article_id = next(
            entry["id"] for entry in json.loads(listed) if "harbour" in entry["title"].lower()
        )
        cases = {
            "bare Textual app": ([sys.executable, str(bare)], BARE_MARKER),
            f"reader open ID ({article.stat().st_size / 1000:.1f} KB)": (
                [*reader_command(), "--db", str(library), "open", article_id],
                FIRST_WORD,
            ),
        }
        # One warm-up run of each (disk caches, .pyc files), not counted.
        for command, marker in cases.values():
            time_to_marker(command, marker, env, folder)
        samples: dict[str, list[float]] = {label: [] for label in cases}
        for _ in range(options.runs):
            for label, (command, marker) in cases.items():
                samples[label].append(time_to_marker(command, marker, env, folder))

        print(
            f"Start-up until the first screen shows, whole process in a {SIZE[0]}x{SIZE[1]} pty, "
            f"{options.runs} interleaved runs each"
        )
        print(
            f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
            f"Textual {version('textual')}\n"
        )
        print(f"{'':<28}{'median':>9}{'p90':>9}{'min':>9}")
        for label, values in samples.items():
            print(
                f"{label:<28}{statistics.median(values):>8.3f}s{p90(values):>8.3f}s"
                f"{min(values):>8.3f}s"
            )
        bare_times, reader_times = samples.values()
        floor = statistics.median(bare_times)
        reader = statistics.median(reader_times)
        paired = statistics.median(r - b for b, r in zip(bare_times, reader_times, strict=True))
        print(
            f"\nreader - bare (medians): {reader - floor:+.3f} s; "
            f"reader / bare: {reader / floor:.2f}; "
            f"median of each run minus the bare run before it: {paired:+.3f} s"
        )
        if not options.no_importtime:
            import_summary(env, folder)
    return 0


if __name__ == "__main__":
    sys.exit(main())
