"""Draft items for every course page of a lake and report how many pass the checks.

Run::

    .venv/bin/python -m ml_assets.question_gen.evaluate --lake /tmp/qg/lake [--max-pages N]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import polars as pl

from ml_assets.question_gen.checks import CHECKS, VectorCache
from ml_assets.question_gen.draft import DraftItem, class_terms, draft_items
from ml_assets.tutor.index import TutorIndex

__all__ = ["evaluate", "load_pages", "summarise"]

Embedder = Callable[[list[str]], npt.NDArray[np.float32]]
N_EXAMPLES = 6


def load_pages(lake: Path) -> list[dict[str, Any]]:
    """The lake's silver ``content_pages`` rows, ordered by ``content_id``."""
    from deltalake import DeltaTable

    table = DeltaTable(str(Path(lake) / "silver" / "content_pages")).to_pyarrow_table()
    return pl.from_arrow(table).sort("content_id").to_dicts()  # type: ignore[union-attr]


def _share(values: Sequence[bool]) -> float | None:
    return round(float(np.mean(values)), 4) if values else None


def summarise(drafts: Sequence[DraftItem], examples: int = N_EXAMPLES) -> dict[str, Any]:
    """Pass shares overall, per check (over the drafts the check applies to) and per kind,
    failure counts per check, and a few passing and failing drafts (id, kind, stem)."""
    per_check: dict[str, Any] = {}
    for name in CHECKS:
        results = [d.checks[name] for d in drafts if name in d.checks]
        per_check[name] = {"applies_to": len(results), "pass_share": _share(results)}
    per_kind: dict[str, Any] = {}
    for kind in sorted({d.kind for d in drafts}):
        of_kind = [d.passed for d in drafts if d.kind == kind]
        per_kind[kind] = {"drafts": len(of_kind), "pass_share": _share(of_kind)}
    failed_by: Counter[str] = Counter(n for d in drafts for n, ok in d.checks.items() if not ok)

    def pick(passed: bool) -> list[dict[str, str]]:
        chosen = [d for d in drafts if d.passed == passed]
        step = max(1, len(chosen) // examples) if chosen else 1
        return [{"item_id": d.item_id, "kind": d.kind, "stem": d.stem} for d in chosen[::step]][
            :examples
        ]

    return {
        "drafts": len(drafts),
        "pass_share": _share([d.passed for d in drafts]),
        "per_check": per_check,
        "per_kind": per_kind,
        "failed_by_check": dict(sorted(failed_by.items())),
        "examples_passing": pick(True),
        "examples_failing": pick(False),
    }


def evaluate(
    lake: Path,
    max_pages: int | None = None,
    max_items: int = 10,
    seed: int = 0,
    embed: Embedder | None = None,
    drafts_out: Path | None = None,
) -> dict[str, Any]:
    """Draft and check items for the course pages of ``lake``.

    The tutor index is built once for all classes; each class's key terms are embedded in
    one batch. With ``max_pages`` only the first pages (by ``content_id``) are drafted from,
    but every page still counts for the term statistics and the tutor index.

    Args:
        lake: A lake folder with ``silver/content_pages``.
        max_pages: Draft from at most this many pages.
        max_items: Drafts per page at most.
        seed: Option-order seed.
        embed: Embedder override (default: MiniLM).
        drafts_out: When given, every draft is written there as JSON lines.

    Returns:
        :func:`summarise` of all drafts plus ``pages``, ``pages_with_drafts``, ``classes``
        and ``seconds``.
    """
    started = time.perf_counter()
    emb = VectorCache(embed)
    pages = load_pages(Path(lake))
    index = TutorIndex.from_pages(pages, embed=emb)
    languages = {p.content_id: p.language for p in index.passages}
    by_class: dict[str | None, list[dict[str, Any]]] = defaultdict(list)
    for p in pages:
        by_class[p.get("class_id")].append(p)
    chosen = pages if max_pages is None else pages[:max_pages]
    wanted = {p.get("class_id") for p in chosen}
    terms = {c: class_terms(by_class[c], emb, languages) for c in sorted(wanted, key=str)}
    drafts: list[DraftItem] = []
    with_drafts = 0
    for p in chosen:
        c = p.get("class_id")
        got = draft_items(
            p, by_class[c], index, max_items=max_items, seed=seed, embed=emb, terms=terms[c]
        )
        with_drafts += bool(got)
        drafts.extend(got)
    if drafts_out is not None:
        with Path(drafts_out).open("w", encoding="utf-8") as f:
            for d in drafts:
                f.write(json.dumps(d.to_dict(), ensure_ascii=False) + "\n")
    return {
        "pages": len(chosen),
        "pages_with_drafts": with_drafts,
        "classes": len(wanted),
        **summarise(drafts),
        "seconds": round(time.perf_counter() - started, 1),
    }


def main(argv: Sequence[str] | None = None) -> int:
    """Command line: print the evaluation as JSON."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--lake", type=Path, required=True)
    parser.add_argument("--max-pages", type=int, default=None)
    parser.add_argument("--max-items", type=int, default=10)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--drafts-out", type=Path, default=None)
    args = parser.parse_args(argv)
    result = evaluate(args.lake, args.max_pages, args.max_items, args.seed, None, args.drafts_out)
    json.dump(result, sys.stdout, indent=2, ensure_ascii=False)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
