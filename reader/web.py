"""Web pages as documents: HTML main-text extraction, page encodings and URL fetching."""

from __future__ import annotations

import codecs
import http.client
import logging
import re
import urllib.error
import urllib.request
from html import unescape
from html.parser import HTMLParser
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from annotations.models import Block, BlockKind, Document
from reader.ingest import (
    TABLE_SEPARATOR,
    ImportFailure,
    decode_legacy,
    decode_unicode,
    decode_utf8,
    parse_markdown,
    parse_text,
    shorten,
    title_from_text,
    valid_date,
)

if TYPE_CHECKING:
    from lxml.etree import _Element

MAX_PAGE_BYTES = 20 * 1024 * 1024
"""Web pages larger than this are refused."""

_META_CHARSET = re.compile(rb"<meta\b[^>]*?charset\s*=\s*[\"']?\s*([A-Za-z0-9_.:-]+)", re.I)
_XML_ENCODING = re.compile(rb"\A\s*<\?xml\b[^>]*?encoding\s*=\s*[\"']([A-Za-z0-9_.:-]+)", re.I)
_XML_DECLARATION = re.compile(r"\A\s*<\?xml\b[^>]*>")
_CONTENT_TYPE_CHARSET = re.compile(r"charset\s*=\s*[\"']?([^\s;\"']+)", re.I)
_TITLE_SUFFIX = re.compile(r"^(.{8,}?)\s+(?:\||–|—|-|::|·|»)\s+([^|–—]{1,60})$")
_HEADING_REND = re.compile(r"h([1-6])")
_AS_BROWSERS_DO = {
    "ascii": "cp1252",
    "iso8859-1": "cp1252",
    "latin-1": "cp1252",
    "gb2312": "gb18030",
    "gbk": "gb18030",
    "shift_jis": "cp932",
    "euc_kr": "cp949",
    "iso8859-9": "cp1254",
}
"""Declared charsets that browsers read as a superset code page (names as `codecs` spells them)."""
_QUIET_LOGGERS = ("trafilatura", "htmldate", "courlan", "justext", "charset_normalizer")
_SKIPPED_TAGS = frozenset(
    ("script", "style", "head", "title", "noscript", "template", "svg", "math", "select", "button")
)
_BREAK_TAGS = frozenset((
    "p", "div", "br", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "section", "article",
    "header", "footer", "blockquote", "pre", "table", "ul", "ol", "dl", "dt", "dd", "main",
    "aside", "nav", "figure", "figcaption", "hr", "form", "td", "th", "body", "html",
))  # fmt: skip
_MAX_DEPTH = 40
"""Below this nesting, extracted elements are flattened to their text."""


# Encodings --------------------------------------------------------------------------------


def _codec(name: str | None) -> str | None:
    """The Python codec for a declared charset, as browsers read it; None if unusable."""
    if not name:
        return None
    try:
        codec = codecs.lookup(name.strip().strip("\"'")).name
    except LookupError:
        return None
    if codec.startswith(("utf-16", "utf-32", "utf-7")):
        # A page whose declaration could be read as ASCII is not in these.
        return None
    return _AS_BROWSERS_DO.get(codec, codec)


def declared_charset(data: bytes) -> str | None:
    """The charset a page declares in an XML declaration or a `<meta>` tag, if any."""
    head = data[:16384]
    match = _XML_ENCODING.search(head) or _META_CHARSET.search(head)
    return match.group(1).decode("ascii") if match else None


