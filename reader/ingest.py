"""Reading files into documents: decoding, plain text and Markdown parsing."""

from __future__ import annotations

import codecs
import datetime
import functools
import os
import re
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from annotations import decoding, guard
from annotations.errors import BadInputError
from annotations.models import Block, BlockKind, Document
from reader.front_matter import Meta, split_front_matter
from reader.sentences import first_sentence

TEXT_SUFFIXES = {".txt", ".text"}
MARKDOWN_SUFFIXES = {".md", ".markdown", ".mdown", ".mkd"}
HTML_SUFFIXES = {".html", ".htm", ".xhtml"}
IMPORTABLE_SUFFIXES = TEXT_SUFFIXES | MARKDOWN_SUFFIXES | HTML_SUFFIXES
TABLE_SEPARATOR = " │ "
"""Between the cells of a table row (tables are one line per row)."""
MAX_TITLE = 120
"""Titles are shorter than this many characters."""

_DATE_TOKEN = re.compile(r"\A\s*date\s+(\d{4}-\d{2}(?:-\d{2})?)(?![\d-])[ \t]*(?:\r?\n)?")
_BLANK_LINE = re.compile(r"\n[ \t\f\v]*\n")
_BYLINE = re.compile(r"^(?:by|door|von|par|por|di)\s+(\S.{0,78})$", re.IGNORECASE)
if TYPE_CHECKING:
    from markdown_it import MarkdownIt
    from markdown_it.token import Token

    from annotations.models import ImportResult
    from annotations.store import AnnotationStore


class ImportFailure(BadInputError):
    """A file that cannot be imported; the message is a one-line reason."""


# Decoding ------------------------------------------------------------------


def decode_bytes(data: bytes) -> str:
    """Decode a text file's bytes (see `annotations.decoding.decode_text`).

    Raises:
        ImportFailure: For binary data (NUL bytes without a BOM, not UTF-16).
    """
    try:
        return decoding.decode_text(data)
    except decoding.NotTextError as error:
        raise ImportFailure(str(error)) from None


def normalize_newlines(text: str) -> str:
    """CRLF and CR line endings as LF."""
    return text.replace("\r\n", "\n").replace("\r", "\n")


def valid_date(text: str) -> bool:
    """Whether `YYYY-MM` or `YYYY-MM-DD` names a real month or day."""
    try:
        datetime.date.fromisoformat(text if len(text) == 10 else f"{text}-01")
    except ValueError:
        return False
    return True


# Sentences and titles -------------------------------------------------------


def shorten(text: str, limit: int = MAX_TITLE - 1) -> str:
    """Cut a text at a word boundary to fit a limit, marking the cut with an ellipsis."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    cut = text[: limit - 1].rsplit(" ", 1)[0] if " " in text[: limit - 1] else text[: limit - 1]
    return cut.rstrip(" ,;:-") + "…"


def title_from_text(text: str) -> str:
    """A title taken from the first sentence of a text, never a whole long paragraph."""
    return shorten(first_sentence(text)) or "Untitled"


# Plain text -------------------------------------------------------------------


def _join_lines(lines: list[str]) -> str:
    """Join a hard-wrapped paragraph's lines into one line."""
    out = ""
    for raw in lines:
        line = " ".join(raw.split())
        if not line:
            continue
        if out.endswith("-") and len(out) > 1 and out[-2].isalpha() and line[:1].islower():
            out += line
        else:
            out = f"{out} {line}" if out else line
    return out


def _split_paragraphs(text: str) -> list[list[str]]:
    """Split text into paragraphs, each a list of its lines."""
    chunks = [chunk for chunk in _BLANK_LINE.split(text) if chunk.strip()]
    if len(chunks) == 1:
        lines = [line for line in chunks[0].split("\n") if line.strip()]
        # No blank lines at all: one paragraph per line when lines are long
        # (one line per paragraph), or per indented line in a hard-wrapped book.
        if len(lines) > 1 and sum(len(line) > 100 for line in lines) > len(lines) / 2:
            return [[line] for line in lines]
        if len(lines) > 2 and sum(line[:1] in " \t" for line in lines[1:]) >= 2:
            paragraphs: list[list[str]] = []
            for line in lines:
                if not paragraphs or line[:1] in " \t":
                    paragraphs.append([line])
                else:
                    paragraphs[-1].append(line)
            return paragraphs
    # Whitespace-only lines (e.g. a blank line left by a removed date token) are
    # not part of a paragraph, so a title line after them still stands alone.
    return [[line for line in chunk.split("\n") if line.strip()] for chunk in chunks]


