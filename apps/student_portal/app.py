"""LearnSmart for students: ``streamlit run apps/student_portal/app.py``.

Sign-in, then (for a student who has not set up their profile or has no class yet) onboarding,
then the portal's pages. Every figure comes from the LearnSmart API with the student's token.
"""

from __future__ import annotations

import streamlit as st

from apps.common.api_client import ApiError
from apps.common.i18n import _
from apps.common.ui import fetch, require_user, show_error, sidebar, sign_out
from apps.student_portal.portal import show_flash, sync_language_pickers

SKIP_KEY = "onboarding_skipped"

st.set_page_config(
    page_title=_("LearnSmart for students"), page_icon=":material/school:", layout="wide"
)
user = require_user(_("LearnSmart for students"), roles=("student",))
sync_language_pickers()
sidebar(user)

try:
    profile = fetch("/students/me")
    classes = fetch("/students/me/classes")
except ApiError as err:
    if err.status == 401:  # the session expired and could not be renewed
        st.warning(_("Your session has ended. Sign in again to continue."))
        if st.button(_("Sign in again"), key="session_sign_in", type="primary"):
            sign_out()
            st.rerun()
    else:
        show_error(err)
    st.stop()

st.session_state["portal_profile"] = profile
st.session_state["portal_has_classes"] = bool(classes)
needs_onboarding = not profile.get("onboarded") or not classes
skipped = bool(classes) and st.session_state.get(SKIP_KEY, False)
show_flash()

if needs_onboarding and not skipped:
    page = st.navigation(
        [
            st.Page(
                "views/onboarding.py",
                title=_("Welcome"),
                icon=":material/waving_hand:",
                url_path="welcome",  # not "join": once done, the portal opens on its home page
                default=True,
            )
        ],
        position="hidden",
    )
else:
    page = st.navigation(
        {
            _("Learn"): [
                st.Page(
                    "views/progress.py",
                    title=_("My progress"),
                    icon=":material/insights:",
                    url_path="progress",
                    default=True,
                ),
                st.Page(
                    "views/recommendations.py",
                    title=_("What to study next"),
                    icon=":material/lightbulb:",
                    url_path="next",
                ),
                st.Page(
                    "views/quiz.py",
                    title=_("Take a quiz"),
                    icon=":material/quiz:",
                    url_path="quiz",
                ),
                st.Page(
                    "views/mastery.py",
                    title=_("My skills"),
                    icon=":material/psychology:",
                    url_path="skills",
                ),
            ],
            _("Help"): [
                st.Page(
                    "views/tutor.py",
                    title=_("Ask the tutor"),
                    icon=":material/support_agent:",
                    url_path="tutor",
                ),
                st.Page(
                    "views/forum.py",
                    title=_("Class forum"),
                    icon=":material/forum:",
                    url_path="forum",
                ),
            ],
            _("Account"): [
                st.Page(
                    "views/notifications.py",
                    title=_("Notifications"),
                    icon=":material/notifications:",
                    url_path="notifications",
                ),
                st.Page(
                    "views/onboarding.py",
                    title=_("Join a class"),
                    icon=":material/group_add:",
                    url_path="join",
                ),
                st.Page(
                    "views/settings.py",
                    title=_("Settings"),
                    icon=":material/settings:",
                    url_path="settings",
                ),
            ],
        }
    )
page.run()
