"""Bytes into text: BOMs, UTF-8 or nearly so, declared charsets and legacy code pages.

One pipeline for every file and page reader takes in, with three entry points:

- `decode_text`: a text or Markdown file (or a text response with no usable charset);
- `decode_page`: a web page, honouring the charset of the HTTP header and the page;
- `decode_lenient`: an export of another tool (highlights), which is never guessed at.

None of them raises for undecodable bytes (they are replaced); the first two raise
`NotTextError` for binary data.
"""

from __future__ import annotations

import codecs
import re
import unicodedata
from itertools import pairwise

from annotations.errors import BadInputError


class NotTextError(BadInputError):
    """Bytes that are binary data, not text; the message is a one-line reason."""


_BOMS = (
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
"""Byte order marks and the codec each announces (UTF-32's before UTF-16's: they start alike)."""
LEGACY = "cp1252"
"""The 8-bit code page assumed unless another one clearly reads better."""
_SCRIPT_FAMILIES = {"HIRAGANA": "CJK", "KATAKANA": "CJK", "HALFWIDTH": "CJK", "FULLWIDTH": "CJK"}
_WORD = re.compile(r"[^\W\d_]+")
_TAG = re.compile(r"<[^>]*>")
_IN_WORD_MARKS = frozenset("\u2019\u2018\u00b7\u2010\u2011\u00ad\u2013\u2014\u2026")
"""Non-letters that real text has between letters: apostrophes, middle dot, dashes, `…`."""
_DETECTABLE = (
    "cp1250", "cp1251", "cp1253", "cp1254", "cp1255", "cp1256", "cp1257", "cp1258",
    "iso8859_2", "iso8859_5", "iso8859_7", "iso8859_8", "iso8859_13", "iso8859_15",
    "koi8_r", "koi8_u", "cp866", "cp874", "cp932", "euc_jp", "iso2022_jp", "gb18030",
    "big5", "cp949", "euc_kr",
)  # fmt: skip
"""Legacy encodings worth guessing besides cp1252: Windows, ISO and East Asian ones."""
BINARY_SHARE = 0.05
"""The share of control and replacement characters above which decoded bytes are binary."""
_NOT_TEXT = re.compile("[\x00-\x08\x0e-\x1f\x7f-\x9f\ufffd]")
"""Characters text hardly ever holds: controls (not tabs and line breaks) and U+FFFD."""
_META_CHARSET = re.compile(rb"<meta\b[^>]*?charset\s*=\s*[\"']?\s*([A-Za-z0-9_.:-]+)", re.I)
_XML_ENCODING = re.compile(rb"\A\s*<\?xml\b[^>]*?encoding\s*=\s*[\"']([A-Za-z0-9_.:-]+)", re.I)
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


# Unicode ----------------------------------------------------------------------------------


def decode_bom(data: bytes) -> str | None:
    """Decode bytes that start with a byte order mark (UTF-8, UTF-16 or UTF-32).

    Returns:
        The text (undecodable bytes replaced), or None if there is no BOM.
    """
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            return data.decode(encoding, errors="replace")
    return None


def decode_unicode(data: bytes) -> str | None:
    """Decode bytes that announce a Unicode encoding: a BOM, or UTF-16 without one.

    Returns:
        The text, or None if the bytes do not look like UTF-16/32 with a BOM or UTF-16.
    """
    text = decode_bom(data)
    if text is not None:
        return text
    head = data[:4096]
    pairs = len(head) // 2
    if pairs >= 4:
        even, odd = head[0 : 2 * pairs : 2].count(0), head[1 : 2 * pairs : 2].count(0)
        # Mostly-Latin UTF-16 without a BOM: every other byte is NUL, the others never.
        for nuls, others, encoding in ((odd, even, "utf-16-le"), (even, odd, "utf-16-be")):
            if nuls >= 0.6 * pairs and others == 0 and len(data) % 2 == 0:
                try:
                    return data.decode(encoding)
                except UnicodeDecodeError:
                    return None
    return None


def decode_utf8(data: bytes) -> str | None:
    """Decode bytes that are UTF-8, or nearly so.

    A UTF-8 file with a few broken bytes stays UTF-8 (the bad bytes replaced):
    reading it as a legacy code page would garble every accented letter in it.

    Returns:
        The text, or None if the bytes are not (mostly) UTF-8.
    """
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    lenient = data.decode("utf-8", errors="replace")
    broken = lenient.count("\ufffd")
    if sum(ord(ch) > 127 for ch in lenient) - broken > broken:
        return lenient
    return None


# Legacy code pages --------------------------------------------------------------------------


def _script(ch: str) -> str:
    if ch < "\u0250":
        return "LATIN"
    name = unicodedata.name(ch, "")
    first = name.split(" ", 1)[0]
    return "CJK" if first.startswith("CJK") else _SCRIPT_FAMILIES.get(first, first)


def _wedged(text: str, index: int) -> bool:
    """Whether the character at `index` is a symbol between two letters (`Ÿród³o`)."""
    ch = text[index]
    return (
        ch > "\x7f"
        and not ch.isalpha()
        and ch not in _IN_WORD_MARKS
        and not "\u3000" <= ch <= "\u30ff"  # CJK punctuation and kana marks
        and not "\uff00" <= ch <= "\uffef"  # full-width forms
        and 0 < index < len(text) - 1
        and text[index - 1].isalpha()
        and text[index + 1].isalpha()
    )


def _odd_word(word: str) -> int:
    """How wrong one word looks: mixed scripts, mostly accents, capitals after small letters."""
    scripts = {_script(ch) for ch in word}
    if len(scripts) > 1:
        return 3
    score = 0
    accented = sum(ch > "\x7f" for ch in word)
    if scripts == {"LATIN"} and len(word) >= 4 and accented >= 0.8 * len(word):
        score += 2  # `Ïðèâåò`: Cyrillic read as cp1252
    if any(b > "\x7f" and b.isupper() and a.islower() for a, b in pairwise(word)):
        score += 2  # `cafÈ`: cp1252 read as Mac Roman
    return score


def oddity(text: str) -> int:
    """How much a decoded text looks like it was decoded with the wrong code page.

    Counts replacement and control characters, symbols wedged between letters
    (`Ÿród³o`), words mixing scripts (`ййn`), Latin words made mostly of accented
    letters (`Ïðèâåò`, Cyrillic read as cp1252) and capitals after small letters
    inside a word. Lower is better.
    """
    score = 10 * text.count("\ufffd")
    # Korean letters are written as syllables; loose jamo come from misread bytes.
    score += 2 * sum(1 for ch in text if "\u3131" <= ch <= "\u318e")
    score += 5 * sum(
        1 for ch in text if unicodedata.category(ch) == "Cc" and ch not in "\t\n\r\f\v"
    )
    score += 2 * sum(1 for index, ch in enumerate(text) if ch > "\x7f" and _wedged(text, index))
    for match in _WORD.finditer(text):
        if not match.group().isascii():
            score += _odd_word(match.group())
    return score


def decode_legacy(data: bytes, *, markup: bool = False) -> str:
    """Decode text in an unknown 8-bit or legacy multi-byte encoding.

    cp1252 (which browsers also use for latin-1) is assumed unless
    charset-normalizer proposes an encoding that clearly reads better by `oddity`:
    the detector alone often misreads short Dutch, French or German texts.

    Args:
        data: The bytes (not valid UTF-8).
        markup: Whether the bytes are HTML, whose tags are left out when judging.
    """
    from charset_normalizer import from_bytes

    sample = data[:200_000]  # judged on a sample, so a big book stays quick

    def reading(encoding: str) -> str | None:
        try:
            decoder = codecs.getincrementaldecoder(encoding)()
            return decoder.decode(sample, final=len(sample) == len(data))
        except (UnicodeDecodeError, LookupError):
            return None

    def judged(text: str) -> int:
        return oddity(_TAG.sub(" ", text) if markup else text)

    western_score = judged(sample.decode(LEGACY, errors="replace"))
    best: tuple[int, int, str] | None = None
    for match in list(from_bytes(sample, cp_isolation=list(_DETECTABLE)))[:8]:
        text = reading(match.encoding)
        if text is None:
            continue
        # Ties go to the reading with more characters (a single-byte code page
        # over a multi-byte one), then to the detector's order.
        candidate = (judged(text), -len(text), match.encoding)
        if best is None or candidate[:2] < best[:2]:
            best = candidate
    if best is not None and 2 * best[0] < western_score and western_score - best[0] >= 2:
        return data.decode(best[2], errors="replace")
    return data.decode(LEGACY, errors="replace")


def looks_binary(text: str) -> bool:
    """Whether decoded bytes are binary data rather than text.

    Random or compressed bytes decode, as cp1252 or another code page, into text
    where about one character in eight is a control or a replacement character;
    real text, even decoded with the wrong code page, has next to none. So text
    with more than `BINARY_SHARE` of them in its first 64K characters (and more
    than 8) is binary.
    """
    sample = text[:65536]
    found = len(_NOT_TEXT.findall(sample))
    return found > 8 and found > BINARY_SHARE * len(sample)


# Files --------------------------------------------------------------------------------------


def decode_lenient(data: bytes) -> str:
    """Decode an export of another tool: a BOM if any, else UTF-8, else cp1252; never raises."""
    text = decode_bom(data)
    if text is not None:
        return text
    text = decode_utf8(data)
    return text if text is not None else data.decode(LEGACY, errors="replace")


def decode_text(data: bytes) -> str:
    """Decode a text file's bytes: BOMs and UTF-16, then UTF-8, then legacy code pages.

    Undecodable bytes never raise: text that is mostly UTF-8 keeps UTF-8 with its
    broken bytes replaced; a legacy 8-bit file is read as cp1252 (with the few
    bytes it leaves undefined replaced) unless another code page clearly fits.

    Raises:
        NotTextError: For binary data (NUL bytes without a BOM, not UTF-16).
    """
    text = decode_unicode(data)
    if text is not None:
        return text
    if b"\x00" in data[:8192]:
        raise NotTextError("binary file, not text")
    text = decode_utf8(data)
    return text if text is not None else decode_legacy(data)


# Declared charsets ----------------------------------------------------------------------------


def charset_codec(name: str | None) -> str | None:
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


def decode_page(data: bytes, charset: str | None = None) -> str:
    """Decode a web page's bytes, whatever it declares.

    Order: a BOM (or BOM-less UTF-16); valid UTF-8 whatever is declared; the
    charset from the HTTP header, then the page's own declaration, if it decodes
    without errors (latin-1 and ASCII read as cp1252, as browsers do); else a
    detected legacy encoding, cp1252 by default.

    Args:
        data: The page's bytes.
        charset: The charset named by the HTTP `Content-Type` header, if any.

    Raises:
        NotTextError: For binary data (many NUL bytes without a BOM, or bytes that
            decode into control and replacement characters: see `looks_binary`).
    """
    text = decode_unicode(data)
    if text is not None:
        return text
    head = data[:8192]
    if head.count(0) > max(8, len(head) // 100):
        raise NotTextError("binary file, not text")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    for declared in (charset, declared_charset(data)):
        codec = charset_codec(declared)
        if codec is None or codec == "utf-8":
            continue
        try:
            return data.decode(codec)
        except UnicodeDecodeError:
            continue
    text = decode_utf8(data)
    if text is None:
        text = decode_legacy(data, markup=True)
    if looks_binary(text):
        raise NotTextError("binary data, not a web page")
    return text


def decode_served_text(data: bytes, charset: str | None) -> str:
    """Decode a text response: a BOM, UTF-8, the header's charset, then as `decode_text`.

    Raises:
        NotTextError: For binary data.
    """
    text = decode_unicode(data)
    if text is not None:
        return text
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    codec = charset_codec(charset)
    if codec is not None and codec != "utf-8":
        try:
            return data.decode(codec)
        except UnicodeDecodeError:
            pass
    return decode_text(data)