def _is_heading_line(lines: list[str], text: str) -> bool:
    return (
        len(lines) == 1
        and len(text) <= 70
        and len(text.split()) <= 9
        and any(ch.isalpha() for ch in text)
        and not re.search(r"[.,;:!?…\"'”’»)\]]$", text)
    )


def parse_text(text: str, source: str = "") -> Document:
    """Parse plain text into a document.

    Paragraphs are separated by blank lines, and single line breaks inside a
    paragraph are joined. A leading `date YYYY-MM[-DD]` token sets the date. A
    first line that stands alone, is short and has no final period is the title;
    otherwise the title is the first sentence. Short standalone lines without
    final punctuation become headings (chapter titles).

    Args:
        text: The decoded text.
        source: Where it came from.

    Raises:
        ImportFailure: If there is no text.
    """
    text = normalize_newlines(text).lstrip("\ufeff")
    date = None
    match = _DATE_TOKEN.match(text)
    if match and valid_date(match.group(1)):
        date = match.group(1)
        text = text[match.end() :]
    paragraphs = [(lines, _join_lines(lines)) for lines in _split_paragraphs(text)]
    paragraphs = [(lines, joined) for lines, joined in paragraphs if joined]
    if not paragraphs:
        raise ImportFailure("empty file, no text to read")
    title = None
    author = None
    first_lines, first = paragraphs[0]
    if (
        len(paragraphs) > 1
        and len(first_lines) == 1
        and len(first) < MAX_TITLE
        and not first.endswith(".")
    ):
        title = first
        paragraphs = paragraphs[1:]
        byline = _BYLINE.match(paragraphs[0][1]) if len(paragraphs[0][0]) == 1 else None
        if byline and len(paragraphs) > 1:
            author = byline.group(1).strip()
            paragraphs = paragraphs[1:]
    blocks = []
    for index, (lines, joined) in enumerate(paragraphs):
        is_heading = index + 1 < len(paragraphs) and _is_heading_line(lines, joined)
        kind = BlockKind.HEADING if is_heading else BlockKind.PARAGRAPH
        blocks.append(Block(kind, joined, 2 if is_heading else 0))
    if title is None:
        title = title_from_text(blocks[0].text)
    return Document(
        title=title, blocks=tuple(blocks), source=source, date=date, author=author, format="txt"
    )


# Markdown -------------------------------------------------------------------------


def _inline_text(token: Token) -> str:
    parts: list[str] = []
    for child in token.children or []:
        if child.type in ("text", "code_inline"):
            parts.append(child.content)
        elif child.type in ("softbreak", "hardbreak"):
            parts.append(" ")
        elif child.type == "image":
            parts.append(child.content or "")
    return " ".join("".join(parts).split())


def _meta_text(meta: Meta, key: str) -> str | None:
    value = meta.get(key)
    if isinstance(value, list):
        value = ", ".join(value)
    return value.strip() or None if value else None


def _meta_date(meta: Meta) -> str | None:
    value = _meta_text(meta, "date")
    match = re.match(r"^(\d{4}-\d{2}(?:-\d{2})?)", value or "")
    return match.group(1) if match and valid_date(match.group(1)) else None


@functools.cache
def _markdown_parser() -> MarkdownIt:
    """The CommonMark parser with tables, built once (building it costs more than a parse)."""
    from markdown_it import MarkdownIt

    return MarkdownIt("commonmark").enable("table")


