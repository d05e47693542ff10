"""Benchmark re-anchoring: edited articles re-imported, each annotation checked against the truth.

Run `python benchmarks/reanchor.py [--seed N] [--quick] [--texts DIR] [--exact-only]`. All in a
temporary folder. Generated articles of 5-60 KB (English and Dutch prose with diacritics; with
`--texts`, also the documents of a folder: text, Markdown, HTML, EPUB) get highlights of every
size (a few words, a sentence, two or three paragraphs). Each annotation is given one kind of
edit:

- unchanged, edits elsewhere: paragraphs inserted, deleted, moved or duplicated, the paragraph
  split or joined to the next (re-flowed), the same words inserted again earlier;
- edited up to 10%: typos fixed and words changed, up to a tenth of the quote's characters;
- rewritten 20-40%: a run of words replaced and words changed, 20-40% of its characters;
- deleted, look-alike stays: a sentence deleted while a look-alike of it (a word or two
  changed) stays about 800 characters earlier, or a short phrase deleted while a copy of it
  stays elsewhere; the right outcome is orphaned;
- repeated phrase: a short sentence that occurs twice, annotated at one copy, and the
  sentence after that copy deleted;
- context only: quote and prefix intact, the words after the quote changed.

"Characters changed" is the edit distance between the quote before and after, over its length
before. Every article also gets edits away from its quotes. Each article is then imported
again through the real `AnnotationStore.import_document`, once with reader's `reanchor_all`
and once with `hypothesis_reanchor_all` (below: our re-implementation of the Hypothesis web
client's quote matching), and since the benchmark knows where every quoted text went, each
annotation is classified as placed correctly, misplaced, orphaned (right: its passage is gone)
or wrongly orphaned (its passage is still there).
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
from collections import Counter, defaultdict
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from time import perf_counter

from annotations import anchoring
from annotations.anchoring import TextMap, _distances
from annotations.models import Anchor, Block, BlockKind, Document
from annotations.store import AnnotationStore

SEED = 20260131
ARTICLES = 60
QUICK_ARTICLES = 10
TEXT_LIMIT = 200_000
"""Characters read from each `--texts` file (the Hypothesis-style search scans the whole text)."""

TEXT_SUFFIXES = (".txt", ".md", ".markdown", ".html", ".htm", ".epub")
"""Files `--texts` takes from its folder."""

EDGE = 3
"""Placed correctly: at least 80% overlap with the truth and both edges within this many
characters of it (for edited and rewritten passages, the 80% overlap alone)."""
OVERLAP = 0.8
EXAMPLES = 2

ENGLISH = """
the of and to a in that it was he his with as for had not be her on at by which have or from
this him but all she they were are one their so an said them we who would been will no when
there if more out up into any what has could other than some very time upon about may its only
now little then made should did such before must two these know over much down after first
keeper lamp harbour ferry tide pier gull lantern rope mast sail deck hull anchor beacon shore
island channel current storm gale fog breakwater quay warehouse crane barge lock sluice dike
polder meadow orchard windmill mill bakery market square church tower bell clock bridge canal
towpath bicycle tram station platform ticket timetable luggage porter stranger neighbour cousin
widow sailor fisherman carpenter blacksmith teacher pupil notebook letter envelope stamp parcel
kitchen kettle stove lamp candle window curtain staircase attic cellar garden hedge gate fence
patient careful stubborn quiet restless narrow crooked ancient bright heavy salty grey amber
remembered wondered suspected repaired painted carried counted whispered argued promised waited
"""
DUTCH = """
de het een en van ik te dat die in is hij niet zijn op aan met als voor had er maar om hem dan
zou of wat mijn men dit zo door over ze zich bij ook tot je mij uit daar haar naar hoe heeft
één café reünie ideeën financiële privé patiënt België naïef zeeën beëindigen geïnteresseerd
cliënt knieën coördinatie hè óók vóór hé gedeëld ruïne geëerd poëzie kopiëren beïnvloed
sluiswachter dijkgraaf vuurtoren veerpont havenhoofd meeuw lantaarn touw mast zeil dek kiel
anker baken kust eiland geul stroming storm mist golfbreker kade pakhuis kraan schuit sluis
polder weiland boomgaard molen bakkerij markt plein kerk toren klok brug gracht jaagpad fiets
tram perron kaartje dienstregeling bagage kruier vreemdeling buurman nicht weduwe zeeman visser
timmerman smid onderwijzer leerling schrift brief envelop postzegel pakje keuken ketel kachel
geduldig zorgvuldig koppig stil rusteloos smal krom oud helder zwaar zout grijs barnsteen
herinnerde vroeg vermoedde herstelde schilderde droeg telde fluisterde beloofde wachtte
"""

UNCHANGED = "unchanged, edits elsewhere"
SMALL = "edited up to 10%"
REWRITE = "rewritten 20-40%"
DELETED = "deleted, look-alike stays"
REPEATED = "repeated phrase, next cut"
CONTEXT = "context only (suffix)"
KINDS = (UNCHANGED, SMALL, REWRITE, DELETED, REPEATED, CONTEXT)
TEXT_KEPT = (UNCHANGED, REPEATED, CONTEXT)
"""Kinds whose quoted text is still there, unchanged (placed correctly needs exact edges)."""

OUTCOMES = ("placed", "misplaced", "orphaned", "wrongly orphaned")
"""`orphaned` is right (the passage is gone), `wrongly orphaned` is not (it is still there)."""


# The Hypothesis web client's quote matching, re-implemented -------------------------------------

QUOTE_WEIGHT, PREFIX_WEIGHT, SUFFIX_WEIGHT, POSITION_WEIGHT = 50, 20, 20, 2
MAX_ERRORS = 256


def _best_ends(pattern: str, text: str, max_errors: int) -> tuple[int, list[int]]:
    """The lowest error count (at most `max_errors`) of the pattern in the text, and where
    those matches end (exclusive); (-1, []) when none is within `max_errors`."""
    if not text:
        return -1, []
    found = text.find(pattern)
    if found != -1:
        ends = []
        while found != -1:
            ends.append(found + len(pattern))
            found = text.find(pattern, found + 1)
        return 0, ends
    scores = _distances(pattern, text, anchored=False)
    best = min(scores)
    if best > max_errors:
        return -1, []
    return best, [at + 1 for at, score in enumerate(scores) if score == best]


def _start_of(pattern: str, text: str, end: int, errors: int) -> int:
    """Where the match of `errors` errors ending at `end` starts: the shortest match with the
    fewest errors, searching the reversed pattern backwards from `end` (as the client's
    search library does)."""
    reach = len(pattern) + errors
    window = text[max(0, end - reach) : end][::-1]
    scores = _distances(pattern[::-1], window, anchored=True)
    fewest = min(scores, default=errors + 1)
    if fewest > errors:
        return max(0, end - len(pattern))
    return end - (scores.index(fewest) + 1)


def _text_match_score(text: str, part: str) -> float:
    """1 - the fewest errors of `part` anywhere in `text`, over its length (0 if text empty)."""
    if not text:
        return 0.0
    return 1.0 - min(_distances(part, text, anchored=False)) / len(part)


def hypothesis_match(
    text: str, quote: str, prefix: str, suffix: str, hint: int
) -> tuple[int, int] | None:
    """Place a quote as the Hypothesis web client does, from the description of its algorithm.

    Search the quote allowing up to min(256, len(quote) / 2) errors, keeping the matches
    with the fewest errors (as its approximate search library reports them); score each:
    50 x quote similarity (1 - errors / len(quote)) + 20 x prefix similarity + 20 x suffix
    similarity (the fewest errors of the prefix in the text just before the match, and of the
    suffix just after, over their lengths; 1.0 when the selector has none) + 2 x position
    (1 - distance from the old start / len(text)). The best-scoring match is taken. There is
    no further threshold: the client accepts any match within the error limit, i.e. with a
    quote similarity of at least 0.5 (1 - 256 / len for quotes over 512 characters).
    """
    if not quote:
        return None
    max_errors = min(MAX_ERRORS, len(quote) // 2)
    errors, ends = _best_ends(quote, text, max_errors)
    if errors < 0:
        return None
    best, best_score = None, -1.0
    for end in ends:
        start = end - len(quote) if errors == 0 else _start_of(quote, text, end, errors)
        score = QUOTE_WEIGHT * (1.0 - errors / len(quote))
        before = text[max(0, start - len(prefix)) : start]
        after = text[end : end + len(suffix)]
        score += PREFIX_WEIGHT * (_text_match_score(before, prefix) if prefix else 1.0)
        score += SUFFIX_WEIGHT * (_text_match_score(after, suffix) if suffix else 1.0)
        score += POSITION_WEIGHT * (1.0 - abs(start - hint) / len(text))
        if score > best_score:
            best, best_score = (start, end), score
    return best


def hypothesis_reanchor_all(
    anchors: Sequence[Anchor], old: TextMap, new: TextMap, *, stale: Collection[int] = ()
) -> list[Anchor | None]:
    """`reanchor_all`'s signature, placing each anchor with `hypothesis_match`."""
    placed: list[Anchor | None] = []
    for anchor in anchors:
        hint = old.to_global(anchor.start_block, anchor.start_offset)
        match = None
        if new.texts:
            match = hypothesis_match(new.text, anchor.exact, anchor.prefix, anchor.suffix, hint)
        placed.append(None if match is None else new.anchor_global(*match))
    return placed


