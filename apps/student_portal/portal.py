"""Streamlit helpers the portal's pages share: guarded API reads, class pickers, messages."""

from __future__ import annotations

from typing import Any

import streamlit as st

from apps.common.api_client import ApiError
from apps.common.i18n import LANGUAGES, _, fmt_number
from apps.common.ui import empty_state, fetch, fetch_all, send, show_error
from apps.student_portal.data import class_labels

FLASH_KEY = "portal_flash"
LANG_CHANGED_KEY = "portal_lang_changed"
GRADES = ("6", "7", "8", "9", "10", "11", "12", "college", "other")


def load(path: str, params: dict[str, Any] | None = None, *, every_page: bool = False) -> Any:
    """GET ``path`` (cached); on an API error show it as a sentence and return ``None``."""
    try:
        return fetch_all(path, params) if every_page else fetch(path, params)
    except ApiError as err:
        show_error(err)
        return None


def student_id() -> str | None:
    """The signed-in student's record id; says so when the account has none."""
    sid = (st.session_state.get("user") or {}).get("student_id")
    if not sid:
        st.error(
            _(
                "This account is not linked to a student record. "
                "Ask your school's LearnSmart administrator."
            )
        )
    return sid


def my_classes() -> list[dict[str, Any]] | None:
    """The student's classes; an empty state that says what to do when there are none."""
    classes = load("/students/me/classes")
    if classes is None:
        return None
    if not classes:
        empty_state(_("Join a class with the invite code your teacher gave you."))
        st.page_link("views/onboarding.py", label=_("Join a class"), icon=":material/group_add:")
        return None
    return classes


def class_picker(classes: list[dict[str, Any]], key: str) -> str:
    """A select box of the student's classes (by name); returns the chosen class id."""
    labels = class_labels(classes)
    ids = sorted(labels, key=lambda c: labels[c])
    if st.session_state.get(key) not in ids:
        st.session_state[key] = ids[0]
    return st.selectbox(_("Class"), ids, format_func=lambda c: labels.get(c, c), key=key)


def flash(message: str) -> None:
    """A success message shown once, on the next run (after ``st.rerun``)."""
    st.session_state[FLASH_KEY] = message


def show_flash() -> None:
    """The pending success message, if any."""
    message = st.session_state.pop(FLASH_KEY, None)
    if message:
        st.success(message, icon=":material/check_circle:")


def set_language(lang: str) -> None:
    """Use ``lang`` from the next run on, and keep the sidebar's picker in step with it."""
    if lang in LANGUAGES:
        st.session_state.lang = lang
        st.session_state[LANG_CHANGED_KEY] = True


def sync_language_pickers() -> None:
    """Before the sidebar is drawn: show the language chosen elsewhere in its picker.

    The sidebar's picker (``apps.common.ui``) keeps its own widget value; after the language
    changes through onboarding or the settings page it would otherwise switch it back.
    """
    if st.session_state.pop(LANG_CHANGED_KEY, False):
        st.session_state["sidebar_language"] = st.session_state.get("lang")


def save_language(lang: str) -> bool:
    """Save the language on the user's account (``PATCH /auth/me``) and use it."""
    try:
        send("PATCH", "/auth/me", {"language": lang})
    except ApiError as err:
        show_error(err)
        return False
    st.session_state.user = {**(st.session_state.get("user") or {}), "language": lang}
    set_language(lang)
    return True


def fmt_score(value: float | int | None) -> str:
    """A score without decimals when it is whole (``3``), else with one (``2,5`` in Spanish)."""
    if value is None:
        return fmt_number(None)
    return fmt_number(value, 0 if float(value).is_integer() else 1)


def grade_label(grade: str) -> str:
    """A grade level as the student reads it."""
    if grade == "college":
        return _("College or university")
    if grade == "other":
        return _("Other")
    if grade.isdigit():
        return _("Grade {n}").format(n=grade)
    return grade
