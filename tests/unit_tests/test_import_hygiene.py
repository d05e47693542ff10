"""The core and the command line load without the TUI, checked in a fresh interpreter."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

UI_PACKAGES = ("textual", "rich")


def loaded_packages(module: str) -> set[str]:
    """The top-level packages a fresh interpreter has loaded after importing a module."""
    code = (
        "import json, sys\n"
        f"import {module}\n"
        "print(json.dumps(sorted({name.split('.')[0] for name in sys.modules})))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True
    )
    return set(json.loads(done.stdout))


@pytest.mark.parametrize("module", ["annotations", "annotations.export", "annotations.store"])
def test_core_never_loads_the_ui_or_the_app(module: str) -> None:
    """Importing the core loads neither textual, rich nor the reader app."""
    loaded = loaded_packages(module)
    assert module.split(".")[0] in loaded
    assert loaded.isdisjoint({*UI_PACKAGES, "reader"})


@pytest.mark.parametrize("module", ["reader", "reader.ingest", "reader.cli"])
def test_cli_and_ingestion_do_not_load_textual(module: str) -> None:
    """The CLI (list, import, export) and ingestion start without importing Textual."""
    loaded = loaded_packages(module)
    assert "reader" in loaded
    assert loaded.isdisjoint(UI_PACKAGES)


def test_list_search_import_and_export_commands_do_not_load_textual(tmp_path: Path) -> None:
    """Running `reader import`, `list`, `search` and `export` (to a folder) loads no UI package."""
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    (inbox / "note.md").write_text("# A note\n\nAbout a harbour at night.\n", encoding="utf-8")
    library = str(tmp_path / "library.db")
    commands = [
        ["--db", library, "import", str(inbox)],
        ["--db", library, "list", "--json"],
        ["--db", library, "search", "harbour"],
        ["--db", library, "export", "-o", str(tmp_path / "notes")],
    ]
    code = (
        "import json, sys\n"
        "from reader.cli import cli\n"
        "for args in json.loads(sys.argv[1]):\n"
        "    cli.main(args, prog_name='reader', standalone_mode=False)\n"
        "print(json.dumps(sorted({name.split('.')[0] for name in sys.modules})))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code, json.dumps(commands)],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    loaded = set(json.loads(done.stdout.strip().splitlines()[-1]))
    assert "annotations" in loaded and "sqlite_utils" in loaded
    assert loaded.isdisjoint(UI_PACKAGES)
    assert "harbour" in done.stdout


def test_reading_and_highlighting_in_a_prepared_library_do_not_load_sqlite_utils(
    tmp_path: Path,
) -> None:
    """sqlite-utils applies migrations; an up-to-date library is read and written without it.

    Importing it costs start-up time, so opening an article must not pay for it.
    """
    from annotations.models import Block, BlockKind, Document
    from annotations.store import AnnotationStore

    library = tmp_path / "library.db"
    store = AnnotationStore(library)
    tide = Block(BlockKind.PARAGRAPH, "The tide came in.")
    article = store.import_document(Document("A harbour", [tide])).article
    store.close()
    code = (
        "import json, sys\n"
        "from annotations.store import AnnotationStore\n"
        "store = AnnotationStore(sys.argv[1])\n"
        "article = store.get_article(sys.argv[2])\n"
        "store.add_highlight(article.id, (0, 4), (0, 8), tags=['sea'], note='tide')\n"
        "made = len(store.list_annotations(article.id))\n"
        "print(json.dumps([made, 'sqlite_utils' in sys.modules]))\n"
        "store.close()\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code, str(library), article.id],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert json.loads(done.stdout) == [1, False]
