"""The article screen, driven headless: each key changes the store as it should."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from textual import events

from annotations.models import Block, BlockKind, Document
from annotations.store import AnnotationStore
from reader.dialogs.confirm import ConfirmDialog
from reader.dialogs.note import NoteDialog
from reader.dialogs.tag import TagDialog
from reader.library import open_library
from reader.screens.article import ArticleScreen
from reader.screens.library import LibraryScreen
from reader.widgets.paragraph_view import ParagraphView
from tests.tui.conftest import AppFactory, article_id, screen_text

SIZE = (100, 30)


def long_document(paragraphs: int) -> Document:
    """A document with many numbered paragraphs."""
    blocks = tuple(
        Block(BlockKind.PARAGRAPH, f"Paragraph {n} says something worth reading, twice over.")
        for n in range(paragraphs)
    )
    return Document(title="A long read", blocks=blocks, source="/books/long.txt")


async def test_an_article_opened_at_start_closes_onto_the_library(
    library: AnnotationStore, make_app: AppFactory
) -> None:
    """`reader open ID` shows the article first; the library is made when it closes."""
    app = make_app(library, open_article=article_id(library, "The Lighthouse"))
    async with app.run_test(size=SIZE) as pilot:
        assert isinstance(app.screen, ArticleScreen)
        assert not any(isinstance(screen, LibraryScreen) for screen in app.screen_stack)
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, LibraryScreen)
        assert len(app.screen_stack) == 2
        assert "The Lighthouse Keeper" in screen_text(app)
        await pilot.press("enter")
        assert isinstance(app.screen, ArticleScreen)


async def test_movement_keys(library: AnnotationStore, make_app: AppFactory) -> None:
    """j/k/arrows, g/G, home/end, space/b and page keys move the cursor."""
    app = make_app(library, open_article=article_id(library, "The Lighthouse"))
    async with app.run_test(size=SIZE) as pilot:
        view = app.screen.query_one(ParagraphView)
        last = len(view.blocks) - 1
        await pilot.press("j", "j", "down", "k")
        assert view.cursor == 2
        await pilot.press("up", "up", "up")
        assert view.cursor == 0
        await pilot.press("G")
        assert view.cursor == last
        await pilot.press("g")
        assert view.cursor == 0
        await pilot.press("end")
        assert view.cursor == last
        await pilot.press("home")
        assert view.cursor == 0
        await pilot.press("space")
        after_page = view.cursor
        assert after_page > 2
        await pilot.press("pagedown")
        assert view.cursor > after_page
        await pilot.press("b", "pageup")
        assert view.cursor == 0


async def test_highlight_survives_restart(
    library: AnnotationStore, library_path: Path, make_app: AppFactory
) -> None:
    """h highlights the cursor's paragraph; the highlight is there after a restart."""
    welcome = article_id(library, "Welcome")
    app = make_app(library, open_article=welcome)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("j", "h")
        view = app.screen.query_one(ParagraphView)
        text = view.blocks[1].text
    library.close()

    [annotation] = open_library(library_path).list_annotations(welcome)
    assert (annotation.anchor.start_block, annotation.anchor.start_offset) == (1, 0)
    assert (annotation.anchor.end_block, annotation.anchor.end_offset) == (1, len(text))
    assert annotation.anchor.exact == text

    reopened = open_library(library_path)
    app = make_app(reopened, open_article=welcome)
    async with app.run_test(size=SIZE) as pilot:
        view = app.screen.query_one(ParagraphView)
        assert [a.id for a in view.annotations_at(1)] == [annotation.id]


async def test_h_on_highlight_removes_it(library: AnnotationStore, make_app: AppFactory) -> None:
    """Pressing h on an existing highlight removes it."""
    welcome = article_id(library, "Welcome")
    app = make_app(library, open_article=welcome)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("h")
        assert len(library.list_annotations(welcome)) == 1
        await pilot.press("h")
        assert library.list_annotations(welcome) == []


