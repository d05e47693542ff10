"""Markdown to blocks: CommonMark with tables; front matter read by `annotations.formats`."""

from __future__ import annotations

import functools
import re
from typing import TYPE_CHECKING

from annotations.formats.front_matter import Meta, split_front_matter
from annotations.models import Block, BlockKind, Document
from reader.ingest.text import (
    TABLE_SEPARATOR,
    ImportFailure,
    normalize_newlines,
    shorten,
    title_from_text,
    valid_date,
)

if TYPE_CHECKING:
    from markdown_it import MarkdownIt
    from markdown_it.token import Token


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
