"""At-risk students: the flags with band, probability and reasons; per flag the teacher can
message the student, acknowledge the flag or mark it not useful; a drill-down shows the
student's timeline beside the class averages."""

from __future__ import annotations

from typing import Any

import altair as alt
import pandas as pd
import streamlit as st

from apps.common.charts import OKABE_ITO
from apps.common.i18n import _, fmt_number, fmt_percent, ngettext
from apps.common.ui import empty_state
from apps.teacher_dashboard import data
from apps.teacher_dashboard.shared import (
    act,
    day,
    load,
    moment,
    num,
    page_start,
    pct,
    pct_points,
    plain,
    run_page,
    show_table,
)

TABLE_KEY = "at_risk_table"
STUDENT_KEY = "at_risk_student"
LAST_ROW_KEY = "_at_risk_last_row"
VERDICTS_KEY = "flag_verdicts"  # {(class_id, student_id): verdict} given in this session


def sort_label(by: str) -> str:
    """A sort order in words."""
    return {
        "risk": _("Highest risk first"),
        "name": _("Name"),
        "reasons": _("Most reasons first"),
    }[by]


def verdict_note(verdict: str) -> str:
    """What the teacher said about a flag, in words."""
    if verdict == "acknowledged":
        return _("You acknowledged this flag.")
    return _("You marked this flag as not useful.")


def give_feedback(class_id: str, row: pd.Series, verdict: str) -> None:
    """POST the teacher's verdict on a flag (kept for the at-risk model's evaluation)."""
    body = {"student_id": row["student_id"], "verdict": verdict}
    if row.get("as_of"):
        body["as_of"] = str(row["as_of"])[:32]
    if act("POST", f"/classes/{class_id}/at-risk/feedback", body) is not None:
        st.session_state.setdefault(VERDICTS_KEY, {})[(class_id, row["student_id"])] = verdict
        st.success(
            _("Thank you: your feedback on {name}'s flag is saved.").format(
                name=row["display_name"]
            )
        )


def message_student(class_id: str, row: pd.Series, note: str) -> None:
    """Log a "message" intervention that notifies the student."""
    if not note.strip():
        st.warning(_("Write the message first."))
        return
    body = {
        "student_id": row["student_id"],
        "kind": "message",
        "note": note.strip(),
        "notify_student": True,
    }
    if act("POST", f"/classes/{class_id}/interventions", body) is not None:
        st.success(
            _("Your message was sent to {name} and logged as an intervention.").format(
                name=row["display_name"]
            )
        )


def flag_panel(class_id: str, row: pd.Series) -> None:
    """One flag: band, probability, reasons and the teacher's actions on it."""
    name = row["display_name"]
    st.subheader(_("{name}: {band} risk").format(name=name, band=data.band_label(row["band"])))
    if row["probability"] is not None and not pd.isna(row["probability"]):
        st.write(
            _("Estimated probability of dropping out or failing: {p}.").format(
                p=fmt_percent(row["probability"])
            )
        )
    st.markdown(_("Why this student is flagged:"))
    for reason in str(row["reasons"]).split("; "):
        if reason:
            st.markdown(f"- {plain(reason)}")
    verdict = st.session_state.get(VERDICTS_KEY, {}).get((class_id, row["student_id"]))
    if verdict:
        st.caption(verdict_note(verdict))
    c1, c2 = st.columns(2)
    if c1.button(_("Acknowledge"), key="ack_flag", icon=":material/check:"):
        give_feedback(class_id, row, "acknowledged")
    if c2.button(_("Not useful"), key="not_useful_flag", icon=":material/thumb_down:"):
        give_feedback(class_id, row, "not_useful")
    note = st.text_area(
        _("Message to {name}").format(name=name),
        key="flag_message",
        placeholder=_("For example: I noticed you have not logged in lately. Can I help?"),
    )
    if st.button(_("Message student"), key="message_student", icon=":material/send:"):
        message_student(class_id, row, note)


