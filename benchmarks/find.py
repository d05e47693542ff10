"""Benchmark find in a 3.4 MB book: first match shown and full count shown, against a raw scan.

Run `python benchmarks/find.py` (or `--book PATH` for a real plain-text book, `--words` for
the queries). Everything happens in a temporary folder: a book is generated from a seeded word
list (or read), imported with the real ingestion into a fresh library, and opened in the real
app, headless at 120x40. For each query, `/`, the query and `enter` are pressed; the time from
the `enter` key to the first frame drawn with the first match, and to the first frame with the
full count in the status line, are set beside the raw `Finder.find` of the same query (fold
and scan, then scan alone), timed in the same run. See `benchmarks/README.md`.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import random
import statistics
import tempfile
import textwrap
from collections.abc import Callable, Sequence
from importlib.metadata import version
from pathlib import Path
from time import perf_counter, thread_time
from typing import TYPE_CHECKING, Any

from article_view import ENGLISH as STORY_WORDS
from measure import Sample, Stopwatch, peak_rss_mb, words

if TYPE_CHECKING:
    from rich.console import RenderableType
    from textual.pilot import Pilot
    from textual.screen import Screen

    from reader.app import ReaderApp
    from reader.screens.article import ArticleScreen

SEED = 20260301
"""The same book on every run."""
BOOK_BYTES = 3_400_000
"""The generated book is at least this many bytes of UTF-8, like War and Peace."""
WRAP_COLUMNS = 72
"""Hard-wrapped like a Project Gutenberg book."""
RARE_WORD = "Goïta"
"""Put in the generated book a few times; found by the query `goita`."""
RARE_TIMES = 16
DEFAULT_WORDS = ("the", "goita")
TERMINAL = (120, 40)
RUNS = 5
"""Finds of each query in a freshly opened book, and again in the same book (medians)."""
RAW_RUNS = 5
"""Runs of each raw scan (the median is shown)."""
JUMPS = 20
"""Timed presses of `]`."""
WAIT_SECONDS = 60
"""A find not drawn by then is a failure of the benchmark."""


ENGLISH = [*STORY_WORDS, *words("prince army count countess général café crème été")]
"""The words of `article_view.py`'s book, and some with accents for finds that fold them."""
WEIGHTS = [1 / (rank + 1) ** 0.9 for rank in range(len(ENGLISH))]
"""Zipf-like: the first words come up far more often ("the" about as often as in a novel)."""


def make_sentence(rng: random.Random) -> str:
    """One sentence of random words, with a capital and a final mark."""
    chosen = rng.choices(ENGLISH, weights=WEIGHTS, k=rng.randint(5, 24))
    chosen[0] = chosen[0][:1].upper() + chosen[0][1:]
    return " ".join(chosen) + rng.choice(".....?!")


def make_book() -> str:
    """A title, then chapters of hard-wrapped paragraphs; the rare word now and then."""
    rng = random.Random(SEED)
    chunks = ["The long journey", "by A. Benchmark"]
    size = sum(len(chunk.encode()) + 2 for chunk in chunks)
    paragraphs = 0
    while size < BOOK_BYTES:
        if paragraphs % 100 == 0:
            chunks.append(f"CHAPTER {paragraphs // 100 + 1}")
        text = " ".join(make_sentence(rng) for _ in range(rng.randint(2, 6)))
        chunks.append(textwrap.fill(text, WRAP_COLUMNS, break_long_words=False))
        paragraphs += 1
        size += len(chunks[-1].encode()) + 2
    # The rare word, evenly through the second half: far from where the book opens.
    for number in range(RARE_TIMES):
        index = len(chunks) // 2 + number * (len(chunks) // 2) // RARE_TIMES
        chunks[index] += f" They came to {RARE_WORD} at last."
    return "\n\n".join(chunks) + "\n"


def import_book(folder: Path, book: Path | None) -> tuple[Path, str, float, float]:
    """Write (or take) the book and import it into `folder/library.db`.

    Returns:
        The library, the article's id, the book's megabytes and the import's milliseconds.
    """
    from annotations.store import AnnotationStore
    from reader.ingest import load_document

    if book is None:
        book = folder / "book.txt"
        book.write_text(make_book(), encoding="utf-8")
    store = AnnotationStore(folder / "library.db")
    try:
        started = perf_counter()
        article = store.import_document(load_document(book)).article
        import_ms = (perf_counter() - started) * 1000
    finally:
        store.close()
    return folder / "library.db", article.id, book.stat().st_size / 1e6, import_ms


