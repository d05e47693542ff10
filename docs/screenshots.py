"""Make the README's screenshots: the library, an annotated article and the annotations list.

Run `python docs/screenshots.py` from the project folder. A library with the bundled
samples is made in a temporary folder (the user's library is never touched), a few
passages of the Welcome article are highlighted, tagged and annotated, and the app is
driven headless at 100x30 cells; each screen is saved as an SVG by Textual's own
screenshot, into `docs/`.
"""

from __future__ import annotations

import asyncio
import os
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path

from reader.app import ReaderApp
from reader.library import open_library

DOCS = Path(__file__).resolve().parent
SIZE = (100, 30)


def clock() -> datetime:
    """A fixed time, so that the pictures do not change from one run to the next."""
    return datetime(2026, 12, 1, 9, 30, tzinfo=UTC)


async def main() -> None:
    with tempfile.TemporaryDirectory(prefix="reader-screenshots-") as folder:
        # The library sits where a first start puts it, in a home folder of its own.
        os.environ["HOME"] = folder
        library = Path(folder) / ".local" / "share" / "reader" / "library.db"
        store = open_library(library, clock=clock)
        welcome = next(a for a in store.list_articles() if a.title.startswith("Welcome"))
        blocks = store.get_blocks(welcome.id)

        def passage(block: int, words: str) -> tuple[tuple[int, int], tuple[int, int]]:
            start = blocks[block].text.index(words)
            return (block, start), (block, start + len(words))

        store.add_highlight(
            welcome.id, *passage(0, "never have to save anything yourself"), tags=["habits"]
        )
        store.add_highlight(
            welcome.id,
            *passage(2, "how far you have read"),
            color="green",
            tags=["idea", "progress"],
            note="A progress column would help with long books too.",
        )
        store.add_highlight(welcome.id, *passage(2, "every article"), color="blue")
        store.add_highlight(
            welcome.id, *passage(7, "filter them by tag or text"), color="pink", note="Try #idea"
        )
        store.set_position(welcome.id, 2)

        app = ReaderApp(store, export_folder=Path(folder) / "exports")
        async with app.run_test(size=SIZE) as pilot:
            await pilot.pause()
            app.save_screenshot("library.svg", str(DOCS))
            await pilot.press("enter")
            await pilot.pause()
            app.save_screenshot("article.svg", str(DOCS))
            await pilot.press("escape", "a")
            await pilot.pause()
            app.save_screenshot("annotations.svg", str(DOCS))
        store.close()
    print(f"saved library.svg, article.svg and annotations.svg in {DOCS}")


if __name__ == "__main__":
    asyncio.run(main())
    sys.exit(0)
