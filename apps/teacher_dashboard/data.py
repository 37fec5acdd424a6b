"""Pure shaping of the API's JSON into the tables and figures the dashboard shows.

Nothing here touches Streamlit or the network, so every function can be tested on plain
dictionaries. Column names stay internal (``snake_case``); the pages translate the headers.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import pandas as pd

from apps.common.i18n import _, fmt_number, fmt_percent

WEEK_COLUMNS = (
    "week",
    "week_start_date",
    "n_enrolled",
    "n_active",
    "active_share",
    "n_submissions",
    "mean_score_pct",
)
BAND_RANK = {"high": 0, "medium": 1, "low": 2}
INTERVENTION_KINDS = ("message", "meeting", "extra_practice", "call_home", "referral", "other")
# Internal consistency: 0.7 is the usual "acceptable" bar for a classroom quiz, 0.5 "weak".
RELIABILITY_GOOD = 0.7
RELIABILITY_WEAK = 0.5


def _num(value: Any) -> float | None:
    """A finite float, or ``None`` for missing values (None, NaN, pandas NA)."""
    if value is None:
        return None
    try:
        out = float(value)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(out) else out


# --- class overview --------------------------------------------------------------------------


def weeks_frame(weeks: Iterable[Mapping[str, Any]]) -> pd.DataFrame:
    """The class's weeks in order, up to the last week with any activity.

    Weeks after the last one with an active student or a submission have not happened yet (or
    their data has not arrived): they are left out so that "this week" is the latest real one.
    """
    frame = pd.DataFrame(list(weeks), columns=list(WEEK_COLUMNS))
    if frame.empty:
        return frame
    for col in ("n_enrolled", "n_active", "active_share", "n_submissions", "mean_score_pct"):
        frame[col] = pd.to_numeric(frame[col], errors="coerce")
    frame["week_start_date"] = pd.to_datetime(frame["week_start_date"], errors="coerce")
    frame = frame.sort_values("week").reset_index(drop=True)
    active = (frame["n_active"].fillna(0) > 0) | (frame["n_submissions"].fillna(0) > 0)
    if not active.any():
        return frame.iloc[0:0]
    last = int(active[active].index.max())
    return frame.iloc[: last + 1].reset_index(drop=True)


@dataclass(frozen=True)
class Comparison:
    """This week's value of a metric against the mean of the class's earlier weeks."""

    current: float | None
    past_mean: float | None

    @property
    def delta(self) -> float | None:
        """Current minus the earlier weeks' mean (``None`` when either is missing)."""
        if self.current is None or self.past_mean is None:
            return None
        return self.current - self.past_mean


def current_vs_past(frame: pd.DataFrame, column: str) -> Comparison:
    """The last week's ``column`` and the mean of that column over the earlier weeks."""
    if frame.empty:
        return Comparison(None, None)
    current = _num(frame[column].iloc[-1])
    earlier = pd.to_numeric(frame[column].iloc[:-1], errors="coerce").dropna()
    past = _num(earlier.mean()) if len(earlier) else None
    return Comparison(current, past)


def signed(value: float | None, fmt: Any) -> str | None:
    """A delta with an explicit sign (``+3``/``-3``; what ``st.metric`` colours by)."""
    if value is None:
        return None
    text = fmt(abs(value))
    return ("-" if value < 0 else "+") + text


# --- at-risk students ------------------------------------------------------------------------


def band_label(band: str | None) -> str:
    """A risk band in the user's language."""
    labels = {"high": _("High"), "medium": _("Medium"), "low": _("Low")}
    return labels.get(band or "", band or "–")


_REASONS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"^no activity for (\d+) days$"), "inactive"),
    (re.compile(r"^(\d+) of (\d+) assignments missing$"), "missing"),
    (re.compile(r"^average score (\d+(?:\.\d+)?)% so far$"), "score"),
)


def translate_reason(reason: str) -> str:
    """A reason in the user's language where it is one of the rule's; else as the API said it.

    The rule's reasons (no activity, missing assignments, low average) are translated; the
    at-risk model's reasons come from its feature templates and are shown as written.
    """
    for pattern, kind in _REASONS:
        m = pattern.match(reason.strip())
        if not m:
            continue
        if kind == "inactive":
            return _("no activity for {days} days").format(days=fmt_number(int(m.group(1))))
        if kind == "missing":
            return _("{missing} of {due} assignments missing").format(
                missing=fmt_number(int(m.group(1))), due=fmt_number(int(m.group(2)))
            )
        return _("average score {score} so far").format(score=fmt_percent(float(m.group(1)) / 100))
    return reason