# The exact-only baseline (`--exact-only`) --------------------------------------------------------


def exact_only_reanchor(anchor: Anchor, old_start: int, new: TextMap, **_: object) -> Anchor | None:
    """The library's earlier algorithm, kept as the baseline: exact copies of the quote only.

    The old position is kept if quote and whole context are still there; else the copy whose
    context matches most characters wins, the old position and then nearness breaking ties.
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


def _context_score(text: str, start: int, end: int, anchor: Anchor) -> int:
    """Characters of the prefix and suffix that match around a range (baseline helper)."""
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


# Generated prose --------------------------------------------------------------------------------


class Prose:
    """Sentences and paragraphs from a word list with Zipf-like frequencies."""

    def __init__(self, rng: random.Random, vocabulary: str) -> None:
        self.rng = rng
        self.words = vocabulary.split()
        self.weights = [1.0 / (rank + 8) for rank in range(len(self.words))]

    def phrase(self, count: int) -> str:
        """A few words."""
        return " ".join(self.rng.choices(self.words, self.weights, k=count))

    def sentence(self) -> str:
        """One sentence, capitalised, perhaps with a comma, ending in a full stop."""
        words = self.rng.choices(self.words, self.weights, k=self.rng.randint(6, 22))
        if len(words) > 10 and self.rng.random() < 0.5:
            words[self.rng.randint(3, len(words) - 4)] += ","
        text = " ".join(words)
        return text[0].upper() + text[1:] + "."

    def paragraph(self) -> str:
        """Two to seven sentences."""
        return " ".join(self.sentence() for _ in range(self.rng.randint(2, 7)))


# Articles with tracked annotations ----------------------------------------------------------------


@dataclass
class Truth:
    """Where an annotation's quoted text is, by paragraph id and offset, as the text is edited."""

    start: tuple[int, int]
    end: tuple[int, int]
    kind: str = UNCHANGED
    plan: str = UNCHANGED
    """The kind of edit this quote is to get."""
    gone: bool = False
    copies: list[Truth] = field(default_factory=list)
    """Where identical copies of the quoted text went (a duplicated paragraph)."""


