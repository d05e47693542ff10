"""A dialog to edit an article's title, author, date and tags, saved through the library."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar

from textual import getters, on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.widgets import Input, Label, Static

from annotations.errors import NotFoundError, StorageError
from annotations.models import Article
from annotations.store import normalize_tags
from reader.dialogs.tag import TagSuggester
from reader.safe import safe_text
from reader.screens.base import Dialog

FIELDS = ("title", "author", "date", "tags")
"""The fields of the dialog, in order; each is an `Input` with the id `edit-<name>`."""


class EditArticleDialog(Dialog[Article | None]):
    """Edit an article's title, author, date and tags in one form; enter saves them.

    Only the fields that were changed are saved, and the library keeps them through a
    re-import of the same source. A value the library refuses (an empty title, a date
    that is not `YYYY`, `YYYY-MM` or `YYYY-MM-DD`) is said in the dialog, which stays
    open. Returns the article as saved, or None when cancelled or nothing changed.

    Args:
        article: The article as the screen shows it.
        known: Every tag in the library, most used first, for completion.
    """

    AUTO_FOCUS = "#edit-title"

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel", tooltip="Close without saving", id="cancel"),
        Binding(
            "tab",
            "complete",
            "Next",
            tooltip="Accept the suggested tag, or go to the next field",
            id="complete",
        ),
    ]
    """Tab goes to the next field (in the tags, accepts a suggestion first); enter saves;
    escape cancels."""

    problem = getters.query_one("#edit-problem", Static)

    def __init__(self, article: Article, known: Sequence[str]) -> None:
        super().__init__(classes="dialog")
        self.article = article
        self.known = list(known)
        self.shown = {
            "title": safe_text(article.title),
            "author": safe_text(article.author or ""),
            "date": safe_text(article.date or ""),
            "tags": ", ".join(safe_text(tag) for tag in article.tags),
        }
        """Each field as the dialog first shows it (control characters made visible)."""

    def compose(self) -> ComposeResult:
        placeholders = {
            "title": "the title shown in the library",
            "author": "unknown",
            "date": "YYYY, YYYY-MM or YYYY-MM-DD",
            "tags": "e.g. history, to-reread",
        }
        with Vertical(classes="dialog-box edit-box"):
            yield Label("Edit the article", classes="dialog-title")
            for name in FIELDS:
                tags = name == "tags"
                value = self.shown[name]
                with Horizontal(classes="edit-row"):
                    yield Label(name.capitalize(), classes="edit-label")
                    yield Input(
                        # Tags are added at the end, as in the tag dialog; the other
                        # fields are selected whole, so typing replaces them.
                        value + ", " if tags and value else value,
                        placeholder=placeholders[name],
                        suggester=TagSuggester(self.known) if tags else None,
                        select_on_focus=not tags,
                        id=f"edit-{name}",
                        compact=True,
                    )
            yield Static(id="edit-problem", classes="dialog-hint")
            yield Label("tab next field · enter saves · escape cancels", classes="dialog-hint")

    def on_mount(self) -> None:
        self.problem.display = False

    def field(self, name: str) -> Input:
        """The field of one of `FIELDS`."""
        return self.query_one(f"#edit-{name}", Input)

    def changes(self) -> dict[str, Any]:
        """The fields the reader changed, as `AnnotationStore.edit_article` takes them."""
        changed: dict[str, Any] = {}
        for name in ("title", "author", "date"):
            typed = self.field(name).value.strip()
            if typed != self.shown[name].strip():
                changed[name] = typed
        tags = list(normalize_tags(self.field("tags").value.split(",")))
        if tags != list(normalize_tags(self.shown["tags"].split(","))):
            changed["tags"] = tags
        return changed

    def action_complete(self) -> None:
        """In the tags, accept the suggested tag; else go to the next field."""
        field = self.focused
        if isinstance(field, Input) and field.id == "edit-tags" and field._suggestion:
            field.value = field._suggestion + ", "
            field.cursor_position = len(field.value)
        else:
            self.focus_next()

    def _say(self, problem: str) -> None:
        problem = problem[:1].upper() + problem[1:]
        self.problem.update(Content.styled(safe_text(problem), "$text-error"))
        self.problem.display = True

    @on(Input.Submitted)
    def _submitted(self) -> None:
        changes = self.changes()
        if not changes:
            self.dismiss(None)
            return
        try:
            article = self.app.store.edit_article(self.article.id, **changes)
        except ValueError as error:
            self._say(str(error))
            for name in ("date", "title"):
                if name in changes and name in str(error).casefold():
                    self.field(name).focus()
            return
        except StorageError as error:
            self.app.not_saved(error)
            self._say("Not saved; enter tries again")
            return
        except NotFoundError as error:
            # Deleted by another process meanwhile: the screen below says so once it
            # is on top again, and shows the library as it is now.
            self.dismiss(None)
            self.app.call_later(self.app.refused, error)
            return
        self.dismiss(article)

    def action_cancel(self) -> None:
        """Close without saving."""
        self.dismiss(None)
