"""Re-anchoring a quote in changed text: right place or no place, never the wrong one."""

from __future__ import annotations

from annotations import export
from annotations.anchoring import TextMap, _landmarks, reanchor, reanchor_all
from annotations.models import Anchor, Block, BlockKind, Document
from annotations.store import AnnotationStore


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


# Each step of the order ---------------------------------------------------------------------

LAMP = (
    "The keeper walked along the pier every night and lit the great lamp at the end of it, "
    "whatever the weather did to the harbour."
)


def anchor_on(blocks: list[str], block: int, quote: str, nth: int = 0) -> tuple[Anchor, int]:
    """An anchor on the nth occurrence of a quote in a block, with its global start."""
    text = TextMap(blocks)
    start = -1
    for _ in range(nth + 1):
        start = blocks[block].index(quote, start + 1)
    anchor = text.anchor(block, start, block, start + len(quote))
    return anchor, text.to_global(block, start)


def covered(new: list[str], anchor: Anchor | None) -> str | None:
    """The text a re-anchored anchor covers, checked against its own `exact`."""
    if anchor is None:
        return None
    text = TextMap(new)
    start = text.to_global(anchor.start_block, anchor.start_offset)
    end = text.to_global(anchor.end_block, anchor.end_offset)
    assert text.text[start:end] == anchor.exact
    return anchor.exact


def test_quote_still_at_its_old_position_keeps_it_even_if_a_copy_has_its_context() -> None:
    """Step 1: the position is kept when the quote and its context are still there."""
    old = ["Intro.", LAMP]
    new = ["Intro.", LAMP, "A later chapter repeats it.", LAMP]
    anchor, start = anchor_on(old, 1, "the great lamp")
    placed = reanchor(anchor, start, TextMap(new))
    assert placed == anchor


def test_moved_quote_goes_to_the_copy_nearest_its_old_position() -> None:
    """Step 2: of two copies with equal context, the one nearest the old position wins."""
    old = ["Intro.", "Filler words here.", LAMP, "Middle.", "More.", LAMP]
    new = ["Intro.", "An inserted paragraph.", "Filler words here.", LAMP, "Middle.", "More.", LAMP]
    anchor, start = anchor_on(old, 2, "lit the great lamp")
    placed = reanchor(anchor, start, TextMap(new))
    assert placed is not None
    assert (placed.start_block, placed.exact) == (3, "lit the great lamp")


def test_repeated_short_quote_picks_the_copy_whose_context_agrees() -> None:
    """Step 2: a repeated word goes to the copy with its own prefix and suffix."""
    old = ["He asked the keeper. Yes. She left the lamp burning all night and went home."]
    new = ["Yes. He asked the keeper. Yes. She left the lamp burning all night and went home."]
    anchor, start = anchor_on(old, 0, "Yes.")
    placed = reanchor(anchor, start, TextMap(new))
    assert placed is not None
    assert placed.start_offset == new[0].index("Yes.", 1)


def test_typo_fixed_inside_quote_is_placed_on_the_new_text() -> None:
    """Step 3: a quote edited inside is found approximately; the anchor spans the new text."""
    old = ["Intro.", LAMP.replace("walked", "wlaked")]
    new = ["Intro.", "Inserted.", LAMP]
    anchor, start = anchor_on(old, 1, "keeper wlaked along the pier every night")
    placed = reanchor(anchor, start, TextMap(new))
    assert covered(new, placed) == "keeper walked along the pier every night"
    assert placed is not None
    assert placed.start_block == 2
    assert placed.prefix == "Intro.\n\nInserted.\n\nThe "
    assert placed.suffix == LAMP[len("The keeper walked along the pier every night") :][:32]


def test_word_changed_at_the_edge_of_a_quote_spans_the_new_word() -> None:
    """Step 3: a changed last word is included, where the suffix says the passage ends."""
    old = [LAMP]
    new = [LAMP.replace("great lamp", "great lantern")]
    anchor, start = anchor_on(old, 0, "every night and lit the great lamp")
    placed = reanchor(anchor, start, TextMap(new))
    assert covered(new, placed) == "every night and lit the great lantern"


def test_heavily_rewritten_quote_is_orphaned() -> None:
    """Step 3 is conservative: a quote less than ~80% similar is not placed."""
    old = [LAMP]
    new = [LAMP.replace("every night and lit the great lamp", "each dusk, lighting a big beacon")]
    anchor, start = anchor_on(old, 0, "every night and lit the great lamp")
    assert reanchor(anchor, start, TextMap(new)) is None


