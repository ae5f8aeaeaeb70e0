"""A small LRU cache of finished audio, bounded in bytes."""

import threading
from collections import OrderedDict
from collections.abc import Hashable
from dataclasses import dataclass
from typing import Generic, TypeVar

T = TypeVar("T")


@dataclass(frozen=True)
class CacheStats:
    """What the cache holds and how it has done."""

    entries: int
    size_bytes: int
    hits: int
    misses: int


class ByteBoundedLRU(Generic[T]):
    """Least recently used entries go first once their sizes add up past `max_bytes`.

    An entry larger than the whole budget is not kept. Safe to use from several threads.
    """

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self._entries: OrderedDict[Hashable, tuple[T, int]] = OrderedDict()
        self._size = 0
        self._hits = 0
        self._misses = 0
        self._lock = threading.Lock()

    def get(self, key: Hashable) -> T | None:
        """The value for `key`, now the most recently used, or None."""
        with self._lock:
            entry = self._entries.get(key)
            if entry is None:
                self._misses += 1
                return None
            self._entries.move_to_end(key)
            self._hits += 1
            return entry[0]

    def put(self, key: Hashable, value: T, size: int) -> None:
        """Keep `value` (of `size` bytes), evicting the least recently used to make room."""
        if size > self.max_bytes:
            return
        with self._lock:
            if key in self._entries:
                self._size -= self._entries.pop(key)[1]
            self._entries[key] = (value, size)
            self._size += size
            while self._size > self.max_bytes:
                _, (_, evicted) = self._entries.popitem(last=False)
                self._size -= evicted

    def stats(self) -> CacheStats:
        """Entries, bytes held, hits and misses so far."""
        with self._lock:
            return CacheStats(len(self._entries), self._size, self._hits, self._misses)
