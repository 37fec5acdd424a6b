"""The access-fact cache (accounts, teachers' classes, memberships): values are loaded once per
ttl, dropped per key by the change feed, and a load made while its key was dropped is returned
but not kept."""

from __future__ import annotations

from api.cache import TtlCache


def test_a_value_is_loaded_once_within_the_ttl() -> None:
    cache = TtlCache(ttl_s=60)
    loads: list[int] = []

    def load() -> frozenset[str]:
        loads.append(1)
        return frozenset({"alg1"})

    assert cache.get(7, load) == frozenset({"alg1"})
    assert cache.get(7, load) == frozenset({"alg1"})
    assert len(loads) == 1


def test_a_dropped_key_is_loaded_again() -> None:
    cache = TtlCache(ttl_s=60)
    store = {7: frozenset({"alg1"})}
    cache.get(7, lambda: store[7])
    store[7] = frozenset()
    cache.drop(7)
    assert cache.get(7, lambda: store[7]) == frozenset()


def test_a_load_made_while_its_key_was_dropped_is_returned_but_not_kept() -> None:
    cache = TtlCache(ttl_s=60)
    store = {7: frozenset({"alg1"})}

    def load_while_unassigned() -> frozenset[str]:
        read = store[7]
        # Meanwhile another process removes the assignment and the change feed drops it here.
        store[7] = frozenset()
        cache.drop(7)
        return read

    assert cache.get(7, load_while_unassigned) == frozenset({"alg1"})
    assert cache.get(7, lambda: store[7]) == frozenset()


def test_clear_forgets_everything_and_values_past_the_ttl_are_loaded_again() -> None:
    store = {7: "teacher", 8: "student"}
    cache = TtlCache(ttl_s=60)
    for key in store:
        cache.get(key, lambda key=key: store[key])
    store.update({7: "admin", 8: "admin"})
    cache.clear()
    assert [cache.get(k, lambda k=k: store[k]) for k in (7, 8)] == ["admin", "admin"]
    expired = TtlCache(ttl_s=0)
    expired.get(7, lambda: "teacher")
    assert expired.get(7, lambda: "admin") == "admin"
