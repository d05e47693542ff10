"""Markdown export of annotations, safe against any text, written atomically."""

from __future__ import annotations

import functools
import hashlib
import itertools
import json
import os
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from json.encoder import encode_basestring
from pathlib import Path

from slugify import slugify

from annotations import guard
from annotations.files import BatchWriter, remove_stale_temporaries_in
from annotations.models import PLAIN_ID, Annotation, Article, Block, BlockKind, format_timestamp
from annotations.store import AnnotationStore
from annotations.text import normalize_newlines

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
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
_NOT_YAML = re.compile("[\x7f-\x9f\u2028\u2029\ufffe\uffff]")
"""Characters YAML forbids raw, or reads as line breaks, in a double-quoted scalar."""
_RESERVED_NAMES = (
    {"con", "prn", "aux", "nul"} | {f"com{n}" for n in range(10)} | {f"lpt{n}" for n in range(10)}
)
"""File names Windows reserves for devices, whatever their extension."""
_NOT_BLOCK_ID = re.compile(r"[^A-Za-z0-9-]+")


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
    lines = _CONTROL.sub("", normalize_newlines(text)).split("\n")
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
            text = _CONTROL.sub("", normalize_newlines(text))
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
) -> str:
    """One article's annotations as a Markdown document.

    Args:
        article: The article.
        blocks: Its blocks by index (for the kinds of the quoted passages); those the
            annotations cover are enough.
        annotations: Its annotations, in text order.
        exported: The export time, written in the front matter (a `format_timestamp`
            string is taken as it is, which saves formatting it for each article).

    Returns:
        The document: YAML front matter, `# Title`, then each annotation as a block
        quote of its exact passage, its `#tags` and its note.
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
    for annotation in placed:
        out.extend(_annotation_markdown(annotation, blocks))
    if orphaned:
        out.append("## Passages no longer found in the text")
        for annotation in orphaned:
            out.extend(_annotation_markdown(annotation, blocks))
    return "\n\n".join(out) + "\n"


def block_id(annotation: Annotation) -> str:
    """The Obsidian block id of an annotation's quote, without its `^`: letters, digits, dashes.

    It comes from the annotation's id, so it stays the same from one export to the next
    and a note linking to `[[file#^id]]` keeps working.
    """
    found = annotation.id
    if found.isascii() and found.replace("-", "").isalnum() and found.strip("-") == found:
        return found  # a UUID, as every annotation made here has
    return _NOT_BLOCK_ID.sub("-", found).strip("-") or "annotation"


def _annotation_markdown(annotation: Annotation, blocks: Blocks) -> list[str]:
    # The block id goes on its own line after the quote, which Obsidian ties to the quote.
    parts = [_passage_markdown(passage_parts(annotation, blocks)), f"^{block_id(annotation)}"]
    # The colour as a readable word, after the tags: `#idea #bridges · colour: green`.
    marks = [tag_hashtag(tag) for tag in annotation.tags]
    marks.append(f"colour: {annotation.color}")
    parts.append(" · ".join([" ".join(marks[:-1]), marks[-1]] if annotation.tags else marks))
    if annotation.note.strip():
        parts.append(_note_markdown(annotation.note))
    return parts


def _note_markdown(note: str) -> str:
    """A note as Markdown paragraphs whose single line breaks are kept (hard breaks)."""
    paragraphs = re.split(r"\n\s*\n", normalize_newlines(note).strip())
    rendered = []
    for paragraph in paragraphs:
        lines = [line for line in escape_markdown(paragraph).split("\n") if line]
        rendered.append("\\\n".join(lines))
    return "\n\n".join(part for part in rendered if part)


def file_id(article_id: str) -> str:
    """An article's id as it may go into a file name: the id itself if it is plain.

    A plain id (`PLAIN_ID`: a UUID, as reader makes) is kept, so names stay those of
    earlier exports. Any other (a library restored from a hand-made or damaged backup
    by an older reader: `/`, `..`, `\\`, NUL, hundreds of characters) is replaced by a
    digest of it: 32 hexadecimal digits, the same at every export.
    """
    if PLAIN_ID.fullmatch(article_id):
        return article_id
    return hashlib.sha256(article_id.encode("utf-8", "surrogatepass")).hexdigest()[:32]


def markdown_filenames(articles: Sequence[Article]) -> dict[str, str]:
    """A safe, stable `<slug>.md` file name for each article, keyed by article id.

    Names come from titles through python-slugify, so they never hold a path
    separator; titles with no usable letters, and titles shared by several
    articles, get a part of the article's id (through `file_id`, so never a path
    either).
    """
    slugs = {
        article.id: slugify(article.title, max_length=80, word_boundary=True) or "article"
        for article in articles
    }
    counts: dict[str, int] = {}
    for slug in slugs.values():
        counts[slug] = counts.get(slug, 0) + 1
    names = {}
    for article_id, slug in slugs.items():
        if counts[slug] > 1 or slug == "article" or slug in _RESERVED_NAMES:
            slug = f"{slug}-{file_id(article_id)[:8]}"
        names[article_id] = f"{slug}.md"
    return names


def article_markdown(store: AnnotationStore, article: Article) -> str:
    """Render one stored article's annotations as Markdown."""
    return render_article_markdown(
        article,
        store.get_blocks(article.id),
        store.list_annotations(article.id),
        store.clock(),
    )


