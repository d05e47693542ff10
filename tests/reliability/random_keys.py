"""Random keys on every screen while another process changes the library: reader must not crash.

A run presses a seeded random sequence of keys, grouped in the gestures a reader makes
(open an article, select and highlight, tag, write a note and cancel it, search, jump
through the command palette, import, export, rename a tag, hammer enter), on a real
library file, while another process (`churn`, below) imports files, edits and deletes
annotations and articles and restores a JSON export on the same file, partly through
the `reader` command line. A few steps of the sequence (`@...`) are writes through a
second connection made by the driver itself between two keys: aimed at what the app
shows (the annotation under the cursor, the article open), at a moment fixed by the
seed, so that the races they provoke can be replayed.

What is reproducible: the key sequence, and the `@` writes, follow from the seed alone
(`key_sequence`). What is not: the other process's timing, the app's own timers
(debounced search and filter, the command palette's search) and so how far a screen
got when the next key of a burst arrives. A crash that depends on them shows up in
some runs of a seed and not in others; `reduce` shrinks a crash without the other
process, and says so when it cannot.

Checked: the app never dies of an exception (Textual keeps the first one in
`App._exception`; worker errors that would not end the app are caught as the worker
ends) nor is left on Textual's empty default screen, no key leaves the screen unsettled
for `GIVE_UP_SECONDS` (keys slower than `HANG_SECONDS` are reported with their time),
the library passes `PRAGMA integrity_check` (and the search index's own check) at the
end, and the library file and its `-wal` stay the same files (never removed or
replaced) while the app has them open (polled with `stat`).
`q`, `ctrl+q` and the palette's Quit end the app: it is started again on the same
library connection, and the restarts are counted.

Short mode is `test_random_keys.py` (in CI). Long mode, as a script:

    python tests/reliability/random_keys.py pilot [--keys 100000] [--seeds 1,2,3,4,5]
        [--findings FILE] [--reduce] [--no-churn]
    python tests/reliability/random_keys.py pty [--keys 3000] [--seed 1]
        `reader --db LIB` in a pseudo-terminal, fed key bytes (escape sequences for
        arrows and pages), while the other process writes.
    python tests/reliability/random_keys.py all [--keys 100000] [--pty-keys 3000]
    python tests/reliability/random_keys.py replay STEP... [--seed N]
        Press the steps a report shows (`+` marks a key pressed without waiting,
        `@...` a write through a second connection) on a fresh library, no other process.
    python tests/reliability/random_keys.py churn LIBRARY WORKDIR SEED [--pace P]
        The other process: changes the library until its stdin closes, then prints
        one JSON line of counts.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import io
import json
import os
import random
import re
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import traceback
from collections import Counter, deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from annotations.models import Annotation
    from annotations.store import AnnotationStore
    from reader.app import ReaderApp

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

SCRIPT = Path(__file__).resolve()
"""This script, to run the other process."""
REPO = SCRIPT.parents[2]

HANG_SECONDS = 1.0
"""A key whose screen has not settled after this long is reported as a hang (slow); the
test does not fail on it, as a loaded CI machine can take that long to push a screen."""
GIVE_UP_SECONDS = 20.0
"""A key whose screen has not settled after this long is a crash (the app is stuck)."""
RECENT = 40
"""How many steps before a crash are kept to show it."""
SIZE = (100, 30)
"""The terminal the app runs in (cells)."""

# The key sequence ---------------------------------------------------------------------

MOVES = ["j", "k", "down", "up", "G", "g", "home", "end", "pagedown", "pageup", "space", "b"]
"""Keys that move a cursor."""
SINGLE_KEYS: dict[str, int] = {
    "j": 10, "k": 6, "down": 3, "up": 3, "G": 2, "g": 2, "home": 1, "end": 1,
    "pagedown": 3, "pageup": 3, "space": 1, "b": 1, "enter": 10, "escape": 9,
    "v": 3, "h": 4, "c": 3, "t": 3, "n": 3, "s": 2, "y": 1, "d": 2, "e": 2, "o": 2,
    "f": 2, "a": 3, "i": 2, "q": 1, "left_square_bracket": 2, "right_square_bracket": 3,
    "slash": 3, "number_sign": 2, "question_mark": 2, "ctrl+p": 1, "ctrl+s": 2,
    "tab": 2, "backspace": 2, "delete": 1, "colon": 1, "w": 1, "x": 1, "u": 1, "E": 1,
    "R": 1, "ctrl+q": 1, "ctrl+c": 1, "left": 1, "right": 1, "r": 1, "O": 1,
}  # fmt: skip
"""Keys pressed on their own, with their weights: every key of every screen, a few
keys the SPEC names that may not exist yet, and Textual's own ctrl+q (quit) and ctrl+c
(says how to quit)."""
TYPED_WORDS = (
    "river", "lamp", "brug", "Kaffee", "war and peace", "écluse", "中文", "alpha",
    "#tag", "a,b,,c", "  ", "\"quoted\"", "NEAR(a b)", "x*", "50%", ":3", "ß", "🎉",
)  # fmt: skip
"""Text typed into inputs: words, tags, search syntax, odd characters."""
PALETTE_WORDS = (
    "find", "tag", "note", "highlight", "import", "export", "rename", "search", "all",
    "annotations", "keys", "theme", "sort", "filter", "sentence", "colour", "select",
    "copy", "back", "open", "delete", "order", "quit", "maxi", "",
)  # fmt: skip
"""What is typed into the command palette: the start of a command's name."""
OTHER_WRITES = {
    "@delete-here": 4,
    "@delete-shown": 2,
    "@edit-shown": 3,
    "@change-article": 1,
    "@delete-article": 1,
    "@rename-tag": 1,
    "@restore": 1,
}
"""Writes through a second connection between two keys, aimed at what the app shows."""
INBOX = "<inbox>"
"""Stands for the folder of files to import, typed into the import dialog."""


def _typed(rng: random.Random, words: Sequence[str] = TYPED_WORDS) -> list[str]:
    text = rng.choice(words)
    if rng.random() < 0.3:
        text += " " + rng.choice(words)
    return list(text)


def _moves(rng: random.Random, most: int = 4) -> list[str]:
    return rng.choices(MOVES, k=rng.randint(1, most))


def _singles(rng: random.Random, count: int) -> list[str]:
    return rng.choices(list(SINGLE_KEYS), weights=list(SINGLE_KEYS.values()), k=count)


Gesture = Callable[[random.Random], list[str]]


