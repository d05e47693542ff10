"""Schema of the library, as named migrations applied when a library is opened.

Never edit a released migration: add a new one, and list it in `MIGRATIONS`. Importing
this module costs nothing: sqlite-utils, which applies the migrations, is imported only
when one is pending (`migration_set`), not on every start.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sqlite_utils import Database, Migrations

MIGRATION_SET = "annotations"
"""The name of the library's set in `_sqlite_migrations`."""


def m001_initial(db: Database) -> None:
    """Articles, their blocks, annotations and tags."""
    db.execute(
        """
        CREATE TABLE articles (
            id TEXT PRIMARY KEY,
            title TEXT NOT NULL,
            source TEXT NOT NULL DEFAULT '',
            date TEXT,
            author TEXT,
            tags TEXT NOT NULL DEFAULT '[]',
            format TEXT NOT NULL DEFAULT 'txt',
            words INTEGER NOT NULL DEFAULT 0,
            block_count INTEGER NOT NULL DEFAULT 0,
            position INTEGER NOT NULL DEFAULT 0,
            content_hash TEXT NOT NULL,
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL,
            opened_at TEXT
        )
        """
    )
    db.execute("CREATE INDEX idx_articles_source ON articles (source)")
    db.execute("CREATE INDEX idx_articles_hash ON articles (content_hash)")
    db.execute("CREATE INDEX idx_articles_created ON articles (created_at)")
    db.execute(
        """
        CREATE TABLE blocks (
            article_id TEXT NOT NULL REFERENCES articles(id) ON DELETE CASCADE,
            idx INTEGER NOT NULL,
            kind TEXT NOT NULL,
            level INTEGER NOT NULL DEFAULT 0,
            text TEXT NOT NULL,
            PRIMARY KEY (article_id, idx)
        ) WITHOUT ROWID
        """
    )
    db.execute(
        """
        CREATE TABLE annotations (
            id TEXT PRIMARY KEY,
            article_id TEXT NOT NULL REFERENCES articles(id) ON DELETE CASCADE,
            start_block INTEGER NOT NULL,
            start_offset INTEGER NOT NULL,
            end_block INTEGER NOT NULL,
            end_offset INTEGER NOT NULL,
            exact TEXT NOT NULL DEFAULT '',
            prefix TEXT NOT NULL DEFAULT '',
            suffix TEXT NOT NULL DEFAULT '',
            color TEXT NOT NULL DEFAULT 'yellow',
            note TEXT NOT NULL DEFAULT '',
            orphaned INTEGER NOT NULL DEFAULT 0,
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL
        )
        """
    )
    db.execute("CREATE INDEX idx_annotations_article ON annotations (article_id, start_block)")
    db.execute(
        """
        CREATE TABLE tags (
            id INTEGER PRIMARY KEY,
            name TEXT NOT NULL UNIQUE COLLATE NOCASE
        )
        """
    )
    db.execute(
        """
        CREATE TABLE annotation_tags (
            annotation_id TEXT NOT NULL REFERENCES annotations(id) ON DELETE CASCADE,
            tag_id INTEGER NOT NULL REFERENCES tags(id) ON DELETE CASCADE,
            PRIMARY KEY (annotation_id, tag_id)
        ) WITHOUT ROWID
        """
    )
    db.execute("CREATE INDEX idx_annotation_tags_tag ON annotation_tags (tag_id)")


def m002_settings(db: Database) -> None:
    """Settings of the app kept with the library (e.g. the theme)."""
    db.execute(
        """
        CREATE TABLE settings (
            name TEXT PRIMARY KEY,
            value TEXT NOT NULL
        )
        """
    )


