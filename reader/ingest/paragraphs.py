"""A plain text's paragraphs, and which are headings: chapter and part lines, a contents list."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, replace
from itertools import pairwise

from annotations.models import Block, BlockKind

Paragraph = tuple[list[str], str]
"""A paragraph's lines as they are in the text, and its text on one line."""

_BLANK_LINE = re.compile(r"\n[ \t\f\v]*\n")


def join_lines(lines: list[str]) -> str:
    """Join a hard-wrapped paragraph's lines into one line."""
    out = ""
    for raw in lines:
        line = " ".join(raw.split())
        if not line:
            continue
        if out.endswith("-") and len(out) > 1 and out[-2].isalpha() and line[:1].islower():
            out += line
        else:
            out = f"{out} {line}" if out else line
    return out


def _paragraph_lines(text: str) -> list[list[str]]:
    """Split text into paragraphs, each a list of its lines."""
    chunks = [chunk for chunk in _BLANK_LINE.split(text) if chunk.strip()]
    if len(chunks) == 1:
        lines = [line for line in chunks[0].split("\n") if line.strip()]
        # No blank lines at all: one paragraph per line when lines are long
        # (one line per paragraph), or per indented line in a hard-wrapped book.
        if len(lines) > 1 and sum(len(line) > 100 for line in lines) > len(lines) / 2:
            return [[line] for line in lines]
        if len(lines) > 2 and sum(line[:1] in " \t" for line in lines[1:]) >= 2:
            paragraphs: list[list[str]] = []
            for line in lines:
                if not paragraphs or line[:1] in " \t":
                    paragraphs.append([line])
                else:
                    paragraphs[-1].append(line)
            return paragraphs
    # Whitespace-only lines (e.g. a blank line left by a removed date token) are
    # not part of a paragraph, so a title line after them still stands alone.
    return [[line for line in chunk.split("\n") if line.strip()] for chunk in chunks]


def split_paragraphs(text: str) -> list[Paragraph]:
    """A text's paragraphs: separated by blank lines, their lines joined (see `join_lines`)."""
    paragraphs = [(lines, join_lines(lines)) for lines in _paragraph_lines(text)]
    return [(lines, joined) for lines, joined in paragraphs if joined]


def text_blocks(paragraphs: list[Paragraph]) -> list[Block]:
    """The blocks of a text's paragraphs.

    Chapter and part lines (`CHAPTER I`, `BOOK ONE: 1805`, `PART II`, `IV.`) become
    headings: parts at level 1 and chapters at level 2 (parts of two kinds nest,
    `VOLUME I` over `BOOK FIRST`); a chapter line and the short title under it become
    one heading. A table of contents at the start (a `CONTENTS` line and the entries
    after it, up to where the text repeats one of its first entries) is dropped: the
    headings serve as the contents, and its entries tell which lines are headings.
    Short standalone lines without final punctuation are headings too (level 2), in
    a text that does not name at least three chapters.

    Args:
        paragraphs: The text's paragraphs, from `split_paragraphs`.
    """
    contents = _find_contents(paragraphs)
    if contents is None:
        return _blocks(paragraphs, {})
    kept = paragraphs[: contents.start] + paragraphs[contents.end :]
    return _blocks(kept, contents.entries)


