"""The chapter of an annotation or a search hit: exports, backups and the trash, search."""

from __future__ import annotations

import csv
import io
import json
import random
from pathlib import Path
from typing import Any

import pytest
from markdown_it import MarkdownIt
from markdown_it.token import Token
from sqlite_utils import Database

from annotations import export
from annotations.formats.backup import RestoreError, parse_backup
from annotations.formats.clippings import parse_readwise
from annotations.models import (
    Block,
    BlockKind,
    ChapterIndex,
    ContentsEntry,
    Document,
    chapter_path,
    chapter_title,
)
from annotations.restore import restore
from annotations.store import AnnotationStore
from annotations.trash import delete_article, undelete
from tests.conftest import FixedClock
from tests.core.test_cli import run

BOOK = (
    Block(BlockKind.PARAGRAPH, "A preface, written before any chapter began."),
    Block(BlockKind.HEADING, "BOOK ONE: 1805", 1),
    Block(BlockKind.HEADING, "CHAPTER I", 2),
    Block(BlockKind.PARAGRAPH, "Well, Prince, so Genoa and Lucca are now family estates."),
    Block(BlockKind.PARAGRAPH, "It was in July, and the speaker was Anna Pavlovna."),
    Block(BlockKind.HEADING, "CHAPTER II", 2),
    Block(BlockKind.PARAGRAPH, "Anna Pavlovna's drawing room was gradually filling."),
    Block(BlockKind.HEADING, "BOOK TWO: 1806", 1),
    Block(BlockKind.HEADING, "CHAPTER I", 2),
    Block(BlockKind.PARAGRAPH, "Early in the year Nicholas Rostov returned home on leave."),
    Block(BlockKind.PARAGRAPH, "This last line will be gone from the next edition."),
)
"""A small book whose headings are its contents: two books of chapters, a preface first."""

CHAPTERS = [
    None,
    "BOOK ONE: 1805 › CHAPTER I",
    "BOOK ONE: 1805 › CHAPTER I",
    "BOOK ONE: 1805 › CHAPTER II",
    "BOOK TWO: 1806 › CHAPTER I",
    None,
]
"""The chapters of `annotated_book`'s annotations in text order (the last is orphaned)."""


def annotated_book(store: AnnotationStore) -> str:
    """`BOOK` imported, one highlight in each of its paragraphs, the last one orphaned."""
    document = Document("War and Peace", BOOK, "/books/war-and-peace.txt", author="Leo Tolstoy")
    article_id = store.import_document(document).article.id
    for block in (0, 3, 4, 6, 9, 10):
        store.add_highlight(article_id, (block, 0), (block, 10), note=f"on {block}")
    changed = Document(**{**document.__dict__, "blocks": BOOK[:-1]})
    assert store.import_document(changed).orphaned == 1
    return article_id


OWN = (
    ContentsEntry("Part *One* #1", 0, 1),
    ContentsEntry("[Chapter] 1 <br>", 1, 2),
    ContentsEntry("Chapter 2", 3, 2),
)
"""A book's own contents (as an EPUB's nav gives them), with markup characters in titles."""


def own_book(store: AnnotationStore) -> str:
    """A book of plain paragraphs with its own contents, highlighted in two chapters."""
    blocks = tuple(
        Block(BlockKind.PARAGRAPH, f"Paragraph number {n} of the book.") for n in range(5)
    )
    document = Document("Own contents", blocks, "/books/own.epub", format="epub", contents=OWN)
    article_id = store.import_document(document).article.id
    store.add_highlight(article_id, (2, 0), (2, 9))
    store.add_highlight(article_id, (4, 0), (4, 9))
    return article_id


def markdown_outline(text: str) -> list[tuple[str, str]]:
    """The headings (`h1`, ...) and quotes of a Markdown document, as parsed, in order."""
    body = text.split("\n---\n", 1)[1]  # after the front matter
    tokens = MarkdownIt("commonmark").parse(body)
    outline = []
    quoted = 0
    for index, token in enumerate(tokens):
        if token.type == "heading_open":
            outline.append((token.tag, _plain(tokens[index + 1])))
        elif token.type == "blockquote_open":
            quoted += 1
        elif token.type == "blockquote_close":
            quoted -= 1
        elif token.type == "inline" and quoted:
            outline.append(("quote", _plain(token)))
    return outline


