"""Benchmark EPUB books: importing a generated 5 MB book against unzipping and parsing it, and
opening it and `G` against a short article.

Run `python benchmarks/epub.py`. Everything happens in a temporary folder: a 200-chapter EPUB is
generated from a seeded word list (the one `article_view.py` uses), then

1. imported with the real ingestion (`load_document`, then `AnnotationStore.import_document` into
   a fresh library each run), against the floor of any EPUB reader: unzipping the same XHTML
   files and parsing them with lxml, nothing more; beside it, the floor of storing the text
   searchably: bare `sqlite3` inserting the same block texts into a table indexed by FTS5 as
   the library's is;
2. opened in the real app (headless, 120x40) by `article_view.py`'s own measurement, in a
   subprocess, beside the 5 KB short article of that benchmark.

It prints the figures and the ratios; see `benchmarks/README.md`.
"""

from __future__ import annotations

import argparse
import random
import sqlite3
import statistics
import tempfile
import zipfile
from collections.abc import Callable, Sequence
from html import escape
from pathlib import Path
from time import perf_counter, process_time
from typing import Any

import article_view
from article_view import machine, make_paragraph, make_short_article, median, run_self

SEED = 20260317
CHAPTERS = 200
"""Chapters of the book, each its own XHTML file in the spine..."""
PART_EVERY = 20
"""...grouped in parts (the contents' first level) of this many."""
BOOK_BYTES = 5_000_000
"""Unpacked XHTML of the whole book, about."""
RUNS = 5
"""Runs of each import timing (the median is shown), unless `--runs` says otherwise."""
XHTML = (
    '<?xml version="1.0" encoding="utf-8"?>\n<!DOCTYPE html>\n'
    '<html xmlns="http://www.w3.org/1999/xhtml" xmlns:epub="http://www.idpf.org/2007/ops" '
    'lang="nl"><head><title>{title}</title></head><body>\n{body}\n</body></html>\n'
)


# Generating --------------------------------------------------------------------------------


def paragraph(rng: random.Random) -> str:
    """One paragraph on one line (the generator hard-wraps for plain text)."""
    return " ".join(make_paragraph(rng, rng.randint(2, 6)).split())


def chapter_body(rng: random.Random, number: int, size: int) -> str:
    """A chapter: a heading, paragraphs, now and then a quote or a list, up to `size` bytes."""
    parts = [f'<section id="ch{number}" epub:type="chapter">', f"<h2>Hoofdstuk {number}</h2>"]
    length = 0
    while length < size:
        roll = rng.random()
        if roll < 0.05:
            chunk = f"<blockquote><p>{escape(paragraph(rng))}</p></blockquote>"
        elif roll < 0.08:
            items = "".join(f"<li>{escape(paragraph(rng)[:80])}</li>" for _ in range(3))
            chunk = f"<ul>{items}</ul>"
        else:
            text = escape(paragraph(rng))
            chunk = f'<p id="ch{number}-p{len(parts)}">{text}</p>'
        parts.append(chunk)
        length += len(chunk.encode())
    parts.append("</section>")
    return "\n".join(parts)


def make_book(path: Path, rng: random.Random) -> int:
    """Write the EPUB 3 book (nav with parts and chapters); its unpacked XHTML bytes."""
    per_chapter = BOOK_BYTES // CHAPTERS
    files: dict[str, str] = {}
    nav_parts: list[str] = []
    for number in range(1, CHAPTERS + 1):
        body = chapter_body(rng, number, per_chapter)
        part = (number - 1) // PART_EVERY + 1
        if (number - 1) % PART_EVERY == 0:
            body = f'<h1 id="part{part}">Deel {part}</h1>\n{body}'
            nav_parts.append(f'<li><a href="ch{number:03}.xhtml#part{part}">Deel {part}</a><ol>')
        nav_parts.append(
            f'<li><a href="ch{number:03}.xhtml#ch{number}">Hoofdstuk {number}</a></li>'
        )
        if number % PART_EVERY == 0 or number == CHAPTERS:
            nav_parts.append("</ol></li>")
        files[f"ch{number:03}.xhtml"] = XHTML.format(title=f"Hoofdstuk {number}", body=body)
    nav = f'<nav epub:type="toc"><h1>Inhoud</h1><ol>{"".join(nav_parts)}</ol></nav>'
    files["nav.xhtml"] = XHTML.format(title="Inhoud", body=nav)
    names = [name for name in files if name != "nav.xhtml"]
    manifest = "".join(
        f'<item id="c{i}" href="{name}" media-type="application/xhtml+xml"/>'
        for i, name in enumerate(names)
    )
    spine = "".join(f'<itemref idref="c{i}"/>' for i in range(len(names)))
    opf = (
        '<?xml version="1.0"?><package xmlns="http://www.idpf.org/2007/opf" version="3.0" '
        'unique-identifier="id"><metadata xmlns:dc="http://purl.org/dc/elements/1.1/">'
        '<dc:identifier id="id">bench</dc:identifier><dc:title>De lange reis</dc:title>'
        "<dc:creator>Anna de Vriës</dc:creator><dc:language>nl</dc:language>"
        "<dc:date>2026-03-17</dc:date></metadata><manifest>"
        '<item id="nav" href="nav.xhtml" properties="nav" media-type="application/xhtml+xml"/>'
        f"{manifest}</manifest><spine>{spine}</spine></package>"
    )
    container = (
        '<?xml version="1.0"?><container version="1.0" '
        'xmlns="urn:oasis:names:tc:opendocument:xmlns:container"><rootfiles>'
        '<rootfile full-path="EPUB/book.opf" media-type="application/oebps-package+xml"/>'
        "</rootfiles></container>"
    )
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(zipfile.ZipInfo("mimetype"), "application/epub+zip", zipfile.ZIP_STORED)
        archive.writestr("META-INF/container.xml", container)
        archive.writestr("EPUB/book.opf", opf)
        for name, text in files.items():
            archive.writestr(f"EPUB/{name}", text)
    return sum(len(text.encode()) for text in files.values())


