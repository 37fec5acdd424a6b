"""My skills: the chance of answering the next question on each skill correctly."""

from __future__ import annotations

import altair as alt
import pandas as pd
import streamlit as st

from apps.common.charts import palette
from apps.common.i18n import _, fmt_number, fmt_percent
from apps.common.ui import csv_download, empty_state
from apps.student_portal.data import (
    DEVELOPING,
    MASTERED,
    frame_records,
    mastery_frame,
    mastery_summary,
)
from apps.student_portal.portal import load, student_id

BANDS = ("mastered", "developing", "needs_practice")


def band_label(band: str) -> str:
    """A mastery band in words."""
    return {
        "mastered": _("Mastered"),
        "developing": _("Getting there"),
        "needs_practice": _("Needs practice"),
    }.get(band, band)


def mastery_chart(frame: pd.DataFrame) -> alt.Chart:
    """One bar per skill (weakest on top), coloured by band, with the mastery line at 80%."""
    data = frame.assign(
        band_label=frame["band"].map(band_label),
        share_text=frame["probability"].map(fmt_percent),
    )
    labels = [band_label(b) for b in BANDS]
    bars = (
        alt.Chart(data)
        .mark_bar()
        .encode(
            x=alt.X(
                "probability:Q",
                title=_("Chance of getting the next question right"),
                scale=alt.Scale(domain=[0, 1]),
                axis=alt.Axis(format="%"),
            ),
            y=alt.Y("skill:N", sort=list(data["skill"]), title=_("Skill")),
            color=alt.Color(
                "band_label:N",
                title=_("Level"),
                scale=alt.Scale(domain=labels, range=list(palette(3).range)),
            ),
            tooltip=[
                alt.Tooltip("skill:N", title=_("Skill")),
                alt.Tooltip("share_text:N", title=_("Mastery")),
                alt.Tooltip("n_responses:Q", title=_("Answers so far")),
            ],
        )
    )
    rule = alt.Chart(pd.DataFrame({"x": [MASTERED]})).mark_rule(strokeDash=[4, 4]).encode(x="x:Q")
    return (bars + rule).properties(title=_("Mastery per skill"), height=alt.Step(28))


def summary_text(summary: dict) -> str:
    """What the chart shows, in words."""
    parts = [
        _("You have mastered {n} of {total} skills.").format(
            n=fmt_number(summary["n_mastered"]), total=fmt_number(summary["n_skills"])
        )
    ]
    skill, p = summary["weakest"]
    if p < MASTERED:
        parts.append(
            _("Your weakest skill is {skill} ({share}): practise it next.").format(
                skill=skill, share=fmt_percent(p)
            )
        )
    best, q = summary["strongest"]
    parts.append(_("Your strongest is {skill} ({share}).").format(skill=best, share=fmt_percent(q)))
    parts.append(
        _(
            "A skill counts as mastered from {mastered}; below {developing} it needs practice."
        ).format(mastered=fmt_percent(MASTERED), developing=fmt_percent(DEVELOPING))
    )
    return " ".join(parts)


def main() -> None:
    st.title(_("My skills"))
    sid = student_id()
    if not sid:
        return
    mastery = load(f"/students/{sid}/mastery")
    if mastery is None:
        return
    frame = mastery_frame(mastery)
    if frame.empty:
        empty_state(_("No skills measured yet. Take a quiz and your skills will show up here."))
        return
    chart_col, text_col = st.columns([3, 2])
    chart_col.altair_chart(mastery_chart(frame), width="stretch")
    text_col.markdown(summary_text(mastery_summary(frame)))
    table = pd.DataFrame(
        [
            {
                _("Skill"): r["skill"],
                _("Mastery"): fmt_percent(r["probability"]),
                _("Level"): band_label(r["band"]),
                _("Answers so far"): fmt_number(r["n_responses"]),
            }
            for r in frame_records(frame)
        ]
    )
    st.dataframe(table, hide_index=True, width="stretch")
    csv_download(table, "my_skills.csv", key="mastery_csv")


main()