@dataclass
class Article:
    """An article as paragraphs with stable ids, and the truth of each of its annotations.

    Change `paragraphs` only through `insert`, `delete` and `replace`, which keep the lookups
    (paragraph id to index, the joined text) up to date.
    """

    paragraphs: list[tuple[int, str]]
    truths: list[Truth] = field(default_factory=list)
    next_id: int = 0
    _indexes: dict[int, int] | None = None
    _text: TextMap | None = None

    @classmethod
    def from_texts(cls, texts: list[str]) -> Article:
        return cls(list(enumerate(texts)), next_id=len(texts))

    def texts(self) -> list[str]:
        return [text for _, text in self.paragraphs]

    def text_map(self) -> TextMap:
        if self._text is None:
            self._text = TextMap(self.texts())
        return self._text

    def index(self, pid: int) -> int:
        if self._indexes is None:
            self._indexes = {other: i for i, (other, _) in enumerate(self.paragraphs)}
        return self._indexes[pid]

    def has(self, pid: int) -> bool:
        try:
            self.index(pid)
        except KeyError:
            return False
        return True

    def text_of(self, pid: int) -> str:
        return self.paragraphs[self.index(pid)][1]

    def new_id(self) -> int:
        self.next_id += 1
        return self.next_id - 1

    def insert(self, at: int, paragraphs: list[tuple[int, str]]) -> None:
        self.paragraphs[at:at] = paragraphs
        self._indexes = self._text = None

    def delete(self, first: int, last: int) -> list[tuple[int, str]]:
        removed = self.paragraphs[first : last + 1]
        del self.paragraphs[first : last + 1]
        self._indexes = self._text = None
        return removed

    def live(self) -> list[Truth]:
        return [truth for truth in self.truths if not truth.gone]

    def spans_in(self, pid: int) -> list[tuple[int, int]]:
        """The parts of a paragraph that live quotes cover.

        A quote that goes on before or after the paragraph covers its edge too (-1 or one past
        its length), so nothing is inserted at that edge.
        """
        spans = []
        for truth in self.live():
            if truth.start[0] == pid or truth.end[0] == pid:
                start = truth.start[1] if truth.start[0] == pid else -1
                end = truth.end[1] if truth.end[0] == pid else len(self.text_of(pid)) + 1
                spans.append((start, end))
            elif self.index(truth.start[0]) < self.index(pid) < self.index(truth.end[0]):
                spans.append((-1, len(self.text_of(pid)) + 1))
        return spans

    def replace(self, pid: int, start: int, end: int, text: str) -> None:
        """Replace part of a paragraph, moving the quote edges that come after it.

        A quote's start moves if the change is before it or an insertion right at it; its
        end moves if the change ends at or before it and is not an insertion right at it.
        """
        index = self.index(pid)
        old = self.paragraphs[index][1]
        self.paragraphs[index] = (pid, old[:start] + text + old[end:])
        self._text = None
        delta = len(text) - (end - start)
        for truth in self.edges():
            edge_pid, offset = truth.start
            if edge_pid == pid and offset >= end:
                truth.start = (pid, offset + delta)
            edge_pid, offset = truth.end
            if edge_pid == pid and offset >= end and offset > start:
                truth.end = (pid, offset + delta)

    def edges(self) -> list[Truth]:
        return [*self.truths, *(copy for t in self.truths for copy in t.copies)]

    def split(self, pid: int, at: int) -> None:
        """Split a paragraph at a space (re-flowing it): the text after goes to a new one."""
        index = self.index(pid)
        text = self.paragraphs[index][1]
        second = self.new_id()
        self.paragraphs[index] = (pid, text[:at])
        self.insert(index + 1, [(second, text[at + 1 :])])
        for truth in self.edges():
            if truth.start[0] == pid and truth.start[1] > at:
                truth.start = (second, truth.start[1] - at - 1)
            if truth.end[0] == pid and truth.end[1] > at:
                truth.end = (second, truth.end[1] - at - 1)

    def merge(self, index: int) -> None:
        """Join a paragraph and the next one with a space (re-flowing them)."""
        (first, a), (second, b) = self.paragraphs[index : index + 2]
        self.delete(index, index + 1)
        self.insert(index, [(first, a + " " + b)])
        for truth in self.edges():
            if truth.start[0] == second:
                truth.start = (first, truth.start[1] + len(a) + 1)
            if truth.end[0] == second:
                truth.end = (first, truth.end[1] + len(a) + 1)

    def block_range(self, truth: Truth) -> tuple[int, int]:
        return self.index(truth.start[0]), self.index(truth.end[0])

    def closed(self, first: int, last: int) -> bool:
        """Whether no live quote crosses the edges of a range of paragraphs."""
        for truth in self.live():
            a, b = self.block_range(truth)
            inside = [first <= a <= last, first <= b <= last]
            if any(inside) and not all(inside):
                return False
        return True

    def cuts(self) -> set[int]:
        """Indexes before which inserting paragraphs would cut through a live quote."""
        inside: set[int] = set()
        for truth in self.live():
            if self.has(truth.start[0]):
                first, last = self.block_range(truth)
                inside.update(range(first + 1, last + 1))
        return inside

    def global_span(self, truth: Truth) -> tuple[int, int]:
        text = self.text_map()
        return (
            text.to_global(self.index(truth.start[0]), truth.start[1]),
            text.to_global(self.index(truth.end[0]), truth.end[1]),
        )


