"""Injected bad records: which kinds exist, how often each source gets them, and the tally.

Kind names are the quarantine reason codes (``lake.quarantine.Reason``) a correct loader should
give each record, so an end-to-end test can compare quarantine counts with the summary. Every bad
record carries exactly one defect.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from enum import StrEnum

import numpy as np


class Bad(StrEnum):
    """Kinds of injected defects, named after the reason code they should be quarantined with."""

    MALFORMED_JSON = "malformed_json"  # a JSON line cut short
    MALFORMED_CSV = "malformed_csv"  # a CSV row with a field missing (too few columns)
    MISSING_FIELD = "missing_field"  # a required field absent or empty
    WRONG_TYPE = "wrong_type"  # score "abc", timestamp as a number
    FUTURE_TIMESTAMP = "future_timestamp"  # year 2099
    DUPLICATE_RECORD = "duplicate_record"  # the same record twice in one file
    BAD_ENCODING = "bad_encoding"  # Latin-1 bytes where UTF-8 is expected
    UNKNOWN_CLASS = "unknown_class"  # a class id not in the roster


# Share of records per kind; about 0.6-0.8% of event lines in all.
JSON_EVENT_RATES: dict[Bad, float] = {
    Bad.MALFORMED_JSON: 0.0012,
    Bad.WRONG_TYPE: 0.0012,
    Bad.FUTURE_TIMESTAMP: 0.0008,
    Bad.DUPLICATE_RECORD: 0.0012,
    Bad.BAD_ENCODING: 0.0006,
    Bad.UNKNOWN_CLASS: 0.0008,
}
CALIPER_RATES: dict[Bad, float] = {
    Bad.MALFORMED_JSON: 0.002,
    Bad.FUTURE_TIMESTAMP: 0.0015,
    Bad.UNKNOWN_CLASS: 0.0015,
}
QUIZ_CSV_RATES: dict[Bad, float] = {
    Bad.MALFORMED_CSV: 0.001,
    Bad.MISSING_FIELD: 0.0008,
    Bad.WRONG_TYPE: 0.001,
    Bad.FUTURE_TIMESTAMP: 0.0006,
    Bad.DUPLICATE_RECORD: 0.0008,
    Bad.BAD_ENCODING: 0.0006,
    Bad.UNKNOWN_CLASS: 0.0006,
}
QUIZ_JSON_RATES: dict[Bad, float] = {
    Bad.MALFORMED_JSON: 0.001,
    Bad.MISSING_FIELD: 0.0008,
    Bad.WRONG_TYPE: 0.001,
    Bad.FUTURE_TIMESTAMP: 0.0006,
    Bad.DUPLICATE_RECORD: 0.0008,
    Bad.BAD_ENCODING: 0.0006,
    Bad.UNKNOWN_CLASS: 0.0006,
}
# Forum exports are small, so a higher rate still gives only a handful.
FORUM_JSON_RATES: dict[Bad, float] = {
    Bad.MALFORMED_JSON: 0.006,
    Bad.MISSING_FIELD: 0.005,
    Bad.BAD_ENCODING: 0.008,
    Bad.UNKNOWN_CLASS: 0.005,
    Bad.FUTURE_TIMESTAMP: 0.004,
}
FORUM_CSV_RATES: dict[Bad, float] = {Bad.MALFORMED_CSV: 0.03, Bad.BAD_ENCODING: 0.03}


def pick_bad_rows(
    rng: np.random.Generator, eligible: np.ndarray, rates: dict[Bad, float]
) -> dict[int, Bad]:
    """Choose distinct rows among ``eligible`` (row numbers) to corrupt, per kind."""
    counts = [int(rng.binomial(eligible.size, r)) if eligible.size else 0 for r in rates.values()]
    total = min(sum(counts), eligible.size)
    if total == 0:
        return {}
    rows = rng.choice(eligible, size=total, replace=False)
    kinds = [k for k, c in zip(rates, counts, strict=True) for _ in range(c)][:total]
    return {int(r): k for r, k in zip(rows, kinds, strict=True)}


@dataclass
class Tally:
    """Counts of injected bad records per source and kind."""

    by_source: dict[str, Counter[str]] = field(default_factory=dict)

    def add(self, source: str, kind: Bad, n: int = 1) -> None:
        """Count ``n`` bad records of ``kind`` in ``source``."""
        self.by_source.setdefault(source, Counter())[kind.value] += n

    def totals(self) -> dict[str, int]:
        """Counts per kind over all sources, every kind present (0 when none)."""
        out = {k.value: 0 for k in Bad}
        for counter in self.by_source.values():
            for k, v in counter.items():
                out[k] += v
        return out

    def as_dict(self) -> dict[str, dict[str, int]]:
        """Counts per source, then kind (only kinds that occurred)."""
        return {s: dict(sorted(c.items())) for s, c in sorted(self.by_source.items())}
