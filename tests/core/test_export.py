"""Markdown export: golden output, structure safety, front matter, file names, atomic writes."""

from __future__ import annotations

import json
import os
import re
import stat
import uuid
from dataclasses import dataclass, replace
from itertools import count
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner
from markdown_it import MarkdownIt
from markdown_it.token import Token

from annotations import export, files
from annotations.formats.markdown import block_id, exported_id, without_export_time
from annotations.models import Article, Block, BlockKind, Document
from annotations.store import AnnotationStore
from reader.cli import cli
from tests.conftest import FixedClock

GOLDEN = Path(__file__).resolve().parent.parent / "golden"
UPDATE_GOLDEN = os.environ.get("READER_UPDATE_GOLDEN") == "1"
"""Set READER_UPDATE_GOLDEN=1 to rewrite the golden files; then read the diff before committing."""


@pytest.fixture
def fixed_ids(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make new article and annotation ids predictable: 00000000-...-000000000001, ..."""
    numbers = count(1)
    monkeypatch.setattr(uuid, "uuid4", lambda: uuid.UUID(int=next(numbers)))


def check_golden(name: str, text: str) -> None:
    """Compare text with tests/golden/<name>, or rewrite it when asked to."""
    path = GOLDEN / name
    if UPDATE_GOLDEN:
        path.write_text(text, encoding="utf-8", newline="\n")
    assert path.read_text(encoding="utf-8") == text


def test_article_markdown_matches_golden_file(
    store: AnnotationStore, clock: FixedClock, fixed_ids: None
) -> None:
    """A small annotated article exports exactly as the reviewed golden Markdown file."""
    document = Document(
        title="On Bridges: a “short” essay",
        blocks=(
            Block(BlockKind.HEADING, "Why we build them", 2),
            Block(BlockKind.PARAGRAPH, "A bridge joins two banks. It also joins two towns."),
            Block(BlockKind.PARAGRAPH, "The old one was wood; the new one is steel and oak."),
            Block(BlockKind.LIST_ITEM, "It opens for boats.", 1),
            Block(BlockKind.CODE, "span = 42  # metres\nlanes = 1"),
            Block(BlockKind.PARAGRAPH, "This sentence will be cut from the next version."),
        ),
        source="https://example.org/bridges",
        date="2023-05",
        author="Ineke Hoogstraten",
        tags=("towns",),
    )
    article_id = store.import_document(document).article.id
    store.add_highlight(article_id, (1, 0), (1, 25), tags=["Ideas", "#civic life"], note="True.")
    store.add_highlight(
        article_id, (2, 26), (3, 19), color="green", note="Materials matter.\nAsk *why*."
    )
    store.add_highlight(article_id, (4, 0), (4, 9), color="blue", tags=["numbers"])
    store.add_highlight(article_id, (5, 5), (5, 13), note="Gone in the new version.")
    changed = Document(**{**document.__dict__, "blocks": document.blocks[:5]})
    assert store.import_document(changed).orphaned == 1

    markdown = export.article_markdown(store, store.get_article(article_id))

    check_golden("bridges.md", markdown)


# Structure safety ---------------------------------------------------------------------------

NASTY = [
    "---",
    "# Not a heading",
    "```",
    "~~~ tilde fence",
    "> not a quote",
    "<b>html</b> and <!-- comment -->",
    "[link](http://x) and ![image](y.png) and <http://auto.link>",
    "*stars* and _underscores_ and **bold**",
    "1. not a list",
    "2) not a list either",
    "- dash + plus * star",
    "#hashtag in the text",
    "a\n---\nsetext underline",
    "line one\n# heading on line two\n> quote on line three",
    "pipes | a | b | and `code` and ==highlight== and %%comment%%",
    "&amp; an entity and a back\\slash",
    "ends with a backslash\\",
    "carriage\r- return\r\n+ item\r1. one",
]


def markdown_body(markdown: str) -> str:
    """The document without its front matter."""
    assert markdown.startswith("---\n")
    return markdown.split("\n---\n", 1)[1]


def plain_text(token: Token) -> str:
    """The plain text of an inline token, line breaks kept."""
    parts = []
    for child in token.children or []:
        if child.type in ("text", "code_inline"):
            parts.append(child.content)
        elif child.type in ("softbreak", "hardbreak"):
            parts.append("\n")
    return "".join(parts)


@pytest.mark.parametrize("passage", NASTY, ids=range(len(NASTY)))
def test_passages_never_break_the_document(store: AnnotationStore, passage: str) -> None:
    """Markup-like text in a passage exports as exactly one quote of the plain passage.

    (Notes are the user's own Markdown: see `test_hostile_notes_stay_in_their_annotation`.)
    """
    blocks = (
        Block(BlockKind.PARAGRAPH, "Before."),
        Block(BlockKind.PARAGRAPH, passage),
        Block(BlockKind.PARAGRAPH, "After."),
    )
    article = store.import_document(Document("Title", blocks, source="/t.txt")).article
    annotation = store.add_highlight(article.id, (1, 0), (1, len(passage)), tags=["t"])

    body = markdown_body(export.article_markdown(store, store.get_article(article.id)))
    tokens = MarkdownIt("commonmark").parse(body)

    expected = passage.replace("\r\n", "\n").replace("\r", "\n")
    headings = [tokens[i + 1].content for i, t in enumerate(tokens) if t.type == "heading_open"]
    assert headings == ["Title"]
    assert [t.type for t in tokens].count("blockquote_open") == 1
    assert not [t for t in tokens if t.type == "html_block"]
    inline = [child.type for t in tokens for child in t.children or []]
    assert not {"html_inline", "link_open", "image", "em_open", "strong_open"} & set(inline)
    quoted, outside, depth = [], [], 0
    for token in tokens:
        depth += {"blockquote_open": 1, "blockquote_close": -1}.get(token.type, 0)
        if token.type == "inline":
            (quoted if depth else outside).append(plain_text(token))
        elif token.type not in ("paragraph_open", "paragraph_close", "heading_open"):
            assert token.type in ("heading_close", "blockquote_open", "blockquote_close")
    assert quoted == [expected]
    assert outside == ["Title", f"^{annotation.id}", "#t · colour: yellow"]


def test_a_passage_across_blocks_with_code_stays_one_quote(store: AnnotationStore) -> None:
    """A passage spanning a paragraph and code with backtick runs is one quote, code intact."""
    code = "x = '```'\n    indented()\n~~~"
    blocks = (Block(BlockKind.PARAGRAPH, "Run this:"), Block(BlockKind.CODE, code))
    article = store.import_document(Document("Code", blocks, source="/c.md")).article
    store.add_highlight(article.id, (0, 0), (1, len(code)))

    tokens = MarkdownIt("commonmark").parse(
        markdown_body(export.article_markdown(store, store.get_article(article.id)))
    )

    assert [t.type for t in tokens].count("blockquote_open") == 1
    fences = [t for t in tokens if t.type == "fence"]
    assert [t.content for t in fences] == [code + "\n"]
    assert fences[0].level == 1, "the code fence is inside the quote"


# Notes: the user's own Markdown, kept in their annotation ------------------------------------


@dataclass
class Found:
    """One annotation as a Markdown parser finds it in an export."""

    quote: str
    """The plain text of its block quote."""
    block_id: str
    """Its block id, without the `^`."""
    after: str
    """The source of what follows the id up to the next annotation or heading: tags, note."""

    @property
    def note(self) -> str:
        """What follows the line of tags and colour."""
        return self.after.partition("\n\n")[2]


BLOCK_ID = re.compile(r"\^[A-Za-z0-9-]+")


def found_annotations(markdown: str) -> tuple[list[str], list[Found]]:
    """The headings and the annotations of an exported document, as markdown-it reads it.

    An annotation is a top-level block quote followed by a paragraph that is only a block
    id; what follows, up to the next annotation or heading, is its tags and its note.
    """
    body = markdown_body(markdown)
    lines = body.split("\n")
    tokens = MarkdownIt("commonmark").enable("table").parse(body)
    headings = [tokens[i + 1].content for i, t in enumerate(tokens) if t.type == "heading_open"]
    blocks: list[list[Token]] = []  # the top-level blocks, each with the tokens inside it
    for token in tokens:
        if token.level == 0 and token.nesting >= 0:
            blocks.append([])
        blocks[-1].append(token)
    found: list[Found] = []
    starts: list[int] = []  # for each annotation, the line after its block id
    stops: list[int] = []  # and the first line that is no longer its own
    index = 0
    while index < len(blocks):
        block, following = blocks[index], blocks[index + 1 : index + 2]
        assert block[0].map is not None
        if (
            block[0].type == "blockquote_open"
            and following
            and following[0][0].type == "paragraph_open"
            and BLOCK_ID.fullmatch(following[0][1].content)
        ):
            if len(stops) < len(starts):
                stops.append(block[0].map[0])
            quote = "\n".join(plain_text(t) for t in block if t.type == "inline")
            found.append(Found(quote, following[0][1].content[1:], ""))
            assert following[0][0].map is not None
            starts.append(following[0][0].map[1])
            index += 2
            continue
        if block[0].type == "heading_open" and len(stops) < len(starts):
            stops.append(block[0].map[0])  # a heading ends the annotation before it
        index += 1
    stops += [len(lines)] * (len(starts) - len(stops))
    for annotation, start, stop in zip(found, starts, stops, strict=True):
        annotation.after = "\n".join(lines[start:stop]).strip("\n")
    return headings, found


def export_with_notes(store: AnnotationStore, *notes: str) -> tuple[str, list[str]]:
    """An article of one paragraph per note, each highlighted with that note and tag `t`;
    its Markdown and the annotation ids."""
    blocks = tuple(Block(BlockKind.PARAGRAPH, f"Passage {n}.") for n in range(len(notes)))
    article = store.import_document(Document("Title", blocks, source="/notes.txt")).article
    ids = [
        store.add_highlight(article.id, (n, 0), (n, len(f"Passage {n}.")), tags=["t"], note=note).id
        for n, note in enumerate(notes)
    ]
    return export.article_markdown(store, store.get_article(article.id)), ids


ISSUE_NOTE = "Compare [[Sahel]] and **Wagner**; see #followup"
"""The note of issue 16, which an export once sent out as `Compare \\[\\[Sahel\\]\\] ...`."""


def test_a_note_with_wikilinks_bold_and_tags_goes_out_as_written(store: AnnotationStore) -> None:
    """Obsidian finds the wikilink, the bold and the tag of a note where the user put them."""
    markdown, [annotation_id] = export_with_notes(store, ISSUE_NOTE)

    assert f"\n\n{ISSUE_NOTE}\n" in markdown
    assert "\\" not in markdown_body(markdown)
    headings, [found] = found_annotations(markdown)
    assert headings == ["Title"]
    assert (found.quote, found.block_id, found.note) == ("Passage 0.", annotation_id, ISSUE_NOTE)
    html = MarkdownIt("commonmark").render(found.note)
    assert html == "<p>Compare [[Sahel]] and <strong>Wagner</strong>; see #followup</p>\n"


WRITTEN_NOTES = {
    "wikilinks": "[[Sahel]], [[Wagner Group|Wagner]], [[Notes#Heading]] and ![[map.png]]",
    "emphasis": "**bold**, __bold__, *em*, _em_, ~~struck~~ and ==marked==",
    "lists": "- one\n- two\n  - nested\n\n1. first\n2. second\n\n- [ ] a task",
    "tags": "#followup at the start, #nested/tag and #2024-review",
    "links": "[a link](https://example.org), <https://example.org> and https://example.org",
    "inline code": "`inline code`, ``a ` tick`` and `# no heading`",
    "closed fence": "```python\nprint('# not a heading')\n---\n```",
    "quote": "> a quote of my own\n> on two lines",
    "line breaks": "line one\nline two\n\nsecond paragraph",
    "table": "| a | b |\n|---|---|\n| 1 | 2 |",
    "paired comments and math": "%%hidden%%, $$x^2$$ and <!-- a closed comment -->",
    "inline html": "<mark>marked</mark> and a<br>break",
    "footnote": "A footnote[^1].\n\n[^1]: The footnote.",
    "numbers": "x^2, 2^10 and 100% = 1",
    "long line": "word " * 3000 + "end",
}


@pytest.mark.parametrize("note", WRITTEN_NOTES.values(), ids=WRITTEN_NOTES.keys())
def test_markdown_in_notes_goes_out_as_written(store: AnnotationStore, note: str) -> None:
    """Wikilinks, emphasis, lists, tags, links, code, quotes, tables: the note as typed,
    inside its own annotation (between its tags and the next annotation's quote)."""
    markdown, ids = export_with_notes(store, "First.", note, "Last.")

    assert f"\n\n{note}\n\n> Passage 2." in markdown
    headings, found = found_annotations(markdown)
    assert headings == ["Title"]
    assert [(a.quote, a.block_id) for a in found] == [
        (f"Passage {n}.", annotation_id) for n, annotation_id in enumerate(ids)
    ]
    assert [a.note for a in found] == ["First.", note, "Last."]


HOSTILE_NOTES = {
    # name: (the note, what the export writes)
    "rule": ("---", "\\---"),
    "rule of stars": ("Before\n\n***\n\nAfter", "Before\n\n\\***\n\nAfter"),
    "heading": ("# Heading", "\\# Heading"),
    "empty heading": ("#", "\\#"),
    "underlined heading": ("Text\n===", "Text\n\\==="),
    "dashed heading": ("Text\n---", "Text\n\\---"),
    "heading becoming underlined": ("# One\n===", "\\# One\n\\==="),
    "heading in a quote": ("> # Heading\n> ---", "> \\# Heading\n> \\---"),
    "heading in a list": ("- # Heading\n1. ## Heading", "- \\# Heading\n1. \\## Heading"),
    "open fence": ("See:\n```\nunclosed fence", "See:\n```\nunclosed fence\n```"),
    "fence closed too short": ("~~~~ python\nx = 1\n~~~", "~~~~ python\nx = 1\n~~~\n~~~~"),
    "open comment": ("<!-- an open comment", "\\<!-- an open comment"),
    "comment opened in a line": ("a <!-- b", "a \\<!-- b"),
    "comment in raw html": ("<div>\n<!-- x\n</div>", "<div>\n&lt;!-- x\n</div>"),
    "open script": ("<script>\nalert(1)", "\\<script>\nalert(1)"),
    "open pre": ("<pre>\nkeep", "\\<pre>\nkeep"),
    "processing instruction": ("<?php echo 1;", "\\<?php echo 1;"),
    "block id": ("^blockid", "\\^blockid"),
    "block id at a line end": ("See above ^blockid", "See above \\^blockid"),
    "block id in a quote": ("> quoted ^quote-id", "> quoted \\^quote-id"),
    "open obsidian comment": ("%% hides what follows", "%\\% hides what follows"),
    "odd obsidian comments": ("%%a%% and %%b", "%%a%% and %\\%b"),
    "open math": ("$$\nx", "\\$\\$\nx"),
    "blank lines around": ("\n \n\t\nText\n\n\n", "Text"),
    "line ends and controls": ("one\r\ntwo\rthree\x1b[2J\x00", "one\ntwo\nthree[2J"),
    "code kept as code": ("```\n# code\n<!--\n%%\n^id\n```", "```\n# code\n<!--\n%%\n^id\n```"),
}


@pytest.mark.parametrize(("note", "written"), HOSTILE_NOTES.values(), ids=HOSTILE_NOTES.keys())
def test_hostile_notes_stay_in_their_annotation(
    store: AnnotationStore, note: str, written: str
) -> None:
    """No note breaks the front matter, the outline or the next annotation: a fence left
    open is closed, open HTML and comments, headings, rules and block ids are escaped."""
    markdown, ids = export_with_notes(store, "First.", note, "Last.")

    front = yaml.safe_load(markdown.split("\n---\n", 1)[0].removeprefix("---\n"))
    assert front["title"] == "Title"
    assert exported_id(markdown) == front["reader_id"]
    headings, found = found_annotations(markdown)
    assert headings == ["Title"]
    assert [(a.quote, a.block_id) for a in found] == [
        (f"Passage {n}.", annotation_id) for n, annotation_id in enumerate(ids)
    ]
    assert [a.note for a in found] == ["First.", written, "Last."]
    # What Obsidian reads beyond CommonMark: comments, math and block ids.
    body = markdown_body(markdown)
    outside_code = re.sub(r"(?ms)^(```|~~~~).*?^\1$", "", body)
    assert outside_code.count("%%") % 2 == 0
    assert outside_code.count("$$") % 2 == 0
    block_ids = re.findall(r"(?m)(?:^|[ \t])\^([A-Za-z0-9-]+)[ \t]*$", outside_code)
    assert block_ids == ids
    # What a browser reads in the HTML: no comment nor raw text element left open.
    html = re.sub(r"(?s)<!--.*?-->", "", MarkdownIt("commonmark").render(body))
    assert "<!--" not in html
    for element in ("script", "style", "pre", "textarea"):
        assert html.count(f"<{element}") == html.count(f"</{element}>"), element


def test_a_note_too_tangled_to_keep_goes_out_as_plain_text(store: AnnotationStore) -> None:
    """HTML openers each hiding the next need more passes than a note is given: the note
    then goes out escaped, as plain text, still in its place."""
    note = "<!--\n" * 40 + "end"
    markdown, ids = export_with_notes(store, note, "Last.")

    headings, found = found_annotations(markdown)

    assert headings == ["Title"]
    assert [a.block_id for a in found] == ids
    assert found[0].note == "\\<!--\\\n" * 40 + "end"
    assert found[1].note == "Last."


def test_a_note_holding_every_hostile_line_stays_in_its_annotation(store: AnnotationStore) -> None:
    """All of them in one note, each line after the others: still one note in its place."""
    note = "\n".join(note for note, _ in HOSTILE_NOTES.values() if "```" not in note)
    markdown, ids = export_with_notes(store, note, "Last.")

    headings, found = found_annotations(markdown)

    assert headings == ["Title"]
    assert [(a.quote, a.block_id) for a in found] == [
        ("Passage 0.", ids[0]),
        ("Passage 1.", ids[1]),
    ]
    assert found[1].note == "Last."


def test_front_matter_round_trips_awkward_values(store: AnnotationStore, clock: FixedClock) -> None:
    """Front matter holds title, source, date, tags and exported; quotes and colons survive."""
    title = 'He said: "no" -- and left: #1'
    document = Document(title, (Block(BlockKind.PARAGRAPH, "Text."),), source="C:\\x: y.txt")
    article = store.import_document(document).article
    store.add_highlight(article.id, (0, 0), (0, 4), tags=["b tag", "A"])

    markdown = export.article_markdown(store, store.get_article(article.id))

    front = markdown.split("\n---\n", 1)[0].removeprefix("---\n")
    fields = {}
    for line in front.split("\n"):
        key, _, value = line.partition(": ")
        fields[key] = json.loads(value)
    assert fields["title"] == title
    assert fields["source"] == "C:\\x: y.txt"
    assert fields["date"] is None
    assert fields["tags"] == ["A", "b-tag"]
    assert fields["exported"].startswith("2026-01-31T09:00:")
    assert {"title", "source", "date", "tags", "exported"} <= fields.keys()


# File names and writing -------------------------------------------------------------------------


def make_article(article_id: str, title: str) -> Article:
    """An article record with just an id and a title that matter here."""
    return Article(article_id, title, "", None, None, (), "txt", 0, 0, 0, 0, "", "", "")


def test_markdown_filenames_are_plain_unique_and_short() -> None:
    """File names never hold separators or dots-only names, are unique and stay short."""
    titles = [
        "../../etc/passwd",
        "/abs/path",
        "C:\\Windows\\system32",
        "",
        "..",
        "🙂🙂",
        "x" * 500,
        "word " * 200,
        "Same Title",
        "Same Title",
        "Über die Straße",
    ]
    articles = [
        make_article(f"{number:08d}-aaaa-4bbb-8ccc-dddddddddddd", title)
        for number, title in enumerate(titles)
    ]

    names = export.markdown_filenames(articles)

    assert list(names) == [a.id for a in articles]
    assert len(set(names.values())) == len(articles)
    for name in names.values():
        assert name.endswith(".md")
        assert "/" not in name and "\\" not in name and ".." not in name
        assert not name.startswith(".")
        assert 4 < len(name) <= 100
        assert Path(name).name == name
    assert names[articles[0].id] == "etc-passwd.md"
    assert names[articles[10].id] == "uber-die-strasse.md"


def test_export_folder_writes_only_inside_the_folder(
    store: AnnotationStore, tmp_path: Path
) -> None:
    """Exporting articles with hostile titles writes one file each, all inside the folder."""
    for number, title in enumerate(["../../escape", "/etc/passwd", "Same", "Same"]):
        blocks = (Block(BlockKind.PARAGRAPH, f"Text {number}."),)
        store.import_document(Document(title, blocks, source=f"/{number}.txt"))
    folder = tmp_path / "out" / "notes"

    written = export.export_markdown_folder(store, folder, store.list_articles()).new

    assert len(written) == 4
    assert sorted(p.parent for p in written) == [folder] * 4
    everything = sorted(p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*.md"))
    assert everything == sorted(p.relative_to(tmp_path).as_posix() for p in written)
    assert all(p.read_text(encoding="utf-8").startswith("---\ntitle: ") for p in written)


HOSTILE_IDS = [
    "/../../escaped",
    "../../../../tmp/x",
    "..",
    ".hidden",
    "a\\..\\..\\b",
    "nul\x00byte",
    "line\nbreak",
    "CON",
    "-rf",
    "z" * 400,
    "zzzzzzzz-second",
    "00000000-aaaa-4bbb-8ccc-dddddddddddd",
]
"""Article ids a library restored from a hand-made backup by an older reader may hold."""


def hostile_library(store: AnnotationStore, ids: list[str] = HOSTILE_IDS) -> None:
    """One annotated article titled "Same" under each id (as an older restore stored them),
    so every file name needs a part of its article's id."""
    for number, article_id in enumerate(ids):
        blocks = (Block(BlockKind.PARAGRAPH, f"Text number {number}."),)
        made = store.import_document(Document("Same", blocks, source=f"/{number}.txt")).article
        store.delete_article(made.id)
        store.insert_restored_article(replace(made, id=article_id), blocks)
        store.add_highlight(article_id, (0, 0), (0, 4))


def test_hostile_article_ids_never_make_a_path(store: AnnotationStore, tmp_path: Path) -> None:
    """Ids with separators, dots, NUL or 400 characters give plain names, all in the folder.

    The vault has folders of its own, which a name holding `/../` would go through.
    """
    hostile_library(store)
    folder = tmp_path / "vault"
    (folder / "same-").mkdir(parents=True)
    (folder / "same-...").mkdir()
    (folder / "same-zzzzzzzz.md").write_text("mine\n", encoding="utf-8")
    (folder / "same-zzzzzzzz-zzzzzzzz.md").write_text("mine too\n", encoding="utf-8")

    first = export.export_markdown_folder(store, folder, store.list_articles())
    second = export.export_markdown_folder(store, folder, store.list_articles())

    assert len(first.new) == len(HOSTILE_IDS)
    assert sorted(second.unchanged) == sorted(first.new)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["home", "vault"]
    assert sorted(p.name for p in folder.iterdir() if p.is_dir()) == ["same-", "same-..."]
    assert not any((folder / "same-").iterdir())
    assert not any((folder / "same-...").iterdir())
    ids = {export.exported_reader_id(path) for path in first.new}
    assert ids == set(HOSTILE_IDS)
    for path in first.new:
        assert path.parent == folder
        assert path.name.startswith("same-") and path.name.endswith(".md")
        assert len(path.name) <= 100
        assert path.name[5:-3].replace("-", "").isalnum() and path.name.isascii()
    assert (folder / "same-00000000.md").exists()  # a plain id keeps its usual name
    assert (folder / "same-zzzzzzzz.md").read_text(encoding="utf-8") == "mine\n"


def test_an_id_holding_a_path_never_writes_outside_the_vault(
    store: AnnotationStore, tmp_path: Path
) -> None:
    """`/../../escaped` would have made `same-/../../e.md`: through the vault's own folder
    `same-`, out of the vault."""
    hostile_library(store, ["/../../escaped", "00000000-aaaa-4bbb-8ccc-dddddddddddd"])
    folder = tmp_path / "vault"
    (folder / "same-").mkdir(parents=True)

    export.export_markdown_folder(store, folder, store.list_articles())

    assert sorted(p.name for p in tmp_path.iterdir()) == ["home", "vault"]
    assert len(list(folder.glob("*.md"))) == 2


def test_cli_export_of_hostile_ids_exits_0(tmp_path: Path) -> None:
    """`reader export -o VAULT` of such a library writes every article, with no error."""
    path = tmp_path / "lib.db"
    store = AnnotationStore(path, clock=FixedClock())
    hostile_library(store)
    store.close()
    (tmp_path / "vault" / "same-").mkdir(parents=True)

    result = CliRunner().invoke(cli, ["--db", str(path), "export", "-o", str(tmp_path / "vault")])

    assert result.exception is None, result.exception
    assert result.exit_code == 0
    assert f"exported {len(HOSTILE_IDS)} articles" in result.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["home", "lib.db", "vault"]


def test_write_text_atomic_keeps_the_old_file_when_the_rename_fails(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """If the final rename fails, the target keeps its old text and no temp file is left."""
    target = tmp_path / "notes.md"
    target.write_text("old text\n", encoding="utf-8")

    def broken_replace(*_: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(files.os, "replace", broken_replace)
    with pytest.raises(OSError):
        files.write_text_atomic(target, "new text\n")

    assert target.read_text(encoding="utf-8") == "old text\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["home", "notes.md"]


def test_write_text_atomic_leaves_nothing_when_the_text_cannot_be_written(tmp_path: Path) -> None:
    """A text that cannot be encoded leaves neither the target nor a temp file behind."""
    target = tmp_path / "out" / "notes.md"
    with pytest.raises(UnicodeEncodeError):
        files.write_text_atomic(target, "lone surrogate \ud800")
    assert list((tmp_path / "out").iterdir()) == []


def test_write_text_atomic_gives_normal_permissions(tmp_path: Path) -> None:
    """A new export gets the usual permissions, not 0600; a replaced file keeps its own."""
    fresh = tmp_path / "fresh.md"
    files.write_text_atomic(fresh, "text\n")
    umask = os.umask(0o022)
    os.umask(umask)
    assert stat.S_IMODE(fresh.stat().st_mode) == 0o666 & ~umask

    kept = tmp_path / "kept.md"
    kept.write_text("old\n", encoding="utf-8")
    kept.chmod(0o640)
    files.write_text_atomic(kept, "new\n")
    assert stat.S_IMODE(kept.stat().st_mode) == 0o640
    assert kept.read_text(encoding="utf-8") == "new\n"


def test_note_line_breaks_are_kept_as_written(store: AnnotationStore) -> None:
    """A multi-line note keeps its lines as typed (no backslash added: the note is Markdown,
    where Obsidian shows a line break as one), and its paragraphs stay apart."""
    from markdown_it import MarkdownIt

    from annotations.models import Block, BlockKind, Document

    article = store.import_document(
        Document(title="Notes", blocks=(Block(BlockKind.PARAGRAPH, "Some passage."),))
    ).article
    store.add_highlight(article.id, (0, 0), (0, 4), note="line one\nline two\n\nsecond para")
    markdown = export.article_markdown(store, article)
    assert markdown.endswith("\n\nline one\nline two\n\nsecond para\n")
    html = MarkdownIt("commonmark").render(markdown)
    assert "<p>line one\nline two</p>" in html
    assert "<p>second para</p>" in html


# Exporting into a folder again (an Obsidian vault) ----------------------------------------------


def folder_files(folder: Path) -> dict[str, str]:
    """Every file in a folder, by name, with its text."""
    return {path.name: path.read_text(encoding="utf-8") for path in sorted(folder.iterdir())}


def annotated_library(store: AnnotationStore) -> list[str]:
    """Three annotated articles, two of them sharing a title; their ids."""
    ids = []
    for number, title in enumerate(["Rivers", "Same title", "Same title"]):
        blocks = (Block(BlockKind.PARAGRAPH, f"Water runs down the hill number {number}."),)
        article = store.import_document(Document(title, blocks, source=f"/{number}.txt")).article
        store.add_highlight(article.id, (0, 0), (0, 5), tags=["water"], note=f"Note {number}")
        ids.append(article.id)
    return ids


def test_block_ids_are_stable_and_safe_for_obsidian(store: AnnotationStore) -> None:
    """Each quote is followed by `^id` from the annotation id: letters, digits and dashes only."""
    article_id = annotated_library(store)[0]
    annotation = store.list_annotations(article_id)[0]
    odd = replace_id(annotation, "a.b/c d_é")

    assert block_id(annotation) == annotation.id
    assert block_id(odd) == "a-b-c-d"
    markdown = export.article_markdown(store, store.get_article(article_id))
    assert f"\n> Water\n\n^{annotation.id}\n\n#water · colour: yellow\n" in markdown
    again = export.article_markdown(store, store.get_article(article_id))
    assert again.split("\n# ", 1)[1] == markdown.split("\n# ", 1)[1]


def replace_id(annotation: object, new_id: str) -> object:
    """The annotation with another id."""
    from dataclasses import replace

    return replace(annotation, id=new_id)  # type: ignore[type-var]


def test_exporting_twice_into_a_folder_changes_nothing(
    store: AnnotationStore, tmp_path: Path
) -> None:
    """The second export finds the first one's files: same files, same bytes, same times."""
    annotated_library(store)
    folder = tmp_path / "vault"

    first = export.export_markdown_folder(store, folder, store.list_articles())
    before = folder_files(folder)
    times = {path.name: path.stat().st_mtime_ns for path in folder.iterdir()}
    second = export.export_markdown_folder(store, folder, store.list_articles())

    assert (len(first.new), len(first.updated), len(first.unchanged)) == (3, 0, 0)
    assert (len(second.new), len(second.updated), len(second.unchanged)) == (0, 0, 3)
    assert folder_files(folder) == before
    assert {path.name: path.stat().st_mtime_ns for path in folder.iterdir()} == times
    assert second.line(folder) == f"exported 3 articles to {folder} (0 new, 0 updated, 3 unchanged)"


def test_a_changed_article_updates_its_own_file_even_after_a_title_change(
    store: AnnotationStore, tmp_path: Path
) -> None:
    """A new title (so a new slug) and a new note rewrite the same file; others stay untouched."""
    ids = annotated_library(store)
    folder = tmp_path / "vault"
    export.export_markdown_folder(store, folder, store.list_articles())
    names = {export.exported_reader_id(path): path.name for path in folder.iterdir()}
    untouched = folder_files(folder)
    blocks = store.get_blocks(ids[0])
    store.import_document(Document("Rivers and seas", tuple(blocks), source="/0.txt"))
    annotation = store.list_annotations(ids[0])[0]
    store.set_note(annotation.id, "A changed note")

    done = export.export_markdown_folder(store, folder, store.list_articles())

    assert [path.name for path in done.updated] == [names[ids[0]]] == ["rivers.md"]
    assert len(done.unchanged) == 2 and not done.new
    after = folder_files(folder)
    assert sorted(after) == sorted(untouched)
    assert "# Rivers and seas" in after["rivers.md"]
    assert "A changed note" in after["rivers.md"]
    assert f"^{annotation.id}" in after["rivers.md"]
    for name in after:
        if name != "rivers.md":
            assert after[name] == untouched[name]


def test_an_export_of_everything_clears_annotations_removed_since(
    store: AnnotationStore, tmp_path: Path
) -> None:
    """`reader export -o DIR` again after removing an article's last annotation updates its
    file to show none, instead of leaving the removed passage in the vault."""
    ids = annotated_library(store)
    folder = tmp_path / "vault"
    export.export_markdown_folder(store, folder, store.list_articles())
    names = {export.exported_reader_id(path): path.name for path in folder.iterdir()}
    for annotation in store.list_annotations(ids[0]):
        store.delete_annotation(annotation.id)
    annotated = [a for a in store.list_articles() if a.annotation_count]

    kept = export.export_markdown_folder(store, folder, annotated)
    assert not kept.updated  # only the articles given
    done = export.export_markdown_folder(store, folder, annotated, update_earlier=True)

    assert [path.name for path in done.updated] == [names[ids[0]]]
    text = (folder / names[ids[0]]).read_text(encoding="utf-8")
    assert f'reader_id: "{ids[0]}"' in text
    assert "\n> " not in text


def test_files_that_are_not_ours_are_never_touched(store: AnnotationStore, tmp_path: Path) -> None:
    """A user's note with the slug's name keeps its text; the article gets another name."""
    ids = annotated_library(store)
    folder = tmp_path / "vault"
    folder.mkdir()
    mine = {
        "rivers.md": "# My own rivers note\n",
        "other.md": "---\ntitle: x\n---\nno reader_id here\n",
        "binary.md": "\udcff",
    }
    (folder / "rivers.md").write_text(mine["rivers.md"], encoding="utf-8")
    (folder / "other.md").write_text(mine["other.md"], encoding="utf-8")
    (folder / "binary.md").write_bytes(b"\xff\xfe\x00garbage")

    done = export.export_markdown_folder(store, folder, store.list_articles())

    assert (folder / "rivers.md").read_text(encoding="utf-8") == mine["rivers.md"]
    assert (folder / "other.md").read_text(encoding="utf-8") == mine["other.md"]
    assert (folder / "binary.md").read_bytes() == b"\xff\xfe\x00garbage"
    assert len(done.new) == 3
    rivers = next(p for p in done.new if export.exported_reader_id(p) == ids[0])
    assert rivers.name == f"rivers-{ids[0][:8]}.md"
    again = export.export_markdown_folder(store, folder, store.list_articles())
    assert sorted(again.unchanged) == sorted(done.new)
    assert len(list(folder.iterdir())) == 6


def test_an_edited_export_is_rewritten_and_its_name_kept(
    store: AnnotationStore, tmp_path: Path
) -> None:
    """A file of ours edited by hand (even renamed) is found by its reader_id and rewritten."""
    ids = annotated_library(store)
    folder = tmp_path / "vault"
    export.export_markdown_folder(store, folder, store.list_articles())
    (folder / "rivers.md").rename(folder / "My rivers.md")
    path = folder / "My rivers.md"
    path.write_text(path.read_text(encoding="utf-8") + "\nMy own addition.\n", encoding="utf-8")

    done = export.export_markdown_folder(store, folder, store.list_articles())

    assert done.updated == [path]
    assert "My own addition" not in path.read_text(encoding="utf-8")
    assert export.exported_reader_id(path) == ids[0]
    assert not (folder / "rivers.md").exists()


def test_exported_reader_id_reads_only_our_front_matter(tmp_path: Path) -> None:
    """The id comes from `reader_id:` inside a front matter at the very start, nowhere else."""
    cases = {
        "ours.md": '---\ntitle: "x"\nreader_id: "abc"\n---\n# x\n',
        "crlf.md": '---\r\ntitle: "x"\r\nreader_id: "abc"\r\n---\r\n',
        "late.md": '# x\n---\nreader_id: "abc"\n---\n',
        "body.md": '---\ntitle: "x"\n---\nreader_id: "abc"\n',
        "bad.md": "---\nreader_id: abc\n---\n",
        "empty.md": '---\nreader_id: ""\n---\n',
    }
    for name, text in cases.items():
        (tmp_path / name).write_bytes(text.encode("utf-8"))
    found = {name: export.exported_reader_id(tmp_path / name) for name in cases}
    assert found == {
        "ours.md": "abc",
        "crlf.md": "abc",
        "late.md": None,
        "body.md": None,
        "bad.md": None,
        "empty.md": None,
    }


def test_folder_export_permissions_are_those_of_new_files_or_of_the_file_replaced(
    store: AnnotationStore, tmp_path: Path
) -> None:
    """New files get 0o666 less the umask (not a temporary file's 0600); an updated file keeps
    the permissions it had."""
    ids = annotated_library(store)
    folder = tmp_path / "vault"
    first = export.export_markdown_folder(store, folder, store.list_articles())
    umask = os.umask(0o022)
    os.umask(umask)
    assert {stat.S_IMODE(path.stat().st_mode) for path in first.new} == {0o666 & ~umask}
    rivers = next(path for path in first.new if export.exported_reader_id(path) == ids[0])
    rivers.chmod(0o640)
    store.set_note(store.list_annotations(ids[0])[0].id, "Changed")

    done = export.export_markdown_folder(store, folder, store.list_articles())

    assert done.updated == [rivers]
    assert stat.S_IMODE(rivers.stat().st_mode) == 0o640
    assert "Changed" in rivers.read_text(encoding="utf-8")


def test_a_name_taken_in_another_case_is_not_overwritten(
    store: AnnotationStore, tmp_path: Path
) -> None:
    """`Rivers.md` of the user's own holds the name `rivers.md` on a case-insensitive disk."""
    ids = annotated_library(store)
    folder = tmp_path / "vault"
    folder.mkdir()
    (folder / "Rivers.md").write_text("mine\n", encoding="utf-8")

    done = export.export_markdown_folder(store, folder, store.list_articles())

    assert (folder / "Rivers.md").read_text(encoding="utf-8") == "mine\n"
    rivers = next(path for path in done.new if export.exported_reader_id(path) == ids[0])
    assert rivers.name == f"rivers-{ids[0][:8]}.md"


def test_a_folder_export_that_fails_midway_leaves_whole_files_and_no_temporaries(
    store: AnnotationStore, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A rename refused by the disk (ENOSPC) in the second batch: the error comes out, every
    file is a whole earlier or new export, and no temporary file is left behind."""
    import errno

    for number in range(3, 8):
        blocks = (Block(BlockKind.PARAGRAPH, f"Stones by the water, number {number}."),)
        article = store.import_document(Document(f"Stones {number}", blocks, f"/{number}")).article
        store.add_highlight(article.id, (0, 0), (0, 6), note="first")
    annotated_library(store)
    folder = tmp_path / "vault"
    export.export_markdown_folder(store, folder, store.list_articles())
    before = folder_files(folder)
    for annotation in store.list_annotations():
        store.set_note(annotation.id, "second")
    monkeypatch.setattr(files, "SYNC_BATCH_FILES", 3)
    renames = count()
    real_replace = os.replace

    def replace(source: str, target: Path) -> None:
        if next(renames) == 4:
            raise OSError(errno.ENOSPC, "No space left on device")
        real_replace(source, target)

    monkeypatch.setattr(files.os, "replace", replace)
    with pytest.raises(OSError, match="No space"):
        export.export_markdown_folder(store, folder, store.list_articles())
    monkeypatch.setattr(files.os, "replace", real_replace)

    after = folder_files(folder)
    assert sorted(after) == sorted(before)
    changed = [name for name in after if after[name] != before[name]]
    assert len(changed) == 4  # the first batch of 3, and the rename before the refused one
    now = {
        article.id: without_export_time(export.article_markdown(store, article))
        for article in store.list_articles()
    }
    for name in changed:
        article_id = export.exported_reader_id(folder / name)
        assert article_id is not None
        assert without_export_time(after[name]) == now[article_id]
    again = export.export_markdown_folder(store, folder, store.list_articles())
    assert len(again.updated) == len(before) - 4


def test_folder_export_reports_each_article_with_the_whole_count(
    store: AnnotationStore, tmp_path: Path
) -> None:
    """Progress counts every file of the export, earlier exports brought up to date included."""
    ids = annotated_library(store)
    folder = tmp_path / "vault"
    export.export_markdown_folder(store, folder, store.list_articles())
    seen: list[tuple[str, int]] = []

    export.export_markdown_folder(
        store,
        folder,
        [store.get_article(ids[0])],
        update_earlier=True,
        on_article=lambda article, total: seen.append((article.id, total)),
    )

    assert [total for _, total in seen] == [3, 3, 3]
    assert sorted(article_id for article_id, _ in seen) == sorted(ids)