async def test_h_shows_the_highlight_it_made_without_reading_them_all_again(
    library: AnnotationStore, make_app: AppFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """h reads the article once (is the text shown still its text?) and shows the
    highlight the library returned, in text order, without reading every annotation."""
    welcome = article_id(library, "Welcome")
    app = make_app(library, open_article=welcome)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("j", "j", "h", "k")
        reads: list[str] = []

        def counted(name: str) -> Callable[..., Any]:
            read = getattr(library, name)

            def call(*args: Any, **kwargs: Any) -> Any:
                reads.append(name)
                return read(*args, **kwargs)

            return call

        for name in ("get_article", "get_blocks", "list_annotations"):
            monkeypatch.setattr(library, name, counted(name))
        await pilot.press("h")
        assert reads == ["get_article"]
        view = app.screen.query_one(ParagraphView)
        monkeypatch.undo()
        assert view.annotations == library.list_annotations(welcome)
        assert [a.anchor.start_block for a in view.annotations] == [1, 2]
        assert "2 annotations" in screen_text(app)


async def test_c_cycles_colour(library: AnnotationStore, make_app: AppFactory) -> None:
    """c gives the highlight under the cursor the next colour, and wraps around."""
    welcome = article_id(library, "Welcome")
    app = make_app(library, open_article=welcome)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("c")
        assert library.list_annotations(welcome) == []
        await pilot.press("h")
        colors = []
        for _ in range(4):
            await pilot.press("c")
            colors.append(library.list_annotations(welcome)[0].color)
        assert colors == ["green", "blue", "pink", "yellow"]


async def test_t_tags_with_completion(library: AnnotationStore, make_app: AppFactory) -> None:
    """t creates a highlight with tags, and completes tags already in the library."""
    welcome = article_id(library, "Welcome")
    library.add_highlight(welcome, (0, 0), (0, 5), tags=["philosophy"])
    app = make_app(library, open_article=welcome)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("j", "t")
        assert isinstance(app.screen, TagDialog)
        await pilot.press(*"idea, philo")
        await pilot.pause()
        await pilot.press("tab")
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, ArticleScreen)
    [tagged] = [a for a in library.list_annotations(welcome) if a.anchor.start_block == 1]
    assert tagged.tags == ("idea", "philosophy")
    on_passages = {tag.name: tag.count for tag in library.list_tags() if tag.count}
    assert on_passages == {"philosophy": 2, "idea": 1}


async def test_t_escape_changes_nothing(library: AnnotationStore, make_app: AppFactory) -> None:
    """Cancelling the tag dialog creates no highlight."""
    welcome = article_id(library, "Welcome")
    app = make_app(library, open_article=welcome)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("t", *"unused", "escape")
        assert isinstance(app.screen, ArticleScreen)
    assert library.list_annotations(welcome) == []


async def test_n_writes_multiline_note(library: AnnotationStore, make_app: AppFactory) -> None:
    """n opens the editor; ctrl+s saves a multi-line note on a new highlight."""
    welcome = article_id(library, "Welcome")
    app = make_app(library, open_article=welcome)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("n")
        assert isinstance(app.screen, NoteDialog)
        await pilot.press(*"First line", "enter", *"second line", "ctrl+s")
        await pilot.pause()
        assert isinstance(app.screen, ArticleScreen)
        [annotation] = library.list_annotations(welcome)
        assert annotation.note == "First line\nsecond line"
        await pilot.press("n")
        await pilot.press("end", *" (edited)", "ctrl+s")
        await pilot.pause()
    assert library.list_annotations(welcome)[0].note == "First line\nsecond line (edited)"


async def test_note_escape_asks_before_discarding(
    library: AnnotationStore, make_app: AppFactory
) -> None:
    """escape on a changed note asks first; n keeps editing, y discards."""
    welcome = article_id(library, "Welcome")
    app = make_app(library, open_article=welcome)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("n", *"draft", "escape")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmDialog)
        await pilot.press("n")
        await pilot.pause()
        assert isinstance(app.screen, NoteDialog)
        await pilot.press("escape")
        await pilot.pause()
        await pilot.press("y")
        await pilot.pause()
        assert isinstance(app.screen, ArticleScreen)
    assert library.list_annotations(welcome) == []


