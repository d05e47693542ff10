"""Deleting, bringing back, editing, archiving and tagging articles from the TUI, driven
headless on a library file: each key changes the library through the store, and the
screens show the change at once."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path

import pytest
from rich.cells import cell_len
from textual.widgets import Input, TextArea

from annotations import trash
from annotations.errors import NotFoundError
from annotations.models import Block, BlockKind, Document
from annotations.store import AnnotationStore
from reader.app import ReaderApp
from reader.dialogs.confirm import ConfirmDialog
from reader.dialogs.edit_article import EditArticleDialog
from reader.dialogs.note import NoteDialog
from reader.dialogs.tag_filter import TagFilterDialog
from reader.screens.annotations import AnnotationsScreen
from reader.screens.article import ArticleScreen
from reader.screens.help import HelpScreen
from reader.screens.library import LibraryScreen
from reader.widgets.annotation_list import AnnotationList
from reader.widgets.article_table import ArticleTable
from tests.tui.conftest import AppFactory, article_id, bar_keys, screen_text, toasts

SIZE = (160, 30)
"""Wide enough for every library key in the bar."""


def harbour(paragraphs: int = 6, title: str = "Harbour notes") -> Document:
    """A document of numbered paragraphs from one source."""
    return Document(
        title=title,
        blocks=tuple(
            Block(BlockKind.PARAGRAPH, f"Paragraph {n} of the harbour notes, about ships.")
            for n in range(paragraphs)
        ),
        source="/notes/harbour.md",
    )


def annotated(store: AnnotationStore) -> str:
    """An article with two annotations (tags, a note), a reading position and tags of
    its own, imported last (so first in the list); returns its id."""
    article = store.import_document(harbour()).article
    store.add_highlight(article.id, (1, 0), (1, 9), tags=["ships"], note="Count them")
    store.add_highlight(article.id, (3, 0), (3, 9), color="green")
    store.set_position(article.id, 4)
    store.edit_article(article.id, tags=["sea", "logbook"])
    return article.id


def row_of(app: ReaderApp, title: str) -> str:
    """The line of the screen that shows an article's title."""
    return next(line for line in screen_text(app).splitlines() if title in line)


def table(app: ReaderApp) -> ArticleTable:
    return app.screen.query_one(ArticleTable)


def summary(app: ReaderApp) -> str:
    return screen_text(app).splitlines()[0]


def listed(app: ReaderApp) -> str:
    """The lines of the screen that the list of articles takes (not the notices)."""
    region = table(app).region
    return "\n".join(screen_text(app).splitlines()[region.y : region.bottom])


# Delete and undo --------------------------------------------------------------------


async def test_d_asks_naming_the_article_and_its_annotations_and_n_keeps_it(
    library: AnnotationStore, make_app: AppFactory
) -> None:
    """d asks first, naming the article and how many annotations go with it; n (and
    escape) keep it."""
    harbour_id = annotated(library)
    app = make_app(library)
    async with app.run_test(size=SIZE) as pilot:
        assert table(app).selected_id == harbour_id
        await pilot.press("d")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmDialog)
        shown = screen_text(app)
        assert "Delete “Harbour notes” and its 2 annotations?" in shown
        assert "It goes to the trash: u right after brings it back whole." in shown
        await pilot.press("n")
        await pilot.pause()
        assert isinstance(app.screen, LibraryScreen)
        await pilot.press("delete", "escape")
        await pilot.pause()
        assert library.get_article(harbour_id).annotation_count == 2
        assert "Harbour notes" in screen_text(app)
        assert "u" not in bar_keys(app)  # nothing to undo
        # An article without annotations says so.
        await pilot.press("j", "d")
        await pilot.pause()
        assert "(no annotations)?" in screen_text(app)
        await pilot.press("n")


