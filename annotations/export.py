"""Markdown export of annotations, safe against any text, written atomically."""

from __future__ import annotations

import itertools
import json
import os
import re
import stat
import tempfile
import time
from collections import deque
from collections.abc import Iterable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from slugify import slugify

from annotations.models import Annotation, Article, Block, BlockKind
from annotations.store import AnnotationStore, format_timestamp

_INLINE_SPECIAL = re.compile(r"([\\`*_\[\]<>#|~$])")
_ENTITY = re.compile(r"&(?=#?[0-9A-Za-z]+;)")
_LINE_START = re.compile(r"^([-+=:])|^(\d+)([.)])", re.MULTILINE)
_MARKUP = re.compile(r"[\\`*_\[\]<>#|~$&=%]|^[-+:]|^\d+[.)]", re.MULTILINE)
"""Anything `escape_markdown` would escape (a quick test before the real work)."""
_TAG_CHARS = re.compile(r"[^\w/-]+")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
_NOT_YAML = re.compile("[\x7f-\x9f\u2028\u2029\ufffe\uffff]")
"""Characters YAML forbids raw, or reads as line breaks, in a double-quoted scalar."""
_RESERVED_NAMES = (
    {"con", "prn", "aux", "nul"} | {f"com{n}" for n in range(10)} | {f"lpt{n}" for n in range(10)}
)
"""File names Windows reserves for devices, whatever their extension."""
_NOT_BLOCK_ID = re.compile(r"[^A-Za-z0-9-]+")


def _newlines(text: str) -> str:
    """CRLF and CR as LF: Markdown ends a line at each of them, quote marker or not."""
    return text.replace("\r\n", "\n").replace("\r", "\n")


def escape_markdown(text: str) -> str:
    """Escape text so a Markdown parser reads it back as the same plain text.

    Every character that could start markup (emphasis, code, links, HTML, headings,
    quotes, lists, thematic breaks, tables, Obsidian tags and highlights) is
    backslash-escaped; line breaks are kept, each line stripped.
    """
    lines = _CONTROL.sub("", _newlines(text)).split("\n")
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
    text = json.dumps(value, ensure_ascii=False)
    return _NOT_YAML.sub(lambda match: f"\\u{ord(match.group()):04x}", text)


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
            # Control characters would reach a terminal showing the file: never useful code.
            text = _CONTROL.sub("", _newlines(text))
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


def block_id(annotation: Annotation) -> str:
    """The Obsidian block id of an annotation's quote, without its `^`: letters, digits, dashes.

    It comes from the annotation's id, so it stays the same from one export to the next
    and a note linking to `[[file#^id]]` keeps working.
    """
    return _NOT_BLOCK_ID.sub("-", annotation.id).strip("-") or "annotation"


def _annotation_markdown(annotation: Annotation, blocks: Sequence[Block]) -> list[str]:
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
        if counts[slug] > 1 or slug == "article" or slug in _RESERVED_NAMES:
            slug = f"{slug}-{article_id[:8]}"
        names[article_id] = f"{slug}.md"
    return names


def write_text_atomic(path: Path, text: str) -> None:
    """Write a text file so that it is either fully written or not changed at all.

    The file gets the permissions of the file it replaces, or the usual ones for a
    new file (0o666 less the umask), not the private 0o600 of a temporary file.
    """
    write_chunks_atomic(path, [text])


def write_chunks_atomic(path: Path, chunks: Iterable[str]) -> None:
    """Write text given piece by piece, atomically, as `write_text_atomic` does.

    The pieces go to a temporary file next to the target as they come, so a large
    export is never held in memory as one string; the target appears only once all of
    it is written.
    """
    _write_atomic(path, chunks, 0o666 & ~_umask())
    remove_stale_temporaries(path)


def _write_atomic(path: Path, chunks: Iterable[str], new_mode: int) -> None:
    """Write a file atomically (temporary file, fsync, rename); `new_mode` if it is new.

    Safe to run in several threads at once (the umask is read by the caller).
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        try:
            mode = stat.S_IMODE(path.stat().st_mode)
        except FileNotFoundError:
            mode = new_mode
        os.chmod(temporary, mode)
        with os.fdopen(handle, "w", encoding="utf-8", newline="\n") as file:
            for chunk in chunks:
                file.write(chunk)
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


STALE_TEMPORARY_SECONDS = 3600
"""How long a temporary file of an atomic write must be untouched to count as left over."""


def remove_stale_temporaries(path: Path) -> list[Path]:
    """Remove the temporary files that killed writes of `path` left next to it.

    A write that is killed (power cut, SIGKILL) leaves its temporary file: hidden
    (`.<name>.<8 random characters>.tmp`), never under the target's name, so never
    mistaken for an export. One untouched for an hour cannot be a write still going on.

    Returns:
        The files removed.
    """
    return _remove_stale_temporaries(path.parent, {path.name})


_TEMPORARY = re.compile(r"\.(.+)\.[a-z0-9_]{8}\.tmp")
"""The name of a temporary file of an atomic write; its group is the target's name."""


