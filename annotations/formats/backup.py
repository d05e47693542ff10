"""Reading and checking a JSON export (a backup) completely, without touching any library."""

from __future__ import annotations

import json
import os
import stat
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, BinaryIO, cast

from annotations import guard
from annotations.errors import BadInputError
from annotations.formats.interchange import FORMAT_NAME, FORMAT_VERSION
from annotations.models import (
    ANCHOR_FIELDS,
    EDITABLE_FIELDS,
    HIGHLIGHT_COLORS,
    PLAIN_ID,
    Anchor,
    Annotation,
    Article,
    Block,
    BlockKind,
    ContentsEntry,
    Document,
    content_hash,
    format_timestamp,
    heading_contents,
)


class RestoreError(BadInputError):
    """A file that cannot be restored; the message is one line for the user."""


MAX_BACKUP_MB = 256
"""The largest JSON export, in megabytes (10**6 bytes), that `read_backup` reads unless
given another limit. The whole file is checked before anything is written, so it is
held in memory, parsed, at once: about three times its size for English text, more for
other scripts. A larger file is refused before any of it is read."""


class BackupTooLarge(RestoreError):
    """A JSON export over the size limit, refused before it was read.

    Attributes:
        size: Its size in bytes, or None if unknown (a pipe's).
        limit: The limit in bytes.
    """

    def __init__(self, size: int | None, limit: int) -> None:
        over = f"over the {_megabytes(limit)} MB limit of a restore"
        super().__init__(
            (f"is {_megabytes(size)} MB, {over}" if size is not None else f"is {over}")
            + " (checking it takes several times its size in memory)"
        )
        self.size = size
        self.limit = limit


def _read_at_most(file: BinaryIO, limit: int) -> bytes:
    """What a pipe or a device gives, up to one byte over `limit` (whose size is unknown)."""
    data = bytearray()
    while len(data) <= limit:
        chunk = file.read(min(1 << 20, limit + 1 - len(data)))
        if not chunk:
            break
        data += chunk
    return bytes(data)


def _megabytes(size: int) -> str:
    """A size in megabytes, rounded up, so that a size just over a limit never reads as it."""
    return f"{-(-size // 1_000_000):,}"


MAX_NUMBER = 2**31 - 1
"""The largest block index, offset, level or reading position a backup may hold.

No text that reader can hold has more blocks or characters than this, and SQLite
stores whole numbers in 64 bits: a larger number is a damaged or hand-made file."""


@dataclass(frozen=True)
class BackupArticle:
    """One article of a backup, checked.

    Attributes:
        article: The article's details (its content hash is computed from its text).
        blocks: Its text.
        annotations: Its annotations, anchored in that text.
        contents: Its own table of contents (a book's), empty when its headings serve.
    """

    article: Article
    blocks: tuple[Block, ...]
    annotations: tuple[Annotation, ...]
    contents: tuple[ContentsEntry, ...] = ()

    @property
    def document(self) -> Document:
        """The article's title, text and details as a document, as an import gives them."""
        article = self.article
        return Document(
            article.title,
            self.blocks,
            article.source,
            article.date,
            article.author,
            article.tags,
            article.format,
            contents=self.contents,
        )


@dataclass(frozen=True)
class Backup:
    """A checked JSON export.

    Attributes:
        exported: When it was made.
        articles: Its articles.
    """

    exported: str
    articles: tuple[BackupArticle, ...]


def read_backup(path: Path, *, max_mb: int | None = None) -> Backup:
    """Read and check a JSON export completely, without touching any library.

    Args:
        path: The file.
        max_mb: The largest file to read, in megabytes; `MAX_BACKUP_MB` if None.

    Raises:
        BackupTooLarge: If the file is larger than that (nothing of it was read).
        RestoreError: With a one-line reason (the caller adds the file name).
    """
    limit = (MAX_BACKUP_MB if max_mb is None else max_mb) * 1_000_000
    if guard.is_open_library(path):
        raise RestoreError("is the library file itself, not a JSON export")
    try:
        with path.open("rb") as file:
            status = os.fstat(file.fileno())
            if status.st_size > limit:
                raise BackupTooLarge(status.st_size, limit)
            raw = file.read() if stat.S_ISREG(status.st_mode) else _read_at_most(file, limit)
    except FileNotFoundError:
        raise RestoreError("no such file") from None
    except IsADirectoryError:
        raise RestoreError("is a folder, not a JSON export") from None
    except OSError as error:
        raise RestoreError(f"cannot read it: {error.strerror or error}") from None
    if len(raw) > limit:  # a pipe, or a file that grew since
        raise BackupTooLarge(None, limit)
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise RestoreError("not a JSON export (not UTF-8 text)") from None
    del raw  # each copy of the file let go as soon as the next is made
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        raise RestoreError(
            f"not a JSON export (invalid JSON at line {error.lineno} column {error.colno})"
        ) from None
    except ValueError:
        # Python refuses to read a number of thousands of digits (int_max_str_digits).
        raise RestoreError("not a JSON export (a number far too long)") from None
    except RecursionError:
        raise RestoreError("not a JSON export (nested too deeply)") from None
    del text
    return parse_backup(data)


