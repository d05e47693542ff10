"""Where a reader is in an article: percent through it, time left, places typed as `12` or `50%`."""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Sequence
from itertools import accumulate

from annotations.models import Block

WORDS_PER_MINUTE = 230
"""A common reading speed of prose, for the time left."""


class ReadingProgress:
    """How far through an article each block is, measured once when it opens.

    A block's position is the share of the article's text before it (0% for the first
    block); the last block counts as the end (100%). The contents, the status line and
    `:50%` all use this one measure, so a chapter of many short paragraphs takes the
    room its words take, not the room its paragraphs take. The text is measured in
    characters, which follow words closely and cost nothing to count (counting the
    words of a 3.4 MB book again at every opening would take 50 ms; its length, 1 ms);
    the time left is that share of the article's word count.

    Args:
        blocks: The article's blocks, in reading order.
        words: The article's word count (`Article.words`).
    """

    def __init__(self, blocks: Sequence[Block], words: int) -> None:
        self._before = [0, *accumulate(len(block.text) + 1 for block in blocks)]
        """Characters before each block (a block ends with a break); the last is the total."""
        self.words = words
        """How many words the article has."""

    @property
    def blocks(self) -> int:
        """How many blocks the article has."""
        return len(self._before) - 1

    @property
    def length(self) -> int:
        """The article's length in characters, with a break after each block."""
        return self._before[-1]

    def share(self, block: int) -> float:
        """How far through the text a block is, from 0.0 to 1.0 (the last block is 1.0)."""
        if block >= self.blocks - 1:
            return 1.0 if self.blocks else 0.0
        if block <= 0:
            return 0.0
        return self._before[block] / self.length

    def percent(self, block: int) -> int:
        """A block's position in whole percent; 100 only for the last block."""
        share = self.share(block)
        return 100 if share >= 1.0 else min(99, round(share * 100))

    def block_at(self, share: float) -> int:
        """The block whose start is nearest to a share of the text (0.0 to 1.0)."""
        if self.blocks == 0:
            return 0
        if share >= 1.0:
            return self.blocks - 1
        target = max(0.0, share) * self.length
        # The block that holds the target, or the next one if it starts closer to it.
        block = min(self.blocks - 1, max(0, bisect_right(self._before, target) - 1))
        after = block + 1
        if after < self.blocks and self._before[after] - target <= target - self._before[block]:
            return after
        return block

    def minutes_left(self, block: int) -> float:
        """Minutes of reading from the start of a block to the end, at `WORDS_PER_MINUTE`."""
        if self.blocks == 0:
            return 0.0
        block = max(0, min(block, self.blocks - 1))
        left = 1 - self._before[block] / self.length
        return self.words * left / WORDS_PER_MINUTE


def time_left(minutes: float) -> str:
    """`12 min left`, `3 h 5 min left`, `3 h left`; under a minute counts as one."""
    whole = max(1, round(minutes)) if minutes > 0 else 0
    hours, rest = divmod(whole, 60)
    if not hours:
        return f"{rest} min left"
    if not rest:
        return f"{hours} h left"
    return f"{hours} h {rest} min left"


_PERCENT = re.compile(r"(\d+(?:[.,]\d+)?)\s*%")
_NUMBER = re.compile(r"¶?\s*(\d[\d,_]*)")


def parse_place(typed: str, progress: ReadingProgress) -> int | str:
    """The block a typed place means: a paragraph number (`120`, 1-based, as `¶ 120/345`
    counts them) or a percentage of the text (`50%`).

    Returns:
        The block index, or a one-line explanation of why the text is not a place.
    """
    text = typed.strip()
    total = progress.blocks
    if not text:
        return "Type a paragraph number or a percentage (50%)"
    match = _PERCENT.fullmatch(text)
    if match:
        value = float(match.group(1).replace(",", "."))
        if value > 100:
            return f"{text} is past the end: 0% to 100%"
        return progress.block_at(value / 100)
    match = _NUMBER.fullmatch(text)
    if match:
        number = int(match.group(1).replace(",", "").replace("_", ""))
        if not 1 <= number <= total:
            return f"No paragraph {number:,}: there are {total:,}"
        return number - 1
    return f"{text[:20]!r} is not a paragraph number or a percentage"
