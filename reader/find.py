"""Finding text in an article, ignoring case and diacritics (`goita` finds `Goïta`)."""

from __future__ import annotations

import re
import threading
import time
import unicodedata
from array import array
from bisect import bisect_left, bisect_right
from collections.abc import Callable, Iterator, Sequence
from functools import lru_cache
from itertools import accumulate
from typing import overload

SEPARATOR = "\n"
"""Between the blocks of the folded article: never in a query, whose spaces are folded to
single ones, so a match never runs from one block into the next."""

CHUNK = 65_536
"""Characters folded or searched in one go (a millisecond or so): between two, a thread
gives way to the UI thread and looks whether its work is still wanted."""

_NON_ASCII = re.compile(r"[^\x00-\x7f]")
_REPLACES = 24
"""Up to this many different characters to fold, one str.replace each is fastest."""


_QUOTES = {"\u2018": "'", "\u2019": "'", "\u02bc": "'", "\u201c": '"', "\u201d": '"'}
"""Typographic quotes found as typed ones: `Pierre's` finds `Pierre’s`."""


@lru_cache(maxsize=4096)
def fold_char(char: str) -> str:
    """One character without case or diacritics, still one character (offsets hold)."""
    if char in _QUOTES:
        return _QUOTES[char]
    decomposed = unicodedata.normalize("NFKD", char)
    base = next((part for part in decomposed if not unicodedata.combining(part)), char)
    lower = base.lower()
    # Lowercasing a whole text writes a word-final sigma as ς; it is the same letter.
    return "σ" if lower == "ς" else lower[0] if lower else char


def fold(text: str) -> str:
    """Text folded character by character for matching; the same length as the text.

    Lowercasing the whole text first leaves few characters to fold one by one (only the
    non-ASCII ones), which makes a book's text fold several times faster.
    """
    lowered = text.lower()
    if len(lowered) != len(text):  # İ lowers to two characters: fold each on its own
        return text.translate({ord(char): fold_char(char) for char in set(text)})
    if lowered.isascii():
        return lowered
    table = {
        char: folded
        for char in set(_NON_ASCII.findall(lowered))
        if (folded := fold_char(char)) != char
    }
    if len(table) > _REPLACES:
        pattern = re.compile("[" + "".join(table) + "]")
        return pattern.sub(lambda found: table[found.group()], lowered)
    for char, folded in table.items():
        lowered = lowered.replace(char, folded)
    return lowered


def fold_query(query: str) -> str:
    """A query as it is matched: folded, its runs of whitespace made single spaces."""
    return fold(" ".join(query.split()))


class Matches(Sequence[tuple[int, int, int]]):
    """Every match of one query in an article: (block, start, end), in text order.

    A match is kept as one offset into the article's blocks joined by `SEPARATOR` (all
    matches have the query's length), so a book's hundreds of thousands of matches cost
    little; a block's matches and the match nearest a place are found by bisection.

    Args:
        offsets: Where each match starts in the joined text, ascending.
        length: The length of every match.
        starts: Where each block starts in the joined text, then the end of the text
            (plus one separator).
    """

    def __init__(self, offsets: Sequence[int], length: int, starts: Sequence[int]) -> None:
        self._offsets = offsets
        self.length = length
        self._starts = starts

    @classmethod
    def none(cls) -> Matches:
        """No matches."""
        return cls((), 0, (0,))

    def __len__(self) -> int:
        return len(self._offsets)

    @overload
    def __getitem__(self, index: int) -> tuple[int, int, int]: ...

    @overload
    def __getitem__(self, index: slice) -> list[tuple[int, int, int]]: ...

    def __getitem__(self, index: int | slice) -> tuple[int, int, int] | list[tuple[int, int, int]]:
        if isinstance(index, slice):
            return [self[number] for number in range(*index.indices(len(self)))]
        offset = self._offsets[index]
        block = bisect_right(self._starts, offset) - 1
        start = offset - self._starts[block]
        return block, start, start + self.length

    def __iter__(self) -> Iterator[tuple[int, int, int]]:
        for number in range(len(self)):
            yield self[number]

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Sequence):
            return NotImplemented
        return len(self) == len(other) and all(
            mine == tuple(theirs) for mine, theirs in zip(self, other, strict=True)
        )

    __hash__ = None  # type: ignore[assignment]

    def number_at(self, block: int, offset: int) -> int:
        """The number of the first match at or after a place; `len(self)` when none is."""
        if not self._offsets:
            return 0
        return bisect_left(self._offsets, self._starts[block] + offset)

    def in_block(self, block: int) -> list[tuple[int, int, int]]:
        """A block's matches as (start, end, number)."""
        if not self._offsets or not 0 <= block < len(self._starts) - 1:
            return []
        base = self._starts[block]
        first = bisect_left(self._offsets, base)
        last = bisect_left(self._offsets, self._starts[block + 1], first)
        return [
            (self._offsets[n] - base, self._offsets[n] - base + self.length, n)
            for n in range(first, last)
        ]


