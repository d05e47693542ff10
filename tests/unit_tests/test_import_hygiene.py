"""The core and the command line load without the TUI, checked in a fresh interpreter."""

from __future__ import annotations

import json
import subprocess
import sys

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
