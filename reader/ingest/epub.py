"""EPUB 2 and 3 books to blocks: the package read with zipfile and lxml, chapters as HTML."""

from __future__ import annotations

import posixpath
import re
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from html.entities import name2codepoint
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import unquote

from annotations.models import Block, BlockKind, ContentsEntry, Document
from reader.ingest.gutenberg import text_between_markers
from reader.ingest.html import html_blocks
from reader.ingest.text import ImportFailure, shorten, valid_date

if TYPE_CHECKING:
    from lxml.etree import XMLParser, _Element

EPUB_MIMETYPE = b"application/epub+zip"
ZIP_MAGIC = b"PK\x03\x04"
"""How every zip file (and so every EPUB) begins."""
MAX_MEMBER = 200 * 1024 * 1024
"""A file inside the book larger than this (unpacked) is not read: a zip bomb, or no text."""
MAX_TOTAL = 1024 * 1024 * 1024
"""Unpacked bytes read from one book at most; the chapters past it are left out."""
MAX_PACKAGE = 16 * 1024 * 1024
"""The container, package, navigation and encryption files are small; larger is wrong."""
MAX_LISTED = 4
"""Problems named in a book's warning line; the rest are counted."""

_OBFUSCATION = frozenset(("http://www.idpf.org/2008/embedding", "http://ns.adobe.com/pdf/enc#RC"))
"""Font obfuscation (the font is tied to its book), not DRM: the text is not encrypted."""
_FONT_SUFFIXES = (".ttf", ".otf", ".woff", ".woff2", ".eot")
_EPUB_NS = "http://www.idpf.org/2007/ops"
_OPF_NS = "http://www.idpf.org/2007/opf"
_DOCUMENT_TYPES = frozenset(("application/xhtml+xml", "text/html", "application/x-dtbook+xml"))
_NCX_TYPE = "application/x-dtbncx+xml"
_DATE = re.compile(r"\s*(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?")
_ENTITY = re.compile(r"&([A-Za-z][A-Za-z0-9]{1,31});")
_XML_ENTITIES = frozenset(("amp", "lt", "gt", "quot", "apos"))
_XHTML_DEFAULT = re.compile(
    rb"""<html\b[^<>]*?(\s+xmlns\s*=\s*(["'])http://www\.w3\.org/1999/xhtml\2)[\s/>]"""
)
"""The default namespace declared on an XHTML root, in group 1."""
_ROOT_WITHIN = 4096
"""Bytes of a chapter within which its root's start tag is looked for."""


def is_epub_head(head: bytes) -> bool:
    """Whether a file's first bytes are those of an EPUB (a zip whose first member says so)."""
    return head.startswith(ZIP_MAGIC) and b"mimetype" + EPUB_MIMETYPE in head[:100]


# Problems -----------------------------------------------------------------------------------


@dataclass
class _Problems:
    """What could not be read, for the one warning line of a book."""

    parts: list[str] = field(default_factory=list)
    contents: dict[str, int] = field(default_factory=dict)
    """Problems of contents entries, each with how many entries have it."""

    def part(self, name: str, why: str) -> None:
        self.parts.append(f"{posixpath.basename(name) or name} ({why})")

    def entry(self, why: str) -> None:
        self.contents[why] = self.contents.get(why, 0) + 1

    def line(self) -> str | None:
        """`N parts could not be read: a.xhtml (missing from the file); contents: ...`, or
        `table of contents: ...` when only entries of the contents are at fault."""
        named = self.parts[:MAX_LISTED]
        if len(self.parts) > MAX_LISTED:
            named.append(f"and {len(self.parts) - MAX_LISTED} more")
        entries = ", ".join(
            f"{count} {'entry' if count == 1 else 'entries'} {why}"
            for why, count in self.contents.items()
        )
        if not named:
            return f"table of contents: {entries}" if entries else None
        if entries:
            named.append(f"contents: {entries}")
        total = len(self.parts)
        return f"{total} {'part' if total == 1 else 'parts'} could not be read: " + "; ".join(named)


def _size(count: int) -> str:
    return f"{count // 1_000_000} MB" if count >= 1_000_000 else f"{count // 1000} KB"


