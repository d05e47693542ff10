"""The library in one SQLite file: `AnnotationStore`, the only code that speaks SQL.

Each concern of the store has a module here, and `AnnotationStore` is made of them:

- `vetting`: a library file checked before it is opened, and the memo of files found intact;
- `connection`: the connection (WAL, migrations and backups, transactions, SQLite errors);
- `migrations`: the schema;
- `articles`: articles and their blocks, in pages, orders, shelves and filters, their
  details edited by hand, archiving;
- `annotations`: highlights, their colours and notes; `tags`: the tags on them;
- `importing`: documents imported, and annotations re-anchored in new versions;
- `search`: ranked full-text search, and annotations across the library (the query
  itself is parsed by `annotations.search`);
- `bulk`: export's batched reads, and what a restore writes;
- `settings`: settings kept in the library;
- `trash`: the trash's table (deleting to it and bringing back is `annotations.trash`).
"""

from __future__ import annotations

import inspect

from annotations.models import content_hash, format_timestamp
from annotations.store.articles import SHELVES, article_date
from annotations.store.bulk import BulkMixin
from annotations.store.connection import (
    Clock,
    sqlite_version,
    storage_errors,
    utc_now,
)
from annotations.store.importing import count_words
from annotations.store.search import SearchMixin
from annotations.store.settings import SettingsMixin
from annotations.store.tags import normalize_tags
from annotations.store.trash import TrashMixin
from annotations.store.vetting import check_library_file, checked_unchanged, remember_checked

# Importable from `annotations.store` itself (each lives in one of its modules).
__all__ = [
    "SHELVES",
    "AnnotationStore",
    "Clock",
    "article_date",
    "check_library_file",
    "checked_unchanged",
    "content_hash",
    "count_words",
    "format_timestamp",
    "normalize_tags",
    "remember_checked",
    "sqlite_version",
    "utc_now",
]


class AnnotationStore(BulkMixin, SearchMixin, SettingsMixin, TrashMixin):
    """The reader's library in one SQLite file (also reachable as a `sqlite_utils.Database`).

    Every public method that writes is one transaction.

    Args:
        db: A path to the library file, or an open Database (tests pass
            `Database(memory=True)`).
        clock: Returns the current time; injected for tests.
    """


# No driver exception leaves the store: every public method wraps them.
for _name in dir(AnnotationStore):
    _member = inspect.getattr_static(AnnotationStore, _name)
    if not _name.startswith("_") and inspect.isfunction(_member):
        setattr(AnnotationStore, _name, storage_errors(_member))
del _name, _member
