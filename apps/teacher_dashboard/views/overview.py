"""Class overview: enrolment, weekly active share, submissions and mean score, this week against
the class's own earlier weeks, and the roster."""

from __future__ import annotations

import altair as alt
import pandas as pd
import streamlit as st

from apps.common.charts import OKABE_ITO
from apps.common.i18n import _, fmt_number, fmt_percent
from apps.common.ui import empty_state
from apps.teacher_dashboard import data
from apps.teacher_dashboard.shared import (
    day,
    load,
    num,
    page_start,
    pct,
    pct_points,
    run_page,
    show_table,
)


def trend_chart(
    frame: pd.DataFrame, column: str, title: str, colour: str, share: bool
) -> alt.Chart:
    """One metric week by week (a line with points)."""
    axis = alt.Axis(format="%") if share else alt.Axis()
    return (
        alt.Chart(frame, title=title)
        .mark_line(point=True, color=colour)
        .encode(
            x=alt.X("week:O", title=_("Week of the class")),
            y=alt.Y(f"{column}:Q", title=title, axis=axis),
            tooltip=[
                alt.Tooltip("week:O", title=_("Week of the class")),
                alt.Tooltip(f"{column}:Q", title=title, format=".0%" if share else ",.0f"),
            ],
        )
        .properties(height=220)
    )


def metric(col: st.delta_generator.DeltaGenerator, label: str, cmp: data.Comparison, fmt) -> None:
    """This week's value with its difference to the mean of earlier weeks."""
    col.metric(
        label,
        fmt(cmp.current),
        delta=data.signed(cmp.delta, fmt),
        help=_("Difference to the mean of the earlier weeks: {mean}").format(
            mean=fmt(cmp.past_mean)
        ),
    )


def body() -> None:
    class_id = page_start(_("Class overview"))
    if class_id is None:
        return
    overview = load(f"/classes/{class_id}/overview")
    weeks = data.weeks_frame(overview.get("weeks") or [])
    info = overview.get("class_info") or {}
    if weeks.empty:
        empty_state(
            _(
                "No activity has been recorded for this class yet. Figures appear here after "
                "the students' first week."
            )
        )
    else:
        last = weeks.iloc[-1]
        st.subheader(
            _("Week {week} (from {date}) against the earlier weeks").format(
                week=fmt_number(int(last["week"])),
                date=day(None if pd.isna(last["week_start_date"]) else last["week_start_date"]),
            )
        )
        enrolled = data.current_vs_past(weeks, "n_enrolled")
        active = data.current_vs_past(weeks, "active_share")
        subs = data.current_vs_past(weeks, "n_submissions")
        score = data.current_vs_past(weeks, "mean_score_pct")

        def pts(v: float | None) -> str:
            return fmt_number(v, 1)

        c1, c2, c3, c4 = st.columns(4)
        metric(c1, _("Students enrolled"), enrolled, fmt_number)
        metric(c2, _("Active this week"), active, fmt_percent)
        metric(c3, _("Submissions this week"), subs, fmt_number)
        metric(c4, _("Mean score (%)"), score, pts)
        st.caption(
            _(
                "Each figure is the latest week with activity; the small number below it is "
                "the difference to the mean of the {n} earlier weeks."
            ).format(n=fmt_number(len(weeks) - 1))
        )

        left, right = st.columns(2)
        charts = (
            (left, "n_enrolled", _("Students enrolled"), False),
            (right, "active_share", _("Share of students active"), True),
            (left, "n_submissions", _("Submissions"), False),
            (right, "mean_score_pct", _("Mean score (%)"), False),
        )
        for i, (where, column, title, share) in enumerate(charts):
            where.altair_chart(
                trend_chart(weeks, column, title, OKABE_ITO[i], share), width="stretch"
            )
        first = data.current_vs_past(weeks.iloc[:1], "n_enrolled").current
        growth = None if enrolled.current is None or first is None else enrolled.current - first
        left.caption(
            _("{n} students are enrolled now ({change} since week {first}).").format(
                n=fmt_number(enrolled.current),
                change=data.signed(growth, fmt_number) or "–",
                first=fmt_number(int(weeks["week"].iloc[0])),
            )
        )
        right.caption(
            _(
                "This week {share} of the students were active, against {mean} on average in "
                "the earlier weeks; the mean score was {score} (earlier weeks: {past})."
            ).format(
                share=fmt_percent(active.current),
                mean=fmt_percent(active.past_mean),
                score=pct_points(score.current),
                past=pct_points(score.past_mean),
            )
        )
        st.subheader(_("Week by week"))
        show_table(
            weeks,
            {
                "week": _("Week of the class"),
                "week_start_date": _("Week starting"),
                "n_enrolled": _("Students enrolled"),
                "n_active": _("Students active"),
                "active_share": _("Share of students active"),
                "n_submissions": _("Submissions"),
                "mean_score_pct": _("Mean score (%)"),
            },
            formats={
                "week_start_date": day,
                "n_enrolled": num,
                "n_active": num,
                "active_share": pct,
                "n_submissions": num,
                "mean_score_pct": pct_points,
            },
            filename=f"{class_id}-weeks.csv",
            key="overview_weeks",
        )

    st.subheader(_("Students"))
    roster = load(f"/classes/{class_id}/roster", paged=True)
    if not roster:
        empty_state(
            _("No students are enrolled yet. Share an invite code so that students can join.")
        )
        return
    frame = pd.DataFrame(
        roster,
        columns=[
            "student_id",
            "display_name",
            "status",
            "content_touched_share",
            "mean_score_to_date",
            "n_quiz_attempts",
            "last_active_date",
            "days_inactive",
        ],
    )
    st.caption(
        _("{n} students in the class (enrolment recorded for the class: {enrolled}).").format(
            n=fmt_number(len(frame)), enrolled=fmt_number(info.get("n_enrolled"))
        )
    )
    show_table(
        frame,
        {
            "display_name": _("Student"),
            "status": _("Status"),
            "content_touched_share": _("Content opened"),
            "mean_score_to_date": _("Mean score so far (%)"),
            "n_quiz_attempts": _("Quiz attempts"),
            "last_active_date": _("Last active"),
            "days_inactive": _("Days inactive"),
        },
        formats={
            "status": data.status_label,
            "content_touched_share": pct,
            "mean_score_to_date": pct_points,
            "n_quiz_attempts": num,
            "last_active_date": day,
            "days_inactive": num,
        },
        filename=f"{class_id}-students.csv",
        key="overview_roster",
    )


run_page(body)