_NUMBER_WORDS = (
    "one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|thirteen|fourteen|"
    "fifteen|sixteen|seventeen|eighteen|nineteen|twenty|thirty|forty|fifty|first|second|"
    "third|fourth|fifth|sixth|seventh|eighth|ninth|tenth|eleventh|twelfth|thirteenth|"
    "fourteenth|fifteenth|sixteenth|seventeenth|eighteenth|nineteenth|twentieth|last"
)
_NUMBER = rf"(?:[ivxlcdm]+|\d{{1,4}}|(?:the\s+)?(?:{_NUMBER_WORDS})(?:[\s-](?:{_NUMBER_WORDS}))?)"
# After the number: nothing, punctuation, or a title after a separator or a capital.
_AFTER_NUMBER = r"(?P<rest>[ \t]*[.:]?[ \t]*|[ \t]*[.:,—–-][ \t]*\S.*|[ \t]+(?-i:[A-Z\"“‘'(]).*)"
_PART_WORDS = "book|part|volume|vol\\.|boek|deel|buch|teil|band|livre|partie|tome|libro|parte"
_CHAPTER_WORDS = "chapter|chap\\.|hoofdstuk|kapitel|chapitre|cap[ií]tulo|capitolo"
_MATTER_WORDS = (
    "prologue|epilogue|preface|introduction|foreword|afterword|conclusion|appendix|"
    "proloog|epiloog|voorwoord|inleiding|prolog|epilog|vorwort|einleitung|nachwort|"
    "prologo|prólogo|epílogo|epilogo|préface|épilogue|avant-propos"
)
_PART = re.compile(rf"(?:{_PART_WORDS})\s+{_NUMBER}{_AFTER_NUMBER}\Z", re.IGNORECASE)
_CHAPTER = re.compile(rf"(?:{_CHAPTER_WORDS})\s+{_NUMBER}{_AFTER_NUMBER}\Z", re.IGNORECASE)
_MATTER = re.compile(
    rf"(?:(?:first|second|third|fourth|final)\s+)?(?:{_MATTER_WORDS})"
    rf"(?:\s+(?:[A-Z]|{_NUMBER}))?{_AFTER_NUMBER}\Z",
    re.IGNORECASE,
)
_FIRST_THREE = frozenset(
    word[:3]
    for word in "|".join((_PART_WORDS, _CHAPTER_WORDS, _MATTER_WORDS, "fir|sec|thi|fou|fin"))
    .replace("cap[ií]tulo", "cap|cap")
    .split("|")
)
"""How the words that open a chapter, part or matter line begin."""
_NUMERAL_LETTERS = frozenset("MDCLXVI")
_NUMERAL_START = re.compile(r"[MDCLXVI]+(?:\.(?:\s|\Z)|\Z)")
_ROMAN = "(?=[MDCLXVI])M{0,4}(?:CM|CD|D?C{0,3})(?:XC|XL|L?X{0,3})(?:IX|IV|V?I{0,3})"
_NUMERAL = re.compile(rf"{_ROMAN}\.?\Z")
_NUMERAL_TITLE = re.compile(rf"{_ROMAN}\.[ \t]+(?P<rest>\S.*)\Z")
_FINAL_PUNCTUATION = re.compile(r"[.,;:!?…\"'”’»)\]\-–—]$")
_CONTENTS_TITLES = frozenset(
    (
        "contents",
        "table of contents",
        "inhoud",
        "inhalt",
        "inhaltsverzeichnis",
        "table des matières",
        "sommaire",
        "índice",
        "indice",
        "contenido",
    )
)
_PAGE_WORDS = frozenset(("page", "pages", "pag", "p", "pg", "bladz", "blz", "seite", "s"))
_PAGE_NUMBER = re.compile(r"(?:[ \t]{3,}\d+|[ \t]*[.·…]{2,}[ \t]*[\divxlc]+)\.?\Z", re.IGNORECASE)
_SPEECH = frozenset("“‘„«-–—")
"""What a line of dialogue starts with: never a heading named in a contents list."""
_NON_WORD = re.compile(r"[\W_]+")
_MAX_HEADING = 70
"""Headings are at most this many characters."""
_NAMED_CHAPTERS = 3
"""A text with this many chapter lines takes no headings by their shape alone."""


@dataclass(frozen=True)
class _Heading:
    """A heading line: its text, level, and the rule that found it."""

    text: str
    level: int
    rule: str
    titled: bool = True
    """Whether it carries a title of its own (`CHAPTER I. The Beginning`, `BOOK ONE: 1805`)."""
    kind: str = ""
    """A part line's word (`book`, `part`, `volume`), lower case."""


