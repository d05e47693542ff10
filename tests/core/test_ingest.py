"""Reading real files into documents: plain text, Markdown, encodings, folders and samples."""

from __future__ import annotations

import textwrap
from itertools import pairwise
from pathlib import Path

import pytest

from annotations import export
from annotations.models import Block, BlockKind, Document
from annotations.store import AnnotationStore
from reader.ingest import ImportFailure, iter_files, load_document
from tests.conftest import SAMPLES

LONG_LINE = (
    "This first line is long enough that it cannot be a title, because it runs on and on "
    "about the weather. Then a second sentence follows on the same line."
)


def write(tmp_path: Path, name: str, data: str | bytes) -> Path:
    """Write a test input file and return its path."""
    path = tmp_path / name
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(data, str):
        path.write_text(data, encoding="utf-8", newline="")
    else:
        path.write_bytes(data)
    return path


# Plain text -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "title", "date", "blocks"),
    [
        (
            " date 2023-05 De gemeente opent een nieuwe brug over de rivier. Het werk duurde "
            "drie jaar. Iedereen is blij.\n\nTweede alinea.",
            "De gemeente opent een nieuwe brug over de rivier.",
            "2023-05",
            [
                "De gemeente opent een nieuwe brug over de rivier. Het werk duurde drie jaar. "
                "Iedereen is blij.",
                "Tweede alinea.",
            ],
        ),
        (
            "date 2023-05-17\nThe Bridge\n\nBody text.",
            "The Bridge",
            "2023-05-17",
            ["Body text."],
        ),
        (
            "date 2023-05\n\nThe Bridge\n\nBody text.",
            "The Bridge",
            "2023-05",
            ["Body text."],
        ),
        (
            "A Short Title\n\nThe body. It has two sentences.",
            "A Short Title",
            None,
            ["The body. It has two sentences."],
        ),
        (
            f"{LONG_LINE}\n\nSecond paragraph.",
            "This first line is long enough that it cannot be a title, because it runs on and "
            "on about the weather.",
            None,
            [LONG_LINE, "Second paragraph."],
        ),
        (
            "Dr. Smith met friends, e.g. Jo and Al, at noon. Then they left.\n\nMore.",
            "Dr. Smith met friends, e.g. Jo and Al, at noon.",
            None,
            ["Dr. Smith met friends, e.g. Jo and Al, at noon. Then they left.", "More."],
        ),
        (
            "Title\n\nA hard-wrapped, well-\nknown paragraph\nthat goes on.\n\nNext one.",
            "Title",
            None,
            ["A hard-wrapped, well-known paragraph that goes on.", "Next one."],
        ),
        (
            "Title\r\n\r\nFirst line\r\nsecond line\r\n\r\nNext one.\r\n",
            "Title",
            None,
            ["First line second line", "Next one."],
        ),
        (
            "Title\r\rFirst line\rsecond line\r\rNext one.\r",
            "Title",
            None,
            ["First line second line", "Next one."],
        ),
        (
            "date 2023-05-1x is not a date token. It stays.\n\nMore.",
            "date 2023-05-1x is not a date token.",
            None,
            ["date 2023-05-1x is not a date token. It stays.", "More."],
        ),
    ],
    ids=[
        "date-token-and-text-on-one-line",
        "full-date-then-title",
        "date-blank-line-then-title",
        "short-title-line",
        "long-first-line",
        "abbreviations",
        "hard-wrapped",
        "crlf",
        "cr",
        "not-a-date-token",
    ],
)
def test_plain_text_title_date_and_paragraphs(
    tmp_path: Path, text: str, title: str, date: str | None, blocks: list[str]
) -> None:
    """A .txt file gives the expected title, date and paragraph blocks."""
    document = load_document(write(tmp_path, "article.txt", text))
    assert document.title == title
    assert document.date == date
    assert [block.text for block in document.blocks] == blocks
    assert document.format == "txt"


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        ("\ufeffTitle\n\nCafé één.".encode(), "Café één."),
        ("Title\n\nCafé één.".encode("utf-16"), "Café één."),
        (b"\xfe\xff" + "Title\n\nCafé één.".encode("utf-16-be"), "Café één."),
        (b"\xff\xfe" + "Title\n\nCafé één.".encode("utf-16-le"), "Café één."),
        (b"Title\n\nAssimi Go\xefta en \xe9\xe9n \x93quote\x94.", "Assimi Goïta en één “quote”."),
        ("Title\n\nCafé één ".encode() + b"\xff\xfe broken.", "Café één �� broken."),
    ],
    ids=["utf8-bom", "utf16-native-bom", "utf16-be-bom", "utf16-le-bom", "cp1252", "mostly-utf8"],
)
def test_encodings_are_read_correctly(tmp_path: Path, data: bytes, expected: str) -> None:
    """BOMs, UTF-16 and legacy cp1252 text decode to the right characters."""
    document = load_document(write(tmp_path, "article.txt", data))
    assert document.title == "Title"
    assert [block.text for block in document.blocks] == [expected]


