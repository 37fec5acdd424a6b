"""My progress: each class at a glance and how much of each module has been opened."""

from __future__ import annotations

import altair as alt
import pandas as pd
import streamlit as st

from apps.common.charts import palette
from apps.common.i18n import _, fmt_date, fmt_number, fmt_percent
from apps.common.ui import empty_state
from apps.student_portal.data import (
    class_labels,
    class_overview,
    frame_records,
    module_frame,
    module_summary,
)
from apps.student_portal.portal import load, my_classes, student_id


def module_name(module: str) -> str:
    """A module's name (the catch-all bucket translated)."""
    return _("Other material") if module == "unassigned" else module


def state_label(state: str) -> str:
    """A module's state in words."""
    return {
        "done": _("Finished"),
        "started": _("Started"),
        "not_started": _("Not started"),
    }.get(state, state)


def module_chart(frame: pd.DataFrame) -> alt.Chart:
    """Share of each module opened, bars coloured by state (colour-blind-safe palette)."""
    data = frame.assign(
        module_label=frame["module"].map(module_name),
        state_label=frame["state"].map(state_label),
        share_text=frame["share"].map(fmt_percent),
    )
    states = [state_label(s) for s in ("done", "started", "not_started")]
    return (
        alt.Chart(data, title=_("Content opened per module"))
        .mark_bar()
        .encode(
            x=alt.X(
                "share:Q",
                title=_("Share of the module opened"),
                scale=alt.Scale(domain=[0, 1]),
                axis=alt.Axis(format="%"),
            ),
            y=alt.Y("module_label:N", sort=list(data["module_label"]), title=_("Module")),
            color=alt.Color(
                "state_label:N",
                title=_("State"),
                scale=alt.Scale(domain=states, range=list(palette(3).range)),
            ),
            tooltip=[
                alt.Tooltip("module_label:N", title=_("Module")),
                alt.Tooltip("share_text:N", title=_("Opened")),
                alt.Tooltip("n_touched:Q", title=_("Items opened")),
                alt.Tooltip("n_content:Q", title=_("Items in the module")),
            ],
        )
        .properties(height=alt.Step(28))
    )


def summary_text(class_name: str, share: float | None, summary: dict) -> str:
    """A few sentences that say what the chart shows."""
    parts = [
        _("You have opened {share} of the material in {name}.").format(
            share=fmt_percent(share), name=class_name
        ),
        _("{done} of {total} modules finished, {started} started.").format(
            done=fmt_number(summary["n_done"]),
            total=fmt_number(summary["n_modules"]),
            started=fmt_number(summary["n_started"]),
        ),
    ]
    if summary["next_module"]:
        parts.append(_("Next up: {module}.").format(module=module_name(summary["next_module"])))
    else:
        parts.append(_("You have opened everything. Well done!"))
    return " ".join(parts)


def main() -> None:
    st.title(_("My progress"))
    sid = student_id()
    classes = my_classes()
    if not sid or classes is None:
        return
    progress = load(f"/students/{sid}/progress")
    if progress is None:
        return
    if not progress:
        empty_state(
            _("There is no progress to show yet. Open your course pages or take a quiz to start.")
        )
        return
    labels = class_labels(classes)
    overview = class_overview(progress, labels)
    by_class = {p["class_id"]: p for p in progress}
    for row in frame_records(overview):
        with st.container(border=True):
            st.subheader(row["class"])
            cols = st.columns(4)
            cols[0].metric(_("Material opened"), fmt_percent(row["opened_share"]))
            cols[1].metric(_("Quiz attempts"), fmt_number(row["quiz_attempts"]))
            cols[2].metric(_("First-try score"), fmt_percent(row["first_attempt_share"]))
            cols[3].metric(
                _("Time active"),
                _("{minutes} min").format(minutes=fmt_number(row["active_minutes"])),
            )
            st.caption(_("Last active: {date}").format(date=fmt_date(row["last_active_date"])))
            frame = module_frame(by_class[row["class_id"]])
            if frame.empty:
                empty_state(_("This class has no modules yet."))
                continue
            chart_col, text_col = st.columns([3, 2])
            chart_col.altair_chart(module_chart(frame), width="stretch")
            text_col.markdown(
                summary_text(row["class"], row["opened_share"], module_summary(frame))
            )


main()