def decode_html(data: bytes, charset: str | None = None) -> str:
    """Decode a web page's bytes, whatever it declares.

    Order: a BOM (or BOM-less UTF-16); valid UTF-8 whatever is declared; the
    charset from the HTTP header, then the page's own declaration, if it decodes
    without errors (latin-1 and ASCII read as cp1252, as browsers do); else a
    detected legacy encoding, cp1252 by default.

    Args:
        data: The page's bytes.
        charset: The charset named by the HTTP `Content-Type` header, if any.

    Raises:
        ImportFailure: For binary data (many NUL bytes without a BOM).
    """
    text = decode_unicode(data)
    if text is not None:
        return text
    head = data[:8192]
    if head.count(0) > max(8, len(head) // 100):
        raise ImportFailure("binary file, not text")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    for declared in (charset, declared_charset(data)):
        codec = _codec(declared)
        if codec is None or codec == "utf-8":
            continue
        try:
            return data.decode(codec)
        except UnicodeDecodeError:
            continue
    text = decode_utf8(data)
    return text if text is not None else decode_legacy(data, markup=True)


# Extraction -------------------------------------------------------------------------------


def _quiet() -> None:
    """Keep the extraction libraries' warnings off the terminal."""
    for name in _QUIET_LOGGERS:
        logging.getLogger(name).setLevel(logging.CRITICAL + 1)


def _extract(html: str, *, recall: bool = False) -> Any:
    """Trafilatura's extraction of the main text, or None if it finds none."""
    _quiet()  # before the import: the libraries log while they load, too
    import trafilatura

    try:
        return trafilatura.bare_extraction(
            html,
            with_metadata=True,
            include_formatting=True,
            include_tables=True,
            include_comments=False,
            include_links=False,
            favor_recall=recall,
        )
    except (RecursionError, MemoryError):
        return None
    except Exception:  # hostile markup must never stop an import
        return None


def _text(element: _Element, line_break: str = " ") -> str:
    """An element's text, its `lb` elements as `line_break` (iterative: any depth)."""
    from lxml import etree

    parts: list[str] = []
    for event, node in etree.iterwalk(element, events=("start", "end")):
        if event == "start":
            parts.append(line_break if node.tag == "lb" else node.text or "")
        elif node is not element:
            parts.append(node.tail or "")
    return "".join(parts)


def _flat(element: _Element) -> str:
    """An element's text as one line, whitespace collapsed."""
    return " ".join(_text(element).split())


def _code_text(element: _Element) -> str:
    """A code element's text with its line breaks kept."""
    text = _text(element, "\n").replace("\r\n", "\n").replace("\r", "\n")
    lines = [line.rstrip() for line in text.split("\n")]
    while lines and not lines[0]:
        lines.pop(0)
    return "\n".join(lines).rstrip()


def _table_text(table: _Element) -> str:
    """A table as one line per row, cells separated by `TABLE_SEPARATOR`."""
    rows = []
    for row in table.iter("row"):
        cells = [_flat(cell) for cell in row if cell.tag == "cell"]
        if any(cells):
            rows.append(TABLE_SEPARATOR.join(cells))
    return "\n".join(rows)


class _Blocks:
    """Turns trafilatura's output tree into blocks."""

    def __init__(self) -> None:
        self.blocks: list[Block] = []

    def add(self, kind: BlockKind, text: str, level: int = 0) -> None:
        if text.strip():
            self.blocks.append(Block(kind, text, level))

    def walk(self, element: _Element, quote: int = 0, depth: int = 0) -> None:
        """Add the blocks of an element and, for containers, of its children."""
        tag = element.tag
        if not isinstance(tag, str):
            return
        if depth > _MAX_DEPTH:
            self.add(BlockKind.QUOTE if quote else BlockKind.PARAGRAPH, _flat(element), quote)
        elif tag == "head":
            match = _HEADING_REND.search(element.get("rend") or "")
            self.add(BlockKind.HEADING, _flat(element), int(match.group(1)) if match else 2)
        elif tag == "code":
            self.add(BlockKind.CODE, _code_text(element))
        elif tag == "table":
            self.add(BlockKind.TABLE, _table_text(element))
        elif tag == "list":
            self.list(element, 1, quote, depth)
        elif tag == "quote":
            self.container(element, quote + 1, depth)
        elif tag in ("p", "item", "cell", "row", "hi", "ref", "del", "lb"):
            kind = BlockKind.QUOTE if quote else BlockKind.PARAGRAPH
            self.add(kind, _flat(element), quote)
        else:
            self.container(element, quote, depth)

    def container(self, element: _Element, quote: int, depth: int) -> None:
        """A container: its blocks, with its loose text as paragraphs of their own."""
        kind = BlockKind.QUOTE if quote else BlockKind.PARAGRAPH
        self.add(kind, " ".join((element.text or "").split()), quote)
        for child in element:
            self.walk(child, quote, depth + 1)
            self.add(kind, " ".join((child.tail or "").split()), quote)

    def list(self, element: _Element, level: int, quote: int, depth: int) -> None:
        """A list's items, numbered when ordered, nested lists one level deeper."""
        ordered = (element.get("rend") or "").lower() in ("ol", "ordered")
        number = 1
        for item in element:
            if item.tag != "item":
                self.walk(item, quote, depth + 1)
                continue
            nested = [child for child in item if child.tag == "list"]
            if depth > _MAX_DEPTH:
                nested = []
            text = " ".join(_item_text(item, nested).split())
            if text:
                if ordered:
                    text = f"{number}. {text}"
                    number += 1
                self.add(BlockKind.LIST_ITEM, text, level)
            for child in nested:
                self.list(child, level + 1, quote, depth + 1)


def _item_text(item: _Element, nested: list[_Element]) -> str:
    """A list item's own text, without its nested lists."""
    parts = [item.text or ""]
    for child in item:
        if child not in nested:
            parts.append(_text(child))
        parts.append(child.tail or "")
    return "".join(parts)


def _body_blocks(body: _Element | None) -> list[Block]:
    if body is None:
        return []
    walker = _Blocks()
    if body.tag in ("body", "div", "doc", "text"):
        walker.container(body, 0, 0)
    else:
        walker.walk(body)
    return walker.blocks


class _VisibleText(HTMLParser):
    """The text a browser would show, in lines, without scripts, styles or the head."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.hidden = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _SKIPPED_TAGS:
            self.hidden += 1
        elif tag in _BREAK_TAGS:
            self.parts.append("\n")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _BREAK_TAGS:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIPPED_TAGS:
            self.hidden = max(0, self.hidden - 1)
        elif tag in _BREAK_TAGS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self.hidden:
            self.parts.append(data)


def _visible_blocks(html: str) -> list[Block]:
    """The page's visible text as paragraphs, one per line of text."""
    parser = _VisibleText()
    try:
        parser.feed(html)
        parser.close()
    except (AssertionError, ValueError):  # pragma: no cover - html.parser is lenient
        pass
    lines = (" ".join(line.split()) for line in "".join(parser.parts).split("\n"))
    return [Block(BlockKind.PARAGRAPH, line) for line in lines if line]


def _same(a: str | None, b: str | None) -> bool:
    return bool(a and b) and " ".join(a.split()).casefold() == " ".join(b.split()).casefold()


def _clean_title(title: str | None, site: str | None, first_heading: str | None) -> str | None:
    """The page title without a ` | Site name` style suffix."""
    title = " ".join((title or "").split())
    if not title:
        return None
    match = _TITLE_SUFFIX.match(title)
    if match:
        head, tail = match.group(1), match.group(2)
        if _same(tail, site) or _same(head, first_heading) or len(tail.split()) <= 4:
            return head
    return title


_TITLE_ELEMENT = re.compile(r"<title[^>]*>(.*?)</title\s*>", re.IGNORECASE | re.DOTALL)
_OG_TITLE = re.compile(r"<meta\s[^>]*property=[\"']og:title[\"'][^>]*>", re.IGNORECASE)
_CONTENT = re.compile(r"content=(?:\"([^\"]*)\"|'([^']*)')", re.IGNORECASE)


def _page_title(html: str, guessed: str | None) -> str | None:
    """The title the page gives itself, unless the extractor's guess is part of it.

    The extractor may take a title from a heading somewhere in the page (a help
    pop-up's, a button's text within it); the page's own `og:title` or `<title>` is
    the better name then.
    """
    head = html[:200_000]
    og = _OG_TITLE.search(head)
    content = _CONTENT.search(og.group(0)) if og else None
    if content:
        own = " ".join(unescape(content.group(1) or content.group(2) or "").split())
        if own:
            return own
    element = _TITLE_ELEMENT.search(head)
    own = " ".join(unescape(element.group(1)).split()) if element else ""
    if not own:
        return guessed
    if guessed and " ".join(guessed.split()).casefold() in own.casefold():
        suffix = _TITLE_SUFFIX.match(own)
        # A guess that is the site's name after the separator is not the article's title.
        if suffix is None or not _same(guessed, suffix.group(2)):
            return guessed
    return own


def _title_and_blocks(
    blocks: list[Block], meta_title: str | None, site: str | None
) -> tuple[str, list[Block]]:
    """The article's title, and its blocks without a leading heading that repeats it."""
    headings = [block.text for block in blocks if block.kind == BlockKind.HEADING]
    title = _clean_title(meta_title, site, headings[0] if headings else None)
    if title is None and headings:
        title = headings[0]
    first = blocks[0]
    if len(blocks) > 1 and first.kind == BlockKind.HEADING and _same(first.text, title):
        blocks = blocks[1:]
    if title is None:
        title = title_from_text(blocks[0].text)
    return shorten(title, 300), blocks


def _prepare(html: str) -> str:
    """Markup that lxml and trafilatura accept as a Unicode string."""
    html = _XML_DECLARATION.sub("", html.replace("\x00", ""), count=1)
    if "<html" not in html[:2048].lower():
        # A fragment: trafilatura takes markup without an <html> tag for something else.
        html = f"<html>{html}</html>"
    return html


def parse_html(data: bytes, source: str, *, charset: str | None = None) -> Document:
    """Parse a web page into a document of its main text.

    Menus, ads, comments and footers are left out (by trafilatura). Headings,
    paragraphs, list items, quotes, code and tables keep their kind. Title,
    author and date come from the page's metadata where present.

    Args:
        data: The page's bytes.
        source: Where it came from (path or URL).
        charset: The charset named by the HTTP `Content-Type` header, if any.

    Raises:
        ImportFailure: If the page has no readable text.
    """
    html = _prepare(decode_html(data, charset))
    extracted = _extract(html)
    blocks = _body_blocks(getattr(extracted, "body", None))
    if not blocks:
        recalled = _extract(html, recall=True)
        blocks = _body_blocks(getattr(recalled, "body", None))
        extracted = extracted or recalled
    if not blocks:
        blocks = _visible_blocks(html)
    if not blocks:
        raise ImportFailure("no article text found in the page")
    title, blocks = _title_and_blocks(
        blocks,
        _page_title(html, getattr(extracted, "title", None)),
        getattr(extracted, "sitename", None),
    )
    date = (getattr(extracted, "date", None) or "")[:10]
    author = " ".join((getattr(extracted, "author", None) or "").split())
    return Document(
        title=title,
        blocks=tuple(blocks),
        source=source,
        date=date if valid_date(date) else None,
        author=shorten(author, 200) or None,
        format="html",
    )


# URLs -------------------------------------------------------------------------------------


def _user_agent() -> str:
    from reader.about import installed_version

    release = installed_version()
    return f"reader/{release}" if release else "reader"


def _read_limited(response: Any) -> bytes:
    length = response.headers.get("Content-Length")
    if length and length.isdigit() and int(length) > MAX_PAGE_BYTES:
        raise ImportFailure("page too large")
    data = response.read(MAX_PAGE_BYTES + 1)
    if len(data) > MAX_PAGE_BYTES:
        raise ImportFailure("page too large")
    return data


def _one_line(value: object) -> str:
    return " ".join(str(value).split()) or type(value).__name__


def _fetch(url: str, timeout: float) -> tuple[bytes, str, str | None]:
    """The body, media type and charset of a URL's response (redirects followed)."""
    try:
        parts = urlsplit(url)
        host = parts.hostname
    except ValueError as error:
        raise ImportFailure(f"not a valid web address: {_one_line(error)}") from None
    if parts.scheme.lower() not in ("http", "https") or not host:
        raise ImportFailure("not a web address (http or https URL)")
    request = urllib.request.Request(
        url, headers={"User-Agent": _user_agent(), "Accept": "text/html, text/*;q=0.8"}
    )
    timed_out = ImportFailure(f"timed out after {timeout:g} s")
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            data = _read_limited(response)
            media = response.headers.get_content_type()
            charset = response.headers.get_content_charset()
    except ImportFailure:
        raise
    except urllib.error.HTTPError as error:
        raise ImportFailure(f"HTTP {error.code} {_one_line(error.reason)}") from None
    except urllib.error.URLError as error:
        reason = error.reason
        if isinstance(reason, TimeoutError):
            raise timed_out from None
        if isinstance(reason, OSError) and reason.strerror:
            reason = reason.strerror
        raise ImportFailure(f"cannot reach {host}: {_one_line(reason)}") from None
    except TimeoutError:
        raise timed_out from None
    except (ValueError, http.client.InvalidURL) as error:
        raise ImportFailure(f"not a valid web address: {_one_line(error)}") from None
    except (OSError, http.client.HTTPException) as error:
        raise ImportFailure(f"cannot read {host}: {_one_line(error)}") from None
    return data, media, charset


def load_url(url: str, *, timeout: float = 20.0) -> Document:
    """Fetch a web page (or a text or Markdown file) and parse it into a document.

    The article's source is the URL as given, so importing it again updates it.

    Args:
        url: An http or https URL.
        timeout: Seconds to wait for the server before giving up.

    Raises:
        ImportFailure: With a one-line reason: unreachable, timed out, an HTTP
            error, too large, not a web page, or no text.
    """
    data, media, charset = _fetch(url, timeout)
    if media in ("text/html", "application/xhtml+xml"):
        return parse_html(data, url, charset=charset)
    if media in ("text/plain", "text/markdown", "text/x-markdown"):
        if not data.strip():
            raise ImportFailure("empty page, no text to read")
        text = _decode_text(data, charset)
        if media == "text/plain":
            return parse_text(text, url)
        return parse_markdown(text, url)
    raise ImportFailure(f"not a web page (content type {media})")


def _decode_text(data: bytes, charset: str | None) -> str:
    """A text response's characters: BOM, UTF-8, the header's charset, then a guess."""
    from reader.ingest import decode_bytes

    text = decode_unicode(data)
    if text is not None:
        return text
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    codec = _codec(charset)
    if codec is not None and codec != "utf-8":
        try:
            return data.decode(codec)
        except UnicodeDecodeError:
            pass
    return decode_bytes(data)
