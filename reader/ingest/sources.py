"""Files, folders and links to import: path expansion, what to skip, reading a file by type."""

from __future__ import annotations

import codecs
import os
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from annotations import guard
from annotations.formats.clippings import SNIFF_BYTES, sniff
from annotations.models import Document
from reader.ingest.epub import is_epub_head, parse_epub
from reader.ingest.html import parse_html
from reader.ingest.markdown import parse_markdown
from reader.ingest.text import ImportFailure, decode_bytes, parse_text

TEXT_SUFFIXES = {".txt", ".text"}
MARKDOWN_SUFFIXES = {".md", ".markdown", ".mdown", ".mkd"}
HTML_SUFFIXES = {".html", ".htm", ".xhtml"}
EPUB_SUFFIXES = {".epub"}
IMPORTABLE_SUFFIXES = TEXT_SUFFIXES | MARKDOWN_SUFFIXES | HTML_SUFFIXES | EPUB_SUFFIXES
MISSING = "no such file or folder"
"""The failure of an argument that names no file, folder or link."""


def is_url(text: str) -> bool:
    """Whether an import argument is a web address rather than a path."""
    return text.lower().startswith(("http://", "https://"))


def item_name(item: Path | str) -> str:
    """How progress names an item: a file by its name, a URL as it is."""
    return item.name if isinstance(item, Path) else item


@dataclass(frozen=True)
class Sources:
    """What an import's arguments name: the items to import, and arguments naming nothing."""

    items: Sequence[Path | str]
    """Files (folders walked, see `iter_files`) and URLs, in the order given."""
    missing: Sequence[str] = ()
    """The arguments that name no file, folder or link, as given."""


def find_sources(targets: Iterable[str | Path]) -> Sources:
    """The files and URLs that import arguments (paths as typed, `~` too, or URLs) name."""
    items: list[Path | str] = []
    missing: list[str] = []
    for target in targets:
        if isinstance(target, str) and is_url(target):
            items.append(target)
            continue
        path = Path(target).expanduser()
        if path.exists() or path.is_symlink():  # a broken link says why when read
            items.extend(iter_files([path]))
        else:
            missing.append(str(target))
    return Sources(items, missing)


def _looks_like_markdown(text: str) -> bool:
    head = text.lstrip("\ufeff")[:4000]
    return head.startswith("---\n") or bool(re.search(r"^(#{1,6} |```|\* |- )", head, re.M))


def _looks_like_html(text: str) -> bool:
    head = text.lstrip("\ufeff \t\r\n")[:1000].lower()
    return head.startswith(("<!doctype html", "<html")) or bool(
        re.search(r"<(?:html|head|body)[\s>]", head)
    )


def _check_readable(path: Path) -> None:
    """Refuse, in one line, a file that must not be opened: the library, a pipe, a device."""
    if guard.is_open_library(path):
        # Reading it with open() would drop this process's locks on the library.
        raise ImportFailure("is the library file itself, not a document")
    if path.exists() and not path.is_file() and not path.is_dir():
        # Reading a pipe would wait for a writer forever; a device may never end.
        raise ImportFailure("not a regular file (a pipe, socket or device)")


def _read(path: Path) -> bytes:
    """A file's bytes, with a one-line reason if it cannot be read or is empty."""
    _check_readable(path)
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
    if suffix in EPUB_SUFFIXES:
        return _load_epub(path)
    data = _read(path)
    if not suffix and is_epub_head(data[:SNIFF_BYTES]):
        return _load_epub(path)
    source = str(path.resolve())
    if suffix in HTML_SUFFIXES:
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
        return parse_html(data, source)
    if _looks_like_markdown(text):
        return parse_markdown(text, source)
    if suffix:
        raise ImportFailure(f"unsupported file type {suffix}")
    return parse_text(text, source)


def _load_epub(path: Path) -> Document:
    """A book read from its zip (which may be large: only what is needed is unpacked)."""
    _check_readable(path)
    try:
        with path.open("rb"):
            pass
    except IsADirectoryError:
        raise ImportFailure("is a folder") from None
    except OSError as error:
        raise ImportFailure(f"cannot read: {error.strerror or error}") from None
    return parse_epub(path, str(path.resolve()))


def iter_files(paths: Iterable[Path]) -> Iterator[Path]:
    """The files to import: given files as they are, folders walked recursively.

    Inside folders only text, Markdown, HTML and EPUB files, Kindle clippings and
    highlights CSV files are taken; hidden files and folders, binary files and other files are
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


FOLDER_SUFFIXES = TEXT_SUFFIXES | MARKDOWN_SUFFIXES | EPUB_SUFFIXES | {".html", ".htm"}
"""The document types taken from folders (besides highlights CSV files)."""
_UNICODE_BOMS = (codecs.BOM_UTF8, codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)


def _read_head(path: Path) -> bytes:
    """The first bytes of a file, enough to recognise its kind."""
    if guard.is_open_library(path):
        # Never read with open(): closing it would drop this process's library locks.
        raise PermissionError(f"{path} is the library file")
    with path.open("rb") as handle:
        return handle.read(SNIFF_BYTES)


def highlights_kind(path: Path) -> str | None:
    """`kindle` or `readwise` for a file of another tool's highlights, else None.

    Unreadable files are None: reading them for real reports why.
    """
    suffix = path.suffix.lower()
    if suffix not in (".csv", ".txt", "") or not path.is_file():
        return None
    try:
        return sniff(path, _read_head(path))
    except OSError:
        return None


def folder_problem(path: Path) -> str:
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
    if suffix in EPUB_SUFFIXES:
        return True  # binary; one that is not a book says so when it is read
    return b"\x00" not in head or head.startswith(_UNICODE_BOMS)
