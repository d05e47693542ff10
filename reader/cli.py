"""The `reader` command: the TUI and its subcommands."""

from __future__ import annotations

import contextlib
import json
import os
import re
import sys
import unicodedata
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

import click

from reader.about import DISTRIBUTION
from reader.safe import safe_lines, safe_text
from reader.words import plural

if TYPE_CHECKING:
    from annotations.models import Article, SearchHit
    from annotations.store import AnnotationStore

# The store (and sqlite-utils) is imported by the commands that open the library,
# so `reader --version` and `--help` start fast.


def fail(message: str, code: int = 1) -> NoReturn:
    """Print a one-line error to stderr and exit.

    The message often names a file or repeats input: its control characters are shown,
    never sent to the terminal.
    """
    click.echo(f"reader: {safe_text(message)}", err=True)
    raise SystemExit(code)


@dataclass
class Context:
    """What the subcommands share: the `--db` option."""

    db: Path | None

    @contextmanager
    def store(self, *, samples: bool = False) -> Iterator[AnnotationStore]:
        """Open the library, with a one-line error when it cannot be used.

        Args:
            samples: Whether a library created now gets the bundled samples: only for
                the TUI; the other commands create a new library empty.
        """
        from annotations.errors import LibraryError, ReaderError, StorageError
        from reader.library import library_path, open_library

        path = library_path(self.db)
        explicit = self.db is not None or bool(os.environ.get("READER_DB"))
        if explicit and not path.parent.is_dir():
            # A mistyped path should not quietly start a new, empty library.
            fail(f"folder {path.parent} does not exist (for library {path})")
        try:
            store = open_library(path, samples=samples)
        except LibraryError as error:
            fail(str(error))
        try:
            yield store
        except StorageError as error:
            # Disk full, read-only, damaged pages met later: the change was rolled back.
            fail(f"library {path}: {error}")
        except ReaderError as error:
            fail(str(error))
        finally:
            store.close()


def _set_db(ctx: click.Context, _param: click.Parameter, value: Path | None) -> None:
    if value is not None:
        ctx.ensure_object(Context).db = value


db_option = click.option(
    "--db",
    type=click.Path(path_type=Path),  # a folder is refused by the library check, exit 1
    expose_value=False,
    callback=_set_db,
    help="Library file (as `reader --db`).",
)
"""`--db` accepted after a subcommand too: `reader list --db lib.db`."""


json_option = click.option("--json", "as_json", is_flag=True, help="Print a JSON list.")
"""`--json`: machine-readable output instead of lines of text."""


_JSON_ESCAPED = re.compile("[\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]")
"""Characters JSON may hold raw that a terminal would obey (C1 controls) or reorder (bidi)."""


def echo_json(value: object) -> None:
    """Print a value as indented JSON, keeping non-ASCII text readable.

    Control and bidirectional characters are written as `\\uXXXX` escapes, which any
    JSON reader turns back into the same text.
    """
    text = json.dumps(value, ensure_ascii=False, indent=2)
    click.echo(_JSON_ESCAPED.sub(lambda match: f"\\u{ord(match.group()):04x}", text))


def echo_document(text: str) -> None:
    """Print an exported document to stdout, exactly, or made safe if stdout is a terminal.

    Piped or redirected, the export is the data as it is (click would strip what looks
    like colour codes, so `color=True`); on a terminal, its control characters are shown
    as visible stand-ins instead of being obeyed.
    """
    if sys.stdout.isatty():
        click.echo(safe_lines(text), nl=False)
    else:
        click.echo(text, nl=False, color=True)


def run_tui(store: AnnotationStore, open_article: str | None = None) -> None:
    """Start the TUI on a library.

    Raises:
        SystemExit: With the app's return code if it was not 0, as after a crash (the
            app has then printed where its report is); the caller still closes the store.
    """
    from reader.app import ReaderApp

    app = ReaderApp(store, open_article=open_article)
    app.run()
    if app.return_code:
        raise SystemExit(app.return_code)


