"""Web pages: main-text extraction from HTML files, and importing URLs from a local server."""

from __future__ import annotations

import contextlib
import gzip
import json
import queue
import random
import socket
import subprocess
import sys
import threading
import time
import zlib
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from click.testing import CliRunner

import reader.ingest.fetch
from annotations.formats.markdown import render_article_markdown
from annotations.models import BlockKind, Document
from annotations.store import AnnotationStore
from reader.cli import cli
from reader.ingest import (
    ImportFailure,
    import_files,
    iter_files,
    load_document,
    load_url,
    parse_html,
    parse_markdown,
)

PAGES = Path(__file__).resolve().parent.parent / "data" / "web"
HUNG_SECONDS = 60
"""Work still going after this long is hung: the test fails then instead of blocking.
It is no measure of speed."""


def page(name: str) -> bytes:
    """The bytes of one of our test pages."""
    return (PAGES / name).read_bytes()


def all_text(document: Document) -> str:
    """Every block's text and the title, for presence checks."""
    return "\n".join([document.title, *(block.text for block in document.blocks)])


# HTML files ---------------------------------------------------------------------------------


def test_news_page_keeps_the_story_and_drops_the_site_around_it() -> None:
    """Menus, cookie banner, ads, related links, comments and footer are left out."""
    document = parse_html(page("news.html"), "news.html")

    text = all_text(document)
    assert "closed for the first time on Saturday night" in text
    assert "the records began in 1952." in text
    assert "said the project's chief engineer, Oskar Brandt." in text
    assert "plan for the smaller gates planned further up the river." in text
    for clutter in (
        "cookies",  # cookie banner
        "Subscribe for one euro",  # menu
        "Pellam Outfitters",  # ad
        "Kellport Savings Bank",  # ad inside the article
        "Winter ferry timetable",  # related links
        "my shoes thank the council",  # comment
        "harbourwatcher",  # comment author
        "All rights reserved",  # footer
        "morning briefing",  # newsletter box
        "dataLayer",  # script
    ):
        assert clutter not in text, clutter


def test_news_page_metadata_and_block_kinds() -> None:
    """Title without the site name, author, date; headings and quotes keep their kind."""
    document = parse_html(page("news.html"), "https://news.example/tide-gates")

    assert document.title == "Tide gates hold through the first winter storm"
    assert document.author == "Mara Linden"
    assert document.date == "2024-11-03"
    assert document.format == "html"
    assert document.source == "https://news.example/tide-gates"
    # The leading H1 repeats the title, so it is not a block.
    assert document.blocks[0].kind == BlockKind.PARAGRAPH
    assert document.blocks[0].text.startswith("The new tide gates at the mouth")
    headings = [b for b in document.blocks if b.kind == BlockKind.HEADING]
    assert [(b.text, b.level) for b in headings] == [("Years of planning", 2)]
    quotes = [b for b in document.blocks if b.kind == BlockKind.QUOTE]
    assert [(b.text, b.level) for b in quotes] == [
        ("The water used to come in under the door like a guest who never knocked.", 1)
    ]
    assert all("\n" not in b.text for b in document.blocks)


