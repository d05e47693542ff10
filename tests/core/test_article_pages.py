"""The library list's pages: orders, the title/author filter and positions in an order."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from sqlite_utils import Database

from annotations.models import Article, Block, BlockKind, Document
from annotations.store import AnnotationStore
from annotations.store.migrations import migration_set
from tests.conftest import FixedClock

migrations = migration_set()

ORDERS = ("added", "opened", "title", "date", "annotations")

ARTICLES: list[tuple[str, str | None, str | None]] = [
    # (title, author, date)
    ("The River Keeper", "Anna de Vries", "2024-03-01"),
    ("the river keeper", None, "2024-03-01"),  # same title but for case, same date
    ("Apples and Pears", "Jörg Ölsen", None),
    ("Één dag aan zee", "Marieke Brouwer", "2023-05"),
    ("Het dörp aan de dijk", None, "2019-11-30"),
    ("100% rye bread", "Bob Smith", "2022-01-15"),
    ("1000 rye breads", None, None),
    ("snake_case names", "Ada Lin", "2022-01-15"),
    ("snakeXcase names", None, ""),
    ("Back\\slash paths", "Tom Ng", "2020-07"),
    ("Zebra crossings", "anna de vries", "2021-02-02"),
    ("apples at dawn", None, "2024-12-24"),
    ("Wat? [schets] *Zoë*", "Zoë Ñúñez", None),
]
"""Titles with ties in case, dates alike and missing, and the characters LIKE treats specially."""

OPENED = ["Zebra crossings", "Apples and Pears", "the river keeper"]
"""Opened in this order, so the last one is the most recently opened."""

ANNOTATED = {"Apples and Pears": 3, "Zebra crossings": 3, "Het dörp aan de dijk": 1}
"""How many highlights each of these articles gets (the others none)."""


def ascii_fold(text: str) -> str:
    """Text with ASCII letters lowered, as SQLite's NOCASE and LIKE fold it."""
    return "".join(char.lower() if char.isascii() else char for char in text)


@pytest.fixture
def library(store: AnnotationStore) -> AnnotationStore:
    """The articles above, some opened and some annotated."""
    for number, (title, author, date) in enumerate(ARTICLES):
        store.import_document(
            Document(
                title=title,
                blocks=(Block(BlockKind.PARAGRAPH, f"Paragraph of article {number}."),),
                source=f"/articles/{number}.txt",
                author=author,
                date=date,
            )
        )
    by_title = {article.title: article.id for article in store.list_articles()}
    for title in OPENED:
        store.set_position(by_title[title], 0)
    for title, count in ANNOTATED.items():
        for start in range(count):
            store.add_highlight(by_title[title], (0, start), (0, start + 4))
    return store


def reference(store: AnnotationStore, order: str) -> list[str]:
    """Ids in an order, sorted in Python from `list_articles`."""
    articles = store.list_articles()  # newest first
    keys: dict[str, Callable[[Article], object]] = {
        "opened": lambda a: (a.opened_at is not None, a.opened_at or "", a.id),
        "title": lambda a: (ascii_fold(a.title), a.id),
        "date": lambda a: (a.date is not None, a.date or "", a.id),
        "annotations": lambda a: (-a.annotation_count, a.id),
    }
    if order == "added":
        return [a.id for a in articles]
    descending = order in ("opened", "date")
    return [a.id for a in sorted(articles, key=keys[order], reverse=descending)]


def all_pages(store: AnnotationStore, order: str, text: str | None = None, size: int = 5) -> list:
    """Every article of an order, read page by page."""
    found: list[Article] = []
    while page := store.list_articles_page(len(found), size, order=order, text=text):
        found += page
    return found


@pytest.mark.parametrize("order", ORDERS)
def test_pages_follow_the_order_without_gaps_or_repeats(
    library: AnnotationStore, order: str
) -> None:
    """Pages read one after another give every article once, in the order asked for."""
    paged = all_pages(library, order)
    assert [a.id for a in paged] == reference(library, order)
    assert len(paged) == library.count_articles() == len(ARTICLES)


