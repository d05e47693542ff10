"""The text a passage had when it was highlighted, beside the text it has now."""

from __future__ import annotations

import re
from difflib import SequenceMatcher
from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical, VerticalScroll
from textual.widgets import Label, Static

from reader.safe import safe_lines
from reader.screens.base import Dialog

SHOWN_CHARACTERS = 2_000
"""Characters of each text shown; a passage may be a whole chapter."""
CHANGED_STYLE = "bold underline"
"""How the words that differ between the two texts are marked (a style, not colour
alone, so it shows without colour too)."""
_WORDS = re.compile(r"\S+|\s+")


def marked_texts(original: str, current: str) -> tuple[Text, Text]:
    """Both texts as Rich text (never markup), the words that differ marked in each.

    Control characters are made visible; each text is cut to `SHOWN_CHARACTERS`.
    """
    old_words = _WORDS.findall(_shown(original))
    new_words = _WORDS.findall(_shown(current))
    old, new = Text(), Text()
    matcher = SequenceMatcher(None, old_words, new_words, autojunk=False)
    for tag, a1, a2, b1, b2 in matcher.get_opcodes():
        for text, words in ((old, old_words[a1:a2]), (new, new_words[b1:b2])):
            if tag == "equal":
                text.append("".join(words))
                continue
            for word in words:  # the words marked, not the spaces between them
                text.append(word, "" if word.isspace() else CHANGED_STYLE)
    return old, new


def _shown(text: str) -> str:
    """A passage as shown: control characters visible, line breaks kept, cut if long."""
    text = safe_lines(text.strip())
    return text if len(text) <= SHOWN_CHARACTERS else text[: SHOWN_CHARACTERS - 1] + "…"


class OriginalDialog(Dialog[None]):
    """The text an annotation was made on and its passage's text now, differences marked.

    Args:
        original: The text it was made on.
        current: The text its passage holds now.
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,q,O,enter", "close", "Close", id="close"),
        Binding("j,down", "scroll(1)", "Scroll down", show=False),
        Binding("k,up", "scroll(-1)", "Scroll up", show=False),
    ]
    """Escape, q, O or enter close it; j/k scroll long texts."""

    def __init__(self, original: str, current: str) -> None:
        super().__init__(classes="dialog")
        self.original, self.current = marked_texts(original, current)

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog-box original-box"):
            yield Label("Changed since you highlighted it", classes="dialog-title")
            with VerticalScroll(classes="original-texts"):
                yield Label("When you highlighted it", classes="original-label")
                yield Static(self.original, classes="original-text", id="original-then")
                yield Label("Now", classes="original-label")
                yield Static(self.current, classes="original-text", id="original-now")
            yield Label("escape closes · j/k scroll", classes="dialog-hint")

    def action_close(self) -> None:
        """Close the dialog."""
        self.dismiss(None)

    def action_scroll(self, lines: int) -> None:
        """Scroll the texts."""
        self.query_one(VerticalScroll).scroll_relative(y=lines, animate=False)
