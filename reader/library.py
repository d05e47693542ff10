"""Where the library lives, and its first start with the bundled samples."""

from __future__ import annotations

import os
from importlib import resources
from pathlib import Path

from annotations.store import AnnotationStore, Clock, utc_now
from annotations.trash import purge_old_trash

ENV_DB = "READER_DB"
WELCOME = "welcome.md"


def library_path(option: str | os.PathLike[str] | None = None) -> Path:
    """The library file: `--db` if given, else `$READER_DB`, else the user data folder."""
    if option:
        return Path(option).expanduser()
    if os.environ.get(ENV_DB):
        return Path(os.environ[ENV_DB]).expanduser()
    from platformdirs import user_data_dir

    return Path(user_data_dir("reader", appauthor=False)) / "library.db"


def sample_dir() -> Path:
    """The bundled sample articles: inside the installed package, or the source tree."""
    packaged = resources.files("reader") / "sample_data"
    if packaged.is_dir():
        return Path(str(packaged))
    return Path(__file__).resolve().parent.parent / "sample_data"


def sample_files() -> list[Path]:
    """The sample files in import order; the Welcome article last, so it is listed first."""
    files = sorted(path for path in sample_dir().iterdir() if path.is_file())
    return sorted(files, key=lambda path: path.name == WELCOME)


def is_new_library(path: Path) -> bool:
    """Whether a library file does not exist yet (an empty file, as `mktemp` makes, counts)."""
    return not path.exists() or path.stat().st_size == 0


def add_samples(store: AnnotationStore) -> None:
    """Import the bundled samples (those already in the library stay as they are)."""
    from reader.ingest import import_files

    import_files(store, sample_files())


def open_library(path: Path, clock: Clock = utc_now, *, samples: bool = True) -> AnnotationStore:
    """Open a library, creating it, with the bundled samples if asked, when it does not
    exist; what was deleted to the trash more than 30 days ago is emptied.

    Args:
        path: The library file.
        clock: Returns the current time; injected for tests.
        samples: Whether a library created now gets the bundled samples: only when the
            TUI starts on it (the command line's other commands create it empty, and a
            library created to restore a backup into holds exactly the backup).

    Raises:
        LibraryError: If the file exists but is not a usable library.
    """
    is_new = is_new_library(path)
    store = AnnotationStore(path, clock=clock)
    if samples and is_new and store.count_articles() == 0:
        add_samples(store)
    purge_old_trash(store)
    return store


def export_dir() -> Path:
    """Where exports go by default: `$READER_EXPORT_DIR`, else Documents/reader."""
    if os.environ.get("READER_EXPORT_DIR"):
        return Path(os.environ["READER_EXPORT_DIR"]).expanduser()
    from platformdirs import user_documents_dir

    return Path(user_documents_dir()) / "reader"
