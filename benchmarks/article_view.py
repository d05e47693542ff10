"""Benchmark the article view on a huge hard-wrapped book against a short article, side by side.

Run `python benchmarks/article_view.py`. Everything happens in a temporary folder: two plain-text
articles are generated, imported with the real ingestion into a fresh library, given highlights,
and each is then opened in the real app (headless, 120x40) in its own subprocess, so peak memory
is per article. The parent prints one table; see `benchmarks/README.md`.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import random
import statistics
import subprocess
import sys
import tempfile
import textwrap
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from importlib.metadata import version
from pathlib import Path
from time import perf_counter
from typing import TYPE_CHECKING, Any

from measure import Sample, Stopwatch, peak_rss_mb, plain, words

if TYPE_CHECKING:
    from textual.pilot import Pilot

    from annotations.store import AnnotationStore
    from reader.app import ReaderApp
    from reader.widgets.paragraph_view import ParagraphView

SEED = 20260131
"""The same articles and highlights on every run."""
BIG_BYTES = 3_400_000
"""The big article is at least this many bytes of UTF-8..."""
BIG_MIN_PARAGRAPHS = 12_000
"""...and at least this many paragraphs."""
SHORT_PARAGRAPHS = 10
WRAP_COLUMNS = 72
"""The articles are hard-wrapped like a Project Gutenberg book."""
BIG_HIGHLIGHTS = 300
SHORT_HIGHLIGHTS = 3
TERMINAL = (120, 40)
J_MOVES = 50
"""Timed presses of `j`."""
K_MOVES = 30
"""Timed presses of `k`."""
PAGES = 20
"""Timed presses of `space`."""
NOOPS = 10
"""Timed presses of an unbound key: what the harness itself costs per press."""
HIGHLIGHT_TOGGLES = 5
"""Timed `h` presses that add a highlight, each followed by a timed one that removes it."""
REOPENS = 3
"""Times the article is opened again from the library (enter)."""
CASE_TIMEOUT = 100
"""Seconds a case may take before the benchmark gives up."""
RESULT_MARK = "ARTICLE-VIEW-RESULT "
"""Prefix of the one JSON line a case subprocess prints."""
UNBOUND_KEY = "x"


ENGLISH = words(
    """
the of and to a in that it was he his i with as for had you not be her on at by which have or
from this him but all she they were my are me one their so an said them we who would been will
no when there if more out up into do any your what has man could other than our some very time
upon about may its only now like little then can made should did us such great before must two
these see know over much down after first mister good men own never most old shall day where
those came come himself way work life without go make well through being long say might how am
too even every here thought house again while yet under last eyes think hand whole light night
face room door letter morning evening river garden window voice silence street country table
young question answer moment reason something nothing nobody somebody always almost perhaps
often rather enough quite however therefore although because whether remember understand believe
wonder suppose consider forgotten remained returned followed between against towards beneath
beyond within across above behind beside during until since beautiful terrible curious gentle
ancient narrow crowded quiet bright heavy certain strange sister brother mother father friend
stranger captain doctor servant master husband daughter journey harbour winter summer autumn
spring weather candle mirror picture sentence chapter
"""
)

DUTCH = words(
    """