async def test_annotations_are_visible_in_text(
    library: AnnotationStore, make_app: AppFactory
) -> None:
    """Tags and notes show under their passage, and the status counts annotations."""
    welcome = article_id(library, "Welcome")
    library.add_highlight(welcome, (0, 0), (0, 10), tags=["keys", "start"], note="Read this first")
    app = make_app(library, open_article=welcome)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        shown = screen_text(app)
    assert "#keys  #start" in shown
    assert "Read this first" in shown
    assert "1 annotation" in shown and "1 annotations" not in shown


async def test_back_remembers_position(library: AnnotationStore, make_app: AppFactory) -> None:
    """escape and q go back to the library; reopening returns to the same paragraph."""
    story = article_id(library, "The Lighthouse")
    app = make_app(library)
    async with app.run_test(size=SIZE) as pilot:
        app.screen.query_one("ArticleTable").select(story)
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, ArticleScreen)
        await pilot.press(*"jjjjj", "escape")
        await pilot.pause()
        assert not isinstance(app.screen, ArticleScreen)
        assert library.get_article(story).position == 5
        await pilot.press("enter")
        await pilot.pause()
        assert app.screen.query_one(ParagraphView).cursor == 5
        await pilot.press("j", "q")
        await pilot.pause()
        assert library.get_article(story).position == 6


async def test_jump_between_annotations(library: AnnotationStore, make_app: AppFactory) -> None:
    """] and [ move to the next and previous annotated passage."""
    story = article_id(library, "The Lighthouse")
    for block in (3, 10, 20):
        library.add_highlight(story, (block, 0), (block, 4))
    app = make_app(library, open_article=story)
    async with app.run_test(size=SIZE) as pilot:
        view = app.screen.query_one(ParagraphView)
        await pilot.press("right_square_bracket")
        assert view.cursor == 3
        await pilot.press("right_square_bracket", "right_square_bracket")
        assert view.cursor == 20
        await pilot.press("left_square_bracket")
        assert view.cursor == 10


async def test_e_exports_article(
    library: AnnotationStore, make_app: AppFactory, tmp_path: Path
) -> None:
    """e asks where to write, then writes this article's annotations as Markdown."""
    welcome = article_id(library, "Welcome")
    library.add_highlight(welcome, (0, 0), (0, 5), tags=["start"], note="A note")
    app = make_app(library, open_article=welcome)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("e")
        await pilot.pause()
        await pilot.press("enter")
        await pilot.pause()
    written = tmp_path / "exports" / "welcome-to-reader.md"
    text = written.read_text(encoding="utf-8")
    assert text.startswith('---\ntitle: "Welcome to reader"')
    assert "# Welcome to reader" in text
    assert "#start" in text
    assert "A note" in text


async def test_e_again_after_a_title_change_updates_the_same_file(
    library: AnnotationStore, make_app: AppFactory, tmp_path: Path
) -> None:
    """The export dialog offers the file of the earlier export, so no copy is made."""
    doc = Document("First title", (Block(BlockKind.PARAGRAPH, "Some text to mark."),), "/a.txt")
    first = library.import_document(doc).article.id
    library.add_highlight(first, (0, 0), (0, 4))
    folder = tmp_path / "exports"
    for title in ("First title", "A better title"):
        library.import_document(Document(title, doc.blocks, "/a.txt"))
        app = make_app(library, open_article=first)
        async with app.run_test(size=SIZE) as pilot:
            await pilot.press("e")
            await pilot.pause()
            await pilot.press("enter")
            await pilot.pause()

    (written,) = folder.iterdir()
    assert written.name == "first-title.md"
    assert "# A better title" in written.read_text(encoding="utf-8")