def test_undecodable_bytes_never_crash_an_import(tmp_path: Path) -> None:
    """Bytes that are valid in no encoding still give a document."""
    data = b"Title\n\nBroken \xc3\x28 and \x81\x8d\x8f\x90\x9d bytes. " + bytes(range(128, 256))
    document = load_document(write(tmp_path, "broken.txt", data))
    assert document.title == "Title"
    assert document.blocks[0].text.startswith("Broken ")


@pytest.mark.parametrize(
    ("name", "data", "reason"),
    [
        ("binary.txt", b"Title\n\x00\x01\x02\x03 binary", "binary"),
        ("empty.txt", b"", "empty"),
        ("blank.txt", b" \n\t\r\n  \n", "empty"),
        ("bom-only.md", b"\xef\xbb\xbf\n\n", "empty"),
        ("scan.pdf", b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog >>\n", "pdf"),
        ("page.html", b"<html><head><title>Only a title</title></head></html>", "no article"),
        ("picture.html", b"\x89PNG\r\n\x1a\n" + bytes(64) + b"IHDR", "binary"),
        ("folder", None, "folder"),
    ],
)
def test_unreadable_files_fail_with_a_one_line_reason(
    tmp_path: Path, name: str, data: bytes | None, reason: str
) -> None:
    """Binary, empty, unsupported or folder inputs raise ImportFailure naming why."""
    if data is None:
        path = tmp_path / name
        path.mkdir()
    else:
        path = write(tmp_path, name, data)
    with pytest.raises(ImportFailure) as caught:
        load_document(path)
    message = str(caught.value)
    assert reason.lower() in message.lower()
    assert "\n" not in message


def test_a_large_hard_wrapped_book_keeps_every_paragraph(tmp_path: Path) -> None:
    """A 10,000+ paragraph hard-wrapped CRLF book with BOM gives one block per paragraph."""
    count = 10_250
    paragraphs = []
    for number in range(count):
        text = f"Paragraph {number} tells how the keeper climbed the stairs once more " * 3
        paragraphs.append("\r\n".join(textwrap.wrap(text.strip() + ".", 66)))
    book = "The Long Book\r\n\r\n" + "\r\n\r\n".join(paragraphs) + "\r\n"
    path = write(tmp_path, "book.txt", b"\xef\xbb\xbf" + book.encode("utf-8"))

    document = load_document(path)

    assert document.title == "The Long Book"
    assert len(document.blocks) == count
    assert all("\n" not in block.text for block in document.blocks)
    assert document.blocks[-1].text.startswith(f"Paragraph {count - 1} tells how the keeper")
    assert document.blocks[-1].text.endswith("stairs once more.")


# Markdown -----------------------------------------------------------------------------------

MARKDOWN_BODY = """
# My Essay

An opening paragraph with *emphasis* and `code`.

## A Section

- first item
  - nested item
    - deeper item
- second item

3. third
4. fourth

> A quoted line
> that continues.

```python
def greet(name):
    return f"hi {name}"


print(greet("you"))
```

### Small heading

Closing words.
"""


@pytest.mark.parametrize(
    "tags_yaml",
    ["tags: [writing, 'plain text']", 'tags:\n  - writing\n  - "plain text"'],
    ids=["inline-list", "block-list"],
)
def test_markdown_front_matter_is_honoured(tmp_path: Path, tags_yaml: str) -> None:
    """Title, date, tags, author and source come from the front matter."""
    text = (
        "---\n"
        'title: "Notes: on \\"plain\\" text"\n'
        "date: 2025-09-14T08:30:00\n"
        f"{tags_yaml}\n"
        "author: 'Ann O''Brien'\n"
        "source: https://example.org/notes\n"
        "---\n" + MARKDOWN_BODY
    )
    document = load_document(write(tmp_path, "notes.md", text))
    assert document.title == 'Notes: on "plain" text'
    assert document.date == "2025-09-14"
    assert document.tags == ("writing", "plain text")
    assert document.author == "Ann O'Brien"
    assert document.source == "https://example.org/notes"
    assert document.format == "md"


def test_markdown_blocks_keep_their_kind_level_and_code_layout(tmp_path: Path) -> None:
    """Headings, list items, quotes and code each become one block of their kind."""
    document = load_document(write(tmp_path, "essay.markdown", MARKDOWN_BODY))
    assert document.title == "My Essay"
    assert document.source == str((tmp_path / "essay.markdown").resolve())
    assert list(document.blocks) == [
        Block(BlockKind.PARAGRAPH, "An opening paragraph with emphasis and code."),
        Block(BlockKind.HEADING, "A Section", 2),
        Block(BlockKind.LIST_ITEM, "first item", 1),
        Block(BlockKind.LIST_ITEM, "nested item", 2),
        Block(BlockKind.LIST_ITEM, "deeper item", 3),
        Block(BlockKind.LIST_ITEM, "second item", 1),
        Block(BlockKind.LIST_ITEM, "3. third", 1),
        Block(BlockKind.LIST_ITEM, "4. fourth", 1),
        Block(BlockKind.QUOTE, "A quoted line that continues.", 1),
        Block(BlockKind.CODE, 'def greet(name):\n    return f"hi {name}"\n\n\nprint(greet("you"))'),
        Block(BlockKind.HEADING, "Small heading", 3),
        Block(BlockKind.PARAGRAPH, "Closing words."),
    ]


# Front matter -------------------------------------------------------------------------------

BODY = "# The Heading\n\nThe first paragraph of the text.\n\n---\n\nAfter a rule.\n"
"""A Markdown body with a `---` rule of its own."""
BODY_TEXTS = ["The first paragraph of the text.", "After a rule."]


def read_markdown(tmp_path: Path, front: str, body: str = BODY) -> Document:
    """Import a Markdown file of a front matter (its lines between the `---`) and a body."""
    text = "---\n" + (f"{front}\n" if front else "") + "---\n" + body
    return load_document(write(tmp_path, "doc.md", text))


@pytest.mark.parametrize(
    ("front", "field", "expected"),
    [
        ('tags: [essay, "cities, bridges"]', "tags", ("essay", "cities, bridges")),
        ("title: Bridges # a comment, not the title", "title", "Bridges"),
        ("author: >\n  Jane\n  Doe", "author", "Jane Doe"),
        ("author: |\n  Jane\n  Doe", "author", "Jane Doe"),
        ("title: >-\n  A folded\n  title", "title", "A folded title"),
        ("title: 'It''s: \"quoted\", with commas'", "title", 'It\'s: "quoted", with commas'),
        ('title: "Caf\\u00e9 #1: \\"best\\""', "title", 'Café #1: "best"'),
        ("title: 1984", "title", "1984"),
        ("title: 3.10", "title", "3.10"),
        ("title: On", "title", "On"),
        ("title: ~", "title", "The Heading"),
        ("title:", "title", "The Heading"),
        ("Title: A capital key", "title", "A capital key"),
        ("date: 2023-05-01", "date", "2023-05-01"),
        ("date: 2023-05-01 22:30:00 -05:00", "date", "2023-05-01"),
        ("date: 2025-09-14T08:30:00Z", "date", "2025-09-14"),
        ("date: '2023-05-01'", "date", "2023-05-01"),
        ("date: 2023-05", "date", "2023-05"),
        ("date: 2023-02-30", "date", None),
        ("date: 2023", "date", None),
        ("tags: essay, cities", "tags", ("essay", "cities")),
        ("tags: essay cities", "tags", ("essay", "cities")),
        ("tags:\n  - essay\n  - cities, bridges", "tags", ("essay", "cities, bridges")),
        (
            "tags: [essay, 2024, ~, [nested], {a: b}, ' spaced ']",
            "tags",
            ("essay", "2024", "spaced"),
        ),
        ("tags: ~", "tags", ()),
        ("source: https://example.org/a#part", "source", "https://example.org/a#part"),
        ("extra: {deep: [1, {x: [2]}]}\nlist: [a, [b]]\ntitle: Kept", "title", "Kept"),
    ],
)
def test_front_matter_is_read_as_yaml(
    tmp_path: Path, front: str, field: str, expected: object
) -> None:
    """Front matter is YAML: quotes, comments, folded and literal text, dates, lists.

    Numbers and booleans are the text they were written as; null is no value; dates are
    ISO dates, and only real days count; other keys, however nested, are left alone.
    """
    document = read_markdown(tmp_path, front)
    assert getattr(document, field) == expected
    assert document.warnings == ()
    # The heading stays in the text when the front matter's title is another one.
    assert [block.text for block in document.blocks if block.level != 1] == BODY_TEXTS


ALIAS_BOMB = "a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n" + "\n".join(
    f"{name}: &{name} [{', '.join([f'*{before}'] * 9)}]" for before, name in pairwise("abcdefghij")
)
"""Ten lines that stand for 9**10 (3.5 billion) values, if aliases are followed."""
INVALID = "title: Broken\ntags: [a, b\nauthor: Someone"


@pytest.mark.parametrize(
    ("front", "problem"),
    [
        (INVALID, "is not valid YAML (line 4: expected ',' or ']', but got ':')"),
        ("title: a: b", "is not valid YAML (line 2: mapping values are not allowed here)"),
        ("title: \x1b[2J", "is not valid YAML (character U+001B is not allowed)"),
        (
            "x: !!python/object/apply:os.system [ls]",
            "is not valid YAML (line 2: could not determine a constructor for the tag "
            "'tag:yaml.org,2002:python/object/apply:os.system')",
        ),
        ("- a list\n- of items", "is a list, not `key: value` lines"),
        ("Just a sentence.", "is a single value, not `key: value` lines"),
        (ALIAS_BOMB, "is not read (line 3: aliases (*name) are not read)"),
        ("x: " + "[" * 40 + "]" * 40, "is not read (line 2: nested more than 32 deep)"),
        ("x: [" + "1, " * 6000 + "]", "is not read (line 2: more than 5,000 values)"),
        ("x: " + "y" * 100_000, "is not read (more than 100,000 characters)"),
    ],
    ids=[
        "invalid",
        "colon",
        "control",
        "python-tag",
        "list",
        "scalar",
        "alias-bomb",
        "deep",
        "many",
        "long",
    ],
)
def test_unreadable_front_matter_is_kept_as_text_with_a_warning(
    tmp_path: Path, front: str, problem: str
) -> None:
    """Front matter that cannot be read is the first block, as written, and a one-line
    warning; the rest of the document imports as usual."""
    document = read_markdown(tmp_path, front)
    assert document.warnings == (f"front matter {problem}; kept as text",)
    assert document.blocks[0] == Block(BlockKind.CODE, f"---\n{front}\n---")
    assert [block.text for block in document.blocks[1:]] == BODY_TEXTS
    assert document.title == "The Heading"
    assert (document.author, document.date, document.tags) == (None, None, ())


def test_an_alias_bomb_is_refused_at_once(tmp_path: Path) -> None:
    """Billion-laughs front matter costs no time or memory: its first alias stops it
    (expanding it would take minutes and gigabytes)."""
    document = read_markdown(tmp_path, ALIAS_BOMB)
    [warning] = document.warnings
    assert "aliases (*name) are not read" in warning
    assert document.blocks[0].kind == BlockKind.CODE


def test_unreadable_front_matter_alone_is_the_text(tmp_path: Path) -> None:
    """A file of nothing but unreadable front matter imports as that text."""
    document = read_markdown(tmp_path, INVALID, body="")
    assert document.blocks == (Block(BlockKind.CODE, f"---\n{INVALID}\n---"),)
    assert document.title == "--- title: Broken tags: [a, b author: Someone ---"


@pytest.mark.parametrize(
    "front", ["", "   ", "# only a comment"], ids=["empty", "blank", "comment"]
)
def test_empty_front_matter_is_no_front_matter(tmp_path: Path, front: str) -> None:
    """Front matter with nothing in it is taken away without a warning."""
    document = read_markdown(tmp_path, front)
    assert document.warnings == ()
    assert document.title == "The Heading"
    assert [block.text for block in document.blocks] == BODY_TEXTS


def test_a_rule_further_on_is_not_front_matter(tmp_path: Path) -> None:
    """Only a `---` on the very first line opens front matter; later ones are rules."""
    text = "Intro: the first line.\n\n---\n\ntitle: not metadata\n\n---\n\nEnd.\n"
    document = load_document(write(tmp_path, "rules.md", text))
    assert [block.text for block in document.blocks] == [
        "Intro: the first line.",
        "title: not metadata",
        "End.",
    ]
    assert (document.title, document.warnings) == ("Intro: the first line.", ())


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "utf-16"])
def test_front_matter_with_crlf_lines_and_a_bom(tmp_path: Path, encoding: str) -> None:
    """Windows line ends and a byte order mark do not hide the front matter."""
    text = (
        "---\r\ntitle: 'Windows: a file' # comment\r\ntags: [a, \"b, c\"]\r\n---\r\n\r\nText.\r\n"
    )
    document = load_document(write(tmp_path, "windows.md", text.encode(encoding)))
    assert (document.title, document.tags) == ("Windows: a file", ("a", "b, c"))
    assert [block.text for block in document.blocks] == ["Text."]


