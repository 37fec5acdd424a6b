"""Video engagement: views across each video's length (per segment)."""

from __future__ import annotations

import altair as alt
import pandas as pd
import streamlit as st

from apps.common.charts import OKABE_ITO
from apps.common.i18n import _, fmt_number, fmt_percent
from apps.common.ui import empty_state
from apps.teacher_dashboard import data
from apps.teacher_dashboard.shared import load, num, page_start, run_page, show_table


def views_chart(segments: pd.DataFrame, title: str) -> alt.Chart:
    """Views and distinct viewers of each segment, along the video's timeline."""
    views, viewers = _("Views"), _("Distinct viewers")
    shown = segments.assign(at=[data.clock(s) for s in segments["segment_start_s"]])
    long = pd.concat(
        [
            shown.assign(series=views, value=shown["n_views"]),
            shown.assign(series=viewers, value=shown["n_unique_viewers"]),
        ]
    )
    return (
        alt.Chart(long, title=title)
        .mark_line(point=True, interpolate="step-after")
        .encode(
            x=alt.X("segment_start_s:Q", title=_("Seconds into the video")),
            y=alt.Y("value:Q", title=_("Views")),
            color=alt.Color(
                "series:N",
                title=None,
                scale=alt.Scale(domain=[views, viewers], range=list(OKABE_ITO[:2])),
            ),
            tooltip=[
                alt.Tooltip("at:N", title=_("From")),
                alt.Tooltip("series:N", title=_("Measure")),
                alt.Tooltip("value:Q", title=_("Count")),
            ],
        )
        .properties(height=300)
    )


def body() -> None:
    class_id = page_start(_("Video engagement"))
    if class_id is None:
        return
    frame = data.videos_frame(load(f"/classes/{class_id}/video-engagement") or [])
    if frame.empty:
        empty_state(
            _(
                "No video views yet. They appear once students watch the class's videos and "
                "the nightly update has run."
            )
        )
        return
    titles = frame.drop_duplicates("video_id").set_index("video_id")["title"].to_dict()
    video_id = st.selectbox(
        _("Video"), list(titles), format_func=lambda v: titles[v], key="video_pick"
    )
    segments = frame[frame["video_id"] == video_id]
    st.altair_chart(views_chart(segments, titles[video_id]), width="stretch")
    summary = data.video_summary(segments)
    if summary is not None:
        st.write(
            _(
                "{viewers} students watched this video. Views peak at {peak} ({views} views); "
                "the last part gets {kept} of the views of the first part."
            ).format(
                viewers=fmt_number(summary.max_viewers),
                peak=data.clock(summary.peak_start_s),
                views=fmt_number(summary.peak_views),
                kept=fmt_percent(summary.kept_share),
            )
        )
    st.caption(
        _("Repeat views (a part watched again) often show a passage that is hard to follow.")
    )
    shown = frame.assign(
        start=[data.clock(s) for s in frame["segment_start_s"]],
        end=[data.clock(s) for s in frame["segment_end_s"]],
    )
    show_table(
        shown,
        {
            "title": _("Video"),
            "start": _("From"),
            "end": _("To"),
            "n_views": _("Views"),
            "n_unique_viewers": _("Distinct viewers"),
            "n_repeat_views": _("Repeat views"),
        },
        formats={"n_views": num, "n_unique_viewers": num, "n_repeat_views": num},
        filename=f"{class_id}-video-engagement.csv",
        key="videos_table",
    )


run_page(body)