# Timing ------------------------------------------------------------------------------------


def unzip_and_parse(path: Path) -> int:
    """The floor: every XHTML file of the book unzipped and parsed by lxml; elements seen."""
    from lxml import etree

    elements = 0
    with zipfile.ZipFile(path) as archive:
        for name in archive.namelist():
            if name.endswith(".xhtml"):
                elements += len(etree.fromstring(archive.read(name)))
    return elements


def timed(step: Callable[[], Any], runs: int = RUNS) -> tuple[float, float]:
    """Median wall and CPU milliseconds of a step (one untimed warm-up first)."""
    step()
    walls, cpus = [], []
    for _ in range(runs):
        wall, cpu = perf_counter(), process_time()
        step()
        walls.append((perf_counter() - wall) * 1000)
        cpus.append((process_time() - cpu) * 1000)
    return statistics.median(walls), statistics.median(cpus)


def timed_in(
    prepare: Callable[[], Any], step: Callable[[Any], Any], runs: int = RUNS
) -> tuple[float, float]:
    """Like `timed`, for a step on something made fresh for each run, untimed."""
    things = iter([prepare() for _ in range(runs + 1)])
    return timed(lambda: step(next(things)), runs)


def index_bare(path: Path) -> sqlite3.Connection:
    """A bare SQLite file like a library's text and search index, nothing more: a table
    of texts and an FTS5 index with the library's definition (external content through a
    view, the same tokenizer), in WAL mode with `synchronous = NORMAL` like a library."""
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA synchronous = NORMAL")
    conn.execute("CREATE TABLE blocks (id INTEGER PRIMARY KEY, text TEXT NOT NULL)")
    conn.execute(
        "CREATE VIEW search_content (id, text, exact, note, tags) AS "
        "SELECT id, text, NULL, NULL, NULL FROM blocks"
    )
    conn.execute(
        "CREATE VIRTUAL TABLE search_fts USING fts5(text, exact, note, tags, "
        "content='search_content', content_rowid='id', "
        "tokenize='unicode61 remove_diacritics 2')"
    )
    return conn


def store_bare(conn: sqlite3.Connection, texts: Sequence[str]) -> None:
    """The floor of storing a book searchably: its texts inserted and indexed, in one
    transaction, the file closed."""
    conn.execute("BEGIN IMMEDIATE")
    conn.executemany("INSERT INTO blocks (text) VALUES (?)", ((text,) for text in texts))
    conn.execute("INSERT INTO search_fts (rowid, text) SELECT id, text FROM blocks")
    conn.execute("COMMIT")
    conn.close()


def import_figures(folder: Path, book: Path, runs: int = RUNS) -> dict[str, tuple[float, float]]:
    """The floors, the parse, the store and the whole import, each its median.

    Every import goes into a new library of its own, opened (and migrated) untimed, as a
    reader's library is open before anything is imported; opening one is a row apart.
    Storing is timed to the library's closing, as the store floor is to its file's.
    """
    from annotations.store import AnnotationStore
    from reader.ingest import load_document

    document = load_document(book)
    texts = [block.text for block in document.blocks]
    numbers = iter(range(10_000))

    def library() -> AnnotationStore:
        return AnnotationStore(folder / f"library-{next(numbers)}.db")

    def store_only(store: AnnotationStore) -> None:
        store.import_document(document)
        store.close()

    def whole(store: AnnotationStore) -> None:
        store.import_document(load_document(book))
        store.close()

    return {
        "unzip + lxml parse (floor)": timed(lambda: unzip_and_parse(book), runs),
        "store floor: sqlite3 + FTS5": timed_in(
            lambda: index_bare(folder / f"bare-{next(numbers)}.db"),
            lambda conn: store_bare(conn, texts),
            runs,
        ),
        "load_document (parse)": timed(lambda: load_document(book), runs),
        "import_document (store)": timed_in(library, store_only, runs),
        "whole import": timed_in(library, whole, runs),
        "new library (open, close)": timed(lambda: library().close(), runs),
    }


