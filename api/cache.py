"""Serialised responses of read endpoints, keyed by their arguments and the Delta versions of
the gold tables they read.

A cached body is reused while every table it was built from is at the same version (and, for
answers that also read the operational store, for at most ``ttl_s`` seconds (a random 50-100%
of it per entry), or until this process invalidates them). Access checks and the audit record
still run on every request: only the building and serialising of the body is saved.

Students' display names, which many answers show, are cached beside them (``NameCache``).
"""

from __future__ import annotations

import math
import random
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterable
from typing import Any

from fastapi.responses import Response
from pydantic import TypeAdapter

from api.gold import Gold

_ADAPTERS: dict[Any, TypeAdapter[Any]] = {}


def _adapter(tp: Any) -> TypeAdapter[Any]:
    adapter = _ADAPTERS.get(tp)
    if adapter is None:
        adapter = _ADAPTERS[tp] = TypeAdapter(tp)
    return adapter


class JsonBody(Response):
    """A response whose body is already JSON bytes."""

    media_type = "application/json"


class ResponseCache:
    """An LRU of serialised bodies (bounded by ``max_entries``)."""

    def __init__(self, gold: Gold, max_entries: int = 20_000) -> None:
        self.gold = gold
        self.max_entries = max_entries
        self._data: OrderedDict[Hashable, tuple[tuple[Any, ...], float, bytes]] = OrderedDict()
        self._lock = threading.Lock()
        # Bumped by every invalidation: a body built across one is served but not kept.
        self._generation = 0
        self.hits = 0
        self.misses = 0

    def respond(
        self,
        key: Hashable,
        tables: tuple[str, ...],
        model: Any,
        build: Callable[[], Any],
        ttl_s: float | None = None,
    ) -> JsonBody:
        """The cached body for ``key``, or ``build()`` serialised as ``model`` and cached."""
        versions = tuple(self.gold.version(t) for t in tables)
        now = time.monotonic()
        hit = self._data.get(key)
        if hit is not None and hit[0] == versions and now < hit[1]:
            self.hits += 1
            return JsonBody(hit[2])
        self.misses += 1
        generation = self._generation
        body = _adapter(model).dump_json(build())
        # Each entry lives a random 50-100% of ttl_s: bodies built together (a warm-up, a new
        # gold version) then expire spread out instead of all being rebuilt in one burst.
        expires = math.inf if ttl_s is None else now + ttl_s * (0.5 + 0.5 * random.random())
        with self._lock:
            # An invalidation while ``build`` ran (the change feed's thread dropping a renamed
            # student's answers) may concern what it read: kept, the old body would outlive the
            # change until its ttl.
            if generation == self._generation:
                self._data[key] = (versions, expires, body)
                self._data.move_to_end(key)
                while len(self._data) > self.max_entries:
                    self._data.popitem(last=False)
        return JsonBody(body)

    def clear(self) -> None:
        """Drop every entry."""
        with self._lock:
            self._generation += 1
            self._data.clear()

    def invalidate(self, predicate: Callable[[Hashable], bool]) -> None:
        """Drop the entries whose key matches (e.g. one student's after a submission)."""
        with self._lock:
            self._generation += 1
            for k in [k for k in self._data if predicate(k)]:
                del self._data[k]


class TtlCache:
    """A tiny time-bounded cache (per process) for access facts that change rarely: an
    account's state, a teacher's classes, a student's memberships, each kept for ``ttl_s``
    seconds or until ``drop``.

    ``drop`` comes from another thread (the store's change feed): a ``load`` that read the
    store while it ran may have read what was just changed, so its value is returned but not
    kept, as ``ResponseCache`` does with bodies. Kept, a revoked assignment would still be
    honoured until the ttl."""

    def __init__(self, ttl_s: float) -> None:
        self.ttl = ttl_s
        self._data: dict[Any, tuple[float, Any]] = {}
        self._lock = threading.Lock()
        self._generation = 0

    def get(self, key: Any, load: Callable[[], Any]) -> Any:
        """The value cached for ``key``, else ``load()`` (kept unless a drop came meanwhile)."""
        now = time.monotonic()
        hit = self._data.get(key)
        if hit is not None and now - hit[0] < self.ttl:
            return hit[1]
        generation = self._generation
        value = load()
        with self._lock:
            if generation == self._generation:
                self._data[key] = (now, value)
        return value

    def drop(self, key: Any) -> None:
        """Forget ``key`` (its row changed)."""
        with self._lock:
            self._generation += 1
            self._data.pop(key, None)

    def clear(self) -> None:
        """Forget everything."""
        with self._lock:
            self._generation += 1
            self._data.clear()


class NameCache:
    """student_id -> display name (None: the student has no account), each read kept for at
    most ``ttl_s`` seconds (the whole cache is dropped then) or until ``forget`` drops it.

    ``forget`` comes from another thread (the store's change feed applying a rename): a lookup
    that read the store while it ran may have read the old name, so what that lookup read is
    returned but not kept, as ``ResponseCache`` does with bodies."""

    def __init__(self, ttl_s: float) -> None:
        self.ttl_s = ttl_s
        self._names: dict[str, str | None] = {}
        self._stamp = time.monotonic()
        self._lock = threading.Lock()
        self._generation = 0

    def names(
        self, student_ids: list[str], load: Callable[[list[str]], dict[str, str]]
    ) -> dict[str, str]:
        """The display names of ``student_ids`` that have one; ``load`` reads those not
        cached from the store (returning only the students it found)."""
        with self._lock:
            if time.monotonic() - self._stamp > self.ttl_s:
                self._stamp = time.monotonic()
                self._generation += 1
                self._names = {}
            known = {s: self._names[s] for s in student_ids if s in self._names}
            generation = self._generation
        missing = [s for s in dict.fromkeys(student_ids) if s not in known]
        if missing:
            found = load(missing)
            read = {s: found.get(s) for s in missing}
            known.update(read)
            with self._lock:
                if generation == self._generation:
                    self._names.update(read)
        return {s: name for s in student_ids if (name := known.get(s))}

    def forget(self, student_ids: Iterable[str]) -> None:
        """Drop these students' names (renamed, erased, new accounts)."""
        with self._lock:
            self._generation += 1
            for s in student_ids:
                self._names.pop(s, None)

    def clear(self) -> None:
        """Drop every name."""
        with self._lock:
            self._generation += 1
            self._names = {}
