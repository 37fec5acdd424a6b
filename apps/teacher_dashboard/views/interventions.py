"""Interventions: log one (optionally notifying the student) and see the class's history."""

from __future__ import annotations

import streamlit as st

from apps.common.i18n import _, fmt_number
from apps.common.ui import empty_state
from apps.teacher_dashboard import data
from apps.teacher_dashboard.shared import act, load, moment, page_start, run_page, show_table


def log_form(class_id: str, names: dict[str, str]) -> None:
    """Choose a student and a kind, write a note, optionally notify the student, and log it."""
    st.subheader(_("Log an intervention"))
    ids = list(names)
    student = st.selectbox(_("Student"), ids, format_func=lambda s: names[s], key="iv_student")
    kind = st.selectbox(
        _("Kind"), data.INTERVENTION_KINDS, format_func=data.kind_label, key="iv_kind"
    )
    note = st.text_area(_("Note"), key="iv_note", max_chars=4000)
    notify = st.checkbox(
        _("Notify the student (in the app and by e-mail)"), key="iv_notify", value=False
    )
    if st.button(_("Log intervention"), key="iv_submit", type="primary", icon=":material/add:"):
        if kind == "message" and not note.strip():
            st.warning(_("Write the message first."))
            return
        body = {
            "student_id": student,
            "kind": kind,
            "note": note.strip(),
            "notify_student": bool(notify),
        }
        if act("POST", f"/classes/{class_id}/interventions", body) is not None:
            if notify:
                st.success(_("Logged, and {name} has been notified.").format(name=names[student]))
            else:
                st.success(_("Logged for {name}.").format(name=names[student]))


def body() -> None:
    class_id = page_start(_("Interventions"))
    if class_id is None:
        return
    roster = load(f"/classes/{class_id}/roster", paged=True) or []
    names = {r["student_id"]: r.get("display_name") or r["student_id"] for r in roster}
    if names:
        log_form(class_id, names)
    else:
        empty_state(
            _("No students are enrolled yet. Share an invite code so that students can join.")
        )
    st.subheader(_("History"))
    items = load(f"/classes/{class_id}/interventions", paged=True) or []
    history = data.interventions_frame(items, names)
    if history.empty:
        empty_state(_("No interventions logged yet. Use the form above to log the first one."))
        return
    st.write(
        _("{n} interventions logged for {students} students, newest first.").format(
            n=fmt_number(len(history)), students=fmt_number(history["student_id"].nunique())
        )
    )
    show_table(
        history,
        {
            "created_at": _("When"),
            "display_name": _("Student"),
            "kind": _("Kind"),
            "note": _("Note"),
        },
        formats={"created_at": moment, "kind": data.kind_label},
        filename=f"{class_id}-interventions.csv",
        key="iv_history",
    )


run_page(body)
