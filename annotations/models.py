"""The library's domain types (documents, articles, blocks, annotations) and their written forms."""

from __future__ import annotations

import hashlib
import re
from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import dataclass, field, fields
from datetime import UTC, datetime
from enum import StrEnum

from annotations.text import one_line


class BlockKind(StrEnum):
    """The kind of a navigable block of an article."""

    PARAGRAPH = "paragraph"
    HEADING = "heading"
    LIST_ITEM = "list"
    QUOTE = "quote"
    CODE = "code"
    TABLE = "table"


HIGHLIGHT_COLORS: tuple[str, ...] = ("yellow", "green", "blue", "pink")
"""Highlight colours in the order `c` cycles through them; the first is the default."""

PLAIN_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,63}")
"""What an article or annotation id looks like (`fullmatch`): the UUIDs reader makes, or
up to 64 ASCII letters, digits, `-` and `_`, not starting with `-` or `_`. Such an id
can be typed as a command-line argument, and put in a file name or a URL as it is."""


@dataclass(frozen=True)
class Block:
    """One navigable unit of an article's text.

    Attributes:
        kind: What the block is (paragraph, heading, list item, quote, code, table).
        text: The block's text; code and tables (one line per row) keep their line
            breaks, other kinds are one line.
        level: Heading level (1-6) or list nesting depth (1-based); 0 otherwise.
    """

    kind: BlockKind
    text: str
    level: int = 0


@dataclass(frozen=True)
class ContentsEntry:
    """One entry of an article's table of contents (a book's own, or its headings).

    Attributes:
        title: The entry's label, one line.
        block: The block index where it starts.
        level: Its depth, 1 for the top (a part or book), 2 for a chapter in it, ...
    """

    title: str
    block: int
    level: int = 1


def chapter_path(contents: Sequence[ContentsEntry], block: int) -> tuple[ContentsEntry, ...]:
    """The entries a block is in: the last entry at or before it, with the entries
    above it (each the last before it at a smaller level), outermost first.

    `contents` is in reading order (blocks ascending); empty when the block comes
    before the first entry.
    """
    index = bisect_right([entry.block for entry in contents], block) - 1
    if index < 0:
        return ()
    path = [contents[index]]
    for entry in reversed(contents[:index]):
        if entry.level < path[0].level:
            path.insert(0, entry)
            if entry.level <= 1:
                break
    return tuple(path)


def heading_entry(text: str, block: int, level: int) -> ContentsEntry:
    """The contents entry of a heading block: its text on one line, its level (at least 1)."""
    return ContentsEntry(one_line(text), block, max(1, level))


def heading_contents(blocks: Sequence[Block]) -> list[ContentsEntry]:
    """The contents of a text without its own table of contents: its headings (a blank
    heading names nothing)."""
    return [
        heading_entry(block.text, index, block.level)
        for index, block in enumerate(blocks)
        if block.kind is BlockKind.HEADING and block.text.strip()
    ]


MIN_CHAPTERS = 2
"""The fewest entries of contents that name the chapters of exports and search hits."""


def chapters(contents: Sequence[ContentsEntry]) -> Sequence[ContentsEntry]:
    """Contents that name where an annotation or a search hit is: those of two entries or
    more, titled; none for a lone entry, which is most often the text's own title
    (a web page's or a Markdown file's first heading), or the one section of a short
    article: it tells nothing that the article's title does not.
    """
    titled = [entry for entry in contents if entry.title.strip()]
    return titled if len(titled) >= MIN_CHAPTERS else ()


def chapter_title(contents: Sequence[ContentsEntry], block: int) -> str | None:
    """Where a block is, as one line: `BOOK ONE: 1805 › CHAPTER I`; None before any entry."""
    path = chapter_path(contents, block)
    return " › ".join(entry.title for entry in path) if path else None


