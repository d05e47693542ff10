"""Kindle clippings and Readwise CSV files: parsing, recognising, storing, re-importing."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from annotations.clippings_sync import import_highlights
from annotations.formats.clippings import (
    KINDLE,
    READWISE,
    HighlightsError,
    parse_kindle,
    parse_kindle_date,
    parse_readwise,
    sniff,
)
from annotations.models import Article, BlockKind
from annotations.store import AnnotationStore
from reader.ingest import ImportFailure, import_item

DATA = Path(__file__).resolve().parent.parent / "data" / "highlights"
ALMANAC = "The Lighthouse Keeper's Almanac"
SEPARATOR = "=========="


def clipping(title: str, meta: str, text: str) -> str:
    """One entry of a Kindle clippings file."""
    return f"{title}\n{meta}\n\n{text}\n{SEPARATOR}\n"


def article(store: AnnotationStore, title: str) -> Article:
    """The stored article with the given title."""
    return next(a for a in store.list_articles() if a.title == title)


@pytest.fixture
def clippings(tmp_path: Path) -> Path:
    """A copy of the English clippings file, free to grow."""
    target = tmp_path / "My Clippings.txt"
    shutil.copyfile(DATA / "My Clippings.txt", target)
    return target


def append(path: Path, *entries: str) -> None:
    """Add entries at the end of a clippings file, as the Kindle does."""
    with path.open("ab") as handle:
        handle.write("".join(entries).replace("\n", "\r\n").encode("utf-8"))


# Kindle parsing ------------------------------------------------------------------------------


def test_kindle_books_authors_and_latest_versions() -> None:
    """Books keep title and author; extended and repeated highlights are kept once, latest."""
    books = parse_kindle((DATA / "My Clippings.txt").read_text(encoding="utf-8-sig"))

    assert [(b.title, b.author) for b in books] == [
        (ALMANAC, "Marrow, Edith"),
        ("Field Notes on Moss (Field Guides)", "Okafor, Tunde"),
    ]
    almanac, moss = books
    assert almanac.source == f"kindle:{ALMANAC} (Marrow, Edith)"
    assert almanac.format == KINDLE
    assert [h.text for h in almanac.highlights] == [
        "Every keeper wrote the wind in the log before breakfast.",
        "The lamp was lit at dusk, whatever the weather promised. "
        "Ships trusted the light more than the forecast.",
        "Ask the museum whether the logs survive.",
    ]
    first, extended, lone_note = almanac.highlights
    assert first.location == (41, 44) and first.page == (3, 3)
    assert first.added == "2024-03-05T07:05:00"
    assert extended.note == "Compare with the harbour chapter."
    assert extended.location == (170, 174)
    assert lone_note.note == lone_note.text
    # "Loc. 1203-07" is Kindle's short form of 1203-1207; highlights follow locations.
    assert [h.location for h in moss.highlights] == [(88, 90), (1203, 1207)]
    assert moss.highlights[1].added == "2024-01-12T21:41:00"


def test_kindle_localized_files() -> None:
    """German, Spanish, French and Dutch entries: kinds, locations, notes, bookmarks."""
    books = parse_kindle((DATA / "clippings-localized.txt").read_text(encoding="utf-8"))

    by_title = {book.title: book for book in books}
    assert set(by_title) == {
        "Die Brücke am Fluss",
        "El jardín de invierno",
        "Le marché du samedi",
        "De stille polder",
    }
    (bridge,) = by_title["Die Brücke am Fluss"].highlights
    assert bridge.location == (95, 97)
    assert bridge.note == "Stimmt das mit den drei Sommern?"
    assert by_title["El jardín de invierno"].highlights[0].location == (51, 53)
    assert by_title["Le marché du samedi"].highlights[0].location == (20, 22)
    (polder,) = by_title["De stille polder"].highlights  # the bookmark is skipped
    assert polder.text == "Het gemaal draaide de hele nacht door."
    assert polder.added is None  # only English dates are read


def test_kindle_shortened_highlight_and_edited_note_keep_the_latest() -> None:
    """A highlight made shorter and a note rewritten: only their latest versions remain."""
    title = "Tide Tables (Sato, Ken)"
    text = "".join(
        [
            clipping(title, "- Your Highlight on Location 10-14", "High water comes twice a day."),
            clipping(title, "- Your Highlight on Location 10-12", "High water comes"),
            clipping(title, "- Your Note on Location 12", "first thought"),
            clipping(title, "- Your Note on Location 12", "first thought, revised"),
            clipping(title, "- Your Highlight on Location 30-31", "Low water waits."),
            clipping(title, "- Your Highlight on Location 30-31", "Low water waits."),
        ]
    )
    (book,) = parse_kindle(text)

    assert [(h.text, h.note) for h in book.highlights] == [
        ("High water comes", "first thought, revised"),
        ("Low water waits.", ""),
    ]


def test_kindle_note_inside_a_range_and_pdf_pages() -> None:
    """A note inside a highlight's range attaches to it; page-only entries use pages."""
    text = "".join(
        [
            clipping("Charts (Ng, Li)", "- Your Highlight on Location 5-9", "Depths in fathoms."),
            clipping("Charts (Ng, Li)", "- Your Note on Location 7", "convert to metres"),
            clipping("Scan (Ng, Li)", "- Your Highlight on page 4", "A scanned passage."),
            clipping("Scan (Ng, Li)", "- Your Note on page 4", "from the scan"),
            clipping("Scan (Ng, Li)", "- Your Highlight on page 2", "An earlier page."),
        ]
    )
    charts, scan = parse_kindle(text)

    assert charts.highlights[0].note == "convert to metres"
    assert [(h.text, h.note) for h in scan.highlights] == [
        ("An earlier page.", ""),
        ("A scanned passage.", "from the scan"),
    ]