@click.group(invoke_without_command=True, context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--db",
    type=click.Path(path_type=Path),  # a folder is refused by the library check, exit 1
    help="Library file (default: $READER_DB, else the user data folder).",
)
@click.version_option(package_name=DISTRIBUTION, prog_name="reader")  # looked up if asked
@click.pass_context
def cli(ctx: click.Context, db: Path | None) -> None:
    """A keyboard-driven terminal reader that keeps highlights, tags and notes.

    Without a command, opens the library in the terminal UI.
    """
    ctx.obj = Context(db)
    if ctx.invoked_subcommand is None:
        with ctx.obj.store(samples=True) as store:  # the TUI's first start: the samples
            run_tui(store)


@cli.command("open")
@db_option
@click.argument("target", nargs=-1, required=True)
@click.pass_obj
def open_command(obj: Context, target: Sequence[str]) -> None:
    """Open an article in the TUI: by id (or id prefix), file or URL (imported first if
    needed), or words of its title (`reader open bridges essay`).

    A file of Kindle or Readwise highlights opens its first book. Several titles with
    the words are listed, with their ids. On a library that does not exist yet, the
    bundled samples are added as the TUI's first start adds them.
    """
    from reader.library import add_samples, is_new_library, library_path

    typed = " ".join(target)
    new = is_new_library(library_path(obj.db))
    with obj.store() as store:
        article_id = _article_to_open(store, typed)
        if new:
            add_samples(store)
        run_tui(store, open_article=article_id)


def _article_to_open(store: AnnotationStore, target: str) -> str:
    """The id of the article `reader open` names, imported first if it is a file or URL.

    TARGET is tried as a file, as an article id or unique id prefix, as a web address,
    then as words of a title. Errors quote TARGET as it was typed.

    Raises:
        SystemExit: With a one-line error (exit 1) if no article or several match; those
            several are listed on stdout first, an id prefix and a title a line.
    """
    from annotations.errors import NotFoundError

    path = Path(target).expanduser()
    if path.is_file():
        return _import_to_open(store, target, path)
    with contextlib.suppress(NotFoundError):
        return store.find_article(target).id
    # An id is hexadecimal: a web address is never one. The ingest package (parsers,
    # fetching) is imported only when it may be needed, not to open an id.
    from reader.ingest import is_url

    if is_url(target):
        return _import_to_open(store, target, target)
    found = store.find_articles(target)
    if len(found) == 1:
        return found[0].id
    prefix = target.strip().lower()
    if not found and prefix:  # an id prefix several articles share
        found = [article for article in store.list_articles() if article.id.startswith(prefix)]
    if not found:
        fail(f'no file, article id or title matches "{target}"')
    width = 8  # as `reader list` shows ids, or more where the candidates share as much
    while len({article.id[:width] for article in found}) < len(found):
        width += 1
    for article in found:
        click.echo(f"{article.id[:width]}  {safe_text(' '.join(article.title.split()))}")
    fail(
        f'{len(found)} articles match "{target}": give more words of the title, '
        f"or more of the id (reader open {found[0].id[:width]})"
    )


def _import_to_open(store: AnnotationStore, target: str, item: Path | str) -> str:
    """Import the file or web page that `reader open` names; the id of what to open."""
    from reader.ingest import ImportFailure, import_item

    try:
        results = import_item(store, item)
    except ImportFailure as error:
        fail(f"{target}: {error}")
    if not results:
        fail(f"{target}: nothing to open in it")
    for warning in results[0].warnings:
        click.echo(f"reader: {safe_text(target)}: {safe_text(warning)}", err=True)
    return results[0].article.id


PROGRESS_BAR_WIDTH = 20
"""Cells of the bar itself in the import and export progress lines."""


def progress_bar(length: int, label: str) -> Any:
    """A progress bar on stderr whose line fits the terminal, whatever the item shown.

    Click draws the bar, the count, the time left and the item (`bar.update(1, item)`)
    on one line, redrawn in place; a line wider than the terminal wraps, and is then
    drawn anew below itself at each step. So the item is cut to the room left.
    """
    try:
        columns = os.get_terminal_size(sys.stderr.fileno()).columns
    except (OSError, ValueError):
        columns = 0
    columns = columns or 80  # a terminal that does not say its size
    count = 2 * len(str(length)) + 1  # "123/4567"
    fixed = len(label) + 2 + PROGRESS_BAR_WIDTH + 2 + 2 + count + 2 + len("00:00:00") + 2
    room = columns - fixed - 1

    def show(item: str | None) -> str | None:
        return None if item is None else fit_cells(safe_text(item), room)

    return click.progressbar(
        length=length,
        label=label,
        file=sys.stderr,
        show_pos=True,
        width=PROGRESS_BAR_WIDTH,
        item_show_func=show,
    )