def test_blog_post_code_lists_and_table() -> None:
    """Code keeps its lines, ordered lists are numbered, nested lists go deeper, tables rows."""
    document = parse_html(page("blog.html"), "blog.html")
    blocks = document.blocks

    assert document.title == "Counting words without counting twice"
    assert document.author == "Tobias Wren"
    assert document.date == "2023-06-14"
    code = [b.text for b in blocks if b.kind == BlockKind.CODE]
    assert code == [
        "def count_new_words(paragraphs, seen):\n"
        "    total = 0\n"
        "    for text in paragraphs:\n"
        "        key = hash(text.strip())\n"
        "        if key in seen:\n"
        "            continue\n"
        "        seen.add(key)\n"
        "        total += len(text.split())\n"
        "    return total"
    ]
    items = [(b.text, b.level) for b in blocks if b.kind == BlockKind.LIST_ITEM]
    assert items == [
        ("1. The text is stripped before hashing, so stray spaces do not make a new paragraph.", 1),
        ("2. The set of fingerprints lives between runs.", 1),
        ("3. Only new paragraphs add to the total.", 1),
        ("Edits are real work.", 1),
        ("Even small ones.", 2),
        ("Especially the small ones that take an afternoon.", 2),
        ("Nobody edits the same paragraph a thousand times.", 1),
    ]
    tables = [b.text for b in blocks if b.kind == BlockKind.TABLE]
    assert tables == [
        "Folder │ Files │ New words\n"
        "drafts │ 41 │ 18,204\n"
        "published │ 112 │ 96,530\n"
        "abandoned │ 9 │ 2,877"
    ]
    assert ("What about edits?", 3) in [
        (b.text, b.level) for b in blocks if b.kind == BlockKind.HEADING
    ]
    assert [b.text for b in blocks if b.kind == BlockKind.QUOTE] == [
        "Counting is easy; deciding what counts is the hard part."
    ]
    text = all_text(document)
    for clutter in ("About me", "Archive", "Powered by a very old laptop", "Posted on"):
        assert clutter not in text, clutter


def test_html_files_import_by_extension_and_by_content(tmp_path: Path) -> None:
    """`.html` and `.htm` files are pages; so is a file without extension that holds HTML."""
    for name in ("story.html", "story.htm", "story"):
        path = tmp_path / name
        path.write_bytes(page("news.html"))
        document = load_document(path)
        assert document.format == "html", name
        assert document.title == "Tide gates hold through the first winter storm"
        assert document.source == str(path.resolve())


def test_html_file_in_a_folder_imports_with_the_rest(file_store: AnnotationStore, tmp_path: Path):
    """A folder import takes HTML pages, and importing them again changes nothing."""
    folder = tmp_path / "saved"
    folder.mkdir()
    (folder / "news.html").write_bytes(page("news.html"))
    (folder / "blog.htm").write_bytes(page("blog.html"))

    first = import_files(file_store, iter_files([folder]))
    again = import_files(file_store, iter_files([folder]))

    assert (first.imported, first.failed) == (2, 0)
    assert again.unchanged == 2
    blocks = file_store.get_blocks(first.article_ids[0])  # blog.htm comes first
    assert any(b.kind == BlockKind.TABLE for b in blocks)


@pytest.mark.parametrize(
    "name", ["dutch-cp1252-declared-utf8.html", "dutch-cp1252-undeclared.html"]
)
def test_dutch_cp1252_page_reads_right_with_a_wrong_or_no_charset(name: str) -> None:
    """A cp1252 page that declares UTF-8, or nothing, still gives the right letters."""
    document = parse_html(page(name), name)

    assert document.title == "Één brug, drie jaar werk"
    assert document.author == "Femke de Vries"
    assert document.date == "2023-05-12"
    text = all_text(document)
    for word in ("café", "Goïta", "„een mooie dag voor het hele dorp”", "coöperatie", "Geëerde"):
        assert word in text, word
    assert "\ufffd" not in text
    assert "Voorpagina" not in text and "cookies" not in text and "rechten" not in text


def test_russian_page_in_windows_1251() -> None:
    """A Cyrillic page in its legacy code page, declared by meta http-equiv."""
    document = parse_html(page("russian-windows-1251.html"), "ru.html")

    assert document.title == "Весенний ледоход на реке Вельде"
    assert document.author == "Анна Соколова"
    assert document.blocks[0].text.startswith("В этом году лёд на реке Вельде тронулся")
    assert "Пётр Ильич" in all_text(document)
    assert "Перепечатка" not in all_text(document)


def test_japanese_page_in_shift_jis() -> None:
    """A Japanese page in Shift_JIS declared by meta charset."""
    document = parse_html(page("japanese-shift_jis.html"), "ja.html")

    assert document.title == "小さな港町の朝市"
    last = "最近は観光客も増え、町の新しい名物になりつつあります。"
    assert document.blocks[-1].text == last
    assert "漁師たちはその日の朝にとれた魚を並べ" in all_text(document)
    assert "無断転載" not in all_text(document)