def _gestures() -> dict[str, tuple[int, float, Gesture]]:
    """The gestures a sequence is made of: weight, chance of being typed as a burst, keys."""

    def back(rng: random.Random) -> list[str]:
        return ["escape"] * rng.randint(1, 4)

    def open_article(rng: random.Random) -> list[str]:
        return ["escape"] * rng.randint(0, 3) + _moves(rng, 3) + ["enter"] + _moves(rng, 6)

    def read(rng: random.Random) -> list[str]:
        return _moves(rng, 8)

    def highlight(rng: random.Random) -> list[str]:
        keys = rng.choice([["h"], ["v", *_moves(rng, 3), "h"], ["s", "j", "h"], ["s"]])
        return keys + (["c"] * rng.randint(0, 3))

    def unhighlight(rng: random.Random) -> list[str]:
        return ["right_square_bracket", "h", rng.choice(["y", "n", "escape", "enter"])]

    def tag(rng: random.Random) -> list[str]:
        keys = ["t", *_typed(rng), *(["tab"] if rng.random() < 0.4 else [])]
        return keys + rng.choice([["enter"], ["enter", "enter"], ["escape"], ["enter"] * 4])

    def note(rng: random.Random) -> list[str]:
        endings = [
            ["ctrl+s"],
            ["escape", "y"],
            ["escape", "n", "escape", "y"],
            ["escape", "escape"],
            ["enter", "ctrl+s"],
            ["escape", "enter", "enter"],
        ]
        return ["n", *_typed(rng), *rng.choice(endings)]

    def jump(rng: random.Random) -> list[str]:
        key = rng.choice(["right_square_bracket", "left_square_bracket"])
        return [key] * rng.randint(1, 4) + rng.choice([[], ["c"], ["t", "enter"], ["n", "ctrl+s"]])

    def search(rng: random.Random) -> list[str]:
        keys = ["slash", *_typed(rng)]
        return keys + rng.choice([["enter"], ["down", "enter"], ["enter", "enter"], ["escape"]])

    def annotations(rng: random.Random) -> list[str]:
        keys = ["escape"] * rng.randint(0, 3) + ["a", *_moves(rng, 3)]
        return keys + rng.choice(
            [
                ["enter"],
                ["d", "y"],
                ["d", "n"],
                ["number_sign", "down", "enter"],
                ["number_sign", *_typed(rng), "enter"],
                ["f", "escape"],
                ["slash", *_typed(rng), "enter"],
                ["o"],
                ["escape"],
                ["r", *_moves(rng, 2), "enter"],  # re-attach, when the row is an orphan
                ["r", "v", *_moves(rng, 2), "h"],
                ["r", "escape", "escape"],
            ]
        )

    def palette(rng: random.Random) -> list[str]:
        keys = ["ctrl+p", *rng.choice(PALETTE_WORDS)]
        return keys + rng.choice(
            [
                ["enter"],
                ["enter", "enter"],
                ["enter", "enter", "enter"],
                ["pageup"],
                ["pagedown", "enter"],
                ["down", "enter"],
                ["up"],
                ["escape"],
                ["ctrl+p"],
            ]
        )

    def rename(rng: random.Random) -> list[str]:
        keys = ["ctrl+p", *"rename", "enter", *_typed(rng, ("alpha", "a", "t", "")), "tab"]
        return [*keys, *_typed(rng), *rng.choice([["enter"], ["enter", "enter"], ["escape"]])]

    def import_(rng: random.Random) -> list[str]:
        target = [INBOX] if rng.random() < 0.5 else _typed(rng)
        keys = ["escape"] * rng.randint(0, 3) + ["i", *target, "enter"]
        return keys + rng.choice([[], ["escape"], ["i", "escape"], ["j", "enter"]])

    def export(rng: random.Random) -> list[str]:
        return ["e", *rng.choice([["enter"], ["escape"], [*_typed(rng), "enter"], ["enter"] * 3])]

    def help_(rng: random.Random) -> list[str]:
        return ["question_mark", *_moves(rng, 3), rng.choice(["escape", "q", "question_mark"])]

    def filter_(rng: random.Random) -> list[str]:
        return ["f", *_typed(rng), rng.choice(["enter", "escape", "down"])]

    def enters(rng: random.Random) -> list[str]:
        return ["enter"] * rng.randint(3, 8)

    def random_keys(rng: random.Random) -> list[str]:
        return _singles(rng, rng.randint(3, 15))

    def other(rng: random.Random) -> list[str]:
        return rng.choices(list(OTHER_WRITES), weights=list(OTHER_WRITES.values()))

    return {
        "back": (4, 0.2, back),
        "open": (10, 0.2, open_article),
        "read": (8, 0.3, read),
        "highlight": (8, 0.2, highlight),
        "unhighlight": (3, 0.3, unhighlight),
        "tag": (6, 0.3, tag),
        "note": (6, 0.3, note),
        "jump": (4, 0.3, jump),
        "search": (4, 0.3, search),
        "annotations": (5, 0.3, annotations),
        "palette": (3, 0.5, palette),
        "rename": (1, 0.3, rename),
        "import": (2, 0.2, import_),
        "export": (3, 0.3, export),
        "help": (2, 0.2, help_),
        "filter": (2, 0.3, filter_),
        "enters": (3, 0.7, enters),
        "random": (8, 0.3, random_keys),
        "other": (6, 0.0, other),
    }


BURST = "+"
"""Marks a key pressed right after the one before, without waiting for the screen to
settle (a fast typist, key repeat, a paste): races between screens need it."""


def key_sequence(seed: int, keys: int) -> list[str]:
    """The steps of a run, a function of the seed alone.

    A step is a Textual key name or character, `INBOX`, or an `@` write; a key marked
    with `BURST` is pressed without waiting for the one before it to settle.

    Args:
        seed: Seeds every choice.
        keys: How many keys (the `@` writes are not counted; `INBOX` is one key per
            character typed).
    """
    rng = random.Random(seed)
    gestures = _gestures()
    names = list(gestures)
    weights = [gestures[name][0] for name in names]
    steps: list[str] = []
    counted = 0
    while counted < keys:
        _, burst, gesture = gestures[rng.choices(names, weights)[0]]
        made = gesture(rng)
        if len(made) > 1 and rng.random() < burst:
            made = [made[0], *(BURST + key for key in made[1:])]
        steps += made
        counted += sum(not step.startswith("@") for step in made)
    return steps


# The library ------------------------------------------------------------------------


def write_inbox(folder: Path, seed: int) -> None:
    """Small files to import (plain text and Markdown), typed into the import dialog."""
    rng = random.Random(seed)
    folder.mkdir(parents=True, exist_ok=True)
    words = ("river", "lamp", "stone", "écluse", "風", "ledger", "quiet", "harbour", "ink")
    for number in range(3):
        paragraphs = [
            " ".join(rng.choice(words) for _ in range(rng.randint(8, 40))) + "."
            for _ in range(rng.randint(5, 30))
        ]
        (folder / f"inbox-{number}.txt").write_text(
            f"Inbox article {number}\n\n" + "\n\n".join(paragraphs), encoding="utf-8"
        )
    (folder / "inbox-notes.md").write_text(
        "---\ntitle: Inbox notes\ntags: [inbox]\n---\n\n# Heading\n\n- a list item\n\n"
        "> a quote\n\n```\ncode\n```\n\nA paragraph with *emphasis*.\n",
        encoding="utf-8",
    )


def changing_file(folder: Path, version: int) -> Path:
    """A file whose text changes with every version (its re-import re-anchors)."""
    path = folder / "changing.txt"
    paragraphs = [f"Paragraph {n} of version {version % 5}: the text moves on." for n in range(12)]
    if version % 2:
        paragraphs.insert(version % 7, f"An inserted paragraph, version {version}.")
    path.write_text("Changing article\n\n" + "\n\n".join(paragraphs), encoding="utf-8")
    return path


def prepare_library(workdir: Path, seed: int) -> Path:
    """A library as on first start (the samples), annotated, plus files to import.

    Returns:
        The library file (closed).
    """
    from annotations.export import export_json
    from annotations.models import HIGHLIGHT_COLORS
    from reader.library import open_library

    library = workdir / "library.db"
    write_inbox(workdir / "inbox", seed)
    store = open_library(library)
    rng = random.Random(seed)
    for article in store.list_articles():
        blocks = store.get_blocks(article.id)
        for number in range(min(len(blocks), 6)):
            text = blocks[number].text
            if len(text) < 2:
                continue
            store.add_highlight(
                article.id,
                (number, 0),
                (number, min(len(text), rng.randint(1, 60))),
                color=rng.choice(HIGHLIGHT_COLORS),
                tags=rng.sample(["alpha", "beta", "gamma", "war and peace"], rng.randint(0, 2)),
                note=rng.choice(["", "a note", "two\nlines"]),
            )
    (workdir / "snapshot.json").write_text(export_json(store), encoding="utf-8")
    store.close()
    return library


# The other process ------------------------------------------------------------------


def focus_file(workdir: Path) -> Path:
    """Where the driver says which article the app shows, for the other process to aim at."""
    return workdir / "focus.txt"


def read_focus(workdir: Path) -> str | None:
    """The article the app shows, as the driver last said."""
    try:
        return focus_file(workdir).read_text(encoding="utf-8").strip() or None
    except OSError:
        return None


