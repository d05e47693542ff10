"""Benchmark re-anchoring: edited articles re-imported, each annotation checked against the truth.

Run `python benchmarks/reanchor.py [--seed N]`. Everything happens in a temporary folder: 20
generated articles of 5-60 KB (English and Dutch prose with diacritics) and a 3.5 MB book get
highlights of every size (a few words, a sentence, several paragraphs); then each article is
edited (text inserted and deleted elsewhere and next to quotes, typos fixed and words changed
inside quotes, paragraphs moved, deleted and duplicated) and imported again through the real
`AnnotationStore.import_document`. The benchmark knows where every quoted text went, so each
annotation is classified: placed exactly on it, placed close (overlapping at least 80% of it,
edges off by a few characters), placed on an identical copy of a duplicated paragraph,
orphaned, or misplaced (anything else: the one outcome that must never happen). The same runs
are repeated with the exact-only algorithm the library used before (kept below as
`exact_only_reanchor`), to show what approximate matching gains. Takes well under a minute.
"""

from __future__ import annotations

import argparse
import random
import statistics
import tempfile
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from time import perf_counter

from annotations import anchoring
from annotations.anchoring import TextMap, reanchor, reanchor_all
from annotations.models import Anchor, Block, BlockKind, Document
from annotations.store import AnnotationStore

SEED = 20260131
ARTICLES = 20
BOOK_BYTES = 3_500_000
BOOK_ANNOTATIONS = 300

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

EDIT_KINDS = (
    "untouched (text shifted)",
    "context edited",
    "typo fixed in quote",
    "word changed in quote",
    "paragraph moved",
    "paragraph deleted",
    "paragraph duplicated",
)
OUTCOMES = ("exact", "close", "copy", "orphaned", "misplaced")
"""How an annotation came out; `orphaned` is the right outcome for a deleted paragraph."""


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
    kind: str = EDIT_KINDS[0]
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
        for truth in [*self.truths, *(copy for t in self.truths for copy in t.copies)]:
            edge_pid, offset = truth.start
            if edge_pid == pid and offset >= end:
                truth.start = (pid, offset + delta)
            edge_pid, offset = truth.end
            if edge_pid == pid and offset >= end and offset > start:
                truth.end = (pid, offset + delta)

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
        start, end = rng.choice(sentence_bounds(text))
        truth = Truth((pid, start), (pid, end))
    else:
        last = min(len(article.paragraphs) - 1, index + rng.randint(1, 2))
        if last == index:
            return None
        end_pid, end_text = article.paragraphs[last]
        start = rng.choice(sentence_bounds(text))[0]
        end = rng.choice(sentence_bounds(end_text))[1]
        truth = Truth((pid, start), (end_pid, end))
    a, b = (index, truth.start[1]), (article.index(truth.end[0]), truth.end[1])
    for other in article.truths:
        c, d = (
            (article.index(other.start[0]), other.start[1]),
            (article.index(other.end[0]), other.end[1]),
        )
        if a < d and c < b:
            return None
    return truth


def make_article(rng: random.Random, prose: Prose, size: int, quotes: int) -> Article:
    """An article of about `size` characters with `quotes` non-overlapping quotes."""
    texts, length = [], 0
    while length < size:
        texts.append(prose.paragraph())
        length += len(texts[-1]) + 2
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


def edit_context(rng: random.Random, prose: Prose, article: Article, truth: Truth) -> bool:
    """Insert or delete words just before or after a quote, outside every quote."""
    before = rng.random() < 0.5
    pid, offset = truth.start if before else truth.end
    text = article.text_of(pid)
    spans = article.spans_in(pid)
    lo, hi = (max(0, offset - 40), offset) if before else (offset, min(len(text), offset + 40))
    if rng.random() < 0.5:
        spaces = [at for at in range(lo, hi + 1) if at < len(text) and text[at] == " "]
        spaces = [at for at in spaces if free(spans, at, at)]
        if not spaces:
            return False
        at = rng.choice(spaces)
        article.replace(pid, at, at, " " + prose.phrase(rng.randint(1, 4)))
        return True
    words = [(a - 1, b) for a, b in word_bounds(text, lo, hi) if a > 0 and text[a - 1] == " "]
    words = [(a, b) for a, b in words if free(spans, a, b)]
    if not words:
        return False
    article.replace(pid, *rng.choice(words), "")
    return True


