"""Benchmark every path of reader on libraries of 100, 1,000 and 10,000 articles, with baselines.

Run `python benchmarks/run.py` (`--quick` for 100 and 1,000 articles only, `--sizes` for others).
Everything happens in a temporary folder: the articles are generated as real files from a seeded
word list, imported with the real `reader import`, given five annotations each through the store
API, and then every command and the TUI (headless, `App.run_test`) are timed in their own
processes, so each row has its own peak memory. Each figure is set beside the same work done
plainly in the same run (raw `sqlite3`, plain file writes, a bare `python -c pass`); the parent
prints one table. See `benchmarks/README.md`.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import random
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from importlib.metadata import version
from pathlib import Path
from time import perf_counter
from typing import TYPE_CHECKING, Any

from measure import Sample, Stopwatch, peak_rss_mb, plain, words

if TYPE_CHECKING:
    from textual.pilot import Pilot

    from reader.app import ReaderApp

SEED = 20260214
"""The same articles and annotations on every run."""
SIZES = (100, 1_000, 10_000)
QUICK_SIZES = (100, 1_000)
ARTICLE_BYTES = 5_000
"""Each article is about this long, in 4 to 8 paragraphs."""
DUTCH_SHARE = 0.2
"""About this share of the articles is written in Dutch (with diacritics)."""
ANNOTATIONS_PER_ARTICLE = 5
"""So the 10,000-article library holds 50,000 annotations."""
ANNOTATION_BATCH = 1_000
"""Annotations added per transaction (each `add_highlight` is a savepoint inside it)."""
RUNS = 5
"""Runs of each cheap figure (the median is shown)."""
SLOW_RUNS = 5
"""Runs of the export."""
TUI_RUNS = 7
"""Runs of each TUI case (each in its own process, the two cases in turns)."""
SEARCH_WORD = "harbour"
"""The word searched for: in a few percent of the paragraphs."""
FILTER_TEXT = "river"
"""Typed into the library's title filter and into the search screen."""
TERMINAL = (120, 40)
PAGEDOWNS = 5
"""Timed presses of `pagedown` in the annotations screen."""
UNBOUND_KEY = "x"
"""A key no screen binds: what the harness itself costs per press."""
CASE_TIMEOUT = 900
"""Seconds a case may take before the benchmark gives up."""
RESULT_MARK = "READER-BENCH-RESULT "
"""Prefix of the one JSON line a case subprocess prints."""
FLOOR_COMMAND = "import sqlite_utils"
"""What any command that opens the library must import: the floor of list and search."""


ENGLISH = words(
    """
the of and to a in that it was he his with as for had you not be her on at by which have or from
this him but all she they were my are me one their so an said them we who would been will no when
there if more out up into do any your what has man could other than our some very time upon about
may its only now like little then can made should did us such great before must two these see
know over much down after first good men own never most old shall day where those came come way
work life without go make well through being long say might how too even every here thought house
again while yet under last eyes think hand whole light night face room door letter morning evening
river garden window voice silence street country table young question answer moment reason
something nothing always almost perhaps often rather enough however therefore although because
whether remember understand believe wonder suppose consider forgotten remained returned followed
between against towards beneath beyond within across above behind beside during until since
beautiful terrible curious gentle ancient narrow crowded quiet bright heavy certain strange sister
brother mother father friend stranger captain doctor servant master husband daughter journey
harbour winter summer autumn spring weather candle mirror picture sentence chapter bridge market
council railway station engineer merchant ledger vessel lantern orchard meadow quarry foundry
"""
)
DUTCH = words(
    """
de het een en van ik te dat die in is hij niet zijn op aan met als voor had er maar om hem dan zou
of wat mijn men dit zo door over ze zich bij ook tot je mij uit der daar haar naar heb hoe heeft
hebben deze want nog zal zij nu geen omdat iets worden toch al waren veel meer doen toen moet ben
zonder kan hun dus alles onder eens hier wie werd altijd wordt één café reünie coördinatie ideeën
geëerd financiële privé patiënt België naïef tweeën zeeën beëindigen geïnteresseerd cliënt knieën
Curaçao crème enquête hôtel scène gezellig huiskamer grachtenpand fietsenstalling boterham
stroopwafel duinen polder sluis brug gemeente rivier haven kade schipper
"""
)
AUTHORS = ["Anna de Vriës", "Joost van Dijk", "Maren Holt", "Tomás Ferreira", "Eline Brouwer"]
TAGS = ["thema", "personage", "reis", "citaat", "één-keer", "to-check", "later", "Brug"] + [
    f"topic-{number}" for number in range(32)
]
NOTE_WORDS = words("see compare later bridge river remember important zie vergelijk belangrijk")


def zipf(count: int, scale: float = 1.0) -> list[float]:
    """Weights for a word list whose first words come up far more often (as in prose)."""
    return [scale / (rank + 1) ** 0.9 for rank in range(count)]


ENGLISH_WEIGHTS = zipf(len(ENGLISH))
DUTCH_WEIGHTS = [*zipf(len(DUTCH)), *zipf(len(ENGLISH), 0.05)]
"""Dutch articles borrow an English word now and then."""


# Generating the articles (in the parent: one article in memory at a time) ------------------