async def test_d_then_u_brings_the_article_back_whole(
    library: AnnotationStore, make_app: AppFactory
) -> None:
    """y deletes to the trash: the row goes, the library no longer has it; u right after
    brings it back with the same id, text, annotations (tags, notes, colours), position
    and tags, shown and selected in the list."""
    harbour_id = annotated(library)
    before = library.get_article(harbour_id)
    annotations_before = library.list_annotations(harbour_id)
    blocks_before = library.get_blocks(harbour_id)
    total = library.count_articles()
    app = make_app(library)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("d", "y")
        await pilot.pause()
        assert isinstance(app.screen, LibraryScreen)
        with pytest.raises(NotFoundError):
            library.get_article(harbour_id)
        assert library.list_annotations(harbour_id) == []
        assert [entry.item_id for entry in trash.trash_entries(library)] == [harbour_id]
        assert "Harbour notes" not in listed(app)
        assert table(app).row_count == total - 1
        assert "Deleted “Harbour notes” · u brings it back" in toasts(app)[-1]
        assert bar_keys(app)["u"] == ("Undo", True)

        await pilot.press("u")
        await pilot.pause()
        after = library.get_article(harbour_id)
        assert (after.title, after.position, after.tags) == (before.title, 4, before.tags)
        assert library.get_blocks(harbour_id) == blocks_before
        assert library.list_annotations(harbour_id) == annotations_before
        assert trash.trash_entries(library) == []
        assert table(app).row_count == total
        assert table(app).selected_id == harbour_id
        assert "Harbour notes" in row_of(app, "Harbour notes")
        assert "Brought back “Harbour notes”" in toasts(app)[-1]
        assert "u" not in bar_keys(app)  # one delete, one undo


async def test_u_undoes_deletes_newest_first(
    library: AnnotationStore, make_app: AppFactory
) -> None:
    """Two deletes, two u: the articles come back in the reverse order."""
    ids = [article.id for article in library.list_articles()]  # as the list shows them
    first, second = ids[0], ids[1]
    app = make_app(library)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("d", "y")
        await pilot.pause()
        await pilot.press("d", "y")
        await pilot.pause()
        assert {first, second}.isdisjoint(a.id for a in library.list_articles())
        await pilot.press("u")
        await pilot.pause()
        assert table(app).selected_id == second
        await pilot.press("u")
        await pilot.pause()
        assert table(app).selected_id == first
        assert len(library.list_articles()) == len(ids)


# Edit --------------------------------------------------------------------------------


async def test_E_edits_title_author_date_and_tags_shown_at_once_and_kept_on_reimport(
    file_store: AnnotationStore, make_app: AppFactory
) -> None:
    """E opens one dialog with the four fields; enter saves them through the store, the
    row shows the new title, date and tags at once, and a re-import of the same
    (changed) source keeps the reader's title."""
    harbour_id = file_store.import_document(harbour()).article.id
    app = make_app(file_store)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("E")
        await pilot.pause()
        dialog = app.screen
        assert isinstance(dialog, EditArticleDialog)
        assert dialog.query_one("#edit-title", Input).value == "Harbour notes"
        assert dialog.query_one("#edit-title", Input).has_focus
        await pilot.press("ctrl+u", *"The harbour log", "tab")
        await pilot.press(*"Ann Keeper", "tab")
        await pilot.press(*"1911-05", "tab")
        await pilot.press(*"sea, ships", "enter")
        await pilot.pause()
        assert isinstance(app.screen, LibraryScreen)
        article = file_store.get_article(harbour_id)
        assert (article.title, article.author, article.date) == (
            "The harbour log",
            "Ann Keeper",
            "1911-05",
        )
        assert set(article.tags) == {"sea", "ships"}
        assert set(article.edited) == {"title", "author", "date", "tags"}
        row = row_of(app, "The harbour log")
        assert "1911-05" in row and "#sea" in row and "#ships" in row
        assert "Harbour notes" not in listed(app)

    changed = harbour(paragraphs=7, title="Harbour notes, revised")
    result = file_store.import_document(changed)
    assert result.status == "updated" and result.article.id == harbour_id
    assert file_store.get_article(harbour_id).title == "The harbour log"
    assert file_store.get_article(harbour_id).author == "Ann Keeper"


async def test_E_says_what_is_wrong_and_keeps_the_dialog_open(
    library: AnnotationStore, make_app: AppFactory
) -> None:
    """A date that is not YYYY, YYYY-MM or YYYY-MM-DD, or an empty title, is refused in
    the dialog, which stays open with what was typed; nothing is saved. Escape leaves
    the article as it was; enter with nothing changed saves nothing."""
    welcome = article_id(library, "Welcome")
    before = library.get_article(welcome)
    app = make_app(library)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("E", "tab", "tab", "ctrl+u", *"May 2020", "enter")
        await pilot.pause()
        assert isinstance(app.screen, EditArticleDialog)
        assert "is not YYYY, YYYY-MM or YYYY-MM-DD" in screen_text(app)
        assert app.screen.query_one("#edit-date", Input).has_focus
        await pilot.press("ctrl+u", *"2020-05", "shift+tab", "shift+tab", "ctrl+u", "enter")
        await pilot.pause()
        assert isinstance(app.screen, EditArticleDialog)
        assert "title" in screen_text(app).casefold()
        assert library.get_article(welcome) == before
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, LibraryScreen)
        assert library.get_article(welcome) == before
        await pilot.press("E", "enter")
        await pilot.pause()
        assert isinstance(app.screen, LibraryScreen)
        assert library.get_article(welcome).edited == ()