def write_focus(workdir: Path, article_id: str | None) -> None:
    """Say which article the app shows (atomically: the other process reads it any time)."""
    target = focus_file(workdir)
    temporary = target.with_name(".focus.tmp")
    temporary.write_text(article_id or "", encoding="utf-8")
    os.replace(temporary, target)


class Writes:
    """Writes to a library aimed at an article (the one the app shows), for both writers.

    Args:
        store: A connection of the writer's own.
        workdir: Holds the files to import and the JSON snapshot.
        rng: Seeds the choices.
    """

    def __init__(self, store: AnnotationStore, workdir: Path, rng: random.Random) -> None:
        self.store = store
        self.workdir = workdir
        self.rng = rng
        self.version = 0

    def _article(self, article_id: str | None) -> str | None:
        from annotations.errors import NotFoundError

        if article_id is not None:
            try:
                return self.store.get_article(article_id).id
            except NotFoundError:
                pass
        articles = self.store.list_articles()
        return self.rng.choice(articles).id if articles else None

    def _annotations(self, article_id: str | None) -> list[Annotation]:
        article = self._article(article_id)
        return self.store.list_annotations(article) if article else []

    def add(self, article_id: str | None) -> None:
        """Highlight a passage, with a tag and a note."""
        article = self._article(article_id)
        if article is None:
            return
        blocks = self.store.get_blocks(article)
        number = self.rng.randrange(len(blocks))
        text = blocks[number].text
        if len(text) < 2:
            return
        start = self.rng.randrange(len(text) - 1)
        self.store.add_highlight(
            article,
            (number, start),
            (number, self.rng.randint(start + 1, len(text))),
            tags=self.rng.sample(["alpha", "other", "Δelta"], self.rng.randint(0, 2)),
            note=self.rng.choice(["", "from the other side"]),
        )

    def delete_here(self, annotation_ids: Sequence[str], article_id: str | None) -> None:
        """Delete the given annotations (those under the app's cursor), else one shown."""
        targets = list(annotation_ids) or [a.id for a in self._annotations(article_id)][:1]
        for annotation_id in targets:
            self.store.delete_annotation(annotation_id)

    def delete_shown(self, article_id: str | None) -> None:
        """Delete every annotation of the article shown."""
        for annotation in self._annotations(article_id):
            self.store.delete_annotation(annotation.id)

    def edit_shown(self, article_id: str | None) -> None:
        """Change the note, tags, colour or passage of the article's annotations."""
        from annotations.models import HIGHLIGHT_COLORS

        for annotation in self._annotations(article_id):
            change = self.rng.randrange(4)
            if change == 0:
                self.store.set_note(annotation.id, f"edited elsewhere {self.rng.random():.3f}")
            elif change == 1:
                self.store.set_tags(annotation.id, self.rng.sample(["alpha", "other", "new"], 2))
            elif change == 2:
                self.store.set_color(annotation.id, self.rng.choice(HIGHLIGHT_COLORS))
            else:
                anchor = annotation.anchor
                self.store.move_annotation(
                    annotation.id,
                    (anchor.start_block, 0),
                    (anchor.start_block, max(1, anchor.start_offset)),
                )

    def change_article(self, article_id: str | None) -> None:
        """Replace the article's text by an edited version of it, as a re-import does."""
        from annotations.models import Block, Document

        article = self._article(article_id)
        if article is None:
            return
        found = self.store.get_article(article)
        blocks = self.store.get_blocks(article)
        self.version += 1
        edited = [Block(block.kind, block.text) for block in blocks]
        edited.insert(
            self.rng.randint(0, len(edited)),
            Block(edited[0].kind, f"A paragraph added elsewhere, version {self.version}."),
        )
        if len(edited) > 3 and self.rng.random() < 0.5:
            del edited[self.rng.randrange(len(edited))]
        document = Document(found.title, tuple(edited), source=found.source)
        self.store.import_document(document)

    def delete_article(self, article_id: str | None) -> None:
        """Delete the article shown (the snapshot brings it back)."""
        article = self._article(article_id)
        if article is not None and self.store.count_articles() > 2:
            self.store.delete_article(article)

    def rename_tag(self) -> None:
        """Rename or merge a tag."""
        tags = [tag.name for tag in self.store.list_tags()]
        if tags:
            old = self.rng.choice(tags)
            new = self.rng.choice([*tags, "renamed elsewhere", "alpha"])
            if new.casefold() != old.casefold():
                self.store.rename_tag(old, new)

    def restore(self) -> None:
        """Merge the JSON snapshot back (articles deleted since come back)."""
        from annotations.formats.backup import read_backup
        from annotations.restore import restore

        restore(self.store, read_backup(self.workdir / "snapshot.json"))


def _cli(library: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "reader", "--db", str(library), *args],
        capture_output=True,
        text=True,
        timeout=120,
        stdin=subprocess.DEVNULL,
    )


def churn(
    library: Path, workdir: Path, seed: int, stop: threading.Event, pace: float = 1.0
) -> dict[str, Any]:
    """Change a library until `stop` is set: the other process's work.

    Every step is a store write aimed at the article the app shows, or now and then a
    `reader` command (import of a changing file, JSON export, restore of it).

    Args:
        pace: Stretches the pauses between writes and between commands (2 is half as
            many), to leave the app some of a small machine.

    Returns:
        Counts of what was done, and the errors met (one line each).
    """
    from annotations.errors import NotFoundError
    from annotations.store import AnnotationStore

    rng = random.Random(seed)
    store = AnnotationStore(library)
    store.version()  # the library is open now, its -wal made
    print("ready", flush=True)  # OtherProcess.wait_ready
    writes = Writes(store, workdir, rng)
    done: Counter[str] = Counter()
    errors: list[str] = []
    export = workdir / "churn-export.json"
    commands = 0
    next_command = time.monotonic() + pace * rng.uniform(0.5, 1.5)
    steps: list[tuple[str, int]] = [
        ("add", 25), ("delete_here", 15), ("delete_shown", 4), ("edit_shown", 15),
        ("change_article", 4), ("delete_article", 3), ("rename_tag", 4), ("restore", 3),
    ]  # fmt: skip
    try:
        while not stop.is_set():
            if time.monotonic() >= next_command:
                commands += 1
                kind = ("import", "export", "restore", "import-folder")[commands % 4]
                if kind == "import":
                    done_ = _cli(library, "import", str(changing_file(workdir, commands)))
                elif kind == "import-folder":
                    done_ = _cli(library, "import", str(workdir / "inbox"))
                elif kind == "export":
                    done_ = _cli(library, "export", "--format", "json", "-o", str(export))
                else:
                    source = export if export.exists() else workdir / "snapshot.json"
                    done_ = _cli(library, "restore", str(source))
                done[f"cli {kind}"] += 1
                if done_.returncode != 0:
                    tail = (done_.stderr.strip().splitlines() or ["(no output)"])[-1]
                    errors.append(f"reader {kind} exited {done_.returncode}: {tail}")
                next_command = time.monotonic() + pace * rng.uniform(0.5, 1.5)
                continue
            name = rng.choices([s for s, _ in steps], [w for _, w in steps])[0]
            focus = read_focus(workdir)
            try:
                if name == "delete_here":
                    writes.delete_here([], focus)
                elif name in ("rename_tag", "restore"):
                    getattr(writes, name)()
                else:
                    getattr(writes, name)(focus)
                done[name] += 1
            except (NotFoundError, ValueError):
                # The app, a restore or a re-import changed it first (a passage may now be
                # outside the article's new text): the store refused it, as it should.
                done["raced"] += 1
            except Exception as error:  # reported, for the test to show
                errors.append(f"{name}: {type(error).__name__}: {error}")
            time.sleep(pace * rng.uniform(0.005, 0.04))
    finally:
        store.close()
    return {"t": "churn", "done": dict(done), "errors": errors[:20], "error_count": len(errors)}


