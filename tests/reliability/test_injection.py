"""Hostile text never styles, links, runs actions or reaches the terminal as control codes.

One list of hostile strings (Rich/Textual markup, ANSI and OSC escape sequences, C1
controls, bidirectional overrides, other control characters) is put in every place user
data goes: titles, authors, paragraphs, code blocks, tags, notes, file names and paths.
Then every place that shows it is checked:

- the TUI: library table, article screen (header, text, tag and note lines), annotations
  list, search results, the tag, note, tag-filter, rename and confirm dialogs, help, the
  command palette, toasts and the import progress line. What Textual composes for the
  terminal holds no control character and no link or click action from the data, and the
  data is shown literally;
- the CLI, run as a real process: `list`, `search`, `tags` (text and JSON), import errors
  naming hostile files, export messages naming hostile paths, exports to a terminal;
- Markdown export: hostile titles give sane file names inside the chosen folder, and
  passages and notes built from Markdown metacharacters keep the document's structure.
"""

from __future__ import annotations

import csv
import io
import itertools
import json
import os
import pty
import re
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from markdown_it import MarkdownIt
from markdown_it.token import Token
from rich.segment import Segment
from sqlite_utils import Database
from textual.widgets import Input

from annotations import export
from annotations.formats.markdown import _note_markdown
from annotations.models import Article, Block, BlockKind, Document
from annotations.store import AnnotationStore
from reader.app import ReaderApp
from reader.dialogs.confirm import ConfirmDialog
from reader.dialogs.note import NoteDialog
from reader.dialogs.path import PathDialog
from reader.dialogs.rename_tag import RenameTagDialog
from reader.dialogs.tag import TagDialog
from reader.dialogs.tag_filter import TagFilterDialog
from reader.safe import safe_text
from reader.screens.annotations import AnnotationsScreen
from reader.screens.article import ArticleScreen
from reader.screens.help import HelpScreen
from reader.screens.library import LibraryScreen
from reader.screens.search import SearchScreen
from reader.widgets.import_progress import ImportProgress
from tests.conftest import FixedClock
from tests.core.test_export import found_annotations

HOSTILE: dict[str, str] = {
    "markup": "[bold]B[/bold] [/]",
    "click": "[@click=app.quit]Q[/]",
    "link": "[link=https://x.example]L[/link]",
    "variables": "$accent {x} %s [b",
    "ansi": "\x1b[2J\x1b[31mred\x1b[0m",
    "title": "\x1b]0;pwned\x07",
    "clipboard": "\x1b]52;c;cHduZWQ=\x07",
    "hyperlink": "\x1b]8;;https://x.example\x1b\\lnk\x1b]8;;\x1b\\",
    "c1": "\x9b31m\x9d0;t\x9c\x85",
    "bidi": "\u202egnp.exe\u202c\u2066x\u2069\u200f",
    "controls": "a\x00b\x07c\x08d\x7fe\rf",
}
"""Hostile strings by name: each would style, link, run an action or drive the terminal."""

TERMINAL_UNSAFE = re.compile(
    "[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]"
)
"""Characters a terminal obeys (C0 but tab and newline, DEL, C1) or reorders text by."""
SEGMENT_UNSAFE = re.compile("[\t\n]|" + TERMINAL_UNSAFE.pattern)
"""In a rendered segment not even a tab or a newline belongs."""

SIZE = (160, 60)


def shown(value: str) -> str:
    """How a hostile string looks on screen: literally, its controls as visible stand-ins."""
    return safe_text(value)


# TUI ------------------------------------------------------------------------------


def segments(app: ReaderApp) -> Iterator[Segment]:
    """Every segment Textual composes for the terminal from the current screen."""
    for strip in app.screen._compositor.render_strips():
        yield from strip


def screen_lines(app: ReaderApp) -> list[str]:
    """The screen as lines of plain text."""
    return ["".join(s.text for s in strip) for strip in app.screen._compositor.render_strips()]