def prepare_library(folder: Path, book: Path) -> dict[str, str]:
    """The book and the short article in `folder/library.db`; their ids."""
    from annotations.store import AnnotationStore
    from reader.ingest import load_document

    short = folder / "short.txt"
    short.write_text(make_short_article(random.Random(article_view.SEED)), encoding="utf-8")
    store = AnnotationStore(folder / "library.db")
    try:
        ids = {
            "short": store.import_document(load_document(short)).article.id,
            "epub": store.import_document(load_document(book)).article.id,
        }
    finally:
        store.close()
    return ids


def view_figures(folder: Path, article_id: str) -> dict[str, Any]:
    """`article_view.py`'s measurement of one article, in its own subprocess."""
    arguments = ["--case", "big", "--db", str(folder / "library.db")]
    arguments += ["--article", article_id, "--exports", str(folder / "exports")]
    figures: dict[str, Any] = run_self(folder, *arguments)
    return figures


def main(argv: Sequence[str] | None = None) -> None:
    """Generate the book, time its import and its view, print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--no-view", action="store_true", help="only the import figures")
    parser.add_argument("--runs", type=int, default=RUNS, help="runs of each import timing")
    args = parser.parse_args(argv)
    started = perf_counter()
    print(machine())
    with tempfile.TemporaryDirectory(prefix="reader-bench-") as name:
        folder = Path(name)
        book = folder / "book.epub"
        unpacked = make_book(book, random.Random(SEED))
        print(
            f"book: {CHAPTERS} chapters, {unpacked / 1e6:.2f} MB of XHTML unpacked, "
            f"{book.stat().st_size / 1e6:.2f} MB zipped"
        )
        figures = import_figures(folder, book, args.runs)
        floor = figures["unzip + lxml parse (floor)"]
        heading = f"import, median of {args.runs}"
        print(f"\n{heading:34}  {'ms':>8}  {'CPU ms':>8}  {'/ floor':>8}  {'CPU/floor':>9}")
        for label, (wall, cpu) in figures.items():
            ratios = f"{wall / floor[0]:8.2f}  {cpu / floor[1]:9.2f}"
            print(f"{label:34}  {wall:8.1f}  {cpu:8.1f}  {ratios}")
        least = [a + b for a, b in zip(floor, figures["store floor: sqlite3 + FTS5"], strict=True)]
        print(
            f"{'least an import can take (floors)':34}  {least[0]:8.1f}  {least[1]:8.1f}  "
            f"{least[0] / floor[0]:8.2f}  {least[1] / floor[1]:9.2f}"
        )
        if args.no_view:
            return
        ids = prepare_library(folder, book)
        try:
            results = {case: view_figures(folder, article_id) for case, article_id in ids.items()}
        except SystemExit as failure:
            print(f"the view: article_view.py's measurement failed: {failure}")
            return
        print(f"\n{'the view (article_view.py)':34}  {'5 KB':>8}  {'EPUB':>8}  {'EPUB/5KB':>8}")
        rows: list[tuple[str, Callable[[dict[str, Any]], float], str]] = [
            ("blocks", lambda r: r["blocks"], ",.0f"),
            ("app start + open ms", lambda r: r["start_open"]["wall"], ".1f"),
            ("app start + open CPU ms", lambda r: r["start_open"]["cpu"], ".1f"),
            ("open (enter) CPU ms, median", lambda r: median(r["open"], "cpu"), ".1f"),
            ("G ms, median", lambda r: median(r["G"], "wall"), ".1f"),
            ("G CPU ms, median", lambda r: median(r["G"], "cpu"), ".1f"),
            ("j CPU ms, median", lambda r: median(r["j"], "cpu"), ".1f"),
            ("no-op key CPU ms, median", lambda r: median(r["noop"], "cpu"), ".1f"),
            ("peak RSS MB", lambda r: r["rss_peak_mb"], ".0f"),
        ]
        for label, value, fmt in rows:
            short, big = value(results["short"]), value(results["epub"])
            ratio = f"{big / short:8.2f}" if short else f"{'—':>8}"
            print(f"{label:34}  {short:>8{fmt}}  {big:>8{fmt}}  {ratio}")
    print(f"total {perf_counter() - started:.1f} s")


if __name__ == "__main__":
    main()