class ChapterIndex:
    """An article's `chapters`, ready to name the chapter of many of its blocks.

    `chapter_path` looks back through the contents for each block; a book's have
    hundreds of entries, and an export or a search names the chapter of hundreds of
    passages. Here each entry's parent is found once, and a block's chapter costs a
    binary search and its few levels.
    """

    def __init__(self, contents: Sequence[ContentsEntry]) -> None:
        self.entries = tuple(chapters(contents))
        self._starts = [entry.block for entry in self.entries]
        self._parents: list[int] = []
        open_levels: list[int] = []  # entries whose levels rise, the last one nearest
        for index, entry in enumerate(self.entries):
            while open_levels and self.entries[open_levels[-1]].level >= entry.level:
                open_levels.pop()
            top = entry.level <= 1 or not open_levels
            self._parents.append(-1 if top else open_levels[-1])
            open_levels.append(index)

    def __bool__(self) -> bool:
        return bool(self.entries)

    def path(self, block: int) -> tuple[ContentsEntry, ...]:
        """What `chapter_path` gives for the block, in the `chapters` of the contents."""
        index = bisect_right(self._starts, block) - 1
        path = []
        while index >= 0:
            path.append(self.entries[index])
            index = self._parents[index]
        return tuple(reversed(path))

    def title(self, block: int) -> str | None:
        """What `chapter_title` gives for the block, in the `chapters` of the contents."""
        path = self.path(block)
        return " › ".join(entry.title for entry in path) if path else None


@dataclass(frozen=True)
class Document:
    """A parsed document, ready to be stored as an article.

    Attributes:
        title: The article's title.
        blocks: The article's text as blocks, in reading order.
        source: Where it came from: an absolute path or a URL.
        date: `YYYY-MM` or `YYYY-MM-DD`, if known.
        author: The author, if known.
        tags: Tags given by the document itself (e.g. Markdown front matter).
        format: The format it was read from (`txt`, `md`, ...).
        warnings: What could not be read but did not stop the import (e.g. front
            matter that is not valid YAML, kept as text), one line each.
        contents: The document's own table of contents (an EPUB's nav or NCX), in
            reading order; empty when it has none (its headings then serve).
    """

    title: str
    blocks: tuple[Block, ...]
    source: str = ""
    date: str | None = None
    author: str | None = None
    tags: tuple[str, ...] = ()
    format: str = "txt"
    warnings: tuple[str, ...] = ()
    contents: tuple[ContentsEntry, ...] = ()


def content_hash(document: Document) -> str:
    """A hash of a document's title and text, to recognise identical content."""
    digest = hashlib.sha256()
    update = digest.update
    update(document.title.encode("utf-8", "surrogatepass"))
    marks: dict[tuple[BlockKind, int], bytes] = {}  # a book has a few kinds and levels
    for block in document.blocks:
        mark = marks.get((block.kind, block.level))
        if mark is None:
            mark = b"\x00" + f"{block.kind}:{block.level}".encode() + b"\x01"
            marks[block.kind, block.level] = mark
        update(mark)
        update(block.text.encode("utf-8", "surrogatepass"))
    return digest.hexdigest()


def format_timestamp(moment: datetime) -> str:
    """A moment as an ISO 8601 UTC timestamp with milliseconds, e.g. `2026-01-31T09:00:00.000Z`."""
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


EDITABLE_FIELDS: tuple[str, ...] = ("title", "author", "date", "tags")
"""The details of an article the reader can edit, in this order (see `Article.edited`)."""


@dataclass(frozen=True)
class Article:
    """An article stored in the library.

    Attributes:
        id: Stable UUID.
        title: Title shown in the library.
        source: Where it was imported from.
        date: Publication date as given by the document, if any.
        author: Author, if known.
        tags: Tags given by the document itself.
        format: The format it was imported from.
        words: Number of words in the text.
        block_count: Number of blocks.
        position: Block index of the reading position.
        annotation_count: Number of annotations on it.
        content_hash: Hash of the title and blocks, to spot unchanged re-imports.
        created_at: When it was first imported (ISO 8601, UTC).
        updated_at: When its text or details last changed (ISO 8601, UTC): an import of
            a new version, an edit by hand (`edit_article`), archiving (`set_archived`).
        opened_at: When it was last opened for reading, if ever.
        archived_at: When the reader archived it (finished, put away); None if not.
        edited: Which of `EDITABLE_FIELDS` the reader set by hand: a re-import of the
            same source keeps those (the reader's value wins over the file's).
    """

    id: str
    title: str
    source: str
    date: str | None
    author: str | None
    tags: tuple[str, ...]
    format: str
    words: int
    block_count: int
    position: int
    annotation_count: int
    content_hash: str
    created_at: str
    updated_at: str
    opened_at: str | None = None
    archived_at: str | None = None
    edited: tuple[str, ...] = ()

    @property
    def archived(self) -> bool:
        """Whether the reader archived it (see `archived_at`)."""
        return self.archived_at is not None

    @property
    def progress(self) -> float:
        """Reading progress from 0.0 to 1.0, from the reading position."""
        if self.block_count <= 1:
            return 1.0 if self.position > 0 else 0.0
        return min(1.0, self.position / (self.block_count - 1))