def injected(app: ReaderApp) -> list[str]:
    """What on screen did not stay plain text: control characters, links, click actions.

    Also renders the whole screen as the terminal would get it, and looks there for any
    escape sequence but the colours and cursor moves Textual writes itself.
    """
    problems = []
    for segment in segments(app):
        if SEGMENT_UNSAFE.search(segment.text):
            problems.append(f"control character in {segment.text!r}")
        style = segment.style
        if style is not None and style.link:
            problems.append(f"link {style.link!r} on {segment.text!r}")
        if style is not None and style.meta and "@click" in style.meta:
            problems.append(f"action {style.meta['@click']!r} on {segment.text!r}")
    update = app.screen._compositor.render_full_update()
    terminal = update.render_segments(app.console)
    ours = re.sub(r"\x1b\[[0-9;]*m|\x1b\[\d+;\d+H", "", terminal)
    if TERMINAL_UNSAFE.search(ours.replace("\n", "")):
        problems.append("escape sequence in the terminal output")
    return problems


def hostile_library(path: Path) -> AnnotationStore:
    """A library whose every title, author, paragraph, code block, tag and note is hostile.

    One article per hostile string, with one highlight on its first paragraph carrying a
    tag and a note made from the string.
    """
    store = AnnotationStore(path, clock=FixedClock(datetime(2026, 3, 1, tzinfo=UTC)))
    for number, (name, value) in enumerate(HOSTILE.items()):
        paragraph = f"Para{number} {value} end."
        document = Document(
            f"T{number} {value}",
            (Block(BlockKind.PARAGRAPH, paragraph), Block(BlockKind.CODE, f"code {value}")),
            source=f"/hostile/{name}.txt",
            author=f"A{number} {value}",
        )
        article = store.import_document(document).article
        store.add_highlight(
            article.id,
            (0, 0),
            (0, len(paragraph)),
            tags=[f"tag{number} {value}"],
            note=f"note{number} {value}",
        )
    return store


@pytest.fixture
def hostile(tmp_path: Path) -> Iterator[AnnotationStore]:
    """The hostile library in a file."""
    store = hostile_library(tmp_path / "hostile.db")
    yield store
    store.close()


def make_app(store: AnnotationStore, tmp_path: Path) -> ReaderApp:
    """The app on a library, exporting into the test's folder."""
    return ReaderApp(store, export_folder=tmp_path / "exports")


def articles_by_number(store: AnnotationStore) -> list[Article]:
    """The hostile articles in the order of `HOSTILE`."""
    return sorted(store.list_articles(), key=lambda a: int(a.title[1:].split(" ", 1)[0]))


async def test_library_and_article_screens_show_hostile_text_literally(
    hostile: AnnotationStore, tmp_path: Path
) -> None:
    """Titles, authors, paragraphs, code, tags and notes are shown as text, nothing else."""
    app = make_app(hostile, tmp_path)
    tried = 0
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await pilot.pause()
        assert isinstance(app.screen, LibraryScreen)
        assert injected(app) == []
        text = "\n".join(screen_lines(app))
        for number, value in enumerate(HOSTILE.values()):
            assert f"T{number} {shown(value)}" in text
            tried += 1
        for number, article in enumerate(articles_by_number(hostile)):
            value = list(HOSTILE.values())[number]
            app.push_screen(ArticleScreen(article.id))
            await pilot.pause()
            assert injected(app) == [], article.title
            text = "\n".join(screen_lines(app))
            for expected in (
                f"T{number} {shown(value)}",
                f"A{number} {shown(value)}",
                f"Para{number} {shown(value)} end.",
                shown(f"note{number} {value}".strip()),  # a note's outer whitespace is not shown
            ):
                assert expected in text, expected
            tried += 5  # title, author, paragraph, note, and the code block and tag lines
            assert "code " in text
        app.pop_screen()
        await pilot.pause()
        assert app.is_running
    assert tried == len(HOSTILE) * 6


async def test_dialogs_show_hostile_text_literally(
    hostile: AnnotationStore, tmp_path: Path
) -> None:
    """The tag and note dialogs (prefilled), confirm, help and the palette stay plain text."""
    # A library from before tags were cleaned may hold control characters in a tag.
    hostile.db.execute("UPDATE tags SET name = ? WHERE name LIKE 'tag4 %'", ["tag4 \x1b]0;x\x07"])
    tags = [tag.name for tag in hostile.list_tags()]
    app = make_app(hostile, tmp_path)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        article = articles_by_number(hostile)[4]
        app.push_screen(ArticleScreen(article.id))
        await pilot.pause()
        for key, dialog in (("t", TagDialog), ("n", NoteDialog), ("h", ConfirmDialog)):
            await pilot.press(key)
            await pilot.pause()
            assert isinstance(app.screen, dialog)
            assert injected(app) == [], dialog
            await pilot.press("escape")
            await pilot.pause()
        app.push_screen(TagDialog(tags, tags))
        await pilot.pause()
        assert injected(app) == []
        app.pop_screen()
        # One note holding every hostile string, one a line; the passage holds them too.
        lines = [f"note{number} {value}" for number, value in enumerate(HOSTILE.values())]
        note, saved = "\n".join(lines), []
        app.push_screen(NoteDialog(note, " ".join(HOSTILE.values())), saved.append)
        await pilot.pause()
        assert injected(app) == []
        text = "\n".join(screen_lines(app))
        for line in lines:
            assert shown(line) in text
        # Saving without an edit keeps the note exactly as it was.
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert saved == [note]
        await pilot.press("question_mark")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        assert injected(app) == []
        await pilot.press("escape")
        await pilot.press("ctrl+p")
        await pilot.pause()
        assert injected(app) == []
        await pilot.press("escape")
        await pilot.pause()
        assert app.is_running


