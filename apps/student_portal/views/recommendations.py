"""What to study next: the API's recommendations, each with the reason for it."""

from __future__ import annotations

from typing import Any

import streamlit as st

from apps.common.i18n import _, fmt_percent, ngettext
from apps.common.ui import empty_state
from apps.student_portal.data import class_labels, recommendation_rows
from apps.student_portal.portal import load, my_classes, student_id

ICONS = {
    "quiz": ":material/quiz:",
    "video": ":material/play_circle:",
    "page": ":material/article:",
    "resource": ":material/description:",
}


def type_label(content_type: str) -> str:
    """A kind of content in words."""
    return {
        "quiz": _("Quiz"),
        "video": _("Video"),
        "page": _("Page"),
        "resource": _("Resource"),
        "assignment": _("Assignment"),
    }.get(content_type, content_type)


def reason_text(kind: str, values: dict[str, Any]) -> str:
    """A recommendation's reason in the reader's language (the API's words if unknown)."""
    if kind == "weakest_skill":
        text = _("It practises {skill}, your weakest skill (mastery {share}).").format(
            skill=values["skill"], share=fmt_percent(values["share"])
        )
    elif kind == "continue":
        text = _("Continue {module}: you have opened {share} of it.").format(
            module=values["module"], share=fmt_percent(values["share"])
        )
    elif kind == "not_started":
        text = _("It comes next in {module}, which you have not started.").format(
            module=values["module"]
        )
    else:
        return str(values.get("text", ""))
    if values.get("interest"):
        text += " " + _("It matches your interest in {interest}.").format(
            interest=values["interest"]
        )
    return text


def course_reason_text(kind: str, values: dict[str, Any], fallback: str) -> str:
    """Why a class is suggested, in the reader's language (the API's words if unknown)."""
    if kind == "peers":
        return _("{share} of the students in {name} take it.").format(
            share=fmt_percent(float(values["share"])), name=values["name"]
        )
    if kind == "grade":
        return _("It is popular with grade {grade} students.").format(grade=values["grade"])
    if kind == "interest":
        return _("It matches your interest in {interest}.").format(interest=values["interest"])
    if kind == "language":
        return _("Its course pages are in your language.")
    if kind == "popularity":
        n = int(values["students"])
        return ngettext("{n} student takes it.", "{n} students take it.", n).format(n=n)
    return fallback


def course_section() -> None:
    """Classes the student might join (the API's course recommendations), if any."""
    courses = load("/students/me/course-recommendations")
    if not courses:
        return
    st.subheader(_("Classes you might join"))
    st.caption(_("Ask the class's teacher for an invite code to join it."))
    for course in courses:
        with st.container(border=True):
            st.markdown(f"**{course['title']}**")
            st.markdown(
                _("Why: {reason}").format(
                    reason=course_reason_text(
                        course.get("reason_kind") or "",
                        course.get("reason_values") or {},
                        course.get("reason") or "",
                    )
                )
            )


def source_note(source: str) -> str:
    """Where the list comes from, in a sentence."""
    if source == "model":
        return _("Picked for you from your skills and what helped students like you.")
    return _("Picked for you from your skills and the modules you have not finished.")


def main() -> None:
    st.title(_("What to study next"))
    sid = student_id()
    classes = my_classes()
    if not sid or classes is None:
        return
    recs = load(f"/students/{sid}/recommendations")
    if recs is None:
        return
    rows = recommendation_rows(recs.get("items") or [], class_labels(classes))
    if not rows:
        empty_state(
            _("Nothing to recommend right now: you are up to date. Try a quiz to check yourself.")
        )
        course_section()
        return
    st.caption(source_note(recs.get("source") or "baseline"))
    for n, row in enumerate(rows, 1):
        with st.container(border=True):
            icon = ICONS.get(row["content_type"], ":material/article:")
            st.markdown(f"**{n}. {row['title']}**")
            st.caption(
                _("{kind} in {name}").format(
                    kind=type_label(row["content_type"]), name=row["class"]
                )
            )
            st.markdown(
                _("Why: {reason}").format(
                    reason=reason_text(row["reason_kind"], row["reason_values"])
                )
            )
            if row["content_type"] == "quiz" and st.button(
                _("Take this quiz"), key=f"rec_quiz_{row['content_id']}", icon=icon
            ):
                st.session_state["quiz_class"] = row["class_id"]
                st.session_state["quiz_pick"] = row["content_id"]
                st.switch_page("views/quiz.py")
    course_section()


main()