def _chapter_line(line: str) -> _Heading | None:
    """A chapter, part or book line (`CHAPTER XII.`, `BOOK ONE: 1805`, `IV.`), if it is one."""
    if len(line) > _MAX_HEADING + 40:
        return None
    if line[:1] in " \t":
        line = line.strip()
    # The common case, found quickly: a line that starts with no such word or numeral.
    if line[:3].lower() not in _FIRST_THREE and (
        line[:1] not in _NUMERAL_LETTERS or not _NUMERAL_START.match(line)
    ):
        return None
    line = line.strip()
    if _PAGE_NUMBER.search(line):
        return None  # a contents entry: `CHAPTER V ....... 45`
    line = " ".join(line.split())
    if len(line) > _MAX_HEADING or not line[:1].isupper():
        return None
    for pattern, level, rule in (
        (_PART, 1, "part"),
        (_CHAPTER, 2, "chapter"),
        (_MATTER, 1, "matter"),
    ):
        match = pattern.match(line)
        if match:
            rest = match.group("rest").strip(" .:")
            if rest and (len(rest.split()) > 10 or rest[-1] in ",;"):
                return None
            kind = line.split(None, 1)[0].lower().rstrip(".") if rule == "part" else ""
            return _Heading(line, level, rule, titled=bool(rest), kind=kind)
    if _NUMERAL.match(line):
        return _Heading(line, 2, "numeral", titled=False)
    match = _NUMERAL_TITLE.match(line)
    if match and not _FINAL_PUNCTUATION.search(match.group("rest")):
        return _Heading(line, 2, "chapter")
    return None


def _plain(text: str) -> str:
    """Text without emphasis marks around it (`_Andante._` -> `Andante.`)."""
    return text.strip(" _*")


def _is_heading_line(lines: list[str], text: str) -> bool:
    """Whether a paragraph is a heading by its shape: one short line, no final punctuation."""
    return (
        len(lines) == 1
        and len(text) <= _MAX_HEADING
        and len(text.split()) <= 9
        and any(ch.isalpha() for ch in text)
        and not text[:1].islower()
        and not _FINAL_PUNCTUATION.search(_plain(text))
        # Far indented short lines are signatures and verse, not headings.
        and len(lines[0]) - len(lines[0].lstrip()) < 8
    )


def _is_title_line(lines: list[str], text: str) -> bool:
    """Whether a line can be the title under a chapter line (`CHAPTER I` / `The Beginning`)."""
    if len(lines) != 1 or _chapter_line(text) or not text[:1].isupper():
        return False
    if text.isupper() and text.endswith(".") and len(text) <= _MAX_HEADING:
        return True  # `THE BEGINNING.`
    return _is_heading_line(lines, text)


def _joined_heading(chapter: str, title: str) -> str:
    """`CHAPTER I` and `The Beginning` as one heading: `CHAPTER I. The Beginning`."""
    separator = " " if chapter[-1] in ".:—–-" else ". "
    return f"{chapter}{separator}{title}"


def words(text: str) -> str:
    """A text's words only, in lower case, to compare headings with contents entries."""
    return _NON_WORD.sub(" ", text).strip().casefold()


def _entry_text(line: str) -> str:
    """A contents entry's words, without its page number."""
    return words(_PAGE_NUMBER.sub("", line.rstrip()))


def _is_entry_paragraph(lines: list[str]) -> bool:
    return all(len(line.strip()) <= 60 or _PAGE_NUMBER.search(line) for line in lines)


@dataclass(frozen=True)
class _Contents:
    """A table of contents at the start of a text: where it is, and what it names."""

    start: int
    end: int
    entries: dict[str, int]
    """Each entry's text (as `_entry_text` gives it) and the heading level it stands for."""


def _find_contents(paragraphs: list[Paragraph]) -> _Contents | None:
    """A table of contents among the first paragraphs, if the text has one.

    It is a `CONTENTS` line and the short lines after it, up to the heading that
    repeats one of its first entries in the text itself; without that repetition it
    is not taken for one.
    """
    title = next(
        (
            index
            for index, (lines, joined) in enumerate(paragraphs[:200])
            if len(lines) == 1 and _entry_text(joined) in _CONTENTS_TITLES
        ),
        None,
    )
    if title is None:
        return None
    run = title + 1
    while run < len(paragraphs) and run - title < 3000 and _is_entry_paragraph(paragraphs[run][0]):
        run += 1
    # The entries, in order, with the paragraph each is in.
    entries: list[tuple[str, int]] = []
    for index in range(title + 1, run):
        for line in paragraphs[index][0]:
            text = _entry_text(line)
            if text and text not in _PAGE_WORDS and any(ch.isalpha() for ch in text):
                entries.append((text, index))
    # Each short paragraph's words, and with the next one's (`I.` over `THE BEGINNING`).
    texts = [words(joined) if len(lines) <= 2 else "" for lines, joined in paragraphs[:run]]
    texts.append("")
    for text, index in entries[:8]:
        repeat = next(
            (
                later
                for later in range(index + 1, run)
                if text in (texts[later], f"{texts[later]} {texts[later + 1]}")
            ),
            None,
        )
        if repeat is not None:
            return _Contents(title, repeat, _entry_levels(paragraphs[title + 1 : repeat]))
    return None