async def test_annotations_search_and_tag_dialogs_show_hostile_text_literally(
    hostile: AnnotationStore, tmp_path: Path
) -> None:
    """The annotations list, its tag filter, rename dialog and search results stay text."""
    app = make_app(hostile, tmp_path)
    values = list(HOSTILE.values())
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        app.push_screen(AnnotationsScreen())
        await pilot.pause()
        assert injected(app) == []
        text = "\n".join(screen_lines(app))
        for number, value in enumerate(values):
            # The list shows each passage and note on one line: whitespace runs as one space.
            assert shown(" ".join(f"Para{number} {value} end.".split())) in text
            first_line = f"note{number} {value}".splitlines()[0]
            assert shown(" ".join(first_line.split())) in text
        await pilot.press("f")
        await pilot.pause()
        assert isinstance(app.screen, TagFilterDialog)
        assert injected(app) == []
        await pilot.press("escape")
        await pilot.pause()
        app.push_screen(RenameTagDialog(hostile.list_tags(), hostile.list_tags()[0].name))
        await pilot.pause()
        dialog = app.screen
        assert isinstance(dialog, RenameTagDialog)
        for tag in hostile.list_tags():
            dialog.old_input.value = tag.name
            dialog.new_input.value = tag.name + " [b]new"
            await pilot.pause()
            assert injected(app) == [], tag.name
            assert "will be renamed" in str(dialog.preview.content)
        await pilot.press("escape")
        await pilot.pause()
        await pilot.press("d")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmDialog)
        assert injected(app) == []
        await pilot.press("n")
        app.pop_screen()
        app.push_screen(SearchScreen("end"))
        await pilot.pause()
        assert injected(app) == []
        text = "\n".join(screen_lines(app))
        for number, value in enumerate(values):
            assert f"T{number} {shown(value)}" in text
            assert f"Para{number}" in text
        await pilot.pause()
        assert app.is_running


def hostile_file_name(value: str) -> str:
    """A hostile string as a file name (no slash, no NUL: a file system forbids them)."""
    return value.replace("/", "∕").replace("\x00", "")


async def test_toasts_and_progress_show_hostile_file_names_literally(
    hostile: AnnotationStore, tmp_path: Path
) -> None:
    """Import failures, the progress line, export and find messages name hostile things."""
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    for value in HOSTILE.values():
        (inbox / f"{hostile_file_name(value)}.txt").write_bytes(b"")  # empty: fails
    app = make_app(hostile, tmp_path)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        screen = app.screen
        assert isinstance(screen, LibraryScreen)
        progress = screen.query_one(ImportProgress)
        for value in HOSTILE.values():
            progress.begin(str(inbox / hostile_file_name(value)))
            assert injected(app) == []
            progress.advance(1, 2, hostile_file_name(value))
            await pilot.pause()
            assert injected(app) == []
        progress.finish()
        screen.start_import(inbox)
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert any("\n11 could not be imported: " in n.message for n in app._notifications)
        assert injected(app) == []
        app.clear_notifications()

        app.push_screen(ArticleScreen(articles_by_number(hostile)[0].id))
        await pilot.pause()
        # Every hostile string in one path and one search: each toast names them all.
        for value in ["".join(HOSTILE.values())]:
            await pilot.press("e")
            await pilot.pause()
            assert isinstance(app.screen, PathDialog)
            target = tmp_path / "out" / f"{hostile_file_name(value)}.md"
            app.screen.query_one(Input).value = str(target)
            await pilot.press("enter")
            await pilot.pause()
            assert target.is_file()
            app.screen.query_one("#find", Input).value = f"missing {value}"
            await pilot.press("slash", "enter")
            await pilot.pause()
            assert injected(app) == []
            texts = [f"{n.title} {n.message}" for n in app._notifications]
            assert any(text.startswith("Export Exported 1 annotation to") for text in texts)
            assert any(text.startswith(" Not found: missing") for text in texts)
            app.clear_notifications()
        assert app.is_running