def test_default_order_is_the_order_of_list_articles(library: AnnotationStore) -> None:
    """Without an order, pages come newest import first, as `list_articles` lists them."""
    assert library.list_articles_page(0, 100) == library.list_articles()


def test_orders_put_what_is_missing_last(library: AnnotationStore) -> None:
    """Recently opened and newest dated come first; never opened and undated come last."""
    opened = all_pages(library, "opened")
    assert [a.title for a in opened[:3]] == list(reversed(OPENED))
    assert all(a.opened_at is None for a in opened[3:])
    dated = all_pages(library, "date")
    assert dated[0].title == "apples at dawn"
    assert [a.date for a in dated[-4:]] == ["", None, None, None]
    titles = [a.title for a in all_pages(library, "title")]
    assert titles.index("apples at dawn") < titles.index("Back\\slash paths")
    assert titles[-1] == "Één dag aan zee"  # SQLite folds the case of ASCII letters only
    annotated = all_pages(library, "annotations")
    assert [a.annotation_count for a in annotated[:3]] == [3, 3, 1]


def test_pages_carry_the_figures_of_list_articles(library: AnnotationStore) -> None:
    """A page's articles are the same records `list_articles` gives (counts included)."""
    listed = {a.id: a for a in library.list_articles()}
    page = library.list_articles_page(0, 4, order="annotations")
    assert len(page) == 4
    for article in page:
        assert article == listed[article.id]


@pytest.mark.parametrize(
    ("text", "titles"),
    [
        ("RIVER", {"The River Keeper", "the river keeper"}),
        ("de vries", {"The River Keeper", "Zebra crossings"}),  # by author
        ("ölsen", {"Apples and Pears"}),
        ("dörp", {"Het dörp aan de dijk"}),
        ("één", {"Één dag aan zee"}),
        ("ÉÉN DAG", {"Één dag aan zee"}),
        ("ÑÚÑ", {"Wat? [schets] *Zoë*"}),
        ("[schets] *zoë*", {"Wat? [schets] *Zoë*"}),  # GLOB's own characters, plainly
        ("t? [s", {"Wat? [schets] *Zoë*"}),
        ("ë*?", set()),
        ("100%", {"100% rye bread"}),
        ("0%", {"100% rye bread"}),
        ("e_c", {"snake_case names"}),
        ("\\", {"Back\\slash paths"}),
        ("no such words", set()),
    ],
)
def test_filter_finds_text_in_title_or_author(
    library: AnnotationStore, text: str, titles: set[str]
) -> None:
    """A substring of the title or author, any case; % _ \\ * ? [ are plain characters."""
    for order in ORDERS:
        found = all_pages(library, order, text=text, size=2)
        assert {a.title for a in found} == titles
        ordered = [a.id for a in found]
        assert ordered == [i for i in reference(library, order) if i in set(ordered)]
    assert library.count_articles(text) == len(titles)


def test_empty_filter_filters_nothing(library: AnnotationStore) -> None:
    """An empty filter text lists every article."""
    assert library.count_articles("") == len(ARTICLES)
    assert len(library.list_articles_page(0, 100, text="")) == len(ARTICLES)


@pytest.mark.parametrize("order", ORDERS)
@pytest.mark.parametrize("text", [None, "e", "anna"])
def test_position_of_is_the_index_in_the_order(
    library: AnnotationStore, order: str, text: str | None
) -> None:
    """Every article's position is its index in the pages of that order and filter."""
    articles = all_pages(library, order, text=text)
    assert len(articles) == library.count_articles(text) > 1
    for index, article in enumerate(articles):
        assert library.position_of(article.id, order, text) == index


