"""Properties of the shortcuts that spare splitting a book's text into words:

- a text `is_one_line` finds one line is its words joined by single spaces, and the
  walker's `one_line` is exactly `" ".join(text.split())`, for any text, whatever
  whitespace (Unicode's included) is in it;
- `count_words_in` is exactly the sum of `count_words` over the texts, with or without
  Chinese or Japanese among them;
- a document's content hash is the same bytes as ever.
"""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from annotations.models import Block, BlockKind, Document, content_hash
from annotations.store.importing import count_words, count_words_in
from annotations.text import is_one_line
from reader.ingest.html import one_line

SETTINGS = settings(max_examples=300, deadline=None)

PIECES = st.sampled_from(
    [
        "word",
        "é",
        "…",
        " ",
        "  ",
        "\n",
        "\t",
        "\r",
        "\x0b",
        "\x1c",
        "\x85",
        "\xa0",
        "\xad",
        "\x1b",
        "\u1680",
        "\u2003",
        "\u2028",
        "\u202f",
        "\u3000",
        "日本語",
        "カナ",
        "\ud800",
        "😀",
        "",
    ]
)
TEXTS = st.lists(PIECES, max_size=12).map("".join) | st.text(max_size=30)


@SETTINGS
@given(TEXTS)
def test_one_line_is_the_words_joined_by_single_spaces(text: str) -> None:
    joined = " ".join(text.split())
    if is_one_line(text):
        assert joined == text
    assert one_line(text) == joined


@SETTINGS
@given(st.lists(TEXTS, max_size=6))
def test_count_words_in_is_the_sum_of_count_words(texts: list[str]) -> None:
    assert count_words_in(texts) == sum(count_words(text) for text in texts)


def test_count_words_counts_runs_and_each_chinese_or_japanese_character() -> None:
    assert count_words_in(["one two  three", "", " four\xa0five "]) == 5
    assert count_words_in(["日本語 and more", "words"]) == 6
    assert count_words("A line of words.") == 4
    assert is_one_line("A plain line, of words.") and is_one_line("")
    assert not is_one_line("two  spaces") and not is_one_line(" edge")


def test_the_content_hash_of_a_document_is_what_libraries_hold() -> None:
    """Libraries keep each article's hash to recognise the same text imported again: its
    bytes (title, then each block as `\\x00kind:level\\x01` and its text) never change."""
    document = Document(
        title="Tïtle",
        blocks=(
            Block(BlockKind.HEADING, "One", 1),
            Block(BlockKind.PARAGRAPH, "Text \ud800 here."),
            Block(BlockKind.LIST_ITEM, "日本", 2),
            Block(BlockKind.PARAGRAPH, "More."),
        ),
    )
    assert content_hash(document) == (
        "262848cff7cbf663a9ac5ae81d79fa84935cd0a7ddd19b87698c5b87f6073594"
    )
