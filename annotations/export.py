"""Markdown export of annotations, safe against any text, written atomically."""

from __future__ import annotations

import json
import os
import re
import stat
import tempfile
from collections.abc import Iterable, Sequence
from datetime import datetime
from pathlib import Path

from slugify import slugify

from annotations.models import Annotation, Article, Block, BlockKind
from annotations.store import AnnotationStore, format_timestamp

_INLINE_SPECIAL = re.compile(r"([\\`*_\[\]<>#|~$])")
_ENTITY = re.compile(r"&(?=#?[0-9A-Za-z]+;)")
_LINE_START = re.compile(r"^([-+=:])|^(\d+)([.)])")
_TAG_CHARS = re.compile(r"[^\w/-]+")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def _newlines(text: str) -> str:
    """CRLF and CR as LF: Markdown ends a line at each of them, quote marker or not."""
    return text.replace("\r\n", "\n").replace("\r", "\n")


def escape_markdown(text: str) -> str:
    """Escape text so a Markdown parser reads it back as the same plain text.

    Every character that could start markup (emphasis, code, links, HTML, headings,
    quotes, lists, thematic breaks, tables, Obsidian tags and highlights) is
    backslash-escaped; line breaks are kept.
    """
    lines = []
    for line in _CONTROL.sub("", _newlines(text)).split("\n"):
        line = line.strip()
        line = _INLINE_SPECIAL.sub(r"\\\1", line)
        line = _ENTITY.sub(r"\\&", line)
        line = line.replace("==", "=\\=").replace("%%", "%\\%")
        line = _LINE_START.sub(
            lambda m: f"\\{m.group(1)}" if m.group(1) else f"{m.group(2)}\\{m.group(3)}", line
        )
        lines.append(line)
    return "\n".join(lines)


def tag_hashtag(name: str) -> str:
    """A tag as an Obsidian/Logseq `#tag` (spaces and symbols become dashes)."""
    cleaned = _TAG_CHARS.sub("-", name).strip("-") or "tag"
    if cleaned.isdigit():
        cleaned = f"tag-{cleaned}"
    return f"#{cleaned}"


def _yaml(value: object) -> str:
    """A YAML scalar or flow list; JSON strings are valid YAML double-quoted scalars."""
    return json.dumps(value, ensure_ascii=False)


def _quote(lines: Iterable[str]) -> str:
    return "\n".join(f"> {line}" if line else ">" for line in lines)


def _fence(text: str) -> str:
    longest = max((len(run) for run in re.findall(r"`+|~+", text)), default=0)
    return "`" * max(3, longest + 1)


def passage_parts(annotation: Annotation, blocks: Sequence[Block]) -> list[tuple[BlockKind, str]]:
    """The passage of an annotation, block by block, with each block's kind."""
    anchor = annotation.anchor
    if annotation.orphaned or anchor.end_block >= len(blocks):
        return [(BlockKind.PARAGRAPH, anchor.exact)]
    parts = []
    for index in range(anchor.start_block, anchor.end_block + 1):
        block = blocks[index]
        span = anchor.span_in(index, len(block.text))
        if span is not None and span[0] < span[1]:
            parts.append((block.kind, block.text[span[0] : span[1]]))
    return parts or [(BlockKind.PARAGRAPH, anchor.exact)]


def _passage_markdown(parts: Sequence[tuple[BlockKind, str]]) -> str:
    quoted: list[str] = []
    for kind, text in parts:
        if quoted:
            quoted.append("")
        if kind in (BlockKind.CODE, BlockKind.TABLE):
            text = _newlines(text)
            fence = _fence(text)
            quoted.extend([fence, *text.split("\n"), fence])
        else:
            quoted.extend(escape_markdown(text).split("\n"))
    return _quote(quoted)


def render_article_markdown(
    article: Article,
    blocks: Sequence[Block],
    annotations: Sequence[Annotation],
    exported: datetime,
) -> str:
    """One article's annotations as a Markdown document.

    Args:
        article: The article.
        blocks: Its blocks (for the kinds of the quoted passages).
        annotations: Its annotations, in text order.
        exported: The export time, written in the front matter.

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
        f"exported: {_yaml(format_timestamp(exported))}",
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


def _annotation_markdown(annotation: Annotation, blocks: Sequence[Block]) -> list[str]:
    parts = [_passage_markdown(passage_parts(annotation, blocks))]
    # The colour as a readable word, after the tags: `#idea #bridges · colour: green`.
    marks = [tag_hashtag(tag) for tag in annotation.tags]
    marks.append(f"colour: {annotation.color}")
    parts.append(" · ".join([" ".join(marks[:-1]), marks[-1]] if annotation.tags else marks))
    if annotation.note.strip():
        parts.append(_note_markdown(annotation.note))
    return parts


def _note_markdown(note: str) -> str:
    """A note as Markdown paragraphs whose single line breaks are kept (hard breaks)."""
    paragraphs = re.split(r"\n\s*\n", note.replace("\r\n", "\n").replace("\r", "\n").strip())
    rendered = []
    for paragraph in paragraphs:
        lines = [line for line in escape_markdown(paragraph).split("\n") if line]
        rendered.append("\\\n".join(lines))
    return "\n\n".join(part for part in rendered if part)


def markdown_filenames(articles: Sequence[Article]) -> dict[str, str]:
    """A safe, stable `<slug>.md` file name for each article, keyed by article id.

    Names come from titles through python-slugify, so they never hold a path
    separator; titles with no usable letters, and titles shared by several
    articles, get a part of the article's id.
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
        if counts[slug] > 1 or slug == "article":
            slug = f"{slug}-{article_id[:8]}"
        names[article_id] = f"{slug}.md"
    return names


def write_text_atomic(path: Path, text: str) -> None:
    """Write a text file so that it is either fully written or not changed at all.

    The file gets the permissions of the file it replaces, or the usual ones for a
    new file (0o666 less the umask), not the private 0o600 of a temporary file.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        try:
            mode = stat.S_IMODE(path.stat().st_mode)
        except FileNotFoundError:
            mode = 0o666 & ~_umask()
        os.chmod(temporary, mode)
        with os.fdopen(handle, "w", encoding="utf-8", newline="\n") as file:
            file.write(text)
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def _umask() -> int:
    """The process's umask (reading it means setting it, so it is set straight back)."""
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def article_markdown(store: AnnotationStore, article: Article) -> str:
    """Render one stored article's annotations as Markdown."""
    return render_article_markdown(
        article,
        store.get_blocks(article.id),
        store.list_annotations(article.id),
        store.clock(),
    )


def export_markdown_folder(
    store: AnnotationStore, folder: Path, articles: Sequence[Article]
) -> list[Path]:
    """Write one `<slug>.md` per article into a folder, each file atomically.

    Returns:
        The paths written.
    """
    folder.mkdir(parents=True, exist_ok=True)
    by_id = {article.id: article for article in articles}
    written = []
    for article_id, name in markdown_filenames(articles).items():
        article = by_id[article_id]
        target = folder / name
        write_text_atomic(target, article_markdown(store, article))
        written.append(target)
    return written
