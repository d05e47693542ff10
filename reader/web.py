"""Web pages as documents: HTML main-text extraction, page encodings and URL fetching."""

from __future__ import annotations

import contextlib
import http.client
import logging
import re
import socket
import threading
import time
import urllib.error
import urllib.request
import zlib
from html import unescape
from html.parser import HTMLParser
from typing import TYPE_CHECKING, Any
from urllib.parse import urljoin, urlsplit

from annotations import decoding
from annotations.models import Block, BlockKind, Document
from reader.ingest import (
    TABLE_SEPARATOR,
    ImportFailure,
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

_XML_DECLARATION = re.compile(r"\A\s*<\?xml\b[^>]*>")
_TITLE_SUFFIX = re.compile(r"^(.{8,}?)\s+(?:\||–|—|-|::|·|»)\s+([^|–—]{1,60})$")
_HEADING_REND = re.compile(r"h([1-6])")
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


def decode_html(data: bytes, charset: str | None = None) -> str:
    """Decode a web page's bytes (see `annotations.decoding.decode_page`).

    Args:
        data: The page's bytes.
        charset: The charset named by the HTTP `Content-Type` header, if any.

    Raises:
        ImportFailure: For binary data.
    """
    try:
        return decoding.decode_page(data, charset)
    except decoding.NotTextError as error:
        raise ImportFailure(str(error)) from None


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
    if not a or not b:
        return False
    return " ".join(a.split()).casefold() == " ".join(b.split()).casefold()


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


class _Deadline:
    """Ends a fetch at a set moment, whatever it is doing then.

    A socket timeout bounds each read, not the fetch: a server sending a byte every
    few seconds would hold it for ever. So each connection the fetch opens is noted
    here, and a timer shuts them all down when the time is up, which ends any read
    waiting on them; `expired` then tells the fetch that this is why it stopped.
    """

    def __init__(self, seconds: float) -> None:
        self.end = time.monotonic() + seconds
        self.expired = False
        self._sockets: list[socket.socket] = []
        self._lock = threading.Lock()
        self._timer = threading.Timer(seconds, self._expire)
        self._timer.daemon = True

    def __enter__(self) -> _Deadline:
        self._timer.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._timer.cancel()

    def connect(
        self, address: tuple[str, int], timeout: float | None = None, *args: Any
    ) -> socket.socket:
        """`socket.create_connection`, waiting no longer than the time left, noted."""
        left = self.end - time.monotonic()
        if left <= 0:
            raise TimeoutError("deadline passed")
        sock = socket.create_connection(address, min(timeout or left, left), *args)
        with self._lock:
            if self.expired:
                sock.close()
                raise TimeoutError("deadline passed")
            self._sockets.append(sock)
        return sock

    def _expire(self) -> None:
        with self._lock:
            self.expired = True
            for sock in self._sockets:
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)


class _HTTPHandler(urllib.request.HTTPHandler):
    """Plain HTTP whose connections keep to a deadline."""

    def __init__(self, deadline: _Deadline) -> None:
        super().__init__()
        self.deadline = deadline

    def http_open(self, req: urllib.request.Request) -> http.client.HTTPResponse:
        return self.do_open(self._connection, req)

    def _connection(self, host: str, **kwargs: Any) -> http.client.HTTPConnection:
        connection = http.client.HTTPConnection(host, **kwargs)
        connection._create_connection = self.deadline.connect  # type: ignore[attr-defined]
        return connection


class _HTTPSHandler(urllib.request.HTTPSHandler):
    """HTTPS whose connections keep to a deadline."""

    def __init__(self, deadline: _Deadline) -> None:
        super().__init__()
        self.deadline = deadline

    def https_open(self, req: urllib.request.Request) -> http.client.HTTPResponse:
        return self.do_open(self._connection, req, context=self._context)  # type: ignore[attr-defined]

    def _connection(self, host: str, **kwargs: Any) -> http.client.HTTPSConnection:
        connection = http.client.HTTPSConnection(host, **kwargs)
        connection._create_connection = self.deadline.connect  # type: ignore[attr-defined]
        return connection


