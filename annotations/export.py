"""Exports from the library: Markdown files and folders, and JSON, CSV and W3C streams."""

from __future__ import annotations

import hashlib
import itertools
import os
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from slugify import slugify

from annotations import guard
from annotations.files import BatchWriter, remove_stale_temporaries_in
from annotations.formats.interchange import (
    Item,
    csv_pieces,
    export_order,
    json_pieces,
    text_order,
    w3c_pieces,
)
from annotations.formats.markdown import (
    exported_id,
    render_article_markdown,
    without_export_time,
)
from annotations.models import PLAIN_ID, Annotation, Article, ContentsEntry, format_timestamp
from annotations.store import AnnotationStore

_RESERVED_NAMES = (
    {"con", "prn", "aux", "nul"} | {f"com{n}" for n in range(10)} | {f"lpt{n}" for n in range(10)}
)
"""File names Windows reserves for devices, whatever their extension."""


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
    """Render one stored article's annotations as Markdown (under their chapters, if any)."""
    annotations = store.list_annotations(article.id)
    return render_article_markdown(
        article,
        store.get_blocks(article.id),
        annotations,
        store.clock(),
        _contents_for(store, article.id, annotations),
    )


def _contents_for(
    store: AnnotationStore, article_id: str, annotations: Sequence[Annotation]
) -> list[ContentsEntry]:
    """An article's contents, read only if an annotation of it is in the text (a chapter
    can be named only for those): a book's headings take a look at all its blocks."""
    if all(annotation.orphaned for annotation in annotations):
        return []
    return store.get_contents(article_id)


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
    return exported_id(head)


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
        for article, annotations, blocks, contents in store.iter_annotated(articles):
            if on_article is not None:
                on_article(article, len(articles))
            text = render_article_markdown(article, blocks, annotations, exported, contents)
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
            if current is not None and without_export_time(current) == without_export_time(text):
                done.unchanged.append(target)
                continue
            writer.write(target, text, replacing=True)
            done.updated.append(target)
    remove_stale_temporaries_in(folder, {path.name for path in done.new + done.updated})
    return done


# JSON, CSV and W3C (see `annotations.formats.interchange`) -------------------------------------


def _in_text_order(store: AnnotationStore, article_id: str) -> list[Annotation]:
    """An article's annotations in text order (`text_order`)."""
    return text_order(store.list_annotations(article_id))


def iter_json(
    store: AnnotationStore, articles: Sequence[Article], exported: datetime
) -> Iterator[str]:
    """The JSON export of articles, as pieces of text to write one after the other.

    Only one article's text and annotations are in memory at a time.

    Args:
        store: The library.
        articles: The articles to export (all of them for a full backup).
        exported: The export time, written in the `exported` field.

    Yields:
        Consecutive pieces of one JSON document, indented like `json.dumps(indent=2)`.
    """
    items = (
        (
            article,
            store.get_blocks(article.id),
            _in_text_order(store, article.id),
            store.get_contents(article.id),
        )
        for article in export_order(articles)
    )
    yield from json_pieces(items, exported)


def export_json(store: AnnotationStore, articles: Sequence[Article] | None = None) -> str:
    """The JSON export of some articles (all if None) as one string; see `iter_json`."""
    chosen = store.list_articles() if articles is None else articles
    return "".join(iter_json(store, chosen, store.clock()))


def iter_csv(
    store: AnnotationStore, articles: Sequence[Article], *, neutralise: bool = True
) -> Iterator[str]:
    """The Readwise CSV of the articles' annotations, as pieces of text (see `csv_pieces`).

    Args:
        store: The library.
        articles: The articles whose annotations to export.
        neutralise: Put a `'` before each cell a spreadsheet would read as a formula
            (see `neutralise_cell`); False writes every cell exactly as stored.
    """

    def annotated() -> Iterator[tuple[Article, list[Annotation], list[ContentsEntry]]]:
        for article in export_order(articles):
            listed = _in_text_order(store, article.id)
            yield article, listed, _contents_for(store, article.id, listed)

    yield from csv_pieces(annotated(), neutralise=neutralise)


def export_csv(
    store: AnnotationStore, articles: Sequence[Article], *, neutralise: bool = True
) -> str:
    """The Readwise CSV as one string; see `iter_csv`."""
    return "".join(iter_csv(store, articles, neutralise=neutralise))


def iter_w3c(
    store: AnnotationStore, articles: Sequence[Article], exported: datetime
) -> Iterator[str]:
    """The W3C export of the articles' annotations, as pieces of text (see `w3c_pieces`).

    Each article's annotations are read in turn, and its text only if it has some.

    Args:
        store: The library.
        articles: The articles whose annotations to export.
        exported: The export time (the collection's `generated`).
    """
    ordered = export_order(articles)
    total = sum(article.annotation_count for article in ordered)

    def annotated() -> Iterator[Item]:
        for article in ordered:
            listed = _in_text_order(store, article.id)
            if listed:
                contents = _contents_for(store, article.id, listed)
                yield article, store.get_blocks(article.id), listed, contents

    yield from w3c_pieces(annotated(), total, exported)


def export_w3c(store: AnnotationStore, articles: Sequence[Article]) -> str:
    """The W3C export as one string; see `iter_w3c`."""
    return "".join(iter_w3c(store, articles, store.clock()))