de het een en van ik te dat die in is hij niet zijn op aan met als voor had er maar om hem dan
zou of wat mijn men dit zo door over ze zich bij ook tot je mij uit der daar haar naar heb hoe
heeft hebben deze u want nog zal me zij nu ge geen omdat iets worden toch al waren veel meer
doen toen moet ben zonder kan hun dus alles onder ja eens hier wie werd altijd doch wordt één
café reünie coördinatie ideeën geëerd financiële privé patiënt België naïef tweeën zeeën
beëindigen geïnteresseerd cliënt knieën Curaçao crème enquête hôtel logé scène überhaupt
gezellig huiskamer grachtenpand fietsenstalling boterham stroopwafel duinen polder sluis
"""
)

VOCABULARY = ENGLISH + DUTCH
# Zipf-like: the first (most common) words of each list come up far more often.
WEIGHTS = [1 / (rank + 1) ** 0.9 for rank in range(len(ENGLISH))] + [
    0.35 / (rank + 1) ** 0.9 for rank in range(len(DUTCH))
]


# Generating and importing ------------------------------------------------------------------


def make_sentence(rng: random.Random) -> str:
    """One sentence of random words, with a capital, some commas and a final mark."""
    words = rng.choices(VOCABULARY, weights=WEIGHTS, k=rng.randint(5, 24))
    for index in range(1, len(words) - 1):
        if rng.random() < 0.07:
            words[index] += ","
    words[0] = words[0][:1].upper() + words[0][1:]
    end = rng.choices([".", "?", "!", "…"], weights=[88, 6, 4, 2])[0]
    sentence = " ".join(words) + end
    return f"“{sentence}”" if rng.random() < 0.08 else sentence


def make_paragraph(rng: random.Random, sentences: int) -> str:
    """A paragraph hard-wrapped at `WRAP_COLUMNS`, as in a plain-text book."""
    text = " ".join(make_sentence(rng) for _ in range(sentences))
    return textwrap.fill(text, WRAP_COLUMNS, break_long_words=False, break_on_hyphens=False)


def make_big_article(rng: random.Random) -> str:
    """A title, a byline and 12,000+ paragraphs with a chapter heading now and then."""
    chunks = ["De lange reis — a benchmark novel in many paragraphs", "door Anna de Vriës"]
    size = sum(len(chunk.encode()) + 2 for chunk in chunks)
    paragraphs = 0
    chapter = 0
    next_chapter = 0
    while size < BIG_BYTES or paragraphs < BIG_MIN_PARAGRAPHS:
        if paragraphs >= next_chapter:
            chapter += 1
            next_chapter = paragraphs + rng.randint(60, 140)
            chunk = f"Hoofdstuk {chapter}"
        else:
            chunk = make_paragraph(rng, rng.randint(2, 6))
            paragraphs += 1
        chunks.append(chunk)
        size += len(chunk.encode()) + 2
    return "\n\n".join(chunks) + "\n"


def make_short_article(rng: random.Random) -> str:
    """A title and `SHORT_PARAGRAPHS` paragraphs of the same kind of text."""
    paragraphs = [make_paragraph(rng, rng.randint(3, 5)) for _ in range(SHORT_PARAGRAPHS)]
    return "\n\n".join(["Een korte notitie over de reis", *paragraphs]) + "\n"


def add_highlights(
    store: AnnotationStore, article_id: str, count: int, rng: random.Random
) -> list[float]:
    """Spread highlights over an article, some over two blocks, some with tags or a note.

    Returns:
        Milliseconds each `add_highlight` call took.
    """
    from annotations.models import HIGHLIGHT_COLORS

    texts = [block.text for block in store.get_blocks(article_id)]
    tag_pool = ["thema", "personage", "reis", "citaat", "één-keer", "to-check", "later"]
    timings: list[float] = []
    for number in range(count):
        block = min(len(texts) - 1, int((number + rng.random()) * len(texts) / count))
        length = len(texts[block])
        start = rng.randrange(0, max(1, length // 2))
        if number % 10 == 9 and block + 1 < len(texts):
            end = (block + 1, rng.randint(1, len(texts[block + 1])))
        else:
            end = (block, rng.randint(start + 1, length))
        tags = rng.sample(tag_pool, rng.randint(1, 3)) if number % 4 == 0 else []
        note = ""
        if number % 6 == 0:
            note = "Mooi gezegd; vergelijk met hoofdstuk één."
            if number % 12 == 0:
                note += "\nTweede regel van de notitie.\nDerde.\nVierde.\nVijfde, afgekapt."
        started = perf_counter()
        store.add_highlight(
            article_id,
            (block, start),
            end,
            color=HIGHLIGHT_COLORS[number % len(HIGHLIGHT_COLORS)],
            tags=tags,
            note=note,
        )
        timings.append((perf_counter() - started) * 1000)
    return timings


@dataclass
class Prepared:
    """An article generated and imported into the benchmark library."""

    case: str
    article_id: str
    paragraphs: int
    megabytes: float
    highlights: int
    import_ms: float
    add_highlight_ms: float


def prepare(folder: Path) -> list[Prepared]:
    """Write both articles, import them into `folder/library.db` and highlight them."""
    from annotations.store import AnnotationStore
    from reader.ingest import load_document

    rng = random.Random(SEED)
    texts = {"short": make_short_article(rng), "big": make_big_article(rng)}
    store = AnnotationStore(folder / "library.db")
    prepared = []
    try:
        for case, text in texts.items():
            path = folder / f"{case}.txt"
            path.write_text(text, encoding="utf-8")
            started = perf_counter()
            result = store.import_document(load_document(path))
            import_ms = (perf_counter() - started) * 1000
            article = result.article
            count = BIG_HIGHLIGHTS if case == "big" else SHORT_HIGHLIGHTS
            timings = add_highlights(store, article.id, count, rng)
            prepared.append(
                Prepared(
                    case=case,
                    article_id=article.id,
                    paragraphs=article.block_count,
                    megabytes=len(text.encode()) / 1e6,
                    highlights=count,
                    import_ms=import_ms,
                    add_highlight_ms=statistics.mean(timings),
                )
            )
    finally:
        store.close()
    return prepared


# Measuring one case (in a subprocess) ------------------------------------------------------


async def press(pilot: Pilot[None], key: str) -> Sample:
    """Press a key, wait until the app has handled it and redrawn, and time both."""
    watch = Stopwatch()
    await pilot.press(key)
    await pilot.pause()
    return watch.sample()


async def article_view(pilot: Pilot[None], app: ReaderApp) -> ParagraphView:
    """Wait until the article screen is up and its view is laid out, then let it render."""
    from reader.screens.article import ArticleScreen
    from reader.widgets.paragraph_view import ParagraphView

    for _ in range(500):
        screen = app.screen
        if isinstance(screen, ArticleScreen):
            view = next(iter(screen.query(ParagraphView)), None)
            if view is not None and view.virtual_size.height > 0:
                await pilot.pause()
                return view
        await pilot.pause()
    raise RuntimeError("the article screen did not open")


def screen_text(view: ParagraphView) -> str:
    """The text of the view's visible rows, as rendered."""
    return "\n".join(view.render_line(y).text for y in range(view.size.height))