def test_short_quote_changed_is_orphaned_even_if_the_word_occurs_elsewhere() -> None:
    """A one-word quote whose word changed is not moved to the same word somewhere else."""
    old = ["The lamp was lit.", "Nobody saw the lamp from the quay that evening, not even once."]
    new = ["The lamp was lit.", "Nobody saw the beacon from the quay that evening, not even once."]
    anchor, start = anchor_on(old, 1, "lamp")
    assert reanchor(anchor, start, TextMap(new)) is None


def test_short_quote_with_a_typo_and_its_context_intact_is_placed() -> None:
    """A short quote is placed approximately only where both sides of its context agree."""
    old = ["Nobody saw the lanp from the quay that evening, not even once, said the keeper."]
    new = ["Nobody saw the lamp from the quay that evening, not even once, said the keeper."]
    anchor, start = anchor_on(old, 0, "lanp")
    assert covered(new, reanchor(anchor, start, TextMap(new))) == "lamp"


def test_copy_inside_a_longer_word_is_not_the_passage() -> None:
    """ "to if" inside "into if" is not placed: the quote began at the start of a word."""
    old = ["They all went there, to if not the harbour then the quay, every evening."]
    new = ["They all went there, into if not the harbour then the quay, every evening."]
    anchor, start = anchor_on(old, 0, "to if")
    assert reanchor(anchor, start, TextMap(new)) is None


def test_repeated_word_inserted_beside_a_short_quote_is_ambiguous() -> None:
    """With one copy keeping the prefix and one the suffix, neither is chosen."""
    old = ["Him may has they fisherman this then for down the quay, every single evening."]
    new = ["Him may has they to they fisherman this then for down the quay, every single evening."]
    anchor, start = anchor_on(old, 0, "they")
    assert reanchor(anchor, start, TextMap(new)) is None


def test_edited_quote_far_from_its_old_place_is_found_in_the_whole_text() -> None:
    """A moved and edited paragraph is found anywhere in a long text by pieces of its quote."""
    filler = [
        f"Paragraph {n} talks about tides, ferries and the weather on day {n}." for n in range(400)
    ]
    old = [*filler, LAMP]
    new = [LAMP.replace("great", "grand"), *filler]
    anchor, start = anchor_on(old, 400, "walked along the pier every night and lit the great lamp")
    placed = reanchor(anchor, start, TextMap(new))
    assert covered(new, placed) == "walked along the pier every night and lit the grand lamp"
    assert placed is not None
    assert placed.start_block == 0


OMEGA = "Omega closes the whole story at the harbour."


def test_reanchor_all_follows_unchanged_paragraphs_to_expect_edited_ones() -> None:
    """Many anchors at once, answered in the order given: moved, edited, gone, kept."""
    old = ["Alpha opens the story.", LAMP, "A paragraph that will be removed entirely.", OMEGA]
    new = [
        "New first paragraph.",
        "Alpha opens the story.",
        OMEGA,
        LAMP.replace("pier", "jetty"),
    ]
    text = TextMap(old)
    anchors = [
        anchor_on(old, 3, OMEGA)[0],
        anchor_on(old, 1, "walked along the pier every night")[0],
        anchor_on(old, 2, "will be removed")[0],
        anchor_on(old, 0, "Alpha opens")[0],
    ]
    placed = reanchor_all(anchors, text, TextMap(new))
    assert [covered(new, anchor) for anchor in placed] == [
        OMEGA,
        "walked along the jetty every night",
        None,
        "Alpha opens",
    ]
    assert [anchor.start_block for anchor in placed if anchor] == [2, 3, 1]


# Through the store --------------------------------------------------------------------------


def document(*texts: str) -> Document:
    return Document("Harbour", tuple(Block(BlockKind.PARAGRAPH, t) for t in texts), "/h.txt")


def test_deleted_quote_is_orphaned_kept_and_exported_in_its_own_section(
    store: AnnotationStore,
) -> None:
    """An orphaned annotation keeps its quote and note and is exported as no longer found."""
    article_id = store.import_document(document("Intro.", LAMP, "The end.")).article.id
    lost = store.add_highlight(article_id, (1, 4), (1, 24), note="Who was he?")
    kept = store.add_highlight(article_id, (2, 0), (2, 7))
    result = store.import_document(document("Intro.", "The end."))
    assert result.orphaned == 1
    after = store.get_annotation(lost.id)
    assert (after.orphaned, after.anchor, after.note) == (True, lost.anchor, "Who was he?")
    assert after.updated_at == lost.updated_at < after.anchored_at
    assert store.get_annotation(kept.id).anchor.start_block == 1
    markdown = export.article_markdown(store, store.get_article(article_id))
    placed_part, orphaned_part = markdown.split("## Passages no longer found in the text")
    assert "The end" in placed_part
    assert "keeper walked along" in orphaned_part
    assert "Who was he?" in orphaned_part


