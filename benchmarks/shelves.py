"""Benchmark the library list's shelves and article-tag filter on 10,000 articles.

Run `python benchmarks/shelves.py` (about 30 s). In a temporary folder, a library of 10,000
articles is made through `AnnotationStore.import_document` (seeded: titles and text from a
small word list with diacritics, dates, 0 to 2 article tags out of 5, half of the articles
archived, a third of them opened). Then, for each shelf (`reading`, `archived`, `all`),
each order of the list and without or with a tag filter, it times what the library screen
asks for: a page of 50 rows deep in the list (`list_articles_page` at offset 4,000), the
position of one article in it (`position_of`), and the count (`count_articles`), plus
`list_tags` and `find_articles` (the title words of `reader open`).

Each figure is the median of 20 calls, in ms, after one call not counted.
"""

from __future__ import annotations

import random
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from annotations.models import Block, BlockKind, Document
from annotations.store import SHELVES, AnnotationStore

ARTICLES = 10_000
OFFSET = 4_000
PAGE = 50
RUNS = 20
WORDS = ("river", "bridge", "town", "market", "harbour", "Goïta", "ärger", "Việt", "brug", "dijk")
TAGS = ("history", "later", "essays", "Ärger", "cities")


def build(path: Path) -> AnnotationStore:
    """The library: 10,000 articles, half archived, a third opened, some tagged."""
    store = AnnotationStore(path)
    rng = random.Random(16)
    with store.transaction():
        for number in range(ARTICLES):
            title = " ".join(rng.choice(WORDS) for _ in range(4)) + f" {number}"
            blocks = tuple(
                Block(BlockKind.PARAGRAPH, " ".join(rng.choice(WORDS) for _ in range(30)))
                for _ in range(3)
            )
            tags = tuple(rng.sample(TAGS, rng.randint(0, 2)))
            date = f"20{rng.randint(10, 25)}-0{rng.randint(1, 9)}"
            document = Document(title, blocks, f"/src/{number}.md", date=date, tags=tags)
            article = store.import_document(document).article
            if rng.random() < 0.5:
                store.set_archived(article.id, True)
            if rng.random() < 0.3:
                store.set_position(article.id, 1)
    return store


def median_ms(action: Callable[[], object]) -> float:
    action()
    times = []
    for _ in range(RUNS):
        start = time.perf_counter()
        action()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000


def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        store = build(Path(folder) / "library.db")
        some = store.list_articles_page(ARTICLES // 2, 1)[0].id
        print(f"{ARTICLES:,} articles; page of {PAGE} at offset {OFFSET:,}; median ms")
        print(f"{'shelf':9} {'order':12} {'tag':8} {'page':>6} {'position':>9} {'count':>6}")
        for shelf in SHELVES:
            for order in ("added", "opened", "title", "date", "annotations"):
                for tag in (None, "cities"):

                    def page(order: str = order, shelf: str = shelf, tag: str | None = tag) -> None:
                        store.list_articles_page(OFFSET, PAGE, order=order, shelf=shelf, tag=tag)

                    def position(
                        order: str = order, shelf: str = shelf, tag: str | None = tag
                    ) -> None:
                        store.position_of(some, order, None, shelf, tag=tag)

                    def count(shelf: str = shelf, tag: str | None = tag) -> None:
                        store.count_articles(None, shelf, tag=tag)

                    print(
                        f"{shelf:9} {order:12} {tag or '-':8} {median_ms(page):6.2f} "
                        f"{median_ms(position):9.2f} {median_ms(count):6.2f}"
                    )
        print(f"list_tags: {median_ms(store.list_tags):.2f} ms")
        found = median_ms(lambda: store.find_articles("goita brug"))
        print(f"find_articles('goita brug'): {found:.2f} ms")
        store.close()


if __name__ == "__main__":
    main()
