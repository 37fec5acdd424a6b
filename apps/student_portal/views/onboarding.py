"""Onboarding: join a class with an invite code and set grade level, interests and language."""

from __future__ import annotations

import streamlit as st

from apps.common.api_client import ApiError
from apps.common.i18n import LANGUAGES, _
from apps.common.ui import empty_state, send, show_error
from apps.student_portal.data import normalise_invite, split_interests
from apps.student_portal.portal import GRADES, flash, grade_label, set_language


def main() -> None:
    profile = st.session_state.get("portal_profile") or {}
    has_classes = bool(st.session_state.get("portal_has_classes"))
    onboarded = bool(profile.get("onboarded"))
    name = profile.get("display_name") or profile.get("username") or ""
    if onboarded and has_classes:
        st.title(_("Join a class"))
        st.write(_("Enter the invite code of another class. You can also update your profile."))
    else:
        st.title(_("Welcome to LearnSmart, {name}!").format(name=name))
        st.write(
            _(
                "Enter the invite code your teacher gave you and tell us a little about "
                "yourself, so that we can suggest what to study first."
            )
        )
    if not has_classes:
        empty_state(_("Join a class with the invite code your teacher gave you."))

    grades = list(GRADES)
    current_grade = profile.get("grade_level")
    if current_grade and current_grade not in grades:
        grades.append(current_grade)
    langs = list(LANGUAGES)
    lang = st.session_state.get("lang", "en")
    with st.form("onboarding_form"):
        code = st.text_input(
            _("Invite code"),
            key="onboarding_code",
            placeholder="AB12-CD34-EF56",
            max_chars=32,
        )
        grade = st.selectbox(
            _("Grade level"),
            grades,
            index=grades.index(current_grade) if current_grade in grades else None,
            format_func={g: grade_label(g) for g in grades}.__getitem__,
            placeholder=_("Choose your grade"),
            key="onboarding_grade",
        )
        interests = st.text_input(
            _("Interests"),
            value=", ".join(profile.get("interests") or []),
            help=_("A few topics you like, separated by commas; for example: space, music."),
            key="onboarding_interests",
        )
        language = st.selectbox(
            _("Language of the portal"),
            langs,
            index=langs.index(lang) if lang in langs else 0,
            format_func=lambda c: LANGUAGES[c],
            key="onboarding_language",
        )
        submitted = st.form_submit_button(_("Join class"), type="primary")

    if submitted:
        invite = normalise_invite(code)
        if invite is None:
            st.error(
                _(
                    "An invite code has 4 to 32 letters, digits or dashes, like "
                    "AB12-CD34-EF56. Check the code and try again."
                )
            )
        else:
            body = {
                "invite_code": invite,
                "grade_level": grade,
                "interests": split_interests(interests),
                "language": language,
            }
            try:
                with st.spinner(_("Joining the class…")):
                    result = send("POST", "/students/me/onboarding", body)
            except ApiError as err:
                show_error(err)
            else:
                joined = result.get("joined_class") or {}
                new_lang = (result.get("profile") or {}).get("language") or language
                st.session_state.user = {
                    **(st.session_state.get("user") or {}),
                    "language": new_lang,
                }
                set_language(new_lang)
                title = joined.get("class_title") or joined.get("class_id") or ""
                flash(_("You joined {name}. Welcome!").format(name=title))
                st.rerun()

    if has_classes and not onboarded:
        st.divider()
        st.caption(_("You are already in a class, so you can also do this later."))
        if st.button(_("Skip for now"), key="onboarding_skip"):
            st.session_state["onboarding_skipped"] = True
            st.rerun()


main()
