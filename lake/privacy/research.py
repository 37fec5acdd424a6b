"""Anonymised research tables: release-keyed ids, generalisation to k-anonymity, small cells.

What researchers get (through Trino's read-only ``research`` catalog) lives under
``<lake>/gold/research/``. Everything here is a pure library (polars, no Dagster):

* **Research ids.** ``research_id = "r_" + HMAC-SHA256(secret, release + ":" + student_id)``,
  truncated to 24 hex digits. The *secret* never enters the lake: it comes from
  ``LEARNSMART_RESEARCH_SECRET``, else from a key file (``LEARNSMART_RESEARCH_SECRET_FILE``,
  default ``<lake>/../secrets/research.key``, created with mode 0600 on first use in
  development only; a path inside the lake is refused). The *release* key
  (``LEARNSMART_RESEARCH_RELEASE``, default ``release-1``) is mixed in, so two releases built
  with different release keys give unlinkable ids; an admin allows a join across two builds by
  building both under the same release key.
* **Generalisation.** Each quasi-identifier has a ladder from fine to ``any`` (age: 5-year band,
  10-year band; region: larger area; IMD: 10% then 20% bands; grade: school phase; withdrawal:
  week since class start, then 4-week block). :func:`generalise` climbs the ladders one rung
  at a time, always on the quasi-identifier with the most distinct values (Datafly), until at
  most ``max_suppressed_share`` of the rows sit in combinations shared by fewer than ``k``
  students; those rows are then suppressed (and counted). Every released combination is shared
  by at least ``k`` students.
* **Checks.** :func:`k_anonymity_violations` lists the combinations with fewer than ``k``
  students; :func:`suppress_small_cells` nulls aggregate cells counted over fewer than ``k``.
* **Consent.** :func:`consented` keeps only students with granted research consent
  (``lake.privacy.consent``).
"""

from __future__ import annotations

import hashlib
import hmac
import os
import re
import secrets
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl
import pyarrow as pa
from deltalake import DeltaTable, write_deltalake
from deltalake.exceptions import TableNotFoundError

from lake.io import WRITER, conform_to, read_delta
from lake.settings import SettingsError

RESEARCH_DIR = Path("gold/research")
RESEARCH_PREFIX = "r_"
SECRET_ENV = "LEARNSMART_RESEARCH_SECRET"
SECRET_FILE_ENV = "LEARNSMART_RESEARCH_SECRET_FILE"
RELEASE_ENV = "LEARNSMART_RESEARCH_RELEASE"
K_ENV = "LEARNSMART_RESEARCH_K"
DEFAULT_RELEASE = "release-1"
DEFAULT_K = 5
MIN_SECRET_BYTES = 16
ANY = "any"

# Columns that must never appear in a research table (direct identifiers, source ids, free text).
FORBIDDEN_COLUMNS = frozenset(
    {
        "student_id",
        "author_id",
        "staff_id",
        "user_id",
        "identifier",
        "identifier_type",
        "source_id",
        "sourced_id",
        "statement_id",
        "attempt_id",
        "event_id",
        "post_id",
        "given_name",
        "family_name",
        "name",
        "display_name",
        "email",
        "username",
        "lrs_account",
        "birth_year",
        "birth_date",
        "org_id",
        "region",
        "body",
        "text",
        "note",
        "response",
        "question",
        "answer",
        "title",
        "stem",
    }
)
_STUDENT_ID_VALUE = re.compile(r"\bs_[0-9a-f]{24}\b")
_EMAIL_VALUE = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
MAX_TEXT_CHARS = 64  # a longer string value is free text, not a category


# --- ids -----------------------------------------------------------------------------------------


def default_secret_file(lake: Path) -> Path:
    """Where the research secret is kept when no variable gives it: beside the lake, not in it."""
    return lake.resolve().parent / "secrets" / "research.key"


def _inside(path: Path, folder: Path) -> bool:
    p, f = path.resolve(), folder.resolve()
    return p == f or f in p.parents