class OtherProcess:
    """The churn running in a process of its own, stopped by closing its stdin."""

    def __init__(self, library: Path, workdir: Path, seed: int, pace: float = 1.0) -> None:
        command = ["churn", str(library), str(workdir), str(seed), "--pace", str(pace)]
        self.process = subprocess.Popen(
            [sys.executable, str(SCRIPT), *command],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=os.environ.copy(),
        )

    def wait_ready(self) -> None:
        """Wait until it has the library open (or has ended)."""
        assert self.process.stdout is not None
        self.process.stdout.readline()

    def stop(self) -> dict[str, Any]:
        """Stop it; what it reported (or why it reported nothing)."""
        try:
            out, err = self.process.communicate(input="", timeout=180)
        except subprocess.TimeoutExpired:
            self.process.kill()
            out, err = self.process.communicate()
        for line in reversed(out.splitlines()):
            if line.startswith("{"):
                result: dict[str, Any] = json.loads(line)
                result["returncode"] = self.process.returncode
                return result
        return {
            "t": "churn",
            "done": {},
            "errors": [f"the other process ended with {self.process.returncode}: {err[-500:]}"],
            "error_count": 1,
            "returncode": self.process.returncode,
        }


# Watching the library's files ---------------------------------------------------------


class FileWatch:
    """Polls that the library file and its `-wal` stay the same files (only `stat`, never
    `open()`, which would drop this process's SQLite locks)."""

    def __init__(self, library: Path, interval: float = 0.01) -> None:
        self.files = [library, library.with_name(library.name + "-wal")]
        self.interval = interval
        self.problems: list[str] = []
        self.polls = 0
        self._stop = threading.Event()
        self._first = [self._inode(path) for path in self.files]
        for path, inode in zip(self.files, self._first, strict=True):
            if inode is None:
                self.problems.append(f"{path.name} missing when the app started")
        self._thread = threading.Thread(target=self._run, daemon=True)

    @staticmethod
    def _inode(path: Path) -> int | None:
        try:
            return os.stat(path).st_ino
        except OSError:
            return None

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            self.polls += 1
            for path, first in zip(self.files, self._first, strict=True):
                inode = self._inode(path)
                if inode != first and len(self.problems) < 20:
                    what = "removed" if inode is None else f"replaced (inode {first} -> {inode})"
                    self.problems.append(f"{path.name} {what} while the app had it open")
                    self._first = [self._inode(p) for p in self.files]

    def __enter__(self) -> FileWatch:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join()


def integrity(library: Path) -> str:
    """`PRAGMA integrity_check` of a library, through a read-only connection."""
    conn = sqlite3.connect(f"{library.resolve().as_uri()}?mode=ro", uri=True)
    try:
        rows = [row[0] for row in conn.execute("PRAGMA integrity_check")]
    finally:
        conn.close()
    return "ok" if rows == ["ok"] else "; ".join(rows[:5])


# Driving the app -------------------------------------------------------------------


@dataclass
class Crash:
    """An exception that ended the app (or a hang, or a failed worker)."""

    kind: str
    """The exception's type (for a worker failure, the error inside)."""
    message: str
    where: str
    """The innermost frame: `file:line in function`."""
    reader_frame: str
    """The innermost frame in reader's own code, if any."""
    traceback: str
    recent: list[str]
    """The last steps before it, oldest first."""
    seed: int
    step: int
    """Index of the step it followed."""
    screen: str

    @property
    def signature(self) -> tuple[str, str, str]:
        """What tells two crashes apart: the type, where it was raised, and from where in
        reader's screens."""
        return self.kind, self.where, self.reader_frame


@dataclass
class KeyTime:
    """How long one key took to settle."""

    seconds: float
    key: str
    screen: str
    seed: int
    step: int


@dataclass
class RunReport:
    """What a run saw."""

    seed: int
    keys: int = 0
    writes: int = 0
    """`@` writes by the driver's second connection."""
    restarts: int = 0
    seconds: float = 0.0
    cpu_seconds: float = 0.0
    """CPU time of this process (the app, the driver): on a busy machine, what the keys
    cost apart from waiting for a processor."""
    crashes: list[Crash] = field(default_factory=list)
    worker_errors: list[str] = field(default_factory=list)
    screens: Counter[str] = field(default_factory=Counter)
    slowest: list[KeyTime] = field(default_factory=list)
    slow: list[KeyTime] = field(default_factory=list)
    """Keys (or bursts) that took longer than `HANG_SECONDS` to settle."""
    write_errors: list[str] = field(default_factory=list)
    other: dict[str, Any] = field(default_factory=dict)
    file_problems: list[str] = field(default_factory=list)
    integrity: str = ""
    library_problems: list[str] = field(default_factory=list)

    @property
    def keys_per_second(self) -> float:
        return self.keys / self.seconds if self.seconds else 0.0

    def distinct_crashes(self) -> dict[tuple[str, str, str], list[Crash]]:
        found: dict[tuple[str, str, str], list[Crash]] = {}
        for crash in self.crashes:
            found.setdefault(crash.signature, []).append(crash)
        return found

    def problems(self) -> list[str]:
        """Everything that makes the run fail, one line each."""
        lines = [
            f"{len(crashes)}x {kind} at {where} (from {ui}): {crashes[0].message[:200]}"
            for (kind, where, ui), crashes in self.distinct_crashes().items()
        ]
        lines += [f"worker failed: {line}" for line in self.worker_errors]
        lines += [f"write between keys refused: {line}" for line in self.write_errors]
        lines += self.file_problems
        if self.integrity != "ok":
            lines.append(f"integrity_check: {self.integrity}")
        lines += [f"library: {line}" for line in self.library_problems]
        lines += [f"other process: {line}" for line in self.other.get("errors", [])]
        if self.other.get("returncode", 0) != 0:
            lines.append(f"other process exited {self.other.get('returncode')}")
        return lines

    def summary(self) -> str:
        """The figures of the run, a few lines."""
        slow = self.slowest[0] if self.slowest else None
        slowest = f"{slow.seconds * 1000:.0f} ms ({slow.key!r} on {slow.screen})" if slow else "-"
        done = self.other.get("done", {})
        return "\n".join(
            [
                f"seed {self.seed}: {self.keys} keys + {self.writes} writes in "
                f"{self.seconds:.1f} s ({self.keys_per_second:.0f} keys/s; "
                f"{self.keys / max(self.cpu_seconds, 0.001):.0f} keys per CPU second), "
                f"{self.restarts} restarts, {len(self.crashes)} crashes "
                f"({len(self.distinct_crashes())} distinct), {len(self.slow)} keys over "
                f"{HANG_SECONDS:.0f} s, slowest {slowest}",
                f"  screens: {dict(self.screens.most_common())}",
                f"  other process: {sum(done.values())} writes {done}, "
                f"{self.other.get('error_count', 0)} errors {self.other.get('errors', [])[:3]}",
                f"  writes between keys: {self.writes}, refused: {self.write_errors[:3]}",
                f"  integrity_check: {self.integrity}; wal watch: "
                f"{'; '.join(self.file_problems) or 'same file throughout'}",
            ]
        )

    def explain(self) -> str:
        """The seed, and each distinct crash with its last keys and traceback tail."""
        parts = [self.summary()]
        for (kind, where, _), crashes in self.distinct_crashes().items():
            crash = crashes[0]
            parts.append(
                f"\n{kind} ({len(crashes)}x) at {where}, reader frame {crash.reader_frame}\n"
                f"  {crash.message[:300]}\n"
                f"  reproduce: READER_FUZZ_SEED={crash.seed}, step {crash.step}, "
                f"screen {crash.screen}\n"
                f"  last {len(crash.recent)} steps: {' '.join(crash.recent)}\n" + crash.traceback
            )
        parts += [f"\nproblem: {line}" for line in self.problems()]
        return "\n".join(parts)


