"""The library: articles, blocks, annotations and tags in one SQLite file."""

from __future__ import annotations

import functools
import hashlib
import inspect
import json
import os
import re
import shutil
import sqlite3
import time
import uuid
from collections.abc import Callable, Generator, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlite_utils import Database

from annotations import guard
from annotations.anchoring import TextMap, reanchor_all
from annotations.errors import LibraryError, NotFoundError, StorageError
from annotations.migrations import migrations
from annotations.models import (
    ENTRY_TEXT_CHARS,
    HIGHLIGHT_COLORS,
    Anchor,
    Annotation,
    AnnotationEntry,
    Article,
    Block,
    BlockKind,
    Document,
    ImportResult,
    SearchHit,
    TagCount,
)
from annotations.search import (
    SNIPPET_CLOSE,
    SNIPPET_ELLIPSIS,
    SNIPPET_OPEN,
    SNIPPET_TOKENS,
    clean_snippet,
    match_expression,
)

SQLITE_HEADER = b"SQLite format 3\x00"
BUSY_TIMEOUT_MS = 10_000
DISK_FULL_BYTES = 64 * 1024
"""Free space below which a failing library is said to be on a full disk."""
QUOTE_BLOCKS = 16
"""Blocks read on each side of a passage to build its quote's prefix and suffix."""

Clock = Callable[[], datetime]

STORAGE_REASONS = {
    sqlite3.SQLITE_FULL: "the disk is full",
    sqlite3.SQLITE_READONLY: "the library is read-only",
    sqlite3.SQLITE_CORRUPT: "the library file is damaged",
    sqlite3.SQLITE_NOTADB: "the library file is damaged",
    sqlite3.SQLITE_BUSY: "another program kept the library busy",
    sqlite3.SQLITE_LOCKED: "another program kept the library busy",
    sqlite3.SQLITE_IOERR: "the disk could not be read or written",
}
"""What each of SQLite's primary result codes means to the reader of a message."""


def storage_error(error: sqlite3.Error) -> StorageError:
    """The `StorageError` for a driver's exception, saying why in one line."""
    code = getattr(error, "sqlite_errorcode", 0) & 0xFF
    detail = " ".join(str(error).split()) or type(error).__name__
    reason = STORAGE_REASONS.get(code)
    return StorageError(f"{reason} ({detail})" if reason else detail, code)


def utc_now() -> datetime:
    """The current time in UTC."""
    return datetime.now(UTC)


def format_timestamp(moment: datetime) -> str:
    """A moment as an ISO 8601 UTC timestamp with milliseconds, e.g. `2026-01-31T09:00:00.000Z`."""
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def content_hash(document: Document) -> str:
    """A hash of a document's title and text, to recognise identical content."""
    digest = hashlib.sha256()
    digest.update(document.title.encode("utf-8", "surrogatepass"))
    for block in document.blocks:
        digest.update(b"\x00" + f"{block.kind}:{block.level}".encode() + b"\x01")
        digest.update(block.text.encode("utf-8", "surrogatepass"))
    return digest.hexdigest()


_CJK = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_CJK_CHARACTER = re.compile(f"[{_CJK}]")
_CJK_WORD = re.compile(f"[{_CJK}]|[^\\s{_CJK}]+")


def sqlite_version() -> str:
    """The version of the SQLite library the store runs on."""
    return sqlite3.sqlite_version


def count_words(text: str) -> int:
    """Words in a text: runs of non-space characters, and each Chinese or Japanese
    character (those scripts do not put spaces between words)."""
    if _CJK_CHARACTER.search(text) is None:
        return len(text.split())
    return sum(1 for _ in _CJK_WORD.finditer(text))


_TAG_CONTROLS = re.compile(
    "[\x00-\x08\x0e-\x1b\x7f-\x84\x86-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]"
)
"""Control characters a tag name drops (whitespace ones become spaces instead)."""


def _glob_class(char: str) -> str:
    """A GLOB pattern matching one character in either case, or itself literally."""
    cases = "".join(dict.fromkeys(c for c in (char.lower(), char.upper(), char) if len(c) == 1))
    if len(cases) > 1:
        return f"[{cases}]"
    return f"[{char}]" if char in "*?[" else char


def normalize_tags(tags: Iterable[str]) -> tuple[str, ...]:
    """Clean tag names: trimmed, inner whitespace collapsed, no leading '#', no duplicates.

    Control characters (escape sequences, bidirectional overrides) are dropped: a tag is
    a name to type and to show, and they would do neither.
    """
    seen: dict[str, str] = {}
    for raw in tags:
        name = re.sub(r"\s+", " ", _TAG_CONTROLS.sub("", raw)).strip().lstrip("#").strip()
        if name and name.casefold() not in seen:
            seen[name.casefold()] = name
    return tuple(seen.values())


def check_library_file(path: Path) -> None:
    """Check, without writing anything, that a path can be opened as a library.

    A missing or empty file is fine (it becomes a new library: an empty file holds
    nothing that could be lost). Anything else must be an intact SQLite database that is
    empty or holds a library this version understands. The file and its folder must be
    writable: a library is written to even when only read (reading positions, journal).

    Raises:
        LibraryError: With a one-line reason naming the file.
    """
    if not path.exists():
        return
    if path.is_dir():
        raise LibraryError(f"{path} is a folder, not a library file")
    try:
        with path.open("rb") as handle:
            header = handle.read(len(SQLITE_HEADER))
    except OSError as error:
        raise LibraryError(f"cannot read library {path}: {error.strerror or error}") from None
    if header and header != SQLITE_HEADER:
        raise LibraryError(
            f"{path} is not a reader library (not an SQLite database); left untouched"
        )
    if header:
        tables, applied = _library_schema(path, integrity=not checked_unchanged(path))
        if tables and not applied:
            raise LibraryError(
                f"{path} is an SQLite database of another program, not a reader library"
            )
        known = {migration.name for migration in migrations._migrations}
        if applied - known:
            raise LibraryError(
                f"{path} was written by a newer version of reader; upgrade reader to open it"
            )
    _check_writable(path)


def _library_schema(path: Path, *, integrity: bool = True) -> tuple[set[str], set[str]]:
    """The tables of an SQLite file and the library migrations applied to it.

    With `integrity`, its pages are checked first (`PRAGMA quick_check`), so that a
    damaged library is refused before anything is written to it, not halfway through a
    change. That reads the whole file: see `checked_unchanged` for when it is skipped.

    Raises:
        LibraryError: If the file cannot be read or is damaged.
    """
    try:
        return _read_schema(path, integrity)
    except sqlite3.DatabaseError:
        pass
    # Read once more: a file read as `immutable` may have been checkpointed into by
    # another process at that very moment, which looks like damage but is not.
    try:
        return _read_schema(path, integrity)
    except sqlite3.DatabaseError as error:
        raise LibraryError(_unreadable(path, error)) from None


CHECKED_REMEMBERED = 16
"""How many library files the memo of checked files (`remember_checked`) keeps."""


def _checked_memo() -> Path:
    """The file listing the libraries checked and left unchanged since (in the user cache)."""
    from platformdirs import user_cache_path

    return user_cache_path("reader") / "checked-libraries.json"


def _file_stamp(path: Path) -> list[int] | None:
    """What changes when a library file is written: identity, size and time, and its WAL's."""
    try:
        main = path.stat()
    except OSError:
        return None
    stamp = [main.st_dev, main.st_ino, main.st_size, main.st_mtime_ns]
    try:
        wal = path.with_name(f"{path.name}-wal").stat()
    except OSError:
        return stamp
    return [*stamp, wal.st_ino, wal.st_size, wal.st_mtime_ns]


