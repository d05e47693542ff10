"""Finding text in an article, ignoring case and diacritics (`goita` finds `Goïta`)."""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from functools import lru_cache

MAX_MATCHES = 10_000
"""Matches beyond this many are not listed."""


@lru_cache(maxsize=4096)
def fold_char(char: str) -> str:
    """One character without case or diacritics, still one character (offsets hold)."""
    decomposed = unicodedata.normalize("NFKD", char)
    base = next((part for part in decomposed if not unicodedata.combining(part)), char)
    lower = base.lower()
    return lower[0] if lower else char


def fold(text: str) -> str:
    """Text folded character by character for matching; the same length as the text."""
    table = {ord(char): fold_char(char) for char in set(text)}
    return text.translate(table)


class Finder:
    """Finds a query in a list of texts; the folded texts are made once, on first use.

    Args:
        texts: The texts of an article's blocks.
    """

    def __init__(self, texts: Sequence[str]) -> None:
        self.texts = texts
        self._folded: list[str] | None = None

    def _folded_texts(self) -> list[str]:
        if self._folded is None:
            table = {ord(char): fold_char(char) for char in set().union(*map(set, self.texts))}
            self._folded = [text.translate(table) for text in self.texts]
        return self._folded

    def find(self, query: str) -> list[tuple[int, int, int]]:
        """Every occurrence of the query as (block, start, end), in text order."""
        needle = fold(" ".join(query.split()))
        if not needle:
            return []
        found: list[tuple[int, int, int]] = []
        for index, text in enumerate(self._folded_texts()):
            start = text.find(needle)
            while start != -1:
                found.append((index, start, start + len(needle)))
                if len(found) >= MAX_MATCHES:
                    return found
                start = text.find(needle, start + len(needle))
        return found