async def sample_moves(
    pilot: Pilot[None],
    view: ParagraphView,
    key: str,
    count: int,
    at_limit: Callable[[], bool],
    reset: str,
    check: Callable[[int], None],
) -> list[Sample]:
    """Time `count` presses of a key that really move; at the end, jump back (untimed)."""
    samples: list[Sample] = []
    while len(samples) < count:
        if at_limit():
            await pilot.press(reset)
            await pilot.pause()
            continue
        before = view.cursor
        samples.append(await press(pilot, key))
        check(before)
    return samples


async def measure(db: Path, article_id: str, export_dir: Path, profile: bool) -> dict[str, Any]:
    """Open the article in the real app, headless, and time opening, jumping and moving."""
    import cProfile
    import pstats

    from annotations.store import AnnotationStore
    from reader.app import ReaderApp
    from reader.screens.library import LibraryScreen

    result: dict[str, Any] = {"rss_before_mb": peak_rss_mb()}
    store = AnnotationStore(db)
    profiler = cProfile.Profile() if profile else None

    watch = Stopwatch()
    app = ReaderApp(store, open_article=article_id, export_folder=export_dir)
    async with app.run_test(size=TERMINAL) as pilot:
        view = await article_view(pilot, app)
        result["start_open"] = watch.sample()
        result["rss_open_mb"] = peak_rss_mb()
        last = len(view.blocks) - 1
        assert view.cursor == 0
        assert view.blocks[0].text.split()[0] in screen_text(view)

        # Open again from the library, as a reader does: escape, then enter on the row.
        reopens: list[Sample] = []
        for _ in range(REOPENS):
            # Drop our reference, or the old view would live on beside the new one.
            del view
            await pilot.press("escape")
            await pilot.pause()
            assert isinstance(app.screen, LibraryScreen)
            app.screen.table.select(article_id)
            await pilot.pause()
            if profiler is not None:
                profiler.enable()
            watch = Stopwatch()
            await pilot.press("enter")
            view = await article_view(pilot, app)
            reopens.append(watch.sample())
            if profiler is not None:
                profiler.disable()
        result["open"] = reopens
        result["rss_reopen_mb"] = peak_rss_mb()

        jumps: list[Sample] = []
        for _ in range(3):
            jumps.append(await press(pilot, "G"))
            assert view.cursor == last, (view.cursor, last)
            assert view.scroll_offset.y == view.max_scroll_y
            assert view.blocks[last].text.split()[-1] in screen_text(view)
            await press(pilot, "g")
            assert view.cursor == 0
        result["G"] = jumps

        def moved(step: int) -> Callable[[int], None]:
            def check(before: int) -> None:
                assert view.cursor == before + step, (before, view.cursor)

            return check

        result["j"] = await sample_moves(
            pilot, view, "j", J_MOVES, lambda: view.cursor == last, "g", moved(1)
        )
        result["k"] = await sample_moves(
            pilot, view, "k", K_MOVES, lambda: view.cursor == 0, "G", moved(-1)
        )
        assert view.max_scroll_y > 0, "the article fits on one screen: space cannot be timed"
        result["space"] = await sample_moves(
            pilot,
            view,
            "space",
            PAGES,
            lambda: view.scroll_offset.y >= view.max_scroll_y,
            "g",
            lambda before: None,
        )
        result["noop"] = [await press(pilot, UNBOUND_KEY) for _ in range(NOOPS)]

        adds: list[Sample] = []
        removes: list[Sample] = []
        for _ in range(HIGHLIGHT_TOGGLES):
            while view.annotations_at(view.cursor) or not view.blocks[view.cursor].text:
                await pilot.press("g" if view.cursor == last else "j")
            await pilot.pause()
            count = len(view.annotations)
            if profiler is not None:
                profiler.enable()
            adds.append(await press(pilot, "h"))
            if profiler is not None:
                profiler.disable()
            assert len(view.annotations) == count + 1
            removes.append(await press(pilot, "h"))
            assert len(view.annotations) == count
            await pilot.press("j")
        result["h_add"] = adds
        result["h_remove"] = removes
        result["blocks"] = len(view.blocks)
    store.close()
    result["rss_peak_mb"] = peak_rss_mb()
    if profiler is not None:
        stats = pstats.Stats(profiler, stream=sys.stderr)
        print("\n== cProfile: re-opens (enter) and `h` adds, by own time ==", file=sys.stderr)
        stats.sort_stats("tottime").print_stats(20)
        print("== by cumulative time ==", file=sys.stderr)
        stats.sort_stats("cumulative").print_stats(30)
    return {key: plain(value) for key, value in result.items()}


