"""Properties of re-anchoring over generated texts and highlights.

- re-anchoring into the same text gives back the same anchor;
- after text is inserted or deleted away from a quote and its context, the quote is placed
  and covers exactly the quoted text;
- whatever the new text, the result is None or a valid anchor of the new text (offsets inside
  its blocks, `exact`, `prefix` and `suffix` equal to the new text there);
- a quote whose text was deleted, with nothing similar left in the text, is not placed.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from itertools import pairwise

from hypothesis import assume, given, settings
from hypothesis import strategies as st

from annotations.anchoring import BLOCK_SEPARATOR, CONTEXT, TextMap, reanchor, reanchor_all
from annotations.models import Anchor

SETTINGS = settings(max_examples=100, deadline=None)

WORD = st.text(alphabet="abcdefghijklm", min_size=1, max_size=7)
"""Words of a small alphabet, so that short quotes and words repeat as in real prose."""
OTHER_WORD = st.text(alphabet="nopqrstuvwxyz", min_size=1, max_size=7)
"""Words sharing no letter with `WORD`: text that is nothing like the rest."""


def sentences(words: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    """A block's text: words with single spaces, sometimes a comma, ending in a full stop."""
    return st.lists(words, min_size=3, max_size=14).map(lambda ws: " ".join(ws) + ".")


BLOCKS = st.lists(sentences(WORD), min_size=1, max_size=6)


@dataclass(frozen=True)
class Highlight:
    """A highlighted range of a text, as the anchor made for it and its global offsets."""

    anchor: Anchor
    start: int
    end: int


@st.composite
def highlights(draw: st.DrawFn, blocks: list[str]) -> Highlight:
    """A non-empty range of the blocks, starting and ending inside blocks.

    An end at offset 0 of a later block (a passage ending with the blank line between two
    blocks) is not drawn: the app never makes one.
    """
    text = TextMap(blocks)
    first = draw(st.integers(0, len(blocks) - 1))
    last = draw(st.integers(first, min(len(blocks) - 1, first + 2)))
    if first == last:
        start = draw(st.integers(0, len(blocks[first]) - 1))
        end = draw(st.integers(start + 1, len(blocks[first])))
    else:
        start = draw(st.integers(0, len(blocks[first])))
        end = draw(st.integers(1, len(blocks[last])))
    anchor = text.anchor(first, start, last, end)
    return Highlight(anchor, text.to_global(first, start), text.to_global(last, end))


def blocks_of(text: str) -> list[str]:
    """A joined text split into blocks again."""
    return text.split(BLOCK_SEPARATOR)


def assert_valid(anchor: Anchor, new: TextMap) -> None:
    """An anchor that fits the new text exactly, quote and context included."""
    assert 0 <= anchor.start_block <= anchor.end_block < len(new.texts)
    assert 0 <= anchor.start_offset <= len(new.texts[anchor.start_block])
    assert 0 <= anchor.end_offset <= len(new.texts[anchor.end_block])
    start = new.to_global(anchor.start_block, anchor.start_offset)
    end = new.to_global(anchor.end_block, anchor.end_offset)
    assert start < end
    assert anchor.exact == new.text[start:end]
    assert anchor.prefix == new.text[max(0, start - CONTEXT) : start]
    assert anchor.suffix == new.text[end : end + CONTEXT]


@SETTINGS
@given(st.data(), BLOCKS)
def test_same_text_gives_the_same_anchor(data: st.DataObject, blocks: list[str]) -> None:
    """(a) Nothing changed: nothing moves."""
    chosen = data.draw(highlights(blocks))
    text = TextMap(blocks)
    assert reanchor(chosen.anchor, chosen.start, text) == chosen.anchor
    assert reanchor_all([chosen.anchor], text, text) == [chosen.anchor]


@SETTINGS
@given(st.data(), st.lists(sentences(WORD), min_size=3, max_size=8))
def test_edits_away_from_the_quote_keep_it_exactly(data: st.DataObject, blocks: list[str]) -> None:
    """(b) Text inserted or deleted beyond the quote's context: the quote is placed as it was."""
    chosen = data.draw(highlights(blocks))
    text = TextMap(blocks).text
    left = (0, chosen.start - CONTEXT)
    right = (chosen.end + CONTEXT, len(text))
    regions = [region for region in (left, right) if region[1] > region[0]]
    assume(regions)  # the quote and its context take the whole text: nowhere to edit
    lo, hi = data.draw(st.sampled_from(regions))
    at = data.draw(st.integers(lo, hi))
    if data.draw(st.booleans()):
        inserted = data.draw(st.lists(WORD, min_size=1, max_size=5).map(" ".join))
        edited = text[:at] + " " + inserted + " " + text[at:]
    else:
        edited = text[:at] + text[data.draw(st.integers(at, hi)) :]
    new = TextMap(blocks_of(edited))
    placed = reanchor(chosen.anchor, chosen.start, new)
    assert placed is not None
    assert_valid(placed, new)
    assert placed.exact == chosen.anchor.exact


def test_result_is_none_or_a_valid_anchor() -> None:
    """(c) Any new text, made of the old one's pieces, edits and other text: never a bad anchor.

    None is a right answer too, but not the only one given: some examples place an
    anchor, so the check of a placed anchor runs.
    """
    placed: Counter[tuple[str, bool]] = Counter()

    @SETTINGS
    @given(st.data(), BLOCKS, BLOCKS)
    def check(data: st.DataObject, blocks: list[str], others: list[str]) -> None:
        chosen = data.draw(highlights(blocks))
        text = TextMap(blocks).text
        cut = sorted(data.draw(st.lists(st.integers(0, len(text)), min_size=2, max_size=4)))
        pieces = [text[a:b] for a, b in pairwise(cut)]
        pieces += [text[: cut[0]], text[cut[-1] :], *others]
        pieces = data.draw(st.permutations(pieces))
        for index in range(len(pieces)):
            if data.draw(st.booleans()):
                piece = pieces[index]
                at = data.draw(st.integers(0, len(piece)))
                pieces[index] = piece[:at] + data.draw(WORD) + piece[at + 1 :]
        new = TextMap(blocks_of(BLOCK_SEPARATOR.join(pieces)))
        anchor = reanchor(chosen.anchor, chosen.start, new)
        placed["reanchor", anchor is not None] += 1
        if anchor is not None:
            assert_valid(anchor, new)
        for anchor in reanchor_all([chosen.anchor], TextMap(blocks), new):
            placed["reanchor_all", anchor is not None] += 1
            if anchor is not None:
                assert_valid(anchor, new)

    check()
    for function in ("reanchor", "reanchor_all"):
        assert placed[function, True] > 0, placed


@SETTINGS
@given(st.data(), BLOCKS, BLOCKS, st.lists(sentences(OTHER_WORD), min_size=1, max_size=3))
def test_deleted_quote_with_nothing_similar_left_is_not_placed(
    data: st.DataObject, before: list[str], after: list[str], gone: list[str]
) -> None:
    """(d) The quoted blocks are deleted and no similar text is left: never placed elsewhere."""
    local = data.draw(highlights(gone)).anchor
    assume(any(char.isalpha() for char in local.exact))  # a quote of only spaces or stops
    blocks = [*before, *gone, *after]
    old = TextMap(blocks)
    shift = len(before)
    anchor = old.anchor(
        local.start_block + shift, local.start_offset, local.end_block + shift, local.end_offset
    )
    new = TextMap([*before, *after])
    start = old.to_global(anchor.start_block, anchor.start_offset)
    assert reanchor(anchor, start, new) is None
    assert reanchor_all([anchor], old, new) == [None]
