"""The Markdown of an article's annotations: escaping, rendering and its front matter."""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from json.encoder import encode_basestring
from typing import TYPE_CHECKING

from annotations.models import (
    Annotation,
    Article,
    Block,
    BlockKind,
    ChapterIndex,
    ContentsEntry,
    format_timestamp,
)
from annotations.text import CONTROLS, normalize_newlines, one_line

if TYPE_CHECKING:
    from markdown_it import MarkdownIt
    from markdown_it.token import Token

_INLINE_SPECIAL = re.compile(r"([\\`*_\[\]<>#|~$])")
_ENTITY = re.compile(r"&(?=#?[0-9A-Za-z]+;)")
_LINE_START = re.compile(r"^([-+=:])|^(\d+)([.)])", re.MULTILINE)
_UNSAFE_CHARACTER = re.compile(r"[\x00-\x1f\x7f-\x9f\\`*_\[\]<>#|~$&=%]")
"""Characters `escape_markdown` may change: controls, line breaks and markup characters."""
_NUMBERED = re.compile(r"\d+[.)]")
_BLOCK_OPENERS = ("-", "+", ":")
_MARKUP = re.compile(r"[\\`*_\[\]<>#|~$&=%]|^[-+:]|^\d+[.)]", re.MULTILINE)
"""Anything the escaping steps of `escape_markdown` would escape."""
_TAG_CHARS = re.compile(r"[^\w/-]+")
_NOT_YAML = re.compile("[\x7f-\x9f\u2028\u2029\ufffe\uffff]")
"""Characters YAML forbids raw, or reads as line breaks, in a double-quoted scalar."""
_NOT_BLOCK_ID = re.compile(r"[^A-Za-z0-9-]+")
_FRONT_ID = re.compile(r"^reader_id: (.*)$", re.MULTILINE)


def escape_markdown(text: str) -> str:
    """Escape text so a Markdown parser reads it back as the same plain text.

    Every character that could start markup (emphasis, code, links, HTML, headings,
    quotes, lists, thematic breaks, tables, Obsidian tags and highlights) is
    backslash-escaped; line breaks are kept, each line stripped.
    """
    if _UNSAFE_CHARACTER.search(text) is None and not _opens_or_pads(text):
        return text  # most prose: one line, nothing to escape, nothing to strip
    return _escape_markdown_fully(text)


def _opens_or_pads(line: str) -> bool:
    """Whether a line has white space at either end, or starts what could open a block."""
    return bool(line) and (
        line[0].isspace()
        or line[-1].isspace()
        or line.startswith(_BLOCK_OPENERS)
        or (line[0].isdigit() and _NUMBERED.match(line) is not None)
    )


def _escape_markdown_fully(text: str) -> str:
    """`escape_markdown` without its quick test: every step, whatever the text."""
    lines = CONTROLS.sub("", normalize_newlines(text)).split("\n")
    text = "\n".join(line.strip() for line in lines)
    if _MARKUP.search(text) is None:
        return text  # most prose: nothing to escape
    # Each step works within lines, so the whole text goes through it at once.
    text = _INLINE_SPECIAL.sub(r"\\\1", text)
    text = _ENTITY.sub(r"\\&", text)
    text = text.replace("==", "=\\=").replace("%%", "%\\%")
    return _LINE_START.sub(
        lambda m: f"\\{m.group(1)}" if m.group(1) else f"{m.group(2)}\\{m.group(3)}", text
    )


@functools.lru_cache(maxsize=4096)
def tag_hashtag(name: str) -> str:
    """A tag as an Obsidian/Logseq `#tag` (spaces and symbols become dashes)."""
    cleaned = _TAG_CHARS.sub("-", name).strip("-") or "tag"
    if cleaned.isdigit():
        cleaned = f"tag-{cleaned}"
    return f"#{cleaned}"