def _entry_levels(paragraphs: list[Paragraph]) -> dict[str, int]:
    """The entries of a table of contents and their levels.

    Where entries have page numbers, a line without one that stands alone names a
    group of them (level 1); the others are level 2.
    """
    numbered = any(_PAGE_NUMBER.search(line) for lines, _ in paragraphs for line in lines)
    levels: dict[str, int] = {}
    for lines, _ in paragraphs:
        group = numbered and len(lines) == 1 and not _PAGE_NUMBER.search(lines[0])
        texts = [_entry_text(line) for line in lines]
        # An entry may wrap onto a second line.
        texts += [f"{first} {second}" for first, second in pairwise(texts)]
        for text in texts:
            if text and text not in _PAGE_WORDS:
                levels.setdefault(text, 1 if group else 2)
    return levels


def _blocks(paragraphs: list[Paragraph], entries: dict[str, int]) -> list[Block]:
    """The blocks of a text's paragraphs, with its chapter lines and headings as headings."""
    blocks: list[Block] = []
    found: list[tuple[int, _Heading]] = []

    def add(heading: _Heading) -> None:
        found.append((len(blocks), heading))
        blocks.append(Block(BlockKind.HEADING, heading.text, heading.level))

    index = 0
    while index < len(paragraphs):
        lines, joined = paragraphs[index]
        index += 1
        last = index == len(paragraphs)
        # A chapter line over more lines is a bare one (`CHAPTER I`): short.
        heading = _chapter_line(lines[0]) if len(lines) == 1 or len(lines[0]) <= 60 else None
        if heading and len(lines) > 1:
            rest = lines[1:]
            rest_text = join_lines(rest)
            if heading.titled:
                heading = None  # `Book I. They came...`: a sentence, not a heading
            elif _is_title_line(rest, rest_text):
                add(replace(heading, text=_joined_heading(heading.text, rest_text)))
                continue
            else:
                add(heading)
                blocks.append(Block(BlockKind.PARAGRAPH, rest_text))
                continue
        if heading and not last:
            if not heading.titled and index + 1 < len(paragraphs):
                next_lines, next_text = paragraphs[index]
                if _is_title_line(next_lines, next_text):
                    heading = replace(heading, text=_joined_heading(heading.text, next_text))
                    index += 1
            add(heading)
            continue
        if entries and not last and len(lines) <= 2 and len(joined) <= 100:
            level = entries.get(words(joined)) if joined[:1] not in _SPEECH else None
            if level:
                add(_Heading(joined, level, "entry"))
                continue
        if not last and _is_heading_line(lines, joined):
            add(_Heading(joined, 2, "shape"))
            continue
        blocks.append(Block(BlockKind.PARAGRAPH, joined))
    rules = Counter(heading.rule for _, heading in found)
    # Parts of two kinds (`VOLUME I` ... `BOOK FIRST`) nest, the first seen outermost.
    kinds = {heading.kind: 0 for _, heading in found if heading.kind}
    kinds = {kind: level for level, kind in enumerate(list(kinds)[:2], start=1)}
    chapter = len(kinds) + 1 if kinds else 2
    levels = {
        "matter": 1 if kinds else 2,
        "chapter": chapter,
        "numeral": chapter + 1 if rules["chapter"] or rules["entry"] else chapter,
    }
    # A text that names its chapters has them for headings; its other short lines
    # are signatures, dates and verse.
    by_shape = rules.total() - rules["shape"] - rules["matter"] < _NAMED_CHAPTERS
    for at, heading in found:
        if heading.rule == "shape" and not by_shape:
            blocks[at] = Block(BlockKind.PARAGRAPH, heading.text)
            continue
        level = kinds.get(heading.kind, len(kinds)) if heading.kind else levels.get(heading.rule)
        if level and level != heading.level:
            blocks[at] = Block(BlockKind.HEADING, heading.text, level)
    return blocks