def _frame(summary: traceback.FrameSummary) -> str:
    """A frame as `file:line in function`, the file relative to the project or site-packages."""
    name = summary.filename
    if "site-packages" + os.sep in name:
        name = name.split("site-packages" + os.sep, 1)[1]
    elif name.startswith(str(REPO)):
        name = os.path.relpath(name, REPO)
    return f"{name}:{summary.lineno} in {summary.name}"


def _ours(frame: traceback.FrameSummary) -> bool:
    name = frame.filename
    return name.startswith(str(REPO)) and not name.startswith(str(REPO / "tests"))


def crash_of(
    error: BaseException, recent: Sequence[str], seed: int, step: int, screen: str
) -> Crash:
    """A crash record of an exception (for a failed worker, of the error inside it)."""
    inner = getattr(error, "error", None)
    shown = inner if isinstance(inner, BaseException) else error
    frames = traceback.extract_tb(shown.__traceback__)
    ui = [f for f in frames if _ours(f) and f"{os.sep}reader{os.sep}" in f.filename]
    kind = type(shown).__name__
    if shown is not error:
        kind = f"{type(error).__name__}({kind})"
    # Our frames and the last few of Textual's: the whole chain is mostly Textual's dispatch.
    kept = [f for n, f in enumerate(frames) if _ours(f) or n >= len(frames) - 3]
    lines = [f"  {_frame(f)}\n    {(f.line or '').strip()}\n" for f in kept]
    lines.append(f"{type(shown).__name__}: {shown}\n")
    return Crash(
        kind=kind,
        message=str(shown),
        where=_frame(frames[-1]) if frames else "?",
        reader_frame=_frame(ui[-1]) if ui else "-",
        traceback="".join(lines),
        recent=list(recent),
        seed=seed,
        step=step,
        screen=screen,
    )


def _key_event(key: str) -> Any:
    """The Key event Textual's Pilot sends for a key name or a character."""
    import unicodedata

    from textual import events
    from textual.keys import REPLACED_KEYS, _character_to_key, _get_unicode_name_from_key

    if len(key) == 1 and not key.isalnum():
        key = _character_to_key(key)
    original = REPLACED_KEYS.get(key, key)
    try:
        char: str | None = unicodedata.lookup(_get_unicode_name_from_key(original))
    except KeyError:
        char = key if len(key) == 1 else None
    return events.Key(key, char)


async def settle(app: ReaderApp, timeout: float) -> None:
    """Wait until the app and every widget of its screen have no message left to handle.

    Pilot's `press` also waits for the process to be idle (at least two 20 ms sleeps a
    key), which caps it at about 13 keys a second here; this waits on the queues only.
    """
    from textual.pilot import Pilot

    pilot = Pilot(app)
    deadline = time.monotonic() + timeout
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            raise TimeoutError
        await pilot._wait_for_screen(timeout=left)
        await asyncio.sleep(0)
        if app._exception is not None or not app.is_running:
            return
        try:
            nodes = [app, *app.screen.walk_children(with_self=True)]
        except Exception:  # the screen stack is empty while the app closes
            return
        if all(node._message_queue.empty() for node in nodes):
            return


def shown_article(app: ReaderApp) -> tuple[str | None, list[str]]:
    """What the app shows, for the `@` writes to aim at: an article (open, or under the
    library's cursor) and the annotations under the cursor (of the article, or of the
    annotations list)."""
    from textual.screen import ModalScreen

    from reader.screens.annotations import AnnotationsScreen
    from reader.screens.article import ArticleScreen
    from reader.screens.library import LibraryScreen

    screen = next((s for s in reversed(app.screen_stack) if not isinstance(s, ModalScreen)), None)
    try:
        if isinstance(screen, ArticleScreen):
            return screen.article_id, [a.id for a in screen.view.annotations_at_cursor()]
        if isinstance(screen, LibraryScreen):
            return screen.table.selected_id, []
        if isinstance(screen, AnnotationsScreen):
            entry = screen.listing.selected
            if entry is not None:
                return entry.annotation.article_id, [entry.annotation.id]
    except Exception:  # the screen is being built or replaced: aim anywhere
        pass
    return None, []