def test_kindle_title_without_author_and_only_bookmarks() -> None:
    """No parenthesised author means none; a file of bookmarks only is refused."""
    (book,) = parse_kindle(clipping("Plain Title", "- Your Highlight on Location 1-2", "Words."))
    assert (book.title, book.author, book.source) == ("Plain Title", None, "kindle:Plain Title")

    with pytest.raises(HighlightsError, match="no Kindle highlights"):
        parse_kindle(clipping("A (B)", "- Your Bookmark on Location 3", ""))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Added on Monday, March 4, 2024 10:15:00 PM", "2024-03-04T22:15:00"),
        ("Added on Monday, March 4, 2024 12:05:00 AM", "2024-03-04T00:05:00"),
        ("Added on Friday, January 12, 2024, 09:41 PM", "2024-01-12T21:41:00"),
        ("Added on Monday, 4 March 2024 22:15:00", "2024-03-04T22:15:00"),
        ("Hinzugefügt am Montag, 4. März 2024 22:15:00", None),
        ("Added on Monday, February 31, 2024 10:15:00 PM", None),
    ],
)
def test_kindle_dates(text: str, expected: str | None) -> None:
    """English dates are read in 12- and 24-hour forms; others and impossible ones are not."""
    assert parse_kindle_date(text) == expected


# Readwise parsing ----------------------------------------------------------------------------


def test_readwise_export_columns() -> None:
    """Readwise's export: grouping, location order, colours, tags, inline tags, headings."""
    books = parse_readwise((DATA / "readwise-export.csv").read_bytes().decode("utf-8-sig"))

    orchard, valley = books
    assert (orchard.title, orchard.author, orchard.format) == (
        "The Orchard Year",
        "Hollis Grant",
        READWISE,
    )
    assert orchard.source == "readwise:The Orchard Year (Hollis Grant)"
    assert orchard.tags == ("nature",)
    heading, prune, ladder, bees = orchard.highlights
    assert (heading.text, heading.heading, heading.note) == ("Pruning", 2, "")
    assert prune.color == "yellow"
    assert ladder.text == 'A "good" ladder has three legs, not four.'
    assert ladder.note == "Line one\nline two"
    assert (ladder.color, ladder.tags) == ("yellow", ("tools",))  # orange is shown yellow
    assert (bees.color, bees.tags) == ("blue", ("bees", "behaviour"))
    assert bees.note == "A dance, really? .science"  # inline tags only at the start
    assert (valley.author, valley.source) == (None, "readwise:Notes From the Valley")
    assert valley.highlights[0].color == "pink"  # purple


