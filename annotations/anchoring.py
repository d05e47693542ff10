"""Anchors: quote selectors from positions, and placing them again in changed text."""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from collections import Counter, deque
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from difflib import SequenceMatcher
from itertools import accumulate
from math import log2
from statistics import median

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


# Re-anchoring ---------------------------------------------------------------------------------
#
# Order: the quote with all its context near where it is expected (at its old place first);
# else the place its prefix and suffix still bracket, which decides alone: what lies between
# them is the passage (the quote, edited or rewritten) or shows it was deleted there; else the
# quote with all its context anywhere; else an exact copy of the quote whose context agrees
# best, an approximate match of it whose context agrees, each losing a little for its distance
# from the expected place (where context repeats, the nearer copy is the passage); else a
# rewritten passage found from one side of its context. Every step is conservative: a passage
# that cannot be placed with confidence is orphaned, because attaching a note to other text is
# worse than asking the reader to place it again.

EXACT_EVIDENCE = 28
"""Characters of agreement (quote plus matching context) an exact copy of the quote needs when
its context is not all there: a short quote needs much of its context, a long one none."""

UNIQUE_BONUS = 8
"""Evidence added when the quote occurs only once in the new text."""

HERE_BONUS = 8
"""Evidence added when the quote is still at its old block and offset."""

MAX_EXACT_CANDIDATES = 256
"""Copies of a quote compared by context: the ones nearest the expected place."""

MIN_SIMILARITY = 0.8
"""Similarity (1 - edit distance / length) an approximate match needs."""

SHORT_QUOTE = 12
"""A quote shorter than this is matched approximately only with strong context on both sides."""

SHORT_SIMILARITY = 0.75
"""Similarity a short quote needs (one edit in 4-7 characters, two in 8-11)."""

MEDIUM_QUOTE = 24
"""A quote shorter than this needs agreeing context on every side it has context."""

LONG_QUOTE = 32
"""A quote at least this long may be placed without agreeing context (exact and unique)."""

MIN_SIDE = 4
"""Characters right beside an exact copy that must match its context for that side to agree."""

EXACT_CHECKED = 8
"""Copies of a quote, best context first, checked for agreeing context on both sides."""

CONTEXT_PIECE = 12
"""Characters of prefix or suffix looked up with a short quote to find it far away."""

CONTEXT_AGREES = 0.75
"""Similarity of a prefix or suffix to the text beside a match for that side to agree."""

CONTEXT_STRONG = 0.9
"""Similarity both sides of a short quote's context need."""

CONTEXT_BESIDE = 0.5
"""Similarity a side of an exact copy's context needs when its first characters match."""

WINDOW = 2000
"""Characters searched on each side of the expected place before the whole text."""

SEED_HITS = 64
"""A piece of the quote found more often than this in the text is not used to find it."""

MAX_SEEDS = 16
"""Pieces of a quote looked up near the expected place to find approximate copies of it."""

MAX_SEEDS_WHOLE = 8
"""Pieces of a quote looked up in the whole text (each lookup reads the whole text)."""

MAX_VERIFIED = 12
"""Places found by pieces of the quote that are aligned with the whole quote."""

SHIFT_SAMPLES = 5
"""Shifts of the anchors just before one that estimate where it moved (see `reanchor_all`)."""

LANDMARK_REACH = 16
"""Blocks back from a passage to look for an unchanged block to measure from."""

TOUCH = 3
"""Characters beside a short quote's match that must equal its context on one side."""

SNAP = 24
"""How far a match's edge may move to reach the word boundary the quote had."""

STRONG_SIDE = 16
"""Characters right beside an exact copy, matching its context, that are enough on one side
(the other side may have changed: the sentence after a quote rewritten or deleted)."""

NEAR_EXPECTED = 128
"""How near the expected place the one copy of a quote without agreeing context must be."""

LONE_CLEAR = 400
"""How far from the expected place any other copy of such a quote must be."""

LONE_QUOTE = 8
"""A quote shorter than this is never placed without agreeing context."""

REMOTENESS = 4.0
"""Evidence lost per doubling of a match's distance from the expected place (see `_remoteness`)."""

BRACKET_PIECE = 12
"""Characters of the end of the prefix and of the start of the suffix that bracket a passage."""

MIN_BRACKET_PIECE = 8
"""A prefix or suffix shorter than this (the passage was near an end) brackets nothing."""

BRACKET_SLACK = 64
"""Characters beyond twice the quote's length that the suffix may be from the prefix."""

REWRITTEN_SIMILARITY = 0.5
"""Similarity the text between the quote's prefix and suffix needs to be the passage."""

ONE_SIDED_SIMILARITY = 0.6
"""Similarity a passage found from one side of its context needs."""

ONE_SIDED_QUOTE = 24
"""A quote shorter than this is not found from one side of its context when rewritten."""

ALIGN_LIMIT = 4_000
"""Longest text aligned character by character with a quote (the cost grows with the square
of its length): a longer quote is placed exactly, or between its context, compared with what
is there paragraph by paragraph (`_changed_characters`)."""

STRAY = 2
"""Characters an alignment may leave out at a passage's edge (a mark), taken back in."""

MIN_ADDED = 12
"""Characters added between a quote and its context for an edited copy at one side to be
taken as the passage rather than all that lies between (a quarter of the quote at least)."""


@dataclass(frozen=True)
class _Match:
    """A place for a quote in the new text, with how much agrees and how far it is."""

    start: int
    end: int
    evidence: float
    distance: int