async def test_markup_and_escapes_show_literally(
    library: AnnotationStore, make_app: AppFactory
) -> None:
    """Markup and escape sequences in an article are data: shown, never run."""
    hostile = "Press [bold]here[/] or [@click=app.quit]quit[/] \x1b[2J\x1b]0;title\x07 now."
    result = library.import_document(
        Document(title="[red]Hostile[/red]", blocks=(Block(BlockKind.PARAGRAPH, hostile),))
    )
    app = make_app(library, open_article=result.article.id)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("h")
        shown = screen_text(app)
        assert app.is_running
    assert "[red]Hostile[/red]" in shown
    assert "[bold]here[/] or [@click=app.quit]quit[/]" in shown
    assert "\x1b" not in shown
    assert "␛[2J" in shown


async def test_huge_article_opens_and_reaches_end(
    library: AnnotationStore, make_app: AppFactory
) -> None:
    """A 12,000-paragraph article opens, G reaches its last paragraph and shows it."""
    article = library.import_document(long_document(12_000)).article
    app = make_app(library, open_article=article.id)
    async with app.run_test(size=SIZE) as pilot:
        view = app.screen.query_one(ParagraphView)
        await pilot.press("G")
        await pilot.pause()
        assert view.cursor == 11_999
        assert "Paragraph 11999 says" in screen_text(app)
        await pilot.press("k", "h")
    [annotation] = library.list_annotations(article.id)
    assert annotation.anchor.start_block == 11_998


async def test_paging_through_varied_paragraphs(
    library: AnnotationStore, make_app: AppFactory
) -> None:
    """Paging covers a long article of uneven paragraphs in order, end to end and back."""
    blocks = tuple(
        Block(BlockKind.PARAGRAPH, f"P{n} " + "word " * ((n * 37) % 90 + 1)) for n in range(150)
    )
    article = library.import_document(Document(title="Uneven", blocks=blocks)).article
    app = make_app(library, open_article=article.id)
    async with app.run_test(size=SIZE) as pilot:
        view = app.screen.query_one(ParagraphView)
        seen = [view.cursor]
        while view.cursor < 149 and len(seen) < 150:
            await pilot.press("space")
            seen.append(view.cursor)
            assert f"P{view.cursor} " in screen_text(app)
        assert seen == sorted(seen) and seen[-1] == 149
        await pilot.press("G")
        shown = screen_text(app)
        assert "P149 " in shown and "P148 " in shown
        while view.cursor > 0 and len(seen) < 300:
            await pilot.press("b")
            seen.append(view.cursor)
        assert view.cursor == 0
        assert "P0 " in screen_text(app)


async def test_h_asks_before_removing_a_note(
    library: AnnotationStore, make_app: AppFactory
) -> None:
    """h on a highlight with a note asks first; n keeps it, y removes it."""
    welcome = article_id(library, "Welcome")
    library.add_highlight(welcome, (0, 0), (0, 5), note="Years of thought")
    app = make_app(library, open_article=welcome)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("h")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmDialog)
        await pilot.press("n")
        await pilot.pause()
        assert [a.note for a in library.list_annotations(welcome)] == ["Years of thought"]
        await pilot.press("h")
        await pilot.pause()
        await pilot.press("y")
        await pilot.pause()
    assert library.list_annotations(welcome) == []


async def test_note_typed_fast_is_saved_whole(
    library: AnnotationStore, make_app: AppFactory
) -> None:
    """Keys queued just before ctrl+s all reach the note before it is saved."""
    welcome = article_id(library, "Welcome")
    text = "The quick brown fox jumps over the lazy dog. END"
    app = make_app(library, open_article=welcome)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("n")
        await pilot.pause()
        # Posted without waiting, as a fast typist's or a paste's keys arrive.
        for char in text:
            app.post_message(events.Key("space" if char == " " else char, char))
        app.post_message(events.Key("ctrl+s", None))
        await pilot.pause()
        await pilot.pause()
    [annotation] = library.list_annotations(welcome)
    assert annotation.note == text


async def test_opening_scrolls_to_the_remembered_paragraph(
    library: AnnotationStore, make_app: AppFactory
) -> None:
    """An article opened at start (`reader open`) shows its remembered paragraph."""
    story = article_id(library, "The Lighthouse")
    library.set_position(story, 250)
    app = make_app(library, open_article=story)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        view = app.screen.query_one(ParagraphView)
        assert view.cursor == 250
        assert view.blocks[250].text[:30] in screen_text(app)


