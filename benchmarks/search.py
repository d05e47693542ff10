"""Benchmark full-text search and the library-wide annotation list on a large generated library.

Run `python benchmarks/search.py`. Everything happens in a temporary folder: 10,000 articles
(~5 KB each) are generated from a seeded word list and stored with
`AnnotationStore.import_document`, so the search index is built as the app builds it; 50,000
annotations are then inserted with plain SQL, one statement per table (the library's triggers
index them). Each figure is the median of repeated runs, next to a plain-SQL baseline timed in
the same run; the whole run takes about a minute on 2 cores. First, a 3.4 MB book is imported
into a new library with the search index, and into one as it was before (`m003_search`).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import sqlite3
import statistics
import tempfile
import uuid
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from importlib.metadata import version
from pathlib import Path
from time import perf_counter, process_time
from typing import Any

from measure import words

from annotations.models import Block, BlockKind, Document, format_timestamp
from annotations.search import match_expression
from annotations.store import AnnotationStore
from annotations.store.migrations import migration_set

SEED = 20260131
"""The same library on every run."""
ARTICLES = 10_000
ARTICLE_BYTES = 5_000
"""Each article is about this long (several paragraphs)."""
ANNOTATIONS = 50_000
RUNS = 20
"""Timed runs per figure (the median is shown)."""
BASELINE_RUNS = 7
"""Timed runs of the LIKE scans, which each read the whole library's text."""
BOOK_BYTES = 3_400_000
"""Size of the book whose import is timed with and without the search index."""


ENGLISH = words(
    """
the of and to a in that it was he his with as for had you not be her on at by which have or from
this him but all she they were my are me one their so an said them we who would been will no when
there if more out up into do any your what has man could other than our some very time upon about
may its only now like little then can made should did us such great before must two these see
know over much down after first good men own never most old shall day where those came come
himself way work life without go make well through being long say might how too even every here
thought house again while yet under last eyes think hand whole light night face room door letter
morning evening river garden window voice silence street country table young question answer
moment reason something nothing always almost perhaps often rather enough however therefore
although because whether remember understand believe wonder suppose consider forgotten remained
returned followed between against towards beneath beyond within across above behind beside during
until since beautiful terrible curious gentle ancient narrow crowded quiet bright heavy certain
strange sister brother mother father friend stranger captain doctor servant master husband
daughter journey harbour winter summer autumn spring weather candle mirror picture sentence
chapter bridge market council railway station engineer merchant ledger vessel lantern orchard
meadow quarry foundry printing telegraph kettle parcel umbrella
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
stroopwafel duinen polder sluis brug brugge gemeente rivier
"""
)

migrations = migration_set()

RARE = ["zeppelin", "quixotic", "marmalade", "Goïta"]
"""Words that come up in about one block in a thousand."""
VOCABULARY = ENGLISH + DUTCH
WEIGHTS = [1 / (rank + 1) ** 0.9 for rank in range(len(ENGLISH))] + [
    0.35 / (rank + 1) ** 0.9 for rank in range(len(DUTCH))
]
TAGS = ["thema", "personage", "reis", "citaat", "één-keer", "to-check", "later", "Brug"] + [
    f"topic-{number}" for number in range(40)
]
NOTE_WORDS = words("see compare later bridge river remember important zie vergelijk belangrijk")

SEARCHES = [
    ("rare word", "zeppelin", "%zeppelin%"),
    ("common word", "river", "%river%"),
    ("prefix", "harb", "%harb%"),
    ("short prefix", "th", "%th%"),
    ("diacritics folded", "coordinatie", "%coördinatie%"),
    ("two words", "quiet harbour", "%quiet%harbour%"),
    ("phrase", '"the river"', "%the river%"),
]
"""(label, query for store.search, LIKE pattern of the baseline scan)."""


# Generating --------------------------------------------------------------------------------


def make_paragraph(rng: random.Random, size: int) -> str:
    """About `size` characters of sentences, now and then a rare word."""
    sentences: list[str] = []
    length = 0
    while length < size:
        words = rng.choices(VOCABULARY, weights=WEIGHTS, k=rng.randint(6, 22))
        if rng.random() < 0.004:
            words[rng.randrange(len(words))] = rng.choice(RARE)
        words[0] = words[0].capitalize()
        sentence = " ".join(words) + rng.choice(".....?!")
        sentences.append(sentence)
        length += len(sentence) + 1
    return " ".join(sentences)