@dataclass(frozen=True)
class Anchor:
    """Where an annotation sits: a position and a quote, as in the W3C model.

    Offsets count characters within a block's text; `end_offset` is exclusive.

    Attributes:
        start_block: Block index where the passage starts.
        start_offset: Character offset in the start block.
        end_block: Block index where the passage ends.
        end_offset: Character offset in the end block (exclusive).
        exact: The passage's exact text (blocks joined with a blank line).
        prefix: Up to 32 characters of text before the passage.
        suffix: Up to 32 characters of text after the passage.
    """

    start_block: int
    start_offset: int
    end_block: int
    end_offset: int
    exact: str = ""
    prefix: str = ""
    suffix: str = ""

    def covers(self, block: int) -> bool:
        """Whether the passage touches the given block."""
        return self.start_block <= block <= self.end_block

    def span_in(self, block: int, block_length: int) -> tuple[int, int] | None:
        """The part of a block the passage covers, as (start, end) offsets.

        Args:
            block: The block index.
            block_length: Length of that block's text.

        Returns:
            The covered range, or None if the passage does not touch the block.
        """
        if not self.covers(block):
            return None
        start = self.start_offset if block == self.start_block else 0
        end = self.end_offset if block == self.end_block else block_length
        return (max(0, min(start, block_length)), max(0, min(end, block_length)))


ANCHOR_FIELDS: tuple[str, ...] = tuple(item.name for item in fields(Anchor))
"""The fields of an `Anchor` in order, four numbers then three texts: the keys of its
record (`anchor_record`), as the JSON export and the library's columns name them."""


def anchor_record(anchor: Anchor) -> dict[str, int | str]:
    """An anchor as a record: each of `ANCHOR_FIELDS` with its value, in that order."""
    return {name: getattr(anchor, name) for name in ANCHOR_FIELDS}


@dataclass(frozen=True)
class Annotation:
    """A highlight on a passage, with its colour, tags and note.

    Attributes:
        id: Stable UUID.
        article_id: The article it belongs to.
        anchor: Where it sits in the article.
        color: Highlight colour name, one of `HIGHLIGHT_COLORS`.
        note: The reader's note (may be empty).
        tags: Tag names, sorted.
        orphaned: True when its text could no longer be found after a re-import.
        created_at: When it was made (ISO 8601, UTC).
        updated_at: When the reader last changed it (ISO 8601, UTC); placing it again in
            a changed text (`anchored_at`) is not a change of the reader's.
        original: The text it was made on, when its passage's text has changed since
            (a re-import placed it on edited text, or it was moved); "" otherwise.
        anchored_at: When a re-import or a restore last placed it again in a changed
            text, moving it, changing its text or orphaning it (ISO 8601, UTC); "" if
            never.
    """

    id: str
    article_id: str
    anchor: Anchor
    color: str = HIGHLIGHT_COLORS[0]
    note: str = ""
    tags: tuple[str, ...] = field(default=())
    orphaned: bool = False
    created_at: str = ""
    updated_at: str = ""
    original: str = ""
    anchored_at: str = ""

    @property
    def changed(self) -> bool:
        """Whether its passage's text is no longer the text it was made on (`original`)."""
        return bool(self.original) and self.original != self.anchor.exact


def kept_original(original: str, old_exact: str, new_exact: str) -> str:
    """The `Annotation.original` of an annotation whose passage goes from one text to another.

    The first text is kept through any number of changes; it is dropped ("") once the
    passage holds it again.

    Args:
        original: Its `original` before ("" if its text had not changed).
        old_exact: Its passage's text before.
        new_exact: Its passage's text now.
    """
    first = original or old_exact
    return "" if first == new_exact else first


