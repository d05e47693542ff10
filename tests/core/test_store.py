"""The library store on real SQLite: schema, pragmas, annotations, tags, import and refusal."""

from __future__ import annotations

import os
import sqlite3
import uuid
from collections.abc import Callable
from pathlib import Path

import pytest

from annotations.errors import LibraryError, NotFoundError, ReaderError, StorageError
from annotations.models import Anchor, Block, BlockKind, Document, TagCount
from annotations.store import AnnotationStore
from annotations.store.migrations import MIGRATION_NAMES, migration_set
from tests.conftest import FixedClock

TEXTS = (
    "The quick brown fox jumps over the lazy dog near the old river bank.",
    "A second paragraph follows here.",
    "Third and last paragraph of this little text.",
)

migrations = migration_set()


def make_document(*texts: str, title: str = "A title", source: str = "/docs/a.txt") -> Document:
    """A plain document with one paragraph block per text."""
    blocks = tuple(Block(BlockKind.PARAGRAPH, text) for text in texts)
    return Document(title=title, blocks=blocks, source=source)


def add_article(store: AnnotationStore, *texts: str, source: str = "/docs/a.txt") -> str:
    """Import a document and return the new article's id."""
    return store.import_document(make_document(*(texts or TEXTS), source=source)).article.id


def row_count(store: AnnotationStore, table: str) -> int:
    """How many rows a table holds."""
    return store.db.execute(f"SELECT count(*) FROM {table}").fetchone()[0]


# Schema and connection ----------------------------------------------------------------


def test_new_library_is_created_by_migrations_and_reopening_applies_nothing(
    tmp_path: Path, clock: FixedClock
) -> None:
    """A new file gets every table from the named migrations; reopening it changes nothing."""
    path = tmp_path / "library.db"
    store = AnnotationStore(path, clock=clock)
    tables = set(store.db.table_names())
    assert {"articles", "blocks", "annotations", "tags", "annotation_tags"} <= tables
    applied = {row["name"] for row in store.db["_sqlite_migrations"].rows}
    assert applied == set(MIGRATION_NAMES)
    store.close()

    reopened = AnnotationStore(path, clock=clock)
    assert migrations.pending(reopened.db) == []
    assert row_count(reopened, "_sqlite_migrations") == len(applied)
    assert not list(tmp_path.glob("*.bak")), "no backup is made when nothing is migrated"
    reopened.close()


def test_file_library_uses_wal_foreign_keys_and_busy_timeout(file_store: AnnotationStore) -> None:
    """A library file is in WAL mode with foreign keys on and a busy timeout for other readers."""
    conn = file_store.db.conn
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert conn.execute("PRAGMA foreign_keys").fetchone()[0] == 1
    assert conn.execute("PRAGMA busy_timeout").fetchone()[0] >= 1000


def test_version_changes_with_every_change_from_here_or_elsewhere(
    file_store: AnnotationStore,
) -> None:
    """Screens skip reading the library again when its version is the same."""
    article = add_article(file_store)
    before = file_store.version()
    file_store.list_annotations(article)
    file_store.get_article(article)
    assert file_store.version() == before  # reading changes nothing
    file_store.add_highlight(article, (0, 0), (0, 3))
    mine = file_store.version()
    assert mine != before
    assert file_store.path is not None
    other = AnnotationStore(file_store.path)
    try:
        other.add_highlight(article, (1, 0), (1, 3))
    finally:
        other.close()
    assert file_store.version() != mine
    assert len(file_store.list_annotations(article)) == 2


def test_deleting_an_article_cascades_to_blocks_annotations_and_tags(
    store: AnnotationStore,
) -> None:
    """Removing an article removes its blocks, annotations, their tag links and unused tags."""
    article_id = add_article(store)
    keep_id = add_article(store, "Another text entirely.", source="/docs/b.txt")
    store.add_highlight(article_id, (0, 0), (0, 3), tags=["gone"], note="a note")
    store.add_highlight(keep_id, (0, 0), (0, 7), tags=["kept"])

    store.delete_article(article_id)

    assert store.get_blocks(article_id) == []
    assert store.list_annotations(article_id) == []
    assert row_count(store, "annotation_tags") == 1
    assert store.list_tags() == [TagCount("kept", 1)]
    assert [a.id for a in store.list_articles()] == [keep_id]


