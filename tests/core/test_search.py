"""Full-text search on real SQLite FTS5: matching, hostile input, snippets, sync and migration."""

from __future__ import annotations

import unicodedata
from dataclasses import FrozenInstanceError
from pathlib import Path

import pytest
from sqlite_utils import Database

from annotations.models import Block, BlockKind, Document, SearchHit
from annotations.search import (
    SNIPPET_CHARS,
    SNIPPET_CLOSE,
    SNIPPET_OPEN,
    clean_snippet,
    match_expression,
)
from annotations.store import AnnotationStore
from annotations.store.migrations import migration_set
from reader.ingest import load_document
from tests.conftest import SAMPLES, FixedClock

TEXTS = (
    "Assimi Goïta leads the transition in Mali, Đài Tiếng Việt reports.",
    "De nieuwe brug in Brugge is open; de oude brug gaat dicht.",
    "Nothing about NEAR or AND here (really) - x:y and a café.",
    "Code blocks keep\nline breaks, and the e-mail of the brugwachter.",
)

migrations = migration_set()


def make_document(*texts: str, title: str = "Sahel notes", source: str = "/docs/a.txt") -> Document:
    """A plain document with one paragraph block per text."""
    return Document(
        title=title, blocks=tuple(Block(BlockKind.PARAGRAPH, t) for t in texts), source=source
    )


def add_article(
    store: AnnotationStore, *texts: str, title: str = "Sahel notes", source: str = "/docs/a.txt"
) -> str:
    """Import a document and return its article id."""
    document = make_document(*(texts or TEXTS), title=title, source=source)
    return store.import_document(document).article.id


def where(hits: list[SearchHit]) -> list[tuple[str, int]]:
    """Each hit as (source, block)."""
    return [(hit.source, hit.block) for hit in hits]


def marked(hit: SearchHit) -> list[str]:
    """The text of each mark of a hit."""
    return [hit.snippet[start:end] for start, end in hit.marks]


def check_index(store: AnnotationStore) -> None:
    """FTS5's own integrity check, against the content too: raises if the index is stale."""
    store.db.execute("INSERT INTO search_fts (search_fts, rank) VALUES ('integrity-check', 1)")
    indexed = store.db.execute("SELECT count(*) FROM search_fts_docsize").fetchone()[0]
    rows = store.db.execute(
        "SELECT (SELECT count(*) FROM blocks) + (SELECT count(*) FROM annotations)"
    ).fetchone()[0]
    assert indexed == rows


# Matching ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "word"),
    [
        ("goita", "Goïta"),
        ("GOITA", "Goïta"),
        ("Goïta", "Goïta"),
        ("goïta", "Goïta"),
        ("Goi\u0308ta", "Goïta"),  # typed with a combining diaeresis
        ("cafe", "café"),
        ("CAFÉ", "café"),
        ("viet", "Việt"),  # two diacritics on one letter: only remove_diacritics 2 folds it
        ("tieng viet", "Tiếng Việt"),
    ],
)
def test_case_and_diacritics_are_ignored(store: AnnotationStore, query: str, word: str) -> None:
    """`goita` finds `Goïta`, `cafe` finds `café`, whatever the case or the Unicode form."""
    add_article(store)
    hits = store.search(query)
    assert len(hits) == 1
    assert " ".join(marked(hits[0])) == word


def test_every_word_matches_as_a_prefix(store: AnnotationStore) -> None:
    """`brug` finds `brug`, `Brugge`, `brugwachter`; `brug*` is the same; all words must match."""
    add_article(store)

    hits = store.search("brug")
    assert sorted(where(hits)) == [("text", 1), ("text", 3)]
    assert sorted(marked(next(h for h in hits if h.block == 1))) == ["Brugge", "brug", "brug"]
    assert store.search("brug*") == hits
    assert where(store.search("bru wacht")) == []
    assert where(store.search("brugw e-ma")) == [("text", 3)]
    assert where(store.search("brug goita")) == []


def test_double_quoted_phrases_match_words_in_a_row(store: AnnotationStore) -> None:
    """`"nieuwe brug"` matches that phrase only; the words in another order do not."""
    add_article(store)

    hits = store.search('"nieuwe brug"')
    assert where(hits) == [("text", 1)]
    assert marked(hits[0]) == ["nieuwe brug"]
    assert store.search('"brug nieuwe"') == []
    assert where(store.search('"oude brug" brugge')) == [("text", 1)]


