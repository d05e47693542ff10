"""Re-anchoring a quote in changed text: right place or no place, never the wrong one."""

from __future__ import annotations

from annotations.anchoring import TextMap, reanchor


def placed_text(old: list[str], new: list[str], block: int, start: int, end: int) -> str | None:
    """Anchor a range in the old blocks, re-anchor it in the new ones, return what it covers."""
    before = TextMap(old)
    anchor = before.anchor(block, start, block, end)
    after = TextMap(new)
    moved = reanchor(anchor, before.to_global(block, start), after)
    if moved is None:
        return None
    a = after.to_global(moved.start_block, moved.start_offset)
    b = after.to_global(moved.end_block, moved.end_offset)
    return after.text[max(0, a - 6) : b]


def test_unchanged_text_keeps_position() -> None:
    """An anchor in unchanged text stays exactly where it was."""
    blocks = ["One two three.", "Four five six."]
    anchor = TextMap(blocks).anchor(1, 5, 1, 9)
    assert reanchor(anchor, 21, TextMap(blocks)) == anchor


def test_moved_paragraph_follows_its_quote() -> None:
    """A highlighted paragraph that moved is found at its new index."""
    old = ["Alpha opens.", "Beta is highlighted here.", "Gamma closes."]
    new = ["Gamma closes.", "Alpha opens.", "Beta is highlighted here."]
    anchor = TextMap(old).anchor(1, 0, 1, 25)
    moved = reanchor(anchor, TextMap(old).to_global(1, 0), TextMap(new))
    assert moved is not None
    assert (moved.start_block, moved.end_block, moved.exact) == (2, 2, anchor.exact)


def test_repeated_quote_follows_its_context() -> None:
    """A repeated short quote follows its own context, not the copy at its old offset."""
    old = ["He asked the keeper. Yes. She left the lamp burning all night."]
    new = ["The ferry came late. Yes. He asked the keeper. Yes. She left the lamp burning."]
    start = old[0].index("Yes.")
    assert new[0][start : start + 4] == "Yes."
    assert placed_text(old, new, 0, start, start + 4) == "eper. Yes."


def test_removed_quote_is_not_placed() -> None:
    """A passage that is gone from the text is not attached to other text."""
    old = ["Keep this.", "Remove this sentence entirely."]
    new = ["Keep this.", "Something else now."]
    assert placed_text(old, new, 1, 0, 30) is None