def test_orphaned_annotation_comes_back_when_its_text_does(store: AnnotationStore) -> None:
    """Re-importing a version with the passage again places the orphan there."""
    article_id = store.import_document(document("Intro.", LAMP)).article.id
    made = store.add_highlight(article_id, (1, 4), (1, 23))
    store.import_document(document("Intro.", "Something else entirely."))
    orphan = store.get_annotation(made.id)
    assert orphan.orphaned
    result = store.import_document(document("A new intro.", "Intro.", LAMP))
    assert result.orphaned == 0
    back = store.get_annotation(made.id)
    assert not back.orphaned
    assert (back.anchor.start_block, back.anchor.exact) == (2, "keeper walked along")
    assert back.updated_at == orphan.updated_at
    assert back.anchored_at > orphan.anchored_at


def test_re_anchoring_never_changes_updated_at(
    store: AnnotationStore,
) -> None:
    """A passage that moved or whose text was edited keeps its updated_at (no edit of the
    reader's); when it was re-anchored is `anchored_at`."""
    article_id = store.import_document(document("Intro.", LAMP, "The end of it all.")).article.id
    moved = store.add_highlight(article_id, (2, 0), (2, 18))
    edited = store.add_highlight(article_id, (1, 4), (1, 44))
    store.import_document(
        document("New.", "Intro.", LAMP.replace("walked", "strolled"), "The end of it all.")
    )
    after_moved, after_edited = store.get_annotation(moved.id), store.get_annotation(edited.id)
    assert (after_moved.anchor.start_block, after_moved.updated_at) == (3, moved.updated_at)
    assert after_edited.anchor.exact == "keeper strolled along the pier every night"
    assert after_edited.updated_at == edited.updated_at
    assert after_moved.anchored_at == after_edited.anchored_at > edited.updated_at


# Rewritten passages, deletions beside look-alikes, repeated phrases ---------------------------

HARBOUR = [
    "The ferry left the harbour at six, as it had done for forty years.",
    "On the quay the keeper counted the crates twice and wrote the number in a small notebook "
    "with a green cover. Nobody ever asked to see it. The gulls waited on the crane.",
    "In the evening the lamp was lit and the boats came back one by one.",
]


def quote_in(blocks: list[str], words: str) -> tuple[int, int, int]:
    """(block, start, end) of some words in a list of blocks."""
    for index, text in enumerate(blocks):
        if words in text:
            start = text.index(words)
            return index, start, start + len(words)
    raise AssertionError(words)


def test_rewritten_sentence_between_its_context_is_placed() -> None:
    """A sentence with a third of it rewritten stays highlighted: prefix and suffix agree."""
    quote = "the keeper counted the crates twice and wrote the number in a small notebook"
    rewritten = "the old keeper checked each crate again and noted the total in a notebook"
    new = [HARBOUR[0], HARBOUR[1].replace(quote, rewritten), HARBOUR[2]]
    block, start, end = quote_in(HARBOUR, quote)
    assert placed_text(HARBOUR, new, block, start, end) == " quay " + rewritten


def test_rewritten_sentence_found_from_its_prefix_alone() -> None:
    """With its suffix also changed, a rewritten sentence is found after its intact prefix."""
    quote = "Nobody ever asked to see it."
    old = [HARBOUR[0], HARBOUR[1], "A new paragraph comes after it.", HARBOUR[2]]
    block, start, end = quote_in(old, quote)
    new = [HARBOUR[0], HARBOUR[1].replace(quote, "Nobody has ever wanted to see it."), HARBOUR[2]]
    new[1] = new[1].replace(" The gulls waited on the crane.", " Rain fell.")
    assert placed_text(old, new, block, start, end) == "over. Nobody has ever wanted to see it."


