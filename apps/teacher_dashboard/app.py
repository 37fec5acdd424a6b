"""LearnSmart for teachers: ``streamlit run apps/teacher_dashboard/app.py``.

Every page reads its data through the API with the signed-in teacher's token; the class picked
in the sidebar (``st.session_state["class_id"]``) is shared by all pages.
"""

from __future__ import annotations

import streamlit as st

from apps.common.i18n import _
from apps.common.ui import require_user, sidebar
from apps.teacher_dashboard.shared import class_picker

st.set_page_config(page_title=_("LearnSmart for teachers"), layout="wide")
user = require_user(_("LearnSmart for teachers"), roles=("teacher", "admin"))
sidebar(user)
class_picker()

pages = [
    st.Page(
        "views/overview.py",
        title=_("Class overview"),
        icon=":material/monitoring:",
        url_path="overview",
        default=True,
    ),
    st.Page(
        "views/at_risk.py",
        title=_("At-risk students"),
        icon=":material/warning:",
        url_path="at-risk",
    ),
    st.Page(
        "views/progress.py",
        title=_("Progress by module"),
        icon=":material/grid_on:",
        url_path="progress",
    ),
    st.Page(
        "views/items.py",
        title=_("Item analysis"),
        icon=":material/quiz:",
        url_path="item-analysis",
    ),
    st.Page(
        "views/videos.py",
        title=_("Video engagement"),
        icon=":material/smart_display:",
        url_path="videos",
    ),
    st.Page("views/forum.py", title=_("Forum"), icon=":material/forum:", url_path="forum"),
    st.Page(
        "views/interventions.py",
        title=_("Interventions"),
        icon=":material/support_agent:",
        url_path="interventions",
    ),
    st.Page(
        "views/notifications.py",
        title=_("Notifications"),
        icon=":material/notifications:",
        url_path="notifications",
    ),
]
st.navigation(pages).run()