async def test_E_in_the_article_updates_its_header(
    library: AnnotationStore, make_app: AppFactory
) -> None:
    """E on the article screen edits the same details; the header shows them at once,
    and the library's row too on the way back."""
    harbour_id = library.import_document(harbour()).article.id
    app = make_app(library, open_article=harbour_id)
    async with app.run_test(size=SIZE) as pilot:
        assert isinstance(app.screen, ArticleScreen)
        await pilot.press("E")
        await pilot.pause()
        assert isinstance(app.screen, EditArticleDialog)
        await pilot.press("ctrl+u", *"Harbour log", "tab", *"A. Keeper", "tab", "tab")
        await pilot.press(*"sea", "enter")
        await pilot.pause()
        assert isinstance(app.screen, ArticleScreen)
        header = screen_text(app).splitlines()[:2]
        assert "Harbour log" in header[0]
        assert "A. Keeper" in header[1] and "#sea" in header[1]
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, LibraryScreen)
        assert "#sea" in row_of(app, "Harbour log")


# Archive and shelves ------------------------------------------------------------------


async def test_x_archives_and_s_goes_through_the_shelves(
    library: AnnotationStore, make_app: AppFactory
) -> None:
    """The library opens on the reading shelf. x archives the article under the cursor:
    it leaves the list; s shows the archived shelf (where it is, marked done), then all
    articles, then reading again; x on an archived one puts it back."""
    welcome = article_id(library, "Welcome")
    total = library.count_articles()
    app = make_app(library)
    async with app.run_test(size=SIZE) as pilot:
        assert "Reading" in summary(app) and f"{total} articles" in summary(app)
        assert bar_keys(app)["x"] == ("Archive", True)
        assert bar_keys(app)["s"] == ("Shelf", True)
        await pilot.press("x")
        await pilot.pause()
        assert library.get_article(welcome).archived
        assert "Welcome to reader" not in listed(app)
        assert f"{total - 1} articles" in summary(app)
        assert "s shows the archived shelf" in toasts(app)[-1]

        await pilot.press("s")
        await pilot.pause()
        assert "Archived" in summary(app) and "1 article " in summary(app) + " "
        assert table(app).row_count == 1 and table(app).selected_id == welcome
        assert row_of(app, "Welcome to reader").rstrip().endswith("done")
        assert bar_keys(app)["x"] == ("Unarchive", True)

        await pilot.press("s")
        await pilot.pause()
        assert "All · " in summary(app) and table(app).row_count == total
        await pilot.press("s")
        await pilot.pause()
        assert "Reading" in summary(app) and table(app).row_count == total - 1

        await pilot.press("s", "x")  # back on the archived shelf: unarchive
        await pilot.pause()
        assert not library.get_article(welcome).archived
        assert table(app).row_count == 0
        assert "No archived articles" in screen_text(app)
        assert bar_keys(app)["x"] == ("Archive", False)  # nothing to archive here


async def test_the_help_names_the_new_keys(library: AnnotationStore, make_app: AppFactory) -> None:
    """? lists d, u, E, x, s and # with what they do."""
    app = make_app(library)
    async with app.run_test(size=(120, 60)) as pilot:
        await pilot.press("question_mark")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        shown = screen_text(app)
        for words in (
            "Delete the article to the trash",
            "Bring back the article deleted last",
            "Edit the title, author, date and tags",
            "Archive the article (finished)",
            "Switch shelf: reading, archived, all",
            "Filter by article tag",
        ):
            assert words in shown