def fit_cells(text: str, room: int) -> str:
    """Text cut to at most `room` terminal cells (wide letters, as in Chinese, take two)."""
    used = 0
    for index, character in enumerate(text):
        used += 2 if unicodedata.east_asian_width(character) in "WF" else 1
        if used > room:
            return text[:index]
    return text


@cli.command("import")
@db_option
@click.argument("paths", nargs=-1, required=True)
@click.pass_obj
def import_command(obj: Context, paths: Sequence[str]) -> None:
    """Import files, folders (recursively) and web pages (http/https URLs).

    Prints `imported N, updated N, unchanged N, failed N`; exits 1 if any failed. A file
    imported with a part that could not be read (front matter that is not valid YAML,
    kept as text) gets a line on stderr, and does not count as failed.
    """
    from reader.ingest import ImportJob, find_sources, item_name

    sources = find_sources(paths)
    with obj.store() as store:
        if sys.stderr.isatty() and len(sources.items) > 1:
            with progress_bar(len(sources.items), "Importing") as bar:

                def advance(done: int, item: Path | str | None) -> None:
                    bar.update(done - bar.pos, None if item is None else item_name(item))

                summary = ImportJob(sources, on_progress=advance).run(store)
        else:
            summary = ImportJob(sources).run(store)
    for path_text, reason in summary.warnings + summary.failures:
        # File names may hold escape sequences: shown, never obeyed by the terminal.
        click.echo(f"reader: {safe_text(path_text)}: {safe_text(reason)}", err=True)
    click.echo(summary.line())
    if summary.orphaned:
        click.echo(f"reader: {summary.orphans_line()}", err=True)
    if summary.failed:
        raise SystemExit(1)


def _article_json(article: Article) -> dict[str, object]:
    return {
        "id": article.id,
        "title": article.title,
        "date": article.date,
        "source": article.source,
        "author": article.author,
        "words": article.words,
        "annotations": article.annotation_count,
        "progress": round(article.progress, 4),
        "tags": list(article.tags),
        "archived": article.archived,
        "archived_at": article.archived_at,
        "edited": list(article.edited),
        "created_at": article.created_at,
        "updated_at": article.updated_at,
    }


def _one_line(text: str) -> str:
    """Text from the library for one line of the terminal: whitespace collapsed, made safe."""
    return safe_text(" ".join(text.split()))


@cli.command("list")
@db_option
@json_option
@click.option(
    "--archived", "shelf", flag_value="archived", help="The archived (finished) articles only."
)
@click.option("--all", "shelf", flag_value="all", help="Every article, archived or not.")
@click.pass_obj
def list_command(obj: Context, as_json: bool, shelf: str | None) -> None:
    """List the articles in the library: those not archived, unless --archived or --all.

    One line per article: id, date, words, annotations, reading progress, title, then
    its tags (`#tag`) and, with --all, `[archived]` on archived ones. `--json` objects
    have `archived` (true or false) and `tags` too.
    """
    with obj.store() as store:
        articles = store.list_articles(shelf or "reading")
    if as_json:
        echo_json([_article_json(a) for a in articles])
        return
    for article in articles:
        extras = "".join(f"  #{_one_line(tag).replace(' ', '-')}" for tag in article.tags)
        if shelf == "all" and article.archived:
            extras += "  [archived]"
        click.echo(
            f"{article.id[:8]}  {article.date or '-':10}  {article.words:>7} words  "
            f"{plural(article.annotation_count, 'annotation'):>15}  "
            f"{round(article.progress * 100):>3}%  {_one_line(article.title)}{extras}"
        )


def _marked(text: str, marks: Sequence[tuple[int, int]]) -> str:
    """Text made safe for the terminal, with each marked range wrapped in « »."""
    text = safe_text(text)  # one character for one, so the marks still fit
    out: list[str] = []
    done = 0
    for start, end in sorted(marks):
        if start < done:
            continue
        out += [text[done:start], "«", text[start:end], "»"]
        done = end
    out.append(text[done:])
    return "".join(out)