def _yaml(value: object) -> str:
    """A YAML scalar or flow list; JSON strings are valid YAML double-quoted scalars.

    Characters YAML does not allow raw (C1 controls, non-characters) or reads as line
    breaks are written as `\\uXXXX` escapes, which YAML and JSON both understand.
    """
    if isinstance(value, str):
        text = encode_basestring(value)
    elif isinstance(value, list):
        text = "[" + ", ".join(map(encode_basestring, value)) + "]"
    else:
        text = json.dumps(value, ensure_ascii=False)
    return _NOT_YAML.sub(lambda match: f"\\u{ord(match.group()):04x}", text)


def _quote(lines: Iterable[str]) -> str:
    return "\n".join(f"> {line}" if line else ">" for line in lines)


def _fence(text: str) -> str:
    longest = max((len(run) for run in re.findall(r"`+|~+", text)), default=0)
    return "`" * max(3, longest + 1)


_VERBATIM = (BlockKind.CODE, BlockKind.TABLE)
"""Block kinds quoted as they are, in a fence."""
Blocks = Sequence[Block] | Mapping[int, Block]
"""An article's blocks by index: all of them, or at least those its annotations cover."""


def passage_parts(annotation: Annotation, blocks: Blocks) -> list[tuple[BlockKind, str]]:
    """The passage of an annotation, block by block, with each block's kind.

    An orphaned annotation, or one whose blocks are missing, is its quote as one paragraph.
    """
    anchor = annotation.anchor
    if annotation.orphaned:
        return [(BlockKind.PARAGRAPH, anchor.exact)]
    parts = []
    for index in range(anchor.start_block, anchor.end_block + 1):
        try:
            block = blocks[index]
        except (IndexError, KeyError):
            return [(BlockKind.PARAGRAPH, anchor.exact)]
        span = anchor.span_in(index, len(block.text))
        if span is not None and span[0] < span[1]:
            parts.append((block.kind, block.text[span[0] : span[1]]))
    return parts or [(BlockKind.PARAGRAPH, anchor.exact)]


def _passage_markdown(parts: Sequence[tuple[BlockKind, str]]) -> str:
    if len(parts) == 1 and parts[0][0] not in _VERBATIM:
        text = escape_markdown(parts[0][1])
        if text and "\n" not in text:
            return f"> {text}"  # most passages: part of one paragraph
    quoted: list[str] = []
    for kind, text in parts:
        if quoted:
            quoted.append("")
        if kind in _VERBATIM:
            # Control characters would reach a terminal showing the file: never useful code.
            text = CONTROLS.sub("", normalize_newlines(text))
            fence = _fence(text)
            quoted.extend([fence, *text.split("\n"), fence])
        else:
            quoted.extend(escape_markdown(text).split("\n"))
    return _quote(quoted)


def render_article_markdown(
    article: Article,
    blocks: Blocks,
    annotations: Sequence[Annotation],
    exported: datetime | str,
    contents: Sequence[ContentsEntry] = (),
) -> str:
    """One article's annotations as a Markdown document.

    Args:
        article: The article.
        blocks: Its blocks by index (for the kinds of the quoted passages); those the
            annotations cover are enough.
        annotations: Its annotations, in text order.
        exported: The export time, written in the front matter (a `format_timestamp`
            string is taken as it is, which saves formatting it for each article).
        contents: Its table of contents, in reading order (a book's chapters); empty
            when it has none.

    Returns:
        The document: YAML front matter, `# Title`, then each annotation as a block
        quote of its exact passage, its `#tags`, the text it was made on if that has
        changed since (`CHANGED_LINE`, then that text quoted) and its note; in an
        article with `chapters`, under the headings of its chapter (see
        `_chapter_headings`).
    """
    # The same spelling as the inline #tags, which Obsidian and Logseq require.
    tags = sorted(
        {
            tag_hashtag(tag)[1:]
            for tag in (*article.tags, *(t for annotation in annotations for t in annotation.tags))
        },
        key=str.casefold,
    )
    title = " ".join(article.title.split())
    stamp = exported if isinstance(exported, str) else format_timestamp(exported)
    front = [
        "---",
        f"title: {_yaml(title)}",
        f"source: {_yaml(article.source)}",
        f"date: {_yaml(article.date)}",
    ]
    if article.author:
        front.append(f"author: {_yaml(article.author)}")
    front += [
        f"tags: {_yaml(tags)}",
        f"exported: {_yaml(stamp)}",
        f"reader_id: {_yaml(article.id)}",
        "---",
    ]
    out = ["\n".join(front), f"# {escape_markdown(title)}"]
    placed = [annotation for annotation in annotations if not annotation.orphaned]
    orphaned = [annotation for annotation in annotations if annotation.orphaned]
    if not annotations:
        out.append("*No annotations yet.*")
    chapters = ChapterIndex(contents)
    above: tuple[ContentsEntry, ...] = ()
    for annotation in placed:
        if chapters:
            path = chapters.path(annotation.anchor.start_block)
            out.extend(_chapter_headings(above, path))
            above = path
        out.extend(_annotation_markdown(annotation, blocks))
    if orphaned:
        out.append("## Passages no longer found in the text")
        for annotation in orphaned:
            out.extend(_annotation_markdown(annotation, blocks))
    return "\n\n".join(out) + "\n"


