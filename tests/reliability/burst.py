"""Bursts of annotation writes in separate processes, each reported once it returned.

A burst is a seeded random run of writes to one library through `AnnotationStore`:
highlights with tags and notes, note, tag, colour and passage changes, deletions, tag
renames and merges, and now and then the import of a long article. Before each write
the burst reports what it is about to do and the state that write must leave
(a `begin` line); once the store has returned, a `done` line. So whoever watches the
lines knows every change the burst was told was saved, and the one write in flight.

`Ledger` replays those lines and checks a library against them. Run as a script:

    python tests/reliability/burst.py run LIBRARY SEED OPS PREFIX [DELAY]
        One burst, lines on stdout, then exit 0 (exit 1 with an `error` line).
    python tests/reliability/burst.py serve LIBRARY
        Read `SEED OPS PREFIX` lines on stdin; fork one burst per line and report
        `pid` and, once it has ended, `exit` with its wait status. Forking from a
        process that has imported the store already makes a burst start in
        milliseconds, so many can be killed at random moments cheaply.
    python tests/reliability/burst.py hold LIBRARY SECONDS|released
        Hold the library's write lock for that long (as a long import does), or, with
        `released`, until a line (or the end of input) comes on stdin.
    python tests/reliability/burst.py open COUNT LIBRARY...
        For each library in turn, fork COUNT processes that open it at the same instant
        (as when the app and a command start on a new library together); report how
        each one ended.
"""

from __future__ import annotations

import json
import os
import random
import sqlite3
import sys
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from annotations.models import (
    HIGHLIGHT_COLORS,
    Annotation,
    Block,
    BlockKind,
    Document,
    content_hash,
)
from annotations.store import AnnotationStore

BURST = Path(__file__).resolve()
"""This script, to run in a process of its own."""

State = dict[str, Any]
"""What an annotation must hold: article, anchor positions, colour, note, sorted tags."""

Emit = Callable[[dict[str, Any]], None]

NOTES = (
    "",
    "Plain note.",
    "A *Markdown* note with [a link](https://example.invalid) and `code`.",
    "Quotes \"double\" and 'single', a back\\slash and a tab\there.",
    "Search syntax as text: NEAR(a b) AND OR NOT * ^ - : ( )",
    "Two lines\nof note, the second one longer than the first.",
    "Écrit à la main — ümlauts, 中文的笔记, emoji 🎉 and a ZWJ 👩\u200d🔬.",
    "<b>not markup</b> &amp; {{ braces }} $dollar",
)
TAG_WORDS = ("alpha", "Beta", "gamma", "Δelta", "ärger", "war and peace")


def tag_vocabulary(prefix: str) -> list[str]:
    """The tags a burst starts with; every burst's tags carry its own prefix."""
    return [f"{prefix}-{word}" for word in TAG_WORDS]


def state_of(annotation: Annotation) -> State:
    """The checked state of a stored annotation."""
    anchor = annotation.anchor
    return {
        "article": annotation.article_id,
        "anchor": [anchor.start_block, anchor.start_offset, anchor.end_block, anchor.end_offset],
        "color": annotation.color,
        "note": annotation.note,
        "tags": sorted(annotation.tags),
    }


def paragraphs(rng: random.Random, count: int, label: str) -> tuple[Block, ...]:
    """Invented paragraphs of varied length and script."""
    words = ("river", "lamp", "stone", "écluse", "風", "ledger", "quiet", "harbour", "ink")
    blocks = []
    for number in range(count):
        body = " ".join(rng.choice(words) for _ in range(rng.randint(6, 60)))
        blocks.append(Block(BlockKind.PARAGRAPH, f"{label} {number}: {body}."))
    return tuple(blocks)


def write_book(path: Path, megabytes: float, seed: int) -> None:
    """An invented long book: chapters of paragraphs."""
    rng = random.Random(seed)
    words = ("river", "lamp", "stone", "écluse", "ledger", "quiet", "harbour", "ink", "雨")
    parts, size, chapter = [], 0, 0
    while size < megabytes * 1_000_000:
        chapter += 1
        parts.append(f"Chapter {chapter}\n\n")
        for _ in range(40):
            paragraph = " ".join(rng.choice(words) for _ in range(rng.randint(20, 90))) + ".\n\n"
            parts.append(paragraph)
            size += len(paragraph)
    path.write_text("".join(parts), encoding="utf-8")


def main_document(prefix: str) -> Document:
    """The article a burst annotates (the same for every burst with this prefix)."""
    rng = random.Random(prefix)
    return Document(
        title=f"Burst notes {prefix}",
        blocks=paragraphs(rng, 40, "Paragraph"),
        source=f"burst:{prefix}:main",
    )