@dataclass
class FolderExport:
    """What exporting into a folder did, file by file.

    Attributes:
        new: Files created.
        updated: Files of earlier exports rewritten because their content changed.
        unchanged: Files of earlier exports left untouched: nothing but the export time
            would have changed.
    """

    new: list[Path] = field(default_factory=list)
    updated: list[Path] = field(default_factory=list)
    unchanged: list[Path] = field(default_factory=list)

    @property
    def paths(self) -> list[Path]:
        """Every file of the export, written or not."""
        return [*self.new, *self.updated, *self.unchanged]

    def line(self, folder: Path) -> str:
        """One line, e.g. `exported 3 articles to notes (1 new, 1 updated, 1 unchanged)`."""
        total = len(self.paths)
        return (
            f"exported {total} article{'' if total == 1 else 's'} to {folder} "
            f"({len(self.new)} new, {len(self.updated)} updated, {len(self.unchanged)} unchanged)"
        )


_FRONT_ID = re.compile(r"^reader_id: (.*)$", re.MULTILINE)
FRONT_MATTER_LIMIT = 64 * 1024
"""How much of a Markdown file is read to find the `reader_id` of its front matter."""


def exported_reader_id(path: Path) -> str | None:
    """The article id in the front matter of a Markdown file this app exported, if any.

    Files that cannot be read, are not UTF-8, or have no `reader_id` in a front matter
    at their very start give None: they are not ours.
    """
    if guard.is_open_library(path):
        return None
    try:
        with path.open("r", encoding="utf-8") as handle:
            head = handle.read(FRONT_MATTER_LIMIT)
    except (OSError, UnicodeDecodeError):
        return None
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


def _without_export_time(text: str) -> str:
    """A document without the `exported:` line of its front matter, to compare content."""
    if not text.startswith("---\n"):
        return text
    end = text.find("\n---\n", 3)
    if end == -1:
        return text
    front = [line for line in text[4:end].split("\n") if not line.startswith("exported: ")]
    return "---\n" + "\n".join(front) + text[end:]


def _scan(folder: Path) -> tuple[dict[str, Path], set[str]]:
    """What a folder holds: the earlier exports in it (not below it) by article id, and
    the names of all its entries, casefolded (names on a case-insensitive disk collide).
    """
    found: dict[str, Path] = {}
    names: set[str] = set()
    with os.scandir(folder) as entries:
        ours = []
        for entry in entries:
            names.add(entry.name.casefold())
            if entry.name.endswith(".md") and entry.is_file(follow_symlinks=False):
                ours.append(entry.name)
    for name in sorted(ours):
        article_id = exported_reader_id(folder / name)
        if article_id is not None:
            found.setdefault(article_id, folder / name)
    return found, names


def _earlier_exports(folder: Path) -> dict[str, Path]:
    """The Markdown files in a folder (not below it) that hold an article's export, by id."""
    return _scan(folder)[0]


def earlier_export(folder: Path, article_id: str) -> Path | None:
    """The file in a folder that holds an earlier export of an article, if there is one."""
    try:
        return _earlier_exports(folder).get(article_id)
    except OSError:
        return None


def _free_name(name: str, article_id: str, taken: set[str]) -> str:
    """A name for a new export that is none of the `taken` (casefolded) ones: the slug if free."""
    stem = name.removesuffix(".md")
    plain = file_id(article_id)
    candidates = itertools.chain(
        [name, f"{stem}-{plain[:8]}.md", f"{stem}-{plain}.md"],
        (f"{stem}-{plain[:8]}-{number}.md" for number in range(2, 1000)),
    )
    for candidate in candidates:
        if candidate.casefold() not in taken:
            return candidate
    raise FileExistsError(f"no free file name for {name}")


def export_markdown_folder(
    store: AnnotationStore,
    folder: Path,
    articles: Sequence[Article],
    *,
    update_earlier: bool = False,
    on_article: Callable[[Article, int], object] | None = None,
) -> FolderExport:
    """Write one `<slug>.md` per article into a folder, updating earlier exports in place.

    A file already in the folder with an article's `reader_id` in its front matter is
    that article's file: it is rewritten under its own name (even if the title, and so
    the slug, changed since), and left untouched when nothing but the export time would
    change. A new article gets a new file whose name is none of the folder's. Files
    without our `reader_id` are never touched. Each file is written atomically, and a
    whole batch of files is made durable at once (see `annotations.files.BatchWriter`).

    Args:
        store: The library.
        folder: The folder (created if missing).
        articles: The articles to export.
        update_earlier: Also bring up to date the earlier exports in the folder of other
            articles still in the library (so one whose annotations were all removed no
            longer shows them). Files of articles no longer in the library are left alone.
        on_article: Called with each article as its file is made, and how many files the
            export makes in all, earlier exports brought up to date included (for progress).

    Returns:
        The files created, updated and left unchanged.
    """
    folder.mkdir(parents=True, exist_ok=True)
    earlier, taken = _scan(folder)
    if update_earlier:
        listed = {article.id for article in articles}
        others = []
        for article_id in earlier.keys() - listed:
            try:
                others.append(store.get_article(article_id))
            except LookupError:
                continue
        articles = [*articles, *sorted(others, key=lambda article: article.id)]
    names = markdown_filenames(articles)
    exported = format_timestamp(store.clock())
    done = FolderExport()
    with BatchWriter(folder) as writer:
        for article, annotations, blocks in store.iter_annotated(articles):
            if on_article is not None:
                on_article(article, len(articles))
            text = render_article_markdown(article, blocks, annotations, exported)
            target = earlier.get(article.id)
            if target is None:
                target = folder / _free_name(names[article.id], article.id, taken)
                taken.add(target.name.casefold())
                writer.write(target, text)
                done.new.append(target)
                continue
            try:
                current = target.read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError):
                current = None
            if current is not None and _without_export_time(current) == _without_export_time(text):
                done.unchanged.append(target)
                continue
            writer.write(target, text, replacing=True)
            done.updated.append(target)
    remove_stale_temporaries_in(folder, {path.name for path in done.new + done.updated})
    return done