def test_deleted_sentence_does_not_move_to_its_look_alike() -> None:
    """A deleted sentence is orphaned though a near copy of it stays earlier in the text."""
    filler = [f"Paragraph {n} is about the weather on the island." for n in range(16)]
    quote = "Nobody in the village ever asked to see the notebook."
    old = [
        "The guide shows a map. Nobody in the village ever wanted to see the notebook. Fine.",
        *filler,
        f"Then the ferry timetable. {quote} Six boats a day.",
    ]
    block, start, end = quote_in(old[1:], quote)
    new = [*old[:-1], "Then the ferry timetable. Six boats a day."]
    assert placed_text(old, new, block + 1, start, end) is None
    new = [*old[:-1], "Then the ferry timetable."]  # the context after it gone as well
    assert placed_text(old, new, block + 1, start, end) is None


def test_deleted_phrase_does_not_move_to_another_copy() -> None:
    """A deleted short phrase is orphaned, not moved onto the same words elsewhere."""
    old = [
        "Here is what that looks like: a long pier with a lamp at the end of it.",
        "The keeper wrote: Here is what that looks like: nothing but fog and water.",
    ]
    block, start, end = quote_in(old[1:], "Here is what that looks like:")
    new = [old[0], "The keeper wrote: nothing but fog and water."]
    assert placed_text(old, new, block + 1, start, end) is None


def test_repeated_phrase_with_intact_prefix_is_placed() -> None:
    """A phrase that occurs twice keeps its place when only the sentence after it is cut."""
    phrase = "vervolgt De Bruijn."
    old = [
        f"De haven is te klein, {phrase} Er moet een nieuwe kade komen. Dat kost geld.",
        f"Het geld is er niet, {phrase} Niemand wil betalen. De gemeente wacht af.",
    ]
    new = [old[0], f"Het geld is er niet, {phrase} De gemeente wacht af."]
    start = old[1].index(phrase)
    assert placed_text(old, new, 1, start, start + len(phrase)) == f"niet, {phrase}"


def test_suffix_changed_keeps_the_quote() -> None:
    """Quote and prefix intact, the words after it changed: the quote is placed."""
    block, start, end = quote_in(HARBOUR, "The gulls waited")
    new = [HARBOUR[0], HARBOUR[1].replace("on the crane.", "by the silos."), HARBOUR[2]]
    assert placed_text(HARBOUR, new, block, start, end) == "e it. The gulls waited"


def test_moved_paragraph_is_no_landmark() -> None:
    """Unchanged paragraphs that moved out of order are not used to guess where others went."""
    old = [f"Paragraph {n} of the story." for n in range(8)]
    new = [old[0], old[1], old[5], old[2], old[3], old[4], old[6], old[7]]
    moved, landmarks = _landmarks(TextMap(old), TextMap(new))
    assert moved[5] == 2  # a passage inside it still follows it
    assert landmarks[5] == (4, 5)  # but the passages after it measure from paragraph 4
    assert landmarks[6] == (6, 6)


def test_short_edited_quote_with_one_side_intact_is_placed() -> None:
    """A few edited words keep their place when the whole text after them is unchanged,
    though a paragraph was put in before them."""
    old = ["Did the ferry leave?", "—Yes, sir, at six.", "—Until tomorrow then.", "It left."]
    new = [old[0], "A line put in.", "—Yes, sir, at six!", *old[2:]]
    assert placed_text(old, new, 1, 0, 18) == " in.\n\n—Yes, sir, at six!"


def test_words_at_the_start_of_the_text_keep_their_place() -> None:
    """All of the text before a quote, though shorter than a context, is its whole prefix."""
    old = ["The Adventures of Sherlock Holmes", "By a doctor."]
    new = ["The Adventures of Mr. Holmes", "By a doctor."]
    assert placed_text(old, new, 0, 15, 17) == "tures of"


def test_a_passage_of_many_paragraphs_follows_an_edit_inside_it() -> None:
    """A highlight over a long text (far beyond what is aligned character by character)
    stays on it when a paragraph inside is edited and one is added."""
    old = [f"Paragraph {n} tells of the harbour, the ferry and the keeper." for n in range(600)]
    new = [*old[:300], "A paragraph added.", old[300].replace("ferry", "boat"), *old[301:]]
    before, after = TextMap(old), TextMap(new)
    anchor = before.anchor(1, 0, 598, len(old[598]))
    (placed,) = reanchor_all([anchor], before, after)
    assert placed is not None
    assert (placed.start_block, placed.start_offset) == (1, 0)
    assert (placed.end_block, placed.end_offset) == (599, len(old[598]))