class Driver:
    """Presses a run's steps into the app, restarting it when it quits or crashes.

    Args:
        workdir: Holds the library (`library.db`), the files to import and the snapshot.
        seed: The run's seed (for the `@` writes and the report).
        report: Receives the figures.
        on_crash: Called with each crash as it is found.
    """

    def __init__(
        self,
        workdir: Path,
        seed: int,
        report: RunReport,
        on_crash: Callable[[Crash], None] | None = None,
    ) -> None:
        from annotations.store import AnnotationStore

        self.workdir = workdir
        self.library = workdir / "library.db"
        self.seed = seed
        self.report = report
        self.on_crash = on_crash or (lambda crash: None)
        self.store = AnnotationStore(self.library)
        self.other = AnnotationStore(self.library)
        self.writes = Writes(self.other, workdir, random.Random(seed + 1))
        self.recent: deque[str] = deque(maxlen=RECENT)
        self.focus: str | None = None
        self.times: list[KeyTime] = []

    def close(self) -> None:
        self.other.close()
        self.store.close()

    def _new_app(self) -> ReaderApp:
        from rich.console import Console

        from reader.app import ReaderApp

        app = ReaderApp(self.store, export_folder=self.workdir / "exports")
        # Textual prints the tracebacks of a crash as the app closes (and of the errors
        # the keys still queued then cause); the report shows the first one, shortly.
        app.error_console = Console(file=io.StringIO(), stderr=False)
        manager = app.workers
        remove = manager._remove_worker

        def removed(worker: Any) -> None:
            # Workers that do not end the app on error (exit_on_error=False) fail silently.
            if worker.state.name == "ERROR" and len(self.report.worker_errors) < 50:
                self.report.worker_errors.append(f"{worker.name}: {worker.error!r}")
            remove(worker)

        manager._remove_worker = removed
        return app

    def _write(self, step: str, app: ReaderApp) -> None:
        """One `@` write through the second connection, aimed at what the app shows."""
        from annotations.errors import NotFoundError

        article, here = shown_article(app)
        try:
            if step == "@delete-here":
                self.writes.delete_here(here, article)
            elif step == "@delete-shown":
                self.writes.delete_shown(article)
            elif step == "@edit-shown":
                self.writes.edit_shown(article)
            elif step == "@change-article":
                self.writes.change_article(article)
            elif step == "@delete-article":
                self.writes.delete_article(article)
            elif step == "@rename-tag":
                self.writes.rename_tag()
            elif step == "@restore":
                self.writes.restore()
        except (NotFoundError, ValueError):
            pass  # the app changed it first (or moved its text): refused, as it should be
        except Exception as error:  # a write refused otherwise is a finding of its own
            self.report.write_errors.append(f"{step}: {type(error).__name__}: {error}")

    async def run(self, steps: Sequence[str]) -> None:
        """Press every step, restarting the app as needed."""
        index = 0
        started = time.perf_counter()
        cpu = time.process_time()
        while index < len(steps):
            app = self._new_app()
            index = await self._run_app(app, steps, index)
            if index < len(steps):
                self.report.restarts += 1
        self.report.seconds = time.perf_counter() - started
        self.report.cpu_seconds = time.process_time() - cpu
        self.times.sort(key=lambda t: -t.seconds)
        self.report.slowest = self.times[:10]

    async def _run_app(self, app: ReaderApp, steps: Sequence[str], index: int) -> int:
        """Run one app until the steps end, it quits, or it crashes; the next step's index."""
        crashed: Crash | None = None
        self.last_screen = "LibraryScreen"
        try:
            async with app.run_test(size=SIZE):
                await settle(app, GIVE_UP_SECONDS)
                while index < len(steps) and app.is_running and app._exception is None:
                    step = steps[index]
                    index += 1
                    self.recent.append(step)
                    if step.startswith("@"):
                        self.report.writes += 1
                        self._write(step, app)
                        continue
                    # The keys of a burst are posted one after the other, then settled.
                    burst = [step]
                    while index < len(steps) and steps[index].startswith(BURST):
                        burst.append(steps[index])
                        self.recent.append(steps[index])
                        index += 1
                    crashed = await self._press(app, burst, index - 1)
                    if crashed is None:
                        crashed = self._blank(app, index - 1)
                    if crashed is not None:
                        break
                    self._note_screen(app)
                if crashed is not None:
                    app.exit(return_code=2)
        except Exception as error:  # run_test re-raises the app's first exception
            if app._exception is None and crashed is None:
                crashed = crash_of(error, self.recent, self.seed, index - 1, "closing")
        if app._exception is not None:
            crashed = crash_of(app._exception, self.recent, self.seed, index - 1, self.last_screen)
        if crashed is not None:
            self.report.crashes.append(crashed)
            self.on_crash(crashed)
        return index

    last_screen = "LibraryScreen"
    """The screen shown after the last key settled."""

    def _blank(self, app: ReaderApp, step: int) -> Crash | None:
        """A crash if the app is left on Textual's empty default screen (the library was
        popped): nothing is shown and no key but ctrl+q and ctrl+p does anything."""
        from textual.screen import Screen

        if not app.is_running or app._exception is not None:
            return None
        stack = app.screen_stack
        if len(stack) != 1 or type(stack[0]) is not Screen:
            return None
        return self._no_traceback(
            "BlankScreen", "the library screen was popped: the app shows an empty screen", step
        )

    def _no_traceback(self, kind: str, message: str, step: int) -> Crash:
        """A failure seen on the screen, not raised: where the app was, what came before."""
        return Crash(
            kind=kind,
            message=message,
            where=self.last_screen,
            reader_frame="-",
            traceback="",
            recent=list(self.recent),
            seed=self.seed,
            step=step,
            screen=self.last_screen,
        )

    async def _press(self, app: ReaderApp, burst: Sequence[str], step: int) -> Crash | None:
        """Press keys (one, or a burst), wait until the screen settles; a hang is a crash."""
        inbox = str(self.workdir / "inbox")
        keys = [
            key
            for step_ in burst
            for key in (list(inbox) if step_.lstrip(BURST) == INBOX else [step_.lstrip(BURST)])
        ]
        self.report.keys += len(keys)
        label = " ".join(burst) if len(burst) < 6 else f"{burst[0]} … {burst[-1]}"
        began = time.perf_counter()
        try:
            for key in keys:
                if not app.is_running or app._exception is not None:
                    return None
                event = _key_event(key)
                event.set_sender(app)
                await app._post_message(event)
            await settle(app, GIVE_UP_SECONDS)
        except TimeoutError:
            return self._no_traceback(
                "Hang", f"the screen did not settle within {GIVE_UP_SECONDS:.0f} s", step
            )
        if app._exception is not None:
            return None  # Textual's rendering of the crash took the time, not the key
        took = time.perf_counter() - began
        timing = KeyTime(took, label, self.last_screen, self.seed, step)
        self.times.append(timing)
        if len(self.times) > 2000:
            self.times.sort(key=lambda t: -t.seconds)
            del self.times[10:]
        if took > HANG_SECONDS:
            self.report.slow.append(timing)
        return None

    def _note_screen(self, app: ReaderApp) -> None:
        if not app.is_running:
            return  # closing (quit): its screens are being taken down
        try:
            name = type(app.screen).__name__
        except Exception:  # no screen while the app closes
            return
        self.last_screen = name
        self.report.screens[name] += 1
        article, _ = shown_article(app)
        if article != self.focus:
            self.focus = article
            write_focus(self.workdir, article)


async def run_pilot(
    workdir: Path,
    seed: int,
    keys: int,
    *,
    other_process: bool = True,
    pace: float = 1.0,
    on_crash: Callable[[Crash], None] | None = None,
) -> RunReport:
    """One run: a library in `workdir`, the keys of a seed, the other process meanwhile.

    Returns:
        The report; `report.problems()` is empty when reader held up.
    """
    from tests.reliability.test_crashes import library_problems

    workdir.mkdir(parents=True, exist_ok=True)
    library = prepare_library(workdir, seed)
    write_focus(workdir, None)
    report = RunReport(seed)
    driver = Driver(workdir, seed, report, on_crash)
    other = OtherProcess(library, workdir, seed, pace) if other_process else None
    if other is not None:
        other.wait_ready()
    try:
        # Paths typed into the import and export dialogs are relative to the working folder.
        with FileWatch(library) as watch, contextlib.chdir(workdir):
            await driver.run(key_sequence(seed, keys))
        report.file_problems = watch.problems
    finally:
        if other is not None:
            report.other = other.stop()
        report.integrity = integrity(library)
        driver.close()
    report.library_problems = library_problems(library)
    return report


# Shrinking a crash -----------------------------------------------------------------


def replays(template: Path, steps: Sequence[str], crash: Crash, scratch: Path) -> bool:
    """Whether the steps crash the app, the same way, on a fresh copy of a library (no
    other process)."""
    shutil.rmtree(scratch, ignore_errors=True)
    shutil.copytree(template, scratch)
    report = RunReport(crash.seed)
    driver = Driver(scratch, crash.seed, report)
    try:
        with contextlib.chdir(scratch):
            asyncio.run(driver.run(list(steps)))
    finally:
        driver.close()
    return any(found.signature == crash.signature for found in report.crashes)


def replay(workdir: Path, seed: int, steps: Sequence[str]) -> RunReport:
    """Press steps on a fresh library (no other process), as `replay` on the command line."""
    workdir.mkdir(parents=True, exist_ok=True)
    prepare_library(workdir, seed)
    report = RunReport(seed)
    driver = Driver(workdir, seed, report)
    try:
        with contextlib.chdir(workdir):
            asyncio.run(driver.run(list(steps)))
        report.integrity = integrity(workdir / "library.db")
    finally:
        driver.close()
    return report