HOSTILE = [
    # (query, blocks found): FTS5 syntax in user input is plain text, never an error.
    ("-", []),
    ("--", []),
    ("- brug", [1, 3]),
    ("brug -nieuwe", [1]),
    ("(", []),
    (")", []),
    ("(brug", [1, 3]),
    ("brug)", [1, 3]),
    ("(brug OR goita)", []),
    (":", []),
    ("x:y", [2]),
    ("text:brug", []),
    ("{text}: brug", []),
    ("NEAR", [2]),
    ("NEAR(brug nieuwe)", []),
    ("NEAR/2", []),
    ("AND", [2, 3]),
    ("and", [2, 3]),
    ("OR", [2]),
    ("NOT", [2]),
    ("brug AND", [3]),
    ("AND brug", [3]),
    ("brug NOT oude", []),
    ('"', []),
    ('"brug', [1, 3]),
    ('brug"', [1, 3]),
    ('""', []),
    ('"""', []),
    ('"" brug', [1, 3]),
    ('"nieuwe brug', [1]),
    ("^", []),
    ("^brug", [1, 3]),
    ("*", []),
    ("**", []),
    ("brug**", [1, 3]),
    ("*brug", [1, 3]),
    ("+", []),
    ("'", []),
    ("%", []),
    ("_", []),
    ("\\", []),
    ("brug;", [1, 3]),
    ("\x00", []),
    ("brug\x00", [1, 3]),
    ("\x1b[31mbrug", []),
    ("🙂", []),
    ("rowid", []),
    ("search_fts", []),
    ("a" * 2000, []),
    ("brug " * 300, [1, 3]),
]


@pytest.mark.parametrize(("query", "blocks"), HOSTILE, ids=[repr(q[:20]) for q, _ in HOSTILE])
def test_fts_syntax_in_user_input_is_literal_text(
    store: AnnotationStore, query: str, blocks: list[int]
) -> None:
    """Operators, brackets, colons, stray quotes and control characters never raise."""
    add_article(store)
    assert sorted(hit.block for hit in store.search(query)) == blocks


@pytest.mark.parametrize("query", ["", " ", "\t\n", "\x00", "  \u3000  "])
def test_a_blank_query_finds_nothing(store: AnnotationStore, query: str) -> None:
    """Nothing to search for gives no hits, not every block."""
    add_article(store)
    assert store.search(query) == []


def test_match_expression_quotes_every_word() -> None:
    """The FTS5 query made from user input: each word a quoted prefix, phrases quoted."""
    assert match_expression('brug "nieuwe brug" NEAR(') == '"brug"* AND "nieuwe brug" AND "NEAR("*'
    assert match_expression("x", columns=("note", "tags")) == '{note tags} : ("x")'
    assert match_expression("to be* river") == '"to" AND "be"* AND "river"*'
    assert match_expression("- ( ) ^ *") is None


# Snippets ---------------------------------------------------------------------------------


def test_snippets_are_one_short_line_with_marks_on_the_matches(store: AnnotationStore) -> None:
    """A long paragraph gives a snippet of at most ~160 characters around the match."""
    filler = "gulls over the grey quay " * 60
    add_article(store, filler + "the lighthouse keeper waits\n\tfor the boat " + filler)

    (hit,) = store.search("lighthouse boat")
    assert len(hit.snippet) <= SNIPPET_CHARS
    assert "\n" not in hit.snippet and "\t" not in hit.snippet
    assert marked(hit) == ["lighthouse", "boat"]
    assert "keeper waits for the" in hit.snippet


def test_snippets_have_no_control_characters(store: AnnotationStore) -> None:
    """Escape sequences, bells, bidi overrides and the snippet's own markers are removed."""
    add_article(
        store,
        "Evil \x1b]0;pwned\x07 title \u202egnp.exe\u202c with a\x02marker\x03 and the lamp.",
    )

    (hit,) = store.search("lamp")
    assert not any(unicodedata.category(char) in ("Cc", "Cf") for char in hit.snippet)
    assert marked(hit) == ["lamp"]
    assert hit.snippet.endswith("lamp.")