def test_readwise_import_columns_and_inline_tags() -> None:
    """Readwise's import columns (our own CSV export) group by URL; `.tag` starts a note."""
    text = (DATA / "readwise-import-format.csv").read_text(encoding="utf-8")
    text += (
        '"Trams hum in the cold.",Sunday Trams,Iris Bell,'
        'https://example.org/sunday-trams,".cold .h1 .c1 brr",3,\n'
    )
    (book,) = parse_readwise(text)

    assert book.source == "readwise:https://example.org/sunday-trams"
    assert [h.text for h in book.highlights] == [
        "Conductors know the regulars by their coats.",
        "The tram stops at every bakery on Sundays.",
        "Trams hum in the cold.",
    ]
    last = book.highlights[2]
    assert (last.note, last.tags, last.heading) == ("brr", ("cold",), 1)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('Highlight,Title\n"unclosed,Book\n', "malformed CSV"),
        ("Highlight,Title\nA,B,C,D\n", "malformed CSV: line 2 has 4 fields"),
        ("Highlight,Title\n,Book\n", "no highlights"),
        ("Name,Age\nA,3\n", "not a highlights CSV"),
    ],
)
def test_readwise_bad_files_get_one_line(text: str, message: str) -> None:
    """Malformed or empty CSV files are refused with a one-line reason."""
    with pytest.raises(HighlightsError, match=message) as caught:
        parse_readwise(text)
    assert "\n" not in str(caught.value)


# Recognising ---------------------------------------------------------------------------------


def test_sniff_by_name_content_and_header(tmp_path: Path) -> None:
    """Clippings by name or shape; CSV by its header; other files are not highlights."""
    clippings_head = (DATA / "My Clippings.txt").read_bytes()
    assert sniff(tmp_path / "my clippings (2).TXT", b"anything") == KINDLE
    assert sniff(tmp_path / "kindle-2024.txt", clippings_head) == KINDLE
    assert sniff(tmp_path / "loc.txt", (DATA / "clippings-localized.txt").read_bytes()) == KINDLE
    assert sniff(tmp_path / "export.csv", (DATA / "readwise-export.csv").read_bytes()) == READWISE
    assert sniff(tmp_path / "x.CSV", b"\xef\xbb\xbfhighlight,title\n") == READWISE
    assert sniff(tmp_path / "people.csv", b"Name,Title\nA,B\n") is None
    assert sniff(tmp_path / "notes.txt", b"Title\n\nSome text.\n==========\n") is None
    assert sniff(tmp_path / "list.md", clippings_head) is None


# Storing -------------------------------------------------------------------------------------


def test_import_stores_one_article_per_book_with_whole_block_annotations(
    file_store: AnnotationStore, clippings: Path
) -> None:
    """Each book is an article of paragraphs, each paragraph covered by one annotation."""
    results = import_highlights(file_store, clippings)

    assert [r.status for r in results] == ["imported", "imported"]
    almanac = article(file_store, ALMANAC)
    assert (almanac.format, almanac.author) == ("kindle", "Marrow, Edith")
    blocks = file_store.get_blocks(almanac.id)
    assert {b.kind for b in blocks} == {BlockKind.PARAGRAPH}
    annotations = file_store.list_annotations(almanac.id)
    assert len(annotations) == len(blocks) == 3
    for index, (block, annotation) in enumerate(zip(blocks, annotations, strict=True)):
        anchor = annotation.anchor
        assert (anchor.start_block, anchor.start_offset) == (index, 0)
        assert (anchor.end_block, anchor.end_offset) == (index, len(block.text))
        assert anchor.exact == block.text
    assert [a.note for a in annotations] == [
        "",
        "Compare with the harbour chapter.",
        "Ask the museum whether the logs survive.",
    ]


def test_importing_the_same_file_twice_changes_nothing(
    file_store: AnnotationStore, clippings: Path
) -> None:
    """A second import of the same file is unchanged and duplicates nothing."""
    import_highlights(file_store, clippings)
    before = file_store.list_annotations()

    results = import_highlights(file_store, clippings)

    assert [r.status for r in results] == ["unchanged", "unchanged"]
    assert len(file_store.list_articles()) == 2
    assert file_store.list_annotations() == before


