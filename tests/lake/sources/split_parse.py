"""The Spark engine's split parse of an event source, run in this process (no Spark): each unit
mapped on its own, with no view of the others, then the batch reduced. Tests put it in place of
the loader's batch parser to compare it with one-by-one and one-batch loading."""

from __future__ import annotations

from collections.abc import Callable

from lake import loader
from lake.sources.base import LoadUnit, ParseContext, ParseResult


def split_parse(source: str) -> Callable[[list[LoadUnit], ParseContext], list[ParseResult | None]]:
    """A batch parser running ``source``'s ``map_unit`` per unit, then ``reduce_units``."""
    parser = loader.parser_for(source)

    def parse(units: list[LoadUnit], ctx: ParseContext) -> list[ParseResult | None]:
        maps = [parser.map_unit(u, parser.map_inputs(ctx), ctx.now) for u in units]
        return parser.reduce_units(units, maps, ctx)

    return parse


def use_split_parse(source: str) -> Callable[..., tuple[Callable[..., object], int]]:
    """A stand-in for ``lake.loader._batch_parse`` that always gives ``split_parse(source)``."""
    return lambda settings, parser: (split_parse(source), 1)