def m003_search(db: Database) -> None:
    """One full-text index over block text and annotations, kept in sync by triggers.

    `search_fts` is an FTS5 index whose rows are the blocks (column `text`, rowid =
    `blocks.id`, positive) and the annotations (columns `exact`, `note`, `tags`, rowid =
    `annotation_texts.id`, negative), so text, notes and tags are ranked together by
    one bm25. It stores no text of its own (external content): it reads it back through
    the view `search_content`.

    - `blocks` is rebuilt with an explicit integer key (it was WITHOUT ROWID) that
      the index can refer to; blocks are still unique per (article_id, idx).
    - `search_deferred` names the article whose new blocks the store is indexing in
      bulk, during an import only.
    - `annotation_texts` mirrors each annotation's passage, note and tag names (joined
      by spaces) under a stable integer key; triggers on `annotations`,
      `annotation_tags` and `tags` keep it current, and triggers on it and on `blocks`
      keep the index current, handing it the old text to forget on every change.

    Data already in the library is indexed. Indexes for the library-wide annotation
    list come with it.
    """
    db.execute(
        """
        CREATE TABLE blocks_new (
            id INTEGER PRIMARY KEY,
            article_id TEXT NOT NULL REFERENCES articles(id) ON DELETE CASCADE,
            idx INTEGER NOT NULL,
            kind TEXT NOT NULL,
            level INTEGER NOT NULL DEFAULT 0,
            text TEXT NOT NULL,
            UNIQUE (article_id, idx)
        )
        """
    )
    db.execute(
        "INSERT INTO blocks_new (article_id, idx, kind, level, text) "
        "SELECT article_id, idx, kind, level, text FROM blocks ORDER BY article_id, idx"
    )
    db.execute("DROP TABLE blocks")
    db.execute("ALTER TABLE blocks_new RENAME TO blocks")
    db.execute(
        """
        CREATE TABLE search_deferred (
            article_id TEXT PRIMARY KEY
        )
        """
    )
    db.execute(
        """
        CREATE TABLE annotation_texts (
            id INTEGER PRIMARY KEY,
            annotation_id TEXT NOT NULL UNIQUE,
            exact TEXT NOT NULL DEFAULT '',
            note TEXT NOT NULL DEFAULT '',
            tags TEXT NOT NULL DEFAULT ''
        )
        """
    )
    db.execute(
        """
        CREATE VIEW search_content (id, text, exact, note, tags) AS
            SELECT id, text, NULL, NULL, NULL FROM blocks
            UNION ALL
            SELECT id, NULL, exact, note, tags FROM annotation_texts
        """
    )
    # The tokenizer folds case and diacritics (`goita` finds `Goïta`), letters with two
    # diacritics included (`viet` finds `Việt`), which `remove_diacritics 1` would not.
    db.execute(
        """
        CREATE VIRTUAL TABLE search_fts USING fts5(
            text, exact, note, tags,
            content='search_content', content_rowid='id',
            tokenize='unicode61 remove_diacritics 2'
        )
        """
    )

    # Blocks -> index. FTS5 takes about twice as long fed row by row from a trigger as
    # from one INSERT ... SELECT, so the store indexes a whole article's new blocks itself
    # while importing it, naming the article in `search_deferred` for that moment (inside
    # the import's transaction; the table is empty at any other time). An external-content
    # index forgets a row only when handed its exact old text, hence `old.text`.
    db.execute(
        """
        CREATE TRIGGER blocks_search_insert AFTER INSERT ON blocks
        WHEN new.article_id NOT IN (SELECT article_id FROM search_deferred) BEGIN
            INSERT INTO search_fts (rowid, text) VALUES (new.id, new.text);
        END
        """
    )
    db.execute(
        """
        CREATE TRIGGER blocks_search_delete AFTER DELETE ON blocks BEGIN
            INSERT INTO search_fts (search_fts, rowid, text) VALUES ('delete', old.id, old.text);
        END
        """
    )
    db.execute(
        """
        CREATE TRIGGER blocks_search_update AFTER UPDATE OF id, text ON blocks
        WHEN old.id IS NOT new.id OR old.text IS NOT new.text BEGIN
            INSERT INTO search_fts (search_fts, rowid, text) VALUES ('delete', old.id, old.text);
            INSERT INTO search_fts (rowid, text) VALUES (new.id, new.text);
        END
        """
    )

    # Annotation texts -> index.
    db.execute(
        """
        CREATE TRIGGER annotation_texts_search_insert AFTER INSERT ON annotation_texts BEGIN
            INSERT INTO search_fts (rowid, exact, note, tags)
            VALUES (new.id, new.exact, new.note, new.tags);
        END
        """
    )
    db.execute(
        """
        CREATE TRIGGER annotation_texts_search_delete AFTER DELETE ON annotation_texts BEGIN
            INSERT INTO search_fts (search_fts, rowid, exact, note, tags)
            VALUES ('delete', old.id, old.exact, old.note, old.tags);
        END
        """
    )
    db.execute(
        """
        CREATE TRIGGER annotation_texts_search_update AFTER UPDATE ON annotation_texts BEGIN
            INSERT INTO search_fts (search_fts, rowid, exact, note, tags)
            VALUES ('delete', old.id, old.exact, old.note, old.tags);
            INSERT INTO search_fts (rowid, exact, note, tags)
            VALUES (new.id, new.exact, new.note, new.tags);
        END
        """
    )

    # Annotations, their tags and tag names -> annotation texts. Keys are negative, so
    # that they never meet a block's key in the index.
    tag_names = """(
        SELECT coalesce(group_concat(t.name, ' '), '')
        FROM annotation_tags x JOIN tags t ON t.id = x.tag_id
        WHERE x.annotation_id = annotation_texts.annotation_id
    )"""
    db.execute(
        """
        CREATE TRIGGER annotations_search_insert AFTER INSERT ON annotations BEGIN
            INSERT INTO annotation_texts (id, annotation_id, exact, note)
            VALUES (
                (SELECT coalesce(min(id), 0) - 1 FROM annotation_texts),
                new.id, new.exact, new.note
            );
        END
        """
    )
    db.execute(
        """
        CREATE TRIGGER annotations_search_delete AFTER DELETE ON annotations BEGIN
            DELETE FROM annotation_texts WHERE annotation_id = old.id;
        END
        """
    )
    db.execute(
        """
        CREATE TRIGGER annotations_search_update AFTER UPDATE OF id, exact, note ON annotations
        WHEN old.id IS NOT new.id OR old.exact IS NOT new.exact OR old.note IS NOT new.note
        BEGIN
            UPDATE annotation_texts SET annotation_id = new.id, exact = new.exact, note = new.note
            WHERE annotation_id = old.id;
        END
        """
    )
    for event, row in (("INSERT", "new"), ("DELETE", "old")):
        db.execute(
            f"""
            CREATE TRIGGER annotation_tags_search_{event.lower()} AFTER {event} ON annotation_tags
            BEGIN
                UPDATE annotation_texts SET tags = {tag_names}
                WHERE annotation_id = {row}.annotation_id;
            END
            """
        )
    db.execute(
        f"""
        CREATE TRIGGER tags_search_rename AFTER UPDATE OF name ON tags
        WHEN old.name IS NOT new.name COLLATE BINARY BEGIN
            UPDATE annotation_texts SET tags = {tag_names}
            WHERE annotation_id IN (
                SELECT annotation_id FROM annotation_tags WHERE tag_id = new.id
            );
        END
        """
    )

    # What the library already holds.
    db.execute(
        f"""
        INSERT INTO annotation_texts (id, annotation_id, exact, note, tags)
        SELECT -row_number() OVER (ORDER BY rowid), id, exact, note,
            {tag_names.replace("annotation_texts.annotation_id", "annotations.id")}
        FROM annotations
        """
    )
    db.execute("INSERT INTO search_fts (search_fts) VALUES ('rebuild')")

    # The library-wide annotation list pages through these orders.
    db.execute("CREATE INDEX idx_annotations_created ON annotations (created_at)")
    db.execute("DROP INDEX idx_annotations_article")
    db.execute(
        "CREATE INDEX idx_annotations_article ON annotations "
        "(article_id, start_block, start_offset, end_block, end_offset)"
    )
    db.execute("CREATE INDEX idx_articles_title ON articles (title COLLATE NOCASE, id)")