def at_risk_frame(students: Iterable[Mapping[str, Any]]) -> pd.DataFrame:
    """One row per flagged student: name, band, probability, reasons (translated)."""
    rows = []
    for s in students:
        reasons = [translate_reason(r) for r in s.get("reasons") or []]
        rows.append(
            {
                "student_id": s["student_id"],
                "display_name": s.get("display_name") or s["student_id"],
                "band": s.get("band"),
                "band_rank": BAND_RANK.get(s.get("band") or "", 3),
                "probability": _num(s.get("probability")),
                "n_reasons": len(reasons),
                "reasons": "; ".join(reasons),
                "as_of": s.get("as_of"),
            }
        )
    columns = [
        "student_id",
        "display_name",
        "band",
        "band_rank",
        "probability",
        "n_reasons",
        "reasons",
        "as_of",
    ]
    frame = pd.DataFrame(rows, columns=columns)
    frame["probability"] = pd.to_numeric(frame["probability"], errors="coerce")
    return frame


SORTS = ("risk", "name", "reasons")


def sort_at_risk(frame: pd.DataFrame, by: str) -> pd.DataFrame:
    """Highest risk first (band, then probability, then number of reasons; ties keep the API's
    order), by name, or by number of reasons."""
    if frame.empty:
        return frame
    work = frame.assign(_p=frame["probability"].fillna(-1.0))
    if by == "name":
        work = work.sort_values(["display_name", "student_id"], key=_casefold)
    elif by == "reasons":
        work = work.sort_values(["n_reasons", "band_rank"], ascending=[False, True], kind="stable")
    else:
        work = work.sort_values(
            ["band_rank", "_p", "n_reasons"], ascending=[True, False, False], kind="stable"
        )
    return work.drop(columns="_p").reset_index(drop=True)


def _casefold(col: pd.Series) -> pd.Series:
    return col.astype(str).str.casefold() if col.dtype == object else col


# --- a student's timeline --------------------------------------------------------------------


def week_of(moment: Any, weeks: pd.DataFrame) -> int | None:
    """The class week a date or timestamp falls in (from the weeks' start dates)."""
    if moment is None or weeks.empty:
        return None
    when = pd.Timestamp(moment)
    if when.tzinfo is not None:
        when = when.tz_convert(None)
    when = when.normalize()
    starts = weeks.dropna(subset=["week_start_date"]).sort_values("week_start_date")
    found = None
    for week, start in zip(starts["week"], starts["week_start_date"], strict=True):
        if pd.Timestamp(start) <= when:
            found = int(week)
    return found


def student_weeks(timeline: Mapping[str, Any]) -> pd.DataFrame:
    """Per class week: the student's active days, minutes and mean quiz score beside the class's
    active share and mean score (weeks up to the last one with class activity)."""
    weeks = weeks_frame(timeline.get("class_weeks") or [])
    columns = [
        "week",
        "active_days",
        "active_minutes",
        "score_pct",
        "class_active_share",
        "class_mean_score_pct",
    ]
    if weeks.empty:
        return pd.DataFrame(columns=columns)
    days = pd.DataFrame(
        timeline.get("days") or [], columns=["date", "class_week", "active_minutes"]
    )
    attempts = pd.DataFrame(
        timeline.get("attempts") or [], columns=["submitted_at", "share_correct"]
    )
    out = []
    for _i, w in weeks.iterrows():
        week = int(w["week"])
        in_week = days[days["class_week"] == week]
        scores = [
            float(a["share_correct"]) * 100
            for _j, a in attempts.iterrows()
            if _num(a["share_correct"]) is not None and week_of(a["submitted_at"], weeks) == week
        ]
        out.append(
            {
                "week": week,
                "active_days": len(in_week),
                "active_minutes": float(pd.to_numeric(in_week["active_minutes"]).fillna(0).sum()),
                "score_pct": sum(scores) / len(scores) if scores else None,
                "class_active_share": _num(w["active_share"]),
                "class_mean_score_pct": _num(w["mean_score_pct"]),
            }
        )
    return pd.DataFrame(out, columns=columns)


def attempts_frame(attempts: Iterable[Mapping[str, Any]]) -> pd.DataFrame:
    """A student's quiz attempts, oldest first."""
    columns = ["attempt_id", "quiz_id", "submitted_at", "share_correct", "n_items_answered"]
    frame = pd.DataFrame(list(attempts), columns=columns)
    if frame.empty:
        return frame
    frame["submitted_at"] = pd.to_datetime(frame["submitted_at"], errors="coerce", utc=True)
    return frame.sort_values("submitted_at").reset_index(drop=True)


def days_frame(days: Iterable[Mapping[str, Any]]) -> pd.DataFrame:
    """A student's active days, oldest first."""
    frame = pd.DataFrame(list(days), columns=["date", "class_week", "n_events", "active_minutes"])
    if frame.empty:
        return frame
    frame["date"] = pd.to_datetime(frame["date"], errors="coerce")
    return frame.sort_values("date").reset_index(drop=True)


