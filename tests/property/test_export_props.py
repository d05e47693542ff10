"""Properties of the Markdown export's fast paths: they give what the plain paths give.

- `escape_markdown` lets text through untouched only when every escaping step would
  have left it as it is;
- a folder export, which reads the library in batches and only the blocks annotations
  cover, writes for each article exactly what `article_markdown` (all of its blocks,
  one article at a time) renders;
- the front matter an export writes reads back through the Markdown importer as PyYAML
  reads it, whatever the title, author, source and tags hold;
- a note goes out untouched only when looking at it closely would have left it as it
  is, and whatever it holds, it stays inside its own annotation.
"""

from __future__ import annotations

from pathlib import Path
from tempfile import TemporaryDirectory

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlite_utils import Database

from annotations import export
from annotations.formats.markdown import (
    _contained_note,
    _escape_markdown_fully,
    _note_lines,
    _note_markdown,
    escape_markdown,
    render_article_markdown,
    without_export_time,
)
from annotations.models import Article
from annotations.store import AnnotationStore
from reader.ingest import parse_markdown
from tests.conftest import FixedClock
from tests.core.test_export import export_with_notes, found_annotations
from tests.property.test_roundtrip import ArticleSpec, build, libraries

SETTINGS = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

MARKDOWN_TEXT = st.text(
    st.one_of(
        st.sampled_from(list("\\`*_[]<>#|~$&=%-+:.)0123456789 \t\r\n\x0b\x0c\x1c\x85\xa0\u2028")),
        st.characters(exclude_categories=("Cs",)),
    ),
    max_size=40,
)
"""Text rich in what Markdown escaping cares about: markup, digits, every kind of space."""


@settings(max_examples=2000, deadline=None)
@given(MARKDOWN_TEXT)
def test_escape_markdown_quick_test_changes_nothing(text: str) -> None:
    """The quick test of `escape_markdown` gives what all of its steps give."""
    assert escape_markdown(text) == _escape_markdown_fully(text)


@SETTINGS
@given(libraries, st.integers(1, 3))
def test_folder_export_writes_what_each_article_renders(
    specs: list[ArticleSpec], batch: int
) -> None:
    """Batched reading of only the covered blocks renders every article as on its own.

    (The store's clock moves on at each reading, so the export times are left out.)
    """
    store = build(specs)
    store.EXPORT_BATCH = batch  # batches end inside the library, not only at its end
    articles = [article for article in store.list_articles() if article.annotation_count]
    expected = {
        article.id: without_export_time(export.article_markdown(store, article))
        for article in articles
    }

    with TemporaryDirectory() as folder:
        done = export.export_markdown_folder(store, Path(folder), articles)
        written = {
            export.exported_reader_id(path): without_export_time(path.read_text(encoding="utf-8"))
            for path in done.new
        }
        leftovers = [path.name for path in Path(folder).iterdir() if path not in done.new]

    assert written == expected
    assert leftovers == []


ANY_TEXT = st.text(
    st.one_of(
        st.sampled_from(list(":#'\"-?>|&*!%@`,[]{}\\ \t\n\x85\u2028\ufeff")),
        st.characters(exclude_categories=("Cs",)),
    ),
    max_size=40,
)
"""Text rich in what YAML cares about: indicators, quotes, escapes, every kind of line end."""


@settings(max_examples=500, deadline=None)
@given(
    ANY_TEXT.filter(str.strip),
    st.one_of(st.none(), ANY_TEXT),
    ANY_TEXT,
    st.one_of(st.none(), st.sampled_from(["2023-05", "2023-05-01"])),
    st.lists(ANY_TEXT, max_size=4),
)
def test_exported_front_matter_imports_as_yaml_reads_it(
    title: str, author: str | None, source: str, date: str | None, tags: list[str]
) -> None:
    """What an export writes in its front matter, the Markdown importer reads back."""
    article = Article("a1", title, source, date, author, tuple(tags), "md", 1, 1, 0, 0, "", "", "")
    markdown = render_article_markdown(article, {}, [], "2026-01-31T09:00:00Z")
    front = yaml.safe_load(markdown.split("\n---\n", 1)[0].removeprefix("---\n"))

    document = parse_markdown(markdown)

    assert document.warnings == ()
    assert document.title == front["title"] == " ".join(title.split())
    assert document.author == (" ".join(front.get("author", "").split()) or None)
    assert document.source == front["source"].strip()
    assert document.date == front["date"] == date
    assert list(document.tags) == front["tags"]


NOTE_TEXT = st.lists(
    st.one_of(
        st.sampled_from(
            [
                "\n",
                "\n\n",
                " ",
                "   ",
                "    ",
                "\t",
                "\r",
                "#",
                "# ",
                "-",
                "---",
                "=",
                "===",
                "*",
                "***",
                "_",
                "+",
                "1.",
                "2)",
                ">",
                "> ",
                "`",
                "```",
                "~~~",
                "<",
                "<!--",
                "-->",
                "<script>",
                "</script>",
                "<div>",
                "<pre>",
                "<?",
                "?>",
                "<!X",
                "<![CDATA[",
                "]]>",
                "%%",
                "$$",
                "^",
                "^id",
                " ^id",
                "|",
                "|---|",
                "[[",
                "]]",
                "\\",
                "a",
                "word",
            ]
        ),
        st.characters(exclude_categories=("Cs",)),
    ),
    max_size=30,
).map("".join)
"""Notes made of what Markdown, HTML and Obsidian read as structure, and of anything."""


@settings(max_examples=1000, deadline=None)
@given(NOTE_TEXT)
def test_note_quick_test_changes_nothing(note: str) -> None:
    """The quick test of `_note_markdown` gives what looking at the note closely gives."""
    assert _note_markdown(note) == _contained_note(_note_lines(note))


@settings(max_examples=300, deadline=None)
@given(NOTE_TEXT)
def test_any_note_stays_inside_its_annotation(note: str) -> None:
    """Whatever a note holds, the document keeps its one heading and every annotation, each
    with its own quote, block id and note, the note of the next one whole."""
    store = AnnotationStore(Database(memory=True), clock=FixedClock())
    markdown, ids = export_with_notes(store, "First.", note, "Last.")

    headings, found = found_annotations(markdown)

    assert headings == ["Title"]
    assert [(a.quote, a.block_id) for a in found] == [
        (f"Passage {n}.", annotation_id) for n, annotation_id in enumerate(ids)
    ]
    assert found[0].note == "First."
    assert found[2].note == "Last."
    assert found[1].note == _note_markdown(note)