def reanchor(
    anchor: Anchor, old_start: int, new: TextMap, *, expected: int | None = None
) -> Anchor | None:
    """Place an anchor in a changed text, or return None when it cannot be placed safely.

    In order: the quote with all its prefix and suffix near the expected place (its old
    place first); else, where the end of its prefix and the start of its suffix still
    bracket one place, what lies between them (the quote, edited or rewritten by up to
    `1 - REWRITTEN_SIMILARITY`), or nothing if the passage is gone from there (see
    `_bracket`); else the quote with all its context anywhere; else an exact copy of the
    quote whose context agrees best, or an approximate match of it (a typo fixed, a word
    changed) near the expected place, then anywhere, if quote and context together are
    convincing, a copy far from the expected place losing some of its evidence
    (`_remoteness`); else a rewritten passage found from one side of its context
    (`_one_sided`). A match that is not convincing is not used: None is returned and the
    caller orphans the annotation.

    Args:
        anchor: The anchor in the old text.
        old_start: The anchor's global start offset in the old text.
        new: The new text.
        expected: Where the passage probably starts in the new text (e.g. the old offset
            shifted like the annotations before it); the old offset when not given.

    Returns:
        The anchor in the new text, spanning the matched text with its prefix and suffix
        taken from the new text, or None.
    """
    exact = anchor.exact
    if not exact or not new.texts:
        return None
    text = new.text
    here = _old_place(anchor, new)
    if expected is None:
        expected = here if here is not None else old_start
    expected = min(max(0, expected), len(text))
    sure = _with_context(anchor, text, here, expected, near=True)
    if sure is None:
        bracket = _bracket(anchor, text, expected)
        if bracket is not None:
            inside = _in_bracket(anchor, text, *bracket)
            return None if inside is None else _placed(anchor, new, *inside)
        sure = _with_context(anchor, text, here, expected, near=False)
    if sure is not None:
        return _placed(anchor, new, sure, sure + len(exact))
    old_place = here if here is not None else min(max(0, old_start), len(text))
    windows = _windows(len(text), len(exact), expected, old_place)
    choices = [_exact_copy(anchor, text, here, expected, windows)]
    choices.extend(_fuzzy(anchor, text, expected, lo, hi, whole=False) for lo, hi in windows)
    if not any(choices) and windows != [(0, len(text))]:
        choices.append(_fuzzy(anchor, text, expected, 0, len(text), whole=True))
    if not any(choices):
        choices.append(_one_sided(anchor, text, expected))
    copy = choices[0]
    found = [choice for choice in choices if choice is not None]
    if copy is not None:
        # Where an approximate match overlaps the exact copy, the copy is the passage: the
        # approximate one only stretched over words inserted beside it.
        found = [m for m in found if m is copy or m.end <= copy.start or m.start >= copy.end]
    if not found:
        return None
    best = max(
        found, key=lambda match: (match.evidence - _remoteness(match.distance), -match.distance)
    )
    return _placed(anchor, new, best.start, best.end)


def reanchor_all(
    anchors: Sequence[Anchor], old: TextMap, new: TextMap, *, stale: Collection[int] = ()
) -> list[Anchor | None]:
    """Place the anchors of one article in its changed text (each as `reanchor` does).

    A block whose text is unchanged (and unique in both texts) is found in the new text by
    its text: a passage in such blocks keeps its offsets there, whatever its context became;
    so does a passage that begins and ends in such blocks, if what lies between them is
    still like it (a long passage with a paragraph edited inside).
    Any other passage is expected as far from the nearest unchanged block before it as it
    was; without such a block, shifted like the passages just before it (the median of their
    last `SHIFT_SAMPLES` shifts). Good guesses keep nearly every search near.

    Args:
        anchors: The anchors, as they were in the old text.
        old: The old text.
        new: The new text.
        stale: Indexes of anchors whose offsets are not from the old text (orphaned
            earlier): they are placed too, but their shifts say nothing about the others.

    Returns:
        The new anchor, or None, for each anchor in the order given.
    """
    placed: list[Anchor | None] = [None] * len(anchors)
    if not new.texts:
        return placed
    moved, landmarks = _landmarks(old, new)
    starts = [_old_start(old, anchor) for anchor in anchors]
    shifts: deque[int] = deque(maxlen=SHIFT_SAMPLES)
    for index in sorted(range(len(anchors)), key=starts.__getitem__):
        anchor, old_start = anchors[index], starts[index]
        result = None
        if index not in stale:
            result = _in_unchanged_blocks(anchor, old, new, moved) or _between_unchanged_blocks(
                anchor, old, new, moved
            )
        if result is None:
            expected = _landmark_guess(old, new, landmarks, anchor, old_start)
            if expected is None:
                expected = old_start + int(median(shifts)) if shifts else old_start
            result = reanchor(anchor, old_start, new, expected=expected)
        placed[index] = result
        if result is not None and index not in stale:
            shifts.append(new.to_global(result.start_block, result.start_offset) - old_start)
    return placed


def _old_start(old: TextMap, anchor: Anchor) -> int:
    """An anchor's global start offset in the old text, clamped into it."""
    if not old.texts:
        return 0
    block = min(anchor.start_block, len(old.texts) - 1)
    return old.to_global(block, min(anchor.start_offset, len(old.texts[block])))


def _landmarks(old: TextMap, new: TextMap) -> tuple[dict[int, int], list[tuple[int, int] | None]]:
    """Blocks unchanged in the new text, and for each old block the nearest such one before it.

    Only unchanged blocks still in their order count as landmarks: a paragraph moved
    elsewhere says nothing about where the text around its old place went.

    Returns:
        The new index of each old block whose text is unique in both texts; and per old
        block index, (old index, new index) of the nearest landmark at or before it, or None.
    """
    old_counts = Counter(old.texts)
    new_counts = Counter(new.texts)
    new_index = {text: index for index, text in enumerate(new.texts) if new_counts[text] == 1}
    moved = {
        index: new_index[text]
        for index, text in enumerate(old.texts)
        if old_counts[text] == 1 and text in new_index
    }
    in_order = _in_order(list(moved.items()))
    landmarks: list[tuple[int, int] | None] = []
    last = None
    for index in range(len(old.texts)):
        if index in in_order:
            last = (index, moved[index])
        landmarks.append(last)
    return moved, landmarks


def _in_order(pairs: Sequence[tuple[int, int]]) -> set[int]:
    """The first items of the longest run of (old, new) pairs whose new indexes increase.

    The pairs come sorted by their first item; the run is a longest increasing subsequence
    of their second items (patience sorting, n log n).
    """
    tails: list[int] = []  # per run length, the index (in pairs) of the smallest last value
    values: list[int] = []  # and that value
    previous: list[int] = [-1] * len(pairs)
    for position, (_, value) in enumerate(pairs):
        length = bisect_left(values, value)
        if length:
            previous[position] = tails[length - 1]
        if length == len(tails):
            tails.append(position)
            values.append(value)
        else:
            tails[length] = position
            values[length] = value
    chosen: set[int] = set()
    position = tails[-1] if tails else -1
    while position != -1:
        chosen.add(pairs[position][0])
        position = previous[position]
    return chosen