def edit_inside(
    rng: random.Random, prose: Prose, article: Article, truth: Truth, typo: bool
) -> bool:
    """Fix a typo in, or change, one word inside a quote."""
    pid = truth.start[0]
    text = article.text_of(pid)
    end = truth.end[1] if truth.end[0] == pid else len(text)
    words = word_bounds(text, truth.start[1], end)
    if typo:
        words = [(a, b) for a, b in words if b - a >= 4]
    if not words:
        return False
    a, b = rng.choice(words)
    word = text[a:b]
    if typo:
        at = rng.randrange(1, len(word) - 1)
        if rng.random() < 0.5:
            changed = word[:at] + word[at + 1] + word[at] + word[at + 2 :]
        else:
            changed = word[:at] + rng.choice("aeiouns") + word[at + 1 :]
    else:
        changed = prose.phrase(1)
    if changed == word:
        return False
    article.replace(pid, a, b, changed)
    return True


def edit_paragraphs(rng: random.Random, article: Article, truth: Truth, kind: str) -> bool:
    """Move, delete or duplicate the paragraphs a quote is in."""
    first, last = article.block_range(truth)
    if kind != "paragraph duplicated" and not article.closed(first, last):
        return False
    if kind == "paragraph deleted":
        ids = {pid for pid, _ in article.delete(first, last)}
        for other in article.truths:
            if other.start[0] in ids:
                other.gone, other.kind = True, kind
        return True
    if kind == "paragraph duplicated":
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