def sentence_bounds(text: str) -> list[tuple[int, int]]:
    """(start, end) of each sentence of a paragraph, end after its full stop."""
    bounds, start = [], 0
    for at, char in enumerate(text):
        if char == ".":
            if at + 1 - start > 1:
                bounds.append((start, at + 1))
            start = at + 2
    return bounds


def word_bounds(text: str, start: int = 0, end: int | None = None) -> list[tuple[int, int]]:
    """(start, end) of each word (letters only, no punctuation) inside a range."""
    end = len(text) if end is None else end
    bounds, at = [], start
    while at < end:
        if text[at].isalpha():
            stop = at
            while stop < end and text[stop].isalpha():
                stop += 1
            bounds.append((at, stop))
            at = stop
        else:
            at += 1
    return bounds


def free(spans: list[tuple[int, int]], start: int, end: int) -> bool:
    """Whether a range touches no quote (it may end where one starts or start where one ends)."""
    return all(end <= a or start >= b for a, b in spans)


def pick_quote(rng: random.Random, article: Article, shape: str) -> Truth | None:
    """A new quote of a given shape that does not overlap the others."""
    index = rng.randrange(len(article.paragraphs))
    pid, text = article.paragraphs[index]
    if shape == "words":
        words = word_bounds(text)
        if len(words) < 3:
            return None
        first = rng.randrange(len(words) - 2)
        start, end = words[first][0], words[first + rng.randint(0, 2)][1]
        truth = Truth((pid, start), (pid, end))
    elif shape == "sentence":
        if not sentence_bounds(text):
            return None
        start, end = rng.choice(sentence_bounds(text))
        truth = Truth((pid, start), (pid, end))
    else:
        last = min(len(article.paragraphs) - 1, index + rng.randint(1, 2))
        if last == index:
            return None
        end_pid, end_text = article.paragraphs[last]
        if not sentence_bounds(text) or not sentence_bounds(end_text):
            return None
        start = rng.choice(sentence_bounds(text))[0]
        end = rng.choice(sentence_bounds(end_text))[1]
        truth = Truth((pid, start), (end_pid, end))
    a, b = (index, truth.start[1]), (article.index(truth.end[0]), truth.end[1])
    if not a < b:
        return None
    for other in article.truths:
        c, d = (
            (article.index(other.start[0]), other.start[1]),
            (article.index(other.end[0]), other.end[1]),
        )
        if a < d and c < b:
            return None
    return truth


def generated_texts(prose: Prose, size: int) -> list[str]:
    """Paragraphs of generated prose, about `size` characters in all."""
    texts, length = [], 0
    while length < size:
        texts.append(prose.paragraph())
        length += len(texts[-1]) + 2
    return texts


def make_article(rng: random.Random, texts: list[str], quotes: int) -> Article:
    """An article of these paragraphs with `quotes` non-overlapping quotes."""
    article = Article.from_texts(texts)
    shapes = ["words"] * 5 + ["sentence"] * 4 + ["paragraphs"]
    attempts = 0
    while len(article.truths) < quotes and attempts < quotes * 20:
        attempts += 1
        truth = pick_quote(rng, article, rng.choice(shapes))
        if truth is not None:
            article.truths.append(truth)
    return article


# Edits --------------------------------------------------------------------------------------------


def distance(a: str, b: str) -> int:
    """Levenshtein distance."""
    if not a or not b:
        return len(a) + len(b)
    return _distances(a, b, anchored=True)[-1]


def single(truth: Truth) -> bool:
    return truth.start[0] == truth.end[0]


def change_once(rng: random.Random, prose: Prose, quote: str, runs: bool) -> str:
    """One change to a quote: a typo, a word changed, or (with `runs`) a run of words replaced."""
    words = word_bounds(quote)
    if not words:
        return quote
    roll = rng.random()
    if runs and roll < 0.4 and len(words) >= 3:
        count = rng.randint(2, min(5, len(words) - 1))
        first = rng.randrange(len(words) - count + 1)
        a, b = words[first][0], words[first + count - 1][1]
        return quote[:a] + prose.phrase(rng.randint(max(1, count - 1), count + 1)) + quote[b:]
    a, b = rng.choice(words)
    word = quote[a:b]
    if roll < 0.7 and len(word) >= 4:
        at = rng.randrange(1, len(word) - 1)
        if rng.random() < 0.5:
            changed = word[:at] + word[at + 1] + word[at] + word[at + 2 :]
        else:
            changed = word[:at] + rng.choice("aeiouns") + word[at + 1 :]
    else:
        changed = prose.phrase(1)
    return quote[:a] + changed + quote[b:]


def rewritten(
    rng: random.Random, prose: Prose, quote: str, low: float, high: float, runs: bool
) -> str | None:
    """The quote changed until the changed share of its characters is in (low, high]."""
    for _ in range(10):
        target = rng.uniform(max(low, 0.01), high)
        current = quote
        for _ in range(60):
            candidate = change_once(rng, prose, current, runs)
            share = distance(quote, candidate) / len(quote)
            if share > high:
                break
            current = candidate
            if share >= target:
                return current
    return None


def edit_quote(rng: random.Random, prose: Prose, article: Article, truth: Truth) -> bool:
    """Edit a quote by up to 10%, or rewrite 20-40% of it."""
    if not single(truth):
        return False
    pid, (start, end) = truth.start[0], (truth.start[1], truth.end[1])
    quote = article.text_of(pid)[start:end]
    if truth.plan == SMALL:
        new = rewritten(rng, prose, quote, 0.0, 0.10, runs=False) if len(quote) >= 10 else None
    else:
        new = rewritten(rng, prose, quote, 0.20, 0.40, runs=True) if len(quote) >= 20 else None
    if new is None:
        return False
    article.replace(pid, start, end, new)
    return True