class Burst:
    """One burst of writes to a library, reporting through `emit`.

    Args:
        store: The open library.
        seed: Seeds the choice of writes.
        prefix: Names this burst's tags and articles, apart from other bursts'.
        emit: Receives each report line as a dict.
    """

    def __init__(self, store: AnnotationStore, seed: int, prefix: str, emit: Emit) -> None:
        self.store = store
        self.rng = random.Random(seed)
        self.seed = seed
        self.prefix = prefix
        self.emit = emit
        self.number = 0
        article = store.import_document(main_document(prefix)).article
        self.article = article.id
        self.texts = [block.text for block in store.get_blocks(article.id)]
        emit({"t": "article", "id": article.id, "hash": article.content_hash})
        mine = f"burst:{prefix}:"
        ids = {a.id for a in store.list_articles() if a.source.startswith(mine)}
        self.model: dict[str, State] = {
            a.id: state_of(a) for a in store.list_annotations() if a.article_id in ids
        }
        used = {tag for state in self.model.values() for tag in state["tags"]}
        self.vocabulary = sorted(used | set(tag_vocabulary(prefix)))

    def run(self, operations: int, delay: float = 0.0) -> None:
        """Do that many writes, pausing `delay` seconds between them."""
        choices = (
            (self.add, 30),
            (self.set_note, 18),
            (self.set_tags, 15),
            (self.set_color, 10),
            (self.move, 6),
            (self.delete, 12),
            (self.rename_tag, 6),
            (self.import_article, 2),
        )
        actions = [action for action, _ in choices]
        weights = [weight for _, weight in choices]
        for _ in range(operations):
            action = self.rng.choices(actions, weights)[0]
            if action is not self.add and action is not self.import_article and not self.model:
                action = self.add
            action()
            if delay:
                time.sleep(delay)

    # Reporting --------------------------------------------------------------

    def _begin(self, op: str, **intent: Any) -> int:
        self.number += 1
        self.emit({"t": "begin", "n": self.number, "op": op, **intent})
        return self.number

    def _done(self, number: int, **result: Any) -> None:
        self.emit({"t": "done", "n": number, **result})

    # Writes -----------------------------------------------------------------

    def _passage(self) -> tuple[tuple[int, int], tuple[int, int]]:
        last = len(self.texts) - 1
        start_block = self.rng.randint(0, last)
        end_block = min(last, start_block + self.rng.choice((0, 0, 0, 1, 2)))
        start = self.rng.randint(0, len(self.texts[start_block]) - 1)
        if end_block == start_block:
            end = self.rng.randint(start + 1, len(self.texts[end_block]))
        else:
            end = self.rng.randint(1, len(self.texts[end_block]))
        return (start_block, start), (end_block, end)

    def _tags(self) -> list[str]:
        return self.rng.sample(self.vocabulary, self.rng.randint(0, min(3, len(self.vocabulary))))

    def _note(self) -> str:
        return f"{self.rng.choice(NOTES)} [{self.prefix} {self.seed}.{self.number + 1}]"

    def _pick(self) -> str:
        return self.rng.choice(sorted(self.model))

    def add(self) -> None:
        """Highlight a random passage, with random tags and maybe a note."""
        start, end = self._passage()
        state = {
            "article": self.article,
            "anchor": [*start, *end],
            "color": self.rng.choice(HIGHLIGHT_COLORS),
            "note": self._note() if self.rng.random() < 0.5 else "",
            "tags": sorted(self._tags()),
        }
        number = self._begin("add", add=state)
        made = self.store.add_highlight(
            self.article, start, end, color=state["color"], tags=state["tags"], note=state["note"]
        )
        self.model[made.id] = state
        self._done(number, id=made.id)

    def _change(
        self, op: str, annotation_id: str, write: Callable[[], object], **values: Any
    ) -> None:
        """Report, make and record a change of one annotation to the given values."""
        state = {**self.model[annotation_id], **values}
        number = self._begin(op, set={annotation_id: state})
        write()
        self.model[annotation_id] = state
        self._done(number)

    def set_note(self) -> None:
        """Give an annotation a new note."""
        target, note = self._pick(), self._note()
        self._change("set_note", target, lambda: self.store.set_note(target, note), note=note)

    def set_tags(self) -> None:
        """Give an annotation other tags (maybe none)."""
        target, tags = self._pick(), sorted(self._tags())
        self._change("set_tags", target, lambda: self.store.set_tags(target, tags), tags=tags)

    def set_color(self) -> None:
        """Give an annotation a colour."""
        target, color = self._pick(), self.rng.choice(HIGHLIGHT_COLORS)
        self._change("set_color", target, lambda: self.store.set_color(target, color), color=color)

    def move(self) -> None:
        """Put an annotation on another passage."""
        target = self._pick()
        if self.model[target]["article"] != self.article:
            return
        start, end = self._passage()
        self._change(
            "move",
            target,
            lambda: self.store.move_annotation(target, start, end),
            anchor=[*start, *end],
        )

    def delete(self) -> None:
        """Delete an annotation."""
        target = self._pick()
        number = self._begin("delete", gone=[target])
        self.store.delete_annotation(target)
        del self.model[target]
        self._done(number)

    def rename_tag(self) -> None:
        """Rename a tag in use, to a new name or into another tag (a merge)."""
        used = sorted({tag for state in self.model.values() for tag in state["tags"]})
        if not used:
            return self.add()
        old = self.rng.choice(used)
        others = [tag for tag in self.vocabulary if tag != old]
        if others and self.rng.random() < 0.4:
            new = self.rng.choice(others)
        else:
            new = f"{self.prefix}-t{self.seed}.{self.number + 1}"
        changed = {
            annotation_id: {
                **state,
                "tags": sorted({tag for tag in state["tags"] if tag != old} | {new}),
            }
            for annotation_id, state in self.model.items()
            if old in state["tags"]
        }
        number = self._begin("rename_tag", set=changed)
        self.store.rename_tag(old, new)
        self.model.update(changed)
        self.vocabulary = sorted({tag for tag in self.vocabulary if tag != old} | {new})
        self._done(number)
        return None

    def import_article(self) -> None:
        """Import a new article of 200 paragraphs (a longer transaction)."""
        label = f"{self.seed}.{self.number + 1}"
        document = Document(
            title=f"Burst import {self.prefix} {label}",
            blocks=paragraphs(self.rng, 200, f"Imported {label}"),
            source=f"burst:{self.prefix}:import:{label}",
        )
        number = self._begin("import", source=document.source, hash=content_hash(document))
        article = self.store.import_document(document).article
        self._done(number, id=article.id)