def edit_article(rng: random.Random, prose: Prose, article: Article) -> None:
    """Give about two thirds of the quotes one targeted edit each, plus edits elsewhere."""
    targets = list(article.truths)
    rng.shuffle(targets)
    for _ in range(max(3, len(article.paragraphs) // 10)):
        edit_elsewhere(rng, prose, article)
    for truth in targets:
        if truth.gone or rng.random() < 0.35:
            continue
        kind = rng.choice(EDIT_KINDS[1:])
        if kind == "context edited":
            done = edit_context(rng, prose, article, truth)
        elif kind in ("typo fixed in quote", "word changed in quote"):
            done = edit_inside(rng, prose, article, truth, typo=kind.startswith("typo"))
        else:
            done = edit_paragraphs(rng, article, truth, kind)
        if done and not truth.gone:
            truth.kind = kind
        if rng.random() < 0.3:
            edit_elsewhere(rng, prose, article)


# Running and classifying ------------------------------------------------------------------------


@dataclass
class Case:
    """One generated article: its text before and after editing, and its quotes."""

    title: str
    before: list[str]
    after: Article
    quotes: list[tuple[tuple[int, int], tuple[int, int]]]


def make_cases(seed: int) -> list[Case]:
    rng = random.Random(seed)
    english, dutch = Prose(rng, ENGLISH), Prose(rng, DUTCH)
    cases = []
    sizes = [rng.randint(5_000, 60_000) for _ in range(ARTICLES)] + [BOOK_BYTES]
    for number, size in enumerate(sizes):
        prose = dutch if number % 3 == 2 else english
        quotes = BOOK_ANNOTATIONS if size == BOOK_BYTES else max(6, size // 1_500)
        article = make_article(rng, prose, size, quotes)
        before = article.texts()
        positions = []
        for truth in article.truths:
            positions.append(
                (
                    (article.index(truth.start[0]), truth.start[1]),
                    (article.index(truth.end[0]), truth.end[1]),
                )
            )
        edit_article(rng, prose, article)
        title = "book" if size == BOOK_BYTES else f"article {number + 1}"
        cases.append(Case(title, before, article, positions))
    return cases


def document(case: Case, texts: list[str]) -> Document:
    blocks = tuple(Block(BlockKind.PARAGRAPH, text) for text in texts)
    return Document(case.title, blocks, source=f"/generated/{case.title}.txt")


def classify(case: Case, truth: Truth, anchor: Anchor, orphaned: bool) -> str:
    if orphaned:
        return "orphaned"
    new = case.after.text_map()
    placed = (
        new.to_global(anchor.start_block, anchor.start_offset),
        new.to_global(anchor.end_block, anchor.end_offset),
    )
    if not truth.gone:
        right = case.after.global_span(truth)
        if placed == right:
            return "exact"
        if overlap(placed, right) >= 0.8:
            return "close"
    for copy in truth.copies:
        alive = case.after.has(copy.start[0]) and case.after.has(copy.end[0])
        if alive and overlap(placed, case.after.global_span(copy)) >= 0.8:
            return "copy"
    return "misplaced"


def overlap(a: tuple[int, int], b: tuple[int, int]) -> float:
    """Shared length over the length of the union of two ranges."""
    shared = max(0, min(a[1], b[1]) - max(a[0], b[0]))
    union = max(a[1], b[1]) - min(a[0], b[0])
    return shared / union if union else 1.0


@dataclass
class Run:
    outcomes: dict[str, Counter[str]] = field(default_factory=lambda: defaultdict(Counter))
    article_ms: list[float] = field(default_factory=list)
    book_ms: float = 0.0


def run(cases: list[Case], folder: Path, name: str, algorithm: Callable[..., Anchor | None]) -> Run:
    """Import, annotate, re-import every case with one re-anchoring algorithm, and classify."""
    result = Run()
    original = anchoring.reanchor
    anchoring.reanchor = algorithm
    try:
        store = AnnotationStore(folder / f"{name}.db")
        for case in cases:
            article_id = store.import_document(document(case, case.before)).article.id
            ids = [store.add_highlight(article_id, start, end).id for start, end in case.quotes]
            started = perf_counter()
            store.import_document(document(case, case.after.texts()))
            elapsed = (perf_counter() - started) * 1000
            if case.title == "book":
                result.book_ms = elapsed
            else:
                result.article_ms.append(elapsed)
            for annotation_id, truth in zip(ids, case.after.truths, strict=True):
                annotation = store.get_annotation(annotation_id)
                outcome = classify(case, truth, annotation.anchor, annotation.orphaned)
                result.outcomes[truth.kind][outcome] += 1
        store.db.close()
    finally:
        anchoring.reanchor = original
    return result


def anchoring_only_ms(case: Case, algorithm: Callable[..., Anchor | None]) -> float:
    """Milliseconds to re-anchor a case's quotes as the store does, without the database."""
    old, new = TextMap(case.before), TextMap(case.after.texts())
    anchors = [old.anchor(*start, *end) for start, end in case.quotes]
    original = anchoring.reanchor
    anchoring.reanchor = algorithm
    try:
        started = perf_counter()
        reanchor_all(anchors, old, new)
        return (perf_counter() - started) * 1000
    finally:
        anchoring.reanchor = original


def table(fuzzy: Run, exact: Run) -> str:
    """Outcome shares per edit kind, for the current algorithm and the exact-only baseline."""
    head = (
        f"{'edit':<26}{'n':>5}"
        + "".join(f"{o:>10}" for o in OUTCOMES)
        + f"{'placed (exact-only)':>22}"
    )
    lines = [head, "-" * len(head)]
    totals, baseline_totals = Counter(), Counter()
    for kind in EDIT_KINDS:
        counts, base = fuzzy.outcomes[kind], exact.outcomes[kind]
        totals.update(counts)
        baseline_totals.update(base)
        lines.append(row(kind, counts, base))
    lines.append("-" * len(head))
    lines.append(row("all", totals, baseline_totals))
    lines.append(row("all, exact-only baseline", baseline_totals, baseline_totals))
    return "\n".join(lines)


def row(label: str, counts: Counter[str], base: Counter[str]) -> str:
    total = sum(counts.values()) or 1
    cells = "".join(
        f"{counts[o]:>10}" if o == "misplaced" else f"{100 * counts[o] / total:>9.0f}%"
        for o in OUTCOMES
    )
    placed = sum(base[o] for o in ("exact", "close", "copy"))
    share = 100 * placed / (sum(base.values()) or 1)
    return f"{label:<26}{sum(counts.values()):>5}{cells}{share:>21.0f}%"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=SEED, help="random seed (default %(default)s)")
    seed = parser.parse_args().seed
    started = perf_counter()
    cases = make_cases(seed)
    sizes = [sum(len(text) + 2 for text in case.before) for case in cases[:-1]]
    print(
        f"seed {seed}: {len(cases) - 1} articles of {min(sizes) // 1000}-{max(sizes) // 1000} KB "
        f"and a {sum(len(t) + 2 for t in cases[-1].before) / 1e6:.1f} MB book, "
        f"{sum(len(case.quotes) for case in cases)} annotations "
        f"(generated and edited in {perf_counter() - started:.1f} s)\n"
    )
    with tempfile.TemporaryDirectory() as folder:
        fuzzy = run(cases, Path(folder), "fuzzy", reanchor)
        exact = run(cases, Path(folder), "exact", exact_only_reanchor)
    print(table(fuzzy, exact))
    print(
        "\n`misplaced` is a count; it must be 0. A deleted paragraph's quotes should be orphaned."
    )
    print("\nRe-import (store.import_document of the edited version), ms:")
    for name, result in (("current", fuzzy), ("exact-only", exact)):
        print(
            f"  {name:<11} articles: median {statistics.median(result.article_ms):6.1f}, "
            f"max {max(result.article_ms):6.1f};  book: {result.book_ms:7.0f}"
        )
    book = cases[-1]
    print(
        f"Re-anchoring alone, book ({len(book.quotes)} annotations), ms: "
        f"current {anchoring_only_ms(book, reanchor):.0f}, "
        f"exact-only {anchoring_only_ms(book, exact_only_reanchor):.0f}"
    )
    print(f"\nTotal {perf_counter() - started:.1f} s")


if __name__ == "__main__":
    main()