# --- progress heatmap ------------------------------------------------------------------------


def heatmap_frame(rows: Iterable[Mapping[str, Any]]) -> pd.DataFrame:
    """Students x modules (long form): the share of each module's content a student opened."""
    columns = [
        "student_id",
        "display_name",
        "module",
        "n_content",
        "n_content_touched",
        "content_touched_share",
        "last_touched_date",
    ]
    frame = pd.DataFrame(list(rows), columns=columns)
    if frame.empty:
        return frame
    frame["display_name"] = frame["display_name"].fillna(frame["student_id"])
    frame["content_touched_share"] = pd.to_numeric(frame["content_touched_share"], errors="coerce")
    return frame.sort_values(["display_name", "module"], key=_casefold).reset_index(drop=True)


def module_label(module: Any) -> str:
    """A module's name (content outside any module gets a name in the user's language)."""
    if module is None or module == "unassigned":
        return _("Not in a module")
    return str(module)


def module_means(frame: pd.DataFrame) -> pd.DataFrame:
    """Per module: the mean share of its content the students opened (lowest first)."""
    if frame.empty:
        return pd.DataFrame(columns=["module", "mean_share", "n_students"])
    out = (
        frame.groupby("module", as_index=False)
        .agg(mean_share=("content_touched_share", "mean"), n_students=("student_id", "nunique"))
        .sort_values(["mean_share", "module"])
        .reset_index(drop=True)
    )
    return out


def heatmap_pivot(frame: pd.DataFrame) -> pd.DataFrame:
    """The heatmap as a table: one row per student, one column per module."""
    if frame.empty:
        return pd.DataFrame(columns=["display_name"])
    wide = frame.pivot_table(
        index=["display_name", "student_id"],
        columns="module",
        values="content_touched_share",
        aggfunc="mean",
    )
    wide.columns = [str(c) for c in wide.columns]
    return wide.reset_index().drop(columns="student_id")


# --- item analysis ---------------------------------------------------------------------------


def item_flags(item: Mapping[str, Any]) -> list[str]:
    """Why an item is flagged, in the user's language."""
    out = []
    if item.get("is_too_easy"):
        out.append(_("too easy"))
    if item.get("is_too_hard"):
        out.append(_("too hard"))
    if item.get("has_negative_discrimination"):
        out.append(_("stronger students get it wrong more often"))
    return out


def items_frame(items: Iterable[Mapping[str, Any]]) -> pd.DataFrame:
    """One row per item: difficulty (share correct), first-attempt share correct,
    discrimination, flag and the reasons for it."""
    rows = []
    for it in items:
        flags = item_flags(it)
        rows.append(
            {
                "item_id": it["item_id"],
                "quiz_id": it.get("quiz_id"),
                "stem": it.get("stem") or it["item_id"],
                "n_students": it.get("n_students"),
                "n_attempts": it.get("n_attempts"),
                "difficulty": _num(it.get("difficulty")),
                "first_attempt_difficulty": _num(it.get("first_attempt_difficulty")),
                "discrimination": _num(it.get("discrimination")),
                "flagged": bool(it.get("flagged")) or bool(flags),
                "flag_reasons": "; ".join(flags),
            }
        )
    columns = [
        "item_id",
        "quiz_id",
        "stem",
        "n_students",
        "n_attempts",
        "difficulty",
        "first_attempt_difficulty",
        "discrimination",
        "flagged",
        "flag_reasons",
    ]
    return pd.DataFrame(rows, columns=columns)


def option_shares_frame(item: Mapping[str, Any]) -> pd.DataFrame:
    """An item's response options and the share of answers each got (options in order)."""
    shares = item.get("option_shares") or {}
    rows = [{"option": str(k), "share": _num(v) or 0.0} for k, v in sorted(shares.items())]
    return pd.DataFrame(rows, columns=["option", "share"])


def reliability_frame(quizzes: Iterable[Mapping[str, Any]]) -> pd.DataFrame:
    """Per quiz: number of items and attempts, KR-20 and Cronbach's alpha."""
    columns = ["quiz_id", "n_items", "n_attempts", "kr20", "cronbach_alpha"]
    frame = pd.DataFrame(list(quizzes), columns=columns)
    for col in ("kr20", "cronbach_alpha"):
        frame[col] = pd.to_numeric(frame[col], errors="coerce")
    return frame


def reliability_label(value: float | None) -> str:
    """A reliability coefficient in words."""
    if value is None:
        return _("not enough answers yet")
    if value >= RELIABILITY_GOOD:
        return _("consistent")
    if value >= RELIABILITY_WEAK:
        return _("somewhat consistent")
    return _("inconsistent")


# --- video engagement ------------------------------------------------------------------------


