"""Project Gutenberg plain texts, and chapter lines in any long plain text."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from annotations.models import BlockKind, ContentsEntry, Document
from annotations.store import AnnotationStore
from reader.cli import cli
from reader.ingest import ImportFailure, load_document, parse_text
from reader.ingest.gutenberg import read_gutenberg, release_date

PROSE = (
    "The tide came in twice a day at Hollow Bay, and twice a day the keeper's\n"
    "daughter walked down to the shingle to see what it had brought. Mostly it\n"
    "brought weed and broken crates; once it had brought a drowned piano.\n"
)
LICENCE = (
    "Section 1. General Terms of Use and Redistributing Project Gutenberg-tm\n"
    "electronic works. By reading or using any part of this work you agree.\n\n"
    "Title: Not the title\n\nCHAPTER XCIX\n\nAuthor: Nobody\n"
)


def book(
    body: str,
    *,
    header: str = "",
    start: str = "*** START OF THE PROJECT GUTENBERG EBOOK THE LANTERN OF HOLLOW BAY ***",
    end: str = "*** END OF THE PROJECT GUTENBERG EBOOK THE LANTERN OF HOLLOW BAY ***",
) -> str:
    """A file in the shape of a Project Gutenberg plain text around a body we wrote."""
    header = header or (
        "The Project Gutenberg eBook of The Lantern of Hollow Bay, by Edwina Marsh\n\n"
        "This eBook is for the use of anyone anywhere in the United States and\n"
        "most other parts of the world at no cost and with almost no restrictions\n"
        "whatsoever.\n\n"
        "Title: The Lantern of Hollow Bay and Other\n"
        "       Tales of the Shore\n\n"
        "Author: Edwina Marsh\n\n"
        "Release date: June 3, 2021 [eBook #99999]\n"
        "              Most recently updated: May 1, 2023\n\n"
        "Language: English\n\n"
        "Character set encoding: UTF-8\n\n"
        "Credits: Nobody at all\n\n"
    )
    return (
        f"{header}{start}\n\n\n\nProduced by Ann Example and the Online Distributed\n"
        f"Proofreading Team\n\n\n{body}\n\n\n"
        "End of the Project Gutenberg EBook of The Lantern of Hollow Bay, by Edwina Marsh\n\n"
        f"{end}\n\n{LICENCE}"
    )


NOVEL = f"""THE LANTERN OF HOLLOW BAY

AND OTHER TALES OF THE SHORE

By Edwina Marsh


    CONTENTS

    PART ONE: THE SHORE

    CHAPTER I

    CHAPTER II

    PART TWO: THE TOWN

    CHAPTER III

    EPILOGUE


PART ONE: THE SHORE


CHAPTER I

The Piano

{PROSE}
Translated by
the Keeper

CHAPTER II.

{PROSE}
JULIE


PART TWO: THE TOWN

CHAPTER III
{PROSE}
EPILOGUE

The lantern was lit again that winter, and it has not gone out since."""


def headings(document: Document) -> list[tuple[str, int]]:
    """The heading blocks of a document, as text and level."""
    return [(b.text, b.level) for b in document.blocks if b.kind == BlockKind.HEADING]


def paragraphs(document: Document) -> list[str]:
    """The paragraph blocks of a document."""
    return [b.text for b in document.blocks if b.kind == BlockKind.PARAGRAPH]


def test_a_gutenberg_book_is_read_between_its_markers_with_its_header_metadata() -> None:
    """Title, author and date come from the header; licence, credit and title page go."""
    document = parse_text(book(NOVEL))
    assert document.title == "The Lantern of Hollow Bay and Other Tales of the Shore"
    assert document.author == "Edwina Marsh"
    assert document.date == "2021-06-03"
    text = " ".join(block.text for block in document.blocks)
    for gone in ("This eBook", "Produced by", "Section 1", "End of the Project", "CONTENTS"):
        assert gone not in text
    assert document.blocks[0].text == "PART ONE: THE SHORE"
    assert paragraphs(document)[0] == " ".join(PROSE.split())
    assert paragraphs(document)[-1] == (
        "The lantern was lit again that winter, and it has not gone out since."
    )


NOVEL_HEADINGS = [
    ("PART ONE: THE SHORE", 1),
    ("CHAPTER I. The Piano", 2),
    ("CHAPTER II.", 2),
    ("PART TWO: THE TOWN", 1),
    ("CHAPTER III", 2),
    ("EPILOGUE", 1),
]
"""The novel's chapter and part lines, with their levels, as headings and as contents."""


