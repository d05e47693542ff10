"""Bursts of annotation writes through `AnnotationStore` (`burst.py serve`), killed midway."""

from __future__ import annotations

import random
from pathlib import Path

from annotations.store import AnnotationStore
from tests.reliability.burst import Ledger, library_articles, library_states, unexpected
from tests.reliability.kills.shared import Tally, exit_code, signalled
from tests.reliability.test_crashes import BurstServer, library_problems


class BurstKills:
    """Bursts of `AnnotationStore` writes (`burst.py serve`), killed at random moments."""

    name = "bursts"
    KILLS_PER_LIBRARY = 100
    """A new library after this many kills, so the checks stay quick."""

    def __init__(self, root: Path, rng: random.Random) -> None:
        self.root, self.rng = root, rng
        self.libraries = 0
        self.server: BurstServer | None = None
        self._new_library()

    def _new_library(self) -> None:
        if self.server is not None:
            self.server.close()
        self.libraries += 1
        self.library = self.root / f"bursts-{self.libraries}.db"
        self.server = BurstServer(self.library)
        self.ledger = Ledger()
        self.verified: set[tuple[str, str]] = set()
        self.kills = 0

    def once(self, tally: Tally) -> None:
        """Start a burst, kill it after some writes or some time, check the library."""
        if self.kills >= self.KILLS_PER_LIBRARY:
            self._new_library()
        assert self.server is not None
        server, ledger, rng = self.server, self.ledger, self.rng
        where = f"bursts library {self.libraries}"
        done_before = ledger.writes_done
        try:
            status = server.kill_midway(ledger, rng, seed=rng.randrange(1 << 30), most=60)
        except AssertionError as error:  # a burst reported an error, or the server stopped
            tally.add("other", [str(error)], where)
            self._new_library()
            return
        if signalled(status):
            tally.kills += 1
            self.kills += 1
        else:
            tally.finished += 1
            if exit_code(status) != 0:
                tally.add("other", [f"burst exited {exit_code(status)}"], where)
        tally.acknowledged += ledger.writes_done - done_before
        tally.add_library(library_problems(self.library, self.verified), where)
        store = AnnotationStore(self.library)
        try:
            stored, articles = library_states(store), library_articles(store)
        finally:
            store.close()
        tally.add("lost", ledger.missing(stored, articles) + unexpected([ledger], stored), where)
        ledger.settle(stored, articles)

    def close(self) -> None:
        """Stop the burst server."""
        if self.server is not None:
            self.server.close()