@pytest.mark.parametrize(
    ("raw", "text", "marks"),
    [
        ("a [b] c", "a b c", ((2, 3),)),
        ("\n  [b]\n\nc  ", "b c", ((0, 1),)),
        ("x[y", "xy", ((1, 2),)),  # an unclosed mark ends at the end
        ("x]y[]", "xy", ()),  # a stray close, an empty mark
        ("[a][b]", "ab", ((0, 1), (1, 2))),
        ("a\u202eb\x00c\x02d\x03", "ab c d", ()),
    ],
)
def test_clean_snippet_turns_markers_into_marks(
    raw: str, text: str, marks: tuple[tuple[int, int], ...]
) -> None:
    """Markers become (start, end) pairs; whitespace collapses; control characters go."""
    raw = raw.replace("[", SNIPPET_OPEN).replace("]", SNIPPET_CLOSE)
    assert clean_snippet(raw) == (text, marks)


def test_clean_snippet_cuts_long_text_around_the_first_mark() -> None:
    """A long snippet is cut to the limit with ellipses, keeping the first match in view."""
    raw = "word " * 100 + SNIPPET_OPEN + "needle" + SNIPPET_CLOSE + " " + "word " * 100
    text, marks = clean_snippet(raw, limit=60)
    assert len(text) <= 60
    assert text.startswith("…") and text.endswith("…")
    ((start, end),) = marks
    assert text[start:end] == "needle"


# Notes, tags and the index kept in sync ---------------------------------------------------------


def test_notes_and_tags_are_found_with_their_annotation(store: AnnotationStore) -> None:
    """A note or tag hit names the annotation and its start block, and says which it was."""
    article_id = add_article(store)
    annotation = store.add_highlight(
        article_id, (1, 3), (2, 5), note="Remember the coup", tags=["politiek", "Sahel-crisis"]
    )

    (note,) = store.search("coup")
    assert (note.source, note.block, note.annotation_id) == ("note", 1, annotation.id)
    assert (note.article_id, note.title) == (article_id, "Sahel notes")
    assert marked(note) == ["coup"]

    (tag,) = store.search("crisis")
    assert (tag.source, tag.block, tag.annotation_id) == ("tag", 1, annotation.id)
    assert marked(tag) == ["crisis"]
    assert "Sahel" in tag.snippet

    # The passage itself is found through its block, not a second time as an annotation.
    assert where(store.search("nieuwe")) == [("text", 1)]
    check_index(store)


def test_the_index_follows_every_change_to_notes_and_tags(store: AnnotationStore) -> None:
    """Adding, editing and removing notes and tags is searchable at once, and nothing stale."""
    article_id = add_article(store)
    annotation = store.add_highlight(article_id, (0, 0), (0, 6), note="first thought")
    assert where(store.search("thought")) == [("note", 0)]

    store.set_note(annotation.id, "second idea")
    assert store.search("thought") == []
    assert where(store.search("idea")) == [("note", 0)]

    store.set_tags(annotation.id, ["history", "Ärger"])
    assert where(store.search("history")) == [("tag", 0)]
    assert where(store.search("arger")) == [("tag", 0)]

    store.set_tags(annotation.id, ["future"])
    assert store.search("history") == []
    assert where(store.search("future")) == [("tag", 0)]

    store.rename_tag("future", "Zukunft")
    assert store.search("future") == []
    assert where(store.search("zukunft")) == [("tag", 0)]

    store.set_note(annotation.id, "")
    store.set_tags(annotation.id, [])
    assert store.search("idea") == store.search("zukunft") == []
    check_index(store)

    store.set_note(annotation.id, "back again")
    store.delete_annotation(annotation.id)
    assert store.search("again") == []
    check_index(store)


def test_a_case_only_tag_rename_shows_the_new_spelling(store: AnnotationStore) -> None:
    """Renaming `history` to `History` updates the indexed tag text, not just the tag."""
    article_id = add_article(store)
    store.add_highlight(article_id, (0, 0), (0, 6), tags=["history"])
    store.rename_tag("history", "History")
    (hit,) = store.search("history")
    assert hit.snippet == "History"


def test_reimport_replaces_the_indexed_text(store: AnnotationStore) -> None:
    """A changed re-import is searchable at once; its old text is no longer found."""
    article_id = add_article(store)
    annotation = store.add_highlight(article_id, (1, 3), (1, 9), note="about the bridge")

    changed = ("A new first paragraph about zeppelins.", *TEXTS[1:])
    result = store.import_document(make_document(*changed))

    assert result.status == "updated"
    assert store.search("goita") == []
    assert where(store.search("zeppelin")) == [("text", 0)]
    assert where(store.search("brugwachter")) == [("text", 3)]
    assert where(store.search("bridge")) == [("note", 1)]
    assert store.get_annotation(annotation.id).anchor.start_block == 1
    check_index(store)


