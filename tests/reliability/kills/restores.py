"""`reader restore` of a JSON export into an older library, killed midway."""

from __future__ import annotations

import random
import shutil
import signal
import time
from pathlib import Path
from typing import Any

from annotations.models import HIGHLIGHT_COLORS, Block, BlockKind, Document
from annotations.store import AnnotationStore
from tests.reliability.burst import library_articles, library_states, paragraphs
from tests.reliability.kills.forks import ForkServer
from tests.reliability.kills.shared import Tally, Window, exit_code, remove_library
from tests.reliability.test_crashes import (
    cli,
    elapsed,
    kill_when,
    library_problems,
    run_cli,
    wal_reaches,
    wal_size,
)

Snapshot = tuple[dict[str, Any], dict[str, tuple[str, str]]]


def snapshot(library: Path) -> Snapshot:
    """A library's annotations' states and articles' (source, hash), by id."""
    store = AnnotationStore(library)
    try:
        return library_states(store), library_articles(store)
    finally:
        store.close()


def restore_twice(library: Path, backup_file: Path) -> tuple[Snapshot, Snapshot, str]:
    """Restore a backup to its end twice; the library after each, and the second summary."""
    from annotations.formats.backup import read_backup
    from annotations.restore import restore

    backup = read_backup(backup_file)
    after = []
    line = ""
    for _ in range(2):
        store = AnnotationStore(library)
        try:
            line = restore(store, backup).line()
        finally:
            store.close()
        after.append(snapshot(library))
    return after[0], after[1], line


class RestoreKills:
    """`reader restore BACKUP.json` into a copy of an older library, killed midway."""

    name = "restore"

    def __init__(
        self, root: Path, rng: random.Random, forks: ForkServer, *, small: bool = False
    ) -> None:
        self.root, self.rng, self.forks = root / "restore", rng, forks
        pieces = 30 if small else 120
        self.root.mkdir()
        self.base = self.root / "base.db"
        build = random.Random(13)
        store = AnnotationStore(self.base)
        with store.transaction():
            for number in range(pieces):
                document = Document(
                    f"Restored piece {number}",
                    paragraphs(build, 25, f"Piece {number}"),
                    source=f"kill-run:restore:{number}",
                )
                article = store.import_document(document).article
                for index in range(4):
                    block = index * 6
                    store.add_highlight(
                        article.id,
                        (block, 0),
                        (block, 15),
                        tags=[f"r{index}"],
                        note=f"base note {number}.{index}",
                    )
        store.close()
        newer = self.root / "newer.db"
        shutil.copyfile(self.base, newer)
        store = AnnotationStore(newer)
        with store.transaction():
            annotations = store.list_annotations()
            for number, annotation in enumerate(annotations):
                if number % 3 == 0:
                    store.set_note(annotation.id, f"changed since the backup {number}")
                if number % 5 == 0:
                    store.set_color(annotation.id, HIGHLIGHT_COLORS[number % len(HIGHLIGHT_COLORS)])
                if number % 7 == 0:
                    store.delete_annotation(annotation.id)  # restore never deletes: it stays
            store.rename_tag("r1", "r1-renamed")
            for article in store.list_articles()[::2]:
                store.add_highlight(article.id, (3, 0), (3, 12), tags=["added"], note="new")
            for number in range(pieces, pieces * 3 // 2):
                document = Document(
                    f"Restored piece {number}",
                    paragraphs(build, 25, f"Piece {number}"),
                    source=f"kill-run:restore:{number}",
                )
                article = store.import_document(document).article
                store.add_highlight(article.id, (1, 0), (1, 10), note=f"new article {number}")
            for article in store.list_articles()[:15]:
                blocks = list(store.get_blocks(article.id))
                blocks[2] = Block(BlockKind.PARAGRAPH, blocks[2].text + " Edited later.")
                store.import_document(Document(article.title, tuple(blocks), source=article.source))
        store.close()
        self.backup = self.root / "backup.json"
        run_cli(newer, "export", "--format", "json", "-o", str(self.backup))
        assert not Path(f"{self.base}-wal").exists()
        self.before = snapshot(self.base)
        full = self.root / "full.db"
        shutil.copyfile(self.base, full)
        self.after, again, line = restore_twice(full, self.backup)
        assert self.after == again and self.after != self.before, line
        self.target = self.root / "target.db"
        shutil.copyfile(self.base, self.target)
        peak = [0]

        def watch() -> bool:
            peak[0] = max(peak[0], wal_size(self.target))
            return False

        started = time.monotonic()
        job = {"do": "restore", "library": str(self.target), "file": str(self.backup)}
        assert exit_code(self.forks.run(job, watch)) == 0
        self.peak = peak[0]
        self.window = {False: Window(time.monotonic() - started)}
        assert snapshot(self.target) == self.after
        remove_library(self.target)
        shutil.copyfile(self.base, self.target)
        started = time.monotonic()
        run_cli(self.target, "restore", str(self.backup))
        self.window[True] = Window(time.monotonic() - started)
        assert snapshot(self.target) == self.after
        self.number = 0

    def once(self, tally: Tally) -> None:
        """Kill one restore into a fresh copy of the older library, then check it."""
        rng = self.rng
        self.number += 1
        where = f"restore {self.number}"
        remove_library(self.target)
        shutil.copyfile(self.base, self.target)
        use_cli = rng.random() < 0.4
        if rng.random() < 0.4 and self.peak:
            ready = wal_reaches(self.target, rng.uniform(0.02, 1.0) * self.peak)
        else:
            ready = elapsed(self.window[use_cli].moment(rng))
        started = time.monotonic()
        if use_cli:
            code = kill_when(cli(self.target, "restore", str(self.backup)), ready)
        else:
            job = {"do": "restore", "library": str(self.target), "file": str(self.backup)}
            code = exit_code(self.forks.run(job, ready))
        if code == -signal.SIGKILL:
            tally.kills += 1
            self.window[use_cli].killed()
        else:
            tally.finished += 1
            self.window[use_cli].ended(time.monotonic() - started)
            if code != 0:
                tally.add("other", [f"restore exited {code}"], where)
        tally.add_library(library_problems(self.target), where)
        now = snapshot(self.target)
        if code == 0:
            tally.acknowledged += 1
            if now != self.after:
                tally.add("lost", ["a finished restore is not all there"], where)
        elif now not in (self.before, self.after):
            tally.add(
                "partial", ["the library is neither as before nor as after the restore"], where
            )
        if code == -signal.SIGKILL:
            tally.outcomes[
                "killed before its commit" if now == self.before else "killed after its commit"
            ] += 1
        once, twice, line = restore_twice(self.target, self.backup)
        if once != self.after:
            tally.add("partial", ["restored to the end after the kill, unlike a restore"], where)
        if twice != once:
            tally.add("partial", [f"restoring twice is not restoring once ({line})"], where)

    def close(self) -> None:
        """Nothing to stop."""