# Running and reporting ---------------------------------------------------------------------


def case_environment(folder: Path) -> dict[str, str]:
    """The environment of a case: every user folder points into the temporary folder."""
    home = folder / "home"
    env = dict(os.environ)
    env.update(
        HOME=str(home),
        XDG_DATA_HOME=str(home / ".local" / "share"),
        XDG_CONFIG_HOME=str(home / ".config"),
        XDG_CACHE_HOME=str(home / ".cache"),
        XDG_DOCUMENTS_DIR=str(home / "Documents"),
        READER_DB=str(folder / "library.db"),
        READER_EXPORT_DIR=str(folder / "exports"),
    )
    return env


def run_self(folder: Path, *arguments: str, show_stderr: bool = False) -> Any:
    """Run this script again with hidden arguments and return the JSON it prints.

    The parent stays a small process that never imports the app nor holds the articles:
    Linux carries the peak RSS of the image a child was forked from into the child's own
    `ru_maxrss`, so a big parent would inflate every case's peak memory.
    """
    done = subprocess.run(
        [sys.executable, str(Path(__file__).resolve()), *arguments],
        env=case_environment(folder),
        capture_output=True,
        text=True,
        timeout=CASE_TIMEOUT,
        check=False,
    )
    if show_stderr or done.returncode:
        sys.stderr.write(done.stderr)
    for line in done.stdout.splitlines():
        if line.startswith(RESULT_MARK):
            return json.loads(line[len(RESULT_MARK) :])
    raise SystemExit(f"{' '.join(arguments[:2])} failed (exit {done.returncode})")


def run_case(folder: Path, article: Prepared, profile: bool) -> dict[str, Any]:
    """Measure one article in a fresh interpreter and return its figures."""
    arguments = ["--case", article.case, "--db", str(folder / "library.db")]
    arguments += ["--article", article.article_id, "--exports", str(folder / "exports")]
    if profile:
        arguments.append("--profile")
    figures: dict[str, Any] = run_self(folder, *arguments, show_stderr=profile)
    return figures


def median(samples: Sequence[dict[str, float]], field: str) -> float:
    """The median of one field of the samples."""
    return statistics.median(sample[field] for sample in samples)


def p95(samples: Sequence[dict[str, float]], field: str) -> float:
    """The 95th percentile of one field of the samples."""
    values = [sample[field] for sample in samples]
    return statistics.quantiles(values, n=20, method="inclusive")[18]