def _read_checked() -> dict[str, list[int]]:
    try:
        memo = json.loads(_checked_memo().read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return memo if isinstance(memo, dict) else {}


def checked_unchanged(path: Path) -> bool:
    """Whether a library file is just as reader left it, closing it after a check.

    Then the whole-file check is skipped at open, so opening costs the same for any
    size of library. Any write since, by anyone (even of the same size, or within the
    same second), changes the file's stamp, and a file put in its place is another file.
    """
    stamp = _file_stamp(path)
    return stamp is not None and _read_checked().get(str(path.resolve())) == stamp


def remember_checked(path: Path) -> None:
    """Note a library file, checked when opened and just closed, as checked (best effort)."""
    stamp = _file_stamp(path)
    if stamp is None:
        return
    key = str(path.resolve())
    memo = {name: value for name, value in _read_checked().items() if name != key}
    memo[key] = stamp
    memo = dict(list(memo.items())[-CHECKED_REMEMBERED:])
    target = _checked_memo()
    temporary = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        temporary.write_text(json.dumps(memo), encoding="utf-8")
        os.replace(temporary, target)
    except OSError:
        temporary.unlink(missing_ok=True)


def _read_schema(path: Path, integrity: bool = True) -> tuple[set[str], set[str]]:
    # Without a -wal file the main file holds everything, and `immutable` reads it
    # without creating -wal/-shm files next to a file that may not be ours.
    wal = path.with_name(f"{path.name}-wal")
    options = "mode=ro" if wal.exists() else "mode=ro&immutable=1"
    conn = sqlite3.connect(f"{path.resolve().as_uri()}?{options}", uri=True)
    try:
        problems = [row[0] for row in conn.execute("PRAGMA quick_check(1)")] if integrity else []
        if problems and problems != ["ok"]:
            raise sqlite3.DatabaseError(_first_problem(problems))
        tables = {
            row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")
        }
        applied: set[str] = set()
        if "_sqlite_migrations" in tables:
            applied = {
                row[0]
                for row in conn.execute(
                    "SELECT name FROM _sqlite_migrations WHERE migration_set = ?",
                    [migrations.name],
                )
            }
        return tables, applied
    finally:
        conn.close()


def _first_problem(problems: list[str]) -> str:
    """The first problem `PRAGMA quick_check` reported, as one line."""
    lines = [line for text in problems for line in text.splitlines() if not line.startswith("*")]
    return lines[0].strip() if lines else "integrity check failed"


def _unreadable(path: Path, error: sqlite3.DatabaseError) -> str:
    """Why a library file could not be read, as one line."""
    code = getattr(error, "sqlite_errorcode", 0) & 0xFF
    if code in (sqlite3.SQLITE_IOERR, sqlite3.SQLITE_CANTOPEN, sqlite3.SQLITE_FULL):
        return f"cannot read library {path} ({error}){_disk_full_hint(path)}; left untouched"
    return f"{path} is damaged or not a library ({error}); left untouched"


def _disk_full_hint(path: Path) -> str:
    """`: the disk is full` when the disk holding the path has no room left, else ``."""
    try:
        free = shutil.disk_usage(path.parent).free
    except OSError:
        return ""
    return ": the disk is full" if free < DISK_FULL_BYTES else ""


def _check_writable(path: Path) -> None:
    """Refuse a library file, or its folder, that cannot be written.

    Raises:
        LibraryError: If the file or its folder (where the journal goes) is read-only.
    """
    if not os.access(path, os.W_OK):
        raise LibraryError(f"library {path} is read-only; reader needs to write to it")
    journal = path.with_name(f"{path.name}-wal")
    if not journal.exists() and not os.access(path.parent, os.W_OK | os.X_OK):
        raise LibraryError(
            f"folder {path.parent} is read-only; reader needs to write the journal of "
            f"library {path} there"
        )


class LibraryDatabase(Database):
    """A `Database` whose transactions take the library's write lock as they begin.

    A plain `BEGIN` starts as a reader and asks for the write lock at its first write;
    if another process wrote in between, SQLite fails at once with "database is
    locked", as waiting would not help a transaction that read older data. `BEGIN
    IMMEDIATE` waits for the lock first (up to the busy timeout), so concurrent writers
    take turns. Readers never wait for writers in WAL mode.
    """

    @contextmanager
    def atomic(self) -> Iterator[Database]:
        """A transaction holding the write lock (a savepoint when nested)."""
        if self.conn.in_transaction:
            with super().atomic():
                yield self
            return
        self.conn.execute("BEGIN IMMEDIATE")
        try:
            yield self
        except BaseException:
            self.rollback()
            raise
        try:
            self.conn.execute("COMMIT")
        except BaseException:
            self.rollback()
            raise


class AnnotationStore:
    """The reader's library, wrapping one `sqlite_utils.Database`.

    Every public method that writes is one transaction.

    Args:
        db: A path to the library file, or an open Database (tests pass
            `Database(memory=True)`).
        clock: Returns the current time; injected for tests.
    """

    def __init__(self, db: Database | str | Path, clock: Clock = utc_now) -> None:
        self._guard_key: tuple[int, int] | None = None
        if isinstance(db, Database):
            self.path: Path | None = None
            self.db = db
        else:
            self.path = Path(db).expanduser()
            with guard.OPENING:
                # A file this process has open was vetted when first opened; reading it
                # again with open() would drop the locks of the connections it has.
                if not guard.in_use(self.path):
                    check_library_file(self.path)
                try:
                    self.path.parent.mkdir(parents=True, exist_ok=True)
                    self.db = LibraryDatabase(self.path, execute_plugins=False)
                except (OSError, sqlite3.Error) as error:
                    raise LibraryError(
                        f"cannot open library {self.path}: {error}{_disk_full_hint(self.path)}"
                    ) from None
                self._guard_key = guard.register(self.path)
        self.clock = clock
        try:
            self._configure()
            self._migrate()
        except LibraryError:
            # Closing lets SQLite remove the journal files it made next to the library.
            self.close(remember=False)
            raise

    def _configure(self) -> None:
        conn = self.db.conn
        conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        conn.execute("PRAGMA foreign_keys = ON")
        if self.path is not None:
            try:
                self._use_wal()
                conn.execute("PRAGMA synchronous = NORMAL")
            except sqlite3.OperationalError as error:
                raise LibraryError(
                    f"cannot open library {self.path}: {error}{_disk_full_hint(self.path)}"
                ) from None

    def _use_wal(self) -> None:
        """Put the library in WAL mode, waiting while another process is using it.

        Switching a new library to WAL needs it to itself for a moment, and SQLite does
        not wait for that (no busy timeout): so this tries again, up to the timeout.
        """
        deadline = time.monotonic() + BUSY_TIMEOUT_MS / 1000
        while True:
            try:
                self.db.conn.execute("PRAGMA journal_mode = WAL")
                return
            except sqlite3.OperationalError as error:
                busy = getattr(error, "sqlite_errorcode", 0) & 0xFF == sqlite3.SQLITE_BUSY
                if not busy or time.monotonic() > deadline:
                    raise
                time.sleep(0.01)

    def _migrate(self) -> None:
        try:
            if not migrations.pending(self.db):
                return
            # Another process may be preparing the same library (two first starts at
            # once): one at a time, and what is pending is read again under the lock.
            with self.db.atomic():
                pending = migrations.pending(self.db)
                if not pending:
                    return
                if self.path is not None and migrations.applied(self.db):
                    self._backup(f"before-{pending[0].name}")
                migrations.apply(self.db)
        except sqlite3.Error as error:
            where = self.path or "memory"
            raise LibraryError(f"cannot prepare library {where}: {error}") from None

    def _backup(self, label: str) -> Path:
        """Copy the library next to itself before changing its schema.

        The copy is read through a connection of its own: by now the library's
        connection holds the write lock, and SQLite's backup cannot read through a
        connection that is writing (it would wait for itself forever).
        """
        assert self.path is not None
        target = self.path.with_name(f"{self.path.name}.{label}.bak")
        source = sqlite3.connect(self.path)
        backup = sqlite3.connect(target)
        try:
            source.backup(backup)
        finally:
            backup.close()
            source.close()
        shutil.copymode(self.path, target)
        return target

    def version(self) -> tuple[int, int]:
        """A mark that changes whenever the library changes, through this store or any
        other connection or process; equal marks mean nothing changed in between.

        Cheap enough to ask before every read a screen would otherwise repeat.
        """
        conn = self.db.conn
        (data_version,) = conn.execute("PRAGMA data_version").fetchone()
        return data_version, conn.total_changes

    @contextmanager
    def transaction(self) -> Iterator[AnnotationStore]:
        """One transaction around several calls of this store: all of them or nothing.

        Raises:
            StorageError: If SQLite refused any of it (then nothing of it was saved).
        """
        try:
            with self.db.atomic():
                yield self
        except sqlite3.Error as error:
            raise storage_error(error) from error

    def close(self, *, remember: bool = True) -> None:
        """Close the connection (and remember the file as checked: see `checked_unchanged`)."""
        with guard.OPENING:
            self.db.close()
            guard.release(self._guard_key)
            self._guard_key = None
        if remember and self.path is not None and self.path.exists():
            remember_checked(self.path)

    def _now(self) -> str:
        return format_timestamp(self.clock())

    def _count(self, sql: str, params: Sequence[Any] = ()) -> int:
        """The number a `SELECT count(*) ...` query gives."""
        count: int = self.db.execute(sql, params).fetchone()[0]
        return count

    # Articles -------------------------------------------------------------

    _ARTICLE_SELECT = """
        SELECT a.*, a.annotation_total AS annotation_count FROM articles a
    """
    """Articles with their number of annotations (kept by triggers, see m004)."""

    @staticmethod
    def _article(row: dict[str, Any]) -> Article:
        return Article(
            id=row["id"],
            title=row["title"],
            source=row["source"],
            date=row["date"],
            author=row["author"],
            tags=tuple(json.loads(row["tags"] or "[]")),
            format=row["format"],
            words=row["words"],
            block_count=row["block_count"],
            position=row["position"],
            annotation_count=row["annotation_count"],
            content_hash=row["content_hash"],
            created_at=row["created_at"],
            updated_at=row["updated_at"],
            opened_at=row["opened_at"],
        )

    def list_articles(self) -> list[Article]:
        """All articles, most recently imported first."""
        rows = self.db.query(self._ARTICLE_SELECT + " ORDER BY a.created_at DESC, a.rowid DESC")
        return [self._article(row) for row in rows]

    _ARTICLE_ORDERS = {
        "added": "a.created_at DESC, a.rowid DESC",
        "opened": "a.opened_at DESC, a.id DESC",
        "title": "a.title COLLATE NOCASE, a.id",
        "date": "a.date DESC, a.id DESC",
        "annotations": "a.annotation_total DESC, a.id",
    }
    """The orders of `list_articles_page`, by name. SQLite sorts NULL first, so a
    descending order puts never-opened and undated articles last."""

    _ARTICLE_KEYS = {
        "added": (">", "{t}.created_at, {t}.rowid"),
        "opened": (">", "{t}.opened_at IS NOT NULL, coalesce({t}.opened_at, ''), {t}.id"),
        "title": ("<", "{t}.title COLLATE NOCASE, {t}.id"),
        "date": (">", "{t}.date IS NOT NULL, coalesce({t}.date, ''), {t}.id"),
        "annotations": ("<", "-{t}.annotation_total, {t}.id"),
    }
    """Each order as a row value with no NULL in it and a comparison: the articles
    before one in the order are those whose row value compares so with its own."""

    @staticmethod
    def _article_filter(text: str | None) -> tuple[str, list[Any]]:
        """The WHERE clause (over `a`) and parameters for a title or author filter.

        SQLite's LIKE ignores the case of ASCII letters only; text with other letters
        is matched by GLOB, each letter as a class of its two cases (`[öÖ]`).
        """
        if not text:
            return "1", []
        if text.isascii():
            pattern = "%" + re.sub(r"([\\%_])", r"\\\1", text) + "%"
            where = "(a.title LIKE ? ESCAPE '\\' OR a.author LIKE ? ESCAPE '\\')"
        else:
            pattern = "*" + "".join(map(_glob_class, text)) + "*"
            where = "(a.title GLOB ? OR a.author GLOB ?)"
        return where, [pattern, pattern]

    def _check_order(self, order: str) -> None:
        if order not in self._ARTICLE_ORDERS:
            names = ", ".join(self._ARTICLE_ORDERS)
            raise ValueError(f"unknown order {order!r}; use one of {names}")

    def count_articles(self, text: str | None = None) -> int:
        """How many articles the library holds, or how many match a filter.

        Args:
            text: Only articles whose title or author contains this text (as for
                `list_articles_page`).
        """
        where, params = self._article_filter(text)
        return self._count(f"SELECT count(*) FROM articles a WHERE {where}", params)

    def count_annotations(self) -> int:
        """How many annotations the library holds (orphaned ones too)."""
        return self._count("SELECT count(*) FROM annotations")

    def list_articles_page(
        self, offset: int, limit: int, *, order: str = "added", text: str | None = None
    ) -> list[Article]:
        """A page of the library's articles in an order, optionally filtered.

        Only the page's rows are read in full and counted; the order comes from an index.

        Args:
            offset: How many articles of the order to skip first.
            limit: The most articles to return.
            order: `added` (most recently imported first, as `list_articles`), `opened`
                (most recently opened first, never opened last), `title` (A to Z,
                ignoring case), `date` (the article's date, newest first, undated last)
                or `annotations` (most annotated first). Ties go by id, so pages never
                overlap.
            text: Only articles whose title or author contains this text, ignoring the
                case of ASCII letters (`%` and `_` are plain characters).

        Returns:
            The articles of the page.

        Raises:
            ValueError: For an unknown order.
        """
        self._check_order(order)
        where, params = self._article_filter(text)
        order_by = self._ARTICLE_ORDERS[order]
        rows = self.db.query(
            f"""
            {self._ARTICLE_SELECT}
            JOIN (
                SELECT a.rowid AS page_rowid FROM articles a
                WHERE {where} ORDER BY {order_by} LIMIT ? OFFSET ?
            ) page ON a.rowid = page.page_rowid
            ORDER BY {order_by}
            """,
            [*params, max(0, limit), max(0, offset)],
        )
        return [self._article(row) for row in rows]

    def position_of(
        self, article_id: str, order: str = "added", text: str | None = None
    ) -> int | None:
        """Where an article is in an order of `list_articles_page` (0 for the first).

        Args:
            article_id: The article's id.
            order: As for `list_articles_page`.
            text: As for `list_articles_page`.

        Returns:
            Its index, or None if there is no such article or the filter leaves it out.

        Raises:
            ValueError: For an unknown order.
        """
        self._check_order(order)
        where, params = self._article_filter(text)
        found = self.db.execute(
            f"SELECT 1 FROM articles a WHERE a.id = ? AND {where}", [article_id, *params]
        ).fetchone()
        if found is None:
            return None
        compare, keys = self._ARTICLE_KEYS[order]
        return self._count(
            f"""
            SELECT count(*) FROM articles a, articles x
            WHERE x.id = ? AND {where}
                AND ({keys.format(t="a")}) {compare} ({keys.format(t="x")})
            """,
            [article_id, *params],
        )

    def get_article(self, article_id: str) -> Article:
        """One article by its id.

        Raises:
            NotFoundError: If there is no such article.
        """
        rows = list(self.db.query(self._ARTICLE_SELECT + " WHERE a.id = ?", [article_id]))
        if not rows:
            raise NotFoundError(f"no article with id {article_id}")
        return self._article(rows[0])

    def find_article(self, reference: str) -> Article:
        """An article by its full id or a unique prefix of it.

        Raises:
            NotFoundError: If none or several articles match.
        """
        reference = reference.strip().lower()
        if not reference:
            raise NotFoundError("no article id given")
        ids = [
            row["id"]
            for row in self.db.query(
                "SELECT id FROM articles WHERE id >= ? AND id < ? LIMIT 2",
                [reference, reference + "\uffff"],
            )
        ]
        if not ids:
            raise NotFoundError(f"no article with id {reference}")
        if len(ids) > 1 and reference not in ids:
            raise NotFoundError(f"article id {reference} is ambiguous; give more characters")
        return self.get_article(reference if reference in ids else ids[0])

    def find_article_by_source(self, source: str) -> Article | None:
        """The article imported from a source (path or URL), if any."""
        rows = list(self.db.query(self._ARTICLE_SELECT + " WHERE a.source = ? LIMIT 1", [source]))
        return self._article(rows[0]) if rows else None

    def get_blocks(self, article_id: str) -> list[Block]:
        """An article's blocks in reading order."""
        cursor = self.db.execute(
            "SELECT kind, text, level FROM blocks WHERE article_id = ? ORDER BY idx", [article_id]
        )
        kinds = {kind.value: kind for kind in BlockKind}
        return [Block(kinds[kind], text, level) for kind, text, level in cursor]

    def _block_texts(self, article_id: str, first: int = 0, last: int | None = None) -> list[str]:
        """The texts of an article's blocks, all or those from `first` to `last`."""
        cursor = self.db.execute(
            "SELECT text FROM blocks WHERE article_id = ? AND idx BETWEEN ? AND ? ORDER BY idx",
            [article_id, first, last if last is not None else 2**62],
        )
        return [text for (text,) in cursor]

    def import_document(self, document: Document) -> ImportResult:
        """Store a parsed document as an article.

        Identical content already in the library is left as it is. A changed version of
        a source already imported replaces that article's text, and its annotations are
        re-anchored (those that cannot be placed are kept and marked orphaned).

        Args:
            document: The parsed document.

        Returns:
            What was done, the stored article, and the document's warnings.
        """
        digest = content_hash(document)
        with self.db.atomic():
            same = list(
                self.db.query("SELECT id FROM articles WHERE content_hash = ? LIMIT 1", [digest])
            )
            warnings = document.warnings
            if same:
                return ImportResult("unchanged", self.get_article(same[0]["id"]), 0, warnings)
            existing = self.find_article_by_source(document.source) if document.source else None
            if existing is None:
                article_id = str(uuid.uuid4())
                self._insert_article(article_id, document, digest)
                return ImportResult("imported", self.get_article(article_id), 0, warnings)
            orphaned = self._replace_article(existing, document, digest)
            return ImportResult("updated", self.get_article(existing.id), orphaned, warnings)

    def _article_row(self, document: Document, digest: str) -> dict[str, Any]:
        return {
            "title": document.title,
            "source": document.source,
            "date": document.date,
            "author": document.author,
            "tags": json.dumps(list(document.tags), ensure_ascii=False),
            "format": document.format,
            "words": sum(count_words(block.text) for block in document.blocks),
            "block_count": len(document.blocks),
            "content_hash": digest,
        }

    @contextmanager
    def _indexing_in_bulk(self, article_id: str) -> Iterator[None]:
        """Leave indexing an article's new blocks for search to the caller while inside.

        Call inside a transaction. The insert trigger on `blocks` skips the article
        meanwhile, so the caller must add its new blocks to the index itself, in one
        statement, which FTS5 does in about half the time it takes row by row from a trigger.
        """
        self.db.execute("INSERT INTO search_deferred (article_id) VALUES (?)", [article_id])
        try:
            yield
        finally:
            self.db.execute("DELETE FROM search_deferred WHERE article_id = ?", [article_id])

    def _insert_blocks(self, article_id: str, blocks: Sequence[Block]) -> None:
        with self._indexing_in_bulk(article_id):
            self.db.conn.executemany(
                "INSERT INTO blocks (article_id, idx, kind, level, text) VALUES (?, ?, ?, ?, ?)",
                (
                    (article_id, index, str(block.kind), block.level, block.text)
                    for index, block in enumerate(blocks)
                ),
            )
            self.db.execute(
                "INSERT INTO search_fts (rowid, text) "
                "SELECT id, text FROM blocks WHERE article_id = ?",
                [article_id],
            )

    def _insert_article(self, article_id: str, document: Document, digest: str) -> None:
        now = self._now()
        row = self._article_row(document, digest)
        row.update(id=article_id, position=0, created_at=now, updated_at=now)
        self.db.table("articles").insert(row)
        self._insert_blocks(article_id, document.blocks)

    def _replace_article(self, article: Article, document: Document, digest: str) -> int:
        """Replace an article's text and re-anchor its annotations; returns how many are orphaned.

        An annotation orphaned earlier is tried again, so it comes back when its text does;
        one that cannot be placed keeps its old quote. `updated_at` changes only when an
        annotation's passage text or its orphaned state changes, not when it merely moves.
        """
        old = TextMap(self._block_texts(article.id))
        new = TextMap([block.text for block in document.blocks])
        now = self._now()
        annotations = self.list_annotations(article.id)
        stale = {i for i, annotation in enumerate(annotations) if annotation.orphaned}
        placements = reanchor_all([item.anchor for item in annotations], old, new, stale=stale)
        orphaned = 0
        for annotation, placed in zip(annotations, placements, strict=True):
            anchor = annotation.anchor
            if placed is None:
                orphaned += 1
                if not annotation.orphaned:
                    self.db.execute(
                        "UPDATE annotations SET orphaned = 1, updated_at = ? WHERE id = ?",
                        [now, annotation.id],
                    )
                continue
            if placed == anchor and not annotation.orphaned:
                continue
            values: dict[str, Any] = {**self._anchor_row(placed), "orphaned": 0}
            if annotation.orphaned or placed.exact != anchor.exact:
                values["updated_at"] = now
            self.db.table("annotations").update(annotation.id, values)
        self.db.execute("DELETE FROM blocks WHERE article_id = ?", [article.id])
        self._insert_blocks(article.id, document.blocks)
        row = self._article_row(document, digest)
        row.update(updated_at=now, position=min(article.position, max(0, len(document.blocks) - 1)))
        self.db.table("articles").update(article.id, row)
        return orphaned

    def set_position(self, article_id: str, block: int) -> None:
        """Remember the reading position (a block index) of an article, kept inside it."""
        self.db.execute(
            "UPDATE articles SET position = max(0, min(?, block_count - 1)), opened_at = ? "
            "WHERE id = ?",
            [block, self._now(), article_id],
        )

    def delete_article(self, article_id: str) -> None:
        """Remove an article with its blocks and annotations."""
        with self.db.atomic():
            self.db.execute("DELETE FROM articles WHERE id = ?", [article_id])
            self._drop_unused_tags()

    # Annotations ----------------------------------------------------------

    @staticmethod
    def _anchor_row(anchor: Anchor) -> dict[str, Any]:
        return {
            "start_block": anchor.start_block,
            "start_offset": anchor.start_offset,
            "end_block": anchor.end_block,
            "end_offset": anchor.end_offset,
            "exact": anchor.exact,
            "prefix": anchor.prefix,
            "suffix": anchor.suffix,
        }

    _TAG_NAMES = """(
        SELECT json_group_array(name) FROM (
            SELECT t.name FROM annotation_tags x JOIN tags t ON t.id = x.tag_id
            WHERE x.annotation_id = n.id ORDER BY t.name COLLATE NOCASE
        )
    ) AS tag_names"""
    """Select column of an annotation `n`'s tag names as a JSON list."""

    _ANNOTATION_COLUMNS = (
        "n.id, n.article_id, n.start_block, n.start_offset, n.end_block, n.end_offset, "
        "n.exact, n.prefix, n.suffix, n.color, n.note, n.orphaned, n.created_at, n.updated_at"
    )

    def _annotations(self, where: str, params: Sequence[Any], order: str) -> list[Annotation]:
        # Read as tuples, not sqlite-utils' dicts: an article may have thousands, and
        # screens read them again whenever the library changed.
        cursor = self.db.conn.execute(
            f"SELECT {self._ANNOTATION_COLUMNS}, {self._TAG_NAMES} FROM annotations n "
            f"WHERE {where} ORDER BY {order}",
            params,
        )
        return [
            Annotation(
                id=id_,
                article_id=article_id,
                anchor=Anchor(
                    start_block, start_offset, end_block, end_offset, exact, prefix, suffix
                ),
                color=color,
                note=note,
                tags=_tag_names(tag_names),
                orphaned=bool(orphaned),
                created_at=created_at,
                updated_at=updated_at,
            )
            for (
                id_, article_id, start_block, start_offset, end_block, end_offset,
                exact, prefix, suffix, color, note, orphaned, created_at, updated_at, tag_names,
            ) in cursor
        ]  # fmt: skip

    def list_annotations(self, article_id: str | None = None) -> list[Annotation]:
        """Annotations of one article (or all), in text order."""
        order = "n.article_id, n.start_block, n.start_offset, n.end_block, n.end_offset"
        if article_id is None:
            return self._annotations("1", [], order)
        return self._annotations("n.article_id = ?", [article_id], order)

    EXPORT_BATCH = 500
    """Articles whose annotations and passages `iter_annotated` reads in one go."""

    def iter_annotated(
        self, articles: Sequence[Article]
    ) -> Iterator[tuple[Article, list[Annotation], dict[int, Block]]]:
        """Each article with its annotations (in text order) and the blocks they cover.

        Reads a batch of articles at a time in three queries, instead of a few queries
        per article, so exporting a whole library costs what its annotations hold. Only
        the blocks an annotation covers are read, by index (orphaned ones cover none).
        The three queries of a batch see one state of the library, whatever another
        program writes meanwhile.
        """
        for start in range(0, len(articles), self.EXPORT_BATCH):
            batch = articles[start : start + self.EXPORT_BATCH]
            with self._snapshot():
                found, blocks = self._annotated_batch([article.id for article in batch])
            for article in batch:
                yield article, found.get(article.id, []), blocks.get(article.id, {})

    @contextmanager
    def _snapshot(self) -> Iterator[None]:
        """A read transaction (unless one is open): every query in it sees one state."""
        if self.db.conn.in_transaction:
            yield
            return
        self.db.execute("BEGIN")
        try:
            yield
        finally:
            self.db.execute("COMMIT")

    def _annotated_batch(
        self, article_ids: list[str]
    ) -> tuple[dict[str, list[Annotation]], dict[str, dict[int, Block]]]:
        """The annotations of some articles, and the blocks they cover, by article id."""
        kinds = {kind.value: kind for kind in BlockKind}
        ids = json.dumps(article_ids)
        chosen = "n.article_id IN (SELECT value FROM json_each(?))"
        tags: dict[str, list[str]] = {}
        for annotation_id, name in self.db.execute(
            "SELECT x.annotation_id, t.name FROM annotations n "
            "JOIN annotation_tags x ON x.annotation_id = n.id JOIN tags t ON t.id = x.tag_id "
            f"WHERE {chosen} ORDER BY t.name COLLATE NOCASE",
            [ids],
        ):
            tags.setdefault(annotation_id, []).append(name)
        found: dict[str, list[Annotation]] = {}
        for row in self.db.execute(
            "SELECT n.id, n.article_id, n.start_block, n.start_offset, n.end_block, "
            "n.end_offset, n.exact, n.prefix, n.suffix, n.color, n.note, n.orphaned, "
            f"n.created_at, n.updated_at FROM annotations n WHERE {chosen} "
            "ORDER BY n.article_id, n.start_block, n.start_offset, n.end_block, n.end_offset",
            [ids],
        ):
            annotation = Annotation(
                id=row[0],
                article_id=row[1],
                anchor=Anchor(*row[2:9]),
                color=row[9],
                note=row[10],
                tags=tuple(tags.get(row[0], ())),
                orphaned=bool(row[11]),
                created_at=row[12],
                updated_at=row[13],
            )
            found.setdefault(annotation.article_id, []).append(annotation)
        blocks: dict[str, dict[int, Block]] = {}
        for article_id, index, kind, text, level in self.db.execute(
            "SELECT b.article_id, b.idx, b.kind, b.text, b.level FROM blocks b "
            "WHERE b.article_id IN (SELECT value FROM json_each(?)) AND EXISTS ("
            "SELECT 1 FROM annotations n WHERE n.article_id = b.article_id "
            "AND n.start_block <= b.idx AND b.idx <= n.end_block AND NOT n.orphaned)",
            [ids],
        ):
            blocks.setdefault(article_id, {})[index] = Block(kinds[kind], text, level)
        return found, blocks

    def get_annotation(self, annotation_id: str) -> Annotation:
        """One annotation by its id.

        Raises:
            NotFoundError: If there is no such annotation.
        """
        found = self._annotations("n.id = ?", [annotation_id], "n.id")
        if not found:
            raise NotFoundError(f"no annotation with id {annotation_id}")
        return found[0]

    def _passage_anchor(
        self, article_id: str, start: tuple[int, int], end: tuple[int, int]
    ) -> Anchor:
        """The anchor of a passage of an article, with its quote; call inside a transaction.

        Raises:
            NotFoundError: If the article does not exist.
            ValueError: If the range is empty or outside the article.
        """
        count = self.get_article(article_id).block_count
        (start_block, start_offset), (end_block, end_offset) = start, end
        if not 0 <= start_block <= end_block < count:
            raise ValueError(f"passage {start}-{end} is outside the article")
        # Only the blocks around the passage are read: enough for the quote's
        # prefix and suffix (every block adds at least 3 characters with its
        # separator), so a highlight costs the same in a note and in a book.
        first = max(0, start_block - QUOTE_BLOCKS)
        last = min(count - 1, end_block + QUOTE_BLOCKS)
        texts = self._block_texts(article_id, first, last)
        start_text, end_text = texts[start_block - first], texts[end_block - first]
        valid = (
            0 <= start_offset <= len(start_text)
            and 0 <= end_offset <= len(end_text)
            and (start_block, start_offset) < (end_block, end_offset)
        )
        if not valid:
            raise ValueError(f"passage {start}-{end} is outside the article or empty")
        local = TextMap(texts).anchor(
            start_block - first, start_offset, end_block - first, end_offset
        )
        return replace(local, start_block=start_block, end_block=end_block)

    def add_highlight(
        self,
        article_id: str,
        start: tuple[int, int],
        end: tuple[int, int],
        *,
        color: str = HIGHLIGHT_COLORS[0],
        tags: Iterable[str] = (),
        note: str = "",
    ) -> Annotation:
        """Highlight a passage of an article.

        Args:
            article_id: The article.
            start: (block index, character offset) where the passage starts.
            end: (block index, character offset) where it ends, exclusive.
            color: Highlight colour.
            tags: Tags to put on it.
            note: A note to attach.

        Returns:
            The new annotation.

        Raises:
            NotFoundError: If the article does not exist.
            ValueError: If the range is empty or outside the article.
        """
        if color not in HIGHLIGHT_COLORS:
            raise ValueError(f"unknown colour {color!r}")
        with self.db.atomic():
            anchor = self._passage_anchor(article_id, start, end)
            annotation_id = str(uuid.uuid4())
            now = self._now()
            self.db.table("annotations").insert(
                {
                    "id": annotation_id,
                    "article_id": article_id,
                    **self._anchor_row(anchor),
                    "color": color,
                    "note": note,
                    "orphaned": 0,
                    "created_at": now,
                    "updated_at": now,
                }
            )
            self._write_tags(annotation_id, tags)
        return self.get_annotation(annotation_id)

    def delete_annotation(self, annotation_id: str) -> None:
        """Remove an annotation with its tags and note."""
        with self.db.atomic():
            self.db.execute("DELETE FROM annotations WHERE id = ?", [annotation_id])
            self._drop_unused_tags()

    def _touch(self, annotation_id: str, **values: Any) -> Annotation:
        with self.db.atomic():
            values["updated_at"] = self._now()
            assignments = ", ".join(f"{column} = ?" for column in values)
            cursor = self.db.execute(
                f"UPDATE annotations SET {assignments} WHERE id = ?",
                [*values.values(), annotation_id],
            )
            if cursor.rowcount == 0:
                raise NotFoundError(f"no annotation with id {annotation_id}")
        return self.get_annotation(annotation_id)

    def move_annotation(
        self, annotation_id: str, start: tuple[int, int], end: tuple[int, int]
    ) -> Annotation:
        """Put an annotation on another passage of its article, keeping its tags and note.

        Args:
            annotation_id: The annotation.
            start: (block index, character offset) where the passage starts.
            end: (block index, character offset) where it ends, exclusive.

        Returns:
            The annotation as it is now (no longer orphaned).

        Raises:
            NotFoundError: If there is no such annotation.
            ValueError: If the range is empty or outside the article.
        """
        with self.db.atomic():
            annotation = self.get_annotation(annotation_id)
            anchor = self._passage_anchor(annotation.article_id, start, end)
            return self._touch(annotation_id, **self._anchor_row(anchor), orphaned=0)

    def set_color(self, annotation_id: str, color: str) -> Annotation:
        """Change an annotation's highlight colour."""
        if color not in HIGHLIGHT_COLORS:
            raise ValueError(f"unknown colour {color!r}")
        return self._touch(annotation_id, color=color)

    def set_note(self, annotation_id: str, note: str) -> Annotation:
        """Replace an annotation's note (an empty string removes it)."""
        return self._touch(annotation_id, note=note)

    def set_tags(self, annotation_id: str, tags: Iterable[str]) -> Annotation:
        """Replace an annotation's tags."""
        with self.db.atomic():
            self._touch(annotation_id)
            self.db.execute("DELETE FROM annotation_tags WHERE annotation_id = ?", [annotation_id])
            self._write_tags(annotation_id, tags)
            self._drop_unused_tags()
        return self.get_annotation(annotation_id)

    def _write_tags(self, annotation_id: str, tags: Iterable[str]) -> None:
        names = normalize_tags(tags)
        if not names:
            return
        # SQLite's NOCASE folds ASCII only: match existing tags by casefold here, so
        # "ärger" reuses an existing "Ärger" as "foo" reuses "Foo".
        existing = {
            name.casefold(): tag_id for tag_id, name in self.db.execute("SELECT id, name FROM tags")
        }
        for name in names:
            tag_id = existing.get(name.casefold())
            if tag_id is None:
                tag_id = self.db.execute("INSERT INTO tags (name) VALUES (?)", [name]).lastrowid
                existing[name.casefold()] = tag_id
            self.db.execute(
                "INSERT OR IGNORE INTO annotation_tags (annotation_id, tag_id) VALUES (?, ?)",
                [annotation_id, tag_id],
            )

    def _drop_unused_tags(self) -> None:
        self.db.execute(
            "DELETE FROM tags WHERE id NOT IN (SELECT DISTINCT tag_id FROM annotation_tags)"
        )

    def get_setting(self, name: str, default: str | None = None) -> str | None:
        """A setting kept in the library, or the default."""
        row = self.db.execute("SELECT value FROM settings WHERE name = ?", [name]).fetchone()
        return row[0] if row else default

    def set_setting(self, name: str, value: str) -> None:
        """Keep a setting in the library."""
        self.db.execute(
            "INSERT INTO settings (name, value) VALUES (?, ?) "
            "ON CONFLICT (name) DO UPDATE SET value = excluded.value",
            [name, value],
        )

    def list_tags(self) -> list[TagCount]:
        """Every tag with the number of annotations carrying it, most used first."""
        rows = self.db.execute(
            """
            SELECT t.name, count(x.annotation_id) FROM tags t
            LEFT JOIN annotation_tags x ON x.tag_id = t.id
            GROUP BY t.id ORDER BY count(x.annotation_id) DESC, t.name COLLATE NOCASE
            """
        )
        return [TagCount(name, count) for name, count in rows]

    def _tag_ids(self, name: str) -> list[int]:
        """Ids of the tags named `name`, compared case-insensitively (Unicode, not just ASCII)."""
        wanted = name.casefold()
        return [
            tag_id
            for tag_id, existing in self.db.execute("SELECT id, name FROM tags")
            if existing.casefold() == wanted
        ]

    def rename_tag(self, old: str, new: str) -> int:
        """Rename a tag on every annotation; merge it into `new` if that tag exists.

        Names are compared case-insensitively, so renaming `history` to `History` only
        changes how it is written. When another tag already has the new name (in any
        case), the two merge: every annotation of `old` gets that tag, once, keeping its
        spelling (as setting tags does), and `old` disappears. One transaction does it all.

        Args:
            old: The tag to rename.
            new: Its new name (cleaned as tags are when set: trimmed, no leading '#').

        Returns:
            How many annotations carried `old` and now carry `new`.

        Raises:
            NotFoundError: If no tag is named `old`.
            ValueError: If `new` is empty once cleaned.
        """
        names = normalize_tags([new])
        if not names:
            raise ValueError("a tag name cannot be empty")
        name = names[0]
        with self.db.atomic():
            old_names = normalize_tags([old])
            found = self._tag_ids(old_names[0]) if old_names else []
            if not found:
                raise NotFoundError(f"no tag named {old!r}")
            old_id = found[0]
            targets = [tag_id for tag_id in self._tag_ids(name) if tag_id != old_id]
            moved = [
                annotation_id
                for (annotation_id,) in self.db.execute(
                    "SELECT annotation_id FROM annotation_tags WHERE tag_id = ?", [old_id]
                )
            ]
            if targets:
                target_id = targets[0]
                self.db.execute(
                    "INSERT OR IGNORE INTO annotation_tags (annotation_id, tag_id) "
                    "SELECT annotation_id, ? FROM annotation_tags WHERE tag_id = ?",
                    [target_id, old_id],
                )
                self.db.execute("DELETE FROM annotation_tags WHERE tag_id = ?", [old_id])
                self.db.execute("DELETE FROM tags WHERE id = ?", [old_id])
            else:
                self.db.execute("UPDATE tags SET name = ? WHERE id = ?", [name, old_id])
            self.db.execute(
                "UPDATE annotations SET updated_at = ? "
                "WHERE id IN (SELECT value FROM json_each(?))",
                [self._now(), json.dumps(moved)],
            )
        return len(moved)

    # Search and library-wide lists -------------------------------------------

    _SEARCH_RANKED = """
        SELECT rowid,
            CASE WHEN rowid > 0 THEN snippet(search_fts, 0, :open, :close, :more, :tokens)
            END AS text,
            CASE WHEN rowid < 0 THEN snippet(search_fts, 2, :open, :close, :more, :tokens)
            END AS note,
            CASE WHEN rowid < 0 THEN snippet(search_fts, 3, :open, :close, :more, :tokens)
            END AS tags,
            rank
        FROM search_fts
        WHERE search_fts MATCH :query AND rank MATCH 'bm25(1.0, 0.0, 1.0, 1.0)' {only}
        ORDER BY rank LIMIT :limit
    """
    """The best matches of the search index, with snippets made for those only.

    FTS5 sorts by `rank` itself and stops at the limit, so snippets are not made for
    every match. Positive rowids are blocks, negative ones annotations. Weights are per
    column (text, exact, note, tags): an annotation's passage is not searched here, as
    the block it quotes is.
    """

    def search(
        self, query: str, *, limit: int = 100, article_id: str | None = None
    ) -> list[SearchHit]:
        """Full-text search of the articles' text, the notes and the tags, ranked together.

        Each word matches the start of a word, ignoring case and diacritics (`goita`
        finds `Goïta`, `brug` finds `brugge`; `brug*` is the same); a double-quoted
        phrase matches those words in a row. Other characters are plain text, so no
        input raises. All words must match, in one block or in one annotation's note
        and tags.

        Args:
            query: What the user typed.
            limit: The most hits to return.
            article_id: Only search this article (its text and its annotations).

        Returns:
            Hits, best (lowest bm25 score) first; none for a blank query.
        """
        expression = match_expression(query, columns=("text", "note", "tags"))
        if expression is None or limit <= 0:
            return []
        params: dict[str, Any] = {
            "query": expression,
            "limit": limit,
            "article": article_id,
            "open": SNIPPET_OPEN,
            "close": SNIPPET_CLOSE,
            "more": SNIPPET_ELLIPSIS,
            "tokens": SNIPPET_TOKENS,
        }
        if article_id is None:
            ranked = self._SEARCH_RANKED.format(only="")
        else:
            # An article's blocks are stored together, so their ids make a narrow range
            # that FTS5 can seek to, instead of ranking every match in the library.
            params["low"], params["high"] = self.db.execute(
                "SELECT min(id), max(id) FROM blocks WHERE article_id = ?", [article_id]
            ).fetchone()
            blocks = self._SEARCH_RANKED.format(
                only="AND rowid BETWEEN :low AND :high "
                "AND +rowid IN (SELECT id FROM blocks WHERE article_id = :article)"
            )
            notes = self._SEARCH_RANKED.format(
                only="AND rowid < 0 AND +rowid IN (SELECT t.id FROM annotation_texts t "
                "JOIN annotations n ON n.id = t.annotation_id WHERE n.article_id = :article)"
            )
            ranked = f"SELECT * FROM ({blocks}) UNION ALL SELECT * FROM ({notes})"
        rows = self.db.execute(
            f"""
            SELECT a.id, a.title, b.idx, n.id, n.start_block, m.text, m.note, m.tags, m.rank
            FROM ({ranked}) m
            LEFT JOIN blocks b ON b.id = m.rowid
            LEFT JOIN annotation_texts t ON t.id = m.rowid
            LEFT JOIN annotations n ON n.id = t.annotation_id
            JOIN articles a ON a.id = coalesce(b.article_id, n.article_id)
            ORDER BY m.rank, m.rowid LIMIT :limit
            """,
            params,
        )
        hits = []
        for hit_article, title, block, annotation_id, start_block, text, note, tags, score in rows:
            if annotation_id is None:
                source, raw = "text", text
            elif SNIPPET_OPEN in (note or ""):
                source, raw, block = "note", note, start_block
            else:
                source, raw, block = "tag", tags, start_block
            snippet, marks = clean_snippet(raw or "")
            hits.append(
                SearchHit(hit_article, title, block, snippet, marks, source, annotation_id, score)
            )
        return hits

    _ENTRY_ORDERS = {
        "newest": "n.created_at DESC, n.rowid DESC",
        "text": (
            "a.title COLLATE NOCASE, a.id, n.start_block, n.start_offset, "
            "n.end_block, n.end_offset, n.rowid"
        ),
    }
    """The orders of `list_annotation_entries`, by name."""

    def _entry_filter(self, tag: str | None, text: str | None) -> tuple[str, list[Any]] | None:
        """The WHERE clause and parameters for the entry filters; None if nothing can match."""
        where = ["1"]
        params: list[Any] = []
        if tag is not None and normalize_tags([tag]):
            tag_ids = self._tag_ids(normalize_tags([tag])[0])
            if not tag_ids:
                return None
            marks = ", ".join("?" * len(tag_ids))
            where.append(
                f"n.id IN (SELECT annotation_id FROM annotation_tags WHERE tag_id IN ({marks}))"
            )
            params += tag_ids
        columns = ("exact", "note", "tags")
        expression = match_expression(text, columns) if text is not None else None
        if expression is not None:
            where.append(
                "n.id IN (SELECT annotation_id FROM annotation_texts WHERE id IN ("
                "SELECT rowid FROM search_fts WHERE search_fts MATCH ? AND rowid < 0))"
            )
            params.append(expression)
        return " AND ".join(where), params

    def list_annotation_entries(
        self,
        *,
        tag: str | None = None,
        text: str | None = None,
        order: str = "newest",
        limit: int | None = None,
        offset: int = 0,
    ) -> list[AnnotationEntry]:
        """Annotations across the whole library (orphaned ones too), with their articles' titles.

        Args:
            tag: Only annotations with this tag (case-insensitive; a leading '#' is ignored).
            text: Only annotations whose passage, note or tags contain these words, each
                as the start of a word, ignoring case and diacritics (as `search` does;
                text without any letter or digit filters nothing out).
            order: `newest` (most recently made first) or `text` (by article title,
                then position in the article).
            limit: The most entries to return (all if None).
            offset: How many entries of the order to skip first, for paging.

        Returns:
            The entries in the requested order.

        Raises:
            ValueError: For an unknown order.
        """
        if order not in self._ENTRY_ORDERS:
            raise ValueError(f"unknown order {order!r}; use 'newest' or 'text'")
        found = self._entry_filter(tag, text)
        if found is None:
            return []
        where, params = found
        order_by = self._ENTRY_ORDERS[order]
        joined = "annotations n JOIN articles a ON a.id = n.article_id"
        if order == "text":
            # Walk articles by title and each one's annotations by position, both from
            # indexes, and stop at the page's end. Left to itself (no ANALYZE statistics)
            # SQLite would sort every annotation first.
            joined = "articles a CROSS JOIN annotations n ON n.article_id = a.id"
        # The page is chosen first, from the filters and the order alone, so the tag
        # names are gathered for the rows returned only, not for every match.
        # A passage may be a whole book and a note an essay: only their start is read out,
        # so a row costs the same whatever the texts' sizes. They are read as bytes
        # (enough for that many characters in any script): substr() and length() of
        # text stop at a NUL character, which article text may hold.
        size = ENTRY_TEXT_CHARS * 4
        rows = self.db.query(
            f"""
            SELECT n.id, n.article_id, n.start_block, n.color, n.orphaned, n.created_at,
                n.updated_at,
                substr(CAST(a.title AS BLOB), 1, {size}) AS article_title,
                substr(CAST(n.exact AS BLOB), 1, {size}) AS quote,
                length(CAST(n.exact AS BLOB)) AS quote_size,
                substr(CAST(n.note AS BLOB), 1, {size}) AS note,
                length(CAST(n.note AS BLOB)) AS note_size,
                {self._TAG_NAMES}
            FROM (
                SELECT n.rowid AS page_rowid
                FROM {joined}
                WHERE {where} ORDER BY {order_by} LIMIT ? OFFSET ?
            ) page
            JOIN annotations n ON n.rowid = page.page_rowid
            JOIN articles a ON a.id = n.article_id
            ORDER BY {order_by}
            """,
            [*params, -1 if limit is None else max(0, limit), max(0, offset)],
        )
        entries = []
        for row in rows:
            quote, quote_is_cut = _excerpt(row["quote"], row["quote_size"])
            note, note_is_cut = _excerpt(row["note"], row["note_size"])
            entries.append(self._entry(row, quote, quote_is_cut, note, note_is_cut))
        return entries

    @staticmethod
    def _entry(
        row: dict[str, Any], quote: str, quote_is_cut: bool, note: str, note_is_cut: bool
    ) -> AnnotationEntry:
        return AnnotationEntry(
            id=row["id"],
            article_id=row["article_id"],
            article_title=_excerpt(row["article_title"], 0)[0],
            start_block=row["start_block"],
            quote=quote,
            quote_is_cut=quote_is_cut,
            note=note,
            note_is_cut=note_is_cut,
            color=row["color"],
            tags=_tag_names(row["tag_names"]),
            orphaned=bool(row["orphaned"]),
            created_at=row["created_at"],
            updated_at=row["updated_at"],
        )

    def count_annotation_entries(self, *, tag: str | None = None, text: str | None = None) -> int:
        """How many annotations `list_annotation_entries` gives with these filters (no paging).

        Args:
            tag: As for `list_annotation_entries`.
            text: As for `list_annotation_entries`.

        Returns:
            The number of matching annotations.
        """
        found = self._entry_filter(tag, text)
        if found is None:
            return 0
        where, params = found
        return self._count(f"SELECT count(*) FROM annotations n WHERE {where}", params)

    # Restore -------------------------------------------------------------------

    def find_article_by_content(self, digest: str) -> Article | None:
        """The article whose title and text have this content hash, if any."""
        rows = list(
            self.db.query(self._ARTICLE_SELECT + " WHERE a.content_hash = ? LIMIT 1", [digest])
        )
        return self._article(rows[0]) if rows else None

    def insert_restored_article(self, article: Article, blocks: Sequence[Block]) -> None:
        """Add an article from a backup as it was: its id, timestamps and reading position.

        Args:
            article: The article (its words, block count and content hash are recomputed).
            blocks: Its text.

        Raises:
            ValueError: If an article with that id exists.
        """
        document = Document(
            article.title,
            tuple(blocks),
            article.source,
            article.date,
            article.author,
            article.tags,
            article.format,
        )
        row = self._article_row(document, content_hash(document))
        row.update(
            id=article.id,
            position=min(max(0, article.position), max(0, len(blocks) - 1)),
            opened_at=article.opened_at,
            created_at=article.created_at,
            updated_at=article.updated_at,
        )
        with self.db.atomic():
            if self.db.execute("SELECT 1 FROM articles WHERE id = ?", [article.id]).fetchone():
                raise ValueError(f"article {article.id} already exists")
            self.db.table("articles").insert(row)
            self._insert_blocks(article.id, blocks)

    def replace_restored_text(self, article: Article, document: Document, updated_at: str) -> int:
        """Give an article the newer text and details of a backup, as a re-import does.

        Its annotations are re-anchored in the new text (those that cannot be placed are
        kept and marked orphaned); the article then carries the backup's `updated_at`.

        Returns:
            How many annotations became orphaned.
        """
        with self.db.atomic():
            orphaned = self._replace_article(article, document, content_hash(document))
            self.db.execute(
                "UPDATE articles SET updated_at = ? WHERE id = ?", [updated_at, article.id]
            )
        return orphaned

    def restore_reading_state(self, article_id: str, position: int, opened_at: str) -> None:
        """Set the reading position and the time it was last opened, as a backup has them."""
        self.db.execute(
            "UPDATE articles SET position = min(max(0, ?), max(0, block_count - 1)), "
            "opened_at = ? WHERE id = ?",
            [position, opened_at, article_id],
        )

    def merge_annotation(self, annotation: Annotation) -> str:
        """Put an annotation from a backup into the library; the newer version wins.

        An unknown id is added as it is (id, anchor, tags, timestamps). A known one is
        replaced only if the given one was changed later (`updated_at`); on a tie the
        library's stays. Nothing is ever deleted, and an annotation never moves to
        another article: an id the library has on another article is left alone and
        reported as `elsewhere` (the caller decides what to do). The anchor is stored
        as given: the caller places it in the article's current text first.

        Returns:
            `added`, `updated`, `unchanged` or `elsewhere`.
        """
        row = {
            "article_id": annotation.article_id,
            **self._anchor_row(annotation.anchor),
            "color": annotation.color,
            "note": annotation.note,
            "orphaned": int(annotation.orphaned),
            "updated_at": annotation.updated_at,
        }
        with self.db.atomic():
            found = self.db.execute(
                "SELECT updated_at, article_id FROM annotations WHERE id = ?", [annotation.id]
            ).fetchone()
            if found is None:
                row.update(id=annotation.id, created_at=annotation.created_at)
                self.db.table("annotations").insert(row)
                self._write_tags(annotation.id, annotation.tags)
                return "added"
            if found[1] != annotation.article_id:
                return "elsewhere"
            if annotation.updated_at <= found[0]:
                return "unchanged"
            self.db.table("annotations").update(annotation.id, row)
            self.db.execute("DELETE FROM annotation_tags WHERE annotation_id = ?", [annotation.id])
            self._write_tags(annotation.id, annotation.tags)
            self._drop_unused_tags()
            return "updated"


def _tag_names(names: str | None) -> tuple[str, ...]:
    """Tag names selected as a JSON list (`_TAG_NAMES`)."""
    return () if not names or names == "[]" else tuple(json.loads(names))


def _excerpt(data: bytes | None, size: int | None) -> tuple[str, bool]:
    """The first `ENTRY_TEXT_CHARS` characters of UTF-8 text read as bytes, and whether
    the text (`size` bytes in all) goes on past them."""
    if not data:
        return "", False
    text = data.decode("utf-8", "ignore")[:ENTRY_TEXT_CHARS]
    return text, len(text.encode("utf-8")) < (size or 0)


def _storage_errors(method: Callable[..., Any]) -> Callable[..., Any]:
    """A store method whose `sqlite3` errors come out as `StorageError`s."""
    if inspect.isgeneratorfunction(method):

        @functools.wraps(method)
        def generate(*args: Any, **kwargs: Any) -> Generator[Any, Any, Any]:
            try:
                return (yield from method(*args, **kwargs))
            except sqlite3.Error as error:
                raise storage_error(error) from error

        return generate

    @functools.wraps(method)
    def call(*args: Any, **kwargs: Any) -> Any:
        try:
            return method(*args, **kwargs)
        except sqlite3.Error as error:
            raise storage_error(error) from error

    return call


# No driver exception leaves the store: every public method wraps them.
for _name, _member in list(vars(AnnotationStore).items()):
    if not _name.startswith("_") and inspect.isfunction(_member):
        setattr(AnnotationStore, _name, _storage_errors(_member))
del _name, _member
