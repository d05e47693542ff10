"""Finding text in an article: folding, every match (no cap), the first match near a place."""

from __future__ import annotations

import pytest

from reader.find import CHUNK, Finder, Matches, fold, fold_query

TEXTS = ["In Goïta the market opened.", "", "Goita is a TOWN; goïta again.", "Nothing here."]


def test_fold_keeps_length_and_drops_case_and_diacritics() -> None:
    """Every offset in the folded text is the same place in the text."""
    for text in ["Goïta ÉTÉ crème", "İstanbul", "ΟΔΟΣ οδος", "Pierre’s “word”", "plain"]:
        assert len(fold(text)) == len(text)
    assert fold("Goïta ÉTÉ crème") == "goita ete creme"
    assert fold("İstanbul") == "istanbul"
    assert fold("ΟΔΟΣ") == fold("οδοσ") == fold("οδος")
    assert fold("Pierre’s “word”") == 'pierre\'s "word"'
    assert fold_query("  Goïta \n  Town ") == "goita town"


def test_find_every_spelling_in_text_order() -> None:
    matches = Finder(TEXTS).find("GOITA")
    assert matches is not None
    assert list(matches) == [(0, 3, 8), (2, 0, 5), (2, 17, 22)]
    assert matches == [(0, 3, 8), (2, 0, 5), (2, 17, 22)]
    assert matches[-1] == (2, 17, 22) and matches[1:] == [(2, 0, 5), (2, 17, 22)]
    assert Finder(TEXTS).find("   ") == []
    assert Finder(TEXTS).find("opened. Goita") == []  # never from one block into the next


def test_find_has_no_cap() -> None:
    """Far more than the 10,000 matches once listed are all counted, in order."""
    texts = ["ab " * 1000] * 12
    matches = Finder(texts).find("AB")
    assert matches is not None and len(matches) == 12_000
    assert matches[10_000] == (10, 0, 2) and matches[-1] == (11, 2997, 2999)


def test_find_stops_when_no_longer_wanted() -> None:
    asked: list[int] = []

    def cancelled() -> bool:
        asked.append(1)
        return True

    assert Finder(["a " * CHUNK]).find("a", cancelled=cancelled) is None
    assert asked == [1]


def test_matches_by_block_and_by_place() -> None:
    matches = Finder(TEXTS).find("goita")
    assert matches is not None
    assert matches.in_block(0) == [(3, 8, 0)]
    assert matches.in_block(1) == [] and matches.in_block(3) == [] and matches.in_block(9) == []
    assert matches.in_block(2) == [(0, 5, 1), (17, 22, 2)]
    assert matches.number_at(0, 0) == 0
    assert matches.number_at(0, 4) == 1
    assert matches.number_at(2, 1) == 2
    assert matches.number_at(3, 0) == len(matches)
    assert Matches.none().number_at(0, 0) == 0 and Matches.none().in_block(0) == []


@pytest.mark.parametrize("folded_first", [False, True])
def test_first_match_at_or_after_a_place_then_wrapping(folded_first: bool) -> None:
    """Whether or not the whole article is folded yet, the answer is the same."""
    finder = Finder(TEXTS)
    if folded_first:
        finder.folded()
    assert finder.first("goita", 0, 0) == ((0, 3, 8), True)
    assert finder.first("goita", 0, 4) == ((2, 0, 5), True)
    assert finder.first("goita", 2, 1) == ((2, 17, 22), True)
    assert finder.first("goita", 3, 0) == ((0, 3, 8), True)  # wraps to the top
    assert finder.first("nothing", 3, 5) == ((3, 0, 7), True)  # wraps into its own block
    assert finder.first("absent", 1, 0) == (None, True)


def test_first_match_within_a_limit() -> None:
    """Past the limit, the search stops without saying there is no match."""
    texts = ["x" * 100] * 10 + ["needle"]
    finder = Finder(texts)
    assert finder.first("needle", 0, 0, limit=300) == (None, False)
    assert finder.first("needle", 9, 0, limit=300) == ((10, 0, 6), True)
    assert finder.first("needle", 0, 0) == ((10, 0, 6), True)
