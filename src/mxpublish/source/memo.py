"""Bounded in-process memos for loading: a process that loads the same project again (watch,
serve) reuses what an unchanged section gave last time instead of computing it again."""

from __future__ import annotations

import hashlib
import pickle
import weakref
from collections.abc import Hashable
from typing import Generic, TypeVar

T = TypeVar("T")

_ALL: weakref.WeakSet[Memo[object]] = weakref.WeakSet()

#: Whether loads keep what they computed for the next load of this process: on only in
#: processes that load the same project again (watch, serve), so a one-shot build neither
#: pays for the keys nor holds the results.
KEEP = [False]


def keep_between_loads(on: bool) -> bool:
    """Turn keeping on or off; returns the previous setting (to restore it)."""
    previous, KEEP[0] = KEEP[0], on
    if not on:
        clear_memos()
    return previous


class Memo(Generic[T]):
    """A dict of at most ``size`` entries whose weights (e.g. bytes) add up to at most
    ``weight``; the oldest entries go first when it is full."""

    def __init__(self, size: int, weight: int = 200_000_000) -> None:
        self.size = size
        self.weight = weight
        self.entries: dict[Hashable, tuple[T, int]] = {}
        self.total = 0
        _ALL.add(self)  # type: ignore[arg-type]

    def get(self, key: Hashable) -> T | None:
        found = self.entries.get(key)
        return None if found is None else found[0]

    def put(self, key: Hashable, value: T, weight: int = 1) -> T:
        """Remember ``value`` under ``key`` (unless it alone outweighs the memo); returns
        ``value``."""
        if weight > self.weight:
            return value
        if key in self.entries:
            self.total -= self.entries.pop(key)[1]
        while self.entries and (
            len(self.entries) >= self.size or self.total + weight > self.weight
        ):
            self.total -= self.entries.pop(next(iter(self.entries)))[1]
        self.entries[key] = (value, weight)
        self.total += weight
        return value

    def clear(self) -> None:
        self.entries.clear()
        self.total = 0


def digest_of(value: object) -> bytes | None:
    """A digest of ``value``'s pickled form (equal digests: equal values), or None when it
    cannot be pickled (then it is not memoized)."""
    try:
        data = pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
    except (pickle.PicklingError, TypeError, AttributeError):
        return None
    return hashlib.sha256(data).digest()


def clear_memos() -> None:
    """Forget everything memoized (for tests that compare a warm load with a cold one)."""
    from mxpublish.source.markdown import create_parser

    create_parser.cache_clear()  # the parsed-token and rendered memos are per parser
    for memo in list(_ALL):
        memo.clear()