# Annotations ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "end", "exact", "prefix", "suffix"),
    [
        ((0, 4), (0, 9), "quick", "The ", " brown fox jumps over the lazy d"),
        (
            (0, 40),
            (0, 48),
            "dog near",
            "k brown fox jumps over the lazy ",
            " the old river bank.\n\nA second p",
        ),
        (
            (0, 53),
            (1, 8),
            "old river bank.\n\nA second",
            "umps over the lazy dog near the ",
            " paragraph follows here.\n\nThird ",
        ),
        (
            (2, 0),
            (2, 45),
            "Third and last paragraph of this little text.",
            "second paragraph follows here.\n\n",
            "",
        ),
    ],
    ids=["start-of-text", "mid-block-32-chars-context", "across-blocks", "end-of-text"],
)
def test_add_highlight_stores_position_and_quote(
    store: AnnotationStore,
    start: tuple[int, int],
    end: tuple[int, int],
    exact: str,
    prefix: str,
    suffix: str,
) -> None:
    """A highlight keeps both its position and its quote (exact text, 32 chars of context)."""
    article_id = add_article(store)
    made = store.add_highlight(article_id, start, end)
    expected = Anchor(*start, *end, exact=exact, prefix=prefix, suffix=suffix)
    assert made.anchor == expected
    assert store.get_annotation(made.id).anchor == expected
    assert made.color == "yellow"
    assert made.orphaned is False
    assert made.created_at == made.updated_at != ""


@pytest.mark.parametrize(
    ("start", "end"),
    [((0, 5), (0, 5)), ((1, 3), (0, 9)), ((0, 0), (0, 500)), ((0, 0), (7, 1)), ((-1, 0), (0, 2))],
    ids=["empty", "backwards", "past-block-end", "past-last-block", "negative"],
)
def test_add_highlight_rejects_impossible_ranges(
    store: AnnotationStore, start: tuple[int, int], end: tuple[int, int]
) -> None:
    """A passage that is empty, backwards or outside the text is refused and nothing is stored."""
    article_id = add_article(store)
    with pytest.raises(ValueError):
        store.add_highlight(article_id, start, end)
    assert store.list_annotations(article_id) == []


def test_add_highlight_on_a_missing_article_or_with_an_unknown_colour_fails(
    store: AnnotationStore,
) -> None:
    """Highlighting needs an existing article and a known colour."""
    article_id = add_article(store)
    with pytest.raises(NotFoundError):
        store.add_highlight("no-such-article", (0, 0), (0, 1))
    with pytest.raises(ValueError, match="colour"):
        store.add_highlight(article_id, (0, 0), (0, 3), color="purple")
    assert row_count(store, "annotations") == 0


def test_tags_are_normalised_and_reuse_the_existing_spelling(store: AnnotationStore) -> None:
    """Tags lose '#' and extra spaces, dedupe case-insensitively and keep the first spelling."""
    article_id = add_article(store)
    first = store.add_highlight(article_id, (0, 0), (0, 3))
    first = store.set_tags(first.id, ["#Foo", "foo", "  bar   baz ", "##", "", "Ärger"])
    assert first.tags == ("bar baz", "Foo", "Ärger")

    second = store.add_highlight(article_id, (1, 0), (1, 8), tags=["FOO", "#Bar Baz", "ärger"])
    assert second.tags == ("bar baz", "Foo", "Ärger")
    assert store.list_tags() == [TagCount("bar baz", 2), TagCount("Foo", 2), TagCount("Ärger", 2)]


def test_unused_tags_are_dropped_and_counts_follow(store: AnnotationStore) -> None:
    """A tag no annotation carries any more disappears from the tag list."""
    article_id = add_article(store)
    one = store.add_highlight(article_id, (0, 0), (0, 3), tags=["idea", "later"])
    two = store.add_highlight(article_id, (1, 0), (1, 8), tags=["idea"])
    assert store.list_tags() == [TagCount("idea", 2), TagCount("later", 1)]

    store.set_tags(one.id, ["idea"])
    assert store.list_tags() == [TagCount("idea", 2)]
    store.delete_annotation(two.id)
    assert store.list_tags() == [TagCount("idea", 1)]
    store.set_tags(one.id, [])
    assert store.list_tags() == []
    assert row_count(store, "tags") == 0