def activity_chart(days: pd.DataFrame, interventions: pd.DataFrame) -> alt.Chart:
    """The student's active minutes per day, with interventions as vertical rules."""
    bars = (
        alt.Chart(days)
        .mark_bar(color=OKABE_ITO[0])
        .encode(
            x=alt.X("date:T", title=_("Day")),
            y=alt.Y("active_minutes:Q", title=_("Active minutes")),
            tooltip=[
                alt.Tooltip("date:T", title=_("Day")),
                alt.Tooltip("active_minutes:Q", title=_("Active minutes"), format=",.0f"),
                alt.Tooltip("n_events:Q", title=_("Actions")),
            ],
        )
    )
    if interventions.empty:
        return bars.properties(height=240, title=_("Activity"))
    rules = (
        alt.Chart(interventions.assign(when=pd.to_datetime(interventions["created_at"], utc=True)))
        .mark_rule(color=OKABE_ITO[3], strokeDash=[4, 3])
        .encode(
            x="when:T",
            tooltip=[alt.Tooltip("kind_label:N", title=_("Intervention"))],
        )
    )
    return (bars + rules).properties(height=240, title=_("Activity"))


def score_chart(weekly: pd.DataFrame) -> alt.Chart:
    """The student's mean quiz score per week beside the class mean."""
    student, klass = _("This student"), _("Class average")
    long = pd.concat(
        [
            weekly[["week", "score_pct"]].assign(series=student, value=weekly["score_pct"]),
            weekly[["week"]].assign(series=klass, value=weekly["class_mean_score_pct"]),
        ]
    ).dropna(subset=["value"])
    return (
        alt.Chart(long, title=_("Quiz scores against the class"))
        .mark_line(point=True)
        .encode(
            x=alt.X("week:O", title=_("Week of the class")),
            y=alt.Y("value:Q", title=_("Mean score (%)"), scale=alt.Scale(domain=[0, 100])),
            color=alt.Color(
                "series:N",
                title=None,
                scale=alt.Scale(domain=[student, klass], range=list(OKABE_ITO[:2])),
            ),
            tooltip=[
                alt.Tooltip("week:O", title=_("Week of the class")),
                alt.Tooltip("series:N", title=_("Who")),
                alt.Tooltip("value:Q", title=_("Mean score (%)"), format=".0f"),
            ],
        )
        .properties(height=240)
    )


def timeline(class_id: str, row: pd.Series) -> None:
    """The drill-down: the student's activity, scores and interventions beside the class."""
    name = row["display_name"]
    st.subheader(_("Timeline of {name}").format(name=name))
    tl: dict[str, Any] = load(f"/students/{row['student_id']}/classes/{class_id}/timeline")
    days = data.days_frame(tl.get("days") or [])
    attempts = data.attempts_frame(tl.get("attempts") or [])
    weekly = data.student_weeks(tl)
    interventions = pd.DataFrame(
        tl.get("interventions") or [], columns=["id", "created_at", "kind", "note"]
    )
    interventions["kind_label"] = [data.kind_label(k) for k in interventions["kind"]]
    if days.empty and attempts.empty and interventions.empty:
        empty_state(
            _(
                "{name} has no recorded activity in this class yet. A message may help them "
                "get started."
            ).format(name=name)
        )
        return
    left, right = st.columns(2)
    left.altair_chart(activity_chart(days, interventions), width="stretch")
    minutes = float(days["active_minutes"].fillna(0).sum()) if not days.empty else 0.0
    mean_active = weekly["class_active_share"].dropna().mean() if not weekly.empty else None
    left.caption(
        _(
            "{name} was active on {days} days ({minutes} minutes in all). In an average week "
            "{share} of the class was active. Dashed lines mark interventions."
        ).format(
            name=name,
            days=fmt_number(len(days)),
            minutes=fmt_number(minutes),
            share=fmt_percent(None if pd.isna(mean_active) else mean_active),
        )
    )
    right.altair_chart(score_chart(weekly), width="stretch")
    own = weekly["score_pct"].dropna().mean() if not weekly.empty else None
    klass = weekly["class_mean_score_pct"].dropna().mean() if not weekly.empty else None
    right.caption(
        _(
            "{name} submitted {n} quiz attempts with a mean score of {own}; the class mean "
            "over the same weeks was {klass}."
        ).format(
            name=name,
            n=fmt_number(len(attempts)),
            own=pct_points(None if own is None or pd.isna(own) else own),
            klass=pct_points(None if klass is None or pd.isna(klass) else klass),
        )
    )
    tabs = st.tabs([_("Week by week"), _("Quiz attempts"), _("Interventions")])
    with tabs[0]:
        show_table(
            weekly,
            {
                "week": _("Week of the class"),
                "active_days": _("Active days"),
                "active_minutes": _("Active minutes"),
                "score_pct": _("Mean score (%)"),
                "class_active_share": _("Class: share active"),
                "class_mean_score_pct": _("Class: mean score (%)"),
            },
            formats={
                "active_days": num,
                "active_minutes": num,
                "score_pct": pct_points,
                "class_active_share": pct,
                "class_mean_score_pct": pct_points,
            },
            filename=f"{class_id}-{row['student_id']}-weeks.csv",
            key="timeline_weeks",
        )
    with tabs[1]:
        if attempts.empty:
            empty_state(_("No quiz attempts yet."))
        else:
            show_table(
                attempts,
                {
                    "submitted_at": _("Submitted"),
                    "quiz_id": _("Quiz"),
                    "share_correct": _("Share correct"),
                    "n_items_answered": _("Questions answered"),
                },
                formats={"submitted_at": moment, "share_correct": pct, "n_items_answered": num},
                filename=f"{class_id}-{row['student_id']}-attempts.csv",
                key="timeline_attempts",
            )
    with tabs[2]:
        if interventions.empty:
            empty_state(_('No interventions yet. Use "Message student" above to send one.'))
        else:
            show_table(
                interventions,
                {"created_at": _("When"), "kind_label": _("Kind"), "note": _("Note")},
                formats={"created_at": moment},
                filename=f"{class_id}-{row['student_id']}-interventions.csv",
                key="timeline_interventions",
            )