def table_rows(
    prepared: dict[str, Prepared], results: dict[str, dict[str, Any]]
) -> list[tuple[str, float, float, str]]:
    """(label, short, big, number format) for every row of the table."""
    rows: list[tuple[str, float, float, str]] = []

    def add(label: str, value: Callable[[str], float], fmt: str = ".1f") -> None:
        rows.append((label, value("short"), value("big"), fmt))

    add("paragraphs (blocks)", lambda c: results[c]["blocks"], ",.0f")
    add("article MB", lambda c: prepared[c].megabytes, ".3f")
    add("highlights", lambda c: prepared[c].highlights, ",.0f")
    add("setup: load+import ms", lambda c: prepared[c].import_ms)
    add("setup: add_highlight ms", lambda c: prepared[c].add_highlight_ms)
    add("app start + open ms", lambda c: results[c]["start_open"]["wall"])
    add("app start + open CPU ms", lambda c: results[c]["start_open"]["cpu"])
    add("open (enter) ms", lambda c: median(results[c]["open"], "wall"))
    add("open (enter) CPU ms", lambda c: median(results[c]["open"], "cpu"))
    for key, label in (("G", "G"), ("j", "j"), ("k", "k"), ("space", "space")):
        add(f"{label} median ms", lambda c, key=key: median(results[c][key], "wall"))
        if key == "j":
            add("j p95 ms", lambda c: p95(results[c]["j"], "wall"))
        add(f"{label} median CPU ms", lambda c, key=key: median(results[c][key], "cpu"))
        if key == "j":
            add("j p95 CPU ms", lambda c: p95(results[c]["j"], "cpu"))
    add("no-op key median ms", lambda c: median(results[c]["noop"], "wall"))
    add("no-op key median CPU ms", lambda c: median(results[c]["noop"], "cpu"))
    add("h add median ms", lambda c: median(results[c]["h_add"], "wall"))
    add("h add median CPU ms", lambda c: median(results[c]["h_add"], "cpu"))
    add("h remove median ms", lambda c: median(results[c]["h_remove"], "wall"))
    add("h remove median CPU ms", lambda c: median(results[c]["h_remove"], "cpu"))
    add("peak RSS after imports MB", lambda c: results[c]["rss_before_mb"])
    add("peak RSS after first open MB", lambda c: results[c]["rss_open_mb"])
    add("peak RSS after re-opens MB", lambda c: results[c]["rss_reopen_mb"])
    add("peak RSS at the end MB", lambda c: results[c]["rss_peak_mb"])
    return rows


def print_table(prepared: dict[str, Prepared], results: dict[str, dict[str, Any]]) -> None:
    """Print the figures, the short and the big article side by side."""
    rows = table_rows(prepared, results)
    label_width = max(len(row[0]) for row in rows)
    print(f"{'':{label_width}}  {'short':>10}  {'big':>10}  {'big/short':>9}")
    for label, short, big, fmt in rows:
        ratio = f"{big / short:9.2f}" if short else f"{'—':>9}"
        print(f"{label:{label_width}}  {short:>10{fmt}}  {big:>10{fmt}}  {ratio}")


def machine() -> str:
    """One line about the machine and the versions measured."""
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return (
        f"nproc {cpus} · {platform.machine()} · Python {platform.python_version()} · "
        f"textual {version('textual')} · sqlite-utils {version('sqlite-utils')}"
    )


def main(argv: Sequence[str] | None = None) -> None:
    """Prepare the articles, measure each in a subprocess, print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--profile",
        action="store_true",
        help="cProfile the big article's re-opens and h adds (their times are then inflated)",
    )
    parser.add_argument("--json", action="store_true", help="print the raw figures as JSON too")
    parser.add_argument("--prepare", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--case", choices=["short", "big"], help=argparse.SUPPRESS)
    parser.add_argument("--db", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--article", help=argparse.SUPPRESS)
    parser.add_argument("--exports", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args.prepare:
        articles = [vars(article) for article in prepare(args.prepare)]
        print(RESULT_MARK + json.dumps(articles), flush=True)
        return
    if args.case:
        figures = asyncio.run(measure(args.db, args.article, args.exports, args.profile))
        print(RESULT_MARK + json.dumps(figures), flush=True)
        return

    started = perf_counter()
    print(machine())
    with tempfile.TemporaryDirectory(prefix="reader-bench-") as name:
        folder = Path(name)
        articles = run_self(folder, "--prepare", str(folder))
        prepared = {article["case"]: Prepared(**article) for article in articles}
        results = {
            case: run_case(folder, article, args.profile and case == "big")
            for case, article in prepared.items()
        }
    print(
        f"terminal {TERMINAL[0]}x{TERMINAL[1]}; each key is pilot.press + pilot.pause, timed in "
        f"wall clock and process CPU; medians of {J_MOVES} j, {K_MOVES} k, {PAGES} space, "
        f"{REOPENS} opens, 3 G.\nWall times include the pilot's idle waits (20 ms steps; see "
        "the no-op key): compare CPU rows for the app's own work."
    )
    print_table(prepared, results)
    if args.json:
        print(json.dumps(results))
    print(f"total {perf_counter() - started:.1f} s")


if __name__ == "__main__":
    main()