def test_reimport_with_fewer_blocks_leaves_no_stale_rows(store: AnnotationStore) -> None:
    """Blocks that disappear on re-import disappear from the index."""
    add_article(store)
    store.import_document(make_document("Only one paragraph left."))
    assert store.search("brug") == []
    assert where(store.search("paragraph")) == [("text", 0)]
    check_index(store)


def test_deleting_an_article_removes_its_text_notes_and_tags(store: AnnotationStore) -> None:
    """After deleting an article nothing of it is found, and other articles still are."""
    gone = add_article(store)
    kept = add_article(store, "Another brug entirely.", title="Kept", source="/docs/b.txt")
    store.add_highlight(gone, (0, 0), (0, 6), note="gone note", tags=["gonetag"])
    store.add_highlight(kept, (0, 0), (0, 7), note="kept note")

    store.delete_article(gone)

    assert store.search("goita") == store.search("gonetag") == []
    assert [(h.article_id, h.source) for h in store.search("brug")] == [(kept, "text")]
    assert [(h.article_id, h.source) for h in store.search("note")] == [(kept, "note")]
    check_index(store)


def test_triggers_index_writes_made_without_the_store(store: AnnotationStore) -> None:
    """Plain SQL on the tables (another tool, a future feature) keeps the index current."""
    article_id = add_article(store)
    db = store.db

    db.execute(
        "INSERT INTO blocks (article_id, idx, kind, text) VALUES (?, 4, 'paragraph', ?)",
        [article_id, "A direct insert about quasars."],
    )
    assert where(store.search("quasar")) == [("text", 4)]

    db.execute(
        "UPDATE blocks SET text = 'Now about pulsars.' WHERE article_id = ? AND idx = 4",
        [article_id],
    )
    assert store.search("quasar") == []
    assert where(store.search("pulsar")) == [("text", 4)]

    db.execute("DELETE FROM blocks WHERE article_id = ? AND idx = 4", [article_id])
    assert store.search("pulsar") == []

    annotation = store.add_highlight(article_id, (0, 0), (0, 6), tags=["alpha"])
    db.execute("UPDATE tags SET name = 'omega' WHERE name = 'alpha'")
    assert where(store.search("omega")) == [("tag", 0)]
    db.execute("UPDATE annotations SET note = 'direct note' WHERE id = ?", [annotation.id])
    assert where(store.search("direct")) == [("note", 0)]
    db.execute("DELETE FROM annotations WHERE id = ?", [annotation.id])
    assert store.search("direct") == store.search("omega") == []
    check_index(store)


def test_a_failed_import_leaves_the_index_as_it_was(store: AnnotationStore) -> None:
    """An import that fails half-way rolls back its blocks and their index entries together."""
    add_article(store)
    bad = make_document("Fine text about comets.", "\ud800 cannot be stored", source="/docs/c.txt")
    with pytest.raises(UnicodeEncodeError):
        store.import_document(bad)
    assert store.search("comets") == []
    assert store.db.execute("SELECT count(*) FROM search_deferred").fetchone()[0] == 0
    check_index(store)
    assert where(store.search("goita")) == [("text", 0)]


# Ranking, filters, limits ------------------------------------------------------------------


def test_hits_are_ranked_by_bm25(store: AnnotationStore) -> None:
    """A short paragraph that is all about a word ranks above a long one that mentions it."""
    filler = " ".join(f"word{n}" for n in range(200))
    add_article(
        store,
        f"{filler} lighthouse {filler}",
        "The lighthouse, the lighthouse keeper and the lighthouse lamp.",
        f"A lighthouse in passing. {filler}",
        "Nothing to see here.",
    )

    hits = store.search("lighthouse")
    assert [hit.block for hit in hits] == [1, 2, 0]
    assert [hit.score for hit in hits] == sorted(hit.score for hit in hits)
    assert all(hit.score < 0 for hit in hits)


