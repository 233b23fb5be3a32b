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


class Memo(Generic[T]):
    """A dict of at most ``size`` entries; the oldest entry goes first when it is full."""

    def __init__(self, size: int) -> None:
        self.size = size
        self.entries: dict[Hashable, T] = {}
        _ALL.add(self)  # type: ignore[arg-type]

    def get(self, key: Hashable) -> T | None:
        return self.entries.get(key)

    def put(self, key: Hashable, value: T) -> T:
        """Remember ``value`` under ``key``; returns ``value``."""
        if len(self.entries) >= self.size:
            self.entries.pop(next(iter(self.entries)))
        self.entries[key] = value
        return value


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
        memo.entries.clear()