@pytest.mark.parametrize(
    "title",
    [
        'He said: "no" -- and left: #1',
        "> not a quote",
        "- not a list item",
        "? [x]: {y} & *z | !tag %",
        "'single' and \"double\" quotes \\ backslash",
        "null",
        "2023-05-01",
        "yes",
        "Città, 東京, Ελλάδα and 🌉",
        "C1 \x9b and NEL \x85 and LS \u2028 and \ufeff end",
    ],
)
def test_exported_front_matter_reads_back_the_same(
    tmp_path: Path, store: AnnotationStore, title: str
) -> None:
    """A notes file reader exported imports again with its title, source, date, author and tags."""
    document = Document(
        title,
        (Block(BlockKind.PARAGRAPH, "Some text."),),
        source="/notes/a: b #c.md",
        date="2023-05",
        author='O\'Brien, "Ann": #1',
        tags=("cities, bridges",),
    )
    article = store.import_document(document).article
    store.add_highlight(article.id, (0, 0), (0, 4), tags=["b tag"])
    markdown = export.article_markdown(store, store.get_article(article.id))

    again = load_document(write(tmp_path, "notes.md", markdown))

    assert again.title == " ".join(title.split())
    assert (again.source, again.date, again.author) == (
        document.source,
        document.date,
        document.author,
    )
    assert again.tags == ("b-tag", "cities-bridges")  # the spelling of the note's #tags
    assert again.warnings == ()


