"""What reader is installed as: its distribution name and version."""

from __future__ import annotations

DISTRIBUTION = "reader-annotations"
"""The name reader is installed under (the PyPI name `reader` is taken)."""


def installed_version() -> str | None:
    """The version of reader that is installed, or None when run from a bare checkout."""
    # importlib.metadata is slow to import; only `--version` and crash reports need it.
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(DISTRIBUTION)
    except PackageNotFoundError:
        return None