def load_secret(lake: Path, env: str | None = None) -> bytes:
    """The research HMAC secret: ``LEARNSMART_RESEARCH_SECRET``, else the key file.

    The key file (``LEARNSMART_RESEARCH_SECRET_FILE`` or :func:`default_secret_file`) is made
    with 32 random bytes and mode 0600 on first use, in development only; elsewhere a missing
    secret is an error. A key file inside the lake is refused: researchers read the lake.
    """
    env = env or os.environ.get("LEARNSMART_ENV", "development")
    given = os.environ.get(SECRET_ENV, "")
    if given:
        if len(given.encode()) < MIN_SECRET_BYTES:
            raise SettingsError(f"{SECRET_ENV} must be at least {MIN_SECRET_BYTES} bytes long")
        return given.encode()
    path = Path(os.environ.get(SECRET_FILE_ENV) or default_secret_file(lake))
    if _inside(path, lake):
        raise SettingsError(f"the research secret must be kept outside the lake, not at {path}")
    if not path.exists():
        if env != "development":
            raise SettingsError(
                f"no research secret: set {SECRET_ENV} or create {path} (LEARNSMART_ENV={env!r})"
            )
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(secrets.token_hex(32) + "\n")
    value = path.read_text().strip()
    if len(value.encode()) < MIN_SECRET_BYTES:
        raise SettingsError(f"the research secret in {path} is shorter than {MIN_SECRET_BYTES}")
    return value.encode()


@dataclass(frozen=True)
class ResearchKeys:
    """The secret and the release key that make research ids."""

    secret: bytes = field(repr=False)
    release: str = DEFAULT_RELEASE

    @classmethod
    def from_env(cls, lake: Path, release: str | None = None) -> ResearchKeys:
        """The deployment's keys: secret by :func:`load_secret`, release from the argument, then
        ``LEARNSMART_RESEARCH_RELEASE``, then ``release-1``."""
        rel = release or os.environ.get(RELEASE_ENV) or DEFAULT_RELEASE
        if not rel.strip() or ":" in rel:
            raise SettingsError(
                f"a research release key must be non-empty without ':', got {rel!r}"
            )
        return cls(secret=load_secret(lake), release=rel)


def research_id(keys: ResearchKeys, student_id: str) -> str:
    """The research id of one student in the release of ``keys``."""
    msg = f"{keys.release}:{student_id}".encode()
    return RESEARCH_PREFIX + hmac.new(keys.secret, msg, hashlib.sha256).hexdigest()[:24]


def research_ids_for(
    student_ids: Iterable[str], keys: ResearchKeys | None = None, *, lake: Path | None = None
) -> dict[str, str]:
    """student_id -> research_id in the current release (for erasure, and for the build).

    Without ``keys`` the deployment's keys are used (:meth:`ResearchKeys.from_env` on ``lake``,
    default ``LEARNSMART_LAKE``).
    """
    if keys is None:
        if lake is None:
            from lake.settings import LakeSettings

            lake = LakeSettings.from_env().lake
        keys = ResearchKeys.from_env(lake)
    return {s: research_id(keys, s) for s in dict.fromkeys(student_ids)}


def research_k() -> int:
    """k of the deployment: ``LEARNSMART_RESEARCH_K`` (at least 5), default 5."""
    raw = os.environ.get(K_ENV, "")
    if not raw:
        return DEFAULT_K
    try:
        k = int(raw)
    except ValueError as exc:
        raise SettingsError(f"{K_ENV} must be an integer, got {raw!r}") from exc
    if k < DEFAULT_K:
        raise SettingsError(f"{K_ENV} must be at least {DEFAULT_K}, got {k}")
    return k


# --- consent -------------------------------------------------------------------------------------


def consented(
    frame: pl.DataFrame, granted: Iterable[str], id_col: str = "student_id"
) -> pl.DataFrame:
    """The rows of students with granted research consent (everyone else dropped)."""
    allowed = pl.Series(id_col, sorted(set(granted)), dtype=pl.String)
    return frame.filter(pl.col(id_col).is_in(allowed))