def test_utf16_page_with_bom() -> None:
    """A UTF-16 page with a BOM."""
    document = parse_html(page("french-utf16-bom.html"), "fr.html")

    assert document.title == "Le marché aux fleurs de Valbonne"
    assert document.blocks[-1].text.startswith("À midi, il ne reste presque rien")


def test_page_without_body_fails_with_one_line() -> None:
    """A page with only a head has no article text."""
    with pytest.raises(ImportFailure, match=r"^no article text found in the page$"):
        parse_html(page("no-body.html"), "empty.html")


def test_extraction_warnings_never_reach_the_terminal() -> None:
    """Even with logging to stderr switched on, the extractor's warnings stay quiet."""
    code = (
        "import logging, sys\n"
        "logging.basicConfig(level=logging.DEBUG, stream=sys.stderr)\n"
        "from reader.ingest import ImportFailure, parse_html\n"
        "pages = [b'<html><head><title>x</title></head></html>', b'<div>' * 5000, b'caf\\xe9']\n"
        "for page in pages:\n"
        "    try:\n"
        "        parse_html(page, 'x.html')\n"
        "    except ImportFailure:\n"
        "        pass\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120
    )
    assert (result.stdout, result.stderr) == ("", "")


@pytest.mark.parametrize(
    "html",
    [
        b"",
        b"   \n ",
        b"<html></html>",
        b"<html><body><script>var a = 'only a script';</script></body></html>",
        b"<!-- only a comment -->",
    ],
)
def test_pages_without_text_fail_with_one_line(html: bytes) -> None:
    """Empty pages and pages with nothing visible give the one-line reason."""
    with pytest.raises(ImportFailure, match=r"^no article text found in the page$"):
        parse_html(html, "page.html")


def test_short_pages_and_fragments_still_give_their_text() -> None:
    """Pages too small for main-text extraction fall back to their visible text."""
    short = parse_html(b"<html><body><div>Short note.</div></body></html>", "a.html")
    assert [b.text for b in short.blocks] == ["Short note."]

    fragment = parse_html(b"<p>A lonely paragraph.</p><p>Another one.</p>", "b.html")
    assert "A lonely paragraph." in all_text(fragment)

    headless = parse_html(b"<title>Note</title><p>Text right after the title.</p>", "d.html")
    assert (headless.title, [b.text for b in headless.blocks]) == (
        "Note",
        ["Text right after the title."],
    )

    menus = parse_html(
        b"<html><body><nav><a href=/a>Home</a> <a href=/b>About</a></nav></body></html>",
        "c.html",
    )
    assert "Home" in all_text(menus)


def nested(depth: int) -> bytes:
    """A page with `depth` nested boxes around its text, then more text after them."""
    return (
        b"<html><body>"
        + b"<div>" * depth
        + b"<p>Deep text that is buried under many boxes of markup.</p>"
        + b"</div>" * depth
        + b"<p>After the boxes there is more text to read here.</p></body></html>"
    )


HOSTILE = dict(
    [
        ("nested-10000", nested(10_000)),
        ("nested-items", b"<html><body><ul>" + b"<li>item<ul>" * 3000 + b"</ul></body></html>"),
        ("nested-tables", b"<html><body>" + b"<table><tr><td>cell" * 3000 + b"</body></html>"),
        ("no-body-tag", b"<title>T</title><p>Text straight after the title, no body tag.</p>"),
        ("nul-bytes", b"<html><body><p>Nul \x00 bytes \x00 inside the text.</p></body></html>"),
        ("invalid-bytes", b"<html><body><p>Bad \xff\xfe\xc3\x28 bytes " + bytes(range(128, 256))),
        ("huge-line", b"<html><body><p>" + b"word " * 400_000 + b"</p></body></html>"),
        ("unclosed", b"<html><body><p>Open <b><i><table><tr><td>tags <p>everywhere"),
        ("xml-declaration", b'<?xml version="1.0" encoding="windows-1251"?><html><p>\xcf\xf0\xe8'),
        ("control-chars", b"<html><body><p>Bell \x07 and escape \x1b[31m red</p></body></html>"),
        ("bad-entities", b"<html><body><p>&#0; &#xD800; &#99999999; &bogus; text</p></body>"),
    ]
)
"""Pages meant to break a parser: name -> bytes."""


