"""HTML to blocks: the page's main text, extracted with trafilatura and lxml (loaded when used)."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from html import unescape
from html.parser import HTMLParser
from typing import TYPE_CHECKING, Any

from annotations import decoding
from annotations.models import Block, BlockKind, Document
from annotations.text import is_one_line, normalize_newlines
from reader.ingest.text import (
    TABLE_SEPARATOR,
    ImportFailure,
    shorten,
    title_from_text,
    valid_date,
)

if TYPE_CHECKING:
    from lxml.etree import _Element

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
_NOT_READ = _SKIPPED_TAGS - {"head", "title"}
"""Left out of a body's text (`head` is a heading in trafilatura's output)."""
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
            include_images=True,  # their alt text is read
            include_comments=False,
            include_links=False,
            favor_recall=recall,
        )
    except (RecursionError, MemoryError):
        return None
    except Exception:  # hostile markup must never stop an import
        return None


def _text(element: _Element) -> str:
    """An element's text (once `_prepare_tree` has run: images as alt text, breaks as newlines)."""
    if not len(element):  # most paragraphs: their text is all there is
        return element.text or ""
    return "".join(element.itertext())


def one_line(text: str) -> str:
    """A text as one line: runs of whitespace one space, none at either end.

    The same as `" ".join(text.split())`, but a text that is one line already (most
    paragraphs of a book) is returned as it is, without being split into words.
    """
    return text if is_one_line(text) else " ".join(text.split())


def _prepare_tree(body: _Element) -> None:
    """Make every element's text what a reader sees: images become their alt text, line
    breaks newlines, and scripts and styles go (their tails stay)."""
    for node in list(body.iter(*_IMAGES, *_LINE_BREAKS, *_NOT_READ)):
        tag = node.tag
        if tag in _IMAGES:
            node.text = node.get("alt") or ""
        elif tag in _LINE_BREAKS:
            node.text = "\n"
        else:
            parent = node.getparent()
            if parent is None:
                continue
            if node.tail:
                previous = node.getprevious()
                if previous is not None:
                    previous.tail = (previous.tail or "") + node.tail
                else:
                    parent.text = (parent.text or "") + node.tail
            parent.remove(node)


def _flat(element: _Element) -> str:
    """An element's text as one line, whitespace collapsed."""
    return one_line(_text(element))


def _code_text(element: _Element) -> str:
    """A code element's text with its line breaks kept."""
    text = normalize_newlines(_text(element))
    lines = [line.rstrip() for line in text.split("\n")]
    while lines and not lines[0]:
        lines.pop(0)
    return "\n".join(lines).rstrip()


def _table_text(table: _Element) -> str:
    """A table as one line per row, cells separated by `TABLE_SEPARATOR`."""
    rows = []
    for row in table.iter("row", "tr"):
        cells = [_flat(cell) for cell in row if cell.tag in _CELLS]
        if any(cells):
            rows.append(TABLE_SEPARATOR.join(cells))
    return "\n".join(rows)


# Both vocabularies: HTML's, and that of trafilatura's output (`head`, `list`, `item`, ...).
_HEADINGS = {f"h{level}": level for level in range(1, 7)}
_LISTS = frozenset(("ul", "ol", "list", "menu", "dir"))
_ITEMS = frozenset(("li", "item"))
_QUOTES = frozenset(("blockquote", "quote"))
_CELLS = frozenset(("td", "th", "cell"))
_IMAGES = frozenset(("img", "graphic", "image"))
_LINE_BREAKS = frozenset(("br", "lb"))
_PARAGRAPHS = frozenset((
    "p", "dt", "dd", "figcaption", "caption", "address", "summary", "legend",
    "item", "cell", "row", "td", "th", "tr",
))  # fmt: skip
_INLINE = frozenset((
    "a", "abbr", "acronym", "b", "bdi", "bdo", "big", "br", "cite", "code", "data", "del",
    "dfn", "em", "font", "graphic", "hi", "i", "img", "image", "ins", "kbd", "label", "lb",
    "mark", "nobr", "q", "ref", "rp", "rt", "ruby", "s", "samp", "small", "span", "strike",
    "strong", "sub", "sup", "time", "tt", "u", "var", "wbr",
))  # fmt: skip
"""Tags that are part of the line they stand in (the rest start blocks of their own)."""


@cache
def _descendant_ids() -> Callable[[_Element], Any]:
    """`.//@id` as a compiled XPath: the ids inside an element."""
    from lxml import etree

    return etree.XPath(".//@id")


def _blank(text: str | None) -> bool:
    return not text or text.isspace()