def test_set_note_and_set_color_update_the_annotation(
    store: AnnotationStore, clock: FixedClock
) -> None:
    """Notes and colours change in place and bump the update time; bad input changes nothing."""
    article_id = add_article(store)
    made = store.add_highlight(article_id, (0, 0), (0, 3))

    noted = store.set_note(made.id, "First line\nsecond line")
    assert store.get_annotation(made.id).note == "First line\nsecond line"
    assert noted.updated_at > made.updated_at
    assert store.set_color(made.id, "green").color == "green"
    with pytest.raises(ValueError):
        store.set_color(made.id, "purple")
    assert store.get_annotation(made.id).color == "green"
    assert store.set_note(made.id, "").note == ""
    with pytest.raises(NotFoundError):
        store.set_note("missing", "text")


def test_delete_annotation_removes_only_that_annotation(store: AnnotationStore) -> None:
    """Deleting one annotation leaves the others and the article in place."""
    article_id = add_article(store)
    gone = store.add_highlight(article_id, (0, 0), (0, 3), note="bye")
    kept = store.add_highlight(article_id, (2, 0), (2, 5))
    store.delete_annotation(gone.id)
    assert [a.id for a in store.list_annotations(article_id)] == [kept.id]
    with pytest.raises(NotFoundError):
        store.get_annotation(gone.id)
    assert store.get_article(article_id).annotation_count == 1


@pytest.mark.parametrize(
    ("block", "position", "progress"),
    [(0, 0, 0.0), (2, 2, 0.5), (4, 4, 1.0), (-3, 0, 0.0)],
)
def test_set_position_is_remembered_as_progress(
    store: AnnotationStore, block: int, position: int, progress: float
) -> None:
    """The reading position is stored per article and read back as progress."""
    article_id = add_article(store, "one.", "two.", "three.", "four.", "five.")
    store.set_position(article_id, block)
    article = store.get_article(article_id)
    assert article.position == position
    assert article.progress == pytest.approx(progress)


def test_list_articles_counts_words_blocks_and_annotations(store: AnnotationStore) -> None:
    """Each listed article carries its word, block and annotation counts, newest first."""
    older = add_article(store, "Two words.", "And three more.", source="/a.txt")
    newer = add_article(store, "Only one block here.", source="/b.txt")
    store.add_highlight(older, (0, 0), (0, 3))
    store.add_highlight(older, (1, 0), (1, 3))

    articles = store.list_articles()
    assert [a.id for a in articles] == [newer, older]
    assert [(a.words, a.block_count, a.annotation_count) for a in articles] == [
        (4, 1, 0),
        (5, 2, 2),
    ]
    assert store.count_articles() == 2


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("Een brug, één   dag.", 4),
        ("古い駅舎の再生", 7),  # no spaces between words: each character counts
        ("Der Zug 東京行き fährt", 7),
        ("한국어 문장 입니다", 3),  # Korean puts spaces between words
    ],
)
def test_words_are_counted_in_scripts_without_spaces(
    store: AnnotationStore, text: str, words: int
) -> None:
    """A Japanese article does not count as two words."""
    article_id = add_article(store, text)
    assert store.get_article(article_id).words == words


def test_find_article_by_id_prefix(store: AnnotationStore, monkeypatch: pytest.MonkeyPatch) -> None:
    """An article is found by its id or a unique prefix; ambiguous and unknown ones fail."""
    ids = iter(
        [
            uuid.UUID("abcd1111-0000-4000-8000-000000000001"),
            uuid.UUID("abcd2222-0000-4000-8000-000000000002"),
        ]
    )
    monkeypatch.setattr(uuid, "uuid4", lambda: next(ids))
    first = add_article(store, "First.", source="/1.txt")
    second = add_article(store, "Second.", source="/2.txt")

    assert store.find_article("abcd1").id == first
    assert store.find_article("ABCD2222").id == second
    assert store.find_article(second).id == second
    with pytest.raises(NotFoundError, match="ambiguous"):
        store.find_article("abcd")
    with pytest.raises(NotFoundError):
        store.find_article("ffff")
    with pytest.raises(NotFoundError):
        store.find_article("  ")


def test_find_article_errors_quote_the_id_as_typed(store: AnnotationStore) -> None:
    """`NonExistent.TXT` is named as typed, not as the lower case the lookup uses."""
    add_article(store, "Text.")

    with pytest.raises(NotFoundError, match=r"^no article with id NonExistent\.TXT$"):
        store.find_article("NonExistent.TXT")