def _hit_json(hit: SearchHit) -> dict[str, object]:
    return {
        "article_id": hit.article_id,
        "title": hit.title,
        "block": hit.block,
        "snippet": hit.snippet,
        "marks": [list(mark) for mark in hit.marks],
        "source": hit.source,
        "annotation_id": hit.annotation_id,
        "score": hit.score,
        "chapter": hit.chapter,
    }


@cli.command("search")
@db_option
@click.argument("query", nargs=-1, required=True)
@json_option
@click.option(
    "--limit",
    type=click.IntRange(min=1),
    default=100,
    show_default=True,
    help="Show at most this many hits.",
)
@click.pass_obj
def search_command(obj: Context, query: Sequence[str], as_json: bool, limit: int) -> None:
    """Search the text of every article, and the notes and tags, best matches first.

    Each word of three or more letters finds the words it starts (case and accents do
    not matter; shorter words match whole words, or their starts with `*`); put words
    in double quotes to find them as a phrase. Prints one hit per line:
    `<id>  ¶<paragraph>  <title> — <snippet>`, the matches in «»; in a book, the
    chapter follows the title (`War and Peace · BOOK ONE › CHAPTER I`).
    """
    text = " ".join(query)
    if not text.strip():
        fail("search needs words to look for (see 'reader search --help')", code=2)
    with obj.store() as store:
        hits = store.search(text, limit=limit)
    if as_json:
        echo_json([_hit_json(hit) for hit in hits])
        return
    if not hits:
        click.echo(f"reader: no matches for {safe_text(text)!r}", err=True)
        return
    for hit in hits:
        title = safe_text(" ".join(hit.title.split()))
        if hit.chapter:
            title += " · " + safe_text(hit.chapter)
        click.echo(
            f"{hit.article_id[:8]}  ¶{hit.block + 1}  {title} — {_marked(hit.snippet, hit.marks)}"
        )


@cli.command("tags")
@db_option
@json_option
@click.pass_obj
def tags_command(obj: Context, as_json: bool) -> None:
    """List the tags, and how many passages (annotations) and articles carry each.

    Most used on passages first. One line per tag, e.g. `history  3 passages, 1 article`;
    an article's own tags come from its file (front matter) or `reader edit --tag`.
    `--json` objects have `name`, `count` (passages) and `articles`.
    """
    with obj.store() as store:
        tags = store.list_tags()
    if as_json:
        echo_json(
            [{"name": tag.name, "count": tag.count, "articles": tag.articles} for tag in tags]
        )
        return
    names = [safe_text(tag.name) for tag in tags]
    width = max(map(len, names), default=0)
    for name, tag in zip(names, tags, strict=True):
        counts = [
            plural(count, noun)
            for count, noun in ((tag.count, "passage"), (tag.articles, "article"))
            if count
        ]
        click.echo(f"{name:<{width}}  {', '.join(counts) or 'unused'}")


@cli.command("export")
@db_option
@click.option("--article", "article_ref", help="Only this article (id or id prefix).")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["markdown", "json", "csv", "w3c"]),
    default="markdown",
    show_default=True,
    help="markdown: one document per article; json: everything, for `reader restore`; "
    "csv: Readwise's import columns; w3c: Web Annotation JSON-LD.",
)
@click.option(
    "-o",
    "--output",
    default="-",
    help="File, or (markdown only) folder for one file per article; '-' (default) is stdout.",
)
@click.option(
    "--raw-csv",
    is_flag=True,
    help="CSV: write cells exactly as stored, without the ' put before a cell starting "
    "with = + - @ (which a spreadsheet would run as a formula).",
)
@click.pass_obj
def export_command(
    obj: Context, article_ref: str | None, fmt: str, output: str, raw_csv: bool
) -> None:
    """Export annotations: all annotated articles, or one (--article).

    Markdown to a folder (-o DIR/) writes one `<slug>.md` per article and updates the
    files of earlier exports in place (found by the `reader_id` in their front matter),
    leaving unchanged ones untouched. JSON holds every article (annotated or not) with
    its text, and is what `reader restore` reads. JSON, CSV and W3C go to one file
    (written atomically) or stdout; a folder is a usage error for them. A CSV cell that
    a spreadsheet would run as a formula (starting with = + - @, a tab or a carriage
    return) gets a ' in front, unless --raw-csv.
    """
    if raw_csv and fmt != "csv":
        fail(f"--raw-csv is for --format csv, not {fmt}", code=2)
    if fmt != "markdown" and output != "-" and _is_folder(output):
        fail(f"--format {fmt} writes one file: give a file name, not the folder {output}", code=2)
    from annotations.errors import NotFoundError

    with obj.store() as store:
        if article_ref is not None:
            try:
                articles = [store.find_article(article_ref)]
            except NotFoundError as error:
                fail(str(error))
        elif fmt == "json":
            articles = store.list_articles()
        else:
            articles = [a for a in store.list_articles() if a.annotation_count]
        try:
            if fmt == "markdown":
                _export_markdown(store, articles, output, everything=article_ref is None)
            else:
                _export_file(store, articles, fmt, output, raw_csv=raw_csv)
        except BrokenPipeError:
            raise
        except OSError as error:
            fail(f"cannot write {output}: {error.strerror or error}")