def parse_backup(data: object) -> Backup:
    """Check a parsed JSON export and turn it into a `Backup`.

    Raises:
        RestoreError: With a one-line reason naming the first problem found.
    """
    if not isinstance(data, dict) or data.get("format") != FORMAT_NAME:
        raise RestoreError(f'not a reader JSON export (no "format": "{FORMAT_NAME}")')
    version = data.get("version")
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise RestoreError(f"unknown export version {version!r}")
    if version > FORMAT_VERSION:
        raise RestoreError(
            f"written by a newer version of reader (export version {version}; "
            f"this one reads up to {FORMAT_VERSION}); upgrade reader to restore it"
        )
    fields = _Fields(data, "the export")
    exported = fields.timestamp("exported")
    items = fields.list("articles")
    articles = []
    article_ids: set[str] = set()
    annotation_ids: set[str] = set()
    for number, item in enumerate(items, 1):
        article = _parse_article(item, number)
        if article.article.id in article_ids:
            raise RestoreError(f"article {number}: id {article.article.id} appears twice")
        article_ids.add(article.article.id)
        for annotation in article.annotations:
            if annotation.id in annotation_ids:
                raise RestoreError(f"article {number}: annotation id {annotation.id} appears twice")
            annotation_ids.add(annotation.id)
        articles.append(article)
    return Backup(exported, tuple(articles))


class _Fields:
    """Typed access to the fields of one JSON object, with one-line errors naming it."""

    def __init__(self, value: object, where: str) -> None:
        if not isinstance(value, dict):
            raise RestoreError(f"{where} is not a JSON object")
        self.value: Mapping[str, Any] = value
        self.where = where

    def get(self, name: str, check: Callable[[Any], bool], kind: str) -> Any:
        """A field's value, which must be present and pass the check (`kind` names it)."""
        if name not in self.value:
            raise RestoreError(f'{self.where}: field "{name}" is missing')
        value = self.value[name]
        if not check(value):
            raise RestoreError(f'{self.where}: field "{name}" is not {kind}')
        return value

    def text(self, name: str, *, optional: bool = False, nonempty: bool = False) -> Any:
        """A text field; None allowed if optional, blank refused if nonempty."""

        def check(value: Any) -> bool:
            if value is None:
                return optional
            return _is_text(value) and (bool(value.strip()) or not nonempty)

        kind = "a text" + (" or null" if optional else "") + (" (not empty)" if nonempty else "")
        return self.get(name, check, kind)

    def integer(self, name: str) -> int:
        """A whole number from 0 to `MAX_NUMBER` (not a boolean, not a fraction)."""

        def check(value: Any) -> bool:
            return type(value) is int and 0 <= value <= MAX_NUMBER

        return cast(int, self.get(name, check, f"a whole number from 0 to {MAX_NUMBER}"))

    def boolean(self, name: str) -> bool:
        """A true or false field."""
        return cast(bool, self.get(name, lambda value: isinstance(value, bool), "true or false"))

    def list(self, name: str) -> list[Any]:
        """A list field (its items are checked by the caller)."""
        return cast(list[Any], self.get(name, lambda value: isinstance(value, list), "a list"))

    def texts(self, name: str) -> tuple[str, ...]:
        """A list of texts."""

        def check(value: Any) -> bool:
            return isinstance(value, list) and all(_is_text(item) for item in value)

        return tuple(self.get(name, check, "a list of texts"))

    def identifier(self) -> str:
        """The `id` field: a plain id (`PLAIN_ID`), as reader makes them.

        Any other is refused rather than restored: ids are typed as command-line
        arguments (`reader open ID`), written into Obsidian block ids, W3C URNs and, in
        part, file names, and an id holding `/`, `..`, NUL or a thousand characters
        is a damaged or hand-made file, never one reader wrote.
        """
        value = self.text("id", nonempty=True)
        if PLAIN_ID.fullmatch(value) is None:
            shown = repr(value[:40]) + ("..." if len(value) > 40 else "")
            raise RestoreError(
                f"{self.where}: id {shown} is not one reader makes "
                "(1 to 64 letters, digits, - or _)"
            )
        return str(value)

    def timestamp(self, name: str, *, optional: bool = False, missing: bool = False) -> Any:
        """An ISO 8601 date and time, written back in the library's own form (UTC, ms).

        With `missing`, a field that is not there is None (a field added to the export
        later, which older exports lack).
        """
        if missing and name not in self.value:
            return None
        value = self.text(name, optional=optional)
        if value is None:
            return None
        try:
            moment = datetime.fromisoformat(value)
        except ValueError:
            raise RestoreError(f'{self.where}: field "{name}" is not a date and time') from None
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
        return format_timestamp(moment)


def _is_text(value: object) -> bool:
    """Whether a value is text that can be stored: a string that is valid Unicode.

    JSON's `\\ud800` escapes give strings with unpaired surrogates, which no UTF-8
    file or database can hold.
    """
    if not isinstance(value, str):
        return False
    if value.isascii():
        return True
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


