"""`reader export -o VAULT/` over earlier exports of a changing library, killed midway."""

from __future__ import annotations

import json
import os
import random
import re
import signal
import time
from collections.abc import Callable
from pathlib import Path

from annotations.export import article_markdown, exported_reader_id
from annotations.models import HIGHLIGHT_COLORS
from tests.reliability.kills.shared import Tally, Window
from tests.reliability.test_crashes import (
    TEMPORARY,
    annotated_library,
    cli,
    elapsed,
    kill_when,
    library_problems,
    run_cli,
    without_export_time,
)


def exports_replaced(folder: Path, wanted: int) -> Callable[[], bool]:
    """Ready once `wanted` visible `.md` files of a folder are new or replaced (renamed in)."""
    before = {path.name: path.stat().st_ino for path in folder.glob("*.md")}

    def ready() -> bool:
        try:
            with os.scandir(folder) as entries:
                return (
                    sum(
                        entry.name.endswith(".md")
                        and not entry.name.startswith(".")
                        and before.get(entry.name) != entry.inode()
                        for entry in entries
                    )
                    >= wanted
                )
        except FileNotFoundError:
            return False

    return ready


class ExportKills:
    """`reader export -o VAULT/` over earlier exports, the library changed in between."""

    name = "export"
    KILLS_PER_VAULT = 25
    FULL_EVERY = 8
    """After this many kills into a vault, an export runs to its end and is checked."""

    def __init__(self, root: Path, rng: random.Random, *, small: bool = False) -> None:
        self.root, self.rng = root / "export", rng
        self.root.mkdir()
        self.library = self.root / "library.db"
        self.store = annotated_library(self.library, articles=20 if small else 60)
        self.known: dict[str, set[str]] = {}
        self.renames = 0
        self._record()
        self.vaults = 0
        self._new_vault()
        started = time.monotonic()
        run_cli(self.library, "export", "-o", f"{self.vault}/")
        self.window = Window(time.monotonic() - started)
        self._check_vault(Tally(), "first export", finished=True)
        self._new_vault()

    def _new_vault(self) -> None:
        self.vaults += 1
        self.vault = self.root / f"vault-{self.vaults}"
        self.kills = 0

    def _record(self) -> None:
        """Add the current export of every article to the versions seen."""
        for article in self.store.list_articles():
            text = without_export_time(article_markdown(self.store, article))
            self.known.setdefault(article.id, set()).add(text)

    def _change(self) -> None:
        """A few changes to the library, or (now and then) one that touches many files."""
        rng, store = self.rng, self.store
        annotations = store.list_annotations()
        if rng.random() < 0.25:
            tags = [tag.name for tag in store.list_tags() if tag.count > 5]
            if tags and rng.random() < 0.5:
                self.renames += 1
                store.rename_tag(rng.choice(tags), f"tag-{self.renames}")
            else:
                for annotation in rng.sample(annotations, min(30, len(annotations))):
                    store.set_note(annotation.id, f"Changed {rng.randrange(1 << 30)}")
        else:
            for _ in range(rng.randint(1, 4)):
                annotation = rng.choice(annotations)
                action = rng.randrange(5)
                if action == 0:
                    store.set_note(annotation.id, f"Note {rng.randrange(1 << 30)}")
                elif action == 1:
                    store.set_tags(annotation.id, [f"t{rng.randrange(12)}"])
                elif action == 2:
                    store.set_color(annotation.id, rng.choice(HIGHLIGHT_COLORS))
                elif action == 3:
                    block = rng.randrange(12)
                    store.add_highlight(annotation.article_id, (block, 0), (block, 25))
                elif len(annotations) > 50:
                    store.delete_annotation(annotation.id)
                    annotations.remove(annotation)
        self._record()

    def once(self, tally: Tally) -> None:
        """Change the library, kill an export into the vault, check every file there."""
        if self.kills >= self.KILLS_PER_VAULT:
            self._new_vault()
        where = f"vault {self.vaults}"
        self._change()
        earlier = self._files()
        stale = self._stale(earlier)
        if stale and self.rng.random() < 0.4:
            ready = exports_replaced(self.vault, self.rng.randint(1, stale))
        else:
            ready = elapsed(self.window.moment(self.rng))
        started = time.monotonic()
        code = kill_when(cli(self.library, "export", "-o", f"{self.vault}/"), ready)
        if code == -signal.SIGKILL:
            tally.kills += 1
            self.kills += 1
            self.window.killed()
            now = self._files()
            changed = sum(now.get(name) != text for name, text in earlier.items())
            added = len(now.keys() - earlier.keys())
            left = self._stale(now)
            tally.outcomes[
                "no file written yet"
                if changed + added == 0
                else "all files written"
                if left == 0
                else "some files written"
            ] += 1
        else:
            self.window.ended(time.monotonic() - started)
            tally.finished += 1
            if code != 0:
                tally.add("other", [f"export exited {code}"], where)
        self._check_vault(tally, where, finished=code == 0)
        tally.add_library(library_problems(self.library), where)
        if code == -signal.SIGKILL and self.kills % self.FULL_EVERY == 0:
            run_cli(self.library, "export", "-o", f"{self.vault}/")
            self._check_vault(tally, f"{where}, exported again to the end", finished=True)

    def _files(self) -> dict[str, str]:
        """The vault's visible files' texts, by name."""
        if not self.vault.exists():
            return {}
        return {
            path.name: path.read_text(encoding="utf-8", errors="replace")
            for path in self.vault.glob("*.md")
        }

    def _stale(self, files: dict[str, str]) -> int:
        """How many articles an export would write now (new, or changed since their file)."""
        current = {}
        for text in files.values():
            match = re.search(r"(?m)^reader_id: (.*)$", text)
            if match:
                current[json.loads(match.group(1))] = without_export_time(text)
        return sum(
            current.get(article.id) != without_export_time(article_markdown(self.store, article))
            for article in self.store.list_articles()
            if article.annotation_count or article.id in current
        )

    def _check_vault(self, tally: Tally, where: str, *, finished: bool) -> None:
        """Every visible file a complete export of some version; the rest hidden temporaries."""
        if not self.vault.exists():
            return
        files: dict[str, str] = {}
        wrong = []
        for entry in sorted(self.vault.iterdir()):
            if entry.name.startswith("."):
                if not TEMPORARY.fullmatch(entry.name) or entry.name.endswith(".md"):
                    wrong.append(f"{entry.name}: a stray file")
                continue
            if entry.suffix != ".md":
                wrong.append(f"{entry.name}: not an export")
                continue
            article_id = exported_reader_id(entry)
            text = without_export_time(entry.read_text(encoding="utf-8", errors="replace"))
            if article_id is None or text not in self.known.get(article_id, ()):
                wrong.append(f"{entry.name}: no complete export ({len(text)} characters)")
            elif article_id is not None:
                files[article_id] = text
        tally.add("truncated", wrong, where)
        if finished:
            current = {
                article.id: without_export_time(article_markdown(self.store, article))
                for article in self.store.list_articles()
                if article.annotation_count or article.id in files
            }
            tally.acknowledged += len(current)
            stale = [
                f"article {i}: not the latest export" for i in current if files.get(i) != current[i]
            ]
            tally.add("lost", stale, where)

    def close(self) -> None:
        """Close the library."""
        self.store.close()