# Checking a library against the reports ----------------------------------------


@dataclass
class Ledger:
    """The changes a burst reported saved, replayed from its lines."""

    annotations: dict[str, State] = field(default_factory=dict)
    deleted: set[str] = field(default_factory=set)
    articles: dict[str, str] = field(default_factory=dict)
    in_flight: dict[str, Any] | None = None
    writes_begun: int = 0
    writes_done: int = 0

    def apply(self, line: dict[str, Any]) -> None:
        """Take one report line into account."""
        kind = line.get("t")
        if kind == "article":
            self.articles[line["id"]] = line["hash"]
        elif kind == "begin":
            self.in_flight = line
            self.writes_begun += 1
        elif kind == "done":
            intent = self.in_flight
            assert intent is not None and intent["n"] == line["n"], (intent, line)
            self.in_flight = None
            self.writes_done += 1
            if intent["op"] == "add":
                self.annotations[line["id"]] = intent["add"]
            elif intent["op"] == "import":
                self.articles[line["id"]] = intent["hash"]
            for annotation_id in intent.get("gone", ()):
                self.annotations.pop(annotation_id, None)
                self.deleted.add(annotation_id)
            self.annotations.update(intent.get("set", {}))
            self.deleted.difference_update(intent.get("set", {}))

    def missing(self, stored: dict[str, State], articles: dict[str, tuple[str, str]]) -> list[str]:
        """The reported changes the library does not hold, one line each.

        The write in flight may or may not have happened: either outcome is accepted.

        Args:
            stored: The library's annotations' states, by id.
            articles: The library's articles' (source, content hash), by id.
        """
        flight = self.in_flight or {}
        maybe_set: dict[str, State] = flight.get("set", {})
        maybe_gone = set(flight.get("gone", ()))
        problems = []
        for annotation_id, state in self.annotations.items():
            found = stored.get(annotation_id)
            if found == state or found == maybe_set.get(annotation_id):
                continue
            if found is None and annotation_id in maybe_gone:
                continue
            problems.append(f"annotation {annotation_id}: expected {state}, found {found}")
        problems += [f"deleted annotation {i} is back" for i in self.deleted if i in stored]
        for article_id, digest in self.articles.items():
            if articles.get(article_id, (None, None))[1] != digest:
                problems.append(f"article {article_id} missing or changed")
        return problems

    def settle(self, stored: dict[str, State], articles: dict[str, tuple[str, str]]) -> None:
        """Take the outcome of the write in flight from the library (after `missing`)."""
        flight, self.in_flight = self.in_flight, None
        if flight is None:
            return
        for annotation_id in flight.get("set", {}):
            if annotation_id in stored:
                self.annotations[annotation_id] = stored[annotation_id]
        for annotation_id in flight.get("gone", ()):
            if annotation_id not in stored:
                self.annotations.pop(annotation_id, None)
                self.deleted.add(annotation_id)
        if flight["op"] == "add":
            for annotation_id in stored.keys() - self.annotations.keys() - self.deleted:
                if stored[annotation_id] == flight["add"]:
                    self.annotations[annotation_id] = stored[annotation_id]
        if flight["op"] == "import":
            for article_id, (source, digest) in articles.items():
                if source == flight["source"] and digest == flight["hash"]:
                    self.articles[article_id] = digest