def make_sentence(rng: random.Random, dutch: bool) -> str:
    """One sentence of random words, with a capital and a final mark."""
    vocabulary, weights = (DUTCH + ENGLISH, DUTCH_WEIGHTS) if dutch else (ENGLISH, ENGLISH_WEIGHTS)
    picked = rng.choices(vocabulary, weights=weights, k=rng.randint(6, 22))
    picked[0] = picked[0][:1].upper() + picked[0][1:]
    return " ".join(picked) + rng.choice(".....?!")


def make_paragraph(rng: random.Random, size: int, dutch: bool) -> str:
    """About `size` characters of sentences."""
    sentences: list[str] = []
    length = 0
    while length < size:
        sentences.append(make_sentence(rng, dutch))
        length += len(sentences[-1]) + 1
    return " ".join(sentences)


def make_article(rng: random.Random, number: int) -> tuple[str, str]:
    """A file name and its text: Markdown (some with front matter) or plain text."""
    dutch = rng.random() < DUTCH_SHARE
    title = make_sentence(rng, dutch)[:-1][:70].rsplit(" ", 1)[0] + f" {number}"
    count = rng.randint(4, 8)
    paragraphs = [make_paragraph(rng, ARTICLE_BYTES // count, dutch) for _ in range(count)]
    if number % 5 < 3:
        head = [f"# {title}"]
        if number % 5 == 0:
            date = f"20{rng.randint(10, 25)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
            front = f"---\nauthor: {rng.choice(AUTHORS)}\ndate: {date}\n---"
            head.insert(0, front)
        return f"article-{number:05d}.md", "\n\n".join([*head, *paragraphs]) + "\n"
    return f"article-{number:05d}.txt", "\n\n".join([title, *paragraphs]) + "\n"


def write_articles(folder: Path, count: int) -> int:
    """Write `count` article files (the first ones are the same at every size); returns bytes."""
    folder.mkdir(parents=True)
    rng = random.Random(SEED)
    total = 0
    for number in range(count):
        name, text = make_article(rng, number)
        data = text.encode()
        (folder / name).write_bytes(data)
        total += len(data)
    return total


# Cases run in their own process -----------------------------------------------------------


def case_baseline_import(folder: str, db: str) -> dict[str, Any]:
    """The plain way: read the files, `executemany` into tables with an FTS5 index, one commit."""
    import hashlib
    import uuid

    articles: list[tuple[str, str, str, str, int, int]] = []
    blocks: list[tuple[str, int, str]] = []
    for path in sorted(Path(folder).iterdir()):
        text = path.read_bytes().decode("utf-8")
        parts = [part.strip() for part in text.split("\n\n") if part.strip()]
        article_id = str(uuid.uuid4())
        digest = hashlib.sha256(text.encode()).hexdigest()
        words = len(text.split())
        articles.append((article_id, parts[0].lstrip("# "), str(path), digest, words, len(parts)))
        blocks += [(article_id, index, part) for index, part in enumerate(parts)]
    conn = sqlite3.connect(db)
    conn.execute("PRAGMA journal_mode = WAL")
    conn.executescript(
        """
        CREATE TABLE articles (id TEXT PRIMARY KEY, title TEXT, source TEXT, content_hash TEXT,
            words INTEGER, block_count INTEGER);
        CREATE TABLE blocks (id INTEGER PRIMARY KEY, article_id TEXT, idx INTEGER, text TEXT);
        CREATE VIRTUAL TABLE blocks_fts USING fts5 (text, content='blocks', content_rowid='id',
            tokenize='unicode61 remove_diacritics 2');
        """
    )
    with conn:
        conn.executemany("INSERT INTO articles VALUES (?, ?, ?, ?, ?, ?)", articles)
        conn.executemany("INSERT INTO blocks (article_id, idx, text) VALUES (?, ?, ?)", blocks)
        conn.execute("INSERT INTO blocks_fts (rowid, text) SELECT id, text FROM blocks")
    conn.close()
    return {"articles": len(articles), "blocks": len(blocks)}


def case_annotate(db: str, per_article: int) -> dict[str, Any]:
    """Add annotations with tags and notes through the store API; time it."""
    from annotations.models import HIGHLIGHT_COLORS
    from annotations.store import AnnotationStore

    rng = random.Random(SEED + 1)
    store = AnnotationStore(db)
    articles = store.list_articles()
    started = perf_counter()
    added = 0
    for first in range(0, len(articles), ANNOTATION_BATCH // per_article):
        with store.transaction():
            for article in articles[first : first + ANNOTATION_BATCH // per_article]:
                texts = [block.text for block in store.get_blocks(article.id)]
                for _ in range(per_article):
                    index = rng.randrange(len(texts))
                    start = rng.randrange(max(1, len(texts[index]) - 90))
                    end = min(len(texts[index]), start + rng.randint(20, 90))
                    tags = rng.sample(TAGS, rng.randint(1, 3)) if added % 3 == 0 else []
                    note = ""
                    if added % 4 == 0:
                        note = " ".join(rng.choices(NOTE_WORDS, k=rng.randint(2, 12)))
                    store.add_highlight(
                        article.id,
                        (index, start),
                        (index, end),
                        color=HIGHLIGHT_COLORS[added % len(HIGHLIGHT_COLORS)],
                        tags=tags,
                        note=note,
                    )
                    added += 1
    took = perf_counter() - started
    store.close()
    return {"annotations": added, "seconds": took}


_LIST_SQL = """
    SELECT a.*, (SELECT count(*) FROM annotations n WHERE n.article_id = a.id) AS annotations
    FROM articles a ORDER BY a.created_at DESC
"""
_FTS_SQL = """
    SELECT a.id, a.title, b.idx, snippet(search_fts, 0, '[', ']', '…', 12)
    FROM search_fts JOIN blocks b ON b.id = search_fts.rowid JOIN articles a ON a.id = b.article_id
    WHERE search_fts MATCH ? ORDER BY rank LIMIT 100
"""
_LIKE_SQL = """
    SELECT a.id, a.title, b.idx, b.text FROM blocks b JOIN articles a ON a.id = b.article_id
    WHERE b.text LIKE ? LIMIT 100
"""


def case_baseline_query(db: str, kind: str, word: str) -> dict[str, Any]:
    """A plain SQL query of the same library with `sqlite3`, printed as the command would."""
    conn = sqlite3.connect(db)
    conn.row_factory = sqlite3.Row
    if kind == "list":
        rows = [dict(row) for row in conn.execute(_LIST_SQL)]
        sys.stdout.write(json.dumps(rows, ensure_ascii=False, indent=2) + "\n")
    elif kind == "fts":
        rows = [dict(row) for row in conn.execute(_FTS_SQL, [f'"{word}"*'])]
        sys.stdout.write("\n".join(map(str, rows)) + "\n")
    else:
        rows = [dict(row) for row in conn.execute(_LIKE_SQL, [f"%{word}%"])]
        sys.stdout.write("\n".join(str(row)[:300] for row in rows) + "\n")
    conn.close()
    return {"rows": len(rows)}


def case_baseline_write(source: str, target: str) -> dict[str, Any]:
    """Write the files of an export again with plain file writes, from one file of their bytes.

    `source` is a JSON file of `[name, text]` pairs (see `Benchmark.export`): the process
    starts, reads the texts in one go and writes them, so its wall time is the whole work
    of writing the export, as `reader export`'s is; `seconds` is the writing alone.
    """
    files = json.loads(Path(source).read_text(encoding="utf-8"))
    folder = Path(target)
    started = perf_counter()
    folder.mkdir(parents=True)
    for name, text in files:
        with open(folder / name, "wb") as handle:
            handle.write(text.encode("utf-8"))
    return {"seconds": perf_counter() - started, "files": len(files)}


def case_export_phases(db: str, target: str) -> dict[str, Any]:
    """Where the time of a folder export goes: reading, rendering, writing (in this process)."""
    from annotations import export, files
    from annotations.formats import markdown
    from annotations.models import format_timestamp
    from annotations.store import AnnotationStore

    started = perf_counter()
    store = AnnotationStore(db)  # as `reader` opens it (and closes it: see below)
    articles = [article for article in store.list_articles() if article.annotation_count]
    names = export.markdown_filenames(articles)
    listed = perf_counter()
    read = list(store.iter_annotated(articles))
    loaded = perf_counter()
    stamp = format_timestamp(store.clock())
    texts = [
        (
            names[article.id],
            markdown.render_article_markdown(article, blocks, annotations, stamp, contents),
        )
        for article, annotations, blocks, contents in read
    ]
    rendered = perf_counter()
    folder = Path(target)
    folder.mkdir()
    with files.BatchWriter(folder) as writer:  # what export_markdown_folder writes with
        for name, text in texts:
            writer.write(folder / name, text)
    written = perf_counter()
    # Closed as `reader` closes it, the library is known as checked: the TUI cases after
    # this one must not pay for an integrity check that this case made them need.
    store.close()
    return {
        "list": listed - started,
        "read": loaded - listed,
        "render": rendered - loaded,
        "write": written - rendered,
    }


def case_modules(arguments: list[str]) -> dict[str, Any]:
    """Run a `reader` command in this process; report whether it loaded Textual or Rich."""
    import contextlib

    from reader.cli import cli

    with (
        open(os.devnull, "w") as null,
        contextlib.redirect_stdout(null),
        contextlib.suppress(SystemExit),
    ):
        cli.main(arguments, prog_name="reader", standalone_mode=False)
    return {"textual": "textual" in sys.modules, "rich": "rich" in sys.modules}


async def press(pilot: Pilot[None], *keys: str) -> Sample:
    """Press keys, wait until the app has handled them and redrawn, and time it all."""
    watch = Stopwatch()
    for key in keys:
        await pilot.press(key)
    await pilot.pause()
    return watch.sample()


async def until(pilot: Pilot[None], ready: Callable[[], bool], what: str) -> None:
    """Let the app run until `ready()` holds (it may use workers or timers)."""
    for _ in range(3000):
        if ready():
            return
        await pilot.pause(0.005)
    raise RuntimeError(f"timed out waiting for {what}")


def _selected(app: ReaderApp) -> str | None:
    table = getattr(app.screen, "table", None)
    return getattr(table, "selected_id", None)


async def library_keys(pilot: Pilot[None], app: ReaderApp, result: dict[str, Any]) -> None:
    """Time G, o (each order), f with typing, and / with typing, in the library screen."""
    from reader.screens.library import LibraryScreen
    from reader.screens.search import SearchScreen

    result["noop"] = [await press(pilot, UNBOUND_KEY) for _ in range(5)]
    first = _selected(app)
    result["G"] = []
    for _ in range(3):
        result["G"].append(await press(pilot, "G"))
        result["G_moved"] = _selected(app) != first
        await press(pilot, "g")
    bound = {key for key in app.active_bindings}
    if "o" in bound:
        result["o"] = [await press(pilot, "o") for _ in range(5)]
    if "f" in bound:
        result["f"] = [await press(pilot, "f")]
        result["f"] += [await press(pilot, char) for char in FILTER_TEXT]
        watch = Stopwatch()
        await pilot.pause(0.3)  # any delay the filter waits for after the last key
        await pilot.pause()
        result["f_settle_cpu"] = watch.sample().cpu
        await press(pilot, "escape")
        if not isinstance(app.screen, LibraryScreen):
            await press(pilot, "escape")
    assert isinstance(app.screen, LibraryScreen)
    result["slash"] = [await press(pilot, "slash")]
    screen = app.screen
    assert isinstance(screen, SearchScreen), screen
    result["slash"] += [await press(pilot, char) for char in SEARCH_WORD]
    watch = Stopwatch()
    await until(pilot, lambda: screen._searched == SEARCH_WORD, "the search results")
    await pilot.pause()
    result["search_results"] = watch.sample()
    result["search_hits"] = len(screen.hits)
    await press(pilot, "escape")


async def annotations_screen(pilot: Pilot[None], app: ReaderApp, result: dict[str, Any]) -> None:
    """Open the annotations screen (a), then G, g and a few pagedowns."""
    from reader.screens.annotations import AnnotationsScreen

    watch = Stopwatch()
    await pilot.press("a")
    await until(pilot, lambda: isinstance(app.screen, AnnotationsScreen), "the annotations")
    screen = app.screen
    assert isinstance(screen, AnnotationsScreen)
    await until(pilot, lambda: screen.listing.total > 0, "the annotations list")
    await pilot.pause()
    result["a_open"] = watch.sample()
    total = screen.listing.total
    result["annotations"] = total
    result["a_G"] = [await press(pilot, "G")]
    result["a_G_ok"] = screen.listing.cursor == total - 1
    await press(pilot, "g")
    result["a_pagedown"] = [await press(pilot, "pagedown") for _ in range(PAGEDOWNS)]
    result["a_pagedown_ok"] = screen.listing.cursor > 0
    await press(pilot, "escape")


async def case_tui(db: str, exports: str, annotations: bool) -> dict[str, Any]:
    """Open the real app headless on a library, then time the library keys (and `a`)."""
    from annotations.store import AnnotationStore
    from reader.app import ReaderApp
    from reader.screens.library import LibraryScreen

    result: dict[str, Any] = {}
    watch = Stopwatch()
    store = AnnotationStore(db)
    app = ReaderApp(store, export_folder=Path(exports))
    async with app.run_test(size=TERMINAL) as pilot:
        await until(
            pilot,
            lambda: isinstance(app.screen, LibraryScreen) and _selected(app) is not None,
            "the library list",
        )
        await pilot.pause()
        result["open"] = watch.sample()
        result["rss_open_mb"] = peak_rss_mb()
        await library_keys(pilot, app, result)
        if annotations:
            await annotations_screen(pilot, app, result)
    store.close()
    return {key: plain(value) for key, value in result.items()}


def run_case(name: str, arguments: list[Any]) -> None:
    """Run one case in this process and print its result as one JSON line."""
    cases: dict[str, Callable[..., Any]] = {
        "baseline-import": case_baseline_import,
        "annotate": case_annotate,
        "baseline-query": case_baseline_query,
        "baseline-write": case_baseline_write,
        "export-phases": case_export_phases,
        "modules": case_modules,
    }
    result = asyncio.run(case_tui(*arguments)) if name == "tui" else cases[name](*arguments)
    result["rss_mb"] = peak_rss_mb()
    sys.stdout.flush()
    print("\n" + RESULT_MARK + json.dumps(result), flush=True)


# Running processes (the parent stays small: see `Runner.run`) ------------------------------


@dataclass
class Done:
    """A finished process: its wall time, peak memory and output."""

    seconds: float
    rss_mb: float
    code: int
    stdout: str
    stderr: str
    result: dict[str, Any] = field(default_factory=dict)


class Runner:
    """Runs commands in the benchmark's folder, each with its own measured time and memory."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        home = folder / "home"
        self.env = dict(os.environ)
        self.env.update(
            HOME=str(home),
            XDG_DATA_HOME=str(home / ".local" / "share"),
            XDG_CONFIG_HOME=str(home / ".config"),
            XDG_CACHE_HOME=str(home / ".cache"),
            XDG_DOCUMENTS_DIR=str(home / "Documents"),
            READER_DB=str(folder / "unused.db"),
            READER_EXPORT_DIR=str(folder / "exports"),
            COLUMNS="100",
            PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
        )
        self.reader = Path(sys.executable).with_name("reader")
        if not self.reader.exists():
            raise SystemExit(f"no `reader` script next to {sys.executable}: pip install -e .")
        self.spawner = subprocess.Popen(
            [sys.executable, "-c", SPAWNER],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            env=self.env,
        )

    def run(self, command: Sequence[str], *, terminal: bool = False) -> Done:
        """Run a command through the spawner; its time and peak RSS are that process's own."""
        out_path, err_path = self.folder / "stdout.txt", self.folder / "stderr.txt"
        for path in (out_path, err_path):
            # New files: truncating the last output (MBs of `list --json`) can stall a write.
            path.unlink(missing_ok=True)
        request = {"command": list(command), "terminal": terminal}
        request |= {"stdout": str(out_path), "stderr": str(err_path)}
        assert self.spawner.stdin is not None and self.spawner.stdout is not None
        self.spawner.stdin.write(json.dumps(request) + "\n")
        self.spawner.stdin.flush()
        answer = json.loads(self.spawner.stdout.readline())
        stdout = out_path.read_text(encoding="utf-8", errors="replace")
        stderr = err_path.read_text(encoding="utf-8", errors="replace")
        result: dict[str, Any] = {}
        for line in stdout.splitlines():
            if line.startswith(RESULT_MARK):
                result = json.loads(line[len(RESULT_MARK) :])
        return Done(answer["seconds"], answer["rss_mb"], answer["code"], stdout, stderr, result)

    def close(self) -> None:
        """Stop the spawner."""
        assert self.spawner.stdin is not None
        self.spawner.stdin.close()
        self.spawner.wait(timeout=30)

    def reader_command(self, *arguments: str, terminal: bool = False) -> Done:
        """Run the installed `reader` console script; stop the benchmark if it fails."""
        done = self.run([str(self.reader), *arguments], terminal=terminal)
        if done.code not in (0, 1):
            sys.stderr.write(done.stderr[-3000:])
            raise SystemExit(f"reader {' '.join(arguments[:4])} failed (exit {done.code})")
        return done

    def case(self, name: str, *arguments: Any) -> Done:
        """Run a case of this script in a fresh interpreter; stop the benchmark if it fails."""
        script = str(Path(__file__).resolve())
        done = self.run([sys.executable, script, "--case", name, json.dumps(list(arguments))])
        if done.code or not done.result:
            sys.stderr.write(done.stderr[-3000:])
            raise SystemExit(f"case {name} failed (exit {done.code})")
        return done

    def python(self, code: str) -> Done:
        """Run `python -c code`."""
        return self.run([sys.executable, "-c", code])


SPAWNER = """
import json, os, pty, subprocess, sys, threading, time

def drain(fd, out):
    try:
        while data := os.read(fd, 65536):
            out.write(data)
    except OSError:
        pass
    finally:
        os.close(fd)

for line in sys.stdin:
    request = json.loads(line)
    with open(request["stdout"], "wb") as out, open(request["stderr"], "wb") as err:
        drainer = None
        if request["terminal"]:
            master, slave = pty.openpty()
            started = time.perf_counter()
            process = subprocess.Popen(
                request["command"], stdout=out, stderr=slave, stdin=subprocess.DEVNULL
            )
            os.close(slave)
            drainer = threading.Thread(target=drain, args=(master, err), daemon=True)
            drainer.start()
        else:
            started = time.perf_counter()
            process = subprocess.Popen(
                request["command"], stdout=out, stderr=err, stdin=subprocess.DEVNULL
            )
        _, status, usage = os.wait4(process.pid, 0)
        seconds = time.perf_counter() - started
        process.returncode = os.waitstatus_to_exitcode(status)
        if drainer is not None:
            drainer.join(timeout=10)
    answer = {"seconds": seconds, "rss_mb": usage.ru_maxrss / 1024, "code": process.returncode}
    print(json.dumps(answer), flush=True)
"""
"""The small program that starts every measured process and reports its time and peak RSS.

Linux carries the peak RSS of the process a child was started from into the child's
`ru_maxrss`: started from this one (a bare interpreter with a few modules), a case's figure
is its own, however much the parent holds. With `terminal`, the command's stderr is a
pseudo-terminal (so `reader import` draws its progress bar), read as it comes.
"""


def median_of(runs: int, action: Callable[[], Done]) -> Done:
    """Run an action `runs` times; the run with the median time (and the highest peak RSS)."""
    return median_of_done([action() for _ in range(runs)])


def median_of_done(runs: Sequence[Done]) -> Done:
    """The run with the median time, with the highest peak RSS of all."""
    done = sorted(runs, key=lambda d: d.seconds)
    middle = done[len(done) // 2]
    middle.rss_mb = max(d.rss_mb for d in done)
    return middle


SETTLE_SECONDS = 2.0
"""Pause after `sync` before a run that writes thousands of files."""


def settle() -> None:
    """Let the disk write back what earlier runs left, so a run does not pay for them.

    Creating thousands of files stalls while the file system writes back the thousands
    written just before; without this, whichever run comes second pays for the first.
    """
    os.sync()
    time.sleep(SETTLE_SECONDS)


# The table ---------------------------------------------------------------------------------

ROOT = Path(__file__).resolve().parent.parent


@dataclass
class Row:
    """One line of the table."""

    size: str
    figure: str
    value: str
    baseline: str
    ratio: str
    target: str
    ok: bool | None
    rss: str


class Table:
    """The rows, printed as they come (to stderr) and all at the end (to stdout)."""

    def __init__(self) -> None:
        self.rows: list[Row] = []

    def add(
        self,
        size: str,
        figure: str,
        value: str,
        baseline: str = "",
        ratio: str = "",
        target: str = "",
        ok: bool | None = None,
        rss: float | None = None,
    ) -> None:
        """Add a row (and show it on stderr, for a long run)."""
        row = Row(size, figure, value, baseline, ratio, target, ok, f"{rss:.0f}" if rss else "")
        self.rows.append(row)
        print(f"  {size:>6}  {figure}: {value} | {baseline} | {ratio} {target}", file=sys.stderr)

    def render(self) -> str:
        """The table as text: first two columns left-aligned, the others right-aligned."""
        headers = ["size", "figure", "reader", "baseline", "ratio", "target", "", "peak MB"]
        cells = [
            [r.size, r.figure, r.value, r.baseline, r.ratio, r.target, _verdict(r.ok), r.rss]
            for r in self.rows
        ]
        widths = [max(len(c) for c in column) for column in zip(headers, *cells, strict=True)]

        def line(values: list[str]) -> str:
            left = [values[0].rjust(widths[0]), values[1].ljust(widths[1])]
            right = [v.rjust(w) for v, w in zip(values[2:], widths[2:], strict=True)]
            return "  ".join(left + right).rstrip()

        return "\n".join([line(headers), line(["-" * w for w in widths]), *map(line, cells)])


def _verdict(ok: bool | None) -> str:
    return "" if ok is None else ("OK" if ok else "short")


def seconds(value: float) -> str:
    """Seconds as the table shows them."""
    return f"{value:.2f} s" if value < 10 else f"{value:.1f} s"


def ms(value: float) -> str:
    """Milliseconds as the table shows them."""
    return f"{value:.0f} ms"


def ratio(value: float, base: float) -> tuple[str, float]:
    """`value / base` as text and as a number."""
    factor = value / base if base else float("inf")
    return f"{factor:.2f}x", factor


def machine() -> str:
    """One line about the machine and the versions measured."""
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return (
        f"nproc {cpus} · {platform.machine()} · {platform.system()} {platform.release()} · "
        f"Python {platform.python_version()} · SQLite {sqlite3.sqlite_version} · "
        f"textual {version('textual')} · sqlite-utils {version('sqlite-utils')}"
    )


# The benchmark -----------------------------------------------------------------------------


class Benchmark:
    """Builds the libraries and measures every figure, filling the table."""

    def __init__(self, folder: Path, sizes: Sequence[int], runs: int) -> None:
        self.folder = folder
        self.sizes = sizes
        self.runs = runs
        self.runner = Runner(folder)
        self.table = Table()
        self.largest = max(sizes)

    def db(self, size: int | str) -> str:
        """The library file of a size."""
        return str(self.folder / f"library-{size}.db")

    def start_up(self) -> None:
        """`reader --version` against `python -c pass`, and the floor of `import sqlite_utils`."""
        bare = median_of(self.runs, lambda: self.runner.python("pass"))
        version_run = median_of(self.runs, lambda: self.runner.reader_command("--version"))
        extra = version_run.seconds - bare.seconds
        self.table.add(
            "-",
            "reader --version (start-up)",
            seconds(version_run.seconds),
            f"python -c pass {seconds(bare.seconds)}, {bare.rss_mb:.0f} MB",
            f"+{extra:.2f} s",
            "+≤0.25 s",
            extra <= 0.25,
            version_run.rss_mb,
        )
        self.floor = median_of(self.runs, lambda: self.runner.python(FLOOR_COMMAND))
        self.table.add(
            "-",
            "python -c 'import sqlite_utils' (floor)",
            seconds(self.floor.seconds),
            rss=self.floor.rss_mb,
        )

    def build(self, size: int) -> None:
        """Write the articles, import them with `reader import` and plainly; add annotations."""
        folder = self.folder / f"articles-{size}"
        data = write_articles(folder, size)
        done = self.runner.reader_command(
            "--db", self.db(size), "import", str(folder), terminal=True
        )
        if f"imported {size}," not in done.stdout:
            raise SystemExit(f"reader import said: {done.stdout.strip()} {done.stderr[-500:]}")
        progress = "Importing" in done.stderr
        base = self.runner.case("baseline-import", str(folder), str(self.folder / f"raw-{size}.db"))
        text, factor = ratio(done.seconds, base.seconds)
        self.table.add(
            f"{size:,}",
            f"import {size:,} files, {data / 1e6:.0f} MB" + ("" if progress else " (no bar!)"),
            seconds(done.seconds),
            f"sqlite3 executemany+FTS5 {seconds(base.seconds)}",
            text,
            "≤10x" if size >= 10_000 else "",
            factor <= 10 and progress if size >= 10_000 else None,
            done.rss_mb,
        )
        self.import_rss = getattr(self, "import_rss", {})
        self.import_rss[size] = done.rss_mb
        annotated = self.runner.case("annotate", self.db(size), ANNOTATIONS_PER_ARTICLE)
        count = annotated.result["annotations"]
        self.table.add(
            f"{size:,}",
            f"add {count:,} annotations (store API, batches of {ANNOTATION_BATCH:,})",
            seconds(annotated.result["seconds"]),
            rss=annotated.rss_mb,
        )

    def commands(self, size: int) -> None:
        """`reader list --json` and `reader search` against plain SQL, and beside the floor.

        The floor (`import sqlite_utils`) is timed again between the runs of each command,
        so both see the same load of a shared machine.
        """
        db = self.db(size)
        floor = lambda: self.runner.python(FLOOR_COMMAND)  # noqa: E731
        rows = [
            (
                "reader list --json",
                lambda: self.runner.reader_command("--db", db, "list", "--json"),
                "sqlite3 query",
                [lambda: self.runner.case("baseline-query", db, "list", "")],
                False,
            ),
            (
                f"reader search {SEARCH_WORD}",
                lambda: self.runner.reader_command("--db", db, "search", SEARCH_WORD),
                "FTS",
                [
                    lambda: self.runner.case("baseline-query", db, "fts", SEARCH_WORD),
                    lambda: self.runner.case("baseline-query", db, "like", SEARCH_WORD),
                ],
                True,
            ),
        ]
        for label, command, base_label, baselines, targeted in rows:
            runs = [(command(), floor()) for _ in range(self.runs)]
            done = sorted((run for run, _ in runs), key=lambda d: d.seconds)[len(runs) // 2]
            lowest = statistics.median(f.seconds for _, f in runs)
            plain = [median_of(self.runs, baseline) for baseline in baselines]
            text, _ = ratio(done.seconds, plain[0].seconds)
            extra = done.seconds - lowest
            base = f"{base_label} {seconds(plain[0].seconds)}"
            if len(plain) > 1:
                base += f" · LIKE {seconds(plain[1].seconds)}"
            self.table.add(
                f"{size:,}",
                label,
                seconds(done.seconds),
                base,
                text,
                f"floor {lowest:.2f} {extra:+.2f} s" + (" ≤ +0.15" if targeted else ""),
                extra <= 0.15 if targeted else None,
                max(run.rss_mb for run, _ in runs),
            )

    def export(self, size: int) -> None:
        """`reader export -o DIR` of every annotation against writing the same bytes plainly.

        Both are whole processes, run in turns, each into a new folder once the disk has
        written back what the run before left (see `settle`). The plain-write process reads
        the texts from one file and writes them; the export reads the library and renders
        them too. A last run times the export's own phases.
        """
        db = self.db(size)
        data = self.folder / f"export-{size}-bytes.json"
        exports, writes = [], []
        for number in range(SLOW_RUNS):
            target = self.folder / f"export-{size}-{number}"
            settle()
            exports.append(self.runner.reader_command("--db", db, "export", "-o", str(target)))
            if number == 0:
                texts = [
                    [path.name, path.read_text(encoding="utf-8")]
                    for path in sorted(target.glob("*.md"))
                ]
                data.write_text(json.dumps(texts), encoding="utf-8")
            settle()
            plain = self.folder / f"plain-{size}-{number}"
            writes.append(self.runner.case("baseline-write", str(data), str(plain)))
        done = median_of_done(exports)
        base = median_of_done(writes)
        files = list((self.folder / f"export-{size}-0").glob("*.md"))
        volume = sum(path.stat().st_size for path in files)
        inside = statistics.median(w.result["seconds"] for w in writes)
        text, factor = ratio(done.seconds, base.seconds)
        self.table.add(
            f"{size:,}",
            f"reader export -o DIR ({len(files):,} files, {volume / 1e6:.0f} MB)",
            seconds(done.seconds),
            f"plain writes {seconds(base.seconds)} ({seconds(inside)} writing)",
            text,
            "≤3x",
            factor <= 3,
            done.rss_mb,
        )
        settle()
        phases = self.runner.case("export-phases", db, str(self.folder / f"phases-{size}"))
        parts = phases.result
        self.table.add(
            f"{size:,}",
            "export phases: list / read / render / write",
            " / ".join(seconds(parts[key]) for key in ("list", "read", "render", "write")),
            f"writing alone {seconds(inside)}",
            ratio(parts["write"], inside)[0] + " (write)",
            rss=phases.rss_mb,
        )

    def textual_check(self, size: int) -> None:
        """Whether list, search, export and import load Textual (or Rich)."""
        db = self.db(size)
        extra = self.folder / "one-more"
        extra.mkdir(exist_ok=True)
        (extra / "note.txt").write_text("A short note about a harbour.\n", encoding="utf-8")
        commands = {
            "list": ["--db", db, "list", "--json"],
            "search": ["--db", db, "search", SEARCH_WORD],
            "export": ["--db", db, "export", "-o", str(self.folder / "export-check")],
            "import": ["--db", db, "import", str(extra)],
        }
        loaded = [
            name
            for name, arguments in commands.items()
            if any(self.runner.case("modules", arguments).result[m] for m in ("textual", "rich"))
        ]
        self.table.add(
            f"{size:,}",
            "list, search, export, import load Textual/Rich",
            ", ".join(loaded) or "none",
            target="none",
            ok=not loaded,
        )

    def tui(self) -> None:
        """The app headless: fresh library against the largest, then keys; annotations screen."""
        fresh = self.db("fresh")
        self.runner.reader_command("--db", fresh, "list")  # created as at a first start
        exports = str(self.folder / "tui-exports")
        big = self.db(self.largest)
        # In turns, so that a machine slower for a while slows both sides alike.
        self.tui_runs: dict[str, list[Done]] = {"fresh": [], "big": []}
        for _ in range(TUI_RUNS):
            self.tui_runs["fresh"].append(self.runner.case("tui", fresh, exports, False))
            self.tui_runs["big"].append(self.runner.case("tui", big, exports, True))
        size = f"{self.largest:,}"
        fresh_open, big_open = self.figure("fresh", "open"), self.figure("big", "open")
        text, factor = ratio(big_open, fresh_open)
        rss = max(done.rss_mb for done in self.tui_runs["big"])
        fresh_rss = max(done.rss_mb for done in self.tui_runs["fresh"])
        self.table.add(
            size,
            "TUI opens (library list shown)",
            ms(big_open),
            f"fresh library {ms(fresh_open)}",
            text,
            "≤1.3x",
            factor <= 1.3,
            rss,
        )
        big_cpu, fresh_cpu = self.figure("big", "open", "cpu"), self.figure("fresh", "open", "cpu")
        self.table.add(
            size,
            "TUI open, CPU",
            ms(big_cpu),
            f"fresh {ms(fresh_cpu)}",
            ratio(big_cpu, fresh_cpu)[0],
        )
        self.table.add(
            size,
            "TUI whole session, peak memory",
            f"{rss:.0f} MB",
            f"fresh {fresh_rss:.0f} MB",
            target="<250 MB",
            ok=rss < 250,
        )
        self.tui_keys(size)
        self.tui_annotations(size)

    def figure(
        self,
        case: str,
        key: str,
        part: str = "wall",
        reduce: Callable[..., float] = statistics.median,
    ) -> float:
        """One figure of the TUI runs of a case (all their samples of it, reduced)."""
        values = []
        for done in self.tui_runs[case]:
            samples = done.result[key]
            values += [
                sample[part] for sample in (samples if isinstance(samples, list) else [samples])
            ]
        return reduce(values)

    def key_row(self, size: str, key: str, label: str, fresh: bool = True) -> None:
        """A row for a key: median and worst wall time, against the no-op key."""
        noop = self.figure("big", "noop")
        middle, worst = self.figure("big", key), self.figure("big", key, reduce=max)
        base = f"fresh {ms(self.figure('fresh', key))}" if fresh else ""
        self.table.add(
            size,
            f"{label}: median (worst)",
            f"{ms(middle)} ({ms(worst)})",
            base,
            target="≤ no-op+100 ms",
            ok=middle - noop <= 100,
        )

    def tui_keys(self, size: str) -> None:
        """G, o, f and / in the library list."""
        self.table.add(
            size,
            f"key {UNBOUND_KEY} (bound to nothing): harness floor",
            ms(self.figure("big", "noop")),
        )
        keys = [("G", "G (last article)"), ("o", "o (next sort order)")]
        keys += [
            ("f", f"f, then typing '{FILTER_TEXT}'"),
            ("slash", f"/, then typing '{SEARCH_WORD}'"),
        ]
        for key, label in keys:
            if key not in self.tui_runs["big"][0].result:
                self.table.add(size, label, "not bound")
            else:
                self.key_row(size, key, label)
        if "f_settle_cpu" in self.tui_runs["big"][0].result:
            settle = statistics.median(d.result["f_settle_cpu"] for d in self.tui_runs["big"])
            self.table.add(size, "filtered list read after typing, CPU", ms(settle))
        hits = self.tui_runs["big"][0].result["search_hits"]
        self.table.add(
            size,
            f"/ results shown after the last key ({hits} hits; 150 ms pause)",
            ms(self.figure("big", "search_results")),
            f"fresh {ms(self.figure('fresh', 'search_results'))}",
        )

    def tui_annotations(self, size: str) -> None:
        """The annotations screen on the largest library: open, G, pagedown."""
        count = self.tui_runs["big"][0].result["annotations"]
        opened = self.figure("big", "a_open")
        self.table.add(
            size,
            f"annotations screen opens ({count:,})",
            ms(opened),
            target="<500 ms",
            ok=opened < 500,
        )
        moved = all(d.result["a_G_ok"] and d.result["a_pagedown_ok"] for d in self.tui_runs["big"])
        for key, label in (("a_G", "annotations: G"), ("a_pagedown", "annotations: pagedown")):
            self.key_row(size, key, label + ("" if moved else " (did not move!)"), fresh=False)


def main(argv: Sequence[str] | None = None) -> None:
    """Build the libraries, measure each figure in its own process, print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="only 100 and 1,000 articles")
    parser.add_argument(
        "--sizes",
        type=lambda text: sorted({int(part) for part in text.split(",")}),
        help="library sizes, comma-separated (default 100,1000,10000)",
    )
    parser.add_argument("--runs", type=int, default=RUNS, help="runs of each cheap figure")
    parser.add_argument("--case", help=argparse.SUPPRESS)
    parser.add_argument("arguments", nargs="?", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.case:
        run_case(args.case, json.loads(args.arguments))
        return
    sizes = args.sizes or (QUICK_SIZES if args.quick else SIZES)
    started = perf_counter()
    print(machine())
    with tempfile.TemporaryDirectory(prefix="reader-bench-") as name:
        bench = Benchmark(Path(name), sizes, args.runs)
        bench.start_up()
        for size in sizes:
            print(f"library of {size:,} articles…", file=sys.stderr)
            bench.build(size)
            bench.commands(size)
        bench.export(bench.largest)
        bench.textual_check(bench.largest)
        print("TUI…", file=sys.stderr)
        bench.tui()
        bench.runner.close()
    print(
        f"medians of {args.runs} runs ({SLOW_RUNS} for export, {TUI_RUNS} for the TUI). Each "
        "figure is a whole process, start-up included; TUI keys are pilot.press + pause in "
        "wall clock; peak MB is each process's ru_maxrss"
    )
    print(bench.table.render())
    print(f"total {perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()