def test_search_can_be_limited_to_one_article(store: AnnotationStore) -> None:
    """With article_id only that article's blocks and annotations are searched."""
    first = add_article(store)
    second = add_article(store, "Een tweede brug.", title="Second", source="/docs/b.txt")
    store.add_highlight(first, (0, 0), (0, 6), note="brug note one")
    store.add_highlight(second, (0, 0), (0, 3), note="brug note two")

    assert {hit.article_id for hit in store.search("brug")} == {first, second}
    hits = store.search("brug", article_id=second)
    assert {hit.article_id for hit in hits} == {second}
    assert sorted(where(hits)) == [("note", 0), ("text", 0)]
    assert len(store.search("brug", article_id=first)) == 3
    assert store.search("brug", article_id="no-such-article") == []


def test_limit_caps_the_hits(store: AnnotationStore) -> None:
    """`limit` returns the best hits only; zero returns none."""
    add_article(store, *(f"Paragraph {n} about the river." for n in range(30)))
    assert len(store.search("river")) == 30
    assert len(store.search("river", limit=5)) == 5
    assert store.search("river", limit=0) == []


def test_search_hits_are_frozen(store: AnnotationStore) -> None:
    """SearchHit is an immutable value."""
    add_article(store)
    (hit,) = store.search("goita")
    with pytest.raises(FrozenInstanceError):
        hit.block = 3  # type: ignore[misc]


def test_the_samples_are_searchable(store: AnnotationStore) -> None:
    """The bundled Dutch sample: `coordinator` finds `Coördinator`, `brug` a dozen paragraphs."""
    article_id = store.import_document(load_document(SAMPLES / "nieuwe-brug.txt")).article.id
    blocks = [block.text for block in store.get_blocks(article_id)]

    (hit,) = store.search("coordinator")
    assert "Coördinator" in blocks[hit.block]
    assert marked(hit) == ["Coördinator"]
    brug = store.search("brug")
    assert {h.block for h in brug} == {i for i, text in enumerate(blocks) if "brug" in text.lower()}


# Migration ----------------------------------------------------------------------------------


def test_migration_indexes_a_library_made_before_search(tmp_path: Path, clock: FixedClock) -> None:
    """Opening a pre-m003 library rebuilds blocks and indexes its text, notes and tags."""
    path = tmp_path / "old.db"
    db = Database(path)
    migrations.apply(db, stop_before="m003_search")
    assert "search_fts" not in db.table_names()
    db["articles"].insert(
        {
            "id": "a1",
            "title": "Old article",
            "content_hash": "x",
            "block_count": 3,
            "created_at": "2025-01-01T00:00:00.000Z",
            "updated_at": "2025-01-01T00:00:00.000Z",
        }
    )
    for index, text in [(0, "Eerste alinea over Goïta."), (2, "Derde."), (1, "Tweede alinea.")]:
        db.execute(
            "INSERT INTO blocks (article_id, idx, kind, text) VALUES (?, ?, 'paragraph', ?)",
            ["a1", index, text],
        )
    db["annotations"].insert(
        {
            "id": "n1",
            "article_id": "a1",
            "start_block": 1,
            "start_offset": 0,
            "end_block": 1,
            "end_offset": 5,
            "exact": "Tweede",
            "note": "an old note",
            "created_at": "2025-01-01T00:00:00.000Z",
            "updated_at": "2025-01-01T00:00:00.000Z",
        }
    )
    db.execute("INSERT INTO tags (id, name) VALUES (7, 'oldtag')")
    db.execute("INSERT INTO annotation_tags (annotation_id, tag_id) VALUES ('n1', 7)")
    db.close()

    store = AnnotationStore(path, clock=clock)

    assert migrations.pending(store.db) == []
    texts = [block.text for block in store.get_blocks("a1")]
    assert texts == ["Eerste alinea over Goïta.", "Tweede alinea.", "Derde."]
    assert where(store.search("goita")) == [("text", 0)]
    assert where(store.search("note")) == [("note", 1)]
    assert where(store.search("oldtag")) == [("tag", 1)]
    assert [e.id for e in store.list_annotation_entries(text="tweede")] == ["n1"]
    check_index(store)
    assert list(tmp_path.glob("old.db.before-m003_search.bak"))

    # The migrated library keeps working as a new one does.
    store.add_highlight("a1", (2, 0), (2, 6), note="fresh note")
    assert where(store.search("fresh")) == [("note", 2)]
    check_index(store)
    store.close()