def library_states(store: AnnotationStore) -> dict[str, State]:
    """Every annotation's checked state, by id."""
    return {annotation.id: state_of(annotation) for annotation in store.list_annotations()}


def library_articles(store: AnnotationStore) -> dict[str, tuple[str, str]]:
    """Every article's (source, content hash), by id."""
    return {article.id: (article.source, article.content_hash) for article in store.list_articles()}


def unexpected(ledgers: Iterable[Ledger], stored: dict[str, State]) -> list[str]:
    """Annotations in the library that no ledger accounts for (an add in flight may be one)."""
    ledgers = list(ledgers)
    known = set().union(*(ledger.annotations.keys() | ledger.deleted for ledger in ledgers))
    adds = [
        ledger.in_flight["add"]
        for ledger in ledgers
        if ledger.in_flight and ledger.in_flight["op"] == "add"
    ]
    problems = []
    for annotation_id in sorted(stored.keys() - known):
        if stored[annotation_id] in adds:
            adds.remove(stored[annotation_id])
        else:
            problems.append(f"unreported annotation {annotation_id}: {stored[annotation_id]}")
    return problems


# Processes ----------------------------------------------------------------------


def _write_line(line: dict[str, Any]) -> None:
    """One report line, in one write (atomic on a pipe), so a kill never cuts it."""
    os.write(1, (json.dumps(line, ensure_ascii=False) + "\n").encode("utf-8"))


def run(library: str, seed: int, operations: int, prefix: str, delay: float = 0.0) -> int:
    """One burst on a library; returns the exit code."""
    try:
        store = AnnotationStore(library)
        Burst(store, seed, prefix, _write_line).run(operations, delay)
        store.close()
    except Exception as error:  # reported, for the watching test to show
        _write_line({"t": "error", "message": f"{type(error).__name__}: {error}"})
        return 1
    _write_line({"t": "finished"})
    return 0


def serve(library: str) -> int:
    """Fork a burst for each `SEED OPS PREFIX` line on stdin; report pids and wait statuses."""
    for request in sys.stdin:
        seed, operations, prefix = request.split()
        pid = os.fork()
        if pid == 0:
            os._exit(run(library, int(seed), int(operations), prefix))
        _write_line({"t": "pid", "pid": pid})
        _, status = os.waitpid(pid, 0)
        _write_line({"t": "exit", "status": status})
    return 0


def hold(library: str, seconds: float | None) -> int:
    """Hold the write lock of a library for a while, as a long import would.

    An open write transaction, `EXCLUSIVE`: in WAL mode readers still read (as with
    `IMMEDIATE`), and in a rollback journal it would keep them out too. With `seconds`
    None it is held until a line, or the end of input, comes on stdin.
    """
    conn = sqlite3.connect(library, isolation_level=None)
    conn.execute("BEGIN EXCLUSIVE")
    held = "until released" if seconds is None else seconds
    conn.execute("INSERT OR REPLACE INTO settings (name, value) VALUES ('held', ?)", [held])
    _write_line({"t": "holding"})
    if seconds is None:
        sys.stdin.readline()
    else:
        time.sleep(seconds)
    conn.execute("COMMIT")
    conn.close()
    _write_line({"t": "released"})
    return 0


def open_together(library: str, count: int) -> None:
    """Open a library from several processes at the same instant; report how each ended."""
    start = time.time() + 0.02
    children = []
    for _ in range(count):
        pid = os.fork()
        if pid == 0:
            while time.time() < start:
                pass
            try:
                AnnotationStore(library).close()
            except Exception as error:  # reported, for the watching test to show
                _write_line({"t": "error", "message": f"{type(error).__name__}: {error}"})
                os._exit(1)
            os._exit(0)
        children.append(pid)
    for pid in children:
        _, status = os.waitpid(pid, 0)
        _write_line({"t": "exit", "status": status})


def main(argv: list[str]) -> int:
    """Dispatch the script's commands (see the module's docstring)."""
    command, library, *rest = argv
    if command == "open":
        for path in rest:
            open_together(path, int(library))
        return 0
    if command == "run":
        seed, operations, prefix, *delay = rest
        return run(library, int(seed), int(operations), prefix, float(delay[0]) if delay else 0.0)
    if command == "serve":
        return serve(library)
    if command == "hold":
        return hold(library, None if rest[0] == "released" else float(rest[0]))
    raise SystemExit(f"unknown command {command}")


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
