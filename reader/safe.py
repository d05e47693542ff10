"""Showing untrusted text on a terminal: control characters made visible, never run."""

from __future__ import annotations

import re

from annotations.text import normalize_newlines


def _build_safe_map() -> dict[int, str]:
    table: dict[int, str] = {code: chr(0x2400 + code) for code in range(0x20)}
    table[0x09] = " "
    table[0x0A] = " "
    table[0x7F] = "\u2421"
    for code in range(0x80, 0xA0):
        table[code] = "\ufffd"
    # Bidirectional controls would reorder the text around them on screen.
    for code in (*range(0x202A, 0x202F), *range(0x2066, 0x206A), 0x200E, 0x200F, 0x061C):
        table[code] = "\ufffd"
    table[0x2028] = " "
    table[0x2029] = " "
    return table


SAFE_MAP = _build_safe_map()
"""Maps control characters to visible stand-ins, one character for one, so offsets hold."""

_UNSAFE = re.compile("[" + "".join(re.escape(chr(code)) for code in sorted(SAFE_MAP)) + "]")


def safe_text(text: str) -> str:
    """Text with every control character replaced by a visible stand-in of the same length."""
    # Searching first is much faster than translating, and most text has nothing to replace.
    return text.translate(SAFE_MAP) if _UNSAFE.search(text) else text


def safe_lines(text: str) -> str:
    """Text made safe as `safe_text` makes it, but keeping its line breaks and tabs.

    For text shown on several lines (a note in an editor, a message): Windows line ends
    become plain ones; every other control character gets its visible stand-in.
    """
    lines = normalize_newlines(text, keep_lone_cr=True).split("\n")
    return "\n".join("\t".join(map(safe_text, line.split("\t"))) for line in lines)