# The raw scan (the baseline) -----------------------------------------------------------------


def raw_scans(db: Path, article_id: str, query: str) -> dict[str, Any]:
    """`Finder.find` on the book's blocks: from nothing (fold and scan), then scan only."""
    from annotations.store import AnnotationStore
    from reader.find import Finder

    store = AnnotationStore(db)
    texts = [block.text for block in store.get_blocks(article_id)]
    store.close()
    cold: list[float] = []
    warm: list[float] = []
    count = 0
    for _ in range(RAW_RUNS):
        finder = Finder(texts)
        started = perf_counter()
        matches = finder.find(query)
        cold.append((perf_counter() - started) * 1000)
        started = perf_counter()
        finder.find(query)
        warm.append((perf_counter() - started) * 1000)
        count = len(matches or ())
    return {"fold_scan": statistics.median(cold), "scan": statistics.median(warm), "count": count}


# The TUI ----------------------------------------------------------------------------------


class Frames:
    """Marks when the app first draws a frame in which a condition holds."""

    def __init__(self, app: ReaderApp) -> None:
        self.watching: dict[str, Callable[[], bool]] = {}
        self.seen: dict[str, Sample] = {}
        """When each condition was first drawn, from `start` (ms of wall clock, and of CPU
        of the UI thread: the app's own work, whatever else the machine runs)."""
        self._wall = self._cpu = 0.0
        display = app._display

        def displayed(screen: Screen[Any], renderable: RenderableType | None) -> None:
            display(screen, renderable)
            if renderable is None:
                return
            now = Sample((perf_counter() - self._wall) * 1000, (thread_time() - self._cpu) * 1000)
            for name, condition in list(self.watching.items()):
                if condition():
                    self.seen[name] = now
                    del self.watching[name]

        app._display = displayed  # type: ignore[method-assign]

    def watch(self, **conditions: Callable[[], bool]) -> None:
        """Watch for new conditions (the old ones are forgotten)."""
        self.watching = dict(conditions)
        self.seen = {}

    def start(self) -> None:
        """Start the clocks (just before the keys are sent)."""
        self._wall = perf_counter()
        self._cpu = thread_time()

    async def wait(self) -> None:
        """Until every watched condition has been drawn."""
        deadline = perf_counter() + WAIT_SECONDS
        while self.watching:
            if perf_counter() > deadline:
                raise SystemExit(f"never drawn: {', '.join(self.watching)}")
            await asyncio.sleep(0.002)


async def article_screen(pilot: Pilot[None], app: ReaderApp) -> ArticleScreen:
    """Wait until the article screen is up and laid out."""
    from reader.screens.article import ArticleScreen

    for _ in range(1000):
        screen = app.screen
        if isinstance(screen, ArticleScreen) and screen.view.virtual_size.height > 0:
            await pilot.pause()
            return screen
        await pilot.pause()
    raise SystemExit("the article screen did not open")


def send_keys(app: ReaderApp, *keys: str) -> None:
    """Send key events as a terminal does, without waiting for the app in between."""
    from textual import events

    characters = {"enter": "\r", "escape": "\x1b", "slash": "/"}
    assert app._driver is not None
    for key in keys:
        app._driver.send_message(events.Key(key, characters.get(key, key)))


async def timed_find(
    pilot: Pilot[None], app: ReaderApp, frames: Frames, query: str, pasted: bool = False
) -> tuple[float, float, int, int, float]:
    """Type a find and press enter; `pasted` types the query as fast as the app takes it.

    Returns:
        Milliseconds from the enter key (or the keys pasted) to the frame with the first
        match and to the frame with the full count, the count, the number of the match,
        and the UI thread's CPU milliseconds to the first match.
    """
    from textual.widgets import Input

    from reader.screens.article import ArticleScreen

    screen = app.screen
    assert isinstance(screen, ArticleScreen)
    view = screen.view
    if pasted:
        # `/` (which starts folding the book in a worker), and as soon as the field has
        # the focus, the query, then enter: the find comes before the fold is done.
        field = screen.query_one("#find", Input)
        send_keys(app, "slash")
        while not field.has_focus:
            await asyncio.sleep(0.001)
        send_keys(app, *query)
        while field.value != query:
            await asyncio.sleep(0.001)
    else:
        await pilot.press("slash", *query)
        await pilot.pause()

    def shown() -> bool:
        """Whether a current match is on screen (its paragraph's rows in the view)."""
        if view.current_match is None:
            return False
        top, rows = view.block_rows(view.cursor)
        return top < view.scroll_offset.y + view.size.height and top + rows > view.scroll_offset.y

    frames.watch(first=shown, count=lambda: screen._counting is None and shown())
    frames.start()
    send_keys(app, "enter")
    await frames.wait()
    assert view.current_match is not None
    first, count = frames.seen["first"], frames.seen["count"]
    return first.wall, count.wall, len(view.matches), view.current_match + 1, first.cpu


