"""The demo school generator: a roster, course content and a term of simulated activity, written
into a landing folder in every supported format (see docs/formats.md).

Deterministic: the same ``seed`` gives byte-identical files; times derive from a fixed term start,
never from the clock. The default term starts on Monday 2025-09-08, so that a full default run
(120 days) lies in the past of any load and nothing but the injected records is rejected as a
future timestamp.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import polars as pl

from lake.demo._io import epoch_ms, uuids
from lake.demo.bad import Tally
from lake.demo.caliper import write_caliper_day
from lake.demo.content import build_catalog, write_content
from lake.demo.forum import day_posts, write_forum_day
from lake.demo.quiz import write_quiz_day
from lake.demo.roster import WITHDRAWAL_LAG_DAYS, build_roster, write_oneroster, write_withdrawals
from lake.demo.simulate import LearnerState, simulate_day, simulate_population
from lake.demo.xapi import ContentCodes, XapiContext, write_xapi_day

TERM_START = date(2025, 9, 8)
MIN_TERM_DAYS = 138  # a fall term runs into late January even when fewer days are simulated
QUIZ_JSON_WEEKDAY = 4  # Fridays the quiz engine exports JSON lines instead of CSV


@dataclass
class DemoSummary:
    """What ``generate`` wrote.

    ``files``: files per ``<source>/<format>`` (``xapi/jsonl``, ``content/md``, ...).
    ``records``: data records per ``<source>`` (lines or CSV rows as written, bad ones included;
    a duplicated record counts twice), plus ``oneroster/<file>`` rows and derived counts
    (``caliper_events``, ``xapi_voiding``, ``content_items``, ``quiz_items``).
    ``bad_records``: injected bad records per kind (named after the quarantine reason code a
    correct loader gives them) over all sources; ``bad_by_source``: the same per source.
    """

    landing: Path
    seed: int
    students: int
    days: int
    start_date: date
    end_date: date
    class_ids: list[str]
    unknown_class_id: str
    files: dict[str, int] = field(default_factory=dict)
    records: dict[str, int] = field(default_factory=dict)
    bad_records: dict[str, int] = field(default_factory=dict)
    bad_by_source: dict[str, dict[str, int]] = field(default_factory=dict)
    dropouts: int = 0
    bytes_written: int = 0

    def add_file(self, key: str, n_bytes: int) -> None:
        """Count one written file of kind ``key`` and its size (nothing when none was written:
        a day without records of a source gets no file)."""
        if n_bytes == 0:
            return
        self.files[key] = self.files.get(key, 0) + 1
        self.bytes_written += n_bytes

    def add_records(self, key: str, n: int) -> None:
        """Count ``n`` records under ``key``."""
        self.records[key] = self.records.get(key, 0) + n


def generate(
    landing: Path,
    students: int = 600,
    days: int = 120,
    seed: int = 7,
    *,
    term_start: date = TERM_START,
) -> DemoSummary:
    """Write a demo school into ``landing``: ``oneroster/``, ``content/``, ``xapi/``,
    ``caliper/``, ``quiz_attempts/`` and ``forum/``, one file per source and day for events.

    ``students`` students are simulated for ``days`` days from ``term_start`` with a latent
    ability / engagement model (see ``lake.demo.simulate``), including dropouts and learning.
    ``days=1`` is the benchmark mode: every student is active that day with 30-60 statements.
    A small share of event records is deliberately bad (counted in the summary). A day without
    records of a source gets no file for it. Existing files with the same names are
    overwritten.
    """
    if students < 1 or days < 1:
        raise ValueError("students and days must be at least 1")
    landing = Path(landing)
    term_code = f"{term_start.year}{'f' if term_start.month >= 7 else 's'}"
    term_end = term_start + timedelta(days=max(days, MIN_TERM_DAYS) - 1)
    catalog = build_catalog(term_code)
    unknown_class = f"cls-chem2-{term_code}"
    summary = DemoSummary(
        landing=landing,
        seed=seed,
        students=students,
        days=days,
        start_date=term_start,
        end_date=term_start + timedelta(days=days - 1),
        class_ids=list(catalog.class_ids),
        unknown_class_id=unknown_class,
    )

    # Independent streams, so changing one source's draws does not shift the others.
    roster_rng, pop_rng, day_rng, xapi_rng, cal_rng, quiz_rng, forum_rng = (
        np.random.default_rng(s) for s in np.random.SeedSequence(seed).spawn(7)
    )
    roster = build_roster(roster_rng, catalog, students, term_start, term_end)
    bundle = landing / "oneroster" / f"demo-bundle-{(term_start - timedelta(days=7)).isoformat()}"
    counts, n_bytes = write_oneroster(roster_rng, roster, catalog, bundle, term_code)
    for name, rows in counts.items():
        summary.add_records(f"oneroster/{name}", rows)
    summary.files["oneroster/csv"] = len(counts)
    summary.bytes_written += n_bytes

    content_counts, n_bytes = write_content(catalog, landing / "content")
    for kind, n in content_counts.items():
        summary.files[f"content/{kind}"] = n
    summary.bytes_written += n_bytes
    summary.add_records("content_items", content_counts["md"] + content_counts["html"])
    summary.add_records("quiz_items", int(catalog.item_ids.size))

    pop = simulate_population(pop_rng, students, days)
    summary.dropouts = int((pop.dropout_day < days).sum())
    # The school records each dropout as a withdrawal a little later (never after the term);
    # the end-of-term roster delta carries them, so outcomes are known to the at-risk model.
    term_days = (term_end - term_start).days
    withdrawn_on = {
        int(i): term_start + timedelta(days=min(int(pop.dropout_day[i]) + WITHDRAWAL_LAG_DAYS,
                                                term_days))
        for i in np.flatnonzero(pop.dropout_day < days)
    }  # fmt: skip
    n_rows, n_bytes = write_withdrawals(
        roster,
        catalog,
        landing / "oneroster" / f"demo-withdrawals-{term_end.isoformat()}",
        withdrawn_on,
    )
    if n_rows:
        summary.add_records("oneroster/withdrawals", n_rows)
        summary.files["oneroster/withdrawals"] = 2  # manifest.csv + enrollments.csv
        summary.bytes_written += n_bytes
    state = LearnerState.start(pop_rng, students, catalog)
    codes = ContentCodes.of(catalog)
    student_series = pl.Series("student", roster.student_ids, dtype=pl.String)
    class_series = pl.Series("class", list(catalog.class_ids), dtype=pl.String)
    ctx = XapiContext(
        student_ids=student_series,
        class_ids=class_series,
        codes=codes,
        catalog=catalog,
        teacher_of_class=tuple(roster.class_teachers[c][0] for c in range(catalog.n_classes)),
        unknown_class_id=unknown_class,
    )
    members = [np.flatnonzero((roster.enrolled == c).any(axis=1)) for c in range(catalog.n_classes)]
    tally = Tally()
    benchmark = days == 1
    # One day's forum export comes as CSV: the first day with posts from the fourth day on.
    forum_csv_day, forum_csv_done = min(days - 1, 3), False
    for d in range(days):
        day_date = term_start + timedelta(days=d)
        day_ms = epoch_ms(day_date)
        stamp = day_date.isoformat()
        day = simulate_day(
            day_rng, pop, roster, catalog, state, d, day_ms, day_date.weekday(), benchmark
        )
        attempt_ids = uuids(quiz_rng, day.quiz_act.size)

        lines, voids, n_bytes = write_xapi_day(
            xapi_rng, day, ctx, attempt_ids, landing / "xapi" / stamp / "statements.jsonl", tally
        )
        summary.add_file("xapi/jsonl", n_bytes)
        summary.add_records("xapi", lines)
        summary.add_records("xapi_voiding", voids)

        lines, events, n_bytes = write_caliper_day(
            cal_rng,
            day,
            catalog,
            roster.student_ids,
            landing / "caliper" / stamp / "events.jsonl",
            unknown_class,
            tally,
        )
        summary.add_file("caliper/jsonl", n_bytes)
        summary.add_records("caliper", lines)
        summary.add_records("caliper_events", events)

        as_json = day_date.weekday() == QUIZ_JSON_WEEKDAY and not benchmark
        suffix, lines, n_bytes = write_quiz_day(
            quiz_rng,
            day,
            attempt_ids,
            student_series,
            class_series,
            codes,
            landing / "quiz_attempts" / stamp,
            as_json,
            unknown_class,
            tally,
        )
        summary.add_file(f"quiz_attempts/{suffix}", n_bytes)
        summary.add_records("quiz_attempts", lines)

        posts = day_posts(forum_rng, day, roster, catalog, day_ms, stamp.replace("-", ""), members)
        as_csv = not forum_csv_done and bool(posts) and (d >= forum_csv_day or d == days - 1)
        forum_csv_done |= as_csv
        suffix, lines, n_bytes = write_forum_day(
            forum_rng, posts, landing / "forum" / stamp, as_csv, unknown_class, tally
        )
        summary.add_file(f"forum/{suffix}", n_bytes)
        summary.add_records("forum", lines)

    summary.bad_records = tally.totals()
    summary.bad_by_source = tally.as_dict()
    return summary