def _in_unchanged_blocks(
    anchor: Anchor, old: TextMap, new: TextMap, moved: dict[int, int]
) -> Anchor | None:
    """The anchor in the same blocks, if every block it covers is unchanged and still in order."""
    first, last = anchor.start_block, anchor.end_block
    if first not in moved or last >= len(old.texts):
        return None
    target = moved[first]
    if any(moved.get(block) != target + block - first for block in range(first, last + 1)):
        return None
    if anchor.start_offset > len(old.texts[first]) or anchor.end_offset > len(old.texts[last]):
        return None
    placed = new.anchor(target, anchor.start_offset, target + last - first, anchor.end_offset)
    return placed if placed.exact == anchor.exact else None


def _between_unchanged_blocks(
    anchor: Anchor, old: TextMap, new: TextMap, moved: dict[int, int]
) -> Anchor | None:
    """A passage over several blocks whose first and last blocks are unchanged and in order,
    though blocks between them changed: from the same offset in the first to the same
    offset in the last, if what lies between is still like the quote."""
    first, last = anchor.start_block, anchor.end_block
    if first == last or first not in moved or last not in moved:
        return None
    if anchor.start_offset > len(old.texts[first]) or anchor.end_offset > len(old.texts[last]):
        return None
    start, end = moved[first], moved[last]
    if end <= start:
        return None
    placed = new.anchor(start, anchor.start_offset, end, anchor.end_offset)
    if len(placed.exact) > 2 * len(anchor.exact):
        return None
    alike = 1.0 - _changed_characters(anchor.exact, placed.exact) / len(anchor.exact)
    return placed if alike >= REWRITTEN_SIMILARITY else None


def _landmark_guess(
    old: TextMap,
    new: TextMap,
    landmarks: Sequence[tuple[int, int] | None],
    anchor: Anchor,
    old_start: int,
) -> int | None:
    """Where a passage probably starts now, measured from the nearest unchanged block before it."""
    if not landmarks:
        return None
    landmark = landmarks[min(anchor.start_block, len(landmarks) - 1)]
    if landmark is None or anchor.start_block - landmark[0] > LANDMARK_REACH:
        return None
    return new.starts[landmark[1]] + old_start - old.starts[landmark[0]]


def _windows(size: int, length: int, *places: int) -> list[tuple[int, int]]:
    """The ranges searched first: around each likely place, merged where they overlap."""
    ranges = sorted((max(0, at - WINDOW), min(size, at + length + WINDOW)) for at in places)
    merged = [ranges[0]]
    for lo, hi in ranges[1:]:
        if lo <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(hi, merged[-1][1]))
        else:
            merged.append((lo, hi))
    return merged


def _old_place(anchor: Anchor, new: TextMap) -> int | None:
    """The anchor's old block and offset as a global offset in the new text, if they exist."""
    block = anchor.start_block
    if block >= len(new.texts) or anchor.start_offset > len(new.texts[block]):
        return None
    return new.to_global(block, anchor.start_offset)


def _placed(anchor: Anchor, new: TextMap, start: int, end: int) -> Anchor:
    """The anchor for a match, keeping the old block coordinates when they still fit."""
    if (
        _old_place(anchor, new) == start
        and anchor.end_block < len(new.texts)
        and anchor.end_offset <= len(new.texts[anchor.end_block])
        and new.to_global(anchor.end_block, anchor.end_offset) == end
    ):
        return new.anchor(
            anchor.start_block, anchor.start_offset, anchor.end_block, anchor.end_offset
        )
    return new.anchor_global(start, end)


def _occurrences(
    text: str, needle: str, lo: int = 0, hi: int | None = None, limit: int = 0
) -> list[int]:
    """Start offsets of every occurrence of a needle (overlapping ones too).

    Args:
        text: The text searched.
        needle: What to find.
        lo: Where the search starts.
        hi: Where occurrences must end by; the end of the text when None.
        limit: Stop once more than this many are found; 0 for no limit.
    """
    hi = len(text) if hi is None else hi
    found: list[int] = []
    at = text.find(needle, lo, hi)
    while at != -1:
        found.append(at)
        if limit and len(found) > limit:
            break
        at = text.find(needle, at + 1, hi)
    return found


def _with_context(
    anchor: Anchor, text: str, here: int | None, expected: int, *, near: bool
) -> int | None:
    """Where the quote still stands with its whole prefix and suffix, nearest the expected place.

    Args:
        anchor: The anchor.
        text: The new text.
        here: The anchor's old place in the new text, if it still exists.
        expected: Where the passage probably starts.
        near: Look only within `WINDOW` of the expected place (else in the whole text).
    """
    whole = anchor.prefix + anchor.exact + anchor.suffix
    shift = len(anchor.prefix)
    if here is not None and here >= shift and text.startswith(whole, here - shift):
        return here
    lo = max(0, expected - shift - WINDOW)
    hi = min(len(text), expected + len(whole) + WINDOW)
    found = _occurrences(text, whole, lo, hi) if near else _occurrences(text, whole)
    if not found:
        return None
    return min(found, key=lambda at: abs(at + shift - expected)) + shift


def _bracket(anchor: Anchor, text: str, expected: int) -> tuple[int, int] | None:
    """Where the quote's prefix ends and its suffix starts now, if they bracket one place.

    The end of the prefix and the start of the suffix (`BRACKET_PIECE` characters of each,
    with and without the spaces at the quote's side) are looked up exactly: the copy of each
    nearest the expected place, and they bracket the passage if the suffix follows the
    prefix, not much further than the quote was long. What lies between them is what the
    passage became: the quote edited, or nothing when it was deleted (the two pieces then
    touch or overlap). Where neither piece is near, the whole text is searched.
    """
    befores, afters = _pieces(anchor)
    if not befores or not afters:
        return None
    lo = max(0, expected - WINDOW)
    hi = min(len(text), expected + len(anchor.exact) + WINDOW)
    starts = [
        at + len(piece) for piece in befores for at in _nearest(text, piece, expected, lo, hi)
    ]
    ends = [at for piece in afters for at in _nearest(text, piece, expected, lo, hi)]
    if not starts and not ends:
        starts = [at + len(piece) for piece in befores for at in _nearest(text, piece, expected)]
        ends = [at for piece in afters for at in _nearest(text, piece, expected)]
    reach = 2 * len(anchor.exact) + BRACKET_SLACK
    pairs = [
        (start, end)
        for start in starts
        for end in ends
        if start - len(BLOCK_SEPARATOR) <= end <= start + reach
    ]
    if not pairs:
        return None
    return min(pairs, key=lambda pair: (abs(pair[0] - expected), pair[1]))


