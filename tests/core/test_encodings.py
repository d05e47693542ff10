"""Text, Markdown and HTML files decode to the right characters whatever their encoding."""

from __future__ import annotations

import codecs
from pathlib import Path

import pytest

from annotations.decoding import declared_charset
from reader.ingest import ImportFailure, decode_bytes, decode_html, load_document

SHORT_WESTERN = {
    "dutch": "Assimi Goïta en één coöperatie; geëerd.",
    "dutch-words": "één",
    "name": "Goïta",
    "french": "Un café à côté de l'église, très élégant — « déjà vu ».",
    "french-word": "café",
    "german": "Größe, Übermaß und Straße führen über den Fluss nach Köln.",
    "spanish": "¿Qué tal? El niño comió piñas.",
    "portuguese": "A ação da população não é fácil.",
    "quotes": "“Quoted” text with ‘single’ quotes, an ellipsis… and 5 €.",
    "units": "3 m² at 20 °C for ½ price, ±2 µm.",
}
"""Short Western European texts, as found in small cp1252 notes."""

OTHER_SCRIPTS = {
    "polish-cp1250": ("Zażółć gęślą jaźń. Źródło wiedzy było daleko, ale dotarłem.", "cp1250"),
    "czech-cp1250": ("Příliš žluťoučký kůň úpěl ďábelské ódy.", "cp1250"),
    "russian-cp1251": ("Сегодня хорошая погода, и мы идём гулять в парк у реки.", "cp1251"),
    "greek-cp1253": ("Καλημέρα, τι κάνεις; Σήμερα ο καιρός είναι πολύ ωραίος.", "cp1253"),
    "japanese-shift-jis": ("今日はいい天気ですね。散歩に行きましょう。", "shift_jis"),
}
"""Texts in other legacy code pages, long enough to tell apart."""


def write(tmp_path: Path, name: str, data: bytes) -> Path:
    """Write raw bytes to a file in the test's folder."""
    path = tmp_path / name
    path.write_bytes(data)
    return path


# Plain text and Markdown -------------------------------------------------------------------


@pytest.mark.parametrize(("name", "encoding"), [("utf-8", "utf-8"), ("utf-8-bom", "utf-8-sig")])
def test_utf8_with_and_without_bom(name: str, encoding: str) -> None:
    """UTF-8 text, with or without BOM, in any language."""
    text = "Één café — Привет — 日本語 — 🙂"
    assert decode_bytes(text.encode(encoding)) == text


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le", "utf-16-be", "utf-32"])
def test_utf16_and_utf32_with_bom(encoding: str) -> None:
    """UTF-16 and UTF-32 with their BOM, either byte order."""
    text = "Één café, Привет."
    data = text.encode(encoding)
    if encoding.endswith(("le", "be")):
        bom = codecs.BOM_UTF16_LE if encoding.endswith("le") else codecs.BOM_UTF16_BE
        data = bom + data
    assert decode_bytes(data) == text


@pytest.mark.parametrize("encoding", ["utf-16-le", "utf-16-be"])
def test_utf16_without_bom_is_recognised(encoding: str, tmp_path: Path) -> None:
    """Mostly-Latin UTF-16 without a BOM (NUL in every other byte) is text, not binary."""
    data = "Title\r\n\r\nEen café met één tafel.\r\n".encode(encoding)
    document = load_document(write(tmp_path, "note.txt", data))
    assert document.title == "Title"
    assert [b.text for b in document.blocks] == ["Een café met één tafel."]


@pytest.mark.parametrize("name", list(SHORT_WESTERN))
def test_short_western_texts_in_cp1252(name: str) -> None:
    """Short Dutch, French, German... cp1252 texts come out right, not as cp1250 or others."""
    text = SHORT_WESTERN[name]
    assert decode_bytes(text.encode("cp1252")) == text


def _in_latin1(text: str) -> bool:
    return all(ord(ch) < 256 for ch in text)


@pytest.mark.parametrize("name", [n for n, text in SHORT_WESTERN.items() if _in_latin1(text)])
def test_latin1_texts_read_as_cp1252(name: str) -> None:
    """Latin-1 files (a subset of cp1252 for letters) read the same."""
    text = SHORT_WESTERN[name]
    assert decode_bytes(text.encode("latin-1")) == text


@pytest.mark.parametrize("name", list(OTHER_SCRIPTS))
def test_other_legacy_code_pages_are_detected(name: str) -> None:
    """Central European, Cyrillic, Greek and Japanese legacy texts are detected."""
    text, encoding = OTHER_SCRIPTS[name]
    assert decode_bytes(text.encode(encoding)) == text


def test_a_long_cp1252_book_stays_cp1252(tmp_path: Path) -> None:
    """A long hard-wrapped cp1252 book with CRLF endings: every accent right."""
    paragraph = "Hij zei: ‘Één keer per week gaan we naar het café in Goïta’.\r\n" * 3
    book = "Het boek\r\n\r\n" + "\r\n".join([paragraph] * 2000)
    document = load_document(write(tmp_path, "boek.txt", book.encode("cp1252")))
    assert document.title == "Het boek"
    assert len(document.blocks) == 2000
    assert all(b.text.count("café in Goïta") == 3 for b in document.blocks)