def _chapter_headings(above: Sequence[ContentsEntry], path: Sequence[ContentsEntry]) -> list[str]:
    """The headings that open an annotation's chapter, after those of the one before it.

    A chapter is a heading at each of its levels, one below the title's (`## BOOK ONE:
    1805`, then `### CHAPTER I`), so a vault's outline shows the book's; only the levels
    that changed since the annotation before are written. Deeper than `######`, levels
    share that one. Titles are data, escaped like the quotes.
    """
    shared = 0
    while shared < min(len(above), len(path)) and above[shared] == path[shared]:
        shared += 1
    return [
        f"{'#' * min(6, depth + 2)} {escape_markdown(one_line(path[depth].title))}"
        for depth in range(shared, len(path))
    ]


def block_id(annotation: Annotation) -> str:
    """The Obsidian block id of an annotation's quote, without its `^`: letters, digits, dashes.

    It comes from the annotation's id, so it stays the same from one export to the next
    and a note linking to `[[file#^id]]` keeps working.
    """
    found = annotation.id
    if found.isascii() and found.replace("-", "").isalnum() and found.strip("-") == found:
        return found  # a UUID, as every annotation made here has
    return _NOT_BLOCK_ID.sub("-", found).strip("-") or "annotation"


CHANGED_LINE = "*Changed since highlighted; it was:*"
"""The line before the text an annotation was made on, when its passage's text changed."""


def _annotation_markdown(annotation: Annotation, blocks: Blocks) -> list[str]:
    # The block id goes on its own line after the quote, which Obsidian ties to the quote.
    parts = [_passage_markdown(passage_parts(annotation, blocks)), f"^{block_id(annotation)}"]
    # The colour as a readable word, after the tags: `#idea #bridges · colour: green`.
    marks = [tag_hashtag(tag) for tag in annotation.tags]
    marks.append(f"colour: {annotation.color}")
    parts.append(" · ".join([" ".join(marks[:-1]), marks[-1]] if annotation.tags else marks))
    if annotation.changed:
        # Article text too, so quoted and escaped as the passage is.
        original = _passage_markdown([(BlockKind.PARAGRAPH, annotation.original)])
        parts += [CHANGED_LINE, original]
    if annotation.note.strip():
        parts.append(_note_markdown(annotation.note))
    return parts