def parsed_or_failure(data: bytes, name: str) -> Document | ImportFailure:
    """`parse_html` in a thread of its own: its document or its ImportFailure.

    Fails the test if the parse is still going after `HUNG_SECONDS`, instead of
    blocking the run.
    """
    outcome: list[Document | BaseException] = []

    def parse() -> None:
        try:
            outcome.append(parse_html(data, name))
        except BaseException as error:
            outcome.append(error)

    thread = threading.Thread(target=parse, daemon=True)
    thread.start()
    thread.join(HUNG_SECONDS)
    if thread.is_alive():
        pytest.fail(f"parse_html({name!r}) still running after {HUNG_SECONDS} s: hung")
    [result] = outcome
    if isinstance(result, BaseException) and not isinstance(result, ImportFailure):
        raise result
    return result


@pytest.mark.parametrize("name", list(HOSTILE))
def test_hostile_pages_never_crash_or_hang(name: str) -> None:
    """Whatever the markup, the result is a document or a one-line ImportFailure."""
    result = parsed_or_failure(HOSTILE[name], f"{name}.html")
    if isinstance(result, ImportFailure):
        assert "\n" not in str(result)
    else:
        assert result.blocks
        assert all(block.text.strip() for block in result.blocks)
        assert "\x00" not in all_text(result)


def test_deeply_nested_page_keeps_its_text() -> None:
    """10,000 nested elements: the text inside and after them is still found."""
    text = all_text(parse_html(nested(10_000), "deep.html"))
    assert "After the boxes there is more text to read here." in text


def test_binary_file_named_html_is_refused(tmp_path: Path) -> None:
    """A picture saved as .html is not a page."""
    path = tmp_path / "photo.html"
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(200) + b"IDAT" + bytes(range(256)))
    with pytest.raises(ImportFailure, match="binary file"):
        load_document(path)


def test_html_extraction_is_imported_only_when_needed(tmp_path: Path) -> None:
    """`reader --version` and `reader list` do not load the HTML extractor."""
    code = (
        "import sys\n"
        "from click.testing import CliRunner\n"
        "from reader.cli import cli\n"
        f"db = {str(tmp_path / 'lazy.db')!r}\n"
        "for args in (['--version'], ['--db', db, 'list']):\n"
        "    assert CliRunner().invoke(cli, args).exit_code == 0, args\n"
        "print(sorted(m for m in ('trafilatura', 'lxml', 'charset_normalizer')"
        " if m in sys.modules))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120
    )
    assert result.stdout.strip() == "[]"


# Tables -------------------------------------------------------------------------------------


def test_markdown_tables_are_table_blocks() -> None:
    """A Markdown table is one TABLE block, one line per row, cells set apart."""
    document = parse_markdown(
        "# Prices\n\nBefore.\n\n| Fruit | Price |\n|---|---:|\n| Apple | 1.20 |\n"
        "| *Pear* | `2.00` |\n\nAfter.\n"
    )
    assert [(b.kind, b.text) for b in document.blocks] == [
        (BlockKind.PARAGRAPH, "Before."),
        (BlockKind.TABLE, "Fruit │ Price\nApple │ 1.20\nPear │ 2.00"),
        (BlockKind.PARAGRAPH, "After."),
    ]


def test_table_blocks_survive_the_store_and_export_as_code(
    file_store: AnnotationStore,
) -> None:
    """TABLE blocks come back from the library as tables and export as a fenced block."""
    from datetime import UTC, datetime

    result = file_store.import_document(parse_html(page("blog.html"), "blog.html"))
    blocks = file_store.get_blocks(result.article.id)
    index = next(i for i, b in enumerate(blocks) if b.kind == BlockKind.TABLE)
    table = blocks[index]
    assert table.text.count("\n") == 3
    annotation = file_store.add_highlight(result.article.id, (index, 0), (index, len(table.text)))

    markdown = render_article_markdown(
        file_store.get_article(result.article.id),
        blocks,
        [annotation],
        datetime(2026, 1, 1, tzinfo=UTC),
    )
    assert "> ```\n> Folder │ Files │ New words\n> drafts │ 41 │ 18,204\n" in markdown


