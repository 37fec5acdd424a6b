"""Notifications: reminders and news for the student, newest first."""

from __future__ import annotations

import streamlit as st

from apps.common.api_client import ApiError
from apps.common.i18n import _, fmt_datetime, fmt_number
from apps.common.ui import empty_state, send, show_error
from apps.student_portal.portal import load


def main() -> None:
    st.title(_("Notifications"))
    feed = load("/notifications", {"limit": 50})
    if feed is None:
        return
    items = feed.get("items") or []
    if not items:
        empty_state(_("No notifications yet. Reminders and news from your classes show up here."))
        return
    unread = sum(1 for n in items if not n.get("read_at"))
    st.caption(_("{n} unread").format(n=fmt_number(unread)))
    for note in items:
        with st.container(border=True):
            icon = "🔵 " if not note.get("read_at") else ""
            st.markdown(f"{icon}**{note['title']}**")
            st.caption(fmt_datetime(note.get("created_at")))
            st.markdown(note.get("body") or "")
            if not note.get("read_at") and st.button(
                _("Mark as read"), key=f"notification_read_{note['id']}"
            ):
                try:
                    send("POST", f"/notifications/{note['id']}/read")
                except ApiError as err:
                    show_error(err)
                else:
                    st.rerun()


main()