def test_position_of_an_article_left_out_is_none(library: AnnotationStore) -> None:
    """An article the filter leaves out, or no article at all, has no position."""
    zebra = next(a.id for a in library.list_articles() if a.title == "Zebra crossings")
    assert library.position_of(zebra, "title", "river") is None
    assert library.position_of("no-such-id", "title") is None


def test_unknown_order_is_refused(library: AnnotationStore) -> None:
    """An order the store does not know is a ValueError, not an SQL error."""
    with pytest.raises(ValueError, match="unknown order"):
        library.list_articles_page(0, 10, order="size")
    with pytest.raises(ValueError, match="unknown order"):
        library.position_of("x", "size")


@pytest.mark.parametrize("order", ORDERS)
def test_orders_are_read_from_an_index(library: AnnotationStore, order: str) -> None:
    """The library's orders walk an index: no sort of the whole table for a page."""
    order_by = AnnotationStore._ARTICLE_ORDERS[order]
    plan = " ".join(
        row[3]
        for row in library.db.execute(
            f"EXPLAIN QUERY PLAN SELECT a.rowid FROM articles a ORDER BY {order_by} LIMIT 10"
        )
    )
    assert "USING INDEX" in plan or "USING COVERING INDEX" in plan
    assert "TEMP B-TREE" not in plan


def stored_totals(store: AnnotationStore) -> dict[str, tuple[int, int]]:
    """Each article's kept annotation total beside its annotations counted afresh."""
    rows = store.db.execute(
        "SELECT id, annotation_total, "
        "(SELECT count(*) FROM annotations n WHERE n.article_id = a.id) FROM articles a"
    )
    return {row[0]: (row[1], row[2]) for row in rows}


def test_annotation_totals_follow_every_change(library: AnnotationStore) -> None:
    """Adding, deleting and re-importing keep the total the order sorts by exact."""
    by_title = {a.title: a.id for a in library.list_articles()}
    apples = by_title["Apples and Pears"]
    added = library.add_highlight(apples, (0, 10), (0, 15))
    library.delete_annotation(
        next(a.id for a in library.list_annotations(by_title["Zebra crossings"]))
    )
    library.import_document(
        Document(
            title="Apples and Pears",
            blocks=(Block(BlockKind.PARAGRAPH, "Paragraph of article 2, rewritten."),),
            source="/articles/2.txt",
        )
    )
    library.delete_article(by_title["Het dörp aan de dijk"])
    totals = stored_totals(library)
    assert all(kept == counted for kept, counted in totals.values()), totals
    assert totals[apples][0] == 4
    assert library.count_annotations() == sum(counted for _, counted in totals.values()) == 6
    assert added.id in {a.id for a in library.list_annotations(apples)}
    assert [a.title for a in all_pages(library, "annotations")[:2]] == [
        "Apples and Pears",
        "Zebra crossings",
    ]


def test_migration_counts_the_annotations_already_made(tmp_path: Path, clock: FixedClock) -> None:
    """A library from before the list's orders gets its totals counted when opened."""
    path = tmp_path / "old.db"
    db = Database(path)
    migrations.apply(db, stop_before="m004_article_orders")
    moment = "2025-01-01T00:00:00.000Z"
    for article in ("a1", "a2"):
        db["articles"].insert(
            {
                "id": article,
                "title": article,
                "content_hash": article,
                "block_count": 1,
                "created_at": moment,
                "updated_at": moment,
            }
        )
    for number in range(3):
        db["annotations"].insert(
            {
                "id": f"n{number}",
                "article_id": "a2" if number else "a1",
                "start_block": 0,
                "start_offset": 0,
                "end_block": 0,
                "end_offset": 1,
                "created_at": moment,
                "updated_at": moment,
            }
        )
    db.close()

    store = AnnotationStore(path, clock=clock)

    assert migrations.pending(store.db) == []
    assert stored_totals(store) == {"a1": (1, 1), "a2": (2, 2)}
    assert [a.id for a in all_pages(store, "annotations")] == ["a2", "a1"]
    store.close()
