"""Fixtures for driving the TUI headless: a library on disk, and an app factory."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from textual import events
from textual.pilot import Pilot

from annotations.store import AnnotationStore
from reader.app import ReaderApp
from reader.debounce import Debounce
from reader.library import open_library
from tests.conftest import FixedClock

AppFactory = Callable[..., ReaderApp]


@pytest.fixture
def library_path(tmp_path: Path) -> Path:
    """Where the test's library file lives."""
    return tmp_path / "library.db"


@pytest.fixture
def library(library_path: Path, clock: FixedClock) -> AnnotationStore:
    """A library on disk, created as on first start (with the bundled samples)."""
    return open_library(library_path, clock=clock)


@pytest.fixture
def make_app(tmp_path: Path) -> AppFactory:
    """Build the app on a store, exporting into the test's temporary folder."""

    def factory(store: AnnotationStore, **options: object) -> ReaderApp:
        return ReaderApp(store, export_folder=tmp_path / "exports", **options)  # type: ignore[arg-type]

    return factory


def article_id(store: AnnotationStore, title_start: str) -> str:
    """The id of the article whose title starts with the given text."""
    return next(a.id for a in store.list_articles() if a.title.startswith(title_start))


def screen_text(app: ReaderApp) -> str:
    """Everything the app shows on its screen right now, as plain text."""
    return "\n".join(
        "".join(segment.text for segment in strip)
        for strip in app.screen._compositor.render_strips()
    )


KEY_CHARACTERS = {"space": " ", "enter": "\r", "tab": "\t", "full_stop": ".", "slash": "/"}
"""Characters of the named keys that type one."""


def fast_keys(app: ReaderApp, *keys: str) -> None:
    """Queue keys without waiting for any of them, as a fast typist's keys arrive.

    `pilot.press` waits for the app to settle after each key; these all arrive before
    the app has acted on the first.
    """
    driver = app._driver
    assert driver is not None
    for key in keys:
        character = KEY_CHARACTERS.get(key, key if len(key) == 1 else None)
        event = events.Key(key, character)
        event.set_sender(app)
        driver.send_message(event)  # as Pilot sends keys, without its wait after each


def toasts(app: ReaderApp) -> list[str]:
    """Every notice the app has shown, oldest first."""
    return [str(note.message) for note in app._notifications]


HUNG_SECONDS = 60
"""Waiting longer than this for the app is a hang: the test fails then. No measure."""


async def typed(pilot: Pilot[Any], *keys: str) -> None:
    """Type keys into the screen's filter or search field, then wait until it has run.

    The screen runs its filter or search a moment after the last key (a `Debounce`
    timer). This waits for that timer to have fired and the screen to have drawn the
    result, not for a length of time, so a slow machine cannot check too early.
    """
    await pilot.press(*keys)
    typing = getattr(pilot.app.screen, "_typing", None)
    assert isinstance(typing, Debounce), f"{pilot.app.screen} has no debounced typing"
    timer = typing._timer
    if timer is not None and timer._task is not None:
        try:
            await asyncio.wait_for(asyncio.shield(timer._task), HUNG_SECONDS)
        except TimeoutError:
            pytest.fail(f"the typing on {pilot.app.screen} never ran in {HUNG_SECONDS} s")
    await pilot.pause()


def bar_keys(app: ReaderApp) -> dict[str, tuple[str, bool]]:
    """The keys the key bar of the screen on top shows: key as shown -> (what it does,
    whether it works now; a key that does not is drawn dimmed).

    As last drawn (so a bar not redrawn after a change still shows its old keys), and
    only those that fit its width.
    """
    from reader.widgets.key_bar import KeyBar

    drawn = app.screen.query_one(KeyBar).drawn
    return {shown: (description, enabled) for _key, shown, description, enabled in drawn}