def m004_article_orders(db: Database) -> None:
    """Indexes for the library list's orders, and each article's annotations counted.

    - Last opened and article date are newest first with the missing values last,
      which is a backward walk of their indexes (SQLite sorts NULL first). Order by
      title uses `idx_articles_title`, order by import `idx_articles_created`.
    - `articles.annotation_total` is the article's number of annotations, kept by
      triggers on `annotations`, so that "most annotated first" is read from an index
      instead of counting every article's annotations for each page.
    """
    db.execute("CREATE INDEX idx_articles_opened ON articles (opened_at, id)")
    db.execute("CREATE INDEX idx_articles_date ON articles (date, id)")
    db.execute("ALTER TABLE articles ADD COLUMN annotation_total INTEGER NOT NULL DEFAULT 0")
    db.execute(
        "UPDATE articles SET annotation_total = "
        "(SELECT count(*) FROM annotations n WHERE n.article_id = articles.id)"
    )
    db.execute(
        """
        CREATE TRIGGER annotations_total_insert AFTER INSERT ON annotations BEGIN
            UPDATE articles SET annotation_total = annotation_total + 1
            WHERE id = new.article_id;
        END
        """
    )
    db.execute(
        """
        CREATE TRIGGER annotations_total_delete AFTER DELETE ON annotations BEGIN
            UPDATE articles SET annotation_total = annotation_total - 1
            WHERE id = old.article_id;
        END
        """
    )
    db.execute(
        """
        CREATE TRIGGER annotations_total_move AFTER UPDATE OF article_id ON annotations
        WHEN old.article_id IS NOT new.article_id BEGIN
            UPDATE articles SET annotation_total = annotation_total - 1
            WHERE id = old.article_id;
            UPDATE articles SET annotation_total = annotation_total + 1
            WHERE id = new.article_id;
        END
        """
    )
    db.execute("CREATE INDEX idx_articles_annotations ON articles (annotation_total DESC, id)")