_NOTE_MARKUP = re.compile(
    r"^[ \t>]*(?:[#=*_~`<+-]|\d+[.)])|<!--|%%|\$\$|\^[A-Za-z0-9-]+[ \t]*$", re.MULTILINE
)
"""What a note needs looked at for: a line that could open a heading, a rule, a fence, HTML
or a list (which may hold a heading), a comment, Obsidian's `%%` comments and `$$` math,
or a line ending in a block id."""
_AFTER_NOTE = "\n\n> next"
"""What follows a note in a document (the next annotation's quote), to see what reaches it."""
_NOTE_ROUNDS = 32
"""The most passes `_contained_note` makes before it escapes the whole note instead."""
_NOTE_BLOCK_ID = re.compile(r"(^|[ \t])\^([A-Za-z0-9-]+[ \t]*)$")
_HTML_COMMENT_OPEN = "<!--"


@functools.cache
def _note_parser() -> MarkdownIt:
    """CommonMark's blocks, with the tables of Obsidian's Markdown; no inline parsing."""
    from markdown_it import MarkdownIt  # only for notes with markup, not for every export

    return MarkdownIt("commonmark").enable("table").disable(["inline", "text_join"])


def _note_markdown(note: str) -> str:
    """A note as its writer's own Markdown, kept within its own blocks.

    The note goes out as written (wikilinks, emphasis, lists, links, code, `#tags`, line
    breaks), but for what would reach beyond it: a fence left open is closed at its end;
    HTML that would run on (an open `<!--`, `<script>`...), an unpaired `%%` or `$$`
    (Obsidian's comments and math) are escaped; headings and rules, which would join
    the document's outline or split its annotations, and Obsidian block ids (`^id`, the
    annotations' own) are escaped too, so they read as the text they are.
    """
    lines = _note_lines(note)
    text = "\n".join(lines)
    if _NOTE_MARKUP.search(text) is None:
        return text  # most notes: prose, links, emphasis and tags, nothing to look at
    return _contained_note(lines)


def _note_lines(note: str) -> list[str]:
    """A note's lines, without control characters nor blank lines at either end."""
    lines = CONTROLS.sub("", normalize_newlines(note)).split("\n")
    while lines and not lines[-1].strip():
        lines.pop()
    while lines and not lines[0].strip():
        del lines[0]
    return lines


def _escaped_at(line: str, column: int) -> str:
    """A line with a backslash before its character at `column`."""
    return f"{line[:column]}\\{line[column:]}"


def _contained_note(lines: list[str]) -> str:
    """`_note_markdown` without its quick test: the note's lines looked at closely.

    Args:
        lines: The note's `_note_lines`, changed in place.
    """
    written = "\n".join(lines)
    for _ in range(_NOTE_ROUNDS):
        tokens = _note_parser().parse("\n".join(lines) + _AFTER_NOTE)
        changed = _contain_note_blocks(lines, tokens)
        if changed is None:
            break  # a construct no escape here knows: the whole note as plain text
        if not changed:
            verbatim = {
                row
                for token in tokens
                if token.type in ("fence", "code_block", "html_block") and token.map
                for row in range(*token.map)
            }
            code = {
                row
                for token in tokens
                if token.type in ("fence", "code_block") and token.map
                for row in range(*token.map)
            }
            _contain_note_inline(lines, verbatim, code)
            return "\n".join(lines)
    return _escaped_note(written)


def _contain_note_blocks(lines: list[str], tokens: Sequence[Token]) -> bool | None:
    """Escape the headings and rules of a note, and what of it would run past its end.

    Args:
        lines: The note's lines, changed in place.
        tokens: The note parsed with `_AFTER_NOTE` after it.

    Returns:
        Whether a line changed (then the note must be parsed again); None if something
        runs past the note that no escape here stops.
    """
    end = len(lines)
    changed = False
    for token in tokens:
        if token.map is None:
            continue
        first, last = token.map
        if first >= end:
            break  # what follows the note: reached by nothing
        if token.level == 0 and last > end + 1:  # a list's lines take in a blank one
            # A block that takes in what follows: a fence left open, HTML running on.
            if token.type == "fence":
                lines.append(token.markup)
            elif token.type == "html_block":
                lines[first] = _escaped_at(lines[first], lines[first].index("<"))
            else:
                return None
            return True
        if token.type == "heading_open":
            if token.markup.startswith("#"):  # `# Title`: no container marker holds a `#`
                row, column = first, lines[first].index("#")
            else:  # a setext underline: after the quote markers of the lines it continues
                row = last - 1
                column = len(lines[row]) - len(lines[row].lstrip(" \t>"))
            lines[row] = _escaped_at(lines[row], column)
            changed = True
        elif token.type == "hr" and token.level == 0:
            row = first
            lines[row] = _escaped_at(lines[row], len(lines[row]) - len(lines[row].lstrip()))
            changed = True
    return changed