# URLs ---------------------------------------------------------------------------------------


BOMB = gzip.compress(b" " * (reader.ingest.fetch.MAX_PAGE_BYTES + 1), 9)
"""About 20 kB of gzip that hold a page one byte over the size limit."""


class _Site:
    """What the local test server serves: path -> (status, headers, body)."""

    def __init__(self) -> None:
        self.routes: dict[str, tuple[int, dict[str, str], bytes]] = {}
        self.user_agents: list[str] = []
        self.answer_slow = threading.Event()
        """/slow answers once this is set (when the test ends), not before."""
        self.drips: queue.Queue[tuple[int, int]] = queue.Queue()
        """For each trickled response once it ended: the bytes sent slowly, and how many
        there were to send (fewer were sent when the client closed the connection)."""


def _handler(site: _Site) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            site.user_agents.append(self.headers.get("User-Agent", ""))
            if self.path == "/slow":
                site.answer_slow.wait(HUNG_SECONDS)
            if self.path.startswith("/drip"):
                self.drip()
                return
            status, headers, body = site.routes.get(
                self.path, (404, {"Content-Type": "text/html"}, b"<h1>Not here</h1>")
            )
            self.send_response(status)
            for key, value in headers.items():
                self.send_header(key, value)
            if "Content-Length" not in headers:
                self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            with contextlib.suppress(OSError):
                self.wfile.write(body)

        def drip(self) -> None:
            """A response a byte every 0.3 s: its headers too (/drip-headers), or its body."""
            head = b"HTTP/1.0 200 OK\r\nContent-Type: text/html\r\nContent-Length: 200\r\n\r\n"
            body = b"<p>" + b"drip " * 40
            if self.path == "/drip-headers":
                slow, fast = head, b""
            else:
                slow, fast = body, head
            sent = 0
            with contextlib.suppress(OSError):
                self.wfile.write(fast)
                self.wfile.flush()
                for index in range(len(slow)):
                    self.wfile.write(slow[index : index + 1])
                    self.wfile.flush()
                    sent += 1
                    time.sleep(0.3)
            site.drips.put((sent, len(slow)))

        def log_message(self, format: str, *args: object) -> None:
            pass

    return Handler


@pytest.fixture
def site() -> Iterator[tuple[_Site, str]]:
    """A web server on 127.0.0.1 serving our test pages; yields it and its base URL."""
    site = _Site()
    html = {"Content-Type": "text/html; charset=utf-8"}
    news_text = page("news.html")
    squeezer = zlib.compressobj(wbits=-zlib.MAX_WBITS)
    raw_deflate = squeezer.compress(news_text) + squeezer.flush()
    russian = page("russian-windows-1251.html").replace(
        b'<meta http-equiv="Content-Type" content="text/html; charset=windows-1251">\n', b""
    )
    site.routes.update(
        {
            "/news": (200, html, page("news.html")),
            "/blog": (200, {"Content-Type": "text/html"}, page("blog.html")),
            "/dutch": (200, {"Content-Type": "text/html"}, page("dutch-cp1252-declared-utf8.html")),
            "/russian": (200, {"Content-Type": "text/html; charset=windows-1251"}, russian),
            "/moved": (302, {"Location": "/news"}, b""),
            "/gone": (410, {"Content-Type": "text/plain"}, b"gone"),
            "/notes.txt": (
                200,
                {"Content-Type": "text/plain; charset=windows-1252"},
                "Notes\r\n\r\nEen caf\u00e9 met \u00e9\u00e9n tafel.\r\n".encode("cp1252"),
            ),
            "/notes.md": (
                200,
                {"Content-Type": "text/markdown"},
                b"# Shopping\n\n- bread\n- cheese\n\n| a | b |\n|---|---|\n| 1 | 2 |\n",
            ),
            "/photo.png": (200, {"Content-Type": "image/png"}, b"\x89PNG\r\n\x1a\n"),
            "/huge": (200, {"Content-Type": "text/html", "Content-Length": str(25 * 2**20)}, b""),
            "/big": (200, {"Content-Type": "text/html"}, b"<html><body><p>" + b"x" * 5000),
            "/slow": (200, html, page("news.html")),
            "/empty": (200, html, b""),
            "/gzip": (200, {**html, "Content-Encoding": "gzip"}, gzip.compress(page("news.html"))),
            "/deflate": (200, {**html, "Content-Encoding": "deflate"}, zlib.compress(news_text)),
            "/raw-deflate": (200, {**html, "Content-Encoding": "deflate"}, raw_deflate),
            "/brotli": (200, {**html, "Content-Encoding": "br"}, b"\x1b\x03\x00"),
            "/bomb": (200, {**html, "Content-Encoding": "gzip"}, BOMB),
            "/broken-gzip": (200, {**html, "Content-Encoding": "gzip"}, b"\x1f\x8b junk"),
            "/noise": (200, html, random.Random(5).randbytes(30_000)),
            "/to-ftp": (302, {"Location": "ftp://127.0.0.1/news.html"}, b""),
            "/to-file": (301, {"Location": "file:///etc/passwd"}, b""),
            "/to-data": (307, {"Location": "data:text/html,<p>hello</p>"}, b""),
        }
    )
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(site))
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield site, f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        site.answer_slow.set()
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def test_url_import_of_a_news_page(site: tuple[_Site, str]) -> None:
    """A page from a server: main text, metadata, the URL as source, our User-Agent."""
    served, base = site
    document = load_url(f"{base}/news")

    assert document.title == "Tide gates hold through the first winter storm"
    assert document.source == f"{base}/news"
    assert document.format == "html"
    assert "Pellam Outfitters" not in all_text(document)
    assert served.user_agents[-1].startswith("reader/")