def m005_library_shelves(db: Database) -> None:
    """Archived articles, details edited by hand, article tags as links, and a trash.

    - `articles.archived_at`: when the reader archived (finished) the article; NULL for
      one still being read. The library's shelves are "reading" (NULL) and "archived".
    - `articles.edited`: a JSON list of the details the reader set by hand (`title`,
      `author`, `date`, `tags`), which a re-import of the same source keeps.
    - `article_tags`: an article's own tags (front matter, or set by hand) as links to
      `tags`, which annotations share, so that they are counted and filtered like
      theirs. `articles.tags` keeps the same names, in the article's order, as JSON to
      read with the row. The tags already in the library are linked (cleaned as tags
      are when set: trimmed, no leading '#', one spelling per name whatever its case).
    - `trash`: deleted articles and annotations, each kept as a record of the JSON
      export (its text, annotations, position, ...) until brought back or emptied.
    - Indexes: each order of the library list per shelf (the shelf first, so a page of
      one shelf is read from an index, not sorted), article tags by tag, and the trash
      by item and by time.
    """
    # Done here with the store's own cleaning of names, as every later write does it.
    from annotations.store.tags import normalize_tags

    db.execute("ALTER TABLE articles ADD COLUMN archived_at TEXT")
    db.execute("ALTER TABLE articles ADD COLUMN edited TEXT NOT NULL DEFAULT '[]'")
    db.execute(
        """
        CREATE TABLE article_tags (
            article_id TEXT NOT NULL REFERENCES articles(id) ON DELETE CASCADE,
            tag_id INTEGER NOT NULL REFERENCES tags(id) ON DELETE CASCADE,
            PRIMARY KEY (article_id, tag_id)
        ) WITHOUT ROWID
        """
    )
    db.execute("CREATE INDEX idx_article_tags_tag ON article_tags (tag_id, article_id)")
    existing = {
        name.casefold(): (tag_id, name)
        for tag_id, name in db.execute("SELECT id, name FROM tags").fetchall()
    }
    for article_id, raw in db.execute("SELECT id, tags FROM articles").fetchall():
        try:
            loaded = json.loads(raw or "[]")
        except ValueError:
            loaded = []
        names = normalize_tags(str(item) for item in loaded if isinstance(item, str))
        spelled = []
        for name in names:
            found = existing.get(name.casefold())
            if found is None:
                cursor = db.execute("INSERT INTO tags (name) VALUES (?)", [name])
                found = existing[name.casefold()] = (cursor.lastrowid, name)
            db.execute(
                "INSERT OR IGNORE INTO article_tags (article_id, tag_id) VALUES (?, ?)",
                [article_id, found[0]],
            )
            spelled.append(found[1])
        db.execute(
            "UPDATE articles SET tags = ? WHERE id = ?",
            [json.dumps(spelled, ensure_ascii=False), article_id],
        )
    shelf = "(archived_at IS NOT NULL)"
    for name, columns in (
        ("created", "created_at"),
        ("opened", "opened_at, id"),
        ("title", "title COLLATE NOCASE, id"),
        ("date", "date, id"),
        ("annotations", "annotation_total DESC, id"),
    ):
        db.execute(f"CREATE INDEX idx_articles_shelf_{name} ON articles ({shelf}, {columns})")
    db.execute(
        """
        CREATE TABLE trash (
            id INTEGER PRIMARY KEY,
            kind TEXT NOT NULL CHECK (kind IN ('article', 'annotation')),
            item_id TEXT NOT NULL,
            article_id TEXT NOT NULL,
            title TEXT NOT NULL,
            annotations INTEGER NOT NULL DEFAULT 0,
            deleted_at TEXT NOT NULL,
            record TEXT NOT NULL
        )
        """
    )
    db.execute("CREATE INDEX idx_trash_item ON trash (item_id, id)")
    db.execute("CREATE INDEX idx_trash_deleted ON trash (deleted_at)")