def titled(store: AnnotationStore, *titles: str) -> dict[str, str]:
    """Articles with these titles; their ids by title."""
    return {
        title: store.import_document(make_document("Text.", title=title, source=f"/{n}")).article.id
        for n, title in enumerate(titles)
    }


def test_find_articles_by_words_of_the_title(store: AnnotationStore) -> None:
    """Every word must be in the title, in any order, as any part of it; case and accents
    are ignored; the articles come in title order."""
    ids = titled(
        store,
        "The Old Bridges of Oosterlede",
        "A bridge too far",
        "Goïta meets the Wagner Group in Bamako",
        "Die Straße am Fluss",
        "Ｗｉｄｅ letters and ﬁne ligatures",
        "Kaffee und Zeit",
    )

    def titles(words: str) -> list[str]:
        found = store.find_articles(words)
        assert [article.id for article in found] == [ids[article.title] for article in found]
        return [article.title for article in found]

    assert titles("bridge") == ["A bridge too far", "The Old Bridges of Oosterlede"]
    assert titles("BRIDGES old") == ["The Old Bridges of Oosterlede"]
    assert titles("  old   bridges  ") == ["The Old Bridges of Oosterlede"]
    assert titles("goita wagner") == ["Goïta meets the Wagner Group in Bamako"]
    assert titles("GOÏTA") == ["Goïta meets the Wagner Group in Bamako"]
    assert titles("strasse") == ["Die Straße am Fluss"]
    assert titles("wide fine") == ["Ｗｉｄｅ letters and ﬁne ligatures"]
    assert titles("bridge wagner") == []
    assert titles("%") == titles("_") == titles("*") == []
    assert titles("") == titles("   ") == []


def test_find_articles_in_a_big_library_returns_every_match(store: AnnotationStore) -> None:
    """More matches than SQLite takes parameters at once are all found, in title order."""
    titles = [f"Report {number:04d}" for number in range(1200)]
    titled(store, *reversed(titles), "Something else")

    found = store.find_articles("report")

    assert [article.title for article in found] == titles
    assert store.find_articles("report 0042")[0].title == "Report 0042"


# Import and re-import -----------------------------------------------------------------


def test_importing_identical_content_twice_is_unchanged(store: AnnotationStore) -> None:
    """The same content imported again is recognised and not duplicated."""
    first = store.import_document(make_document(*TEXTS))
    again = store.import_document(make_document(*TEXTS))
    assert (first.status, again.status) == ("imported", "unchanged")
    assert again.article.id == first.article.id
    assert store.count_articles() == 1
    assert row_count(store, "blocks") == len(TEXTS)


def test_reimport_of_changed_source_updates_and_reanchors(store: AnnotationStore) -> None:
    """A changed version of a source replaces the text; annotations follow their passages."""
    original = ("Opening words.", "The moving paragraph.", "A passage that will be deleted.")
    article_id = add_article(store, *original)
    store.set_position(article_id, 2)
    moved = store.add_highlight(article_id, (1, 4), (1, 10), tags=["kept"], note="still here")
    deleted = store.add_highlight(article_id, (2, 2), (2, 9), note="lost text")

    changed = ("A new first paragraph.", "Opening words.", "Inserted.", "The moving paragraph.")
    result = store.import_document(make_document(*changed))

    assert result.status == "updated"
    assert result.article.id == article_id
    assert result.orphaned == 1
    assert store.count_articles() == 1
    assert [b.text for b in store.get_blocks(article_id)] == list(changed)
    placed = store.get_annotation(moved.id)
    assert (placed.anchor.start_block, placed.anchor.start_offset) == (3, 4)
    assert (placed.anchor.end_block, placed.anchor.end_offset) == (3, 10)
    assert placed.anchor.exact == "moving"
    assert (placed.tags, placed.note, placed.orphaned) == (("kept",), "still here", False)
    lost = store.get_annotation(deleted.id)
    assert lost.orphaned is True
    assert (lost.anchor.exact, lost.note) == ("passage", "lost text")
    assert store.get_article(article_id).annotation_count == 2


# Refusing files that are not libraries ---------------------------------------------------


def _text_file(path: Path) -> None:
    """A plain text file."""
    path.write_text("my shopping list\nmilk\n", encoding="utf-8")


def _random_bytes(path: Path) -> None:
    """A file of random bytes."""
    path.write_bytes(os.urandom(4096))