def _is_folder(output: str) -> bool:
    return Path(output).expanduser().is_dir() or output.endswith(("/", os.sep))


def _export_markdown(
    store: AnnotationStore, articles: Sequence[Article], output: str, *, everything: bool
) -> None:
    from annotations.export import article_markdown, export_markdown_folder
    from annotations.files import write_text_atomic

    if output == "-":
        echo_document("\n".join(article_markdown(store, a) for a in articles))
        return
    target = Path(output).expanduser()
    if _is_folder(output) or not target.suffix:
        if sys.stderr.isatty() and len(articles) > 1:
            with progress_bar(len(articles), "Exporting") as bar:

                def advance(article: Article, total: int) -> None:
                    bar.length = total  # earlier exports brought up to date count too
                    bar.update(1, article.title)

                done = export_markdown_folder(
                    store, target, articles, update_earlier=everything, on_article=advance
                )
        else:
            done = export_markdown_folder(store, target, articles, update_earlier=everything)
        click.echo(safe_text(done.line(target)), err=True)
    elif len(articles) == 1:
        write_text_atomic(target, article_markdown(store, articles[0]))
        click.echo(f"exported 1 article to {safe_text(str(target))}", err=True)
    else:
        fail(
            f"{len(articles)} articles do not fit in one file: "
            "give a folder (-o DIR/) or one article (--article ID)",
            code=2,
        )


def _export_file(
    store: AnnotationStore,
    articles: Sequence[Article],
    fmt: str,
    output: str,
    *,
    raw_csv: bool = False,
) -> None:
    """Write a JSON, CSV or W3C export to a file (atomically) or to stdout, piece by piece."""
    from annotations.export import iter_csv, iter_json, iter_w3c
    from annotations.files import write_chunks_atomic

    if fmt == "json":
        chunks = iter_json(store, articles, store.clock())
    elif fmt == "csv":
        chunks = iter_csv(store, articles, neutralise=not raw_csv)
    else:
        chunks = iter_w3c(store, articles, store.clock())
    if output == "-":
        for chunk in chunks:
            echo_document(chunk)
        return
    target = Path(output).expanduser()
    write_chunks_atomic(target, chunks)
    click.echo(f"exported {plural(len(articles), 'article')} to {safe_text(str(target))}", err=True)


def _find_article(store: AnnotationStore, reference: str) -> Article:
    """The article a command names by id or id prefix; a one-line error if none (or several)."""
    from annotations.errors import NotFoundError

    try:
        return store.find_article(reference)
    except NotFoundError as error:
        fail(str(error))


def _quoted(title: str) -> str:
    """A title in a sentence: on one line, made safe, in double quotes."""
    return f'"{_one_line(title)}"'