_KINDS = {kind.value: kind for kind in BlockKind}


def _parse_article(item: object, number: int) -> BackupArticle:
    fields = _Fields(item, f"article {number}")
    article_id = fields.identifier()
    where = f"article {number} ({article_id})"
    fields.where = where
    blocks = tuple(
        _parse_block(block, f"{where}, block {index}")
        for index, block in enumerate(fields.list("blocks"), 1)
    )
    annotations = tuple(
        _parse_annotation(annotation, article_id, f"{where}, annotation {index}")
        for index, annotation in enumerate(fields.list("annotations"), 1)
    )
    contents = _parse_contents(fields, len(blocks), where)
    if list(contents) == heading_contents(blocks):
        contents = ()  # the headings' own: the library finds them in the text itself
    title = fields.text("title")
    document = Document(
        title,
        blocks,
        fields.text("source"),
        fields.text("date", optional=True),
        fields.text("author", optional=True),
        fields.texts("tags"),
        fields.text("format"),
    )
    article = Article(
        id=article_id,
        title=title,
        source=document.source,
        date=document.date,
        author=document.author,
        tags=document.tags,
        format=document.format,
        words=sum(len(block.text.split()) for block in blocks),
        block_count=len(blocks),
        position=fields.integer("position"),
        annotation_count=len(annotations),
        content_hash=content_hash(document),
        created_at=fields.timestamp("created_at"),
        updated_at=fields.timestamp("updated_at"),
        opened_at=fields.timestamp("opened_at", optional=True),
        archived_at=fields.timestamp("archived_at", optional=True, missing=True),
        edited=_parse_edited(fields),
    )
    return BackupArticle(article, blocks, annotations, contents)


def _parse_contents(fields: _Fields, total: int, where: str) -> tuple[ContentsEntry, ...]:
    """An article's table of contents (none in exports made before they were written).

    Each entry is an object with a `title` (not blank), the `block` where it starts
    (within the article's text) and its `level` (1 for the top).
    """
    if "contents" not in fields.value:
        return ()
    entries = []
    for index, item in enumerate(fields.list("contents"), 1):
        entry = _Fields(item, f"{where}, contents entry {index}")
        title = entry.text("title", nonempty=True)
        block = entry.integer("block")
        if block >= total:
            raise RestoreError(
                f"{entry.where}: block {block} is past the end of the text ({total} blocks)"
            )
        level = entry.integer("level")
        if level < 1:
            raise RestoreError(
                f'{entry.where}: field "level" is not a whole number from 1 to {MAX_NUMBER}'
            )
        entries.append(ContentsEntry(title, block, level))
    return tuple(entries)


def _parse_edited(fields: _Fields) -> tuple[str, ...]:
    """The details of an article edited by hand (none in exports made before they could be)."""
    if "edited" not in fields.value:
        return ()
    edited = fields.texts("edited")
    for name in edited:
        if name not in EDITABLE_FIELDS:
            raise RestoreError(
                f'{fields.where}: field "edited" names {name!r}, '
                f"not one of {', '.join(EDITABLE_FIELDS)}"
            )
    return tuple(name for name in EDITABLE_FIELDS if name in edited)


def _parse_block(item: object, where: str) -> Block:
    fields = _Fields(item, where)
    kind = fields.text("kind")
    if kind not in _KINDS:
        raise RestoreError(f"{where}: unknown kind {kind!r}")
    return Block(_KINDS[kind], fields.text("text"), fields.integer("level"))


def _parse_anchor(fields: _Fields) -> Anchor:
    """An anchor's record: its first four fields whole numbers, the others texts."""
    values: list[Any] = [fields.integer(name) for name in ANCHOR_FIELDS[:4]]
    values += [fields.text(name) for name in ANCHOR_FIELDS[4:]]
    return Anchor(*values)


def _parse_annotation(item: object, article_id: str, where: str) -> Annotation:
    fields = _Fields(item, where)
    annotation_id = fields.identifier()
    anchor = _Fields(
        fields.get("anchor", lambda value: isinstance(value, dict), "an object"), where
    )
    color = fields.text("color")
    if color not in HIGHLIGHT_COLORS:
        raise RestoreError(f"{where}: unknown colour {color!r}")
    parsed_anchor = _parse_anchor(anchor)
    # Exports made before the quote's history was kept have neither field.
    original = fields.text("original", optional=True) if "original" in fields.value else None
    return Annotation(
        id=annotation_id,
        article_id=article_id,
        anchor=parsed_anchor,
        color=color,
        note=fields.text("note"),
        tags=fields.texts("tags"),
        orphaned=fields.boolean("orphaned"),
        created_at=fields.timestamp("created_at"),
        updated_at=fields.timestamp("updated_at"),
        original="" if original in (None, parsed_anchor.exact) else original,
        anchored_at=fields.timestamp("anchored_at", optional=True, missing=True) or "",
    )


__all__ = [
    "MAX_BACKUP_MB",
    "Backup",
    "BackupArticle",
    "BackupTooLarge",
    "RestoreError",
    "parse_backup",
    "read_backup",
]