async def test_clicking_a_click_markup_in_the_data_runs_nothing(
    hostile: AnnotationStore, tmp_path: Path
) -> None:
    """A click on `[@click=app.quit]` shown in the library and an article quits nothing."""
    app = make_app(hostile, tmp_path)
    needle = HOSTILE["click"]
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await pilot.pause()
        for _ in range(2):
            (row,) = [y for y, line in enumerate(screen_lines(app)) if needle in line][:1]
            column = screen_lines(app)[row].index(needle) + 2
            await pilot.click(offset=(column, row))
            await pilot.pause()
            assert app.is_running
            if isinstance(app.screen, LibraryScreen):
                await pilot.press("enter")  # into the article, to click its text too
                await pilot.pause()
        assert app.is_running


# CLI ------------------------------------------------------------------------------


def run_cli(
    *args: str | Path, db: Path, cwd: Path | None = None
) -> subprocess.CompletedProcess[str]:
    """Run `python -m reader` as a real process on a library, capturing its output."""
    env = os.environ.copy()
    env["READER_DB"] = str(db)
    return subprocess.run(
        [sys.executable, "-m", "reader", *map(str, args)],
        capture_output=True,
        text=True,
        encoding="utf-8",
        env=env,
        cwd=cwd,
        timeout=60,
    )


def terminal_unsafe(text: str) -> list[str]:
    """The characters in text that a terminal would obey or reorder by."""
    return TERMINAL_UNSAFE.findall(text)


@pytest.fixture
def hostile_db(tmp_path: Path) -> Path:
    """The hostile library's file, closed."""
    hostile_library(tmp_path / "cli.db").close()
    return tmp_path / "cli.db"


@pytest.mark.parametrize(
    "command",
    [
        ("list",),
        ("list", "--json"),
        ("search", "para0", "OR", "para1"),
        ("search", "end", "--json"),
        ("search", "note0"),
        ("tags",),
        ("tags", "--json"),
    ],
)
def test_cli_listings_send_no_control_characters(hostile_db: Path, command: tuple[str]) -> None:
    """Listings and searches of hostile data reach the terminal as plain text."""
    result = run_cli(*command, db=hostile_db)
    assert result.returncode == 0, result.stderr
    assert terminal_unsafe(result.stdout + result.stderr) == []
    if "--json" in command and command[0] != "tags":  # tag names drop control characters
        data = json.loads(result.stdout)
        assert "\x9b31m\x9d0;t\x9c" in json.dumps(data, ensure_ascii=False)


def test_cli_list_shows_every_hostile_title_literally(hostile_db: Path) -> None:
    """`reader list` shows each title with its controls as visible stand-ins."""
    listed = run_cli("list", db=hostile_db).stdout
    for number, value in enumerate(HOSTILE.values()):
        assert shown(" ".join(f"T{number} {value}".split())) in listed


def test_cli_import_errors_name_hostile_files_safely(hostile_db: Path, tmp_path: Path) -> None:
    """Each failed file is named on its own line with its controls made visible."""
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    for value in HOSTILE.values():
        (inbox / f"{hostile_file_name(value)}.txt").write_bytes(b"")
    missing = f"missing {HOSTILE['title']}.txt"

    result = run_cli("import", inbox, missing, db=hostile_db)

    assert result.returncode == 1
    assert terminal_unsafe(result.stdout + result.stderr) == []
    errors = result.stderr.splitlines()
    assert len(errors) == len(HOSTILE) + 1
    assert all(line.startswith("reader: ") for line in errors)
    assert f"reader: missing {shown(HOSTILE['title'])}.txt: no such file or folder" in errors
    assert result.stdout.strip() == f"imported 0, updated 0, unchanged 0, failed {len(errors)}"