class _Blocks:
    """Turns an HTML body, or trafilatura's output tree, into blocks."""

    def __init__(self, anchors: bool) -> None:
        self.blocks: list[Block] = []
        self.anchors: dict[str, int] | None = {} if anchors else None

    def add(self, kind: BlockKind, text: str, level: int = 0) -> None:
        if text.strip():
            self.blocks.append(Block(kind, text, level))

    def mark(self, element: _Element, inside: bool = False, tag: str | None = None) -> None:
        """Note where an element (and, if `inside`, everything in it) starts: the next block.

        `tag` is the element's tag, when the caller has it already.
        """
        anchors = self.anchors
        if anchors is None:
            return
        at = len(self.blocks)
        for name in ("id", "name") if (tag or element.tag) == "a" else ("id",):
            value = element.get(name)
            if value:
                anchors.setdefault(value, at)
        if inside and len(element):
            for value in _descendant_ids()(element):
                anchors.setdefault(str(value), at)

    def walk(self, element: _Element, quote: int = 0, depth: int = 0, known: object = None) -> None:
        """Add the blocks of an element and, for containers, of its children (`known` is
        the element's tag, when the caller has read it)."""
        tag = element.tag if known is None else known
        if not isinstance(tag, str) or tag in _NOT_READ:
            return
        kind = BlockKind.QUOTE if quote else BlockKind.PARAGRAPH
        # A paragraph (most of a book, tested first), or an element too deep to go into.
        if tag == "p" or depth > _MAX_DEPTH:
            self.mark(element, inside=True, tag=tag)
            self.add(kind, _flat(element), quote)
        elif tag in _HEADINGS or tag == "head":
            self.mark(element, inside=True, tag=tag)
            match = _HEADING_REND.search(element.get("rend") or "")
            level = _HEADINGS.get(tag) or (int(match.group(1)) if match else 2)
            self.add(BlockKind.HEADING, _flat(element), level)
        elif tag in ("pre", "code"):
            self.mark(element, inside=True, tag=tag)
            self.add(BlockKind.CODE, _code_text(element))
        elif tag == "table":
            self.mark(element, inside=True, tag=tag)
            self.add(BlockKind.TABLE, _table_text(element))
        elif tag in _LISTS:
            self.mark(element, tag=tag)
            self.list(element, 1, quote, depth)
        elif tag in _QUOTES:
            self.mark(element, tag=tag)
            self.container(element, quote + 1, depth)
        elif tag in _PARAGRAPHS or tag in _INLINE:
            self.mark(element, inside=True, tag=tag)
            self.add(kind, _flat(element), quote)
        else:
            self.mark(element, tag=tag)
            self.container(element, quote, depth)

    def container(self, element: _Element, quote: int, depth: int) -> None:
        """A container's blocks: each run of loose text and inline elements is a paragraph."""
        kind = BlockKind.QUOTE if quote else BlockKind.PARAGRAPH
        run = [element.text or ""]
        for child in element:
            tag = child.tag
            if not isinstance(tag, str) or tag in _NOT_READ:
                run.append(child.tail or "")
            elif tag in _INLINE and not (
                tag == "code" and _blank("".join(run)) and _blank(child.tail)
            ):
                # A code element alone on its lines is a block of code (trafilatura's
                # `code` always is); in a line of text it is part of it.
                self.mark(child, inside=True, tag=tag)
                run.append(_text(child))
                run.append(child.tail or "")
            else:
                self.add_run(kind, run, quote)
                self.walk(child, quote, depth + 1, tag)
                run = [child.tail or ""]
        self.add_run(kind, run, quote)

    def add_run(self, kind: BlockKind, run: list[str], quote: int) -> None:
        """A run of loose text and inline elements, as one block (none if blank)."""
        text = run[0] if len(run) == 1 else "".join(run)
        if text and not text.isspace():
            self.add(kind, one_line(text), quote)

    def list(self, element: _Element, level: int, quote: int, depth: int) -> None:
        """A list's items, numbered when ordered, nested lists one level deeper."""
        ordered = element.tag == "ol" or (element.get("rend") or "").lower() in ("ol", "ordered")
        start = element.get("start") or "1"
        number = int(start) if start.isdigit() and len(start) < 9 else 1
        for item in element:
            if item.tag not in _ITEMS:
                self.walk(item, quote, depth + 1)
                continue
            nested = [child for child in item if child.tag in _LISTS]
            if depth > _MAX_DEPTH:
                nested = []
            self.mark(item)
            for child in item:
                if child not in nested:
                    self.mark(child, inside=True)
            text = one_line(_item_text(item, nested))
            if text:
                if ordered:
                    text = f"{number}. {text}"
                    number += 1
                self.add(BlockKind.LIST_ITEM, text, level)
            for child in nested:
                self.mark(child)
                self.list(child, level + 1, quote, depth + 1)


def _item_text(item: _Element, nested: list[_Element]) -> str:
    """A list item's own text, without its nested lists (its paragraphs one line)."""
    parts = [item.text or ""]
    for child in item:
        if child not in nested:
            parts.append(" " if child.tag not in _INLINE else "")
            parts.append(_text(child))
        parts.append(child.tail or "")
    return "".join(parts)


@dataclass(frozen=True)
class HtmlBlocks:
    """The blocks of an HTML body, and where each of its elements with an id starts."""

    blocks: list[Block]
    anchors: dict[str, int]
    """Element id (or `a name`) -> index of the first block made at or after it."""


def html_blocks(body: _Element | None, *, anchors: bool = False) -> HtmlBlocks:
    """An HTML body (or trafilatura's output) as blocks: the same kinds wherever it came from.

    Headings, paragraphs, list items (numbered when ordered), quotes, code and tables keep
    their kind; images become their alt text; scripts and styles are left out. Tag names
    are expected without a namespace. The tree is changed on the way (images and line
    breaks get text, scripts go).

    Args:
        body: The element whose content to read (`body`, or any container); None for none.
        anchors: Also note where each element with an id starts (a book's table of contents
            points at them).
    """
    walker = _Blocks(anchors)
    if body is not None:
        _prepare_tree(body)
        if body.tag in ("body", "div", "doc", "text", "main", "section", "article"):
            walker.mark(body)
            walker.container(body, 0, 0)
        else:
            walker.walk(body)
    return HtmlBlocks(walker.blocks, walker.anchors or {})


def _body_blocks(body: _Element | None) -> list[Block]:
    return html_blocks(body).blocks


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
    paragraphs, list items, quotes, code and tables keep their kind; images are
    their alt text (see `html_blocks`). Title,
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
