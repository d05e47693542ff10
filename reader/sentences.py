"""Splitting text into sentences, for titles and for sentence-by-sentence reading."""

from __future__ import annotations

import re

ABBREVIATIONS = frozenset((
    "mr", "mrs", "ms", "dr", "prof", "st", "jr", "sr", "vs", "etc", "e.g", "i.e", "no", "nr",
    "fig", "vol", "ch", "pp", "ed", "approx", "dept", "est", "dhr", "mevr", "mw", "drs", "ir",
    "ing", "bijv", "o.a", "m.a.w", "z.b", "u.a", "bzw", "ca", "mme", "mlle", "resp", "vgl",
    "evt", "jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep", "sept", "oct", "okt", "nov",
    "dec",
))  # fmt: skip
"""Words that end in a period without ending a sentence (lower case, no final period)."""

_END = re.compile(r"[.!?…]+(?:[\"'”’»)\]]|[ \u00a0\u202f][»”])*(?=\s|$)")
_OPENERS = "\"'“‘«([¿¡"
_LAST_WORD = re.compile(r"(\S+)$")


def _is_abbreviation(text: str, dot: int) -> bool:
    """Whether the period at `dot` belongs to an abbreviation, an initial or an ordinal."""
    match = _LAST_WORD.search(text, max(0, dot - 24), dot)
    stem = match.group(1).lstrip(_OPENERS).lower() if match else ""
    return (
        stem in ABBREVIATIONS
        or (len(stem) == 1 and stem.isalpha())
        or (stem.isdigit() and len(stem) <= 2)
    )


def sentence_spans(text: str) -> list[tuple[int, int]]:
    """The sentences of a text as (start, end) character offsets, in order.

    A sentence ends at `.`, `!`, `?` or `…` (with any closing quotes or brackets)
    followed by white space and a word that does not start in lower case. Periods
    of abbreviations, initials (`J. R.`), small ordinals (`3. Mai`) and decimals
    (`3.5`, `3,5`) do not end a sentence. White space between sentences belongs to
    none of them. A text without an ending is one sentence.
    """
    length = len(text.rstrip())
    start = len(text) - len(text.lstrip())
    spans: list[tuple[int, int]] = []
    for match in _END.finditer(text):
        end = match.end()
        if end <= start:
            continue
        if match.group().startswith(".") and _is_abbreviation(text, match.start()):
            continue
        following = end
        while following < length and text[following].isspace():
            following += 1
        probe = following
        while probe < length and text[probe] in _OPENERS:
            probe += 1
        if probe < length and text[probe].islower():
            continue
        spans.append((start, end))
        start = following
    if start < length:
        spans.append((start, length))
    return spans or [(0, len(text))]


def first_sentence(text: str) -> str:
    """The first sentence of a text."""
    start, end = sentence_spans(text)[0]
    return text[start:end].strip()