# The zip ------------------------------------------------------------------------------------


class _Book:
    """The zip of a book: its members by name, read within the size limits."""

    def __init__(self, archive: zipfile.ZipFile, problems: _Problems) -> None:
        self.archive = archive
        self.problems = problems
        self.members = {info.filename: info for info in archive.infolist() if not info.is_dir()}
        self.folded = {name.casefold(): name for name in self.members}
        self.total = 0

    def find(self, name: str) -> str | None:
        """The member's name as the zip spells it (a wrong case is forgiven), or None."""
        if name in self.members:
            return name
        return self.folded.get(name.casefold())

    def read(self, name: str, limit: int | None = None) -> bytes | None:
        """A member's bytes, or None (and a problem noted) if it cannot be read."""
        limit = MAX_MEMBER if limit is None else limit
        found = self.find(name)
        if found is None:
            self.problems.part(name, "missing from the file")
            return None
        info = self.members[found]
        if info.file_size > limit:
            self.problems.part(name, f"too large: {_size(info.file_size)} unpacked")
            return None
        if self.total + info.file_size > MAX_TOTAL:
            self.problems.part(name, "past the 1 GB the book may hold unpacked")
            return None
        try:
            with self.archive.open(info) as handle:
                data = handle.read(limit + 1)  # the size in the directory may lie
        except RuntimeError:  # an encrypted member
            self.problems.part(name, "encrypted")
            return None
        except (zipfile.BadZipFile, zlib.error, EOFError, OSError, NotImplementedError) as error:
            self.problems.part(name, f"damaged in the zip: {error}")
            return None
        if len(data) > limit:
            self.problems.part(name, "too large unpacked")
            return None
        self.total += len(data)
        return data


def _xml_parser(*, recover: bool) -> XMLParser:
    """A parser that never fetches or expands anything from outside the book."""
    from lxml import etree

    return etree.XMLParser(
        recover=recover,
        resolve_entities=False,
        no_network=True,
        remove_comments=True,
        remove_pis=True,
        huge_tree=True,
    )


def _parse_xml(data: bytes) -> _Element | None:
    """An XML file's root, recovering what a damaged one allows; None if nothing."""
    from lxml import etree

    try:
        return etree.fromstring(data, _xml_parser(recover=True))
    except etree.XMLSyntaxError:
        return None


def _children(element: _Element | None, name: str) -> Iterator[_Element]:
    """The child elements of a name, in any namespace or none."""
    if element is not None:
        yield from element.iterfind(f"{{*}}{name}")


def _child(element: _Element | None, name: str) -> _Element | None:
    return next(_children(element, name), None)


def _words(element: _Element | None) -> str:
    """An element's text as one line."""
    if element is None:
        return ""
    return " ".join("".join(element.itertext()).split())


def _resolve(base: str, href: str) -> tuple[str, str]:
    """A link's member name (relative to the file `base`, unescaped, `..` resolved) and
    fragment."""
    href, _, fragment = href.strip().partition("#")
    if not href:
        return base, unquote(fragment)
    path = posixpath.normpath(posixpath.join(posixpath.dirname(base), unquote(href)))
    while path.startswith("../"):  # above the book's root: the path from its root
        path = path[3:]
    return path.lstrip("/"), unquote(fragment)


# The package --------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Item:
    path: str
    media_type: str
    properties: frozenset[str]