class Finder:
    """Finds a query in the texts of an article's blocks, ignoring case and diacritics.

    The whole article is folded once, on first use, into one text; `first` can look
    near a place without it, folding a block at a time. `find` may run in a thread
    while the UI thread calls `first`.

    Args:
        texts: The texts of an article's blocks.
    """

    def __init__(self, texts: Sequence[str]) -> None:
        self.texts = texts
        self.starts: list[int] = [0, *accumulate(len(text) + len(SEPARATOR) for text in texts)]
        """Where each block starts in the joined text, then its end (plus a separator)."""
        self._folded: str | None = None
        self._folding = threading.Lock()

    @property
    def size(self) -> int:
        """Characters in the article (its blocks joined)."""
        return self.starts[-1]

    @property
    def is_folded(self) -> bool:
        """Whether the article is folded already (`first` and `find` are then quicker)."""
        return self._folded is not None

    def folded(self) -> str:
        """The article's blocks, folded and joined by `SEPARATOR` (made once).

        Folded a chunk of blocks at a time: a thread doing this holds Python's lock for a
        few milliseconds at most, so the UI stays responsive meanwhile.
        """
        with self._folding:
            if self._folded is None:
                chunks = []
                first = 0
                while first < len(self.texts):
                    last = bisect_right(self.starts, self.starts[first] + CHUNK, first + 1)
                    last = min(max(last - 1, first + 1), len(self.texts))
                    chunks.append(fold(SEPARATOR.join(self.texts[first:last])))
                    first = last
                    time.sleep(0)  # let a waiting thread (the UI's) run
                self._folded = SEPARATOR.join(chunks)
            return self._folded

    def find(self, query: str, cancelled: Callable[[], bool] | None = None) -> Matches | None:
        """Every occurrence of the query, in text order; None if `cancelled` said stop."""
        needle = fold_query(query)
        if not needle:
            return Matches.none()
        text = self.folded()
        pattern = re.compile(re.escape(needle))
        offsets = array("q")
        start = 0
        while start < len(text):
            # A chunk ends at a block's end: no match is cut in two.
            end = text.find(SEPARATOR, start + CHUNK)
            end = len(text) if end == -1 else end
            offsets.extend(map(re.Match.start, pattern.finditer(text, start, end)))
            if cancelled is not None and cancelled():
                return None
            start = end
            time.sleep(0)  # let a waiting thread (the UI's) run
        return Matches(offsets, len(needle), self.starts)

    def first(
        self, query: str, block: int, offset: int, limit: int | None = None
    ) -> tuple[tuple[int, int, int] | None, bool]:
        """The first match at or after a place, else the first from the top (wrapping).

        Blocks are searched from the place onwards, then from the first block, until a
        match or until `limit` characters were searched.

        Returns:
            The match as (block, start, end) or None, and whether every block was
            searched (None then means there is no match at all).
        """
        needle = fold_query(query)
        if not needle or not self.texts:
            return None, True
        block = max(0, min(block, len(self.texts) - 1))
        folded = self._folded
        if folded is not None:
            # Folded already: one scan of the joined text from the place, then from the top.
            here = self.starts[block] + offset
            found = folded.find(needle, here)
            if found == -1:
                found = folded.find(needle, 0, here + len(needle) - 1)
            return (None if found == -1 else self._match(found, len(needle))), True
        searched = 0
        count = len(self.texts)
        for step in range(count + 1):
            index = (block + step) % count
            text = self.texts[index]
            if step == count:
                text = text[: offset + len(needle) - 1]  # back where the search began
            found = fold(text).find(needle, offset if step == 0 else 0)
            if found != -1:
                return (index, found, found + len(needle)), True
            searched += len(text)
            if limit is not None and searched >= limit and step < count:
                return None, False
        return None, True

    def matches_of(self, found: Sequence[tuple[int, int, int]]) -> Matches:
        """Some matches of one query, (block, start, end) in text order, as `Matches`."""
        length = found[0][2] - found[0][1] if found else 0
        return Matches(
            array("q", (self.starts[b] + start for b, start, _end in found)), length, self.starts
        )

    def _match(self, offset: int, length: int) -> tuple[int, int, int]:
        block = bisect_right(self.starts, offset) - 1
        start = offset - self.starts[block]
        return block, start, start + length