def test_a_grown_file_updates_and_keeps_the_readers_work(
    file_store: AnnotationStore, clippings: Path
) -> None:
    """New and extended highlights update the book; tags, notes and removals made in
    reader survive, and nothing is duplicated."""
    import_highlights(file_store, clippings)
    almanac = article(file_store, ALMANAC)
    first, lamp, lone = file_store.list_annotations(almanac.id)
    file_store.set_tags(first.id, ["weather"])
    file_store.set_note(first.id, "My own note.")
    file_store.delete_annotation(lone.id)
    title = f"{ALMANAC} (Marrow, Edith)"
    append(
        clippings,
        clipping(title, "- Your Highlight on page 50 | Location 700-702", "Fog is a sound."),
        clipping(
            title,
            "- Your Highlight on page 3 | Location 41-46",
            "Every keeper wrote the wind in the log before breakfast. Then the tea.",
        ),
    )

    results = import_highlights(file_store, clippings)

    assert [r.status for r in results] == ["updated", "unchanged"]
    texts = [b.text for b in file_store.get_blocks(almanac.id)]
    assert texts[0].endswith("Then the tea.")
    assert texts[-1] == "Fog is a sound."
    annotations = file_store.list_annotations(almanac.id)
    by_block = {a.anchor.start_block: a for a in annotations}
    assert len(annotations) == 3  # first, lamp, fog; the removed one stays removed
    assert by_block[0].id == first.id
    assert by_block[0].anchor.exact == texts[0]  # the extended highlight covers all of it
    assert (by_block[0].anchor.start_offset, by_block[0].anchor.end_offset) == (0, len(texts[0]))
    assert (by_block[0].tags, by_block[0].note) == (("weather",), "My own note.")
    assert by_block[1].id == lamp.id
    assert by_block[3].anchor.exact == "Fog is a sound."
    assert 2 not in by_block

    again = import_highlights(file_store, clippings)
    assert [r.status for r in again] == ["unchanged", "unchanged"]
    assert file_store.list_annotations(almanac.id) == annotations


def test_notes_changed_at_the_source(file_store: AnnotationStore, tmp_path: Path) -> None:
    """A changed source note replaces an untouched imported note, and joins an edited one."""
    path = tmp_path / "highlights.csv"
    header = "Highlight,Title,Author,Note,Location\n"
    path.write_text(header + "One.,Book,Ann,first,1\nTwo.,Book,Ann,second,2\n", encoding="utf-8")
    import_highlights(file_store, path)
    _, two = file_store.list_annotations()
    file_store.set_note(two.id, "mine")

    path.write_text(header + "One.,Book,Ann,first+,1\nTwo.,Book,Ann,second+,2\n", encoding="utf-8")
    (result,) = import_highlights(file_store, path)

    assert result.status == "updated"
    assert [a.note for a in file_store.list_annotations()] == ["first+", "mine\n\nsecond+"]
    assert [r.status for r in import_highlights(file_store, path)] == ["unchanged"]


def test_readwise_import_stores_colours_tags_and_book_tags(
    store: AnnotationStore,
) -> None:
    """Colours and tags of a Readwise export arrive on the annotations."""
    results = import_highlights(store, DATA / "readwise-export.csv")

    assert [r.status for r in results] == ["imported", "imported"]
    orchard = article(store, "The Orchard Year")
    assert (orchard.format, orchard.tags) == ("readwise", ("nature",))
    blocks = store.get_blocks(orchard.id)
    assert (blocks[0].kind, blocks[0].level) == (BlockKind.HEADING, 2)
    annotations = store.list_annotations(orchard.id)
    assert [a.color for a in annotations] == ["yellow", "yellow", "yellow", "blue"]
    assert annotations[3].tags == ("bees", "behaviour")
    assert annotations[2].note == "Line one\nline two"


def test_import_item_turns_errors_into_import_failures(
    store: AnnotationStore, tmp_path: Path
) -> None:
    """Through ingestion, highlights files import per book and bad ones fail in one line."""
    results = import_item(store, DATA / "clippings-localized.txt")
    assert len(results) == 4

    bad = tmp_path / "export.csv"
    bad.write_text('Highlight,Title\n"never closed,Book\n', encoding="utf-8")
    with pytest.raises(ImportFailure, match="malformed CSV"):
        import_item(store, bad)
    other = tmp_path / "people.csv"
    other.write_text("Name,Age\nA,3\n", encoding="utf-8")
    with pytest.raises(ImportFailure, match=r"^unsupported file type \.csv"):
        import_item(store, other)
    empty = tmp_path / "My Clippings.txt"
    empty.write_text("nothing here\n", encoding="utf-8")
    with pytest.raises(ImportFailure, match="no Kindle highlights"):
        import_item(store, empty)
    assert len(store.list_articles()) == 4