async def test_paging_a_paragraph_taller_than_the_screen(
    library: AnnotationStore, make_app: AppFactory
) -> None:
    """Paging through a very long paragraph keeps the cursor on what is shown."""
    long_words = " ".join(f"word{n}" for n in range(1500))
    blocks = (
        Block(BlockKind.PARAGRAPH, "Opening line."),
        Block(BlockKind.PARAGRAPH, long_words),
        Block(BlockKind.PARAGRAPH, "Closing line."),
    )
    article = library.import_document(Document(title="Tall", blocks=blocks)).article
    app = make_app(library, open_article=article.id)
    async with app.run_test(size=(80, 24)) as pilot:
        view = app.screen.query_one(ParagraphView)
        await pilot.press("space")
        assert view.cursor == 1
        await pilot.press("space")
        assert view.cursor == 1
        assert "word" in screen_text(app)


async def test_article_changed_by_an_import_is_reloaded(
    library: AnnotationStore, make_app: AppFactory
) -> None:
    """If an import changes the open article, h reloads the text instead of misplacing."""
    first = Document(
        title="Changing",
        blocks=(Block(BlockKind.PARAGRAPH, "Old first."), Block(BlockKind.PARAGRAPH, "Old two.")),
        source="/notes/changing.txt",
    )
    article = library.import_document(first).article
    app = make_app(library, open_article=article.id)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("j")
        changed = Document(
            title="Changing",
            blocks=(Block(BlockKind.PARAGRAPH, "Entirely new text."),),
            source="/notes/changing.txt",
        )
        assert library.import_document(changed).status == "updated"
        await pilot.press("h")
        await pilot.pause()
        assert app.is_running
        assert library.list_annotations(article.id) == []
        assert "Entirely new text." in screen_text(app)
        await pilot.press("h")
    [annotation] = library.list_annotations(article.id)
    assert annotation.anchor.exact == "Entirely new text."


async def test_command_palette_runs_article_actions(
    library: AnnotationStore, make_app: AppFactory
) -> None:
    """ctrl+p offers the screen's own actions by name: typing 'highlight' highlights."""
    welcome = article_id(library, "Welcome")
    app = make_app(library, open_article=welcome)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("ctrl+p")
        await pilot.pause()
        await pilot.press(*"highlight")
        await app.workers.wait_for_complete()  # the palette's search for commands
        await pilot.pause()
        await pilot.press("enter")
        await pilot.pause()
    assert len(library.list_annotations(welcome)) == 1


async def test_e_into_a_new_folder_and_without_annotations(
    library: AnnotationStore, make_app: AppFactory, tmp_path: Path
) -> None:
    """A path ending in / is a folder for <slug>.md; an unannotated article is not exported."""
    welcome = article_id(library, "Welcome")
    story = article_id(library, "The Lighthouse")
    library.add_highlight(welcome, (0, 0), (0, 5))
    app = make_app(library, open_article=welcome)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("e")
        await pilot.pause()
        field = app.screen.query_one("Input")
        field.value = f"{tmp_path}/vault/"
        await pilot.press("enter")
        await pilot.pause()
    assert (tmp_path / "vault" / "welcome-to-reader.md").is_file()

    app = make_app(library, open_article=story)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("e")
        await pilot.pause()
        assert isinstance(app.screen, ArticleScreen)
    assert not (tmp_path / "exports").exists()


async def test_open_at_a_given_paragraph(library: AnnotationStore, make_app: AppFactory) -> None:
    """An article pushed with a block (a search result) opens there, showing it."""
    story = article_id(library, "The Lighthouse")
    app = make_app(library)
    async with app.run_test(size=SIZE) as pilot:
        await app.push_screen(ArticleScreen(story, block=120))
        await pilot.pause()
        view = app.screen.query_one(ParagraphView)
        assert view.cursor == 120
        assert view.blocks[120].text[:30] in screen_text(app)


