"""Schema of the library, as named migrations applied when a library is opened.

Never edit a released migration: add a new one.
"""

from __future__ import annotations

from sqlite_utils import Database, Migrations

migrations = Migrations("annotations")
"""The library's migration set; its applied names version the schema."""


@migrations()
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


@migrations()
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