def test_chapter_and_part_lines_become_headings_once_with_their_levels() -> None:
    """Parts are level 1, chapters 2, the epilogue beside the parts; the contents list goes."""
    document = parse_text(book(NOVEL))
    assert headings(document) == NOVEL_HEADINGS
    # A book that names its chapters takes no other headings by their shape.
    assert "JULIE" in paragraphs(document)
    assert "Translated by the Keeper" in paragraphs(document)


def test_a_gutenberg_book_imports_with_its_contents(tmp_path: Path) -> None:
    """`reader import` of a Gutenberg file stores its chapters as the article's contents."""
    path = tmp_path / "pg99999.txt"
    path.write_text(book(NOVEL).replace("\n", "\r\n"), encoding="utf-8-sig", newline="")
    db = tmp_path / "lib.db"
    result = CliRunner().invoke(cli, ["--db", str(db), "import", str(path)])
    assert result.exit_code == 0, result.output
    store = AnnotationStore(db)
    (article,) = store.list_articles()
    assert article.title == "The Lantern of Hollow Bay and Other Tales of the Shore"
    assert article.author == "Edwina Marsh"
    contents = store.get_contents(article.id)
    assert [(entry.title, entry.level) for entry in contents] == NOVEL_HEADINGS
    assert contents[0] == ContentsEntry("PART ONE: THE SHORE", 0, 1)
    last = len(store.get_blocks(article.id)) - 1
    assert store.chapter_of(article.id, last) == "EPILOGUE"
    assert store.chapter_of(article.id, 3) == "PART ONE: THE SHORE › CHAPTER I. The Piano"


@pytest.mark.parametrize(
    ("start", "end"),
    [
        (
            "*** START OF THIS PROJECT GUTENBERG EBOOK X ***",
            "*** END OF THIS PROJECT GUTENBERG EBOOK X ***",
        ),
        (
            "***START OF THE PROJECT GUTENBERG EBOOK X***",
            "***END OF THE PROJECT GUTENBERG EBOOK X***",
        ),
        (
            "*** start of the project gutenberg ebook x ***",
            "*** end of the project gutenberg ebook x ***",
        ),
        (
            "  *** START OF THE PROJECT GUTENBERG E-TEXT X",
            "*** END OF THE PROJECT GUTENBERG E-TEXT X",
        ),
    ],
    ids=["this", "no-space", "lower-case", "indented-etext"],
)
def test_marker_variants_are_recognised(start: str, end: str) -> None:
    """The start and end markers are found however they are spelled."""
    document = parse_text(book(NOVEL, start=start, end=end))
    assert document.title == "The Lantern of Hollow Bay and Other Tales of the Shore"
    assert document.blocks[0].text == "PART ONE: THE SHORE"
    assert "Section 1" not in document.blocks[-1].text


def test_an_old_header_with_the_small_print_and_no_fields() -> None:
    """An old file: title and author from its first line, the text after the small print."""
    text = (
        "**The Project Gutenberg Etext of The Lantern of Hollow Bay, by Edwina Marsh**\n"
        "******This file should be named lantern10.txt or lantern10.zip******\n\n"
        "Copyright laws are changing all over the world, be sure to check.\n\n"
        "***START**THE SMALL PRINT!**FOR PUBLIC DOMAIN ETEXTS**START***\n"
        'Why is this "Small Print!" statement here? You know: lawyers.\n\n'
        "CHAPTER XCIX\n\n"
        "*END*THE SMALL PRINT! FOR PUBLIC DOMAIN ETEXTS*Ver.04.29.93*END*\n\n"
        f"CHAPTER I\n\n{PROSE}\nCHAPTER II\n\n{PROSE}\nThe end of it.\n\n"
        "End of The Project Gutenberg Etext of The Lantern of Hollow Bay\n"
    )
    document = parse_text(text)
    assert document.title == "The Lantern of Hollow Bay"
    assert document.author == "Edwina Marsh"
    assert headings(document) == [("CHAPTER I", 2), ("CHAPTER II", 2)]
    assert document.blocks[-1].text == "The end of it."