@dataclass
class _Package:
    """The package document (OPF): metadata, manifest, spine."""

    path: str
    root: _Element
    items: dict[str, _Item] = field(default_factory=dict)
    spine: list[str] = field(default_factory=list)
    ncx: str | None = None

    @classmethod
    def read(cls, path: str, root: _Element) -> _Package:
        package = cls(path, root)
        for element in _children(_child(root, "manifest"), "item"):
            href = element.get("href")
            ident = element.get("id")
            if href and ident:
                package.items[ident] = _Item(
                    _resolve(path, href)[0],
                    (element.get("media-type") or "").strip().lower(),
                    frozenset((element.get("properties") or "").split()),
                )
        spine = _child(root, "spine")
        toc = spine.get("toc") if spine is not None else None
        if toc in package.items:
            package.ncx = package.items[toc].path
        nav = package.nav
        for ref in _children(spine, "itemref"):
            item = package.items.get(ref.get("idref") or "")
            if item is None:
                continue
            # The table of contents off the reading order is what `o` shows: not text.
            if item.path == nav and (ref.get("linear") or "").strip() == "no":
                continue
            package.spine.append(item.path)
        if package.ncx is None:
            package.ncx = next(
                (item.path for item in package.items.values() if item.media_type == _NCX_TYPE),
                None,
            )
        return package

    @property
    def nav(self) -> str | None:
        """The EPUB 3 navigation document, if any."""
        return next((item.path for item in self.items.values() if "nav" in item.properties), None)

    def documents(self) -> list[str]:
        """The text's documents in reading order: the spine, else the manifest's pages."""
        if self.spine:
            return list(dict.fromkeys(self.spine))
        return [
            item.path
            for item in self.items.values()
            if item.media_type in _DOCUMENT_TYPES and "nav" not in item.properties
        ]

    # Metadata

    def _dc(self, name: str) -> list[_Element]:
        return list(_children(_child(self.root, "metadata"), name))

    def _refinements(self, ident: str | None, prop: str) -> list[str]:
        if not ident:
            return []
        return [
            _words(meta)
            for meta in _children(_child(self.root, "metadata"), "meta")
            if meta.get("refines") == f"#{ident}" and meta.get("property") == prop
        ]

    def title(self) -> str | None:
        titles = [(element, _words(element)) for element in self._dc("title")]
        titles = [(element, text) for element, text in titles if text]
        for element, text in titles:  # EPUB 3 may say which is the main title
            if "main" in self._refinements(element.get("id"), "title-type"):
                return text
        return titles[0][1] if titles else None

    def author(self) -> str | None:
        """The authors, `A, B`: creators whose role is `aut` or unsaid."""
        creators = []
        for element in self._dc("creator"):
            name = _words(element)
            roles = self._refinements(element.get("id"), "role")
            role = element.get(f"{{{_OPF_NS}}}role") or element.get("role")
            if role:
                roles.append(role)
            if name:
                creators.append((name, not roles or "aut" in roles))
        authors = [name for name, is_author in creators if is_author] or [
            name for name, _ in creators
        ]
        return shorten(", ".join(dict.fromkeys(authors)), 200) or None

    def date(self) -> str | None:
        """The publication date as `YYYY`, `YYYY-MM` or `YYYY-MM-DD`."""
        dates = self._dc("date")
        dates.sort(
            key=lambda element: element.get(f"{{{_OPF_NS}}}event") not in (None, "publication")
        )
        for element in dates:
            match = _DATE.match(_words(element))
            if not match:
                continue
            year, month, day = match.groups()
            if year == "0000":
                continue
            text = "-".join(part for part in (year, month, day) if part)
            if month is None or valid_date(text):
                return text
            return year
        return None


# The text -----------------------------------------------------------------------------------


@dataclass
class _Text:
    """The book's blocks, and where each of its documents and their ids start."""

    blocks: list[Block] = field(default_factory=list)
    starts: dict[str, int] = field(default_factory=dict)
    anchors: dict[str, dict[str, int]] = field(default_factory=dict)
    ends: dict[str, int] = field(default_factory=dict)
    """Where each document's blocks end (exclusive)."""
    unread: set[str] = field(default_factory=set)
    """The documents of the reading order that could not be read."""

    def place(self, path: str, fragment: str) -> tuple[int | None, bool]:
        """The block a link points at, and whether its fragment was found."""
        start = self.starts.get(path)
        if start is None:
            return None, False
        if not fragment:
            return start, True
        at = self.anchors[path].get(fragment)
        return (start, False) if at is None else (start + at, True)


def _strip_namespaces(root: _Element) -> None:
    """Tags by their local names (`p`, not `{http://www.w3.org/1999/xhtml}p`)."""
    for element in root.iter():
        tag = element.tag
        if isinstance(tag, str) and tag[0] == "{":
            element.tag = tag.split("}", 1)[1]