def make_document(rng: random.Random, number: int) -> Document:
    """An article of about `ARTICLE_BYTES`, in 4 to 8 paragraphs."""
    count = rng.randint(4, 8)
    blocks = tuple(
        Block(BlockKind.PARAGRAPH, make_paragraph(rng, ARTICLE_BYTES // count))
        for _ in range(count)
    )
    title = " ".join(rng.choices(VOCABULARY, weights=WEIGHTS, k=rng.randint(3, 7))).capitalize()
    return Document(title=f"{title} {number}", blocks=blocks, source=f"/bench/{number}.txt")


def build_library(store: AnnotationStore, rng: random.Random) -> float:
    """Import the articles through the store, a thousand per transaction.

    Returns:
        Seconds the imports took (generation excluded).
    """
    took = 0.0
    batch: list[Document] = []
    for number in range(ARTICLES):
        batch.append(make_document(rng, number))
        if len(batch) == 1000 or number == ARTICLES - 1:
            started = perf_counter()
            with store.transaction():
                for document in batch:
                    store.import_document(document)
            took += perf_counter() - started
            batch.clear()
    return took


def add_annotations(store: AnnotationStore, rng: random.Random) -> float:
    """Insert `ANNOTATIONS` annotations (a third tagged, a quarter with a note) with plain SQL.

    One INSERT per table, fed from JSON, so the library's triggers index them as they would
    index annotations made in the app, without a statement per row.

    Returns:
        Seconds the inserts took.
    """
    blocks = store.db.execute("SELECT article_id, idx, text FROM blocks").fetchall()
    start = datetime(2024, 1, 1, tzinfo=UTC)
    annotations: list[list[Any]] = []
    links: list[list[Any]] = []
    for number in range(ANNOTATIONS):
        article_id, index, text = rng.choice(blocks)
        begin = rng.randrange(0, max(1, len(text) - 80))
        end = begin + rng.randint(20, 80)
        note = " ".join(rng.choices(NOTE_WORDS, k=rng.randint(2, 9))) if number % 4 == 0 else ""
        when = format_timestamp(start + timedelta(minutes=number * 7 + rng.randint(0, 5)))
        annotation_id = str(uuid.UUID(int=rng.getrandbits(128), version=4))
        annotations.append(
            [annotation_id, article_id, index, begin, end, text[begin:end], note, when]
        )
        if number % 3 == 0:
            links += [[annotation_id, tag] for tag in rng.sample(TAGS, rng.randint(1, 3))]
    started = perf_counter()
    with store.transaction():
        store.db.execute(
            """
            INSERT INTO annotations (id, article_id, start_block, start_offset, end_block,
                end_offset, exact, note, created_at, updated_at)
            SELECT value ->> 0, value ->> 1, value ->> 2, value ->> 3, value ->> 2, value ->> 4,
                value ->> 5, value ->> 6, value ->> 7, value ->> 7
            FROM json_each(?)
            """,
            [json.dumps(annotations, ensure_ascii=False)],
        )
        store.db.execute(
            "INSERT INTO tags (name) SELECT DISTINCT value ->> 1 FROM json_each(?)",
            [json.dumps(links, ensure_ascii=False)],
        )
        store.db.execute(
            """
            INSERT INTO annotation_tags (annotation_id, tag_id)
            SELECT value ->> 0, t.id FROM json_each(?) JOIN tags t ON t.name = value ->> 1
            """,
            [json.dumps(links, ensure_ascii=False)],
        )
    return perf_counter() - started


# Timing ------------------------------------------------------------------------------------


def median_ms(action: Callable[[], object], runs: int) -> tuple[float, object]:
    """The median wall time of `runs` calls in milliseconds, after one untimed warm-up call."""
    result = action()
    samples = []
    for _ in range(runs):
        started = perf_counter()
        action()
        samples.append((perf_counter() - started) * 1000)
    return statistics.median(samples), result


def time_searches(store: AnnotationStore, runs: int, baseline_runs: int) -> list[list[str]]:
    """`store.search()` (top 100, ranked) against a LIKE scan of every block, per query."""
    rows = []
    conn = store.db.conn
    for label, query, pattern in SEARCHES:
        fts_ms, hits = median_ms(lambda q=query: store.search(q, limit=100), runs)
        total = conn.execute(
            "SELECT count(*) FROM search_fts WHERE search_fts MATCH ?",
            [match_expression(query, ("text",))],
        ).fetchone()[0]
        like_ms, found = median_ms(
            lambda p=pattern: conn.execute(
                "SELECT article_id, idx FROM blocks WHERE text LIKE ?", [p]
            ).fetchall(),
            baseline_runs,
        )
        assert isinstance(hits, list) and isinstance(found, list)
        rows.append(
            [
                label,
                query,
                f"{total:,}",
                f"{fts_ms:.1f}",
                f"{len(found):,}",
                f"{like_ms:.1f}",
                f"{like_ms / fts_ms:.1f}x",
            ]
        )
    return rows


def time_entries(store: AnnotationStore, runs: int) -> list[list[str]]:
    """`list_annotation_entries(limit=100)` against a plain SQL page of annotations."""
    conn = store.db.conn
    tag_id = conn.execute("SELECT id FROM tags WHERE name = 'reis'").fetchone()[0]
    tag = f"n.id IN (SELECT annotation_id FROM annotation_tags WHERE tag_id = {tag_id})"
    text = "(n.note LIKE '%remember%' OR n.exact LIKE '%remember%')"
    newest = "n.created_at DESC"
    by_text = "a.title, n.start_block, n.start_offset"

    def plain(where: str, order: str, offset: int = 0) -> str:
        return (
            "SELECT n.*, a.title FROM annotations n JOIN articles a ON a.id = n.article_id "
            f"WHERE {where} ORDER BY {order} LIMIT 100 OFFSET {offset}"
        )

    cases: list[tuple[str, dict[str, Any], str]] = [
        ("all, newest", {}, plain("1", newest)),
        ("all, text order", {"order": "text"}, plain("1", by_text)),
        ("all, newest, offset 25,000", {"offset": 25_000}, plain("1", newest, 25_000)),
        ("tag, newest", {"tag": "Reis"}, plain(tag, newest)),
        ("tag, text order", {"tag": "Reis", "order": "text"}, plain(tag, by_text)),
        ("text, newest", {"text": "remember"}, plain(text, newest)),
        ("text, text order", {"text": "remember", "order": "text"}, plain(text, by_text)),
        (
            "tag + text, newest",
            {"tag": "reis", "text": "remember"},
            plain(f"{tag} AND {text}", newest),
        ),
    ]
    rows = []
    for label, options, sql in cases:
        store_ms, entries = median_ms(
            lambda o=options: store.list_annotation_entries(limit=100, **o), runs
        )
        count_ms, total = median_ms(
            lambda o=options: store.count_annotation_entries(tag=o.get("tag"), text=o.get("text")),
            runs,
        )
        plain_ms, _ = median_ms(lambda s=sql: conn.execute(s).fetchall(), runs)
        assert isinstance(entries, list)
        rows.append(
            [
                label,
                f"{total:,}",
                f"{store_ms:.1f}",
                f"{count_ms:.1f}",
                f"{plain_ms:.1f}",
                f"{store_ms / plain_ms:.1f}x",
            ]
        )
    return rows


class _LibraryBeforeSearch(AnnotationStore):
    """A library as it was before `m003_search`: no search index, blocks WITHOUT ROWID."""

    def _migrate(self) -> None:
        migrations.apply(self.db, stop_before="m003_search")

    def _insert_blocks(self, article_id: str, blocks: Sequence[Block]) -> None:
        # As the store did before m003 (there is no index to feed).
        self.db.conn.executemany(
            "INSERT INTO blocks (article_id, idx, kind, level, text) VALUES (?, ?, ?, ?, ?)",
            (
                (article_id, index, str(block.kind), block.level, block.text)
                for index, block in enumerate(blocks)
            ),
        )


def time_book_import(folder: Path, rng: random.Random, runs: int) -> list[list[str]]:
    """Import one 3.4 MB book into a new library, with the search index and without it."""
    paragraphs: list[str] = []
    size = 0
    while size < BOOK_BYTES:
        paragraphs.append(make_paragraph(rng, rng.randint(100, 400)))
        size += len(paragraphs[-1].encode()) + 2
    document = Document(
        title="A long book",
        blocks=tuple(Block(BlockKind.PARAGRAPH, text) for text in paragraphs),
        source="/bench/book.txt",
    )
    wall: dict[str, list[float]] = {"before": [], "with": []}
    cpu: dict[str, list[float]] = {"before": [], "with": []}
    for run in range(runs):
        for kind, factory in (("before", _LibraryBeforeSearch), ("with", AnnotationStore)):
            store = factory(folder / f"book-{kind}-{run}.db")
            started, started_cpu = perf_counter(), process_time()
            store.import_document(document)
            wall[kind].append((perf_counter() - started) * 1000)
            cpu[kind].append((process_time() - started_cpu) * 1000)
            store.close()
    rows = []
    for label, samples in (("wall clock", wall), ("CPU", cpu)):
        before, after = statistics.median(samples["before"]), statistics.median(samples["with"])
        rows.append(
            [
                f"{len(paragraphs):,} blocks, {size / 1e6:.1f} MB, {label}",
                f"{before:.0f}",
                f"{after:.0f}",
                f"{after / before:.2f}x",
            ]
        )
    return rows


# Output ------------------------------------------------------------------------------------


def table(headers: list[str], rows: list[list[str]]) -> str:
    """A plain-text table, the first column left-aligned and the others right-aligned."""
    widths = [max(len(str(cell)) for cell in column) for column in zip(headers, *rows, strict=True)]

    def line(cells: list[str]) -> str:
        first, *rest = cells
        return "  ".join(
            [first.ljust(widths[0]), *(c.rjust(w) for c, w in zip(rest, widths[1:], strict=True))]
        )

    return "\n".join([line(headers), line(["-" * w for w in widths]), *map(line, rows)])


def machine() -> str:
    """One line about the machine and the versions measured."""
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return (
        f"nproc {cpus} · {platform.machine()} · Python {platform.python_version()} · "
        f"SQLite {sqlite3.sqlite_version} · sqlite-utils {version('sqlite-utils')}"
    )


def main() -> None:
    """Build the library, time everything, print the tables."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=RUNS, help="timed runs per figure")
    args = parser.parse_args()
    rng = random.Random(SEED)
    with tempfile.TemporaryDirectory(prefix="reader-search-bench-") as tmp:
        folder = Path(tmp)
        started = perf_counter()
        book = time_book_import(folder, random.Random(SEED), runs=7)
        store = AnnotationStore(folder / "library.db")
        import_s = build_library(store, rng)
        annotate_s = add_annotations(store, rng)
        size = sum(path.stat().st_size for path in folder.glob("library.db*"))
        text_mb = store.db.execute("SELECT sum(length(text)) FROM blocks").fetchone()[0] / 1e6
        blocks = store.db.execute("SELECT count(*) FROM blocks").fetchone()[0]
        print(machine())
        print(
            f"library: {ARTICLES:,} articles, {blocks:,} blocks, {text_mb:.0f} M characters, "
            f"{ANNOTATIONS:,} annotations; file {size / 1e6:.0f} MB; "
            f"imported in {import_s:.1f} s, annotations inserted in {annotate_s:.1f} s"
        )
        print(f"medians of {args.runs} runs ({BASELINE_RUNS} for LIKE scans), in ms\n")
        print("Import of one book into a new library, before m003 vs with the search index")
        print(table(["book", "before ms", "with ms", "ratio"], book) + "\n")
        print("store.search(q, limit=100) vs SELECT ... FROM blocks WHERE text LIKE pattern")
        print(
            table(
                ["query", "q", "blocks hit", "search ms", "LIKE rows", "LIKE ms", "speed-up"],
                time_searches(store, args.runs, BASELINE_RUNS),
            )
            + "\n"
        )
        print("list_annotation_entries(limit=100) vs a plain SQL page of annotations")
        print(
            table(
                ["case", "matching", "list ms", "count ms", "plain SQL ms", "ratio"],
                time_entries(store, args.runs),
            )
        )
        store.close()
        print(f"\ntotal {perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()
