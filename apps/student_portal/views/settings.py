"""Settings: the portal's language (saved on the account) and the student's profile."""

from __future__ import annotations

import streamlit as st

from apps.common.i18n import LANGUAGES, _
from apps.student_portal.portal import grade_label, save_language

PENDING_KEY = "settings_language_pending"


def _picked() -> None:
    st.session_state[PENDING_KEY] = st.session_state.get("settings_language")


def main() -> None:
    st.title(_("Settings"))
    lang = st.session_state.get("lang", "en")
    pending = st.session_state.pop(PENDING_KEY, None)
    if pending is None and st.session_state.get("settings_language") != lang:
        st.session_state["settings_language"] = lang  # changed elsewhere (the sidebar)
    codes = list(LANGUAGES)
    st.selectbox(
        _("Language of the portal"),
        codes,
        format_func=lambda c: LANGUAGES[c],
        key="settings_language",
        on_change=_picked,
        help=_("Saved on your account: LearnSmart uses it everywhere you sign in."),
    )
    if pending and pending != lang and save_language(pending):
        st.rerun()

    profile = st.session_state.get("portal_profile") or {}
    st.subheader(_("My profile"))
    st.markdown(
        "\n".join(
            [
                "- " + _("Name: {name}").format(name=profile.get("display_name") or "–"),
                "- " + _("Username: {username}").format(username=profile.get("username") or "–"),
                "- "
                + _("Grade level: {grade}").format(
                    grade=grade_label(profile["grade_level"]) if profile.get("grade_level") else "–"
                ),
                "- "
                + _("Interests: {interests}").format(
                    interests=", ".join(profile.get("interests") or []) or "–"
                ),
            ]
        )
    )
    st.page_link(
        "views/onboarding.py",
        label=_("Join another class or update your profile"),
        icon=":material/group_add:",
    )


main()