def parse_markdown(text: str, source: str = "") -> Document:
    """Parse Markdown into a document with blocks of their kind.

    Front matter (`title`, `date`, `tags`, `author`, `source`) is honoured; front matter
    that cannot be read is the first block, as code, and the document's warning.
    Headings, paragraphs, list items, quotes, code blocks and tables become blocks;
    code keeps its line breaks, a table is one line per row. Without a front matter
    title, a leading `# Heading` is the title, else the first sentence.

    Raises:
        ImportFailure: If there is no text.
    """
    front, body = split_front_matter(normalize_newlines(text).lstrip("\ufeff"))
    meta = front.meta
    tokens = _markdown_parser().parse(body)
    blocks: list[Block] = []
    quote_depth = 0
    lists: list[list[int]] = []  # per open list: [ordered flag, next number]
    item_fresh = False
    heading_level = 0
    table_rows: list[str] | None = None
    row: list[str] = []
    for token in tokens:
        kind = token.type
        if kind == "blockquote_open":
            quote_depth += 1
        elif kind == "blockquote_close":
            quote_depth -= 1
        elif kind in ("bullet_list_open", "ordered_list_open"):
            start = int(token.attrGet("start") or 1) if kind == "ordered_list_open" else 0
            lists.append([kind == "ordered_list_open", start])
        elif kind in ("bullet_list_close", "ordered_list_close"):
            lists.pop()
        elif kind == "list_item_open":
            item_fresh = True
        elif kind == "heading_open":
            heading_level = int(token.tag[1:])
        elif kind == "table_open":
            table_rows = []
        elif kind == "tr_open":
            row = []
        elif kind == "tr_close" and table_rows is not None:
            table_rows.append(TABLE_SEPARATOR.join(row))
        elif kind == "table_close" and table_rows is not None:
            blocks.append(Block(BlockKind.TABLE, "\n".join(table_rows)))
            table_rows = None
        elif kind == "inline":
            content = _inline_text(token)
            if table_rows is not None:
                row.append(content)
            elif not content:
                continue
            elif heading_level:
                blocks.append(Block(BlockKind.HEADING, content, heading_level))
            elif lists and item_fresh:
                ordered, number = lists[-1]
                if ordered:
                    content = f"{number}. {content}"
                    lists[-1][1] += 1
                blocks.append(Block(BlockKind.LIST_ITEM, content, len(lists)))
                item_fresh = False
            elif quote_depth:
                blocks.append(Block(BlockKind.QUOTE, content, quote_depth))
            else:
                blocks.append(Block(BlockKind.PARAGRAPH, content, len(lists)))
        elif kind == "heading_close":
            heading_level = 0
        elif kind in ("fence", "code_block"):
            code = token.content.rstrip("\n")
            if code.strip():
                blocks.append(Block(BlockKind.CODE, code))
        elif kind == "html_block":
            stripped = " ".join(
                re.sub(r"<!--.*?-->|<[^>]+>", " ", token.content, flags=re.S).split()
            )
            if stripped:
                blocks.append(Block(BlockKind.PARAGRAPH, stripped))
    title = _meta_text(meta, "title")
    leading_h1 = len(blocks) > 1 and blocks[0].kind == BlockKind.HEADING and blocks[0].level == 1
    if leading_h1 and title in (None, blocks[0].text):
        title = blocks[0].text
        blocks = blocks[1:]
    if front.text:
        # Unreadable front matter is shown as written rather than lost; the title still
        # comes from the text after it, if there is any.
        if title is None and blocks:
            title = title_from_text(blocks[0].text)
        blocks.insert(0, Block(BlockKind.CODE, front.text))
    if not blocks:
        raise ImportFailure("empty file, no text to read")
    if title is None:
        title = title_from_text(blocks[0].text)
    tags = meta.get("tags", [])
    if isinstance(tags, str):
        tags = re.split(r"[,\s]+", tags)
    return Document(
        title=shorten(title, 300),
        blocks=tuple(blocks),
        source=_meta_text(meta, "source") or source,
        date=_meta_date(meta),
        author=" ".join(author.split()) if (author := _meta_text(meta, "author")) else None,
        tags=tuple(tag for tag in (tag.strip() for tag in tags) if tag),
        format="md",
        warnings=(front.problem,) if front.problem else (),
    )


# Files ----------------------------------------------------------------------------


def _looks_like_markdown(text: str) -> bool:
    head = text.lstrip("\ufeff")[:4000]
    return head.startswith("---\n") or bool(re.search(r"^(#{1,6} |```|\* |- )", head, re.M))


def _looks_like_html(text: str) -> bool:
    head = text.lstrip("\ufeff \t\r\n")[:1000].lower()
    return head.startswith(("<!doctype html", "<html")) or bool(
        re.search(r"<(?:html|head|body)[\s>]", head)
    )


def _read(path: Path) -> bytes:
    """A file's bytes, with a one-line reason if it cannot be read or is empty."""
    if guard.is_open_library(path):
        # Reading it with open() would drop this process's locks on the library.
        raise ImportFailure("is the library file itself, not a document")
    if path.exists() and not path.is_file() and not path.is_dir():
        # Reading a pipe would wait for a writer forever; a device may never end.
        raise ImportFailure("not a regular file (a pipe, socket or device)")
    try:
        data = path.read_bytes()
    except IsADirectoryError:
        raise ImportFailure("is a folder") from None
    except OSError as error:
        raise ImportFailure(f"cannot read: {error.strerror or error}") from None
    if not data.strip():
        raise ImportFailure("empty file, no text to read")
    return data