# Folders ------------------------------------------------------------------------------------


def test_iter_files_walks_folders_recursively_and_skips_hidden(tmp_path: Path) -> None:
    """Folders yield their documents recursively, without hidden files, folders or other types."""
    root = tmp_path / "library"
    for name in [
        "a.txt",
        "b.md",
        "deep/er/c.markdown",
        "deep/d.TXT",
        ".hidden.txt",
        ".git/e.md",
        "deep/.cache/f.txt",
        "image.png",
        "notes.pdf",
    ]:
        write(root, name, "Text.")
    single = write(tmp_path, "loose.pdf", "Text.")

    found = [path.relative_to(tmp_path).as_posix() for path in iter_files([root, single])]

    assert found == [
        "library/a.txt",
        "library/b.md",
        "library/deep/d.TXT",
        "library/deep/er/c.markdown",
        "loose.pdf",
    ]


# Bundled samples ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "sample", sorted(p.name for p in SAMPLES.iterdir() if p.is_file()), ids=str
)
def test_each_bundled_sample_imports_cleanly(sample: str) -> None:
    """Every sample gives a titled document with text blocks and no stray metadata."""
    document = load_document(SAMPLES / sample)
    assert document.title.strip()
    assert len(document.title) < 120
    assert len(document.blocks) >= 5
    assert all(block.text.strip() for block in document.blocks)
    assert not document.blocks[0].text.startswith(("date ", "---"))
    assert document.blocks[0].text != document.title


