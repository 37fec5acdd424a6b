"""The response cache: bodies are kept until invalidated, and one built while an invalidation
happened (another thread applying the store's change feed) is served but not kept."""

from __future__ import annotations

from api.cache import ResponseCache


class _Gold:
    """Gold tables that never change version."""

    def version(self, table: str) -> int:
        return 1


def test_a_body_built_without_an_invalidation_is_kept() -> None:
    cache = ResponseCache(_Gold())  # type: ignore[arg-type]
    builds: list[int] = []

    def build() -> dict[str, str]:
        builds.append(1)
        return {"s1": "Ada"}

    cache.respond(("roster", "c1"), ("t",), dict[str, str], build)
    cache.respond(("roster", "c1"), ("t",), dict[str, str], build)
    assert len(builds) == 1 and cache.hits == 1


def test_a_body_built_across_an_invalidation_is_served_but_not_kept() -> None:
    cache = ResponseCache(_Gold())  # type: ignore[arg-type]
    names = {"s1": "Ada"}

    def build_while_renamed() -> dict[str, str]:
        body = dict(names)
        # Meanwhile the change feed's thread applies a rename: it drops the answers naming
        # the student, which this body (read before the rename) is one of.
        names["s1"] = "Grace"
        cache.invalidate(lambda key: True)
        return body

    first = cache.respond(("roster", "c1"), ("t",), dict[str, str], build_while_renamed)
    assert b"Ada" in first.body
    second = cache.respond(("roster", "c1"), ("t",), dict[str, str], lambda: dict(names))
    assert b"Grace" in second.body and cache.misses == 2