def _other_app_database(path: Path) -> None:
    """An SQLite database of some other program."""
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE contacts (name TEXT, phone TEXT)")
    conn.execute("INSERT INTO contacts VALUES ('Ada', '123')")
    conn.commit()
    conn.close()


def _newer_library(path: Path) -> None:
    """A library with a migration this version does not know."""
    store = AnnotationStore(path)
    store.db.execute(
        "INSERT INTO _sqlite_migrations (migration_set, name, applied_at) VALUES (?, ?, ?)",
        [migrations.name, "m999_from_the_future", "2030-01-01T00:00:00"],
    )
    store.db.conn.commit()
    store.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    store.close()


@pytest.mark.parametrize(
    ("make", "reason"),
    [
        (_text_file, "not an SQLite database"),
        (_random_bytes, "not an SQLite database"),
        (_other_app_database, "another program"),
        (_newer_library, "newer version"),
    ],
    ids=["text", "random-bytes", "other-app-sqlite", "newer-library"],
)
def test_existing_non_library_files_are_refused_and_left_untouched(
    tmp_path: Path, make: Callable[[Path], None], reason: str
) -> None:
    """A file that is not a library this version can use raises and is not changed at all."""
    path = tmp_path / "precious.db"
    make(path)
    before = path.read_bytes()
    files_before = sorted(p.name for p in tmp_path.iterdir())

    with pytest.raises(LibraryError) as caught:
        AnnotationStore(path)

    message = str(caught.value)
    assert str(path) in message
    assert reason in message
    assert "\n" not in message
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == files_before


def test_zero_byte_file_becomes_a_new_library(tmp_path: Path, clock: FixedClock) -> None:
    """An empty file (e.g. made by `touch`) is initialised as a library."""
    path = tmp_path / "empty.db"
    path.touch()
    store = AnnotationStore(path, clock=clock)
    assert "articles" in store.db.table_names()
    assert store.count_articles() == 0
    store.close()
    assert path.stat().st_size > 0


def test_everything_survives_close_and_reopen(tmp_path: Path, clock: FixedClock) -> None:
    """Articles, positions, highlights, tags and notes are all there after reopening."""
    path = tmp_path / "library.db"
    store = AnnotationStore(path, clock=clock)
    article_id = add_article(store)
    made = store.add_highlight(article_id, (0, 4), (1, 8), color="pink", tags=["keep"], note="n")
    store.set_position(article_id, 2)
    before_article = store.get_article(article_id)
    store.close()

    reopened = AnnotationStore(path, clock=clock)
    assert reopened.get_article(article_id) == before_article
    assert reopened.list_annotations(article_id) == [made]
    assert [b.text for b in reopened.get_blocks(article_id)] == list(TEXTS)
    reopened.close()


def test_no_driver_error_leaves_the_store(file_store: AnnotationStore) -> None:
    """SQLite's refusals come out as StorageError, with the driver's error as the cause.

    Every public method is wrapped, so callers catch one hierarchy (ReaderError).
    """
    public = [
        name
        for name, member in vars(AnnotationStore).items()
        if not name.startswith("_") and callable(member)
    ]
    assert public
    assert [
        name for name in public if not hasattr(getattr(AnnotationStore, name), "__wrapped__")
    ] == []

    article = file_store.import_document(
        Document("Refused", (Block(BlockKind.PARAGRAPH, "One paragraph of text."),))
    ).article
    file_store.db.execute(
        "CREATE TRIGGER refuse BEFORE INSERT ON annotations "
        "BEGIN SELECT RAISE(ABORT, 'disk trouble'); END"
    )
    with pytest.raises(StorageError, match="disk trouble") as raised:
        file_store.add_highlight(article.id, (0, 0), (0, 3))
    assert isinstance(raised.value, ReaderError)
    assert isinstance(raised.value.__cause__, sqlite3.IntegrityError)
    with pytest.raises(StorageError), file_store.transaction():
        file_store.db.execute("INSERT INTO no_such_table VALUES (1)")
    assert file_store.list_annotations(article.id) == []


def test_not_found_is_a_reader_error_and_a_lookup_error(store: AnnotationStore) -> None:
    """A missing annotation: NotFoundError, which callers may catch as either kind."""
    with pytest.raises(NotFoundError) as raised:
        store.set_note("no-such-annotation", "text")
    assert isinstance(raised.value, ReaderError)
    assert isinstance(raised.value, LookupError)