async def timed_close(pilot: Pilot[None], app: ReaderApp, frames: Frames, query: str) -> Sample:
    """The floor: type a query, then close the field with escape instead of finding.

    The screen changes as much as on enter (the field goes, the text takes its rows back
    and the focus), without a find. Returns the time from escape to that frame.
    """
    from textual.widgets import Input

    field = app.screen.query_one("#find", Input)
    await pilot.press("slash", *query)
    await pilot.pause()
    frames.watch(closed=lambda: not field.has_class("-shown"))
    frames.start()
    send_keys(app, "escape")
    await frames.wait()
    return frames.seen["closed"]


async def reopen(pilot: Pilot[None], app: ReaderApp, article_id: str) -> ArticleScreen:
    """Back to the library and open the book again, at its top: a new find starts afresh."""
    from reader.screens.library import LibraryScreen

    await pilot.press("escape")
    await pilot.pause()
    if not isinstance(app.screen, LibraryScreen):
        await pilot.press("escape")  # the first escape cleared a find
        await pilot.pause()
    assert isinstance(app.screen, LibraryScreen)
    app.screen.table.select(article_id)
    await pilot.press("enter")
    screen = await article_screen(pilot, app)
    await pilot.press("g")
    await pilot.pause()
    return screen


async def measure(db: Path, article_id: str, queries: Sequence[str]) -> dict[str, Any]:
    """Open the book in the real app and time each query: pasted or typed into a freshly
    opened book, then again in the same book."""
    from annotations.store import AnnotationStore
    from reader.app import ReaderApp

    store = AnnotationStore(db)
    results: dict[str, Any] = {query: {"pasted": [], "typed": [], "again": []} for query in queries}
    closes: list[Sample] = []
    app = ReaderApp(store, open_article=article_id)
    async with app.run_test(size=TERMINAL) as pilot:
        frames = Frames(app)
        await article_screen(pilot, app)
        for _ in range(RUNS):
            for query in queries:
                await reopen(pilot, app, article_id)
                results[query]["pasted"].append(await timed_find(pilot, app, frames, query, True))
                await reopen(pilot, app, article_id)
                closes.append(await timed_close(pilot, app, frames, query))
                results[query]["typed"].append(await timed_find(pilot, app, frames, query))
                await pilot.press("escape", "g")  # clears the find
                results[query]["again"].append(await timed_find(pilot, app, frames, query))
        screen = await reopen(pilot, app, article_id)
        view = screen.view
        # ] through the matches of the first query; [ from the first match to the last,
        # beside G (to the last paragraph) as its baseline.
        await pilot.press("slash", *queries[0], "enter")
        while screen._counting is not None:
            await pilot.pause()
        jumps: list[Sample] = []
        for _ in range(JUMPS):
            watch = Stopwatch()
            await pilot.press("right_square_bracket")
            jumps.append(watch.sample())
        to_last: list[Sample] = []
        to_end: list[Sample] = []
        for _ in range(3):
            view.show_match(0)
            await pilot.pause()
            watch = Stopwatch()
            await pilot.press("left_square_bracket")
            to_last.append(watch.sample())
            assert view.current_match == len(view.matches) - 1
            await pilot.press("g")
            await pilot.pause()
            watch = Stopwatch()
            await pilot.press("G")
            to_end.append(watch.sample())
        results["jump_cpu"] = statistics.median(sample.cpu for sample in jumps)
        results["jump_wall"] = statistics.median(sample.wall for sample in jumps)
        results["to_last_cpu"] = statistics.median(sample.cpu for sample in to_last)
        results["G_cpu"] = statistics.median(sample.cpu for sample in to_end)
    store.close()
    results["close_ms"] = statistics.median(sample.wall for sample in closes)
    results["close_cpu"] = statistics.median(sample.cpu for sample in closes)
    results["rss_mb"] = peak_rss_mb()
    return results


