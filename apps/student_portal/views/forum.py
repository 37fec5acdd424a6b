"""The class forum: read threads, reply, start a discussion."""

from __future__ import annotations

from typing import Any

import streamlit as st

from apps.common.api_client import ApiError
from apps.common.i18n import _, fmt_datetime, fmt_number, ngettext
from apps.common.ui import empty_state, send, show_error
from apps.student_portal.portal import class_picker, flash, load, my_classes


def role_label(role: str | None) -> str:
    """An author's role in words."""
    return {
        "student": _("Student"),
        "teacher": _("Teacher"),
        "admin": _("School staff"),
    }.get(role or "", _("Member"))


def thread_label(thread: dict[str, Any]) -> str:
    """A thread in the picker: title, number of posts, last activity."""
    return _("{title} ({n} posts, last {when})").format(
        title=thread.get("title") or _("Untitled discussion"),
        n=fmt_number(thread.get("n_posts")),
        when=fmt_datetime(thread.get("last_post_at")),
    )


def new_thread(class_id: str) -> None:
    """The form to start a discussion; selects the new thread once it is posted."""
    with (
        st.expander(_("Start a new discussion"), icon=":material/add_comment:"),
        st.form("forum_new_form", clear_on_submit=True),
    ):
        title = st.text_input(_("Title"), key="forum_new_title", max_chars=300)
        body = st.text_area(_("Message"), key="forum_new_body", max_chars=20_000)
        posted = st.form_submit_button(_("Start discussion"), type="primary")
    if posted:
        if not title.strip() or not body.strip():
            st.warning(_("Give your discussion a title and a message."))
            return
        try:
            with st.spinner(_("Posting…")):
                post = send(
                    "POST",
                    f"/classes/{class_id}/forum/threads",
                    {"title": title.strip(), "body": body.strip()},
                )
        except ApiError as err:
            show_error(err)
            return
        st.session_state["forum_thread"] = post["thread_id"]
        st.success(_("Your discussion is posted."), icon=":material/check_circle:")


def show_thread(class_id: str, thread_id: str) -> None:
    """The posts of a thread, oldest first, and a reply form."""
    posts = load(f"/classes/{class_id}/forum/threads/{thread_id}")
    if posts is None:
        return
    for post in posts:
        with st.container(border=True):
            author = post.get("author_name") or role_label(post.get("author_role"))
            st.caption(
                _("{author} · {when}").format(
                    author=author, when=fmt_datetime(post.get("created_at"))
                )
            )
            if post.get("title"):
                st.markdown(f"**{post['title']}**")
            st.markdown(post["body"])
    with st.form("forum_reply_form", clear_on_submit=True):
        body = st.text_area(_("Your reply"), key="forum_reply_body", max_chars=20_000)
        replied = st.form_submit_button(_("Post reply"), type="primary")
    if replied:
        if not body.strip():
            st.warning(_("Write something before you post."))
            return
        try:
            with st.spinner(_("Posting…")):
                send(
                    "POST",
                    f"/classes/{class_id}/forum/threads/{thread_id}/posts",
                    {"body": body.strip()},
                )
        except ApiError as err:
            show_error(err)
            return
        flash(_("Your reply is posted."))
        st.rerun()


def main() -> None:
    st.title(_("Class forum"))
    classes = my_classes()
    if classes is None:
        return
    class_id = class_picker(classes, "forum_class")
    new_thread(class_id)
    threads = load(f"/classes/{class_id}/forum/threads", every_page=True)
    if threads is None:
        return
    if not threads:
        empty_state(_("No discussions yet. Start the first one with the form above."))
        return
    by_id = {t["thread_id"]: t for t in threads}
    if st.session_state.get("forum_thread") not in by_id:
        st.session_state["forum_thread"] = threads[0]["thread_id"]
    st.caption(
        ngettext(
            "{n} discussion in this class", "{n} discussions in this class", len(threads)
        ).format(n=fmt_number(len(threads)))
    )
    thread_id = st.selectbox(
        _("Discussion"),
        list(by_id),
        format_func={t: thread_label(by_id[t]) for t in by_id}.__getitem__,
        key="forum_thread",
    )
    show_thread(class_id, thread_id)


main()