def test_url_charsets_from_header_and_from_guessing(site: tuple[_Site, str]) -> None:
    """The header's charset is used; a page with a wrong meta charset is still read right."""
    _, base = site
    russian = load_url(f"{base}/russian")
    assert russian.title == "Весенний ледоход на реке Вельде"

    dutch = load_url(f"{base}/dutch")
    assert "Wethouder Goïta noemde de opening" in all_text(dutch)
    assert "café" in all_text(dutch)


def test_url_redirect_is_followed_and_the_given_url_is_the_source(
    site: tuple[_Site, str],
) -> None:
    """A redirect is followed; the source stays the URL as given (re-import updates it)."""
    _, base = site
    document = load_url(f"{base}/moved")
    assert document.title == "Tide gates hold through the first winter storm"
    assert document.source == f"{base}/moved"


def test_url_text_and_markdown_content_types(site: tuple[_Site, str]) -> None:
    """text/plain and text/markdown responses are read as text and Markdown."""
    _, base = site
    text = load_url(f"{base}/notes.txt")
    assert (text.title, text.format) == ("Notes", "txt")
    assert [b.text for b in text.blocks] == ["Een café met één tafel."]

    markdown = load_url(f"{base}/notes.md")
    assert (markdown.title, markdown.format) == ("Shopping", "md")
    assert [b.kind for b in markdown.blocks] == [
        BlockKind.LIST_ITEM,
        BlockKind.LIST_ITEM,
        BlockKind.TABLE,
    ]


@pytest.mark.parametrize(
    ("path", "message"),
    [
        ("/missing", "^HTTP 404 Not Found$"),
        ("/gone", "^HTTP 410 Gone$"),
        ("/photo.png", r"^not a web page \(content type image/png\)$"),
        ("/huge", "^page too large$"),
        ("/empty", "^no article text found in the page$"),
    ],
)
def test_url_failures_are_one_line(site: tuple[_Site, str], path: str, message: str) -> None:
    """HTTP errors, other content types, oversized and empty pages: one-line reasons."""
    _, base = site
    with pytest.raises(ImportFailure, match=message):
        load_url(f"{base}{path}")