def delete_quote(article: Article, truth: Truth) -> bool:
    """Delete a one-paragraph quote with a space next to it (its paragraph, if it is all of it)."""
    pid, (start, end) = truth.start[0], (truth.start[1], truth.end[1])
    text = article.text_of(pid)
    if end < len(text) and text[end] == " ":
        end += 1
    elif start > 0 and text[start - 1] == " ":
        start -= 1
    others = [span for span in article.spans_in(pid) if span != (truth.start[1], truth.end[1])]
    if not free(others, start, end):
        return False
    truth.gone = True
    if start == 0 and end >= len(text):
        index = article.index(pid)
        if not article.closed(index, index):
            truth.gone = False
            return False
        article.delete(index, index)
    else:
        article.replace(pid, start, end, "")
    return True


def delete_next_sentence(article: Article, truth: Truth) -> bool:
    """Delete the sentence right after a one-paragraph quote."""
    pid, end = truth.end
    text = article.text_of(pid)
    if end >= len(text) or text[end] != " ":
        return False
    stop = text.find(".", end)
    if stop == -1 or not free(article.spans_in(pid), end, stop + 1):
        return False
    article.replace(pid, end, stop + 1, "")
    return True


def change_suffix(rng: random.Random, prose: Prose, article: Article, truth: Truth) -> bool:
    """Change one to three words right after a quote (in its paragraph, or the next one)."""
    pid, end = truth.end
    text = article.text_of(pid)
    words = word_bounds(text, end, min(len(text), end + anchoring.CONTEXT))
    if not words:
        index = article.index(pid) + 1
        if index >= len(article.paragraphs):
            return False
        pid, text = article.paragraphs[index]
        words = word_bounds(text, 0, min(len(text), anchoring.CONTEXT))
    if not words:
        return False
    count = rng.randint(1, min(3, len(words)))
    start, stop = words[0][0], words[count - 1][1]
    new = prose.phrase(count)
    if new == text[start:stop] or not free(article.spans_in(pid), start, stop):
        return False
    article.replace(pid, start, stop, new)
    return True


def edit_paragraphs(rng: random.Random, article: Article, truth: Truth, kind: str) -> bool:
    """Move, delete or duplicate the paragraphs a quote is in."""
    first, last = article.block_range(truth)
    if kind != "duplicated" and not article.closed(first, last):
        return False
    if kind == "deleted":
        removed = {pid for pid, _ in article.delete(first, last)}
        for other in article.truths:
            if other.start[0] in removed:
                other.gone, other.kind = True, DELETED
        return True
    if kind == "duplicated":
        moving = article.paragraphs[first : last + 1]
        copy = [(article.new_id(), text) for _, text in moving]
        cuts = article.cuts()
        spots = [
            i
            for i in range(len(article.paragraphs) + 1)
            if not first <= i <= last + 1 and i not in cuts
        ]
        if not spots:
            return False
        ids = dict(zip([pid for pid, _ in moving], [pid for pid, _ in copy], strict=True))
        for other in article.live():
            if other.start[0] in ids and other.end[0] in ids:
                start, end = other.start, other.end
                other.copies.append(Truth((ids[start[0]], start[1]), (ids[end[0]], end[1])))
        article.insert(rng.choice(spots), copy)
        return True
    moving = article.delete(first, last)
    cuts = article.cuts()
    spots = [i for i in range(len(article.paragraphs) + 1) if abs(i - first) >= 2 and i not in cuts]
    if not spots:
        article.insert(first, moving)
        return False
    article.insert(rng.choice(spots), moving)
    return True


def reflow(rng: random.Random, article: Article, truth: Truth) -> bool:
    """Split a quote's paragraph between two sentences, or join it to the next paragraph."""
    pid = truth.start[0]
    index = article.index(pid)
    if rng.random() < 0.5 and index + 1 < len(article.paragraphs):
        if index + 1 in article.cuts():
            return False
        article.merge(index)
        return True
    text = article.text_of(pid)
    spans = article.spans_in(pid)
    bounds = sentence_bounds(text)[:-1]
    cuts = [b for _, b in bounds if text[b : b + 1] == " " and free(spans, b, b + 1)]
    if not cuts:
        return False
    article.split(pid, rng.choice(cuts))
    return True


def insert_again_earlier(rng: random.Random, prose: Prose, article: Article, truth: Truth) -> bool:
    """Insert a paragraph holding the same words as a one-paragraph quote, before it."""
    if not single(truth):
        return False
    quote = article.text_of(truth.start[0])[truth.start[1] : truth.end[1]]
    index, cuts = article.index(truth.start[0]), article.cuts()
    spots = [i for i in range(max(0, index - 10), index + 1) if i not in cuts]
    if not spots:
        return False
    paragraph = f"{prose.sentence()} {quote} {prose.sentence()}"
    article.insert(rng.choice(spots), [(article.new_id(), paragraph)])
    return True


def edit_elsewhere(rng: random.Random, prose: Prose, article: Article) -> None:
    """An edit away from the quotes: a paragraph or sentence added, a paragraph or word removed."""
    choice = rng.random()
    index = rng.randrange(len(article.paragraphs))
    pid, text = article.paragraphs[index]
    if choice < 0.3:
        at = rng.randrange(len(article.paragraphs) + 1)
        if at not in article.cuts():
            article.insert(at, [(article.new_id(), prose.paragraph())])
    elif choice < 0.45:
        if not article.spans_in(pid) and len(article.paragraphs) > 3:
            article.delete(index, index)
    elif choice < 0.75:
        ends = [b for _, b in sentence_bounds(text) if free(article.spans_in(pid), b, b)]
        if ends:
            article.replace(pid, ends[0], ends[0], " " + prose.sentence())
    else:
        spans = article.spans_in(pid)
        words = [(a - 1, b) for a, b in word_bounds(text) if a > 0 and text[a - 1] == " "]
        words = [(a, b) for a, b in words if free(spans, a, b)]
        if words:
            article.replace(pid, *rng.choice(words), "")