async def test_reaching_the_end_offers_once_to_archive(
    library: AnnotationStore, make_app: AppFactory
) -> None:
    """Moving onto the last paragraph says once that x archives the article, and the key
    bar offers x there (only there); x archives it and the reading shelf no longer lists
    it. Going back up and down again does not ask again."""
    harbour_id = library.import_document(harbour()).article.id
    app = make_app(library, open_article=harbour_id)
    async with app.run_test(size=SIZE) as pilot:
        assert "x" not in bar_keys(app)
        await pilot.press("G")
        await pilot.pause()
        offers = [text for text in toasts(app) if "x archives" in text]
        assert len(offers) == 1
        assert bar_keys(app)["x"] == ("Archive", True)
        await pilot.press("k")
        await pilot.pause()
        assert "x" not in bar_keys(app)
        await pilot.press("x")  # not at the end: nothing
        assert not library.get_article(harbour_id).archived
        await pilot.press("G")
        await pilot.pause()
        assert len([text for text in toasts(app) if "x archives" in text]) == 1
        await pilot.press("x")
        await pilot.pause()
        assert library.get_article(harbour_id).archived
        assert bar_keys(app)["x"] == ("Unarchive", True)
        assert "archived" in screen_text(app).splitlines()[1]
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, LibraryScreen)
        assert "Harbour notes" not in listed(app)


async def test_an_archived_article_read_to_the_end_is_not_offered(
    library: AnnotationStore, make_app: AppFactory
) -> None:
    """An article already archived is not offered again at its end."""
    harbour_id = library.import_document(harbour()).article.id
    library.set_archived(harbour_id, True)
    app = make_app(library, open_article=harbour_id)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("G")
        await pilot.pause()
        assert not [text for text in toasts(app) if "x archives" in text]


# Article tags ------------------------------------------------------------------------


async def test_hash_filters_the_list_by_article_tag(
    library: AnnotationStore, make_app: AppFactory
) -> None:
    """# lists the tags articles carry (not the annotations' own), with how many
    articles; picking one narrows the list and the summary says so; escape clears it."""
    harbour_id = annotated(library)  # articles: #sea #logbook; its passages: #ships
    kaffee = article_id(library, "Kaffee")
    library.edit_article(kaffee, tags=["sea"])
    total = library.count_articles()
    app = make_app(library)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("number_sign")
        await pilot.pause()
        assert isinstance(app.screen, TagFilterDialog)
        shown = screen_text(app)
        assert "#sea  2" in shown and "#logbook  1" in shown
        assert "#ships" not in shown
        await pilot.press(*"sea", "enter")
        await pilot.pause()
        assert isinstance(app.screen, LibraryScreen)
        assert table(app).row_count == 2
        assert {table(app).article(0).id, table(app).article(1).id} == {harbour_id, kaffee}
        assert f"2 of {total} articles · #sea" in summary(app)
        assert bar_keys(app)["esc"] == ("Clear filter", True)
        await pilot.press("escape")
        await pilot.pause()
        assert table(app).row_count == total
        assert "#sea" not in summary(app)


async def test_tags_show_in_the_row_and_it_fits_80_columns(
    library: AnnotationStore, make_app: AppFactory
) -> None:
    """An article's tags follow its title in its row, as many whole ones as fit and a
    count of the others; a long title with many tags still leaves the columns and fits
    an 80-column terminal."""
    long = library.import_document(
        harbour(title="A very long title about harbours, ships and the people who kept them")
    ).article
    library.edit_article(long.id, tags=["sea", "logbook", "history", "people", "maritime"])
    app = make_app(library)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        row = row_of(app, "A very long title")
        assert cell_len(row) <= 80
        assert "#sea +4" in row  # whole tags, then how many more
        assert "…" in row  # the title was cut for them
        assert table(app).shown_columns[-1] in ("Read", "Annot.", "Annotations")
        welcome = row_of(app, "Welcome to reader")
        assert cell_len(welcome) <= 80


# The annotations list: delete and undo ---------------------------------------------------


async def test_annotations_d_then_u_brings_the_annotation_back(
    library: AnnotationStore, make_app: AppFactory
) -> None:
    """d (after y) deletes the annotation to the trash; u brings it back with its tags
    and note, and the list shows it again."""
    harbour_id = annotated(library)
    noted = next(a for a in library.list_annotations(harbour_id) if a.note)
    app = make_app(library)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("a")
        await pilot.pause()
        listing = app.screen.query_one(AnnotationList)
        while listing.selected is not None and listing.selected.id != noted.id:
            await pilot.press("j")
        await pilot.press("d", "y")
        await pilot.pause()
        assert noted.id not in {a.id for a in library.list_annotations()}
        assert listing.total == 1
        assert bar_keys(app)["u"] == ("Undo", True)
        await pilot.press("u")
        await pilot.pause()
        assert library.get_annotation(noted.id) == noted
        assert listing.total == 2
        assert "Count them" in screen_text(app)
        assert "u" not in bar_keys(app)


# Another process ---------------------------------------------------------------------------

