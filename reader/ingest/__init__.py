"""Importing into the library: files, folders and web pages read into documents, and stored.

`text`, `markdown` and `html` turn a file's content into blocks, `epub` a book's pages
(with `html`'s walker); `fetch` reads URLs;
`sources` says what the arguments of an import name and reads a file by its type; `job`
runs an import of many of them (the `reader import` command and the library screen's
`i` both use its `ImportJob`). Lower modules never import higher ones: `text` is at the
bottom (on `paragraphs` and `gutenberg`), `job` at the top. trafilatura and lxml are
loaded only when HTML or a book is parsed.
"""

from reader.ingest.fetch import load_url
from reader.ingest.html import decode_html, parse_html
from reader.ingest.job import ImportJob, ImportSummary, import_files, import_item
from reader.ingest.markdown import parse_markdown
from reader.ingest.sources import (
    Sources,
    find_sources,
    highlights_kind,
    is_url,
    item_name,
    iter_files,
    load_document,
)
from reader.ingest.text import ImportFailure, decode_bytes, parse_text

__all__ = [
    "ImportFailure",
    "ImportJob",
    "ImportSummary",
    "Sources",
    "decode_bytes",
    "decode_html",
    "find_sources",
    "highlights_kind",
    "import_files",
    "import_item",
    "is_url",
    "item_name",
    "iter_files",
    "load_document",
    "load_url",
    "parse_html",
    "parse_markdown",
    "parse_text",
]
