"""Benchmark the three lists (library, annotations, search results) with outsized rows.

Run `python benchmarks/lists.py` (about a minute). In a temporary folder, two libraries are
made: the bundled samples with three short highlights, and the same plus outsized rows: a
generated 3.4 MB book (the generator of `article_view.py`) with one annotation over the
whole book (what `v`, `G`, `h` make) carrying a 1 MB note, and an article whose title is
10,000 characters long. The real app then runs headless at 120x40 on each, and every key is
timed as `pilot.press(key)` + `pilot.pause()`: keys in the library list, `a` and keys in the
annotations list, `enter` on a row and back, `/` with a query and keys in the results.

The table gives, per screen and key, the median and the worst process CPU time in ms
(what the app spent) and the worst wall time (which includes the pilot's idle waits: an
unbound key, the `floor` row, shows what the harness alone costs).
"""

from __future__ import annotations

import asyncio
import os
import platform
import random
import statistics
import sys
import tempfile
from collections import defaultdict
from pathlib import Path
from typing import TYPE_CHECKING

from article_view import SEED, make_big_article, make_sentence
from measure import Sample, Stopwatch

if TYPE_CHECKING:
    from textual.pilot import Pilot

    from annotations.store import AnnotationStore

TERMINAL = (120, 40)
TITLE_CHARS = 10_000
NOTE_CHARS = 1_000_000
SHORT_HIGHLIGHTS = 3
"""One-paragraph highlights in both libraries, so the annotations list has rows to move on."""
MOVES = 10
"""Timed presses of each moving key per list."""
QUERY = "harbour"
"""A word of the generated text: the search finds it in the book and the long title."""


def prepare(folder: Path, outsized: bool) -> Path:
    """A library with the samples and a few short highlights; if `outsized`, the book
    annotated whole and the long-titled article too."""
    from annotations.models import Block, BlockKind, Document
    from reader.ingest import load_document
    from reader.library import open_library

    rng = random.Random(SEED)
    db = folder / f"{'outsized' if outsized else 'samples'}.db"
    store = open_library(db)
    welcome = store.list_articles()[0]
    for block, text in enumerate(store.get_blocks(welcome.id)[:SHORT_HIGHLIGHTS]):
        store.add_highlight(welcome.id, (block, 0), (block, len(text.text)))
    if not outsized:
        store.close()
        return db
    book = folder / "book.txt"
    book.write_text(make_big_article(rng), encoding="utf-8")
    article = store.import_document(load_document(book)).article
    blocks = store.get_blocks(article.id)
    store.add_highlight(
        article.id,
        (0, 0),
        (len(blocks) - 1, len(blocks[-1].text)),
        note=(" ".join(make_sentence(rng) for _ in range(NOTE_CHARS // 60)))[:NOTE_CHARS],
        tags=["whole-book"],
    )
    title = ""
    while len(title) < TITLE_CHARS:
        title += make_sentence(rng).rstrip(".?!…") + " harbour "
    long_titled = store.import_document(
        Document(
            title=title[:TITLE_CHARS],
            blocks=tuple(Block(BlockKind.PARAGRAPH, make_sentence(rng)) for _ in range(5)),
            source="benchmark:long-title",
        )
    ).article
    text = store.get_blocks(long_titled.id)[0].text
    store.add_highlight(long_titled.id, (0, 0), (0, len(text)))
    print(
        f"book: {book.stat().st_size / 1e6:.1f} MB in {len(blocks)} blocks; "
        f"annotation: {sum(len(b.text) for b in blocks) / 1e6:.1f} M characters, "
        f"note {NOTE_CHARS / 1e6:.0f} M; title: {TITLE_CHARS} characters",
        flush=True,
    )
    store.close()
    return db


async def press(pilot: Pilot[None], *keys: str) -> Sample:
    """Press keys, wait until the app has handled them and redrawn, and time it."""
    watch = Stopwatch()
    await pilot.press(*keys)
    await pilot.pause()
    return watch.sample()


async def run(db: Path, exports: Path) -> dict[tuple[str, str], list[Sample]]:
    """Drive the real app over the three lists and time every key."""
    from annotations.store import AnnotationStore
    from reader.app import ReaderApp
    from reader.screens.annotations import AnnotationsScreen
    from reader.screens.article import ArticleScreen
    from reader.screens.library import LibraryScreen
    from reader.screens.search import SearchScreen

    store: AnnotationStore = AnnotationStore(db)
    app = ReaderApp(store, export_folder=exports)
    samples: dict[tuple[str, str], list[Sample]] = defaultdict(list)

    async def keys(screen: str, *pressed: str, count: int = MOVES) -> None:
        for _ in range(count):
            for key in pressed:
                samples[screen, key].append(await press(pilot, key))

    async with app.run_test(size=TERMINAL) as pilot:
        await pilot.pause()
        assert isinstance(app.screen, LibraryScreen)
        await keys("floor", "x")
        await keys("library", "j", "k", "G", "g")
        for _ in range(3):
            samples["annotations", "a (open)"].append(await press(pilot, "a"))
            assert isinstance(app.screen, AnnotationsScreen), app.screen
            await keys("annotations", "j", "k", "G", "g", count=3)
            samples["annotations", "enter (jump)"].append(await press(pilot, "enter"))
            assert isinstance(app.screen, ArticleScreen), app.screen
            samples["annotations", "escape (back)"].append(await press(pilot, "escape"))
            assert isinstance(app.screen, AnnotationsScreen), app.screen
            await press(pilot, "escape")
            assert isinstance(app.screen, LibraryScreen), app.screen
        samples["search", "/ + query"].append(await press(pilot, "slash", *QUERY))
        assert isinstance(app.screen, SearchScreen), app.screen
        watch = Stopwatch()
        await pilot.pause(0.5)  # the search waits for a pause in the typing
        await pilot.pause()
        samples["search", "results"].append(watch.sample())
        await keys("search", "down", "up")
    store.close()
    return samples


def main() -> None:
    results = {}
    with tempfile.TemporaryDirectory(prefix="reader-lists-") as name:
        folder = Path(name)
        os.environ.update(
            HOME=str(folder),
            XDG_DATA_HOME=str(folder / "data"),
            XDG_STATE_HOME=str(folder / "state"),
            READER_EXPORT_DIR=str(folder / "exports"),
        )
        for outsized in (False, True):
            db = prepare(folder, outsized)
            results[outsized] = asyncio.run(run(db, folder / "exports"))
    print()
    print(f"{'':<28} {'samples only':^26}  {'with outsized rows':^26}")
    print(f"{'list':<12} {'key':<14} " + "  cpu med  cpu max  wall max" * 2)
    for (screen, key), small in results[False].items():
        line = f"{screen:<12} {key:<14} "
        for found in (small, results[True][screen, key]):
            cpu = [sample.cpu for sample in found]
            wall = [sample.wall for sample in found]
            line += f"{statistics.median(cpu):>9.0f}{max(cpu):>9.0f}{max(wall):>10.0f}"
        print(line)
    print(
        f"ms, process CPU and wall per key; {platform.python_implementation()} "
        f"{platform.python_version()}, {sys.platform}"
    )


if __name__ == "__main__":
    main()
