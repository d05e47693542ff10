"""What every screen and dialog of reader shares: it closes once, and only itself.

Textual's `Screen.dismiss` pops whatever screen is on top. Keys typed fast reach a
screen after it asked to close (enter, enter, enter in a dialog): a second dismiss
would then pop the screen below it, call its caller again, or set an answer that was
already given. Here a screen closes only while it is the one on top, and only once.

For the type checker, `self.app` of a screen or dialog is reader's `ReaderApp`.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Concatenate, ParamSpec, TypeVar

from textual import on
from textual.await_complete import AwaitComplete
from textual.screen import ModalScreen, Screen
from textual.widgets import Input

from annotations.errors import ReaderError
from reader.debounce import Debounce

if TYPE_CHECKING:
    from textual import getters

    from reader.app import ReaderApp

ResultType = TypeVar("ResultType")
Params = ParamSpec("Params")
Returned = TypeVar("Returned")


class DismissOnce:
    """Mixin for a screen: `dismiss` closes it once, and only while it is on top."""

    _dismissed = False
    """Whether the screen has asked to close already."""

    def dismiss(self, result: Any = None) -> AwaitComplete:
        """Close the screen with a result, unless it closed already or is not on top."""
        screen: Screen[Any] = self  # type: ignore[assignment]
        if self._dismissed or not screen.is_active:
            return AwaitComplete.nothing()
        self._dismissed = True
        callbacks = screen._result_callbacks
        if callbacks and callbacks[-1].future is not None and callbacks[-1].future.done():
            # Whoever waited for the answer stopped waiting (its worker was cancelled).
            callbacks[-1].future = None
        return super().dismiss(result)  # type: ignore[misc]


class ReaderScreen(DismissOnce, Screen[ResultType]):
    """A full screen of reader."""

    if TYPE_CHECKING:
        # `self.app` is reader's own app, typed with Textual's `getters.app`. For the
        # type checker only: at run time `app` stays Textual's property, as reader.app
        # imports the screens and cannot be imported here.
        app = getters.app(ReaderApp)

    _read_at: tuple[int, int] | None = None
    """The library's version when the screen last read it."""

    def library_read(self) -> None:
        """Note that the screen is about to read the library (call before reading)."""
        try:
            self._read_at = self.app.store.version()
        except ReaderError:
            self._read_at = None

    def open_screen(self, screen: Screen[Any]) -> None:
        """Show a screen over this one, if this one is still on top.

        Keys typed fast (enter, enter, enter on a list) each send a message asking for
        the screen; once the first has opened it, the others come too late.
        """
        if self.is_active and not self._dismissed:
            self.app.push_screen(screen)

    def library_changed(self) -> bool:
        """Whether the library may have changed since the screen last read it.

        Screens ask it when they come back to the top: a dialog or a screen above may
        have changed what they show, or another process may have; reading thousands of
        rows again when nothing did would make every closed dialog slow.
        """
        if self._read_at is None:
            return True
        try:
            return self.app.store.version() != self._read_at
        except ReaderError:
            return True

    def reload_from_library(self) -> None:
        """Show the library as it is now: another process or window changed it.

        Screens that show the library's data read it again here.
        """


class FilteredListScreen(ReaderScreen[None]):
    """A list screen filtered by the words typed into its field (an `Input` with the
    class `list-filter`): the list is read again a moment after typing stops, or at
    once on enter, which also goes back to the list."""

    FILTER_DELAY = 0.1
    """Seconds without a key before the list is read again."""

    def __init__(self) -> None:
        super().__init__()
        self.text = ""
        """The words filtering the list, if any."""
        self._typing = Debounce(self, self.FILTER_DELAY, self.apply_filter)

    def reload(self, *args: Any, **kwargs: Any) -> None:
        """Read the list again (each list screen reads its own)."""
        raise NotImplementedError

    def focus_list(self) -> None:
        """Put the focus on the list."""
        raise NotImplementedError

    @on(Input.Changed, ".list-filter")
    def _filter_changed(self) -> None:
        self._typing.restart()
        self.refresh_bindings()  # what escape does may depend on the words typed

    def apply_filter(self) -> None:
        """Filter the list by the text typed, if it changed."""
        self._typing.cancel()
        text = self.query_one(".list-filter", Input).value.strip()
        if text != self.text:
            self.text = text
            self.reload()

    @on(Input.Submitted, ".list-filter")
    def _filter_submitted(self) -> None:
        self.apply_filter()
        self.focus_list()


class Dialog(DismissOnce, ModalScreen[ResultType]):
    """A dialog of reader: a modal screen that answers its caller once."""

    if TYPE_CHECKING:
        app = getters.app(ReaderApp)  # as for `ReaderScreen`


Node = TypeVar("Node", bound=ReaderScreen[Any])


def refusals_noticed(
    method: Callable[Concatenate[Node, Params], Returned],
) -> Callable[Concatenate[Node, Params], Returned | None]:
    """A screen method that reads or writes the library from a handler or a timer.

    If the library refuses (what it reads was deleted by another process, the disk is
    full), the app says so in a notice and the method returns None: a handler that
    raised would end the app.
    """

    @functools.wraps(method)
    def guarded(self: Node, *args: Params.args, **kwargs: Params.kwargs) -> Returned | None:
        try:
            return method(self, *args, **kwargs)
        except ReaderError as error:
            self.app.refused(error)
            return None

    return guarded