@cli.command("delete")
@db_option
@click.argument("ids", nargs=-1, required=True, metavar="ID...")
@click.pass_obj
def delete_command(obj: Context, ids: Sequence[str]) -> None:
    """Delete articles to the trash, with their text, annotations and reading position.

    ID is an article's id or the start of it (as `reader list` shows), or an
    annotation's id. Nothing is deleted if one of them is unknown. Prints what went to
    the trash and how to bring it back: `reader undelete ID`. The trash keeps them for
    30 days, or until `reader trash --empty`.
    """
    from annotations.errors import NotFoundError
    from annotations.trash import TRASH_DAYS, delete_annotation, delete_article

    with obj.store() as store:
        articles: dict[str, Article] = {}
        annotations: dict[str, str] = {}
        for reference in ids:
            try:
                article = store.find_article(reference)
            except NotFoundError as error:
                try:
                    annotation = store.get_annotation(reference.strip())
                except NotFoundError:
                    fail(f"{error}; nothing was deleted")
                annotations[annotation.id] = annotation.article_id
                continue
            articles[article.id] = article
        undo = []
        # An annotation first, so that one of an article deleted too goes to the trash on its own.
        for annotation_id in annotations:
            entry = delete_annotation(store, annotation_id)
            click.echo(f"deleted an annotation of {_quoted(entry.title)} to the trash")
            undo.append(entry.item_id[:8])
        for article_id in articles:
            entry = delete_article(store, article_id)
            annotated = (
                f" with {plural(entry.annotations, 'annotation')}" if entry.annotations else ""
            )
            click.echo(
                f"deleted {entry.item_id[:8]} {_quoted(entry.title)}{annotated} to the trash"
            )
            undo.append(entry.item_id[:8])
    click.echo(
        f"undo: reader undelete {' '.join(undo)} (the trash keeps them {TRASH_DAYS} days, "
        "or until 'reader trash --empty')"
    )


@cli.command("undelete")
@db_option
@click.argument("ids", nargs=-1, required=True, metavar="ID...")
@click.pass_obj
def undelete_command(obj: Context, ids: Sequence[str]) -> None:
    """Bring back articles or annotations from the trash, whole, and take them out of it.

    ID is the id (or its start) of an article or annotation in the trash, as `reader
    delete` and `reader trash` show. An article comes back with its text, annotations,
    tags, reading position, archived state and edits, under the same id.
    """
    from annotations.trash import undelete

    with obj.store() as store:
        entries = {}
        for reference in ids:
            entry = store.find_trash_entry(reference)
            entries[entry.item_id] = entry
        # Articles first: an annotation comes back onto its article.
        for entry in sorted(entries.values(), key=lambda item: item.kind != "article"):
            undelete(store, entry.item_id)
            if entry.kind == "article":
                annotated = (
                    f" with {plural(entry.annotations, 'annotation')}" if entry.annotations else ""
                )
                click.echo(f"brought back {entry.item_id[:8]} {_quoted(entry.title)}{annotated}")
            else:
                click.echo(f"brought back an annotation of {_quoted(entry.title)}")


def _age(deleted_at: str, now: datetime) -> str:
    """How long ago a timestamp of the library was, in words (`3 days ago`)."""
    moment = datetime.fromisoformat(deleted_at)
    seconds = max(0, int((now - moment).total_seconds()))
    for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60)):
        if seconds >= size:
            return f"{plural(seconds // size, unit)} ago"
    return "just now"


@cli.command("trash")
@db_option
@json_option
@click.option("--empty", is_flag=True, help="Remove everything in the trash for good.")
@click.pass_obj
def trash_command(obj: Context, as_json: bool, empty: bool) -> None:
    """List what was deleted to the trash, most recent first, or empty it (--empty).

    One line each: kind, id (the start of it), annotations, how long ago, title.
    `reader undelete ID` brings one back. The trash keeps things 30 days.
    """
    from annotations.trash import empty_trash, trash_entries

    with obj.store() as store:
        if empty:
            removed = empty_trash(store)
        else:
            entries = trash_entries(store)
            now = store.clock()
    if empty:
        if as_json:
            echo_json({"removed": removed})
        else:
            click.echo(f"emptied the trash: {plural(removed, 'item')} removed for good")
        return
    if as_json:
        echo_json(
            [
                {
                    "id": entry.item_id,
                    "kind": entry.kind,
                    "article_id": entry.article_id,
                    "title": entry.title,
                    "annotations": entry.annotations,
                    "deleted_at": entry.deleted_at,
                }
                for entry in entries
            ]
        )
        return
    if not entries:
        click.echo("the trash is empty")
        return
    for entry in entries:
        click.echo(
            f"{entry.kind:<10}  {entry.item_id[:8]}  "
            f"{plural(entry.annotations, 'annotation'):>15}  {_age(entry.deleted_at, now):>14}  "
            f"{_one_line(entry.title)}"
        )
    click.echo("reader undelete ID brings one back; reader trash --empty empties it", err=True)