@pytest.mark.parametrize(
    ("ending", "name"), [("\r\n", "crlf"), ("\r", "cr"), ("\n", "lf")], ids=["crlf", "cr", "lf"]
)
@pytest.mark.parametrize("encoding", ["utf-8", "cp1252", "utf-16"])
def test_line_endings_in_every_encoding(
    tmp_path: Path, ending: str, name: str, encoding: str
) -> None:
    """CRLF, CR and LF files give the same paragraphs and headings."""
    lines = ["Titel", "", "Eerste alinea over één café,", "over twee regels.", "", "Tweede."]
    path = write(tmp_path, f"{name}.txt", ending.join(lines).encode(encoding))
    document = load_document(path)
    assert document.title == "Titel"
    assert [b.text for b in document.blocks] == [
        "Eerste alinea over één café, over twee regels.",
        "Tweede.",
    ]


def test_markdown_in_cp1252(tmp_path: Path) -> None:
    """A Markdown file in cp1252 keeps its structure and its accents."""
    data = "---\ntitle: Één café\n---\n\n## Menu\n\n- crème brûlée\n- café\n".encode("cp1252")
    document = load_document(write(tmp_path, "menu.md", data))
    assert document.title == "Één café"
    assert [b.text for b in document.blocks] == ["Menu", "crème brûlée", "café"]


@pytest.mark.parametrize(
    "data",
    [
        b"Title\n\x00\x01\x02\x03 binary",
        b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x01\x00",
        b"PK\x03\x04\x14\x00\x00\x00\x08\x00" + bytes(40),
    ],
    ids=["nul-bytes", "png", "zip"],
)
def test_binary_data_named_txt_is_refused(tmp_path: Path, data: bytes) -> None:
    """NUL bytes without a BOM mean binary, whatever the name says."""
    with pytest.raises(ImportFailure, match=r"^binary file, not text$"):
        load_document(write(tmp_path, "notes.txt", data))


def test_broken_utf8_keeps_its_good_characters() -> None:
    """Mostly-UTF-8 text with a few bad bytes stays UTF-8, with the bad bytes replaced."""
    data = "Één café, naïef en geëerd: ".encode() + b"\xff" + b" einde."
    assert decode_bytes(data) == "Één café, naïef en geëerd: \ufffd einde."


def test_bytes_cp1252_leaves_undefined_never_crash() -> None:
    """A Western text with stray bytes that cp1252 leaves undefined still reads."""
    text = "Een café met één tafel en een stoel in Goïta."
    decoded = decode_bytes(text.encode("cp1252") + b" \x81\x8d.")
    assert decoded.startswith(text)


# HTML -------------------------------------------------------------------------------------


def html(body: str, head: str = "") -> str:
    """A small page."""
    return f"<html><head>{head}<title>T</title></head><body><p>{body}</p></body></html>"


@pytest.mark.parametrize(
    ("head", "expected"),
    [
        ('<meta charset="utf-8">', "utf-8"),
        ("<meta charset=Shift_JIS>", "Shift_JIS"),
        (
            '<meta http-equiv="Content-Type" content="text/html; charset=windows-1251">',
            "windows-1251",
        ),
        ("<META HTTP-EQUIV='content-type' CONTENT='text/html;charset=ISO-8859-1'>", "ISO-8859-1"),
        ("", None),
    ],
)
def test_declared_charset(head: str, expected: str | None) -> None:
    """`<meta charset>` and `<meta http-equiv>` declarations are found."""
    assert declared_charset(html("x", head).encode("ascii")) == expected


def test_valid_utf8_wins_over_a_wrong_declaration() -> None:
    """UTF-8 bytes are UTF-8 even when the page declares a legacy code page."""
    page = html("Één café", '<meta charset="windows-1251">')
    assert decode_html(page.encode("utf-8")) == page


def test_wrong_utf8_declaration_on_a_cp1252_page() -> None:
    """A cp1252 page declaring UTF-8 is read as cp1252."""
    page = html("Wethouder Goïta opent één café.", '<meta charset="utf-8">')
    assert decode_html(page.encode("cp1252")) == page


def test_header_charset_comes_before_the_page_declaration() -> None:
    """The HTTP header's charset is tried first, then the page's."""
    page = html("Привет, мир", '<meta charset="koi8-r">')
    assert decode_html(page.encode("cp1251"), charset="windows-1251") == page
    assert decode_html(page.encode("koi8-r"), charset=None) == page


@pytest.mark.parametrize("declared", ["iso-8859-1", "latin1", "us-ascii", "ISO_8859-1"])
def test_latin1_and_ascii_declarations_read_as_cp1252(declared: str) -> None:
    """Like browsers, latin-1 and ASCII declarations mean cp1252 (the € and quotes too)."""
    page = html("Prijs: 5 € — “goed” café", f'<meta charset="{declared}">')
    assert decode_html(page.encode("cp1252")) == page


def test_unknown_or_useless_declarations_are_ignored() -> None:
    """A declared charset Python does not know, or UTF-16 on an 8-bit page, is skipped."""
    for declared in ("x-made-up", "utf-16", "utf-7"):
        page = html("Één café in Goïta.", f'<meta charset="{declared}">')
        assert decode_html(page.encode("cp1252")) == page, declared


def test_undeclared_legacy_pages_are_detected() -> None:
    """Pages without any declaration in Cyrillic or Japanese legacy encodings."""
    russian = html("Сегодня хорошая погода, и мы идём гулять в парк у реки.")
    assert decode_html(russian.encode("cp1251")) == russian
    japanese = html("今日はいい天気ですね。散歩に行きましょう。")
    assert decode_html(japanese.encode("shift_jis")) == japanese


def test_html_with_bom_ignores_its_declaration() -> None:
    """A BOM decides, whatever the page declares."""
    page = html("Één café", '<meta charset="windows-1252">')
    assert decode_html(page.encode("utf-16")) == page
    assert decode_html(codecs.BOM_UTF8 + page.encode()) == page
