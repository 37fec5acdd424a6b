"""The display-name cache: names are read from the store once, dropped per student by the change
feed, and a read made while a student's name was dropped is returned but not kept."""

from __future__ import annotations

from collections.abc import Callable

from api.cache import NameCache


def _reader(store: dict[str, str]) -> Callable[[list[str]], dict[str, str]]:
    """A store lookup: the names of the asked students that have one."""

    def load(missing: list[str]) -> dict[str, str]:
        return {s: store[s] for s in missing if s in store}

    return load


def test_names_are_read_once_and_students_without_an_account_are_remembered() -> None:
    cache = NameCache(ttl_s=300)
    store = {"s1": "Ada"}
    reads: list[list[str]] = []

    def load(missing: list[str]) -> dict[str, str]:
        reads.append(missing)
        return {s: store[s] for s in missing if s in store}

    assert cache.names(["s1", "s2", "s1"], load) == {"s1": "Ada"}
    assert cache.names(["s2", "s1"], load) == {"s1": "Ada"}
    assert reads == [["s1", "s2"]]


def test_a_forgotten_student_is_read_again() -> None:
    cache = NameCache(ttl_s=300)
    store = {"s1": "Ada"}
    cache.names(["s1"], _reader(store))
    store["s1"] = "Grace"
    cache.forget(["s1"])
    assert cache.names(["s1"], _reader(store)) == {"s1": "Grace"}


def test_a_read_made_while_a_rename_was_applied_is_returned_but_not_kept() -> None:
    cache = NameCache(ttl_s=300)
    store = {"s1": "Ada"}

    def load_while_renamed(missing: list[str]) -> dict[str, str]:
        found = {s: store[s] for s in missing if s in store}
        # Meanwhile the change feed's thread applies a rename of the student just read.
        store["s1"] = "Grace"
        cache.forget(["s1"])
        return found

    assert cache.names(["s1"], load_while_renamed) == {"s1": "Ada"}
    assert cache.names(["s1"], _reader(store)) == {"s1": "Grace"}


def test_names_older_than_the_ttl_are_read_again() -> None:
    cache = NameCache(ttl_s=0)
    store = {"s1": "Ada"}
    cache.names(["s1"], _reader(store))
    store["s1"] = "Grace"  # changed outside the change feed
    assert cache.names(["s1"], _reader(store)) == {"s1": "Grace"}