def test_cli_export_messages_name_hostile_paths_safely(hostile_db: Path, tmp_path: Path) -> None:
    """Export messages and errors naming hostile paths reach the terminal as text."""
    name = "".join(map(hostile_file_name, HOSTILE.values()))
    folder = tmp_path / f"dir {name}"
    outcomes = []
    for args in (
        ("export", "-o", f"{folder}/"),
        ("export", "--format", "csv", "-o", folder / "all.csv"),
        ("export", "--article", f"nope{name}"),
        ("open", f"nope{name}"),
    ):
        result = run_cli(*args, db=hostile_db)
        assert terminal_unsafe(result.stdout + result.stderr) == [], args
        assert result.stderr.count("\n") == 1, args  # one line, whatever the path holds
        outcomes.append(result.returncode)
    assert outcomes == [0, 0, 1, 1]
    assert len(list(folder.glob("*.md"))) == len(HOSTILE)
    assert (folder / "all.csv").is_file()


@pytest.mark.parametrize("fmt", ["markdown", "csv", "w3c", "json"])
def test_cli_export_to_a_terminal_sends_no_control_characters(hostile_db: Path, fmt: str) -> None:
    """An export printed on a terminal shows controls as stand-ins; piped it is exact."""
    env = os.environ.copy()
    env["READER_DB"] = str(hostile_db)
    main, child = pty.openpty()
    try:
        process = subprocess.Popen(
            [sys.executable, "-m", "reader", "export", "--format", fmt],
            stdout=child,
            stderr=subprocess.PIPE,
            env=env,
        )
        os.close(child)
        output = bytearray()
        while True:
            try:
                chunk = os.read(main, 65536)
            except OSError:  # the other end closed
                break
            if not chunk:
                break
            output += chunk
        assert process.wait(timeout=60) == 0
    finally:
        os.close(main)
    text = output.decode("utf-8").replace("\r\n", "\n")  # the terminal's own line ends
    assert terminal_unsafe(text) == []
    if fmt == "csv":
        assert "␛[2J" in text


def test_cli_csv_export_piped_keeps_the_data_exactly(hostile_db: Path) -> None:
    """Piped, an export is data: the notes come out exactly as stored (escapes and all)."""
    result = run_cli("export", "--format", "csv", db=hostile_db)
    rows = list(csv.DictReader(io.StringIO(result.stdout, newline="")))
    notes = [row["Note"].rsplit("\n", 1)[-1] for row in rows]  # after the tag line
    expected = [f"note{number} {value}" for number, value in enumerate(HOSTILE.values())]
    # Readwise's Note column takes line breaks as \n, so a lone \r becomes one.
    assert sorted(notes) == sorted(
        note.replace("\r", "\n").rsplit("\n", 1)[-1].strip() for note in expected
    )


def test_cli_markdown_export_piped_holds_no_control_characters(hostile_db: Path) -> None:
    """A Markdown export keeps no control character from the text: nothing to obey."""
    result = run_cli("export", db=hostile_db)
    assert result.returncode == 0
    assert re.findall("[\x00-\x08\x0b-\x1f\x7f-\x9f]", result.stdout) == []
    assert result.stdout.count("\n# T") == len(HOSTILE)


# Export file names ----------------------------------------------------------------

HOSTILE_TITLES = [
    "../../etc/passwd",
    "/etc/passwd",
    "",
    "...",
    "   ",
    "CON",
    "nul",
    "a" * 1000,
    "🐙🐙",
    "مرحبا بالعالم",
    "a\x00b\x1b[31mc\x07",
    "name.md/../x",
    ".hidden",
    "\u202egnp.exe",
    *HOSTILE.values(),
]
"""Titles that would make dangerous, empty, reserved, huge or unreadable file names."""

WINDOWS_RESERVED = {"con", "prn", "aux", "nul"} | {
    f"{p}{n}" for p in ("com", "lpt") for n in range(10)
}


def test_hostile_titles_export_to_sane_names_inside_the_folder(tmp_path: Path) -> None:
    """Every article gets its own readable file inside the folder, twice in a row."""
    store = AnnotationStore(Database(memory=True), clock=FixedClock())
    for number, title in enumerate(HOSTILE_TITLES):
        block = Block(BlockKind.PARAGRAPH, f"Text number {number}.")
        article = store.import_document(Document(title, (block,), f"/t/{number}.txt")).article
        store.add_highlight(article.id, (0, 0), (0, 4))
    folder = tmp_path / "out" / "notes"
    articles = store.list_articles()

    first = export.export_markdown_folder(store, folder, articles)
    again = export.export_markdown_folder(store, folder, articles, update_earlier=True)

    assert len(first.new) == len(HOSTILE_TITLES)
    assert sorted(again.unchanged) == sorted(first.new)
    everything = sorted(p for p in tmp_path.rglob("*") if p.is_file())
    assert everything == sorted(first.new)
    names = [path.name for path in first.new]
    assert len({name.casefold() for name in names}) == len(names)
    for path in first.new:
        assert path.parent == folder
        stem = path.name.removesuffix(".md")
        assert path.suffix == ".md" and stem, path.name
        assert len(path.name.encode("utf-8")) <= 255
        assert re.fullmatch(r"[a-z0-9][a-z0-9-]*", stem), path.name
        assert stem not in WINDOWS_RESERVED