class _RedirectHandler(urllib.request.HTTPRedirectHandler):
    """Follows redirects to http and https addresses only.

    urllib follows one to `ftp:` too, and refuses `file:` and others with an HTTP
    error that does not say why; a page has no business sending reader elsewhere.
    """

    def http_error_302(
        self, req: urllib.request.Request, fp: Any, code: int, msg: str, headers: Any
    ) -> Any:
        location = headers.get("Location") or headers.get("URI")
        if location:
            try:
                scheme = urlsplit(urljoin(req.full_url, location)).scheme.lower()
            except ValueError:
                scheme = "?"
            if scheme not in ("http", "https"):
                fp.close()
                raise ImportFailure(f"refused a redirect to a non-web address ({scheme}:)")
        return super().http_error_302(req, fp, code, msg, headers)

    http_error_301 = http_error_303 = http_error_307 = http_error_308 = http_error_302


def _decompressed(data: bytes, encoding: str) -> bytes:
    """A body as the page's bytes: gzip and deflate undone, no larger than the page limit.

    Raises:
        ImportFailure: For another compression, a damaged one, or a page over
            `MAX_PAGE_BYTES` once decompressed (a few kilobytes of gzip can hold
            gigabytes of zeros).
    """
    name = encoding.strip().lower()
    if name in ("", "identity"):
        return data
    if name in ("gzip", "x-gzip"):
        wbits = 16 + zlib.MAX_WBITS
    elif name == "deflate":
        # HTTP's deflate is zlib data; some servers send raw deflate instead.
        zlib_header = (
            len(data) >= 2 and (data[0] & 0x0F) == 8 and int.from_bytes(data[:2]) % 31 == 0
        )
        wbits = zlib.MAX_WBITS if zlib_header else -zlib.MAX_WBITS
    else:
        raise ImportFailure(f"page compressed as {_one_line(encoding)!r}, which reader cannot read")
    decompressor = zlib.decompressobj(wbits)
    try:
        page = decompressor.decompress(data, MAX_PAGE_BYTES + 1)
    except zlib.error:
        raise ImportFailure(f"damaged {name} compression") from None
    if len(page) > MAX_PAGE_BYTES:
        raise ImportFailure("page too large")
    if not decompressor.eof:
        raise ImportFailure(f"damaged {name} compression (cut short)")
    return page


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
        url,
        headers={
            "User-Agent": _user_agent(),
            "Accept": "text/html, text/*;q=0.8",
            "Accept-Encoding": "gzip, deflate",
        },
    )
    timed_out = ImportFailure(f"timed out after {timeout:g} s")
    deadline = _Deadline(timeout)
    opener = urllib.request.build_opener(
        _HTTPHandler(deadline), _HTTPSHandler(deadline), _RedirectHandler()
    )
    try:
        with deadline, opener.open(request, timeout=timeout) as response:
            data = _read_limited(response)
            media = response.headers.get_content_type()
            charset = response.headers.get_content_charset()
            encoding = response.headers.get("Content-Encoding", "")
    except ImportFailure:
        raise
    except (OSError, ValueError, http.client.HTTPException) as error:
        # Once the deadline has cut the connection, whatever the read said, that is why.
        raise timed_out if deadline.expired else _failure(error, host, timed_out) from None
    finally:
        opener.close()
    if deadline.expired:  # a body cut short, read as if it had ended
        raise timed_out
    return _decompressed(data, encoding), media, charset


def _failure(error: Exception, host: str, timed_out: ImportFailure) -> ImportFailure:
    """The one-line failure for an error of urllib, http.client or the network."""
    if isinstance(error, urllib.error.HTTPError):
        return ImportFailure(f"HTTP {error.code} {_one_line(error.reason)}")
    if isinstance(error, urllib.error.URLError):
        reason = error.reason
        if isinstance(reason, TimeoutError):
            return timed_out
        if isinstance(reason, OSError) and reason.strerror:
            reason = reason.strerror
        return ImportFailure(f"cannot reach {host}: {_one_line(reason)}")
    if isinstance(error, TimeoutError):
        return timed_out
    if isinstance(error, ValueError | http.client.InvalidURL):
        return ImportFailure(f"not a valid web address: {_one_line(error)}")
    return ImportFailure(f"cannot read {host}: {_one_line(error)}")


def load_url(url: str, *, timeout: float = 20.0) -> Document:
    """Fetch a web page (or a text or Markdown file) and parse it into a document.

    The article's source is the URL as given, so importing it again updates it.

    Args:
        url: An http or https URL.
        timeout: Seconds the whole fetch may take (connecting, redirects and
            reading the page), however the server trickles it.

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
    try:
        return decoding.decode_served_text(data, charset)
    except decoding.NotTextError as error:
        raise ImportFailure(str(error)) from None
