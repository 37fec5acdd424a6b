"""Notifications: the teacher's in-app feed (flags, urgent posts), newest first."""

from __future__ import annotations

import streamlit as st

from apps.common.i18n import _, fmt_number, ngettext
from apps.common.ui import empty_state
from apps.teacher_dashboard import data
from apps.teacher_dashboard.shared import act, load, moment, run_page, show_table, yes_no


def body() -> None:
    st.title(_("Notifications"))
    items = load("/notifications", paged=True) or []
    frame = data.notifications_frame(items)
    if frame.empty:
        empty_state(
            _(
                "No notifications. You are told here when a student is newly flagged at risk "
                "or a forum post looks urgent."
            )
        )
        return
    unread = frame[~frame["is_read"]]
    st.write(
        ngettext(
            "{n} notification, {unread} unread.",
            "{n} notifications, {unread} unread.",
            len(frame),
        ).format(n=fmt_number(len(frame)), unread=fmt_number(len(unread)))
    )
    show_table(
        frame,
        {
            "created_at": _("When"),
            "title": _("Title"),
            "body": _("Message"),
            "class_id": _("Class"),
            "is_read": _("Read"),
        },
        formats={"created_at": moment, "is_read": yes_no},
        filename="notifications.csv",
        key="notifications_table",
    )
    if unread.empty:
        return
    titles = dict(zip(unread["id"], unread["title"], strict=True))
    chosen = st.selectbox(
        _("Unread notification"), list(titles), format_func=lambda i: titles[i], key="note_pick"
    )
    c1, c2 = st.columns(2)
    if (
        c1.button(_("Mark as read"), key="mark_read", icon=":material/done:")
        and act("POST", f"/notifications/{int(chosen)}/read") is not None
    ):
        st.rerun()
    if c2.button(_("Mark all as read"), key="mark_all_read", icon=":material/done_all:"):
        for nid in titles:
            if act("POST", f"/notifications/{int(nid)}/read") is None:
                break
        else:
            st.rerun()


run_page(body)