def _plain(inline: Token) -> str:
    """The text an inline token reads as (escapes resolved, no markup)."""
    return "".join(child.content for child in inline.children or () if child.type == "text")


# Markdown -------------------------------------------------------------------------------------


def test_markdown_puts_quotes_under_their_chapters(store: AnnotationStore) -> None:
    """Each level of a chapter is a heading below the title's, written when it changes."""
    article_id = annotated_book(store)

    markdown = export.article_markdown(store, store.get_article(article_id))

    assert markdown_outline(markdown) == [
        ("h1", "War and Peace"),
        ("quote", "A preface,"),
        ("h2", "BOOK ONE: 1805"),
        ("h3", "CHAPTER I"),
        ("quote", "Well, Prin"),
        ("quote", "It was in"),
        ("h3", "CHAPTER II"),
        ("quote", "Anna Pavlo"),
        ("h2", "BOOK TWO: 1806"),
        ("h3", "CHAPTER I"),
        ("quote", "Early in t"),
        ("h2", "Passages no longer found in the text"),
        ("quote", "This last"),
    ]


def test_markdown_folder_export_has_the_chapters_too(
    store: AnnotationStore, tmp_path: Path
) -> None:
    """The vault export (batched reads) writes what the one-article export does."""
    article_id = annotated_book(store)
    article = store.get_article(article_id)

    done = export.export_markdown_folder(store, tmp_path, [article])

    (path,) = done.paths
    written = path.read_text(encoding="utf-8")
    alone = export.article_markdown(store, article)
    assert markdown_outline(written) == markdown_outline(alone)
    assert "### CHAPTER II" in written


def test_chapter_titles_are_escaped_as_text(store: AnnotationStore) -> None:
    """A book's own contents give the headings; their titles read back as the same text."""
    article_id = own_book(store)

    markdown = export.article_markdown(store, store.get_article(article_id))

    assert markdown_outline(markdown)[1:] == [
        ("h2", "Part *One* #1"),
        ("h3", "[Chapter] 1 <br>"),
        ("quote", "Paragraph"),
        ("h3", "Chapter 2"),
        ("quote", "Paragraph"),
    ]
    assert "## Part \\*One\\* \\#1" in markdown


def test_a_lone_heading_makes_no_chapter(store: AnnotationStore) -> None:
    """An article whose only heading is its title: no subheading, no chapter anywhere."""
    blocks = (
        Block(BlockKind.HEADING, "Tides", 1),
        Block(BlockKind.PARAGRAPH, "High water comes twice a day to the harbour."),
    )
    article_id = store.import_document(Document("Tides", blocks, "/notes/tides.md")).article.id
    store.add_highlight(article_id, (1, 0), (1, 10))
    article = store.get_article(article_id)

    assert markdown_outline(export.article_markdown(store, article)) == [
        ("h1", "Tides"),
        ("quote", "High water"),
    ]
    record = json.loads(export.export_json(store, [article]))["articles"][0]
    assert record["contents"] == [{"title": "Tides", "block": 0, "level": 1}]
    assert record["annotations"][0]["chapter"] is None
    assert csv_rows(store, [article])[0]["Location"] == "2"
    assert [hit.chapter for hit in store.search("harbour")] == [None]


# CSV, JSON, W3C -------------------------------------------------------------------------------


def csv_rows(store: AnnotationStore, articles: list[Any]) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(export.export_csv(store, articles))))


