"""Small helpers for the words shown to users."""

from __future__ import annotations


def plural(count: int, noun: str, plural_form: str | None = None) -> str:
    """`1 annotation`, `2 annotations`."""
    return f"{count:,} {noun if count == 1 else plural_form or noun + 's'}"