# Planting look-alikes and repeated phrases (before the quotes are annotated) ----------------------


def plant_lookalike(rng: random.Random, prose: Prose, article: Article, truth: Truth) -> None:
    """Put a look-alike of a one-paragraph quote about 800 characters before it.

    A quote of four words or more gets one or two words changed; a shorter one an exact copy.
    """
    quote = article.text_of(truth.start[0])[truth.start[1] : truth.end[1]]
    words = word_bounds(quote)
    alike = quote
    if len(words) >= 4:
        for a, b in sorted(rng.sample(words, rng.randint(1, 2)), reverse=True):
            alike = alike[:a] + prose.phrase(1) + alike[b:]
    text = article.text_map()
    target = text.to_global(article.index(truth.start[0]), truth.start[1]) - 800
    cuts = article.cuts()
    spots = [i for i in range(article.index(truth.start[0]) + 1) if i not in cuts]
    if not spots:
        return
    spot = min(spots, key=lambda i: abs(text.starts[min(i, len(text.starts) - 1)] - target))
    paragraph = f"{prose.sentence()} {alike} {prose.sentence()}"
    article.insert(spot, [(article.new_id(), paragraph)])


def plant_repeated(rng: random.Random, prose: Prose, article: Article) -> Truth | None:
    """A short sentence put in two paragraphs, one copy annotated, a free sentence after it."""
    phrase = prose.phrase(rng.randint(2, 4))
    phrase = phrase[0].upper() + phrase[1:] + "."
    places: list[tuple[int, int]] = []
    for _ in range(2):
        index = rng.randrange(len(article.paragraphs))
        pid, text = article.paragraphs[index]
        bounds = sentence_bounds(text)
        spans = article.spans_in(pid)
        starts = [a for a, b in bounds if free(spans, a, b)]
        if not starts or (places and places[0][0] == pid):
            return None
        places.append((pid, rng.choice(starts)))
    for pid, at in places:
        article.replace(pid, at, at, phrase + " ")
    pid, at = rng.choice(places)
    truth = Truth((pid, at), (pid, at + len(phrase)), plan=REPEATED)
    article.truths.append(truth)
    return truth


PLANS = (UNCHANGED, SMALL, REWRITE, DELETED, CONTEXT)
PLAN_WEIGHTS = (3, 2, 3, 2, 1.5)