@dataclass(frozen=True)
class Tag:
    """A tag, with how many annotations and how many articles carry it.

    Attributes:
        name: The tag's name.
        count: Annotations (passages) carrying it.
        articles: Articles carrying it (an article's own tags, e.g. from front matter).
    """

    name: str
    count: int
    articles: int = 0


TagCount = Tag
"""The earlier name of `Tag`."""


@dataclass(frozen=True)
class ImportResult:
    """What storing a document did.

    Attributes:
        status: `imported`, `updated` or `unchanged`.
        article: The stored article.
        orphaned: Annotations an update could not re-anchor (orphaned by it; ones orphaned
            before and still not found are not counted).
        warnings: The document's warnings (see `Document.warnings`), to tell the user.
    """

    status: str
    article: Article
    orphaned: int = 0
    warnings: tuple[str, ...] = ()


@dataclass(frozen=True)
class SearchHit:
    """One result of a full-text search of the library.

    Attributes:
        article_id: The article the match is in.
        title: That article's title.
        block: 0-based block index of the match; for a note or tag, the annotation's
            start block.
        snippet: Plain text around the match: one line, no markers, no control
            characters, at most about 160 characters.
        marks: (start, end) of each matched term within `snippet`, end exclusive.
        source: Where it matched: `text` (the article), `note` or `tag`.
        annotation_id: The annotation whose note or tag matched; None for `text`.
        score: bm25 relevance, lower is better.
        chapter: Where `block` is in the article's contents, as one line (`BOOK ONE ›
            CHAPTER I`, see `chapter_title`); None for an article without `chapters`,
            or before their first entry.
    """

    article_id: str
    title: str
    block: int
    snippet: str
    marks: tuple[tuple[int, int], ...]
    source: str
    annotation_id: str | None
    score: float
    chapter: str | None = None


@dataclass(frozen=True)
class TrashEntry:
    """Something deleted to the trash, which can be brought back whole.

    Attributes:
        id: The entry's number in the trash.
        kind: `article` or `annotation`.
        item_id: The id of the article or annotation deleted.
        article_id: The article it belongs to (its own id for an article).
        title: The article's title when it was deleted.
        annotations: How many annotations went with it (1 for an annotation).
        deleted_at: When it was deleted (ISO 8601, UTC).
    """

    id: int
    kind: str
    item_id: str
    article_id: str
    title: str
    annotations: int
    deleted_at: str


ENTRY_TEXT_CHARS = 500
"""Characters of a passage, a note and a title that an `AnnotationEntry` holds at most.

More than a row of any terminal shows, and the same whatever the text's length.
"""


@dataclass(frozen=True)
class AnnotationEntry:
    """An annotation as a list across the whole library shows it, its long texts cut short.

    A passage may be a whole book and a note an essay, yet a row shows one line of each:
    the store reads only the first `ENTRY_TEXT_CHARS` characters of the passage, the note
    and the article's title, and whether passage and note go on. The whole annotation is
    `AnnotationStore.get_annotation(entry.id)`.

    Attributes:
        id: The annotation's id.
        article_id: The article it belongs to.
        article_title: The start of that article's title.
        start_block: Block index where the passage starts.
        quote: The start of the passage's exact text.
        quote_is_cut: Whether the passage goes on after `quote`.
        note: The start of the note (may be empty).
        note_is_cut: Whether the note goes on after `note`.
        color: Highlight colour name.
        tags: Tag names, sorted.
        orphaned: True when its text could no longer be found after a re-import.
        created_at: When it was made (ISO 8601, UTC).
        updated_at: When it last changed (ISO 8601, UTC).
        changed: Whether its passage's text changed since it was made (see
            `Annotation.changed`).
    """

    id: str
    article_id: str
    article_title: str
    start_block: int
    quote: str
    quote_is_cut: bool = False
    note: str = ""
    note_is_cut: bool = False
    color: str = HIGHLIGHT_COLORS[0]
    tags: tuple[str, ...] = field(default=())
    orphaned: bool = False
    created_at: str = ""
    updated_at: str = ""
    changed: bool = False