def test_csv_location_is_the_paragraph_then_the_chapter(store: AnnotationStore) -> None:
    """Location: `<paragraph> · <chapter>`; the number alone before the first chapter,
    nothing for an orphan; a Readwise CSV reader still finds the number first."""
    article = store.get_article(annotated_book(store))

    text = export.export_csv(store, [article])

    rows = list(csv.DictReader(io.StringIO(text)))
    assert [row["Location"] for row in rows] == [
        "1",
        "4 · BOOK ONE: 1805 › CHAPTER I",
        "5 · BOOK ONE: 1805 › CHAPTER I",
        "7 · BOOK ONE: 1805 › CHAPTER II",
        "10 · BOOK TWO: 1806 › CHAPTER I",
        "",
    ]
    (book,) = parse_readwise(text)
    locations = [highlight.location for highlight in book.highlights]
    assert locations == [(1, 1), (4, 4), (5, 5), (7, 7), (10, 10), None]


def test_json_has_each_chapter_and_the_contents(store: AnnotationStore) -> None:
    """Each annotation's `chapter` (null before the first, and for an orphan); the
    article's `contents` as the reader shows them."""
    article = store.get_article(annotated_book(store))

    (record,) = json.loads(export.export_json(store, [article]))["articles"]

    assert [annotation["chapter"] for annotation in record["annotations"]] == CHAPTERS
    assert record["contents"] == [
        {"title": "BOOK ONE: 1805", "block": 1, "level": 1},
        {"title": "CHAPTER I", "block": 2, "level": 2},
        {"title": "CHAPTER II", "block": 5, "level": 2},
        {"title": "BOOK TWO: 1806", "block": 7, "level": 1},
        {"title": "CHAPTER I", "block": 8, "level": 2},
    ]


def test_w3c_names_the_chapter_as_the_target_label(store: AnnotationStore) -> None:
    """The target of an annotation in a chapter has that chapter as its `label`."""
    article = store.get_article(annotated_book(store))

    collection = json.loads(export.export_w3c(store, [article]))

    items = collection["first"]["items"]
    assert [item["target"].get("label") for item in items] == CHAPTERS
    assert all(item["target"]["source"] == "file:///books/war-and-peace.txt" for item in items)


# Backups and the trash --------------------------------------------------------------------------


def fresh(clock: FixedClock) -> AnnotationStore:
    return AnnotationStore(Database(memory=True), clock=clock)


def test_a_book_restores_with_its_own_contents(store: AnnotationStore, clock: FixedClock) -> None:
    """A JSON backup brings back a book's own contents, and so its chapters."""
    article_id = own_book(store)
    backup = json.loads(export.export_json(store))

    other = fresh(clock)
    restore(other, parse_backup(backup))

    assert other.get_contents(article_id) == list(OWN)
    assert other.chapter_of(article_id, 4) == "Part *One* #1 › Chapter 2"
    assert json.loads(export.export_json(other))["articles"] == backup["articles"]


def test_headings_are_not_stored_as_own_contents(store: AnnotationStore, clock: FixedClock) -> None:
    """Contents that are the text's headings come back from the text, not as a copy."""
    article_id = annotated_book(store)
    backup = json.loads(export.export_json(store))

    other = fresh(clock)
    restore(other, parse_backup(backup))

    assert other._count("SELECT count(*) FROM contents") == 0
    assert other.get_contents(article_id) == store.get_contents(article_id)
    assert json.loads(export.export_json(other))["articles"] == backup["articles"]


def test_a_backup_without_contents_still_restores(
    store: AnnotationStore, clock: FixedClock
) -> None:
    """An export made before contents were written: its headings serve, chapters follow."""
    article_id = annotated_book(store)
    backup = json.loads(export.export_json(store))
    for record in backup["articles"]:
        del record["contents"]
        for annotation in record["annotations"]:
            del annotation["chapter"]

    other = fresh(clock)
    summary = restore(other, parse_backup(backup))

    assert (summary.articles_added, summary.annotations_added) == (1, 6)
    assert other.chapter_of(article_id, 6) == "BOOK ONE: 1805 › CHAPTER II"


def test_a_deleted_book_comes_back_with_its_contents(file_store: AnnotationStore) -> None:
    """Delete to the trash and bring back: the book's own contents are its own again."""
    article_id = own_book(file_store)
    before = export.export_json(file_store)

    delete_article(file_store, article_id)
    assert file_store._count("SELECT count(*) FROM contents") == 0
    undelete(file_store, article_id)

    assert file_store.get_contents(article_id) == list(OWN)
    assert json.loads(export.export_json(file_store))["articles"] == json.loads(before)["articles"]


