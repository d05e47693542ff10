"""Lists read from the library a page at a time, for the virtualised list widgets."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Generic, TypeVar

from textual.cache import LRUCache

T = TypeVar("T")

PAGE_SIZE = 100
"""Rows read from the library at a time."""
CACHED_PAGES = 8
"""Pages kept in memory; older ones are read again when needed."""


class Pages(Generic[T]):
    """A list of `total` rows, read by `fetch(offset, limit)` a page at a time when shown.

    Only the last few pages read are kept, so a list of any length costs what the screen
    shows.
    """

    def __init__(self) -> None:
        self._total = 0
        self._fetch: Callable[[int, int], Sequence[T]] | None = None
        self._pages: LRUCache[int, list[T]] = LRUCache(CACHED_PAGES)

    @property
    def total(self) -> int:
        """How many rows the list holds."""
        return self._total

    def reset(self, total: int, fetch: Callable[[int, int], Sequence[T]]) -> None:
        """Hold a new list (or the same one, to be read again)."""
        self._total = max(0, total)
        self._fetch = fetch
        self._pages.clear()

    def get(self, index: int) -> T | None:
        """The row at a position, reading its page if needed; None outside the list."""
        if not 0 <= index < self._total or self._fetch is None:
            return None
        number, offset = divmod(index, PAGE_SIZE)
        page = self._pages.get(number)
        if page is None:
            page = list(self._fetch(number * PAGE_SIZE, PAGE_SIZE))
            self._pages[number] = page
        return page[offset] if offset < len(page) else None

    def clamp(self, index: int) -> int:
        """A position kept within the list (0 for an empty one)."""
        return max(0, min(index, self._total - 1))