def _contain_note_inline(lines: list[str], verbatim: set[int], code: set[int]) -> None:
    """Escape what in a note's text (outside code) would hide or claim what follows it.

    An HTML comment left open, an unpaired `%%` or `$$`, and Obsidian block ids at the end
    of a line.

    Args:
        lines: The note's lines, changed in place.
        verbatim: The rows of code and HTML blocks, where a backslash is not an escape.
        code: The rows of code blocks, where nothing is markup.
    """
    for row, line in enumerate(lines):
        if row not in verbatim:
            lines[row] = _NOTE_BLOCK_ID.sub(r"\1\\^\2", line)
    while (opened := _open_comment(lines, code)) is not None:
        row, column = opened
        if row in verbatim:  # raw HTML: an entity, not a backslash
            lines[row] = lines[row][:column] + "&lt;" + lines[row][column + 1 :]
        else:
            lines[row] = _escaped_at(lines[row], column)
    for pair, escaped in (("%%", "%\\%"), ("$$", "\\$\\$")):
        places = [
            (row, match.start())
            for row, line in enumerate(lines)
            if row not in verbatim
            for match in re.finditer(re.escape(pair), line)
        ]
        if len(places) % 2:  # the last one opens what nothing closes
            row, column = places[-1]
            lines[row] = lines[row][:column] + escaped + lines[row][column + 2 :]


def _open_comment(lines: Sequence[str], code: set[int]) -> tuple[int, int] | None:
    """Where an HTML comment opens that no `-->` after it closes, if one does."""
    opened: tuple[int, int] | None = None
    for row, line in enumerate(lines):
        if row in code:
            continue
        column = 0
        while True:
            if opened is None:
                start = line.find(_HTML_COMMENT_OPEN, column)
                if start < 0:
                    break
                column = start + 2  # `<!-->` closes itself
                if not line.endswith("\\", 0, start):  # `\<!--` is text
                    opened = (row, start)
            else:
                close = line.find("-->", column)
                if close < 0:
                    break
                opened, column = None, close + 3
    return opened


def _escaped_note(note: str) -> str:
    """A note as plain text: escaped paragraphs whose single line breaks are kept."""
    paragraphs = re.split(r"\n\s*\n", normalize_newlines(note).strip())
    rendered = []
    for paragraph in paragraphs:
        lines = [line for line in escape_markdown(paragraph).split("\n") if line]
        rendered.append("\\\n".join(lines))
    return "\n\n".join(part for part in rendered if part)


def without_export_time(text: str) -> str:
    """A document without the `exported:` line of its front matter, to compare content."""
    if not text.startswith("---\n"):
        return text
    end = text.find("\n---\n", 3)
    if end == -1:
        return text
    front = [line for line in text[4:end].split("\n") if not line.startswith("exported: ")]
    return "---\n" + "\n".join(front) + text[end:]


def exported_id(head: str) -> str | None:
    """The article id in the front matter of a document rendered here, if any.

    Args:
        head: The start of a document (its front matter must be whole in it).

    Returns:
        The `reader_id` of a front matter at the document's very start; None when
        there is none (the document is not ours).
    """
    if not head.startswith("---\n"):
        return None
    end = head.find("\n---\n", 3)
    if end == -1:
        return None
    match = _FRONT_ID.search(head, 4, end + 1)
    if match is None:
        return None
    try:
        value = json.loads(match.group(1))
    except ValueError:
        return None
    return value if isinstance(value, str) and value else None