@pytest.mark.parametrize(
    ("contents", "problem"),
    [
        ({"title": "One"}, 'field "contents" is not a list'),
        (["One"], "contents entry 1 is not a JSON object"),
        ([{"title": " ", "block": 0, "level": 1}], 'field "title" is not a text (not empty)'),
        ([{"block": 0, "level": 1}], 'field "title" is missing'),
        ([{"title": "One", "block": -1, "level": 1}], 'field "block" is not a whole number'),
        ([{"title": "One", "block": True, "level": 1}], 'field "block" is not a whole number'),
        ([{"title": "One", "block": 99, "level": 1}], "block 99 is past the end of the text"),
        ([{"title": "One", "block": 0, "level": 0}], 'field "level" is not a whole number from 1'),
    ],
)
def test_bad_contents_are_refused_in_one_line(
    store: AnnotationStore, contents: object, problem: str
) -> None:
    """A damaged `contents` stops the restore with a line naming the article and entry."""
    own_book(store)
    backup = json.loads(export.export_json(store))
    backup["articles"][0]["contents"] = contents

    with pytest.raises(RestoreError) as raised:
        parse_backup(backup)

    message = str(raised.value)
    assert message.startswith("article 1 (") and problem in message
    assert "\n" not in message


# Search ---------------------------------------------------------------------------------------


def test_search_hits_carry_their_chapter(store: AnnotationStore) -> None:
    """A hit in a chapter names it; one before the first chapter, or in an article
    without contents, has none."""
    annotated_book(store)
    plain = (Block(BlockKind.PARAGRAPH, "Anna Pavlovna, a namesake, sells bread."),)
    store.import_document(Document("Bakery", plain, "/notes/bakery.txt"))

    hits = store.search("pavlovna")

    chapters = {(hit.title, hit.block): hit.chapter for hit in hits}
    assert chapters == {
        ("War and Peace", 4): "BOOK ONE: 1805 › CHAPTER I",
        ("War and Peace", 6): "BOOK ONE: 1805 › CHAPTER II",
        ("Bakery", 0): None,
    }
    assert [hit.chapter for hit in store.search("preface")] == [None]
    note_hits = store.search("on 9")
    assert [(hit.source, hit.chapter) for hit in note_hits] == [
        ("note", "BOOK TWO: 1806 › CHAPTER I")
    ]


def test_reader_search_shows_the_chapter_after_the_title(tmp_path: Path) -> None:
    """`reader search`: `<title> · <chapter> — <snippet>`; `--json` has `chapter`."""
    path = tmp_path / "lib.db"
    library = AnnotationStore(path)
    article_id = annotated_book(library)
    library.close()

    result = run("--db", path, "search", "Rostov")

    assert result.exit_code == 0, result.output
    assert result.stdout == (
        f"{article_id[:8]}  ¶10  War and Peace · BOOK TWO: 1806 › CHAPTER I — "
        "Early in the year Nicholas «Rostov» returned home on leave.\n"
    )
    shown = json.loads(run("--db", path, "search", "--json", "gradually").stdout)
    assert [hit["chapter"] for hit in shown] == ["BOOK ONE: 1805 › CHAPTER II"]


def test_the_chapter_index_names_what_chapter_path_does() -> None:
    """`ChapterIndex` gives `chapter_path`'s answer for every block, levels in any order."""
    rng = random.Random(17)
    for _ in range(200):
        blocks = sorted(rng.randrange(40) for _ in range(rng.randrange(2, 12)))
        contents = [
            ContentsEntry(f"E{n}", block, rng.randint(1, 4)) for n, block in enumerate(blocks)
        ]
        index = ChapterIndex(contents)
        for block in range(-1, 42):
            assert index.path(block) == chapter_path(contents, block), (contents, block)
            assert index.title(block) == chapter_title(contents, block)