@cli.command("edit")
@db_option
@click.argument("reference", metavar="ID")
@click.option("--title", help="A new title.")
@click.option("--author", help="A new author ('' removes it).")
@click.option("--date", help="A new date: YYYY, YYYY-MM or YYYY-MM-DD ('' removes it).")
@click.option(
    "--tag", "tags", multiple=True, help="The article's tags (repeat for several); replaces them."
)
@click.option("--no-tags", is_flag=True, help="Remove the article's own tags.")
@click.pass_obj
def edit_command(
    obj: Context,
    reference: str,
    title: str | None,
    author: str | None,
    date: str | None,
    tags: Sequence[str],
    no_tags: bool,
) -> None:
    """Edit an article's title, author, date or tags (ID: its id or the start of it).

    Only what is given changes. What is edited here is kept when the article's file
    is imported again: your title wins over the file's.
    """
    if tags and no_tags:
        fail("--tag and --no-tags do not go together (see 'reader edit --help')", code=2)
    if title is None and author is None and date is None and not tags and not no_tags:
        fail(
            "nothing to change: give --title, --author, --date, --tag or --no-tags "
            "(see 'reader edit --help')",
            code=2,
        )
    with obj.store() as store:
        article = _find_article(store, reference)
        try:
            article = store.edit_article(
                article.id,
                title=title,
                author=author,
                date=date,
                tags=tags if tags or no_tags else None,
            )
        except ValueError as error:
            fail(f"{error} (see 'reader edit --help')", code=2)
    details = [
        f"author {_one_line(article.author or '') or '-'}" if author is not None else "",
        f"date {article.date or '-'}" if date is not None else "",
        f"tags {', '.join(map(_one_line, article.tags)) or '-'}" if tags or no_tags else "",
    ]
    shown = "; ".join(detail for detail in details if detail)
    click.echo(
        f"edited {article.id[:8]} {_quoted(article.title)}" + (f": {shown}" if shown else "")
    )


@cli.command("restore")
@db_option
@click.argument("file", type=click.Path(path_type=Path))
@click.option(
    "--max-size",
    "max_mb",
    type=click.IntRange(min=1),
    default=None,
    metavar="MB",
    help="Read a file up to this many megabytes (default 256); checking one takes "
    "several times its size in memory.",
)
@click.pass_obj
def restore_command(obj: Context, file: Path, max_mb: int | None) -> None:
    """Merge a JSON export (`reader export --format json`) into the library.

    Nothing is deleted, and restoring the same file twice does what once did: articles
    and annotations the library lacks are added with their ids; where both have one,
    the version changed last wins. The whole file is checked before anything is
    written; a file over 256 MB is refused unless --max-size allows it. Prints
    `restored: articles added N, updated N, unchanged N; annotations added N,
    updated N, unchanged N`.
    """
    from annotations.errors import StorageError
    from annotations.formats.backup import BackupTooLarge, RestoreError, read_backup
    from annotations.restore import restore

    try:
        backup = read_backup(file.expanduser(), max_mb=max_mb)
    except BackupTooLarge as error:
        needed = "MB" if error.size is None else -(-error.size // 1_000_000)
        fail(f"{file}: {error}; --max-size {needed} reads it, if this computer has the memory")
    except RestoreError as error:
        fail(f"{file}: {error}")
    # A library created by the restore holds just the backup, without the samples.
    with obj.store(samples=False) as store:
        try:
            summary = restore(store, backup)
        except StorageError as error:
            fail(f"{file}: not restored, the library is unchanged ({error})")
    click.echo(summary.line())


def main() -> None:
    """Entry point of the `reader` console script.

    Usage errors are one line on stderr with exit code 2, like every other error.
    """
    from annotations.errors import ReaderError

    try:
        code = cli.main(prog_name="reader", standalone_mode=False)
    except ReaderError as error:
        # The commands say which file or record; anything they did not catch is one line too.
        fail(str(error))
    except click.UsageError as error:
        command = error.ctx.command_path if error.ctx else "reader"
        fail(f"{error.format_message()} (see '{command} --help')", code=2)
    except click.ClickException as error:
        fail(error.format_message(), code=error.exit_code)
    except (KeyboardInterrupt, click.Abort):
        raise SystemExit(130) from None
    except BrokenPipeError:
        # The reader of our output (`| head`) has gone: stop quietly, as other tools do.
        with contextlib.suppress(OSError):
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        raise SystemExit(141) from None
    raise SystemExit(code if isinstance(code, int) else 0)