def load_document(path: Path) -> Document:
    """Read a file into a document, by its extension, then by sniffing its content.

    Raises:
        ImportFailure: With a one-line reason when the file cannot be imported.
    """
    suffix = path.suffix.lower()
    data = _read(path)
    source = str(path.resolve())
    if suffix in HTML_SUFFIXES:
        from reader.web import parse_html

        return parse_html(data, source)
    text = decode_bytes(data)
    if not text.strip():
        raise ImportFailure("empty file, no text to read")
    if suffix in MARKDOWN_SUFFIXES:
        return parse_markdown(text, source)
    if suffix in TEXT_SUFFIXES:
        return parse_text(text, source)
    if suffix and not suffix[1:].isalnum():
        raise ImportFailure(f"unsupported file type {suffix}")
    if _looks_like_html(text):
        from reader.web import parse_html

        return parse_html(data, source)
    if _looks_like_markdown(text):
        return parse_markdown(text, source)
    if suffix:
        raise ImportFailure(f"unsupported file type {suffix}")
    return parse_text(text, source)


def iter_files(paths: Iterable[Path]) -> Iterator[Path]:
    """The files to import: given files as they are, folders walked recursively.

    Inside folders only text, Markdown and HTML files, Kindle clippings and highlights
    CSV files are taken; hidden files and folders, binary files and other files are
    skipped, and symlinked folders are not followed (no loops). A subfolder that cannot
    be read is yielded itself, so that importing it reports why.
    """
    for path in paths:
        if not path.is_dir():
            yield path
            continue
        unreadable: list[OSError] = []
        for root, dirs, files in os.walk(path, onerror=unreadable.append):
            while unreadable:
                failed = unreadable.pop(0).filename
                if failed:
                    yield Path(failed)
            dirs[:] = sorted(name for name in dirs if not name.startswith("."))
            for name in sorted(files):
                candidate = Path(root) / name
                if not name.startswith(".") and _wanted_in_folder(candidate):
                    yield candidate
        for error in unreadable:
            if error.filename:
                yield Path(error.filename)


FOLDER_SUFFIXES = TEXT_SUFFIXES | MARKDOWN_SUFFIXES | {".html", ".htm"}
"""The document types taken from folders (besides highlights CSV files)."""
_UNICODE_BOMS = (codecs.BOM_UTF8, codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)


def _read_head(path: Path) -> bytes:
    """The first bytes of a file, enough to recognise its kind."""
    from annotations.highlights import SNIFF_BYTES

    if guard.is_open_library(path):
        # Never read with open(): closing it would drop this process's library locks.
        raise PermissionError(f"{path} is the library file")
    with path.open("rb") as handle:
        return handle.read(SNIFF_BYTES)


def highlights_kind(path: Path) -> str | None:
    """`kindle` or `readwise` for a file of another tool's highlights, else None.

    Unreadable files are None: reading them for real reports why.
    """
    from annotations.highlights import sniff

    suffix = path.suffix.lower()
    if suffix not in (".csv", ".txt", "") or not path.is_file():
        return None
    try:
        return sniff(path, _read_head(path))
    except OSError:
        return None


def _folder_problem(path: Path) -> str:
    """Why a folder was handed over as a file: it is a folder, or cannot be read."""
    try:
        with os.scandir(path):
            pass
    except OSError as error:
        return f"cannot read folder: {error.strerror or error}"
    return "is a folder"


def _wanted_in_folder(path: Path) -> bool:
    """Whether a file found in a folder is one to import (binary files are not)."""
    suffix = path.suffix.lower()
    if suffix not in FOLDER_SUFFIXES and suffix != ".csv":
        return False
    try:
        if not path.is_file():
            return False  # a socket, a pipe, a device or a dangling link
        head = _read_head(path)
    except OSError:
        return True  # unreadable: importing it reports why
    if suffix == ".csv":
        return highlights_kind(path) is not None
    return b"\x00" not in head or head.startswith(_UNICODE_BOMS)


@dataclass
class ImportSummary:
    """Counts and failures of an import batch."""

    imported: int = 0
    updated: int = 0
    unchanged: int = 0
    failures: list[tuple[str, str]] = field(default_factory=list)
    article_ids: list[str] = field(default_factory=list)
    warnings: list[tuple[str, str]] = field(default_factory=list)
    """Files imported with a part that could not be read, and what (one line each)."""

    @property
    def failed(self) -> int:
        """How many files failed."""
        return len(self.failures)

    def add(self, item: Path | str, result: ImportResult) -> None:
        """Count an article stored from an item (a file or URL), and keep its warnings."""
        setattr(self, result.status, getattr(self, result.status) + 1)
        self.article_ids.append(result.article.id)
        self.warnings.extend((str(item), warning) for warning in result.warnings)

    def line(self) -> str:
        """The summary line: `imported N, updated N, unchanged N, failed N`."""
        return (
            f"imported {self.imported}, updated {self.updated}, "
            f"unchanged {self.unchanged}, failed {self.failed}"
        )