def m006_contents(db: Database) -> None:
    """A book's own table of contents (an EPUB's nav or NCX).

    One row per entry, in reading order (`seq`); `block` is where the entry starts and
    `level` its depth (1 for the top). An article without rows here has its headings
    as contents.
    """
    db.execute(
        """
        CREATE TABLE contents (
            article_id TEXT NOT NULL REFERENCES articles(id) ON DELETE CASCADE,
            seq INTEGER NOT NULL,
            block INTEGER NOT NULL,
            level INTEGER NOT NULL DEFAULT 1,
            title TEXT NOT NULL,
            PRIMARY KEY (article_id, seq)
        ) WITHOUT ROWID
        """
    )


def m007_quote_history(db: Database) -> None:
    """The history of an annotation's quote, kept when its text is placed again.

    `original_exact` is the text the annotation was made on while its passage holds
    another (NULL while it holds that text); `anchored_at` is when a re-import or a
    restore last placed it again (NULL if never), which is not a change of the reader's
    and leaves `updated_at` alone.
    """
    db.execute("ALTER TABLE annotations ADD COLUMN original_exact TEXT")
    db.execute("ALTER TABLE annotations ADD COLUMN anchored_at TEXT")


MIGRATIONS: tuple[Callable[[Database], None], ...] = (
    m001_initial,
    m002_settings,
    m003_search,
    m004_article_orders,
    m005_library_shelves,
    m006_contents,
    m007_quote_history,
)
"""Every migration, in the order they apply; their names version the schema."""

MIGRATION_NAMES = tuple(migration.__name__ for migration in MIGRATIONS)


def migration_set() -> Migrations:
    """The migrations as sqlite-utils' `Migrations`, which records and applies them."""
    from sqlite_utils import Migrations

    migrations = Migrations(MIGRATION_SET)
    for migration in MIGRATIONS:
        migrations()(migration)
    return migrations