def _remove_stale_temporaries(folder: Path, names: set[str]) -> list[Path]:
    """Remove the stale temporary files of writes of any of `names` in a folder, in one pass."""
    limit = time.time() - STALE_TEMPORARY_SECONDS
    removed: list[Path] = []
    try:
        with os.scandir(folder) as found:
            entries = [
                entry
                for entry in found
                if (match := _TEMPORARY.fullmatch(entry.name)) and match.group(1) in names
            ]
    except OSError:
        return removed
    for entry in entries:
        try:
            if entry.is_file(follow_symlinks=False) and entry.stat().st_mtime < limit:
                os.unlink(entry.path)
                removed.append(Path(entry.path))
        except OSError:
            continue
    return removed


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


WRITER_THREADS = 4
"""Files a folder export writes at once (more only fight over the interpreter here)."""
WRITES_QUEUED = 64
"""Rendered files a folder export holds in memory, waiting to be written."""
_FRONT_ID = re.compile(r"^reader_id: (.*)$", re.MULTILINE)
FRONT_MATTER_LIMIT = 64 * 1024
"""How much of a Markdown file is read to find the `reader_id` of its front matter."""


def exported_reader_id(path: Path) -> str | None:
    """The article id in the front matter of a Markdown file this app exported, if any.

    Files that cannot be read, are not UTF-8, or have no `reader_id` in a front matter
    at their very start give None: they are not ours.
    """
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


def _earlier_exports(folder: Path) -> dict[str, Path]:
    """The Markdown files in a folder (not below it) that hold an article's export, by id."""
    found: dict[str, Path] = {}
    for path in sorted(folder.glob("*.md")):
        if not path.is_file() or path.is_symlink():
            continue
        article_id = exported_reader_id(path)
        if article_id is not None:
            found.setdefault(article_id, path)
    return found


def earlier_export(folder: Path, article_id: str) -> Path | None:
    """The file in a folder that holds an earlier export of an article, if there is one."""
    try:
        return _earlier_exports(folder).get(article_id)
    except OSError:
        return None


def _free_name(folder: Path, name: str, article_id: str, taken: set[str]) -> str:
    """A file name in the folder for a new export that overwrites nothing: the slug if free."""
    stem = name.removesuffix(".md")
    candidates = itertools.chain(
        [name, f"{stem}-{article_id[:8]}.md", f"{stem}-{article_id}.md"],
        (f"{stem}-{article_id[:8]}-{number}.md" for number in range(2, 1000)),
    )
    for candidate in candidates:
        if candidate.casefold() not in taken and not os.path.lexists(folder / candidate):
            return candidate
    raise FileExistsError(f"no free file name for {name} in {folder}")


def export_markdown_folder(
    store: AnnotationStore,
    folder: Path,
    articles: Sequence[Article],
    *,
    update_earlier: bool = False,
) -> FolderExport:
    """Write one `<slug>.md` per article into a folder, updating earlier exports in place.

    A file already in the folder with an article's `reader_id` in its front matter is
    that article's file: it is rewritten under its own name (even if the title, and so
    the slug, changed since), and left untouched when nothing but the export time would
    change. A new article gets a new file whose name overwrites no existing file.
    Files without our `reader_id` are never touched. Each file is written atomically.

    Args:
        store: The library.
        folder: The folder (created if missing).
        articles: The articles to export.
        update_earlier: Also bring up to date the earlier exports in the folder of other
            articles still in the library (so one whose annotations were all removed no
            longer shows them). Files of articles no longer in the library are left alone.

    Returns:
        The files created, updated and left unchanged.
    """
    folder.mkdir(parents=True, exist_ok=True)
    earlier = _earlier_exports(folder)
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
    taken = {path.name.casefold() for path in earlier.values()}
    done = FolderExport()
    with _Writers() as writers:
        for article in articles:
            text = article_markdown(store, article)
            target = earlier.get(article.id)
            if target is None:
                target = folder / _free_name(folder, names[article.id], article.id, taken)
                taken.add(target.name.casefold())
                writers.write(target, text)
                done.new.append(target)
                continue
            try:
                current = target.read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError):
                current = None
            if current is not None and _without_export_time(current) == _without_export_time(text):
                done.unchanged.append(target)
                continue
            writers.write(target, text)
            done.updated.append(target)
    _remove_stale_temporaries(folder, {path.name for path in done.new + done.updated})
    return done


class _Writers:
    """Writes files atomically in a few threads, while the caller renders the next ones.

    Each write waits on the disk (fsync) for most of its time; several at once share
    the file system's journal commits, so thousands of files take a fraction of the
    time. At most `WRITES_QUEUED` texts wait in memory. The first error is raised (by
    `write` or on leaving); the writes not yet started are then dropped, and each
    started one completes, so every file is whole.
    """

    def __init__(self) -> None:
        self._pool = ThreadPoolExecutor(WRITER_THREADS, thread_name_prefix="export-writer")
        self._queued: deque[Future[None]] = deque()
        self._mode = 0o666 & ~_umask()

    def __enter__(self) -> _Writers:
        return self

    def write(self, path: Path, text: str) -> None:
        """Queue a file to write; waits while too many are queued."""
        self._queued.append(self._pool.submit(_write_atomic, path, [text], self._mode))
        while len(self._queued) > WRITES_QUEUED:
            self._queued.popleft().result()

    def __exit__(self, kind: type[BaseException] | None, *_: object) -> None:
        try:
            if kind is None:
                while self._queued:
                    self._queued.popleft().result()
        finally:
            self._pool.shutdown(wait=True, cancel_futures=True)