def _without_xhtml_namespace(data: bytes) -> bytes:
    """A chapter's XHTML with the XHTML namespace undeclared as the default on its root.

    Its elements are then parsed with their local names at once, which is cheaper than
    renaming each one after (as `_strip_namespaces` still does for any other namespace).
    Only the root's start tag, in the file's first bytes, is changed; a chapter that
    declares the namespace anywhere else is left as it is.
    """
    head = data[:_ROOT_WITHIN]
    match = _XHTML_DEFAULT.search(head)
    if match is None:
        return data
    return data[: match.start(1)] + data[match.end(1) :]


def _html_entities(data: bytes) -> bytes:
    """HTML's named entities (`&nbsp;`, `&eacute;`) as characters: XML knows five."""

    def character(match: re.Match[bytes]) -> bytes:
        name = match.group(1).decode("ascii")
        if name in _XML_ENTITIES or name not in name2codepoint:
            return match.group(0)
        return f"&#{name2codepoint[name]};".encode("ascii")

    return re.sub(_ENTITY.pattern.encode("ascii"), character, data)


def _page(data: bytes) -> tuple[_Element | None, bool]:
    """A chapter's XHTML root, namespaces stripped, and whether it was well-formed."""
    from lxml import etree

    parser = _xml_parser(recover=False)
    root = None
    data = _without_xhtml_namespace(data)
    for attempt in (lambda: data, lambda: _html_entities(data)):
        try:
            root = etree.fromstring(attempt(), parser)
            break
        except etree.XMLSyntaxError:
            continue
    intact = root is not None
    if root is None:
        root = _parse_xml(_html_entities(data))
    if root is None or not len(root):
        import lxml.html

        try:
            root = lxml.html.document_fromstring(data)
        except (etree.ParserError, etree.XMLSyntaxError, ValueError):
            return None, False
    _strip_namespaces(root)
    if b"pagebreak" in data:
        _drop_page_numbers(root)
    return root, intact


def _drop_page_numbers(root: _Element) -> None:
    """Empty the page numbers of the printed book (`epub:type="pagebreak"`): not text.

    The elements stay, empty, so links to them still find their place.
    """
    for element in root.xpath(
        "//*[contains(concat(' ', normalize-space(@epub:type), ' '), ' pagebreak ')"
        " or @role = 'doc-pagebreak']",
        namespaces={"epub": _EPUB_NS},
    ):
        element.text = None
        del element[:]


COVER_PAGES = 2
"""A picture alone on one of the book's first pages is its cover, not its text."""


def _is_cover(body: _Element, number: int) -> bool:
    """Whether a page is the book's cover: among the first pages, a picture and no text."""
    if number >= COVER_PAGES or "".join(body.itertext()).strip():
        return False
    return any(element.tag in ("img", "image", "svg") for element in body.iter())


def _read_text(book: _Book, documents: list[str]) -> _Text:
    text = _Text()
    for number, path in enumerate(documents):
        data = book.read(path)
        if data is None:
            text.unread.add(path)
            continue
        root, intact = _page(data)
        body = None if root is None else root.find("body")
        if body is None and root is not None and root.tag != "html":
            body = root  # not XHTML (a DTBook, say): its text all the same
        if body is None:
            book.problems.part(path, "no text in it could be read")
            text.unread.add(path)
            continue
        if _is_cover(body, number):
            # Not text: a link to it goes to what follows.
            text.starts[path] = text.ends[path] = len(text.blocks)
            text.anchors[path] = {}
            continue
        found = html_blocks(body, anchors=True)
        if not intact:
            book.problems.part(path, "damaged XML, read as far as it goes")
        text.starts[path] = len(text.blocks)
        text.anchors[path] = found.anchors
        text.blocks.extend(found.blocks)
        text.ends[path] = len(text.blocks)
    return text


# Contents -----------------------------------------------------------------------------------