def test_cli_exports_hostile_titles_inside_the_folder(tmp_path: Path) -> None:
    """The same through `reader export -o DIR/`, run as a real process."""
    db = tmp_path / "titles.db"
    store = AnnotationStore(db)
    for number, title in enumerate(HOSTILE_TITLES):
        block = Block(BlockKind.PARAGRAPH, f"Text number {number}.")
        article = store.import_document(Document(title, (block,), f"/t/{number}.txt")).article
        store.add_highlight(article.id, (0, 0), (0, 4))
    store.close()
    work = tmp_path / "work"
    work.mkdir()

    result = run_cli("export", "-o", "notes/", db=db, cwd=work)

    assert result.returncode == 0, result.stderr
    files = sorted(p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*.md"))
    assert len(files) == len(HOSTILE_TITLES)
    assert all(name.startswith("work/notes/") and name.count("/") == 2 for name in files)


def test_tag_names_drop_control_characters() -> None:
    """A tag from an import or a restore keeps its letters, never its escape sequences."""
    store = AnnotationStore(Database(memory=True), clock=FixedClock())
    article = store.import_document(Document("t", (Block(BlockKind.PARAGRAPH, "abc"),))).article
    tags = [f"tag{number} {value}" for number, value in enumerate(HOSTILE.values())]

    annotation = store.add_highlight(article.id, (0, 0), (0, 3), tags=tags)

    assert len(annotation.tags) == len(HOSTILE)
    for tag in annotation.tags:
        assert safe_text(tag) == tag, tag
    assert "tag4 [2J[31mred[0m" in annotation.tags
    assert "tag1 [@click=app.quit]Q[/]" in annotation.tags


def test_markdown_export_of_hostile_titles_and_code_reads_back() -> None:
    """Front matter that YAML accepts whatever the title holds; code quoted without controls."""
    import yaml

    store = AnnotationStore(Database(memory=True), clock=FixedClock())
    title = "C1 \x9b31m and DEL \x7f, NEL \x85 line \u2028 and \ufffe end"
    code = Block(BlockKind.CODE, "print('\x1b[2J')\n\x9b31m\tx = 1")
    article = store.import_document(Document(title, (code,))).article
    store.add_highlight(article.id, (0, 0), (0, len(code.text)))

    document = export.article_markdown(store, store.get_article(article.id))

    front = document.split("\n---\n", 1)[0].removeprefix("---\n")
    assert yaml.safe_load(front)["title"] == " ".join(title.split())
    assert re.findall("[\x00-\x08\x0b-\x1f\x7f-\x9f]", document) == []
    assert "> print('[2J')\n> 31m\tx = 1\n" in document


# Markdown structure -----------------------------------------------------------------

FRAGMENTS = [
    "---",
    "***",
    "# ",
    "## x",
    "```",
    "~~~",
    "`",
    "> ",
    ">",
    "<div>",
    "</div>",
    "<!--",
    "-->",
    "<script>alert(1)</script>",
    "- ",
    "* ",
    "+ ",
    "1. ",
    "2) ",
    "|",
    "| a | b |",
    "[x](http://e.example)",
    "![i](i.png)",
    "[[link]]",
    "^block",
    "==mark==",
    "%%c%%",
    "*",
    "_",
    "\\",
    "&amp;",
    "&#35;",
    "    ",
    "\t",
    "=",
    "$$",
    "\n",
    "\n\n",
    "\r\n",
    " ",
    "word",
    "é",
    "#tag",
    "{{x}}",
    "\x1b[31m",
    "\x9b",
    "\x7f",
    "\x00",
    "\x85",
    "\u2028",
    "\u202e",
]
"""Pieces of Markdown syntax a passage or note may hold, with words and line breaks."""

markdownish = st.lists(st.sampled_from(FRAGMENTS), min_size=1, max_size=12).map("".join)
"""Text built from Markdown metacharacters."""

MD_SETTINGS = settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)


