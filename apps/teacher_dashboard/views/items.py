"""Item analysis: difficulty against discrimination, flagged items, response option shares,
first-attempt share correct and quiz reliability."""

from __future__ import annotations

import altair as alt
import pandas as pd
import streamlit as st

from apps.common.charts import OKABE_ITO, palette
from apps.common.i18n import _, fmt_number, fmt_percent
from apps.common.ui import empty_state
from apps.teacher_dashboard import data
from apps.teacher_dashboard.shared import load, num, num2, page_start, pct, run_page, show_table


def scatter(items: pd.DataFrame) -> alt.Chart:
    """Difficulty (share correct) against discrimination; flagged items in another colour."""
    flagged, fine = _("Flagged"), _("Not flagged")
    shown = items.assign(status=[flagged if f else fine for f in items["flagged"]])
    return (
        alt.Chart(shown, title=_("Difficulty and discrimination of each item"))
        .mark_point(filled=True, size=90)
        .encode(
            x=alt.X(
                "difficulty:Q",
                title=_("Share of answers correct"),
                scale=alt.Scale(domain=[0, 1]),
                axis=alt.Axis(format="%"),
            ),
            y=alt.Y("discrimination:Q", title=_("Discrimination")),
            color=alt.Color(
                "status:N",
                title=None,
                scale=alt.Scale(domain=[fine, flagged], range=[OKABE_ITO[0], OKABE_ITO[3]]),
            ),
            shape=alt.Shape("status:N", title=None, scale=alt.Scale(domain=[fine, flagged])),
            tooltip=[
                alt.Tooltip("stem:N", title=_("Question")),
                alt.Tooltip("difficulty:Q", title=_("Share of answers correct"), format=".0%"),
                alt.Tooltip(
                    "first_attempt_difficulty:Q",
                    title=_("Share correct at the first attempt"),
                    format=".0%",
                ),
                alt.Tooltip("discrimination:Q", title=_("Discrimination"), format=".2f"),
                alt.Tooltip("flag_reasons:N", title=_("Why flagged")),
            ],
        )
        .properties(height=320)
    )


def options_chart(shares: pd.DataFrame) -> alt.Chart:
    """The share of answers each response option got."""
    return (
        alt.Chart(shares, title=_("Answers per option"))
        .mark_bar()
        .encode(
            x=alt.X("option:N", title=_("Option"), axis=alt.Axis(labelAngle=0)),
            y=alt.Y("share:Q", title=_("Share of answers"), axis=alt.Axis(format="%")),
            color=alt.Color("option:N", legend=None, scale=palette(len(shares))),
            tooltip=[
                alt.Tooltip("option:N", title=_("Option")),
                alt.Tooltip("share:Q", title=_("Share of answers"), format=".0%"),
            ],
        )
        .properties(height=240)
    )


def body() -> None:
    class_id = page_start(_("Item analysis"))
    if class_id is None:
        return
    answer = load(f"/classes/{class_id}/item-analysis")
    raw_items = answer.get("items") or []
    items = data.items_frame(raw_items)
    if items.empty:
        empty_state(
            _(
                "No quiz answers yet. Item statistics appear once students have submitted "
                "quizzes and the nightly update has run."
            )
        )
        return
    st.altair_chart(scatter(items), width="stretch")
    n_flagged = int(items["flagged"].sum())
    st.write(
        _(
            "{n} questions analysed ({answers} answers), {flagged} flagged. Easy questions "
            "sit to the right; "
            "questions that separate stronger from weaker students sit high up. A question "
            "below zero is answered correctly more often by weaker students: check its key."
        ).format(
            n=fmt_number(len(items)),
            answers=fmt_number(int(pd.to_numeric(items["n_attempts"]).fillna(0).sum())),
            flagged=fmt_number(n_flagged),
        )
    )
    labels = {
        "quiz_id": _("Quiz"),
        "stem": _("Question"),
        "n_students": _("Students"),
        "difficulty": _("Share of answers correct"),
        "first_attempt_difficulty": _("Share correct at the first attempt"),
        "discrimination": _("Discrimination"),
        "flag_reasons": _("Why flagged"),
    }
    formats = {
        "n_students": num,
        "difficulty": pct,
        "first_attempt_difficulty": pct,
        "discrimination": num2,
    }
    st.subheader(_("Flagged questions"))
    flagged = items[items["flagged"]]
    if flagged.empty:
        empty_state(_("No question is flagged: none is too easy, too hard or misleading."))
    else:
        show_table(
            flagged,
            labels,
            formats=formats,
            filename=f"{class_id}-flagged-items.csv",
            key="items_flagged",
        )
    st.subheader(_("All questions"))
    show_table(items, labels, formats=formats, filename=f"{class_id}-items.csv", key="items_all")

    st.subheader(_("Answers per option"))
    by_id = {it["item_id"]: it for it in raw_items}
    stems = dict(zip(items["item_id"], items["stem"], strict=True))
    item_id = st.selectbox(
        _("Question"), list(items["item_id"]), format_func=lambda i: stems[i], key="item_pick"
    )
    shares = data.option_shares_frame(by_id[item_id])
    if shares.empty:
        empty_state(_("This question has no response options (it is not multiple choice)."))
    else:
        left, right = st.columns(2)
        left.altair_chart(options_chart(shares), width="stretch")
        top = shares.sort_values("share", ascending=False).iloc[0]
        row = items[items["item_id"] == item_id].iloc[0]
        right.write(
            _(
                "Option {option} was chosen most often ({share} of answers). {first} of the "
                "students answered correctly at their first attempt, {all} of all answers were "
                "correct."
            ).format(
                option=top["option"],
                share=fmt_percent(top["share"]),
                first=fmt_percent(
                    None
                    if pd.isna(row["first_attempt_difficulty"])
                    else row["first_attempt_difficulty"]
                ),
                all=fmt_percent(None if pd.isna(row["difficulty"]) else row["difficulty"]),
            )
        )
        with right:
            show_table(
                shares,
                {"option": _("Option"), "share": _("Share of answers")},
                formats={"share": pct},
                filename=f"{class_id}-{item_id}-options.csv",
                key="items_options",
            )

    st.subheader(_("Quiz reliability"))
    quizzes = data.reliability_frame(answer.get("quizzes") or [])
    if quizzes.empty:
        empty_state(_("Reliability needs several students' attempts at a quiz; none yet."))
        return
    quizzes["verdict"] = [
        data.reliability_label(None if pd.isna(v) else v) for v in quizzes["kr20"]
    ]
    show_table(
        quizzes,
        {
            "quiz_id": _("Quiz"),
            "n_items": _("Questions"),
            "n_attempts": _("Attempts"),
            "kr20": _("KR-20"),
            "cronbach_alpha": _("Cronbach's alpha"),
            "verdict": _("In words"),
        },
        formats={"n_items": num, "n_attempts": num, "kr20": num2, "cronbach_alpha": num2},
        filename=f"{class_id}-quiz-reliability.csv",
        key="items_reliability",
    )
    st.caption(
        _(
            "Reliability (KR-20 or Cronbach's alpha) says whether a quiz's questions measure "
            "the same thing: {good} or more is consistent, below {weak} inconsistent."
        ).format(
            good=fmt_number(data.RELIABILITY_GOOD, 1), weak=fmt_number(data.RELIABILITY_WEAK, 1)
        )
    )


run_page(body)
