"""A dialog to pick the tag that filters a list (of annotations, or of articles)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from textual import getters, on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.content import Content
from textual.widgets import Input, Label, OptionList
from textual.widgets.option_list import Option

from reader.safe import safe_text
from reader.screens.base import Dialog

ALL_TAGS = ""
"""The choice that removes the tag filter."""


class TagFilterDialog(Dialog[str | None]):
    """Pick a tag from those in the library, with their counts.

    Returns the tag's name, `ALL_TAGS` ("") for no tag filter, or None when cancelled.

    Args:
        tags: The tags to choose from with how many items of the list carry each, as
            `(name, count)`, most used first.
        current: The tag filtering the list now, if any.
        title: The dialog's title (it says what the counts count).
    """

    AUTO_FOCUS = "#tag-filter-query"

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel", tooltip="Keep the current filter", id="cancel"),
        Binding("down", "move(1)", "Next", tooltip="Next tag", show=False),
        Binding("up", "move(-1)", "Previous", tooltip="Previous tag", show=False),
    ]
    """Typing narrows the list; arrows move in it; enter picks; escape cancels."""

    query_input = getters.query_one("#tag-filter-query", Input)
    choices = getters.query_one("#tag-choices", OptionList)

    def __init__(
        self,
        tags: Sequence[tuple[str, int]],
        current: str | None = None,
        *,
        title: str = "Filter by tag",
    ) -> None:
        super().__init__(classes="dialog")
        self.tags = list(tags)
        self.current = current
        self.title_text = title
        self.values: list[str] = []

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog-box"):
            yield Label(self.title_text, classes="dialog-title")
            yield Input(placeholder="Type to narrow the list", id="tag-filter-query", compact=True)
            yield OptionList(id="tag-choices", classes="dialog-choices")
            yield Label("enter picks · escape cancels", classes="dialog-hint")

    def on_mount(self) -> None:
        self._fill("")

    def _fill(self, typed: str) -> None:
        folded = typed.strip().lstrip("#").casefold()
        shown = [(name, count) for name, count in self.tags if folded in name.casefold()]
        options: list[Option] = []
        self.values = []
        if not folded:
            options.append(Option(Content.styled("All tags", "italic")))
            self.values.append(ALL_TAGS)
        for name, count in shown:
            options.append(
                Option(
                    Content.assemble(
                        (f"#{safe_text(name)}", "$text-accent"),
                        (f"  {count:,}", "$text-muted"),
                    )
                )
            )
            self.values.append(name)
        self.choices.set_options(options)
        if self.values:
            current = self.current if self.current in self.values else None
            self.choices.highlighted = self.values.index(current) if current else 0

    @on(Input.Changed, "#tag-filter-query")
    def _typed(self, event: Input.Changed) -> None:
        self._fill(event.value)

    def action_move(self, step: int) -> None:
        """Highlight the next (1) or previous (-1) tag."""
        if self.values:
            current = self.choices.highlighted
            self.choices.highlighted = 0 if current is None else current + step

    @on(Input.Submitted, "#tag-filter-query")
    def _submitted(self) -> None:
        if self.choices.highlighted is not None:
            self.dismiss(self.values[self.choices.highlighted])

    @on(OptionList.OptionSelected, "#tag-choices")
    def _selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.dismiss(self.values[event.option_index])

    def action_cancel(self) -> None:
        """Close without changing the filter."""
        self.dismiss(None)