@dataclass
class _Contents:
    """A table of contents being built from nav or NCX entries."""

    text: _Text
    problems: _Problems
    entries: list[ContentsEntry] = field(default_factory=list)

    def add(self, label: str, href: str | None, base: str, level: int) -> None:
        if not href:
            if label:
                self.problems.entry("without a link")
            return
        path, fragment = _resolve(base, href)
        block, exact = self.text.place(path, fragment)
        if block is None and path in self.text.unread:
            self.problems.entry("left out with it")
            return
        if block is None:
            self.problems.entry("pointing outside the book's text")
            return
        if not exact:
            # Where the entry before it is, when that is in the same chapter: the contents
            # keep their order, rather than this entry jumping to the chapter's start.
            end = self.text.ends.get(path, block)
            if self.entries and block <= self.entries[-1].block < end:
                block = self.entries[-1].block
            self.problems.entry("pointing at a missing place (kept in its chapter)")
        if not label and block < len(self.text.blocks):
            target = self.text.blocks[block]
            if target.kind == BlockKind.HEADING:
                label = target.text
                self.problems.entry("without a label (its heading instead)")
        if not label:
            self.problems.entry("without a label")
            return
        self.entries.append(ContentsEntry(shorten(label, 300), block, max(1, level)))


def _epub_type(element: _Element) -> list[str]:
    """An element's `epub:type` words (read as XML, or as HTML when it was not XML)."""
    return (element.get(f"{{{_EPUB_NS}}}type") or element.get("epub:type") or "").split()


def _nav_entries(contents: _Contents, root: _Element, base: str) -> None:
    """The entries of an EPUB 3 navigation document's `toc` nav (nested lists: levels)."""
    navs = list(root.iter("nav"))
    toc = next(
        (nav for nav in navs if "toc" in _epub_type(nav)),
        navs[0] if navs else None,
    )
    outer = _child(toc, "ol") if toc is not None else None
    if outer is None and toc is not None:
        outer = next(toc.iter("ol"), None)

    def walk(ordered: _Element, level: int) -> None:
        for item in ordered.iterfind("li"):
            link = item.find("a")
            label_element = link if link is not None else item.find("span")
            href = link.get("href") if link is not None else None
            nested = item.find("ol")
            if href is None and nested is not None:
                first = next(nested.iter("a"), None)  # a heading over its entries
                href = first.get("href") if first is not None else None
            contents.add(_words(label_element), href, base, level)
            if nested is not None and level < 40:
                walk(nested, level + 1)

    if outer is not None:
        walk(outer, 1)


def _ncx_entries(contents: _Contents, root: _Element, base: str) -> None:
    """The entries of an EPUB 2 NCX's navMap (nested navPoints: levels)."""

    def walk(parent: _Element, level: int) -> None:
        for point in _children(parent, "navPoint"):
            label = _words(_child(_child(point, "navLabel"), "text"))
            content = _child(point, "content")
            contents.add(label, content.get("src") if content is not None else None, base, level)
            if level < 40:
                walk(point, level + 1)

    nav_map = _child(root, "navMap")
    if nav_map is not None:
        walk(nav_map, 1)


def _contents(book: _Book, package: _Package, text: _Text) -> tuple[ContentsEntry, ...]:
    """The book's own table of contents: its nav, else its NCX."""
    for path, read in ((package.nav, _nav_entries), (package.ncx, _ncx_entries)):
        if path is None or book.find(path) is None:
            continue
        attempt = _Contents(text, _Problems())
        data = book.read(path, MAX_PACKAGE)
        root = None
        if data is not None:
            root = _page(data)[0] if read is _nav_entries else _parse_xml(data)
        if root is not None:
            read(attempt, root, path)
        if attempt.entries:
            book.problems.contents.update(attempt.problems.contents)
            return tuple(attempt.entries)
    return ()


# The book -----------------------------------------------------------------------------------


