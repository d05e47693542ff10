"""The library-wide annotation list: filters, orders, paging, counts and its indexes."""

from __future__ import annotations

import pytest

from annotations.models import ENTRY_TEXT_CHARS, AnnotationEntry
from annotations.store import AnnotationStore
from tests.core.test_search import add_article, make_document


@pytest.fixture
def library(store: AnnotationStore) -> dict[str, str]:
    """Two articles with five annotations, made in the order a, b, c, d, e; returns their ids."""
    zebra = add_article(
        store,
        "The zebra crossing by the old mill.",
        "Koffie in het café van Goïta.",
        title="Zebra",
        source="/docs/z.txt",
    )
    apple = add_article(
        store,
        "Apples fall far from the tree.",
        "Pears do not.",
        "Plums are in between.",
        title="apple",
        source="/docs/a.txt",
    )
    return {
        "a": store.add_highlight(zebra, (1, 0), (1, 6), tags=["Drinks"]).id,
        "b": store.add_highlight(apple, (2, 0), (2, 5), note="A plum remark").id,
        "c": store.add_highlight(zebra, (0, 4), (0, 9), tags=["animals", "Ärger"]).id,
        "d": store.add_highlight(apple, (0, 0), (0, 6), tags=["drinks"], note="Cider!").id,
        "e": store.add_highlight(apple, (0, 11), (1, 5)).id,
    }


def names(ids: dict[str, str], entries: list[AnnotationEntry]) -> str:
    """The fixture names of the entries' annotations, in order, as one string."""
    by_id = {annotation_id: name for name, annotation_id in ids.items()}
    return "".join(by_id[entry.id] for entry in entries)


def test_every_annotation_is_listed_with_its_article_title(
    store: AnnotationStore, library: dict[str, str]
) -> None:
    """Entries cover all articles, carry the annotation's fields and its article's title."""
    entries = store.list_annotation_entries()
    assert names(library, entries) == "edcba"
    assert {(entry.id, entry.article_title) for entry in entries} >= {
        (library["a"], "Zebra"),
        (library["b"], "apple"),
    }
    cider = store.get_annotation(library["d"])
    assert entries[1] == AnnotationEntry(
        id=cider.id,
        article_id=cider.article_id,
        article_title="apple",
        start_block=cider.anchor.start_block,
        quote=cider.anchor.exact,
        note="Cider!",
        color=cider.color,
        tags=cider.tags,
        created_at=cider.created_at,
        updated_at=cider.updated_at,
    )
    assert store.count_annotation_entries() == 5


def test_a_whole_book_passage_its_note_and_title_are_read_to_a_bounded_start(
    store: AnnotationStore,
) -> None:
    """An entry holds the first ENTRY_TEXT_CHARS characters of passage, note and title only."""
    paragraph = "Ships come in at dawn and leave before the tide turns again. " * 50
    book = add_article(store, *[paragraph.strip()] * 200, title="Harbour " * 1250)
    last = len(store.get_blocks(book)[-1].text)
    whole = store.add_highlight(book, (0, 0), (199, last), note="Long note. " * 100_000)
    assert len(whole.anchor.exact) > 600_000

    (entry,) = store.list_annotation_entries()

    assert entry.quote == whole.anchor.exact[:ENTRY_TEXT_CHARS]
    assert entry.note == whole.note[:ENTRY_TEXT_CHARS]
    assert entry.article_title == ("Harbour " * 1250)[:ENTRY_TEXT_CHARS]
    assert entry.quote_is_cut and entry.note_is_cut


def test_an_entry_says_whether_its_passage_and_note_go_on(store: AnnotationStore) -> None:
    """Passage and note of exactly ENTRY_TEXT_CHARS are whole; one more character is cut."""
    more = ENTRY_TEXT_CHARS + 1
    article = add_article(store, "x" * more, "ab\x00cd")
    store.add_highlight(article, (0, 0), (0, ENTRY_TEXT_CHARS), note="n" * ENTRY_TEXT_CHARS)
    store.add_highlight(article, (0, 0), (0, more), note="n" * more)
    store.add_highlight(article, (1, 0), (1, 5))  # SQLite's text substr() stops at a NUL

    nul, longer, exact = store.list_annotation_entries()

    assert (exact.quote_is_cut, exact.note_is_cut) == (False, False)
    assert (longer.quote_is_cut, longer.note_is_cut) == (True, True)
    assert len(longer.quote) == len(longer.note) == ENTRY_TEXT_CHARS
    assert (nul.quote, nul.quote_is_cut) == ("ab\x00cd", False)


def test_orders_newest_first_or_by_title_then_position(
    store: AnnotationStore, library: dict[str, str]
) -> None:
    """`newest` is creation time, latest first; `text` is title (any case), then position."""
    assert names(library, store.list_annotation_entries(order="newest")) == "edcba"
    assert names(library, store.list_annotation_entries(order="text")) == "debca"
    with pytest.raises(ValueError, match="order"):
        store.list_annotation_entries(order="random")