OTHER_PROCESS = """
import sys
from annotations import trash
from annotations.store import AnnotationStore

store = AnnotationStore(sys.argv[1])
for command in sys.argv[2:]:
    action, _, item = command.partition("=")
    if action == "delete-article":
        trash.delete_article(store, item)
    elif action == "delete-annotation":
        trash.delete_annotation(store, item)
    elif action == "archive":
        store.set_archived(item, True)
    elif action == "title":
        store.edit_article(item, title="Renamed elsewhere")
store.close()
"""


async def in_another_process(library: Path, *commands: str) -> None:
    """Change the library from another process, and wait for it."""
    done = await asyncio.to_thread(
        subprocess.run,
        [sys.executable, "-c", OTHER_PROCESS, str(library), *commands],
        capture_output=True,
        text=True,
        env=os.environ.copy(),
        timeout=120,
    )
    assert done.returncode == 0, done.stderr


async def test_another_process_changes_the_library_while_a_dialog_is_open(
    library: AnnotationStore, library_path: Path, make_app: AppFactory
) -> None:
    """While the edit dialog, the delete question or the note editor is open, another
    process deletes, archives or renames what they are about: the answer is a notice,
    never a crash, and the screens show the library as it is now."""
    harbour_id = annotated(library)
    welcome = article_id(library, "Welcome")
    kaffee = article_id(library, "Kaffee")
    noted = next(a for a in library.list_annotations(harbour_id) if a.note)
    app = make_app(library)
    async with app.run_test(size=SIZE) as pilot:
        # The edit dialog over an article another process deletes.
        await pilot.press("E")
        await pilot.pause()
        assert isinstance(app.screen, EditArticleDialog)
        await in_another_process(library_path, f"delete-article={harbour_id}", f"archive={welcome}")
        await pilot.press(*" (mine)", "enter")
        await pilot.pause()
        await pilot.pause()
        assert isinstance(app.screen, LibraryScreen)
        assert "changed elsewhere" in toasts(app)[-1]
        shown = listed(app)
        assert "Harbour notes" not in shown and "Welcome to reader" not in shown
        assert table(app).row_count == library.count_articles(shelf="reading")

        # The delete question over an article another process renames: it is deleted,
        # and u brings it back with the other process's title.
        assert table(app).select(kaffee)
        await pilot.press("d")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmDialog)
        await in_another_process(library_path, f"title={kaffee}")
        await pilot.press("y")
        await pilot.pause()
        assert isinstance(app.screen, LibraryScreen)
        with pytest.raises(NotFoundError):
            library.get_article(kaffee)
        await pilot.press("u")
        await pilot.pause()
        assert library.get_article(kaffee).title == "Renamed elsewhere"
        assert "Renamed elsewhere" in screen_text(app)

        # The note editor over an annotation another process deletes (with its article).
        await pilot.press("s", "s")  # all articles
        await pilot.pause()
        assert "All · " in summary(app)
        await in_another_process(library_path, f"archive={kaffee}")
        trash.undelete(library, harbour_id)
        await pilot.press("a")
        await pilot.pause()
        listing = app.screen.query_one(AnnotationList)
        while listing.selected is not None and listing.selected.id != noted.id:
            await pilot.press("j")
        await pilot.press("n")
        await pilot.pause()
        assert isinstance(app.screen, NoteDialog)
        await in_another_process(library_path, f"delete-annotation={noted.id}")
        app.screen.query_one(TextArea).insert(" twice")
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert isinstance(app.screen, AnnotationsScreen)
        assert "changed elsewhere" in toasts(app)[-1]
        assert listing.total == 1
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, LibraryScreen)
        # Kaffee, archived elsewhere, is on the "all" shelf, marked done.
        assert row_of(app, "Renamed elsewhere").rstrip().endswith("done")


async def test_an_article_deleted_by_another_process_under_its_edit_dialog(
    library: AnnotationStore, library_path: Path, make_app: AppFactory
) -> None:
    """E on the article screen, then another process deletes the article: enter says so
    and the article screen closes onto the library, which no longer lists it."""
    harbour_id = library.import_document(harbour()).article.id
    app = make_app(library, open_article=harbour_id)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("E")
        await pilot.pause()
        assert isinstance(app.screen, EditArticleDialog)
        await in_another_process(library_path, f"delete-article={harbour_id}")
        await pilot.press(*" again", "enter")
        await pilot.pause()
        await pilot.pause()
        assert isinstance(app.screen, LibraryScreen)
        assert any("no longer in the library" in text for text in toasts(app))
        assert "Harbour notes" not in listed(app)