def _refuse_drm(book: _Book) -> None:
    """Refuse a book whose text is encrypted (font obfuscation is fine).

    Raises:
        ImportFailure: If `META-INF/encryption.xml` encrypts anything but fonts.
    """
    if book.find("META-INF/encryption.xml") is None:
        return
    data = book.read("META-INF/encryption.xml", MAX_PACKAGE)
    root = _parse_xml(data) if data else None
    if root is None:
        return
    for encrypted in root.iter("{*}EncryptedData"):
        method = _child(encrypted, "EncryptionMethod")
        algorithm = method.get("Algorithm") if method is not None else None
        reference = next(encrypted.iter("{*}CipherReference"), None)
        uri = unquote(reference.get("URI") or "") if reference is not None else ""
        if algorithm in _OBFUSCATION or uri.lower().endswith(_FONT_SUFFIXES):
            continue
        raise ImportFailure("is protected by DRM (encrypted content); reader cannot read it")


def _package_path(book: _Book) -> str:
    """Where the package document is: as the container says, else the only `.opf`.

    Raises:
        ImportFailure: If the book has none.
    """
    if book.find("META-INF/container.xml") is not None:
        data = book.read("META-INF/container.xml", MAX_PACKAGE)
        root = _parse_xml(data) if data else None
        for rootfile in root.iter("{*}rootfile") if root is not None else ():
            path = rootfile.get("full-path")
            if path and book.find(unquote(path)) is not None:
                return book.find(unquote(path)) or path
    else:
        book.problems.part("META-INF/container.xml", "missing from the file")
    packages = sorted(name for name in book.members if name.lower().endswith(".opf"))
    if not packages:
        raise ImportFailure("not an EPUB (no package document, .opf, in it)")
    return packages[0]


def _without_licence(
    blocks: list[Block], contents: tuple[ContentsEntry, ...]
) -> tuple[list[Block], tuple[ContentsEntry, ...]]:
    """A Project Gutenberg book without the licence header and footer its pages carry
    (the text between the `*** START OF` and `*** END OF` markers), its contents moved
    with the text."""
    first, end = text_between_markers([block.text for block in blocks])
    if (first, end) == (0, len(blocks)):
        return blocks, contents
    kept = tuple(
        replace(entry, block=entry.block - first)
        for entry in contents
        if first <= entry.block < end
    )
    return blocks[first:end], kept


def parse_epub(path: Path, source: str) -> Document:
    """Read an EPUB 2 or 3 book into a document.

    The text is the spine's documents in order, each read as HTML (see `html_blocks`);
    title, authors and date come from the package's metadata; the table of contents from
    the EPUB 3 navigation document, else the EPUB 2 NCX. A part that cannot be read (a
    missing chapter, damaged XML, a contents entry without a label) is left out and named
    in the document's one warning line; the rest of the book is read.

    Args:
        path: The `.epub` file.
        source: Where it came from (its absolute path).

    Raises:
        ImportFailure: If it is not a zip or not an EPUB, its text is encrypted (DRM), or
            none of its text can be read.
    """
    problems = _Problems()
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, zlib.error, EOFError):
        raise ImportFailure("not an EPUB (not a zip file)") from None
    except (NotImplementedError, ValueError):  # e.g. a version of zip Python cannot read
        raise ImportFailure("not an EPUB (a damaged or unreadable zip file)") from None
    except OSError as error:
        raise ImportFailure(f"cannot read: {error.strerror or error}") from None
    with archive:
        book = _Book(archive, problems)
        _refuse_drm(book)
        package_path = _package_path(book)
        data = book.read(package_path, MAX_PACKAGE)
        root = _parse_xml(data) if data else None
        if root is None:
            raise ImportFailure(f"not an EPUB (its package, {package_path}, cannot be read)")
        package = _Package.read(package_path, root)
        if not package.spine:
            problems.part("spine", "missing: the pages in the manifest's order")
        text = _read_text(book, package.documents())
        if not text.blocks:
            line = problems.line()
            raise ImportFailure("no text found in the book" + (f"; {line}" if line else ""))
        contents = _contents(book, package, text)
    blocks, contents = _without_licence(text.blocks, contents)
    title = package.title()
    if not title:
        heading = next((b.text for b in text.blocks if b.kind == BlockKind.HEADING), None)
        title = heading or path.stem
    warning = problems.line()
    return Document(
        title=shorten(title, 300),
        blocks=tuple(blocks),
        source=source,
        date=package.date(),
        author=package.author(),
        format="epub",
        warnings=(warning,) if warning else (),
        contents=contents,
    )