def test_latin1_crlf_file_with_dutch_fields(tmp_path: Path) -> None:
    """A Latin-1, CRLF file decodes, and its header still gives title, author and date."""
    header = (
        "Project Gutenberg's Ontboezemingen van Hollow Bay, by Gabriël\r\n\r\n"
        "Title: Ontboezemingen van Hollow Bay\r\n\r\n"
        "Author: Gabriël (AKA  Jan Voorbeeld)\r\n\r\n"
        "Release Date: February 23, 2008 [EBook #99998]\r\n\r\n"
        "Language: Dutch\r\n\r\n"
    )
    body = (
        "INHOUD.\r\n\r\n"
        "                                      Bladz.\r\n"
        "BEREISDE LIEDEN                         3.\r\n"
        "AFSCHEID                               17.\r\n\r\n\r\n"
        f"BEREISDE LIEDEN.\r\n\r\n{PROSE}\r\nII.\r\n\r\n{PROSE}\r\n"
        f"AFSCHEID.\r\n\r\nZóó iets deed ik onlangs, in één dag.\r\n\r\nEinde."
    )
    path = tmp_path / "ontboezemingen.txt"
    path.write_bytes(book(body, header=header).replace("\n", "\r\n").encode("latin-1"))
    document = load_document(path)
    assert document.title == "Ontboezemingen van Hollow Bay"
    assert document.author == "Gabriël (AKA Jan Voorbeeld)"
    assert document.date == "2008-02-23"
    # The contents list names the chapters; a numeral alone is a section in them.
    assert headings(document) == [("BEREISDE LIEDEN.", 2), ("II.", 3), ("AFSCHEID.", 2)]
    assert "Zóó iets deed ik onlangs, in één dag." in paragraphs(document)


@pytest.mark.parametrize(
    ("value", "date"),
    [
        ("April, 2001 [eBook #2600]", "2001-04"),
        ("January 1, 1997 [EBook #1234]", "1997-01-01"),
        ("June 3, 2021 [eBook #99999] Most recently updated: May 1, 2023", "2021-06-03"),
        ("3 Sept 2004 [EBook #13400]", "2004-09-03"),
        ("2019-11-05", "2019-11-05"),
        ("February 30, 2008", None),
        ("[EBook #42]", None),
        ("1997", None),
    ],
)
def test_release_dates(value: str, date: str | None) -> None:
    """Release dates become YYYY-MM or YYYY-MM-DD, and only real ones."""
    assert release_date(value) == date


def test_text_without_markers_is_not_a_gutenberg_book() -> None:
    """Ordinary text, even one naming Project Gutenberg, is not cut."""
    assert read_gutenberg("A Title\n\nI read it at Project Gutenberg.\n\nMore.") is None
    document = parse_text("A Title\n\nI read it at Project Gutenberg.\n\nMore.")
    assert document.title == "A Title"
    assert paragraphs(document) == ["I read it at Project Gutenberg.", "More."]


@pytest.mark.parametrize(
    ("line", "level"),
    [
        ("CHAPTER I", 2),
        ("Chapter 3.", 2),
        ("CHAPTER XII.", 2),
        ("Chapter the First", 2),
        ("CHAPTER TWENTY-ONE", 2),
        ("Hoofdstuk 4", 2),
        ("Kapitel 2", 2),
        ("Chapitre III", 2),
        ("Capítulo 5", 2),
        ("Capitolo 6", 2),
        ("BOOK ONE: 1805", 1),
        ("PART II", 1),
        ("VOLUME 1", 1),
        ("IV.", 2),
        ("XII", 2),
        ("I. The Ledger", 2),
        ("CHAPTER IV. The Storm Breaks", 2),
    ],
)
def test_chapter_lines_in_any_long_text(line: str, level: int) -> None:
    """Chapter, part and numeral lines are headings in any plain text, at their level."""
    document = parse_text(f"A Title\n\n{PROSE}\n{line}\n\n{PROSE}")
    assert headings(document) == [(line, level)]


