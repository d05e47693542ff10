"""Fixtures shared by every test: no test ever touches the user's real files."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlite_utils import Database

from annotations.store import AnnotationStore

REPO = Path(__file__).resolve().parent.parent
SAMPLES = REPO / "sample_data"


@pytest.fixture(autouse=True)
def isolated_user_dirs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Point the library, exports and every user folder at the test's temporary folder."""
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("XDG_DATA_HOME", str(home / ".local" / "share"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / ".config"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(home / ".cache"))
    monkeypatch.setenv("XDG_STATE_HOME", str(home / ".local" / "state"))
    monkeypatch.setenv("XDG_DOCUMENTS_DIR", str(home / "Documents"))
    monkeypatch.setenv("READER_DB", str(tmp_path / "library.db"))
    monkeypatch.setenv("READER_EXPORT_DIR", str(tmp_path / "exports"))
    monkeypatch.setenv("READER_STATE_DIR", str(tmp_path / "state"))
    return home


class FixedClock:
    """A clock that starts at a fixed moment and advances one second per reading."""

    def __init__(self, start: datetime | None = None) -> None:
        self.now = start or datetime(2026, 1, 31, 9, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        moment = self.now
        self.now += timedelta(seconds=1)
        return moment


@pytest.fixture
def clock() -> FixedClock:
    """A deterministic clock for the store."""
    return FixedClock()


@pytest.fixture
def store(clock: FixedClock) -> AnnotationStore:
    """An empty library in memory."""
    return AnnotationStore(Database(memory=True), clock=clock)


@pytest.fixture
def file_store(tmp_path: Path, clock: FixedClock) -> AnnotationStore:
    """An empty library in a real file in the temporary folder."""
    return AnnotationStore(tmp_path / "library.db", clock=clock)
