"""Progress by module: a heatmap of students x modules (share of each module's content opened)."""

from __future__ import annotations

import altair as alt
import pandas as pd
import streamlit as st

from apps.common.charts import SEQUENTIAL_SCHEME
from apps.common.i18n import _, fmt_number, fmt_percent
from apps.common.ui import empty_state
from apps.teacher_dashboard import data
from apps.teacher_dashboard.shared import day, load, num, page_start, pct, run_page, show_table


def heatmap(frame: pd.DataFrame) -> alt.Chart:
    """Students (rows) x modules (columns), coloured by the share of content opened."""
    n_students = frame["student_id"].nunique()
    return (
        alt.Chart(frame)
        .mark_rect()
        .encode(
            x=alt.X("module:N", title=_("Module"), axis=alt.Axis(labelAngle=0)),
            y=alt.Y("display_name:N", title=_("Student"), sort="ascending"),
            color=alt.Color(
                "content_touched_share:Q",
                title=_("Content opened"),
                scale=alt.Scale(scheme=SEQUENTIAL_SCHEME, domain=[0, 1]),
                legend=alt.Legend(format="%"),
            ),
            tooltip=[
                alt.Tooltip("display_name:N", title=_("Student")),
                alt.Tooltip("module:N", title=_("Module")),
                alt.Tooltip("content_touched_share:Q", title=_("Content opened"), format=".0%"),
                alt.Tooltip("n_content_touched:Q", title=_("Pages opened")),
                alt.Tooltip("n_content:Q", title=_("Pages in the module")),
            ],
        )
        .properties(height=max(200, 18 * n_students), title=_("Share of each module opened"))
    )


def body() -> None:
    class_id = page_start(_("Progress by module"))
    if class_id is None:
        return
    rows = load(f"/classes/{class_id}/module-progress")
    frame = data.heatmap_frame(rows or [])
    frame["module"] = [data.module_label(m) for m in frame["module"]]
    if frame.empty:
        empty_state(
            _(
                "No module progress yet. It appears once students open the course content "
                "and the nightly update has run."
            )
        )
        return
    st.altair_chart(heatmap(frame), width="stretch")
    means = data.module_means(frame)
    overall = frame["content_touched_share"].mean()
    lowest = means.iloc[0]
    untouched = int(
        frame.groupby("student_id")["content_touched_share"].max().fillna(0).eq(0).sum()
    )
    st.write(
        _(
            "On average the students have opened {share} of the content. The least opened "
            "module is {module} ({low}). {n} students have not opened anything yet."
        ).format(
            share=fmt_percent(None if pd.isna(overall) else overall),
            module=lowest["module"],
            low=fmt_percent(lowest["mean_share"]),
            n=fmt_number(untouched),
        )
    )
    tab_wide, tab_modules, tab_long = st.tabs(
        [_("Students x modules"), _("Modules"), _("All rows")]
    )
    with tab_wide:
        wide = data.heatmap_pivot(frame)
        modules = [c for c in wide.columns if c != "display_name"]
        show_table(
            wide,
            {"display_name": _("Student"), **{m: m for m in modules}},
            formats=dict.fromkeys(modules, pct),
            filename=f"{class_id}-module-progress-wide.csv",
            key="progress_wide",
        )
    with tab_modules:
        show_table(
            means,
            {
                "module": _("Module"),
                "mean_share": _("Mean share opened"),
                "n_students": _("Students"),
            },
            formats={"mean_share": pct, "n_students": num},
            filename=f"{class_id}-modules.csv",
            key="progress_modules",
        )
    with tab_long:
        show_table(
            frame,
            {
                "display_name": _("Student"),
                "module": _("Module"),
                "n_content": _("Pages in the module"),
                "n_content_touched": _("Pages opened"),
                "content_touched_share": _("Content opened"),
                "last_touched_date": _("Last opened"),
            },
            formats={
                "n_content": num,
                "n_content_touched": num,
                "content_touched_share": pct,
                "last_touched_date": day,
            },
            filename=f"{class_id}-module-progress.csv",
            key="progress_long",
        )


run_page(body)