def _pieces(anchor: Anchor) -> tuple[set[str], set[str]]:
    """The pieces of context looked up beside a passage: the end of its prefix and the start
    of its suffix, each with and without the spaces at the quote's side, none inside it."""
    exact = anchor.exact
    befores = {_outside(exact, context, end=True) for context in _prefixes(anchor)} - {""}
    afters = {_outside(exact, context) for context in _suffixes(anchor)} - {""}
    return befores, afters


def _prefixes(anchor: Anchor) -> set[str]:
    """The anchor's prefix, and without the spaces at its end (they may have gone)."""
    return {anchor.prefix, anchor.prefix.rstrip()}


def _suffixes(anchor: Anchor) -> set[str]:
    """The anchor's suffix, and without the spaces at its start."""
    return {anchor.suffix, anchor.suffix.lstrip()}


def _outside(exact: str, context: str, *, end: bool = False) -> str:
    """The shortest start (or end) of a context, from `BRACKET_PIECE` characters, that the
    quote does not contain ("" if there is none): a piece inside the passage brackets
    nothing."""
    size = BRACKET_PIECE
    while True:
        piece = context[-size:] if end else context[:size]
        if len(piece) < MIN_BRACKET_PIECE:
            return ""
        if piece not in exact:
            return piece
        if size >= len(context):
            return ""
        size += BRACKET_PIECE


def _nearest(
    text: str, needle: str, expected: int, lo: int = 0, hi: int | None = None
) -> list[int]:
    """The occurrence of a needle in a range nearest an offset (none or one)."""
    hi = len(text) if hi is None else hi
    after = text.find(needle, max(lo, expected), hi)
    before = text.rfind(needle, lo, min(hi, expected + len(needle) - 1))
    found = [at for at in (before, after) if at != -1]
    return [min(found, key=lambda at: abs(at - expected))] if found else []


