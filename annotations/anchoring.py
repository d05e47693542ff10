"""Anchors: quote selectors from positions, and placing them again in changed text."""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Sequence
from itertools import accumulate

from annotations.models import Anchor

CONTEXT = 32
"""How many characters of prefix and suffix a quote selector keeps."""

BLOCK_SEPARATOR = "\n\n"
"""How blocks are joined into one text for quotes and global offsets."""


class TextMap:
    """An article's blocks seen as one text, with block/offset <-> global offset maps.

    Args:
        texts: The blocks' texts in order.
    """

    def __init__(self, texts: Sequence[str]) -> None:
        self.texts = list(texts)
        self.text = BLOCK_SEPARATOR.join(self.texts)
        step = len(BLOCK_SEPARATOR)
        self.starts = [0, *accumulate(len(t) + step for t in self.texts[:-1])]

    def to_global(self, block: int, offset: int) -> int:
        """Global offset of a (block, offset) position."""
        return self.starts[block] + offset

    def to_local(self, position: int, *, end: bool = False) -> tuple[int, int]:
        """The (block, offset) of a global offset.

        Args:
            position: Global character offset.
            end: Treat the position as an exclusive end, so that an end that falls just
                after a block stays in that block rather than the next one.
        """
        index = bisect_right(self.starts, position) - 1
        if end and index > 0 and position == self.starts[index]:
            index -= 1
        index = max(0, index)
        offset = position - self.starts[index]
        return index, min(offset, len(self.texts[index]))

    def anchor(
        self, start_block: int, start_offset: int, end_block: int, end_offset: int
    ) -> Anchor:
        """Build a complete anchor (position and quote) for a range of the text."""
        start = self.to_global(start_block, start_offset)
        end = self.to_global(end_block, end_offset)
        return Anchor(
            start_block,
            start_offset,
            end_block,
            end_offset,
            exact=self.text[start:end],
            prefix=self.text[max(0, start - CONTEXT) : start],
            suffix=self.text[end : end + CONTEXT],
        )

    def anchor_global(self, start: int, end: int) -> Anchor:
        """Build a complete anchor for a range given in global offsets."""
        start_block, start_offset = self.to_local(start)
        end_block, end_offset = self.to_local(end, end=True)
        return self.anchor(start_block, start_offset, end_block, end_offset)


def _context_score(text: str, start: int, end: int, anchor: Anchor) -> int:
    """How many characters of the anchor's prefix and suffix match around a range."""
    before = text[max(0, start - len(anchor.prefix)) : start]
    after = text[end : end + len(anchor.suffix)]
    score = 0
    for a, b in zip(reversed(before), reversed(anchor.prefix), strict=False):
        if a != b:
            break
        score += 1
    for a, b in zip(after, anchor.suffix, strict=False):
        if a != b:
            break
        score += 1
    return score


def reanchor(anchor: Anchor, old_start: int, new: TextMap) -> Anchor | None:
    """Place an anchor in a changed text.

    The exact position is kept when the quote is still there with its context.
    Otherwise every occurrence of the quote is a candidate, and the one whose
    surrounding text best matches the anchor's prefix and suffix wins, the one
    nearest the old position breaking ties (so a repeated short quote does not
    stay on the wrong copy just because it sits at the old offset). A quote that
    no longer occurs exactly cannot be placed with confidence: None is returned.

    Args:
        anchor: The anchor in the old text.
        old_start: The anchor's global start offset in the old text.
        new: The new text.

    Returns:
        The anchor in the new text, or None when it cannot be placed.
    """
    exact = anchor.exact
    if not exact:
        return None
    full_context = len(anchor.prefix) + len(anchor.suffix)
    here = None
    if anchor.start_block < len(new.texts):
        here = new.to_global(anchor.start_block, anchor.start_offset)
        if (
            new.text[here : here + len(exact)] == exact
            and _context_score(new.text, here, here + len(exact), anchor) == full_context
        ):
            return new.anchor_global(here, here + len(exact))
    candidates: list[int] = []
    found = new.text.find(exact)
    while found != -1:
        candidates.append(found)
        found = new.text.find(exact, found + 1)
    if not candidates:
        return None
    best = max(
        candidates,
        key=lambda at: (
            _context_score(new.text, at, at + len(exact), anchor),
            at == here,
            -abs(at - old_start),
        ),
    )
    return new.anchor_global(best, best + len(exact))