async def test_opening_at_an_annotation_acts_on_it(
    library: AnnotationStore, make_app: AppFactory
) -> None:
    """Opened at one of two highlights in a paragraph, n edits that one, not the first."""
    welcome = article_id(library, "Welcome")
    first = library.add_highlight(welcome, (0, 0), (0, 5), note="first")
    second = library.add_highlight(welcome, (0, 10), (0, 20), note="second")
    app = make_app(library)
    async with app.run_test(size=SIZE) as pilot:
        await app.push_screen(ArticleScreen(welcome, block=0, annotation_id=second.id))
        await pilot.pause()
        await pilot.press("n", "end", *" edited", "ctrl+s")
        await pilot.pause()
    notes = {a.id: a.note for a in library.list_annotations(welcome)}
    assert notes == {first.id: "first", second.id: "second edited"}


async def test_jump_visits_annotations_in_the_same_paragraph(
    library: AnnotationStore, make_app: AppFactory
) -> None:
    """] visits each of several annotations in one paragraph, and c recolours that one."""
    welcome = article_id(library, "Welcome")
    one = library.add_highlight(welcome, (2, 0), (2, 5))
    two = library.add_highlight(welcome, (2, 0), (2, 9))
    app = make_app(library, open_article=welcome)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("right_square_bracket", "right_square_bracket", "c")
        await pilot.pause()
    colours = {a.id: a.color for a in library.list_annotations(welcome)}
    assert sorted([one.id, two.id])[1] in colours
    assert sorted(colours.values()) == ["green", "yellow"]
    assert colours[sorted([one.id, two.id])[1]] == "green"


def mixed_book(chapters: int) -> Document:
    """A book of many blocks of every kind a book has: parts and chapter headings,
    paragraphs long and short, quotes and lists, ending in a list item."""
    blocks: list[Block] = []
    for chapter in range(chapters):
        if chapter % 10 == 0:
            blocks.append(Block(BlockKind.HEADING, f"Part {chapter // 10 + 1}", 1))
        blocks.append(Block(BlockKind.HEADING, f"Chapter {chapter + 1}", 2))
        for n in range(12):
            words = " ".join(f"w{chapter}x{n}x{i}" for i in range((n * 29 + chapter) % 70 + 3))
            blocks.append(Block(BlockKind.PARAGRAPH, f"{words}."))
            if n % 5 == 2:
                blocks.append(Block(BlockKind.QUOTE, f"A quoted line {chapter}-{n}.", 1))
                blocks.append(Block(BlockKind.QUOTE, f"And a long quoted one {words}.", 1))
            if n % 4 == 3:
                blocks.extend(
                    Block(BlockKind.LIST_ITEM, f"Item {chapter}-{n}-{i} {words[:90]}", 1)
                    for i in range(3)
                )
    blocks.append(Block(BlockKind.LIST_ITEM, "The very last item of the book ends here.", 1))
    return Document(title="A mixed book", blocks=tuple(blocks), source="/books/mixed.epub")


async def test_g_shows_the_end_of_a_book_while_the_end_notice_shows(
    library: AnnotationStore, make_app: AppFactory
) -> None:
    """G scrolls a book of mixed blocks to its very end, and the view stays at its end
    when the notice that the end is reached takes a row from it: the last line shows
    just above the bottom row (the blank line after the text), as without a notice."""
    document = mixed_book(150)
    article = library.import_document(document).article
    app = make_app(library, open_article=article.id)
    async with app.run_test(size=SIZE) as pilot:
        view = app.screen.query_one(ParagraphView)
        rows = view.size.height
        await pilot.press("G")
        for _ in range(10):
            await pilot.pause()
            if view.size.height < rows:
                break
        assert view.size.height < rows, "the end notice takes a row"
        assert view.cursor == len(document.blocks) - 1
        assert view.scroll_offset.y == view.max_scroll_y
        lines = [view.render_line(y).text.rstrip() for y in range(view.size.height)]
        assert lines[-1] == ""
        assert lines[-2].endswith("ends here.")