def test_orphaned_annotations_are_listed(store: AnnotationStore, library: dict[str, str]) -> None:
    """An annotation whose text vanished on re-import stays in the list, marked orphaned."""
    store.import_document(make_document("Something else entirely.", source="/docs/a.txt"))
    entries = {e.id: e for e in store.list_annotation_entries()}
    assert len(entries) == 5
    assert entries[library["b"]].orphaned


def test_orphaned_annotations_are_counted(store: AnnotationStore, library: dict[str, str]) -> None:
    """The orphans are counted apart, with the other filters or without them."""
    assert store.count_annotation_entries(orphaned=True) == 0
    store.import_document(make_document("Something else entirely.", source="/docs/a.txt"))
    assert store.count_annotation_entries(orphaned=True) == 3  # b, d and e were on apple
    assert store.count_annotation_entries(orphaned=False) == 2
    assert store.count_annotation_entries(orphaned=True, tag="drinks") == 1
    assert store.count_annotation_entries(orphaned=True, text="plum") == 1
    assert store.count_annotation_entries() == 5


@pytest.mark.parametrize(
    ("tag", "expected"),
    [
        ("drinks", "da"),
        ("DRINKS", "da"),
        ("#Drinks", "da"),
        ("ärger", "c"),
        ("ÄRGER", "c"),
        ("drink", ""),
        ("nothing", ""),
        (None, "edcba"),
        ("", "edcba"),
    ],
)
def test_tag_filter_is_exact_but_case_insensitive(
    store: AnnotationStore, library: dict[str, str], tag: str | None, expected: str
) -> None:
    """Only annotations with that tag, matched whatever its case; no tag means all."""
    assert names(library, store.list_annotation_entries(tag=tag)) == expected
    assert store.count_annotation_entries(tag=tag) == len(expected)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("zebra", "c"),  # the passage
        ("plum", "b"),  # the passage and the note, once
        ("remark", "b"),  # the note
        ("cider", "d"),
        ("animals", "c"),  # a tag
        ("arger", "c"),  # a tag, diacritics folded
        ("goita", ""),  # in the block, not in the passage "Koffie"
        ("KOFF", "a"),  # a prefix, any case
        ("cafe", ""),
        ("tree pears", "e"),  # a passage across two blocks
        ('"fall far"', ""),
        ('"tree. Pears"', "e"),
        ("(", "edcba"),  # no word to look for: no filter
        ("   ", "edcba"),
    ],
)
def test_text_filter_searches_passage_note_and_tags(
    store: AnnotationStore, library: dict[str, str], text: str, expected: str
) -> None:
    """Words match the start of words in passage, note or tags, ignoring case and accents."""
    assert names(library, store.list_annotation_entries(text=text)) == expected
    assert store.count_annotation_entries(text=text) == len(expected)


def test_tag_and_text_filters_combine(store: AnnotationStore, library: dict[str, str]) -> None:
    """Both filters must hold."""
    assert names(library, store.list_annotation_entries(tag="drinks", text="cider")) == "d"
    assert store.count_annotation_entries(tag="drinks", text="koffie") == 1
    assert store.list_annotation_entries(tag="animals", text="cider") == []


def test_text_filter_follows_edits(store: AnnotationStore, library: dict[str, str]) -> None:
    """A changed note or tag is filtered by its new text at once."""
    store.set_note(library["e"], "Remember this one")
    store.set_tags(library["a"], ["remembrance"])
    assert names(library, store.list_annotation_entries(text="rememb")) == "ea"


def test_paging_with_limit_and_offset(store: AnnotationStore, library: dict[str, str]) -> None:
    """Pages in either order add up to the whole list, without gaps or repeats."""
    for order in ("newest", "text"):
        whole = names(library, store.list_annotation_entries(order=order))
        pages = [
            names(library, store.list_annotation_entries(order=order, limit=2, offset=start))
            for start in range(0, 6, 2)
        ]
        assert "".join(pages) == whole
        assert pages[-1] == whole[4:]
    assert store.list_annotation_entries(limit=0) == []
    assert store.list_annotation_entries(offset=10) == []
    assert names(library, store.list_annotation_entries(tag="drinks", limit=1, offset=1)) == "a"


@pytest.mark.parametrize(
    ("order", "index"),
    [("newest", "idx_annotations_created"), ("text", "idx_articles_title")],
)
def test_pages_are_read_through_an_index(
    store: AnnotationStore, library: dict[str, str], order: str, index: str
) -> None:
    """A page of 50,000 annotations must not sort them all: the plan walks an index."""
    captured: list[str] = []
    store.db.conn.set_trace_callback(captured.append)
    store.list_annotation_entries(order=order, limit=100)
    store.db.conn.set_trace_callback(None)
    (sql,) = [statement for statement in captured if "page_rowid" in statement]
    plan = " | ".join(row[3] for row in store.db.execute("EXPLAIN QUERY PLAN " + sql))
    assert index in plan, plan