def body() -> None:
    class_id = page_start(_("At-risk students"))
    if class_id is None:
        return
    answer = load(f"/classes/{class_id}/at-risk")
    frame = data.at_risk_frame(answer.get("students") or [])
    if answer.get("source") == "model":
        st.caption(_("Flags from the at-risk model (probability of dropping out or failing)."))
    else:
        st.caption(
            _(
                "The at-risk model is not trained yet, so a simple rule flags students: no "
                "activity for 7 days, missing assignments or an average score below 40%."
            )
        )
    if frame.empty:
        empty_state(
            _(
                "No student is flagged in this class right now. Check the progress page to "
                "follow everyone's work."
            )
        )
        return
    n_high = int((frame["band"] == "high").sum())
    st.write(
        ngettext(
            "{n} student is flagged, {high} of them with a high risk.",
            "{n} students are flagged, {high} of them with a high risk.",
            len(frame),
        ).format(n=fmt_number(len(frame)), high=fmt_number(n_high))
    )
    by = st.selectbox(_("Sort by"), data.SORTS, format_func=sort_label, key="at_risk_sort")
    frame = data.sort_at_risk(frame, by)
    event = show_table(
        frame,
        {
            "display_name": _("Student"),
            "band": _("Risk"),
            "probability": _("Probability"),
            "reasons": _("Reasons"),
            "as_of": _("As of"),
        },
        formats={"band": data.band_label, "probability": pct, "as_of": day},
        filename=f"{class_id}-at-risk.csv",
        key=TABLE_KEY,
        on_select="rerun",
        selection_mode="single-row",
    )
    ids = list(frame["student_id"])
    rows = list(getattr(getattr(event, "selection", None), "rows", []) or [])
    if rows and rows[0] < len(ids) and rows[0] != st.session_state.get(LAST_ROW_KEY):
        st.session_state[STUDENT_KEY] = ids[rows[0]]
    st.session_state[LAST_ROW_KEY] = rows[0] if rows else None
    if st.session_state.get(STUDENT_KEY) not in ids:
        st.session_state[STUDENT_KEY] = ids[0]
    names = dict(zip(frame["student_id"], frame["display_name"], strict=True))
    chosen = st.selectbox(
        _("Student to look at (or select a row in the table)"),
        ids,
        format_func=lambda s: names[s],
        key=STUDENT_KEY,
    )
    row = frame[frame["student_id"] == chosen].iloc[0]
    st.divider()
    flag_panel(class_id, row)
    st.divider()
    timeline(class_id, row)


run_page(body)