def plain(text: str) -> str:
    """Text as a comparison sees it: whitespace runs as one space, controls dropped."""
    text = re.sub(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]", "", text)
    return " ".join(text.split())


def inline_text(tokens: list[Token]) -> str:
    """The plain text of a run of tokens: inline text, code, breaks, and fenced code."""
    parts = []
    for token in tokens:
        if token.type == "inline":
            parts.append(inline_text(token.children or []))
        elif token.type in ("text", "code_inline", "html_inline"):
            parts.append(token.content)
        elif token.type in ("softbreak", "hardbreak"):
            parts.append("\n")
        elif token.type in ("fence", "code_block"):
            parts.append(" " + token.content + " ")
        elif token.type in ("paragraph_close", "heading_close"):
            parts.append("\n")
    return "".join(parts)


def top_level(tokens: list[Token]) -> list[tuple[str, list[Token]]]:
    """The top-level blocks of a document: (kind, tokens inside it)."""
    blocks: list[tuple[str, list[Token]]] = []
    index = 0
    while index < len(tokens):
        token = tokens[index]
        if token.nesting == 1:
            depth, end = 1, index + 1
            while depth:
                depth += tokens[end].nesting
                end += 1
            blocks.append((token.type.removesuffix("_open"), tokens[index + 1 : end - 1]))
            index = end
        else:
            blocks.append((token.type, [token]))
            index += 1
    return blocks


@MD_SETTINGS
@given(
    st.lists(
        st.tuples(markdownish, markdownish, st.sampled_from(list(BlockKind))),
        min_size=1,
        max_size=4,
    ),
    markdownish,
)
@example(  # a chapter title with a NEL (U+0085): dropped, as in the quote
    [("---", "---", BlockKind.HEADING), ("---\x85---", "---", BlockKind.HEADING)], "---"
)
def test_markdown_export_keeps_one_quote_per_annotation(
    items: list[tuple[str, str, BlockKind]], title: str
) -> None:
    """A Markdown parser sees one block quote per annotation, holding exactly its passage.

    After each quote come its tags line and its note; the only headings are the title
    and, when the text has two headings or more (its chapters), each of them as written,
    and the front matter reads back (with a YAML parser) as the title.
    """
    blocks = tuple(
        Block(kind, f"w{number} {passage} z{number}")
        for number, (passage, _, kind) in enumerate(items)
    )
    store = AnnotationStore(Database(memory=True), clock=FixedClock())
    article = store.import_document(Document(title or "t", blocks, "/m.md")).article
    for number, (_, note, _) in enumerate(items):
        store.add_highlight(
            article.id, (number, 0), (number, len(blocks[number].text)), note=note, tags=["x"]
        )
    annotations = store.list_annotations(article.id)

    document = export.article_markdown(store, store.get_article(article.id))

    front, body = document.split("\n---\n", 1)
    tokens = MarkdownIt("commonmark").enable("table").parse(body)
    parsed = top_level(tokens)
    # An annotation's quote is followed by its block id (a note, being Markdown, may quote).
    quotes = [
        inner
        for (kind, inner), (after, id_line) in itertools.pairwise(parsed)
        if kind == "blockquote"
        and after == "paragraph"
        and re.fullmatch(r"\^[\w-]+", inline_text(id_line).strip())
    ]
    assert len(quotes) == len(annotations) == len(items)
    chapters = [plain(block.text) for block in blocks if block.kind is BlockKind.HEADING]
    headings = [plain(inline_text(inner)) for kind, inner in parsed if kind == "heading"]
    assert headings[1:] == (chapters if len(chapters) >= 2 else [])
    for annotation, quote in zip(annotations, quotes, strict=True):
        assert plain(inline_text(quote)) == plain(annotation.anchor.exact)
    # After each quote: its block id, its tags line, then its note as written.
    texts = [plain(inline_text(inner)) for _, inner in parsed]
    _, found = found_annotations(document)
    for annotation, where in zip(annotations, found, strict=True):
        assert f"#x · colour: {annotation.color}" in texts
        assert where.note == _note_markdown(annotation.note)
    import yaml

    meta = yaml.safe_load(front.removeprefix("---\n"))
    assert meta["title"] == " ".join((title or "t").split())