# --- generalisation ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Ladder:
    """How one quasi-identifier is released, from finest (level 0) to coarsest (the last).

    Each level is an expression over the source frame giving the released value (same dtype at
    every level); the last level should be constant, so that climbing always ends.
    """

    name: str
    levels: tuple[pl.Expr, ...]
    dtype: pl.DataType = field(default_factory=pl.String)

    def at(self, level: int) -> pl.Expr:
        """The released column at ``level``."""
        return self.levels[level].cast(self.dtype).alias(self.name)

    @property
    def top(self) -> int:
        """The coarsest level."""
        return len(self.levels) - 1


def _band(value: pl.Expr, width: int) -> pl.Expr:
    lo = (value // width) * width
    return pl.concat_str([lo.cast(pl.String), pl.lit("-"), (lo + width - 1).cast(pl.String)])


def age_ladder(age: pl.Expr, given_band: pl.Expr | None = None) -> Ladder:
    """Age in years -> 5-year band -> 10-year band -> any. Where the age is unknown a band the
    source gave (OULAD's ``0-35``, ``35-55``, ``55<=``) is used at both band levels."""
    fallback = given_band if given_band is not None else pl.lit(None, pl.String)
    return Ladder(
        "age_band",
        (
            pl.coalesce(_band(age, 5), fallback),
            pl.coalesce(_band(age, 10), fallback),
            pl.lit(ANY),
        ),
    )


# OULAD's regions (and the UK nations) -> larger areas.
REGION_AREAS: dict[str, str] = {
    "North Region": "North of England",
    "North Western Region": "North of England",
    "Yorkshire Region": "North of England",
    "East Midlands Region": "Midlands",
    "West Midlands Region": "Midlands",
    "East Anglian Region": "South of England",
    "London Region": "South of England",
    "South East Region": "South of England",
    "South Region": "South of England",
    "South West Region": "South of England",
    "Scotland": "Scotland",
    "Wales": "Wales",
    "Ireland": "Ireland",
}


def region_ladder(region: pl.Expr, areas: Mapping[str, str] = REGION_AREAS) -> Ladder:
    """Region -> larger area (unmapped regions: ``other``) -> any. The raw region is never
    released: an uncommon region name is itself identifying."""
    area = (
        pl.when(region.is_null())
        .then(None)
        .otherwise(region.replace_strict(dict(areas), default="other", return_dtype=pl.String))
    )
    return Ladder("region_area", (area, pl.lit(ANY)))


def imd_ladder(imd_band: pl.Expr) -> Ladder:
    """IMD band (``20-30%``; OULAD also writes ``10-20``) -> 10% band -> 20% band -> any."""
    lo = imd_band.str.extract(r"^\s*(\d+)", 1).cast(pl.Int64, strict=False)
    as_pct = pl.concat_str([_band(lo, 10), pl.lit("%")])
    twenty = (lo // 20) * 20
    as_twenty = pl.concat_str(
        [twenty.cast(pl.String), pl.lit("-"), (twenty + 20).cast(pl.String), pl.lit("%")]
    )
    return Ladder("imd_band", (as_pct, as_twenty, pl.lit(ANY)))


def grade_ladder(grade: pl.Expr) -> Ladder:
    """Grade level (``09``) -> school phase (primary K-5, middle 6-8, high 9-12) -> any."""
    g = grade.cast(pl.String).str.strip_chars()
    n = g.str.extract(r"^(\d+)$", 1).cast(pl.Int64, strict=False)
    phase = (
        pl.when(g.is_null())
        .then(None)
        .when(g.str.to_uppercase().is_in(["K", "KG", "PK", "TK"]) | (n <= 5))
        .then(pl.lit("primary"))
        .when(n <= 8)
        .then(pl.lit("middle"))
        .when(n <= 13)
        .then(pl.lit("high"))
        .otherwise(pl.lit("other"))
    )
    return Ladder("grade_level", (g, phase, pl.lit(ANY)))


def category_ladder(name: str, value: pl.Expr) -> Ladder:
    """A category released as it is, or not at all (``any``)."""
    return Ladder(name, (value.cast(pl.String), pl.lit(ANY)))


def flag_ladder(name: str, value: pl.Expr) -> Ladder:
    """A boolean released as it is, or withheld (null)."""
    return Ladder(name, (value, pl.lit(None, pl.Boolean)), dtype=pl.Boolean())


def week_ladder(name: str, week: pl.Expr) -> Ladder:
    """A week since class start (1 = the first week) -> 4-week block (``5-8``) -> any."""
    block = ((week - 1) // 4) * 4 + 1
    as_block = pl.concat_str([block.cast(pl.String), pl.lit("-"), (block + 3).cast(pl.String)])
    return Ladder(name, (week.cast(pl.String), as_block, pl.lit(ANY)))


def weeks_since(start: pl.Expr, when: pl.Expr) -> pl.Expr:
    """Week number since ``start`` (a date): 1 for the first seven days; null without ``when``."""
    return ((when.cast(pl.Date) - start.cast(pl.Date)).dt.total_days() // 7 + 1).cast(pl.Int64)


def k_anonymity_violations(
    frame: pl.DataFrame,
    quasi_identifiers: Sequence[str],
    k: int = DEFAULT_K,
    entity: str | None = None,
) -> pl.DataFrame:
    """Combinations of ``quasi_identifiers`` shared by fewer than ``k`` entities.

    An entity is a distinct value of ``entity`` (a student's id), or a row when ``entity`` is
    None. Nulls are a value like any other. Returns the combinations with their count ``n``,
    smallest first; empty when the frame is k-anonymous.
    """
    qis = list(quasi_identifiers)
    if not qis:
        n = frame[entity].n_unique() if entity else frame.height
        ok = n == 0 or n >= k
        return pl.DataFrame({"n": [] if ok else [n]}, schema={"n": pl.UInt32})
    count = pl.col(entity).n_unique() if entity else pl.len()
    groups = frame.group_by(qis).agg(count.cast(pl.UInt32).alias("n"))
    return groups.filter(pl.col("n") < k).sort("n", *qis, nulls_last=True)


def _small_mask(frame: pl.DataFrame, qis: list[str], k: int, entity: str | None) -> pl.Series:
    if not qis:
        n = frame[entity].n_unique() if entity else frame.height
        return pl.Series([n < k] * frame.height, dtype=pl.Boolean)
    count = pl.col(entity).n_unique() if entity else pl.len()
    return frame.select((count.over(qis) < k).alias("small")).to_series()


@dataclass(frozen=True)
class Generalised:
    """What :func:`generalise` did.

    Attributes:
        frame: the released rows, with each ladder's column at its chosen level.
        levels: the level chosen per ladder (0 = finest).
        suppressed_rows: rows dropped because their combination stayed under ``k``.
        suppressed_entities: entities with at least one suppressed row.
        k: the k reached.
    """

    frame: pl.DataFrame
    levels: dict[str, int]
    suppressed_rows: int
    suppressed_entities: int
    k: int


def apply_levels(
    frame: pl.DataFrame, ladders: Sequence[Ladder], levels: Mapping[str, int]
) -> pl.DataFrame:
    """``frame`` with each ladder's released column at ``levels[ladder.name]``."""
    return frame.with_columns([ld.at(levels[ld.name]) for ld in ladders])


def generalise(
    frame: pl.DataFrame,
    ladders: Sequence[Ladder],
    k: int = DEFAULT_K,
    *,
    fixed: Sequence[str] = (),
    entity: str | None = None,
    max_suppressed_share: float = 0.05,
) -> Generalised:
    """Generalise ``ladders`` as coarsely as needed for k-anonymity, then suppress the rest.

    ``fixed`` quasi-identifiers (a class) take part in every combination but are never
    generalised. While more than ``max_suppressed_share`` of the rows sit in combinations of
    fewer than ``k`` entities, the ladder whose released column has the most distinct values
    climbs one level (ties: the earlier ladder). Then every row still in a small combination
    is dropped, so each released combination has at least ``k`` entities.
    """
    if k < 1:
        raise ValueError("k must be at least 1")
    names = [ld.name for ld in ladders]
    if len(set(names)) != len(names) or set(names) & set(fixed):
        raise ValueError("ladder names must be distinct and not among the fixed columns")
    qis = [*fixed, *names]
    levels = {n: 0 for n in names}
    while True:
        released = apply_levels(frame, ladders, levels)
        small = _small_mask(released, qis, k, entity)
        n_small = int(small.sum()) if released.height else 0
        if released.height == 0 or n_small <= max_suppressed_share * released.height:
            break
        climbable = [ld for ld in ladders if levels[ld.name] < ld.top]
        if not climbable:
            break
        widest = max(climbable, key=lambda ld: released[ld.name].n_unique())
        levels[widest.name] += 1
    dropped = released.filter(small) if n_small else released.clear()
    kept = released.filter(~small) if n_small else released
    n_entities = dropped[entity].n_unique() if entity and dropped.height else dropped.height
    return Generalised(kept, levels, dropped.height, int(n_entities), k)


def suppress_small_cells(
    aggregate: pl.DataFrame,
    count_col: str,
    k: int = DEFAULT_K,
    *,
    keys: Sequence[str],
    flag_col: str = "is_suppressed",
) -> pl.DataFrame:
    """Null every value of the cells counted over fewer than ``k`` (the count itself too);
    ``keys`` (the cell's coordinates) stay. ``flag_col`` says which cells were suppressed."""
    missing = [c for c in (count_col, *keys) if c not in aggregate.columns]
    if missing:
        raise KeyError(f"columns not in the aggregate: {missing}")
    flagged = aggregate.with_columns(
        (pl.col(count_col).is_null() | (pl.col(count_col) < k)).alias(flag_col)
    )
    values = [c for c in aggregate.columns if c not in keys]
    return flagged.with_columns(
        [pl.when(pl.col(flag_col)).then(None).otherwise(pl.col(c)).alias(c) for c in values]
    )


# --- identifier and free-text scan ---------------------------------------------------------------


def identifier_problems(frame: pl.DataFrame, allowed: Iterable[str] | None = None) -> list[str]:
    """Why ``frame`` may not be released: forbidden or undeclared columns, values that look like
    student ids or e-mail addresses, and long strings (free text). Empty when it may."""
    problems = [f"forbidden column {c!r}" for c in frame.columns if c.lower() in FORBIDDEN_COLUMNS]
    if allowed is not None:
        extra = sorted(set(frame.columns) - set(allowed))
        problems += [f"undeclared column {c!r}" for c in extra]
    for c in frame.columns:
        if frame.schema[c] != pl.String:
            continue
        values = frame[c].drop_nulls()
        if values.is_empty():
            continue
        if values.str.contains(_STUDENT_ID_VALUE.pattern).any():
            problems.append(f"column {c!r} holds student ids")
        if values.str.contains(_EMAIL_VALUE.pattern).any():
            problems.append(f"column {c!r} holds e-mail addresses")
        if (values.str.len_chars() > MAX_TEXT_CHARS).any():
            problems.append(f"column {c!r} holds free text (values over {MAX_TEXT_CHARS} chars)")
    return problems


# --- the research tables -------------------------------------------------------------------------

STUDENT_QIS: tuple[str, ...] = (
    "age_band",
    "gender",
    "region_area",
    "imd_band",
    "has_disability",
    "grade_level",
)
ENROLMENT_FIXED: tuple[str, ...] = ("class_id",)
ENROLMENT_QIS: tuple[str, ...] = ("withdrawn_week",)

STUDENTS_SCHEMA = pa.schema(
    [
        pa.field("research_id", pa.string()),
        pa.field("age_band", pa.string()),
        pa.field("gender", pa.string()),
        pa.field("region_area", pa.string()),
        pa.field("imd_band", pa.string()),
        pa.field("has_disability", pa.bool_()),
        pa.field("grade_level", pa.string()),
    ]
)
WEEK_FEATURES: tuple[tuple[str, pa.DataType], ...] = (
    ("n_events_this_week", pa.float64()),
    ("active_minutes_this_week", pa.float64()),
    ("n_active_days_this_week", pa.float64()),
    ("n_events_to_date", pa.float64()),
    ("active_minutes_to_date", pa.float64()),
    ("n_active_days_to_date", pa.float64()),
    ("days_since_last_active", pa.int64()),
    ("content_touched_share", pa.float64()),
    ("n_assessments_due", pa.int64()),
    ("n_assessments_submitted_to_date", pa.int64()),
    ("n_assessments_late_to_date", pa.int64()),
    ("weighted_score_to_date", pa.float64()),
    ("mean_score_to_date", pa.float64()),
    ("n_quiz_attempts_to_date", pa.int64()),
    ("mean_quiz_share_correct_to_date", pa.float64()),
    ("label_final_result", pa.string()),
    ("label_is_pass", pa.bool_()),
    ("label_dropped_out", pa.bool_()),
    ("label_withdrew_later", pa.bool_()),
    ("label_at_risk", pa.bool_()),
)
STUDENT_WEEKS_SCHEMA = pa.schema(
    [
        pa.field("research_id", pa.string()),
        pa.field("class_id", pa.string()),
        pa.field("course_id", pa.string()),
        pa.field("week", pa.int64()),
        pa.field("withdrawn_week", pa.string()),
        *[pa.field(n, t) for n, t in WEEK_FEATURES],
    ]
)
AGGREGATE_MEANS: tuple[str, ...] = (
    "active_minutes_this_week",
    "n_events_this_week",
    "content_touched_share",
    "mean_score_to_date",
    "mean_quiz_share_correct_to_date",
)
AGGREGATE_KEYS: tuple[str, ...] = ("class_id", "course_id", "week")


def _mean_name(column: str) -> str:
    """``mean_<column>`` for a class-week mean (a column that is a mean already keeps its name)."""
    return column if column.startswith("mean_") else f"mean_{column}"


AGGREGATES_SCHEMA = pa.schema(
    [
        pa.field("class_id", pa.string()),
        pa.field("course_id", pa.string()),
        pa.field("week", pa.int64()),
        pa.field("n_students", pa.int64()),
        pa.field("share_active", pa.float64()),
        *[pa.field(_mean_name(c), pa.float64()) for c in AGGREGATE_MEANS],
        pa.field("is_suppressed", pa.bool_()),
    ]
)
TABLES: dict[str, pa.Schema] = {
    "research_students": STUDENTS_SCHEMA,
    "research_student_weeks": STUDENT_WEEKS_SCHEMA,
    "research_class_week_aggregates": AGGREGATES_SCHEMA,
}


def student_ladders() -> list[Ladder]:
    """The ladders of the students' quasi-identifiers (over the build's enrolment frame)."""
    return [
        age_ladder(pl.col("age"), pl.col("source_age_band")),
        category_ladder("gender", pl.col("gender")),
        region_ladder(pl.col("region")),
        imd_ladder(pl.col("source_imd_band")),
        flag_ladder("has_disability", pl.col("source_has_disability")),
        grade_ladder(pl.col("source_grade_level")),
    ]


def enrolment_ladders() -> list[Ladder]:
    """The ladders of what a student's enrolment adds: the week they withdrew."""
    return [week_ladder("withdrawn_week", pl.col("withdrawn_week_number"))]


@dataclass(frozen=True)
class Release:
    """The three research tables of one build and what the build did."""

    students: pl.DataFrame
    student_weeks: pl.DataFrame
    aggregates: pl.DataFrame
    report: dict[str, object]


def _to_schema(frame: pl.DataFrame, schema: pa.Schema) -> pl.DataFrame:
    out = pl.from_arrow(conform_to(schema, frame.to_arrow()))
    assert isinstance(out, pl.DataFrame)
    return out


def build_release(
    students: pl.DataFrame,
    classes: pl.DataFrame,
    week_features: pl.DataFrame,
    progress: pl.DataFrame,
    granted: Iterable[str],
    keys: ResearchKeys,
    k: int = DEFAULT_K,
    max_suppressed_share: float = 0.05,
) -> Release:
    """The research tables from the gold marts, for the students in ``granted`` only.

    ``students`` is ``dim_students``, ``classes`` ``dim_classes``, ``week_features``
    ``fct_student_week_features`` and ``progress`` ``fct_student_progress``. One frame of
    enrolments (student x class) carries every quasi-identifier; it is generalised so that each
    combination of the student's generalised demographics, the class and the generalised
    withdrawal week is shared by at least ``k`` students. Suppressed enrolments leave the
    student-week rows; a student with no enrolment left leaves ``research_students``. The
    aggregates are computed over the released rows only (so they cannot be differenced against
    them) and cells under ``k`` students are suppressed.
    """
    allowed = set(granted)
    cls = classes.select("class_id", "course_id", "start_date")
    weeks = consented(week_features, allowed).join(cls, on="class_id", how="inner")
    enrol = (
        weeks.select("student_id", "class_id", "course_id", "start_date")
        .unique(["student_id", "class_id"])
        .join(
            consented(progress, allowed).select("student_id", "class_id", "withdrawn_date"),
            on=["student_id", "class_id"],
            how="left",
        )
    )
    people = consented(students, allowed)
    first_start = enrol.group_by("student_id").agg(pl.col("start_date").min().alias("first_start"))
    people = people.join(first_start, on="student_id", how="inner").with_columns(
        age=(pl.col("first_start").dt.year() - pl.col("birth_year")).cast(pl.Int64),
        source_age_band=pl.col("age_band"),
        source_imd_band=pl.col("imd_band"),
        source_has_disability=pl.col("has_disability"),
        source_grade_level=pl.col("grade_level"),
    )
    frame = enrol.join(
        people.select(
            "student_id",
            "age",
            "source_age_band",
            "gender",
            "region",
            "source_imd_band",
            "source_has_disability",
            "source_grade_level",
        ),
        on="student_id",
        how="inner",
    ).with_columns(
        withdrawn_week_number=weeks_since(pl.col("start_date"), pl.col("withdrawn_date"))
    )
    result = generalise(
        frame,
        [*student_ladders(), *enrolment_ladders()],
        k,
        fixed=ENROLMENT_FIXED,
        entity="student_id",
        max_suppressed_share=max_suppressed_share,
    )
    kept = result.frame
    ids = research_ids_for(kept["student_id"].unique().sort().to_list(), keys)
    id_map = pl.DataFrame(
        {"student_id": list(ids), "research_id": list(ids.values())},
        schema={"student_id": pl.String, "research_id": pl.String},
    )
    kept = kept.join(id_map, on="student_id", how="left")

    out_students = (
        kept.select("research_id", *STUDENT_QIS).unique("research_id").sort("research_id")
    )
    out_weeks = (
        weeks.join(
            kept.select("student_id", "class_id", "research_id", "withdrawn_week"),
            on=["student_id", "class_id"],
            how="inner",
        )
        .drop("student_id")
        .sort("research_id", "class_id", "week")
    )
    active = (pl.col("n_events_this_week").fill_null(0) > 0).cast(pl.Float64)
    agg = (
        out_weeks.group_by(list(AGGREGATE_KEYS))
        .agg(
            pl.col("research_id").n_unique().cast(pl.Int64).alias("n_students"),
            active.mean().alias("share_active"),
            *[pl.col(c).mean().alias(_mean_name(c)) for c in AGGREGATE_MEANS],
        )
        .sort(list(AGGREGATE_KEYS))
    )
    agg = suppress_small_cells(agg, "n_students", k, keys=AGGREGATE_KEYS)
    report: dict[str, object] = {
        "release": keys.release,
        "k": k,
        "students_consenting": len(allowed & set(students["student_id"].to_list())),
        "students_released": out_students.height,
        "enrolments_suppressed": result.suppressed_rows,
        "students_with_suppressed_enrolments": result.suppressed_entities,
        "levels": dict(result.levels),
        "cells_suppressed": int(agg["is_suppressed"].sum()),
    }
    return Release(
        students=_to_schema(out_students, STUDENTS_SCHEMA),
        student_weeks=_to_schema(out_weeks, STUDENT_WEEKS_SCHEMA),
        aggregates=_to_schema(agg, AGGREGATES_SCHEMA),
        report=report,
    )


# --- storage ------------------------------------------------------------------------------------


def table_path(lake: Path, table: str) -> Path:
    """Folder of one research table."""
    if table not in TABLES:
        raise KeyError(f"no research table {table!r}")
    return lake / RESEARCH_DIR / table


def write_table(lake: Path, table: str, frame: pl.DataFrame) -> int:
    """Replace a research table with ``frame`` (only its declared columns), then vacuum: the
    files of earlier builds go at once, so a student who withdrew consent is not left
    readable through time travel. Returns the rows written."""
    data = conform_to(TABLES[table], frame.to_arrow())
    path = table_path(lake, table)
    path.mkdir(parents=True, exist_ok=True)
    write_deltalake(
        str(path),
        data,
        mode="overwrite",
        schema_mode="overwrite",
        writer_properties=WRITER,
        name=table,
        description=f"LearnSmart research table {table}",
    )
    dt = DeltaTable(str(path))
    dt.vacuum(retention_hours=0, enforce_retention_duration=False, dry_run=False)
    dt.create_checkpoint()
    return data.num_rows


def read_table(lake: Path, table: str) -> pl.DataFrame | None:
    """A research table as polars, or None when it was never written."""
    try:
        dt = DeltaTable(str(table_path(lake, table)))
    except TableNotFoundError:
        return None
    out = pl.from_arrow(read_delta(dt))
    assert isinstance(out, pl.DataFrame)
    return out


def check_table(lake: Path, table: str, k: int = DEFAULT_K) -> tuple[bool, list[str], int]:
    """Whether a written research table may be released: (passed, problems, offending groups).

    ``research_students``: no combination of the demographic quasi-identifiers under ``k``
    students. ``research_student_weeks``: joined to ``research_students``, no combination of
    demographics, class and withdrawal week under ``k``. ``research_class_week_aggregates``:
    no unsuppressed cell under ``k``. Every table: only its declared columns, no identifiers,
    no free text.
    """
    frame = read_table(lake, table)
    if frame is None:
        return False, [f"{table} is missing"], 0
    problems = identifier_problems(frame, TABLES[table].names)
    groups = 0
    if table == "research_students":
        bad = k_anonymity_violations(frame, STUDENT_QIS, k, entity="research_id")
        groups = bad.height
    elif table == "research_student_weeks":
        people = read_table(lake, "research_students")
        if people is None:
            return False, [*problems, "research_students is missing"], 0
        enrol = frame.select("research_id", "class_id", *ENROLMENT_QIS).unique()
        joined = enrol.join(
            people.with_columns(_present=pl.lit(True)), on="research_id", how="left"
        )
        orphans = joined.filter(pl.col("_present").is_null()).height
        if orphans:
            problems.append(f"{orphans} enrolments of students missing from research_students")
        qis = [*ENROLMENT_FIXED, *STUDENT_QIS, *ENROLMENT_QIS]
        bad = k_anonymity_violations(joined, qis, k, entity="research_id")
        groups = bad.height
    else:
        bad = frame.filter(~pl.col("is_suppressed") & (pl.col("n_students") < k))
        groups = bad.height
        leaked = frame.filter(pl.col("is_suppressed") & pl.col("n_students").is_not_null()).height
        if leaked:
            problems.append(f"{leaked} suppressed cells still show a count")
    if groups:
        problems.append(f"{groups} combinations shared by fewer than {k} students")
    return not problems, problems, groups