# Reporting ----------------------------------------------------------------------------------


def machine() -> str:
    """One line about the machine and the versions measured."""
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return (
        f"nproc {cpus} · {platform.machine()} · Python {platform.python_version()} · "
        f"textual {version('textual')}"
    )


def print_table(
    queries: Sequence[str], raw: dict[str, dict[str, Any]], tui: dict[str, Any]
) -> None:
    """One column per query: the raw scan, then the app's figures and their ratios."""
    rows: list[tuple[str, Callable[[str], str]]] = []

    def median(query: str, case: str, field: int) -> float:
        return statistics.median(run[field] for run in tui[query][case])

    def figure(case: str, field: int) -> Callable[[str], float]:
        return lambda query: median(query, case, field)

    def ratio(case: str) -> Callable[[str], float]:
        return lambda query: median(query, case, 1) / raw[query]["fold_scan"]

    def add(label: str, value: Callable[[str], float], fmt: str = ".1f") -> None:
        rows.append((label, lambda query: format(value(query), fmt)))

    add("matches", lambda q: raw[q]["count"], ",.0f")
    add("raw Finder.find: fold+scan ms (baseline)", lambda q: raw[q]["fold_scan"])
    add("raw Finder.find: scan only ms", lambda q: raw[q]["scan"])
    add("typed, escape → field closed ms (floor)", lambda q: tui["close_ms"])
    add("typed, escape → field closed UI CPU ms", lambda q: tui["close_cpu"])
    for case, label in (
        ("pasted", "pasted, fresh book"),
        ("typed", "typed, fresh book"),
        ("again", "typed again, same book"),
    ):
        add(f"{label}: first match is number", figure(case, 3), ",.0f")
        add(f"{label}: → first match ms", figure(case, 0))
        add(f"{label}: → first match UI CPU ms", figure(case, 4))
        add(f"{label}: → full count ms", figure(case, 1))
        add(f"{label}: count / baseline", ratio(case), ".2f")
    label_width = max(len(label) for label, _value in rows)
    print(f"{'':{label_width}}" + "".join(f"  {query:>12}" for query in queries))
    for label, value in rows:
        print(f"{label:{label_width}}" + "".join(f"  {value(query):>12}" for query in queries))


def main(argv: Sequence[str] | None = None) -> None:
    """Prepare the book, time the raw scans and the app, print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--book", type=Path, help="a plain-text book instead of a generated one")
    parser.add_argument(
        "--words",
        default=",".join(DEFAULT_WORDS),
        help=f"the queries, comma-separated (default: {','.join(DEFAULT_WORDS)})",
    )
    args = parser.parse_args(argv)
    queries = [word for word in args.words.split(",") if word.strip()]

    started = perf_counter()
    print(machine())
    with tempfile.TemporaryDirectory(prefix="reader-bench-") as name:
        folder = Path(name)
        os.environ.update(
            HOME=str(folder / "home"),
            XDG_DATA_HOME=str(folder / "home" / "data"),
            XDG_CONFIG_HOME=str(folder / "home" / "config"),
            XDG_CACHE_HOME=str(folder / "home" / "cache"),
        )
        db, article_id, megabytes, import_ms = import_book(folder, args.book)
        raw = {query: raw_scans(db, article_id, query) for query in queries}
        tui = asyncio.run(measure(db, article_id, queries))
    book = args.book.name if args.book else "generated"
    print(
        f"book: {book}, {megabytes:.2f} MB, imported in {import_ms:,.0f} ms; terminal "
        f"{TERMINAL[0]}x{TERMINAL[1]}; medians of {RUNS} finds in a freshly opened book and "
        f"{RUNS} again in the same book, {RAW_RUNS} raw scans.\nTimes run from the enter "
        "key to the first frame the app draws with the first match on screen, then with the "
        "count; a fresh book is folded while a query is typed (by hand: done by enter; "
        "pasted: not yet)."
    )
    print_table(queries, raw, tui)
    print(
        f"] median: {tui['jump_cpu']:.1f} ms CPU ({tui['jump_wall']:.0f} ms wall with the "
        f"pilot's waits); [ from the first match to the last: {tui['to_last_cpu']:.1f} ms CPU, "
        f"G (to the last paragraph): {tui['G_cpu']:.1f} ms CPU; peak RSS {tui['rss_mb']:.0f} MB"
    )
    print(f"total {perf_counter() - started:.1f} s")


if __name__ == "__main__":
    main()