def test_url_size_limit_without_content_length(
    site: tuple[_Site, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A body larger than the limit is refused even when the server does not say its size."""
    served, base = site
    status, headers, body = served.routes["/big"]
    served.routes["/big"] = (status, {**headers, "Content-Length": ""}, body)
    monkeypatch.setattr(reader.ingest.fetch, "MAX_PAGE_BYTES", 1000)
    with pytest.raises(ImportFailure, match=r"^page too large$"):
        load_url(f"{base}/big")


def test_url_timeout(site: tuple[_Site, str]) -> None:
    """A server slower than the timeout gives `timed out after N s`.

    The server answers only once the test has ended, so the fetch can end only by its
    timeout.
    """
    _, base = site
    with pytest.raises(ImportFailure, match=r"^timed out after 0\.5 s$"):
        load_url(f"{base}/slow", timeout=0.5)


@pytest.mark.parametrize("path", ["/drip", "/drip-headers"])
def test_url_deadline_holds_against_a_server_trickling_bytes(
    site: tuple[_Site, str], path: str
) -> None:
    """A byte every 0.3 s never lets a 1 s socket timeout fire; the fetch still ends at 1 s.

    The fetch fails as timed out while the server is still sending: its response,
    60 s of trickle, is cut off by the client closing the connection.
    """
    served, base = site
    with pytest.raises(ImportFailure, match=r"^timed out after 1 s$"):
        load_url(f"{base}{path}", timeout=1)
    try:
        sent, total = served.drips.get(timeout=HUNG_SECONDS)
    except queue.Empty:
        pytest.fail(f"the server still sends {path} {HUNG_SECONDS} s after the fetch ended")
    assert 0 < sent < total


@pytest.mark.parametrize("path", ["/gzip", "/deflate", "/raw-deflate"])
def test_url_compressed_pages_are_read(site: tuple[_Site, str], path: str) -> None:
    """gzip and deflate (zlib or raw) bodies are decompressed."""
    _, base = site
    document = load_url(f"{base}{path}")
    assert document.title == "Tide gates hold through the first winter storm"


@pytest.mark.parametrize(
    ("path", "message"),
    [
        ("/bomb", "^page too large$"),
        ("/brotli", r"^page compressed as 'br', which reader cannot read$"),
        ("/broken-gzip", "^damaged gzip compression"),
        ("/noise", "^binary data, not a web page$"),
        ("/to-ftp", r"^refused a redirect to a non-web address \(ftp:\)$"),
        ("/to-file", r"^refused a redirect to a non-web address \(file:\)$"),
        ("/to-data", r"^refused a redirect to a non-web address \(data:\)$"),
    ],
)
def test_url_bad_bodies_and_redirects_are_one_line(
    site: tuple[_Site, str], path: str, message: str
) -> None:
    """A gzip bomb, an unknown or broken compression, random bytes as text/html, and a
    redirect away from http(s): each refused in one line."""
    _, base = site
    with pytest.raises(ImportFailure, match=message):
        load_url(f"{base}{path}")


def test_random_bytes_are_not_a_page() -> None:
    """Random bytes parsed as HTML (a file named .html) are refused, not read as words."""
    with pytest.raises(ImportFailure, match=r"^binary data, not a web page$"):
        parse_html(random.Random(9).randbytes(20_000), "noise.html")


def free_port() -> int:
    """A local port that nothing listens on."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_unreachable_server_and_bad_urls() -> None:
    """A refused connection names the host; a URL without a host is refused as such."""
    with pytest.raises(ImportFailure, match=r"^cannot reach 127\.0\.0\.1: .*refused"):
        load_url(f"http://127.0.0.1:{free_port()}/page")
    for bad in (
        "http://",
        "https:///path-only",
        "ftp://127.0.0.1/file",
        "http://[::1",
        "http://exa mple.example/",
        "http://127.0.0.1:port/",
    ):
        with pytest.raises(ImportFailure, match=r"^not a (valid )?web address") as caught:
            load_url(bad)
        assert "\n" not in str(caught.value)


def test_cli_imports_urls_and_reports_failures(site: tuple[_Site, str], tmp_path: Path) -> None:
    """`reader import URL...` prints the summary, one line per failure, and exits 1."""
    _, base = site
    db = str(tmp_path / "web.db")
    runner = CliRunner()

    result = runner.invoke(
        cli, ["--db", db, "import", f"{base}/news", f"{base}/blog", f"{base}/missing"]
    )

    assert result.exit_code == 1
    assert result.stdout.strip().splitlines()[-1] == "imported 2, updated 0, unchanged 0, failed 1"
    assert result.stderr.strip().splitlines() == [f"reader: {base}/missing: HTTP 404 Not Found"]
    assert "Traceback" not in result.output
    again = runner.invoke(cli, ["--db", db, "import", f"{base}/news"])
    assert (again.exit_code, again.stdout.strip()) == (
        0,
        "imported 0, updated 0, unchanged 1, failed 0",
    )
    articles = json.loads(runner.invoke(cli, ["--db", db, "list", "--json"]).stdout)
    sources = {a["source"]: a for a in articles}
    assert sources[f"{base}/news"]["title"] == "Tide gates hold through the first winter storm"
    assert sources[f"{base}/blog"]["date"] == "2023-06-14"


def test_cli_reimport_of_a_changed_page_updates_it(site: tuple[_Site, str], tmp_path: Path) -> None:
    """When the page at a URL changes, importing it again updates the same article."""
    served, base = site
    db = str(tmp_path / "web.db")
    runner = CliRunner()
    assert runner.invoke(cli, ["--db", db, "import", f"{base}/news"]).exit_code == 0
    status, headers, body = served.routes["/news"]
    served.routes["/news"] = (status, headers, body.replace(b"forty centimetres", b"a metre"))

    result = runner.invoke(cli, ["--db", db, "import", f"{base}/news"])

    assert result.stdout.strip() == "imported 0, updated 1, unchanged 0, failed 0"


def test_cli_offline_is_one_line(tmp_path: Path) -> None:
    """An unreachable server gives one line on stderr and exit 1, never a traceback."""
    url = f"http://127.0.0.1:{free_port()}/story"
    result = CliRunner().invoke(cli, ["--db", str(tmp_path / "web.db"), "import", url])
    assert result.exit_code == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith(f"reader: {url}: cannot reach 127.0.0.1: ")
    assert result.stdout.strip() == "imported 0, updated 0, unchanged 0, failed 1"


def test_cli_open_imports_a_url_or_highlights_file_first(
    site: tuple[_Site, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`reader open URL` imports the page and opens it; a Kindle file opens its first book."""
    import reader.cli

    opened: list[str | None] = []
    monkeypatch.setattr(
        reader.cli,
        "run_tui",
        lambda store, open_article=None: opened.append(
            store.get_article(open_article).title if open_article else None
        ),
    )
    _, base = site
    db = str(tmp_path / "open.db")
    clippings = Path(__file__).parents[1] / "data" / "highlights" / "My Clippings.txt"

    for target in (f"{base}/news", str(clippings)):
        result = CliRunner().invoke(cli, ["--db", db, "open", target])
        assert result.exit_code == 0, result.output
    missing = CliRunner().invoke(cli, ["--db", db, "open", f"{base}/nothing-here"])

    assert opened[0] == "Tide gates hold through the first winter storm"
    assert opened[1] is not None and opened[1] != opened[0]
    assert missing.exit_code == 1
    assert "HTTP 404" in missing.output


def test_the_pages_own_title_beats_a_heading_from_elsewhere_in_it() -> None:
    """A help pop-up's heading is not the article's title; the page's <title> is."""
    html = b"""<html><head><title>Tuning a bicycle chain - The Workshop Manual</title></head>
    <body><div class="help" hidden><h2>Keyboard help</h2><p>Press s to search.</p></div>
    <nav><h1>The Workshop Manual</h1></nav>
    <main><h2>Before you start</h2>
    <p>A chain that is too loose skips on the small sprockets, and one that is too tight wears
    the whole drive train. Measure its length across twelve links before anything else.</p>
    <p>Clean the chain first: grit hides wear and makes every measurement a little wrong.</p>
    </main></body></html>"""
    document = parse_html(html, "/manual.html")
    assert document.title == "Tuning a bicycle chain"
    og = html.replace(b"<head>", b'<head><meta property="og:title" content="Chain &amp; gears">')
    assert parse_html(og, "/manual.html").title == "Chain & gears"
