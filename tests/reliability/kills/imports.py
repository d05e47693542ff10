"""`reader import` of a folder (or `import_files` in a forked process), killed midway."""

from __future__ import annotations

import random
import signal
import time
from pathlib import Path
from typing import Any

from annotations.store import AnnotationStore
from tests.reliability.kills.forks import ForkServer
from tests.reliability.kills.shared import Tally, Window, exit_code
from tests.reliability.test_crashes import (
    cli,
    elapsed,
    import_folder,
    kill_when,
    library_problems,
    run_cli,
    wal_reaches,
    wal_size,
)

Imported = dict[str, tuple[str, int]]
"""Articles by source: (content hash, block count)."""


def imported(library: Path) -> Imported:
    """What a library holds, by source."""
    store = AnnotationStore(library)
    try:
        return {a.source: (a.content_hash, a.block_count) for a in store.list_articles()}
    finally:
        store.close()


class ImportKills:
    """`reader import FOLDER` (or `import_files` in a forked process), killed midway.

    The folder's files alternate between two versions (every third one changed), so a
    kill comes during a first import, a resumed one, or an import that updates articles
    annotated since.
    """

    name = "import"
    KILLS_PER_LIBRARY = 30
    KILLS_PER_ROUND = 6
    """After this many kills without the import finishing, it is run to its end."""

    def __init__(self, root: Path, rng: random.Random, forks: ForkServer) -> None:
        self.root, self.rng, self.forks = root / "import", rng, forks
        self.root.mkdir()
        self.folder = import_folder(self.root)
        files = sorted(p for p in self.folder.rglob("*") if p.suffix in (".md", ".txt"))
        self.versions: list[dict[Path, str]] = [
            {p: p.read_text(encoding="utf-8") for p in files[::3] if "big-book" not in p.name}
        ]
        self.versions.append(
            {
                p: text + "\n\nA paragraph the second version added.\n"
                for p, text in self.versions[0].items()
            }
        )
        self.references: list[Imported] = []
        self.seconds: list[float] = []
        self.peak = 0
        for version in (0, 1):
            self._write_version(version)
            reference = self.root / f"reference-{version}.db"
            AnnotationStore(reference).close()
            peak = [0]

            def watch(library: Path = reference, peak: list[int] = peak) -> bool:
                peak[0] = max(peak[0], wal_size(library))
                return False

            started = time.monotonic()
            status = self.forks.run(self._job(reference), watch)
            assert exit_code(status) == 0, status
            self.seconds.append(time.monotonic() - started)
            self.peak = max(self.peak, peak[0])
            self.references.append(imported(reference))
        started = time.monotonic()
        run_cli(reference, "import", str(self.folder))  # unchanged: a CLI start and a read
        self.windows = {
            True: Window(time.monotonic() - started + max(self.seconds)),
            False: Window(max(self.seconds)),
        }
        self.libraries = 0
        self._new_library()

    def _write_version(self, version: int) -> None:
        for path, text in self.versions[version].items():
            path.write_text(text, encoding="utf-8")
        self.version = version

    def _job(self, library: Path) -> dict[str, Any]:
        return {"do": "import", "library": str(library), "paths": [str(self.folder)]}

    def _new_library(self) -> None:
        self.libraries += 1
        self.library = self.root / f"killed-{self.libraries}.db"
        AnnotationStore(self.library).close()
        self.verified: set[tuple[str, str]] = set()
        self.kept: dict[str, str] = {}  # annotation id -> its article's source
        self.kills = self.round_kills = 0
        self.complete = False

    def once(self, tally: Tally) -> None:
        """Kill one import, check the library; bring it up to date after a round."""
        if self.kills >= self.KILLS_PER_LIBRARY:
            self._new_library()
        if self.complete:
            self._next_round()
        rng, where = self.rng, f"import library {self.libraries}"
        use_cli = rng.random() < 0.3
        window = self.windows[use_cli]
        if rng.random() < 0.3 and self.peak:
            ready = wal_reaches(self.library, rng.uniform(0.02, 0.95) * self.peak)
        else:
            ready = elapsed(window.moment(rng))
        before = len(imported(self.library))
        started = time.monotonic()
        if use_cli:
            code = kill_when(cli(self.library, "import", str(self.folder)), ready)
        else:
            code = exit_code(self.forks.run(self._job(self.library), ready))
        if code == -signal.SIGKILL:
            tally.kills += 1
            self.kills += 1
            self.round_kills += 1
            window.killed()
            now = imported(self.library)
            updated = sum(now.get(s) == self.references[self.version].get(s) for s in now)
            tally.outcomes[
                "nothing stored yet"
                if len(now) == before and updated == 0
                else "all stored"
                if updated == len(self.references[self.version])
                else "part stored"
            ] += 1
        else:
            window.ended(time.monotonic() - started)
            tally.finished += 1
            if code != 0:
                tally.add("other", [f"import exited {code}"], where)
        self._check(tally, where, finished=code == 0)
        if code != -signal.SIGKILL:
            self.complete = True
        elif self.round_kills >= self.KILLS_PER_ROUND:
            code = exit_code(self.forks.run(self._job(self.library), lambda: False))
            if code != 0:
                tally.add("other", [f"import run to its end exited {code}"], where)
            self._check(tally, f"{where}, imported again to the end", finished=code == 0)
            self.complete = True

    def _check(self, tally: Tally, where: str, *, finished: bool) -> None:
        tally.add_library(library_problems(self.library, self.verified), where)
        found = imported(self.library)
        wrong = [
            f"{source}: {got} is no import of either version"
            for source, got in found.items()
            if got not in (self.references[0].get(source), self.references[1].get(source))
        ]
        tally.add("partial", wrong, where)
        store = AnnotationStore(self.library)
        try:
            there = {a.id for a in store.list_annotations()}
        finally:
            store.close()
        tally.add(
            "lost",
            [f"annotation {i} on {s} is gone" for i, s in self.kept.items() if i not in there],
            where,
        )
        if finished:
            expected = self.references[self.version]
            tally.acknowledged += len(expected)
            missing = [
                f"{s}: {found.get(s)} after a finished import"
                for s in expected
                if found.get(s) != expected[s]
            ]
            tally.add("lost", missing, where)

    def _next_round(self) -> None:
        """The other version of the files; a few more articles annotated."""
        self._write_version(1 - self.version)
        store = AnnotationStore(self.library)
        try:
            articles = store.list_articles()
            for article in self.rng.sample(articles, min(3, len(articles))):
                made = store.add_highlight(article.id, (0, 0), (0, 5), note="kept across imports")
                self.kept[made.id] = article.source
        finally:
            store.close()
        self.round_kills = 0
        self.complete = False

    def close(self) -> None:
        """Nothing to stop."""