def plan_article(rng: random.Random, prose: Prose, article: Article) -> None:
    """Give each quote the kind of edit it will get; plant look-alikes and repeated phrases."""
    for truth in list(article.truths):
        truth.plan = rng.choices(PLANS, PLAN_WEIGHTS)[0]
        if truth.plan in (SMALL, REWRITE) and not single(truth):
            truth.plan = UNCHANGED
        if truth.plan == DELETED and single(truth):
            plant_lookalike(rng, prose, article, truth)
    for _ in range(max(1, len(article.truths) // 8)):
        plant_repeated(rng, prose, article)


def edit_article(rng: random.Random, prose: Prose, article: Article) -> None:
    """Edits away from the quotes, then each quote's planned edit."""
    for _ in range(max(3, len(article.paragraphs) // 10)):
        edit_elsewhere(rng, prose, article)
    targets = list(article.truths)
    rng.shuffle(targets)
    for truth in targets:
        if truth.gone:
            continue
        plan = truth.plan
        if plan in (SMALL, REWRITE):
            done = edit_quote(rng, prose, article, truth)
        elif plan == DELETED:
            done = (
                delete_quote(article, truth)
                if single(truth)
                else edit_paragraphs(rng, article, truth, "deleted")
            )
        elif plan == REPEATED:
            done = delete_next_sentence(article, truth)
        elif plan == CONTEXT:
            done = change_suffix(rng, prose, article, truth)
        else:
            variant = rng.choice(["none", "moved", "duplicated", "reflow", "again"])
            if variant in ("moved", "duplicated"):
                edit_paragraphs(rng, article, truth, variant)
            elif variant == "reflow":
                reflow(rng, article, truth)
            elif variant == "again":
                insert_again_earlier(rng, prose, article, truth)
            done = False
        if done:
            truth.kind = plan
        if rng.random() < 0.3:
            edit_elsewhere(rng, prose, article)


# Running and classifying ------------------------------------------------------------------------


@dataclass
class Case:
    """One article: its text before and after editing, and its quotes."""

    title: str
    before: list[str]
    after: Article
    quotes: list[tuple[tuple[int, int], tuple[int, int]]]


def make_case(rng: random.Random, prose: Prose, title: str, texts: list[str]) -> Case:
    size = sum(len(text) + 2 for text in texts)
    article = make_article(rng, texts, max(6, size // 1_000))
    plan_article(rng, prose, article)
    before = article.texts()
    positions = [
        ((article.index(t.start[0]), t.start[1]), (article.index(t.end[0]), t.end[1]))
        for t in article.truths
    ]
    edit_article(rng, prose, article)
    case = Case(title, before, article, positions)
    check(case)
    return case


def check(case: Case) -> None:
    """Make sure the truth is right: a passage whose text is kept reads the same after the
    edits, an edited one differs by the planned share of its characters."""
    old, new = TextMap(case.before), case.after.text_map()
    for (start, end), truth in zip(case.quotes, case.after.truths, strict=True):
        if truth.gone:
            continue
        was = old.text[old.to_global(*start) : old.to_global(*end)]
        a, b = case.after.global_span(truth)
        now = new.text[a:b]
        if truth.kind in TEXT_KEPT:
            assert now == was, (case.title, truth.kind, was, now)
        else:
            share = distance(was, now) / len(was)
            low, high = (0.0, 0.1) if truth.kind == SMALL else (0.2, 0.4)
            assert low < share <= high, (case.title, truth.kind, share, was, now)


def make_cases(seed: int, count: int) -> list[Case]:
    rng = random.Random(seed)
    english, dutch = Prose(rng, ENGLISH), Prose(rng, DUTCH)
    cases = []
    for number in range(count):
        prose = dutch if number % 3 == 2 else english
        texts = generated_texts(prose, rng.randint(5_000, 60_000))
        cases.append(make_case(rng, prose, f"article {number + 1}", texts))
    return cases


def text_cases(seed: int, folder: Path) -> list[Case]:
    """Cases from the documents of a folder (each cut to `TEXT_LIMIT` characters)."""
    from reader.ingest.sources import ImportFailure, load_document

    rng = random.Random(seed)
    cases = []
    paths = sorted(p for p in folder.iterdir() if p.suffix.lower() in TEXT_SUFFIXES)
    for path in paths:
        try:
            blocks = load_document(path).blocks
        except ImportFailure as error:
            print(f"skipped {path.name}: {error}", file=sys.stderr)
            continue
        texts, length = [], 0
        for block in blocks:
            if block.text.strip() and length < TEXT_LIMIT:
                texts.append(block.text)
                length += len(block.text) + 2
        if len(texts) < 4:
            continue
        sample = " ".join(texts[:50]).lower()
        vocabulary = DUTCH if sample.count(" de ") > sample.count(" the ") else ENGLISH
        cases.append(make_case(rng, Prose(rng, vocabulary), path.name, texts))
    return cases


def document(case: Case, texts: list[str]) -> Document:
    blocks = tuple(Block(BlockKind.PARAGRAPH, text) for text in texts)
    return Document(case.title, blocks, source=f"/generated/{case.title}.txt")


def classify(case: Case, truth: Truth, anchor: Anchor, orphaned: bool) -> str:
    if orphaned:
        return "orphaned" if truth.gone else "wrongly orphaned"
    new = case.after.text_map()
    placed = (
        new.to_global(anchor.start_block, anchor.start_offset),
        new.to_global(anchor.end_block, anchor.end_offset),
    )
    rights = [] if truth.gone else [case.after.global_span(truth)]
    for copy in truth.copies:
        if case.after.has(copy.start[0]) and case.after.has(copy.end[0]):
            rights.append(case.after.global_span(copy))
    for right in rights:
        near = abs(placed[0] - right[0]) <= EDGE and abs(placed[1] - right[1]) <= EDGE
        if overlap(placed, right) >= OVERLAP and (near or truth.kind not in TEXT_KEPT):
            return "placed"
    return "misplaced"


def overlap(a: tuple[int, int], b: tuple[int, int]) -> float:
    """Shared length over the length of the union of two ranges."""
    shared = max(0, min(a[1], b[1]) - max(a[0], b[0]))
    union = max(a[1], b[1]) - min(a[0], b[0])
    return shared / union if union else 1.0


@dataclass
class Run:
    outcomes: dict[str, Counter[str]] = field(default_factory=lambda: defaultdict(Counter))
    seconds: float = 0.0
    misplaced: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    """Up to `EXAMPLES` misplaced quotes per kind: the quote before, and the text placed on."""


MATCHERS = {
    "reader": None,
    "Hypothesis-style": ("reanchor_all", hypothesis_reanchor_all),
    "exact-only": ("reanchor", exact_only_reanchor),
}


def run(cases: list[Case], folder: Path, name: str) -> Run:
    """Import, annotate and re-import every case with one matcher, and classify."""
    result = Run()
    patch = MATCHERS[name]
    original = getattr(anchoring, patch[0]) if patch else None
    if patch:
        setattr(anchoring, patch[0], patch[1])
    try:
        store = AnnotationStore(folder / f"{name}.db")
        for case in cases:
            article_id = store.import_document(document(case, case.before)).article.id
            ids = [store.add_highlight(article_id, start, end).id for start, end in case.quotes]
            started = perf_counter()
            store.import_document(document(case, case.after.texts()))
            result.seconds += perf_counter() - started
            for annotation_id, truth in zip(ids, case.after.truths, strict=True):
                annotation = store.get_annotation(annotation_id)
                outcome = classify(case, truth, annotation.anchor, annotation.orphaned)
                result.outcomes[truth.kind][outcome] += 1
                if outcome == "misplaced" and len(result.misplaced[truth.kind]) < EXAMPLES:
                    new = case.after.text_map()
                    a = annotation.anchor
                    on = new.text[
                        new.to_global(a.start_block, a.start_offset) : new.to_global(
                            a.end_block, a.end_offset
                        )
                    ]
                    old = TextMap(case.before)
                    (sb, so), (eb, eo) = case.quotes[ids.index(annotation_id)]
                    was = old.text[old.to_global(sb, so) : old.to_global(eb, eo)]
                    result.misplaced[truth.kind].append(f"{was[:50]!r} -> {on[:50]!r}")
        store.db.close()
    finally:
        if patch:
            setattr(anchoring, patch[0], original)
    return result


def targets(result: Run) -> list[tuple[str, float, bool]]:
    """The three targets: (label with figures, share, met)."""
    out = result.outcomes
    rewrite = out[REWRITE]
    kept = Counter[str]()
    for kind in (*TEXT_KEPT, SMALL):
        kept.update(out[kind])
    everything = Counter[str]()
    for kind in KINDS:
        everything.update(out[kind])

    def share(counts: Counter[str], key: str) -> float:
        return counts[key] / (sum(counts.values()) or 1)

    placed_rewrite, placed_kept = share(rewrite, "placed"), share(kept, "placed")
    misplaced = 1000 * share(everything, "misplaced")
    return [
        (
            f"{100 * placed_rewrite:.1f}% of 20-40% edits placed (>= 80%)",
            placed_rewrite,
            placed_rewrite >= 0.8,
        ),
        (
            f"{100 * placed_kept:.2f}% of unchanged and <=10% placed (>= 99%)",
            placed_kept,
            placed_kept >= 0.99,
        ),
        (f"{misplaced:.1f} misplaced per 1,000 (<= 1)", misplaced, misplaced <= 1.0),
    ]


def table(results: dict[str, Run]) -> str:
    """Per edit kind and matcher: total, placed correctly, misplaced, orphaned, wrongly orphaned."""
    names = list(results)
    head = f"{'edit':<28}{'n':>6}" + "".join(f" | {name:<26}" for name in names)
    sub = " " * 34 + "".join(" | placed  mispl  orph  wrong" for _ in names)
    lines = [head.rstrip(), sub, "-" * len(sub)]
    totals = {name: Counter[str]() for name in names}
    for kind in KINDS:
        counts = {name: results[name].outcomes[kind] for name in names}
        n = sum(counts[names[0]].values())
        cells = ""
        for name in names:
            c = counts[name]
            totals[name].update(c)
            cells += (
                f" | {c['placed']:>6} {c['misplaced']:>6} {c['orphaned']:>5}"
                f" {c['wrongly orphaned']:>6}"
            )
        lines.append(f"{kind:<28}{n:>6}{cells}")
    lines.append("-" * len(sub))
    n = sum(totals[names[0]].values())
    cells = "".join(
        f" | {c['placed']:>6} {c['misplaced']:>6} {c['orphaned']:>5} {c['wrongly orphaned']:>6}"
        for c in totals.values()
    )
    lines.append(f"{'all':<28}{n:>6}{cells}")
    lines.append("")
    lines.append("Targets:")
    for name in names:
        for label, _, met in targets(results[name]):
            lines.append(f"  {name:<17} {'OK    ' if met else 'MISSED'} {label}")
    return "\n".join(lines)


def long_passage(seed: int, size: int = 2_000_000) -> str:
    """One highlight over a whole book of generated prose (all but its first and last
    paragraph), one paragraph edited and one added: how long placing it again takes, beside
    an exact search for the quote in the new text (the least any check costs), same run."""
    rng = random.Random(seed)
    prose = Prose(rng, ENGLISH)
    texts: list[str] = []
    while sum(len(text) + 2 for text in texts) < size:
        texts.append(prose.paragraph())
    old = TextMap(texts)
    last = len(texts) - 2
    anchor = old.anchor(1, 0, last, len(texts[last]))
    middle = len(texts) // 2
    edited = [*texts[:middle], prose.paragraph(), texts[middle].replace(" the ", " a ", 2)]
    new = TextMap([*edited, *texts[middle + 1 :]])
    started = perf_counter()
    placed = anchoring.reanchor_all([anchor], old, new)[0]
    seconds = perf_counter() - started
    started = perf_counter()
    new.text.find(anchor.exact)
    floor = perf_counter() - started
    covered = "placed" if placed is not None else "orphaned"
    return (
        f"One passage of {len(anchor.exact) / 1e6:.1f} MB (a whole generated book), a paragraph "
        f"edited and one added: {covered} in {seconds * 1000:.0f} ms, "
        f"{seconds / floor:.0f}x an exact search for it in the new text ({floor * 1000:.1f} ms)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=SEED, help="random seed (default %(default)s)")
    parser.add_argument("--quick", action="store_true", help=f"{QUICK_ARTICLES} articles only")
    parser.add_argument(
        "--texts",
        type=Path,
        help="also edit the documents (text, Markdown, HTML, EPUB) of a folder",
    )
    parser.add_argument("--exact-only", action="store_true", help="also the exact-only baseline")
    args = parser.parse_args()
    if args.texts is not None and not args.texts.is_dir():
        parser.error(f"--texts: not a folder: {args.texts}")
    started = perf_counter()
    cases = make_cases(args.seed, QUICK_ARTICLES if args.quick else ARTICLES)
    if args.texts is not None:
        cases += text_cases(args.seed, args.texts)
    sizes = [sum(len(text) + 2 for text in case.before) for case in cases]
    print(
        f"seed {args.seed}: {len(cases)} articles of {min(sizes) // 1000}-{max(sizes) // 1000} KB, "
        f"{sum(len(case.quotes) for case in cases)} annotations "
        f"(generated and edited in {perf_counter() - started:.1f} s)\n"
    )
    names = ["reader", "Hypothesis-style"] + (["exact-only"] if args.exact_only else [])
    with tempfile.TemporaryDirectory() as folder:
        results = {name: run(cases, Path(folder), name) for name in names}
    print(table(results))
    print(
        "\nRe-imports in all, s: " + ", ".join(f"{n} {r.seconds:.1f}" for n, r in results.items())
    )
    for name, result in results.items():
        if result.misplaced:
            print(f"\nSome misplaced by {name}:")
            for kind, lines in result.misplaced.items():
                for line in lines:
                    print(f"  {kind}: {line}")
    print("\n" + long_passage(args.seed))
    print(f"\nTotal {perf_counter() - started:.1f} s")


if __name__ == "__main__":
    main()