def videos_frame(rows: Iterable[Mapping[str, Any]]) -> pd.DataFrame:
    """Views per segment of each video, in playback order."""
    columns = [
        "video_id",
        "title",
        "segment_index",
        "segment_start_s",
        "segment_end_s",
        "n_views",
        "n_unique_viewers",
        "n_repeat_views",
    ]
    frame = pd.DataFrame(list(rows), columns=columns)
    if frame.empty:
        return frame
    frame["title"] = frame["title"].fillna(frame["video_id"])
    return frame.sort_values(["video_id", "segment_index"]).reset_index(drop=True)


@dataclass(frozen=True)
class VideoSummary:
    """Where a video is watched most and how many viewers stay to the end."""

    peak_start_s: float
    peak_views: int
    first_views: int
    last_views: int
    max_viewers: int

    @property
    def kept_share(self) -> float | None:
        """Views of the last segment as a share of the first segment's."""
        return self.last_views / self.first_views if self.first_views else None


def video_summary(segments: pd.DataFrame) -> VideoSummary | None:
    """The peak and the drop-off of one video's segments (``None`` when there are none)."""
    if segments.empty:
        return None
    seg = segments.sort_values("segment_index")
    views = seg["n_views"].fillna(0).astype(int)
    peak = int(views.idxmax())
    return VideoSummary(
        peak_start_s=float(seg.loc[peak, "segment_start_s"]),
        peak_views=int(views.loc[peak]),
        first_views=int(views.iloc[0]),
        last_views=int(views.iloc[-1]),
        max_viewers=int(seg["n_unique_viewers"].fillna(0).max()),
    )


def clock(seconds: float | None) -> str:
    """Seconds as ``m:ss`` (``h:mm:ss`` from an hour)."""
    if seconds is None:
        return "–"
    total = round(seconds)
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


# --- forum, interventions, notifications -----------------------------------------------------


def threads_frame(threads: Iterable[Mapping[str, Any]]) -> pd.DataFrame:
    """Forum threads in the API's order (urgent first for staff, then newest activity)."""
    columns = ["thread_id", "title", "is_urgent", "n_posts", "created_at", "last_post_at"]
    frame = pd.DataFrame(list(threads), columns=columns)
    if frame.empty:
        return frame
    frame["is_urgent"] = frame["is_urgent"].eq(True)
    frame["title"] = frame["title"].fillna("")
    return frame


def posts_frame(posts: Iterable[Mapping[str, Any]]) -> pd.DataFrame:
    """The posts of a thread, oldest first."""
    columns = ["post_id", "author_name", "author_role", "created_at", "body", "is_urgent"]
    frame = pd.DataFrame(list(posts), columns=columns)
    if frame.empty:
        return frame
    frame["is_urgent"] = frame["is_urgent"].eq(True)
    return frame


def kind_label(kind: str | None) -> str:
    """An intervention kind in the user's language."""
    labels = {
        "message": _("Message"),
        "meeting": _("Meeting"),
        "extra_practice": _("Extra practice"),
        "call_home": _("Call home"),
        "referral": _("Referral"),
        "other": _("Other"),
    }
    return labels.get(kind or "", kind or "–")


def interventions_frame(
    items: Iterable[Mapping[str, Any]], names: Mapping[str, str | None]
) -> pd.DataFrame:
    """Logged interventions (newest first) with the students' names."""
    columns = ["id", "created_at", "student_id", "display_name", "kind", "note"]
    rows = [
        {
            "id": it["id"],
            "created_at": it.get("created_at"),
            "student_id": it["student_id"],
            "display_name": names.get(it["student_id"]) or it["student_id"],
            "kind": it.get("kind"),
            "note": it.get("note") or "",
        }
        for it in items
    ]
    return pd.DataFrame(rows, columns=columns)


def notifications_frame(items: Iterable[Mapping[str, Any]]) -> pd.DataFrame:
    """The user's notifications, newest first, with whether each is read."""
    columns = ["id", "created_at", "kind", "title", "body", "class_id", "is_read"]
    rows = [
        {
            "id": it["id"],
            "created_at": it.get("created_at"),
            "kind": it.get("kind"),
            "title": it.get("title") or "",
            "body": it.get("body") or "",
            "class_id": it.get("class_id"),
            "is_read": it.get("read_at") is not None,
        }
        for it in items
    ]
    return pd.DataFrame(rows, columns=columns)


def status_label(status: str | None) -> str:
    """An enrolment status in the user's language."""
    labels = {
        "active": _("active"),
        "registered": _("registered"),
        "inactive": _("inactive"),
        "withdrawn": _("withdrawn"),
        "completed": _("completed"),
    }
    return labels.get(status or "", status or "–")


def role_label(role: str | None) -> str:
    """Who wrote a post, when the name is not known."""
    labels = {
        "student": _("A student"),
        "teacher": _("A teacher"),
        "admin": _("An administrator"),
    }
    return labels.get(role or "", _("Someone"))