def is_url(text: str) -> bool:
    """Whether an import argument is a web address rather than a path."""
    return text.lower().startswith(("http://", "https://"))


def import_item(store: AnnotationStore, item: Path | str) -> list[ImportResult]:
    """Import one file or URL, in its own transaction(s).

    Args:
        store: The `AnnotationStore` to import into.
        item: A file path, or a URL as a string.

    Returns:
        One result per article stored (a file of highlights can hold several books).

    Raises:
        ImportFailure: With a one-line reason when it cannot be imported.
    """
    if isinstance(item, str):
        from reader.web import load_url

        return [store.import_document(load_url(item))]
    if item.is_dir():
        raise ImportFailure(_folder_problem(item))
    highlights = highlights_kind(item)
    if highlights is None and item.suffix.lower() == ".csv":
        raise ImportFailure("unsupported file type .csv (not a Kindle or Readwise highlights file)")
    if highlights is not None:
        from annotations.highlights import HighlightsError, import_highlights

        try:
            return import_highlights(store, item, highlights)
        except HighlightsError as error:
            raise ImportFailure(str(error)) from None
    return [store.import_document(load_document(item))]


BATCH_FILES = 200
"""Documents `import_files` reads before storing them together, in one transaction..."""
BATCH_CHARACTERS = 8_000_000
"""...or fewer, once they hold this much text (memory stays flat)..."""
BATCH_SECONDS = 0.5
"""...or once the first of them has waited this long (so the import shows up as it goes)."""


class _Pending:
    """Documents read and parsed, waiting to be stored in the library together."""

    def __init__(self, store: AnnotationStore, summary: ImportSummary) -> None:
        self.store = store
        self.summary = summary
        self.documents: list[tuple[Path | str, Document]] = []
        self.characters = 0
        self.since = 0.0

    def add(self, item: Path | str, document: Document) -> None:
        """Queue a document read from an item; store the queue when it is full."""
        if not self.documents:
            self.since = time.monotonic()
        self.documents.append((item, document))
        self.characters += sum(len(block.text) for block in document.blocks)
        if (
            len(self.documents) >= BATCH_FILES
            or self.characters >= BATCH_CHARACTERS
            or time.monotonic() - self.since >= BATCH_SECONDS
        ):
            self.store_all()

    def store_all(self) -> None:
        """Store the queued documents in one transaction, each in a savepoint of its own."""
        if not self.documents:
            return
        documents, self.documents, self.characters = self.documents, [], 0
        with self.store.transaction():
            results = [(item, self.store.import_document(document)) for item, document in documents]
        for item, result in results:
            self.summary.add(item, result)


def import_files(
    store: AnnotationStore,
    files: Iterable[Path | str],
    on_file: Callable[[Path | str], None] | None = None,
) -> ImportSummary:
    """Import files and URLs into a store; a bad one never stops the batch.

    Documents are read and parsed outside any transaction, then stored a few hundred at a
    time in one transaction (a commit and a segment of the search index per file made big
    imports several times slower), each in a savepoint of its own: the write lock is held
    only while storing. Files of highlights and web pages are imported on their own, in
    order. Interrupted, the import stores what it has read first; an error of the library
    itself (disk full) rolls back the batch being stored.

    Args:
        store: The `AnnotationStore` to import into.
        files: The files (see `iter_files`) and URLs, read one at a time.
        on_file: Called after each one is read, e.g. to advance a progress bar.
    """
    summary = ImportSummary()
    pending = _Pending(store, summary)
    try:
        for item in files:
            try:
                document = _plain_document(item)
                if document is None:
                    pending.store_all()  # the library gets everything in the order given
                    for result in import_item(store, item):
                        summary.add(item, result)
                else:
                    pending.add(item, document)
            except ImportFailure as error:
                summary.failures.append((str(item), str(error)))
            if on_file is not None:
                on_file(item)
    except KeyboardInterrupt:
        pending.store_all()
        raise
    pending.store_all()
    return summary


def _plain_document(item: Path | str) -> Document | None:
    """The parsed document of a text, Markdown or HTML file; None for anything else.

    Web pages, folders and highlights files are left to `import_item`.

    Raises:
        ImportFailure: If the file cannot be read or parsed.
    """
    if isinstance(item, str) or item.is_dir() or item.suffix.lower() == ".csv":
        return None
    if highlights_kind(item) is not None:
        return None
    return load_document(item)