def reduce(crash: Crash, workdir: Path, budget: float = 120.0) -> list[str] | None:
    """The shortest steps found that still crash the same way (delta debugging).

    Starts from the last steps before the crash, on a fresh library without the other
    process; returns None if they do not crash it so (the other process was needed).
    """
    template = workdir / "template"
    if not template.exists():
        template.mkdir(parents=True)
        prepare_library(template, crash.seed)
    scratch = workdir / "scratch"
    steps = list(crash.recent)
    if not replays(template, steps, crash, scratch):
        return None
    deadline = time.monotonic() + budget
    chunks = 2
    while len(steps) > 1 and time.monotonic() < deadline:
        size = max(1, len(steps) // chunks)
        for start in range(0, len(steps), size):
            candidate = steps[:start] + steps[start + size :]
            if candidate and replays(template, candidate, crash, scratch):
                steps = candidate
                chunks = max(chunks - 1, 2)
                break
        else:
            if size == 1:
                break
            chunks = min(len(steps), chunks * 2)
    return steps


# Findings --------------------------------------------------------------------------


SIGNATURE = "<!-- crash: "
"""Starts the line of a findings file that names a crash's signature."""


class Findings:
    """Distinct crashes, appended to a Markdown file as they are found, then shrunk.

    Args:
        path: The file (None: only print a line per distinct crash).
        workdir: Scratch space for the replays that shrink a crash.
        shrink: Whether `shrink_pending` shrinks crashes (a few replays each).
    """

    def __init__(self, path: Path | None, workdir: Path, shrink: bool) -> None:
        self.path = path
        self.workdir = workdir
        self.shrink = shrink
        self.seen: Counter[tuple[str, str, str]] = Counter()
        self.pending: list[Crash] = []
        if path is not None and path.exists():
            # Crashes the file names already (from an earlier run) are not written again.
            for line in path.read_text(encoding="utf-8").splitlines():
                if line.startswith(SIGNATURE):
                    kind, where, ui = line[len(SIGNATURE) : -len(" -->")].split(" | ")
                    self.seen[(kind, where, ui)] += 1
        self.known = set(self.seen)

    def __call__(self, crash: Crash) -> None:
        """Take a crash; a new kind is written at once."""
        self.seen[crash.signature] += 1
        if self.seen[crash.signature] > 1:
            return
        kind, where, ui = crash.signature
        print(f"  crash: {crash.kind} at {crash.where} (from {crash.reader_frame}), "
              f"seed {crash.seed} step {crash.step}", flush=True)  # fmt: skip
        self.pending.append(crash)
        self._write(
            f"\n## {crash.kind} at {crash.where}\n\n{SIGNATURE}{kind} | {where} | {ui} -->\n"
            f"- from reader: {crash.reader_frame}\n"
            f"- seed {crash.seed}, step {crash.step}, on {crash.screen}\n"
            f"- message: `{crash.message[:300]}`\n"
            f"- last {len(crash.recent)} steps: `{' '.join(crash.recent)}`\n\n"
            f"```\n{crash.traceback.rstrip()}\n```\n"
        )

    def shrink_pending(self) -> None:
        """Shrink the crashes found since the last call (outside the app's event loop)."""
        pending, self.pending = self.pending, []
        if not self.shrink:
            return
        for crash in pending:
            if crash.kind == "Hang":
                continue
            shortest = reduce(crash, self.workdir / "reduce")
            if shortest is None:
                found = "not reproduced from its last steps without the other process"
            else:
                found = f"`{' '.join(shortest)}`"
            print(f"  shrunk {crash.kind} at {crash.where}: {found}", flush=True)
            self._write(
                f"\n- shortest steps for {crash.kind} at {crash.where} (from "
                f"{crash.reader_frame}), fresh sample library, no other process: {found}\n"
            )

    def _write(self, text: str) -> None:
        if self.path is not None:
            with self.path.open("a", encoding="utf-8") as out:
                out.write(text)


# The real terminal -----------------------------------------------------------------

KEY_BYTES: dict[str, bytes] = {
    "enter": b"\r", "escape": b"\x1b", "tab": b"\t", "backspace": b"\x7f",
    "space": b" ", "up": b"\x1b[A", "down": b"\x1b[B", "right": b"\x1b[C",
    "left": b"\x1b[D", "home": b"\x1b[H", "end": b"\x1b[F", "pageup": b"\x1b[5~",
    "pagedown": b"\x1b[6~", "delete": b"\x1b[3~", "ctrl+p": b"\x10", "ctrl+s": b"\x13",
    "ctrl+q": b"\x11", "ctrl+c": b"\x03", "slash": b"/", "question_mark": b"?",
    "number_sign": b"#", "colon": b":", "left_square_bracket": b"[",
    "right_square_bracket": b"]",
}  # fmt: skip
"""What a terminal sends for a key (xterm)."""
TRACEBACK = re.compile(rb"Traceback|Error: |Exception")
ANSI = re.compile(
    rb"\x1b\[[0-9;?<>=$]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(\x07|\x1b\\)|\x1b[()][0-9A-B]"
)


FRAME = re.compile(r"(\S+\.py):(\d+) in (\w+)")
ERROR_LINE = re.compile(r"^([A-Z]\w+): (.+)$")


def last_error(screen: str) -> str:
    """The exception and its innermost frame, from a traceback Textual printed."""
    lines = [line.strip(" │") for line in screen.splitlines()[-300:]]
    errors = [line for line in lines if ERROR_LINE.match(line)]
    frames = [match for line in lines for match in FRAME.finditer(line)]
    where = ""
    if frames:
        path, line, function = frames[-1].groups()
        where = f" at {path.split('site-packages/')[-1]}:{line} in {function}"
    return (errors[-1] if errors else "no exception shown") + where


def key_bytes(key: str) -> bytes:
    """The bytes a terminal sends for a key name or a character."""
    if key in KEY_BYTES:
        return KEY_BYTES[key]
    if key.startswith("ctrl+") and len(key) == 6:
        return bytes([ord(key[-1]) & 0x1F])
    return key.encode("utf-8")


@dataclass
class PtyReport:
    """What the terminal run saw."""

    seed: int
    keys: int = 0
    restarts: int = 0
    seconds: float = 0.0
    crashes: list[str] = field(default_factory=list)
    slowest: list[tuple[float, str]] = field(default_factory=list)
    slow: list[tuple[float, str]] = field(default_factory=list)
    other: dict[str, Any] = field(default_factory=dict)
    file_problems: list[str] = field(default_factory=list)
    integrity: str = ""

    def summary(self) -> str:
        slow = self.slowest[0] if self.slowest else (0.0, "-")
        done = self.other.get("done", {})
        return (
            f"pty seed {self.seed}: {self.keys} keys in {self.seconds:.1f} s, "
            f"{self.restarts} restarts, {len(self.crashes)} crashes, {len(self.slow)} keys "
            f"not settled within {HANG_SECONDS:.0f} s, slowest {slow[0] * 1000:.0f} ms "
            f"({slow[1]!r}); other process {sum(done.values())} writes, "
            f"{self.other.get('error_count', 0)} errors; integrity_check: {self.integrity}; "
            f"wal watch: {'; '.join(self.file_problems) or 'same file throughout'}"
        )


class Terminal:
    """`reader --db LIB` in a pseudo-terminal of a fixed size."""

    def __init__(self, library: Path, env: dict[str, str], size: tuple[int, int]) -> None:
        import fcntl
        import pty
        import struct
        import termios

        columns, lines = size
        self.master, slave = pty.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", lines, columns, 0, 0))
        self.process = subprocess.Popen(
            [sys.executable, "-m", "reader", "--db", str(library)],
            stdin=slave,
            stdout=slave,
            stderr=slave,
            env=env,
            cwd=library.parent,
            start_new_session=True,
            close_fds=True,
        )
        os.close(slave)
        os.set_blocking(self.master, False)
        self.output = bytearray()

    def read(self, seconds: float) -> int:
        """Read what the app wrote within `seconds`; how many bytes."""
        import select

        got = 0
        end = time.monotonic() + seconds
        while True:
            left = end - time.monotonic()
            if left <= 0:
                return got
            ready, _, _ = select.select([self.master], [], [], left)
            if not ready:
                return got
            try:
                chunk = os.read(self.master, 65536)
            except OSError:  # the app ended: the pty is closed
                return got
            if not chunk:
                return got
            got += len(chunk)
            self.output += chunk
            del self.output[:-200_000]

    def settle(self, quiet: float, limit: float) -> float:
        """Read until the app writes nothing for `quiet` seconds; how long that took."""
        began = time.monotonic()
        while time.monotonic() - began < limit:
            if self.read(quiet) == 0:
                break
        return time.monotonic() - began

    def send(self, data: bytes) -> None:
        with contextlib.suppress(OSError):
            os.write(self.master, data)

    def close(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()
        os.close(self.master)

    def text(self) -> str:
        return ANSI.sub(b"", bytes(self.output)).decode("utf-8", "replace")


def run_pty(workdir: Path, seed: int, keys: int, *, other_process: bool = True) -> PtyReport:
    """Random key bytes into `reader` in a real pseudo-terminal, while another process writes."""
    workdir.mkdir(parents=True, exist_ok=True)
    library = prepare_library(workdir, seed)
    write_focus(workdir, None)
    env = {
        **os.environ,
        "TERM": "xterm-256color",
        "COLUMNS": str(SIZE[0]),
        "LINES": str(SIZE[1]),
        "READER_EXPORT_DIR": str(workdir / "exports"),
    }
    env.pop("TEXTUAL", None)
    report = PtyReport(seed)
    inbox = str(workdir / "inbox")
    steps = [step for step in key_sequence(seed, keys) if not step.startswith("@")]
    other = OtherProcess(library, workdir, seed) if other_process else None
    times: list[tuple[float, str]] = []
    recent: deque[str] = deque(maxlen=RECENT)
    began = time.monotonic()
    terminal = Terminal(library, env, SIZE)
    terminal.settle(0.3, 10)
    watching = contextlib.ExitStack()
    if other is not None:
        # The other process keeps the library open throughout, so its WAL must stay the
        # same file across the app's restarts too (from when it has opened it).
        other.wait_ready()
        watch = watching.enter_context(FileWatch(library))
    try:
        for number, step in enumerate(steps):
            key = step.lstrip(BURST)
            recent.append(step)
            typed = list(inbox) if key == INBOX else [key]
            report.keys += len(typed)
            terminal.send(b"".join(key_bytes(one) for one in typed))
            if number + 1 < len(steps) and steps[number + 1].startswith(BURST):
                continue  # the next key follows at once
            # A lone escape waits for a sequence that may follow: give it time.
            took = terminal.settle(0.06 if key == "escape" else 0.03, GIVE_UP_SECONDS)
            times.append((took, step))
            if took > HANG_SECONDS:
                report.slow.append((took, step))
            code = terminal.process.poll()
            if code is None:
                continue
            terminal.read(0.2)
            screen = terminal.text()
            if code != 0 or TRACEBACK.search(screen.encode()):
                report.crashes.append(
                    f"exit {code}: {last_error(screen)}; after {' '.join(recent)}"
                )
            report.restarts += 1
            terminal.close()
            terminal = Terminal(library, env, SIZE)
            terminal.settle(0.3, 10)
    finally:
        terminal.send(KEY_BYTES["ctrl+q"])
        terminal.settle(0.3, 5)
        terminal.close()
        watching.close()
        if other is not None:
            report.file_problems = watch.problems
            report.other = other.stop()
    report.seconds = time.monotonic() - began
    report.slowest = sorted(times, reverse=True)[:10]
    report.integrity = integrity(library)
    return report


# The script ------------------------------------------------------------------------


def isolate(home: Path) -> None:
    """Point every user folder (library, exports, cache, screenshots) at a scratch folder."""
    home.mkdir(parents=True, exist_ok=True)
    os.environ.update(
        {
            "HOME": str(home),
            "XDG_DATA_HOME": str(home / ".local" / "share"),
            "XDG_CONFIG_HOME": str(home / ".config"),
            "XDG_CACHE_HOME": str(home / ".cache"),
            "XDG_DOCUMENTS_DIR": str(home / "Documents"),
            "READER_DB": str(home / "library.db"),
            "READER_EXPORT_DIR": str(home / "exports"),
        }
    )


def _pilot_runs(args: argparse.Namespace, root: Path) -> list[RunReport]:
    seeds = [int(seed) for seed in args.seeds.split(",")]
    findings = Findings(Path(args.findings) if args.findings else None, root, args.reduce)
    per_seed = max(1, args.keys // len(seeds))
    reports = []
    for seed in seeds:
        report = asyncio.run(
            run_pilot(
                root / f"seed-{seed}",
                seed,
                per_seed,
                other_process=not args.no_churn,
                on_crash=findings,
            )
        )
        print(report.summary(), flush=True)
        findings.shrink_pending()
        reports.append(report)
    return reports


def _print_totals(reports: Sequence[RunReport]) -> None:
    keys = sum(r.keys for r in reports)
    seconds = sum(r.seconds for r in reports)
    crashes = [c for r in reports for c in r.crashes]
    distinct = {c.signature for c in crashes}
    times = sorted((t for r in reports for t in r.slowest), key=lambda t: -t.seconds)
    print(
        f"\nTOTAL pilot: {keys} keys over seeds {[r.seed for r in reports]} in {seconds:.0f} s "
        f"({keys / seconds if seconds else 0:.0f} keys/s); crashes {len(crashes)} "
        f"({len(distinct)} distinct); restarts {sum(r.restarts for r in reports)}; "
        f"keys over {HANG_SECONDS:.0f} s: {sum(len(r.slow) for r in reports)}; "
        f"integrity {sorted({r.integrity for r in reports})}; "
        f"wal problems {sum(len(r.file_problems) for r in reports)}"
    )
    for timing in times[:5]:
        print(
            f"  slow key: {timing.seconds * 1000:.0f} ms {timing.key!r} on {timing.screen} "
            f"(seed {timing.seed}, step {timing.step})"
        )
    for signature in sorted(distinct):
        count = sum(c.signature == signature for c in crashes)
        kind, where, ui = signature
        print(f"  crash {count}x {kind} at {where} (from {ui})")


def main(argv: Sequence[str]) -> int:
    """Run the script's commands (see the module's docstring)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    for name in ("pilot", "all"):
        command = commands.add_parser(name)
        command.add_argument("--keys", type=int, default=100_000)
        command.add_argument("--seeds", default="1,2,3,4,5")
        command.add_argument("--findings", help="append distinct crashes to this file")
        command.add_argument("--reduce", action="store_true", help="shrink each crash's keys")
        command.add_argument("--no-churn", action="store_true", help="no other process")
        command.add_argument("--pty-keys", type=int, default=3000)
        command.add_argument("--keep", action="store_true", help="keep the scratch folder")
    pty_command = commands.add_parser("pty")
    pty_command.add_argument("--keys", type=int, default=3000)
    pty_command.add_argument("--seed", type=int, default=1)
    pty_command.add_argument("--no-churn", action="store_true")
    pty_command.add_argument("--keep", action="store_true")
    replay_command = commands.add_parser("replay")
    replay_command.add_argument("steps", nargs="+", help="steps as the report shows them")
    replay_command.add_argument("--seed", type=int, default=1, help="seeds the library")
    replay_command.add_argument("--keep", action="store_true")
    replay_command.add_argument("--findings", help="append its crashes to this file")
    churn_command = commands.add_parser("churn")
    churn_command.add_argument("library", type=Path)
    churn_command.add_argument("workdir", type=Path)
    churn_command.add_argument("seed", type=int)
    churn_command.add_argument("--pace", type=float, default=1.0)
    args = parser.parse_args(argv)

    if args.command == "churn":
        stop = threading.Event()

        def wait_for_eof() -> None:
            sys.stdin.read()
            stop.set()

        threading.Thread(target=wait_for_eof, daemon=True).start()
        print(json.dumps(churn(args.library, args.workdir, args.seed, stop, args.pace)), flush=True)
        return 0

    root = Path(tempfile.mkdtemp(prefix="reader-fuzz-"))
    isolate(root / "home")
    print(f"scratch folder: {root}", flush=True)
    failed = False
    try:
        if args.command in ("pilot", "all"):
            reports = _pilot_runs(args, root)
            _print_totals(reports)
            failed = any(r.problems() for r in reports)
        if args.command == "replay":
            report = replay(root / "replay", args.seed, " ".join(args.steps).split())
            findings = Findings(Path(args.findings) if args.findings else None, root, False)
            for crash in report.crashes:
                findings(crash)
            print(report.explain() if report.crashes else f"no crash: {report.summary()}")
            failed = bool(report.crashes)
        if args.command in ("pty", "all"):
            seed = args.seed if args.command == "pty" else 1
            keys = args.keys if args.command == "pty" else args.pty_keys
            report = run_pty(root / f"pty-{seed}", seed, keys, other_process=not args.no_churn)
            print(report.summary())
            for crash in report.crashes:
                print("  crash:", crash)
            failed = failed or bool(report.crashes or report.file_problems)
            failed = failed or report.integrity != "ok"
    finally:
        if not args.keep:
            shutil.rmtree(root, ignore_errors=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