@pytest.mark.parametrize(
    "line",
    [
        "And then he said:",
        "Judoc. Ik meende, meneer----",
        "_Andante affettuoso._",
        "                                STERNE",
        "at eight in the morning",
        "Book I. They came to the town at last, tired\nand hungry, and slept.",
    ],
)
def test_lines_that_are_not_headings(line: str) -> None:
    """Lines ending in a colon or dash, set far in, starting low, or prose are not headings."""
    document = parse_text(f"A Title\n\n{PROSE}\n{line}\n\n{PROSE}")
    assert headings(document) == []


def test_a_chapter_line_on_top_of_its_text_is_split_from_it() -> None:
    """A chapter line with its title or its first lines under it, no blank line between."""
    text = f"A Title\n\nCHAPTER I\nThe Piano\n\n{PROSE}\nCHAPTER II\n{PROSE}"
    document = parse_text(text)
    assert headings(document) == [("CHAPTER I. The Piano", 2), ("CHAPTER II", 2)]
    assert paragraphs(document) == [" ".join(PROSE.split())] * 2


def test_short_texts_keep_headings_by_shape() -> None:
    """Without chapter lines, short standalone lines are headings as before."""
    document = parse_text(f"A Title\n\n{PROSE}\nThe Second Part\n\n{PROSE}")
    assert headings(document) == [("The Second Part", 2)]


def test_a_contents_list_with_page_numbers_goes_when_the_text_repeats_it() -> None:
    """Entries with dot leaders and page numbers match a numeral over its title line."""
    text = (
        "A Title\n\nCONTENTS\n\n"
        "I. The Beginning ........ 1\nII. The Middle .......... 9\n\n"
        f"I.\n\nTHE BEGINNING\n\n{PROSE}\nII.\n\nTHE MIDDLE\n\n{PROSE}"
    )
    document = parse_text(text)
    assert headings(document) == [("I. THE BEGINNING", 2), ("II. THE MIDDLE", 2)]
    assert document.blocks[0].text == "I. THE BEGINNING"


def test_a_contents_list_the_text_never_repeats_is_kept() -> None:
    """Without its entries coming again, a list after CONTENTS is not taken for one."""
    text = f"A Title\n\nCONTENTS\n\nOf the Sea\n\nOf the Land\n\n{PROSE}"
    document = parse_text(text)
    assert [block.text for block in document.blocks][:3] == [
        "CONTENTS",
        "Of the Sea",
        "Of the Land",
    ]


def test_authors_one_a_line_and_a_posting_date() -> None:
    """Authors on indented lines are listed with commas; a posting date serves as the date."""
    header = (
        "Title: Two Hands\n\nAuthor: Jane Example\n        John Example\n\n"
        "Posting Date: January 10, 2009 [EBook #99997]\nLast Updated: July 13, 2018\n\n"
    )
    document = parse_text(book(f"CHAPTER I\n\n{PROSE}\nThe end.", header=header))
    assert (document.title, document.author) == ("Two Hands", "Jane Example, John Example")
    assert document.date == "2009-01-10"


def test_parts_of_two_kinds_nest_the_first_seen_outermost() -> None:
    """`VOLUME I` holds `BOOK FIRST`, which holds its chapters."""
    text = (
        f"A Title\n\nVOLUME I—THE SHORE\n\nBOOK FIRST—THE KEEPER\n\nCHAPTER I—THE LAMP\n\n{PROSE}\n"
        f"CHAPTER II\n\n{PROSE}\nBOOK SECOND\n\nCHAPTER I\n\n{PROSE}\n"
        f"VOLUME II\n\nBOOK FIRST\n\nCHAPTER I\n\n{PROSE}\nEPILOGUE\n\n{PROSE}"
    )
    assert [level for _, level in headings(parse_text(text))] == [1, 2, 3, 3, 2, 3, 1, 2, 3, 1]


def test_a_gutenberg_file_with_no_text_between_its_markers_fails_in_one_line(
    tmp_path: Path,
) -> None:
    """A header and markers with nothing between them is refused, saying so."""
    path = tmp_path / "empty.txt"
    path.write_text(
        "Title: Nothing\n\n*** START OF THE PROJECT GUTENBERG EBOOK NOTHING ***\n\n"
        "Produced by Ann Example\n\n\n*** END OF THE PROJECT GUTENBERG EBOOK NOTHING ***\n"
        f"\n{LICENCE}"
    )
    with pytest.raises(ImportFailure, match="no text between the Project Gutenberg"):
        load_document(path)