def _in_bracket(anchor: Anchor, text: str, start: int, end: int) -> tuple[int, int] | None:
    """The passage between the quote's prefix and suffix, or None when it is gone from there.

    The quote itself (something was added beside it), else the whole text between the two
    if it is still like the quote (edited, even rewritten: `REWRITTEN_SIMILARITY`), else an
    approximate copy of the quote against one of the two edges. Anything else means the
    passage was deleted or replaced at its place; a copy elsewhere is not it.
    """
    exact = anchor.exact
    if end <= start:
        return None
    inner = [
        at
        for at in _occurrences(text, exact, start, end)
        if _same_edges(anchor, text, at, at + len(exact))
    ]
    if inner:
        # Two copies between the prefix and the suffix ("has they to they fisherman"):
        # either could be the passage.
        return (inner[0], inner[0] + len(exact)) if len(inner) == 1 else None
    lo, hi = _snapped(anchor, text, start, end)
    alike = 0.0
    if lo < hi and hi - lo <= 2 * len(exact):
        alike = 1.0 - _changed_characters(exact, text[lo:hi]) / len(exact)
        if alike >= MIN_SIMILARITY:
            return lo, hi
    budget = _max_errors(len(exact))
    if budget and len(exact) <= ALIGN_LIMIT:
        # An edited copy against one edge, with a sentence added at the other (put in
        # between the quote and its context).
        added = max(MIN_ADDED, len(exact) // 4)
        for near_lo, near_hi in _aligned(exact, text, start, end, budget, every=True):
            near_lo, near_hi = _snapped(anchor, text, near_lo, near_hi)
            before, after = text[start:near_lo].strip(), text[near_hi:end].strip()
            # A mark the alignment left out at an edge ("six" for "six!") is the passage's.
            if 0 < len(after) <= STRAY and len(before) >= added:
                near_hi, after = _trimmed(anchor, text, near_hi, end)[1], ""
            if 0 < len(before) <= STRAY and len(after) >= added:
                near_lo, before = _trimmed(anchor, text, start, near_lo)[0], ""
            if near_lo >= near_hi or min(len(before), len(after)) > 0:
                continue
            if max(len(before), len(after)) < added:
                continue
            if after:
                boundary = bool(_SENTENCE_END.search(text[near_lo:near_hi])) or after[0] in ".!?…"
            else:
                boundary = bool(_SENTENCE_END.search(text[start:near_lo].rstrip()))
            if not boundary:
                continue  # what is left is not a sentence of its own: the passage was rewritten
            if similarity(exact, text[near_lo:near_hi]) >= MIN_SIMILARITY:
                return near_lo, near_hi
    enough = REWRITTEN_SIMILARITY if len(exact) >= SHORT_QUOTE else SHORT_SIMILARITY
    return (lo, hi) if alike >= enough else None


def _one_sided(anchor: Anchor, text: str, expected: int) -> _Match | None:
    """A rewritten passage found from one side of its context, the other side being changed.

    The end of the prefix nearest the expected place, with the text after it that best
    matches the quote (or the start of the suffix, with the text before it), is the passage
    when that text is still like the quote (`ONE_SIDED_SIMILARITY`, a looser bar than for a
    passage found between both sides) and the whole side of the context agrees closely.
    """
    exact = anchor.exact
    if not ONE_SIDED_QUOTE <= len(exact) <= ALIGN_LIMIT:
        return None
    lo = max(0, expected - WINDOW)
    hi = min(len(text), expected + len(exact) + WINDOW)
    reach = len(exact) + len(exact) // 2 + 2
    spans = []
    befores, afters = _pieces(anchor)
    for piece in befores:
        for at in _nearest(text, piece, expected, lo, hi):
            start = at + len(piece)
            scores = _distances(exact, text[start : start + reach], anchored=True)
            if scores:
                spans.append((start, start + _best_length(scores, len(exact))))
    for piece in afters:
        for end in _nearest(text, piece, expected, lo, hi):
            before = text[max(0, end - reach) : end][::-1]
            scores = _distances(exact[::-1], before, anchored=True)
            if scores:
                spans.append((end - _best_length(scores, len(exact)), end))
    matches = []
    for start, end in spans:
        start, end = _block_edges(anchor, text, start, end, reach)
        start, end = _sentence_edges(anchor, text, start, end)
        start, end = _snapped(anchor, text, start, end)
        if start >= end:
            continue
        alike = 1.0 - edit_distance(exact, text[start:end]) / len(exact)
        sides = _side_agreement(anchor, text, start, end)
        if alike >= ONE_SIDED_SIMILARITY and any(
            share >= CONTEXT_STRONG and size >= STRONG_SIDE for share, size in sides
        ):
            evidence = alike * len(exact) + sum(share * size for share, size in sides)
            matches.append(_Match(start, end, evidence, abs(start - expected)))
    return max(matches, key=lambda match: match.evidence, default=None)


def _block_edges(anchor: Anchor, text: str, start: int, end: int, reach: int) -> tuple[int, int]:
    """A match stretched to the start (end) of its block if the quote started (ended) one."""
    if anchor.prefix.endswith(BLOCK_SEPARATOR) or not anchor.prefix:
        edge = text.rfind(BLOCK_SEPARATOR, max(0, end - reach), start)
        edge = edge + len(BLOCK_SEPARATOR) if edge != -1 else (0 if end <= reach else -1)
        if edge != -1 and BLOCK_SEPARATOR not in text[edge:end]:
            start = edge
    if anchor.suffix.startswith(BLOCK_SEPARATOR) or not anchor.suffix:
        edge = text.find(BLOCK_SEPARATOR, end, start + reach)
        if edge == -1 and len(text) - start <= reach:
            edge = len(text)
        if edge != -1 and BLOCK_SEPARATOR not in text[start:edge]:
            end = edge
    return start, end


def _sentence_edges(anchor: Anchor, text: str, start: int, end: int) -> tuple[int, int]:
    """A match moved to the nearest sentence edges where the quote began or ended a sentence.

    An alignment from one side of a rewritten passage tends to stop short of its far edge
    (the words changed there cost less dropped than matched); a quote that was a whole
    sentence is a whole sentence now.
    """
    exact = anchor.exact
    half = len(exact) // 2
    if _SENTENCE_END.search(exact) and (not anchor.suffix or anchor.suffix[0].isspace()):
        ends = [
            match.end()
            for match in _SENTENCE_END_AT.finditer(text, start + half, start + 2 * len(exact))
        ]
        if ends:
            end = min(ends, key=lambda at: abs(at - end))
    if _SENTENCE_START.search(anchor.prefix) and exact[0].isupper():
        starts = [
            match.end()
            for match in _SENTENCE_GAP.finditer(text, max(0, end - 2 * len(exact)), end - half)
        ]
        if starts:
            start = min(starts, key=lambda at: abs(at - start))
    return start, end


_SENTENCE_END = re.compile(r"[.!?…][\"”’)\]]*$")
"""A quote that ends a sentence."""

_SENTENCE_END_AT = re.compile(r"[.!?…][\"”’)\]]*(?=\s|$)")
"""The end of a sentence in a text."""

_SENTENCE_START = re.compile(r"[.!?…][\"”’)\]]*\s+$")
"""A prefix that ends a sentence (so the quote starts one)."""

_SENTENCE_GAP = re.compile(r"[.!?…][\"”’)\]]*\s+")
"""The space after the end of a sentence, up to where the next one starts."""


def _best_length(scores: Sequence[int], length: int) -> int:
    """The length of text that best matches a quote, from anchored distances per length."""
    best = min(scores)
    return min(
        (index + 1 for index, score in enumerate(scores) if score == best),
        key=lambda size: abs(size - length),
    )


def _trimmed(anchor: Anchor, text: str, start: int, end: int) -> tuple[int, int]:
    """A range without the spaces at its edges that the quote did not have there."""
    if not anchor.exact[0].isspace():
        while start < end and text[start].isspace():
            start += 1
    if not anchor.exact[-1].isspace():
        while end > start and text[end - 1].isspace():
            end -= 1
    return start, end


def _remoteness(distance: int) -> float:
    """Characters of evidence a match loses for being far from where the passage is expected.

    Next to nothing nearby, more with every doubling of the distance: where the context of
    a passage is repeated (a refrain, a template, a list of references), the copy near its
    old place is the passage.
    """
    return REMOTENESS * log2(1 + abs(distance) / CONTEXT)


def _context_score(text: str, start: int, end: int, anchor: Anchor) -> int:
    """How many characters of the anchor's prefix and suffix match around a range.

    A side that was shorter than `CONTEXT` because the passage was near an end of the text,
    and still is, all of it matching, counts in full.
    """
    before, after = _contiguous(text, start, end, anchor)
    if len(anchor.prefix) < CONTEXT and before == len(anchor.prefix) == start:
        before = CONTEXT
    if len(anchor.suffix) < CONTEXT and after == len(anchor.suffix) == len(text) - end:
        after = CONTEXT
    return before + after


def _contiguous(text: str, start: int, end: int, anchor: Anchor) -> tuple[int, int]:
    """How many characters of the prefix (backwards) and suffix match right beside a range."""
    before = text[max(0, start - len(anchor.prefix)) : start]
    after = text[end : end + len(anchor.suffix)]
    sides = [0, 0]
    for a, b in zip(reversed(before), reversed(anchor.prefix), strict=False):
        if a != b:
            break
        sides[0] += 1
    for a, b in zip(after, anchor.suffix, strict=False):
        if a != b:
            break
        sides[1] += 1
    return sides[0], sides[1]


def _exact_copy(
    anchor: Anchor,
    text: str,
    here: int | None,
    expected: int,
    windows: Sequence[tuple[int, int]],
) -> _Match | None:
    """The exact copy of the quote whose context agrees best, if it is convincing.

    A copy needs enough evidence (its length plus the characters of context that match,
    more if it is the only copy or still at its old place), and its context to agree (see
    `_sides_agree`): on both sides, or strongly on one, since a few words with a little
    context on one side are just a longer phrase, which prose repeats. A long quote
    (`LONG_QUOTE`) that occurs only once needs no context.
    """
    exact = anchor.exact
    first = text.find(exact)
    if first == -1:
        return None
    unique = text.find(exact, first + 1) == -1
    if unique:
        found = [first]
    elif len(exact) >= MEDIUM_QUOTE:
        found = _occurrences(text, exact, first, limit=MAX_EXACT_CANDIDATES)
    else:
        found = _short_copies(anchor, text, windows)
        if not found:
            return None
    if len(found) > MAX_EXACT_CANDIDATES:
        found = sorted(found, key=lambda at: abs(at - expected))[:MAX_EXACT_CANDIDATES]
    scored = [
        (context - _remoteness(at - expected), at == here, -abs(at - expected), at, context)
        for at in found
        if _same_edges(anchor, text, at, at + len(exact))
        for context in [_context_score(text, at, at + len(exact), anchor)]
    ]
    if not scored:
        return None
    passing = []
    for _, at_here, _, at, context in sorted(scored, reverse=True)[:EXACT_CHECKED]:
        evidence = len(exact) + context + UNIQUE_BONUS * unique + HERE_BONUS * at_here
        if evidence < EXACT_EVIDENCE:
            continue
        if (len(exact) >= LONG_QUOTE and unique) or _sides_agree(anchor, text, at, at + len(exact)):
            passing.append((context, at))
    if not passing:
        return _lone_copy(anchor, text, found, [item[3] for item in scored], expected)
    context, best = passing[0]
    if len(exact) < LONG_QUOTE and any(
        other_context >= context - MIN_SIDE and abs(other - best) < 2 * CONTEXT
        for other_context, other in passing[1:]
    ):
        # Two copies side by side, one with the old prefix and one with the old suffix
        # ("has they to they fisherman"): either could be the passage.
        return None
    end = best + len(exact)
    return _Match(best, end, _evidence(anchor, text, best, end, 1.0), abs(best - expected))


def _lone_copy(
    anchor: Anchor, text: str, found: Sequence[int], fitting: Sequence[int], expected: int
) -> _Match | None:
    """The one copy of a quote right where it is expected, when its context has changed.

    With no context to go by (the sentences on both sides rewritten or deleted), a copy of
    a quote of a few words is still the passage when it is within `NEAR_EXPECTED` of where
    the passage is expected and no other copy is anywhere near (within `WINDOW`).
    """
    exact = anchor.exact
    if len(exact) < LONE_QUOTE:
        return None
    near = [at for at in fitting if abs(at - expected) <= NEAR_EXPECTED]
    if len(near) != 1 or any(at != near[0] and abs(at - expected) <= LONE_CLEAR for at in found):
        return None
    start, end = near[0], near[0] + len(exact)
    return _Match(start, end, _evidence(anchor, text, start, end, 1.0), abs(start - expected))


def _sides_agree(anchor: Anchor, text: str, start: int, end: int) -> bool:
    """Whether the context agrees on each side of a copy that the anchor has context on.

    A side agrees when at least `MIN_SIDE` characters next to the copy match it exactly, or
    when it is similar overall (a word beside the quote changed).
    """
    before, after = _contiguous(text, start, end, anchor)
    if max(before, after) >= STRONG_SIDE:
        return True
    if anchor.prefix and before == len(anchor.prefix) == start:
        return True  # all the text before it, as it was: near the start of the article
    if anchor.suffix and after == len(anchor.suffix) == len(text) - end:
        return True
    shares = {name: share for name, share, _ in _sides(anchor, text, start, end)}
    for name, context, touching in (
        ("prefix", anchor.prefix, before),
        ("suffix", anchor.suffix, after),
    ):
        if not context:
            continue
        share = shares.get(name, 0.0)
        beside = touching >= min(MIN_SIDE, len(context))
        if share < CONTEXT_AGREES and not (beside and share >= CONTEXT_BESIDE):
            return False
    return True


def _same_edges(anchor: Anchor, text: str, start: int, end: int) -> bool:
    """Whether a copy starts and ends at word boundaries where the quote did.

    "to if" inside "into if" is not the passage "to if": a quote that began at the start of
    a word is not placed on the middle of one (the same for its end).
    """
    if _starts_word(anchor) and start > 0 and _word(text[start - 1]):
        return False
    return not (_ends_word(anchor) and end < len(text) and _word(text[end]))


def _starts_word(anchor: Anchor) -> bool:
    """Whether a quote begins at the start of a word."""
    return _word(anchor.exact[0]) and not (anchor.prefix and _word(anchor.prefix[-1]))


def _ends_word(anchor: Anchor) -> bool:
    """Whether a quote ends at the end of a word."""
    return _word(anchor.exact[-1]) and not (anchor.suffix and _word(anchor.suffix[0]))


def _short_copies(anchor: Anchor, text: str, windows: Sequence[tuple[int, int]]) -> list[int]:
    """Copies of a short quote worth comparing: near the likely places, or with some context.

    A short quote can be everywhere (a common word), so copies far away are only those
    that still have the end of the prefix or the start of the suffix beside them.
    """
    exact = anchor.exact
    found: set[int] = set()
    for lo, hi in windows:
        found.update(_occurrences(text, exact, lo, hi, limit=MAX_EXACT_CANDIDATES))
    before = anchor.prefix[-CONTEXT_PIECE:]
    if len(before) == CONTEXT_PIECE:
        hits = _occurrences(text, before + exact, limit=MAX_EXACT_CANDIDATES)
        found.update(at + len(before) for at in hits)
    after = anchor.suffix[:CONTEXT_PIECE]
    if len(after) == CONTEXT_PIECE:
        found.update(_occurrences(text, exact + after, limit=MAX_EXACT_CANDIDATES))
    return sorted(found)


# Approximate matching -------------------------------------------------------------------------
#
# Edit distances come from Myers' bit-parallel algorithm (one Python integer holds a whole
# column of the dynamic-programming table, so a quote of any length costs a handful of integer
# operations per character of text). Long quotes are first located by exact pieces of them
# (a quote with a few edits keeps most of its pieces), so the whole text of a book is searched
# at the speed of str.find; only the few places the pieces point at are aligned.


def _distances(pattern: str, text: str, *, anchored: bool) -> list[int]:
    """Edit distances of a pattern to text ending at each character of a text.

    Args:
        pattern: The pattern (not empty).
        text: The text.
        anchored: If true, the i-th result is the edit distance between the pattern and
            `text[: i + 1]`; if false, between the pattern and the best-matching substring of
            the text that ends at character i.

    Returns:
        One distance per character of the text.
    """
    masks: dict[str, int] = {}
    for index, char in enumerate(pattern):
        masks[char] = masks.get(char, 0) | (1 << index)
    full = (1 << len(pattern)) - 1
    top = 1 << (len(pattern) - 1)
    carry = 1 if anchored else 0
    positive, negative, score = full, 0, len(pattern)
    out: list[int] = []
    for char in text:
        equal = masks.get(char, 0)
        vertical = equal | negative
        horizontal = (((equal & positive) + positive) ^ positive) | equal
        up = negative | (~(horizontal | positive) & full)
        down = positive & horizontal
        if up & top:
            score += 1
        elif down & top:
            score -= 1
        up = ((up << 1) | carry) & full
        down = (down << 1) & full
        positive = down | (~(vertical | up) & full)
        negative = up & vertical
        out.append(score)
    return out


def edit_distance(a: str, b: str) -> int:
    """The Levenshtein distance between two strings."""
    if not a or not b:
        return len(a) + len(b)
    return _distances(a, b, anchored=True)[-1]


def _changed_characters(a: str, b: str) -> int:
    """The edit distance of two texts; for long ones (`ALIGN_LIMIT`), an upper bound of it.

    Long texts are compared paragraph by paragraph first (difflib's matching of whole
    paragraphs), and only the paragraphs that differ character by character, so a passage
    of a whole chapter costs about what its changes do, not the square of its length.
    """
    if len(a) <= ALIGN_LIMIT and len(b) <= ALIGN_LIMIT:
        return edit_distance(a, b)
    old, new = a.split(BLOCK_SEPARATOR), b.split(BLOCK_SEPARATOR)
    total = 0
    for tag, i1, i2, j1, j2 in SequenceMatcher(None, old, new, autojunk=False).get_opcodes():
        if tag != "equal":
            before = BLOCK_SEPARATOR.join(old[i1:i2])
            after = BLOCK_SEPARATOR.join(new[j1:j2])
            if len(before) <= ALIGN_LIMIT and len(after) <= ALIGN_LIMIT:
                total += edit_distance(before, after) + len(BLOCK_SEPARATOR)
            else:
                total += max(len(before), len(after)) + len(BLOCK_SEPARATOR)
    return total


def similarity(a: str, b: str) -> float:
    """How alike two strings are: 1 - edit distance / the longer length (1.0 if both empty)."""
    longest = max(len(a), len(b))
    return 1.0 - edit_distance(a, b) / longest if longest else 1.0


def _best_prefix_distance(pattern: str, text: str) -> int:
    """The smallest edit distance between a pattern and any start of a text."""
    if not text:
        return len(pattern)
    return min(len(pattern), *_distances(pattern, text, anchored=True))


def _side_agreement(anchor: Anchor, text: str, start: int, end: int) -> list[tuple[float, int]]:
    """How well the anchor's prefix and suffix agree with the text around a match.

    Where the text now ends (or begins) closer to the match than the context reached, only
    the part of the context that fits is compared; a side with no text at all is left out.

    Returns:
        (similarity, characters compared) for each side compared.
    """
    return [(share, size) for _, share, size in _sides(anchor, text, start, end)]


def _sides(anchor: Anchor, text: str, start: int, end: int) -> list[tuple[str, float, int]]:
    """(side name, similarity, characters compared) for each side `_side_agreement` compares."""
    sides = []
    prefix = anchor.prefix[-start:] if start else ""
    suffix = anchor.suffix[: len(text) - end]
    if prefix:
        slack = len(prefix) // 4 + 2
        before = text[max(0, start - len(prefix) - slack) : start][::-1]
        missing = _best_prefix_distance(prefix[::-1], before)
        sides.append(("prefix", 1.0 - missing / len(prefix), len(prefix)))
    if suffix:
        slack = len(suffix) // 4 + 2
        after = text[end : end + len(suffix) + slack]
        missing = _best_prefix_distance(suffix, after)
        sides.append(("suffix", 1.0 - missing / len(suffix), len(suffix)))
    return sides


def _evidence(anchor: Anchor, text: str, start: int, end: int, alike: float) -> float:
    """Characters of agreement of a match: the quote's, plus its prefix's and suffix's."""
    sides = _side_agreement(anchor, text, start, end)
    return alike * len(anchor.exact) + sum(share * size for share, size in sides)


def _max_errors(length: int) -> int:
    """The edit budget of an approximate match of a quote of a given length."""
    if length < SHORT_QUOTE:
        return int(length * (1 - SHORT_SIMILARITY))
    return int(length * (1 - MIN_SIMILARITY) + 1e-9)


def _acceptable(length: int, alike: float, sides: Sequence[tuple[float, int]]) -> bool:
    """Whether an approximate match is convincing enough to place a quote on it.

    However alike, a match whose context agrees on no side is not the passage: a sentence
    deleted while a look-alike of it stays elsewhere must not move onto the look-alike.

    Args:
        length: The quote's length.
        alike: Similarity of the matched text to the quote.
        sides: (similarity, characters compared) of each side's context that the anchor has.
    """
    shares = [share for share, _ in sides]
    if length < SHORT_QUOTE:
        return alike >= SHORT_SIMILARITY and len(shares) == 2 and min(shares) >= CONTEXT_STRONG
    if alike < MIN_SIMILARITY:
        return False
    agreeing = [share for share in shares if share >= CONTEXT_AGREES]
    if length < MEDIUM_QUOTE:
        strong = any(share >= CONTEXT_STRONG and size >= STRONG_SIDE for share, size in sides)
        return bool(shares) and (len(agreeing) == len(shares) or strong)
    return bool(agreeing)


def _fuzzy(
    anchor: Anchor, text: str, expected: int, lo: int, hi: int, *, whole: bool
) -> _Match | None:
    """The best convincing approximate match of the quote between two offsets.

    Args:
        anchor: The anchor whose quote is searched.
        text: The new text.
        expected: Where the quote probably starts.
        lo: Start of the searched range.
        hi: End of the searched range.
        whole: Whether the range is the whole text (looked up more sparingly).
    """
    exact = anchor.exact
    budget = _max_errors(len(exact))
    if budget == 0 or len(exact) > ALIGN_LIMIT:
        return None
    if len(exact) < MEDIUM_QUOTE:
        if not whole:
            spans = _aligned(exact, text, lo, hi, budget, every=True)
        else:
            spans = []
            for region in _beside_context(anchor, text, budget):
                spans.extend(_aligned(exact, text, *region, budget, every=True))
    else:
        spans = []
        for region in _seeded_regions(exact, text, lo, hi, budget, expected, whole=whole):
            spans.extend(_aligned(exact, text, *region, budget, every=False))
    matches: list[tuple[_Match, float, list[tuple[float, int]]]] = []
    for start, end in dict.fromkeys(spans):
        start, end = _snapped(anchor, text, *_pinned(anchor, text, start, end, budget))
        if start >= end or (len(exact) < SHORT_QUOTE and not _touches(anchor, text, start, end)):
            continue
        alike = similarity(exact, text[start:end])
        if alike < min(MIN_SIMILARITY, SHORT_SIMILARITY):
            continue
        sides = _side_agreement(anchor, text, start, end)
        evidence = alike * len(exact) + sum(share * size for share, size in sides)
        match = _Match(start, end, evidence, abs(start - expected))
        matches.append((match, alike, sides))
    good = [match for match, alike, sides in matches if _acceptable(len(exact), alike, sides)]
    if not good:
        return None
    return max(good, key=lambda match: (match.evidence, -match.distance))


def _beside_context(anchor: Anchor, text: str, budget: int) -> list[tuple[int, int]]:
    """Ranges of the text right after the end of the prefix or before the start of the suffix.

    A short quote is placed approximately only where its context agrees strongly, so in the
    whole text it is looked for only beside pieces of its context.
    """
    regions = []
    reach = len(anchor.exact) + budget
    before = anchor.prefix[-CONTEXT_PIECE:]
    if len(before) == CONTEXT_PIECE:
        for at in _occurrences(text, before, limit=SEED_HITS)[:SEED_HITS]:
            regions.append((at + len(before), min(len(text), at + len(before) + reach)))
    after = anchor.suffix[:CONTEXT_PIECE]
    if len(after) == CONTEXT_PIECE:
        for at in _occurrences(text, after, limit=SEED_HITS)[:SEED_HITS]:
            regions.append((max(0, at - reach), at))
    return regions


def _touches(anchor: Anchor, text: str, start: int, end: int) -> bool:
    """Whether a few characters right beside a match equal the quote's context on one side.

    A quick test before measuring the context of a short quote's match, which must agree
    strongly on both sides anyway: it keeps a common word's many matches cheap.
    """
    near = TOUCH
    before = anchor.prefix[-near:]
    after = anchor.suffix[:near]
    return bool(before and text[max(0, start - len(before)) : start] == before) or bool(
        after and text[end : end + len(after)] == after
    )


def _seeded_regions(
    exact: str, text: str, lo: int, hi: int, budget: int, expected: int, *, whole: bool
) -> list[tuple[int, int]]:
    """Ranges of the text where exact pieces of a long quote say an edited copy may be.

    Pieces found too often are skipped; in the whole text, a place needs two pieces to agree
    (when the quote has at least three), so common words do not lead to every paragraph.
    """
    size = max(8, min(16, len(exact) // 8))
    count = len(exact) // size
    most = MAX_SEEDS_WHOLE if whole else MAX_SEEDS
    if count > most:
        picks = sorted({round(i * (count - 1) / (most - 1)) for i in range(most)})
    else:
        picks = list(range(count))
    estimates: list[tuple[int, int]] = []
    for index in picks:
        offset = index * size
        hits = _occurrences(text, exact[offset : offset + size], lo, hi, limit=SEED_HITS)
        if len(hits) <= SEED_HITS:
            estimates.extend((at - offset, index) for at in hits)
    estimates.sort()
    groups: list[list[tuple[int, int]]] = []
    for estimate in estimates:
        if groups and estimate[0] - groups[-1][-1][0] <= max(budget, 4):
            groups[-1].append(estimate)
        else:
            groups.append([estimate])
    needed = 2 if whole and len(picks) >= 3 else 1
    ranked = sorted(
        (
            (-len({index for _, index in group}), abs(group[0][0] - expected), group)
            for group in groups
            if len({index for _, index in group}) >= needed
        ),
        key=lambda item: item[:2],
    )
    regions = []
    for _, _, group in ranked[:MAX_VERIFIED]:
        start = max(0, group[0][0] - budget - 4)
        end = min(len(text), group[-1][0] + len(exact) + budget + 4)
        regions.append((start, end))
    return regions


def _aligned(
    exact: str, text: str, lo: int, hi: int, budget: int, *, every: bool
) -> list[tuple[int, int]]:
    """Spans of a text range that match a quote within an edit budget.

    Args:
        exact: The quote.
        text: The text.
        lo: Start of the range.
        hi: End of the range.
        budget: Most edits allowed.
        every: Every locally best match (for a window scanned whole); otherwise only the
            best one (for a small region found by pieces of the quote).
    """
    scores = _distances(exact, text[lo:hi], anchored=False)
    if not scores:
        return []
    if every:
        ends = [
            index
            for index, score in enumerate(scores)
            if score <= budget
            and (index == 0 or scores[index - 1] > score)
            and (index + 1 == len(scores) or scores[index + 1] >= score)
        ]
    else:
        best = min(scores)
        ends = [scores.index(best)] if best <= budget else []
    spans = []
    for index in ends:
        end = lo + index + 1
        spans.append((_aligned_start(exact, text, end, budget), end))
    return spans


def _aligned_start(exact: str, text: str, end: int, budget: int) -> int:
    """Where the best alignment of a quote that ends at a given offset starts."""
    reach = text[max(0, end - len(exact) - budget) : end][::-1]
    scores = _distances(exact[::-1], reach, anchored=True)
    best = min(scores)
    lengths = [index + 1 for index, score in enumerate(scores) if score == best]
    length = min(lengths, key=lambda size: abs(size - len(exact)))
    return end - length


def _pinned(anchor: Anchor, text: str, start: int, end: int, budget: int) -> tuple[int, int]:
    """A match with its edges moved to where the quote's prefix ends and its suffix starts.

    The alignment alone may stop short of a changed word at the quote's edge (dropping it
    costs fewer edits than changing it); the context says where the passage really ends.
    """
    reach = budget + CONTEXT_PIECE
    before = anchor.prefix[-CONTEXT_PIECE:]
    in_place = start >= len(before) and text.startswith(before, start - len(before))
    if len(before) == CONTEXT_PIECE and not in_place:
        lo = max(0, start - reach - len(before))
        hits = _occurrences(text, before, lo, min(len(text), start + reach))
        if hits:
            start = min((at + len(before) for at in hits), key=lambda at: abs(at - start))
    after = anchor.suffix[:CONTEXT_PIECE]
    if len(after) == CONTEXT_PIECE and not text.startswith(after, end):
        hits = _occurrences(text, after, max(0, end - reach), end + reach + len(after))
        if hits:
            end = min(hits, key=lambda at: abs(at - end))
    return start, end


def _word(char: str) -> bool:
    """Whether a character belongs to a word."""
    return char.isalnum()


def _snapped(anchor: Anchor, text: str, start: int, end: int) -> tuple[int, int]:
    """A match with its edges moved to word boundaries where the quote's edges were ones."""
    start, end = _trimmed(anchor, text, start, end)
    if start >= end:
        return start, end
    if _starts_word(anchor) and _word(text[start]):
        edge = start
        while edge > 0 and _word(text[edge - 1]) and start - edge < SNAP:
            edge -= 1
        if edge == 0 or not _word(text[edge - 1]):
            start = edge
    if _ends_word(anchor) and _word(text[end - 1]):
        edge = end
        while edge < len(text) and _word(text[edge]) and edge - end < SNAP:
            edge += 1
        if edge == len(text) or not _word(text[edge]):
            end = edge
    return start, end