def test_dutch_sample_title_is_its_first_sentence_and_date_is_set() -> None:
    """The Dutch news sample takes its date token and first sentence as date and title."""
    document = load_document(SAMPLES / "nieuwe-brug.txt")
    assert document.date == "2023-05"
    assert document.title == (
        "Het dorp Oosterlede krijgt na ruim twee jaar bouwen eindelijk een nieuwe brug over "
        "de Vliet."
    )
    assert document.blocks[0].text.startswith(document.title + " Zaterdagochtend")


def test_markdown_samples_have_headings_lists_and_code() -> None:
    """The Markdown samples keep headings, list items and code blocks as their own kinds."""
    for name in ("plain-text-notes.md", "welcome.md"):
        kinds = {block.kind for block in load_document(SAMPLES / name).blocks}
        assert {BlockKind.HEADING, BlockKind.LIST_ITEM, BlockKind.CODE} <= kinds, name
    welcome = load_document(SAMPLES / "welcome.md")
    assert welcome.title.startswith("Welcome")
    code = next(b for b in welcome.blocks if b.kind == BlockKind.CODE)
    assert "\n" in code.text


def test_year_before_period_ends_first_sentence() -> None:
    """A sentence ending in a year ends the title there; a small ordinal does not."""
    from reader.sentences import first_sentence

    assert first_sentence("The bridge was built in 1952. It still stands.") == (
        "The bridge was built in 1952."
    )
    assert first_sentence("Am 3. Mai beginnt der Markt. Alle kommen.") == (
        "Am 3. Mai beginnt der Markt."
    )


@pytest.mark.parametrize(
    ("text", "date"),
    [
        ("date 2023-05 Real month. More.\n", "2023-05"),
        ("date 2024-02-29 Leap day. More.\n", "2024-02-29"),
        ("date 2023-13 Not a month. More.\n", None),
        ("date 2023-02-30 Not a day. More.\n", None),
    ],
)
def test_only_real_dates_are_taken(text: str, date: str | None) -> None:
    """A date token must name a real month or day; otherwise it stays in the text."""
    from reader.ingest import parse_text

    document = parse_text(text)
    assert document.date == date
    assert ("date" in document.blocks[0].text) is (date is None)
