"""Plain text: line ends from anywhere (Windows CRLF and old Mac CR made LF), and texts
that are one line of single-spaced words."""

from __future__ import annotations

import re

CONTROLS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
"""Control characters other than tab and line ends (C0 and C1, NEL too): dropped where text
is written out or shown on one line."""


def normalize_newlines(text: str, *, keep_lone_cr: bool = False) -> str:
    """Text with CRLF and lone CR line ends as LF.

    Args:
        text: Any text.
        keep_lone_cr: Turn only CRLF into LF, leaving a lone CR as it is (for text
            where a lone CR is a character to show, not a line end).
    """
    text = text.replace("\r\n", "\n")
    return text if keep_lone_cr else text.replace("\r", "\n")


def is_one_line(text: str) -> bool:
    """Whether a text is plainly one line of words, without splitting it: printable (its
    only whitespace the plain space), spaces single, none at its ends.

    Such a text is `" ".join(text.split())` as it is. A text holding an unprintable
    character that is not whitespace (a soft hyphen) may be one line too, but is not
    recognised: False only means "not known to be".
    """
    # A printable text holds no whitespace but the plain space (U+0020).
    return text.isprintable() and "  " not in text and text[:1] != " " and text[-1:] != " "


def one_line(text: str) -> str:
    """A text as one line: controls dropped (`CONTROLS`), whitespace runs one space."""
    return " ".join(CONTROLS.sub("", text).split())
