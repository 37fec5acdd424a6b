"""Forum: the class's threads, urgent ones first, and the posts of a thread."""

from __future__ import annotations

import streamlit as st

from apps.common.i18n import _, fmt_number, ngettext
from apps.common.ui import empty_state
from apps.teacher_dashboard import data
from apps.teacher_dashboard.shared import (
    load,
    moment,
    num,
    page_start,
    run_page,
    show_table,
    yes_no,
)


def body() -> None:
    class_id = page_start(_("Forum"))
    if class_id is None:
        return
    threads = data.threads_frame(load(f"/classes/{class_id}/forum/threads", paged=True) or [])
    if threads.empty:
        empty_state(_("Nobody has posted in this class's forum yet."))
        return
    n_urgent = int(threads["is_urgent"].sum())
    if n_urgent:
        st.warning(
            _("{n} threads have a post that looks urgent: they are listed first.").format(
                n=fmt_number(n_urgent)
            ),
            icon=":material/priority_high:",
        )
    st.write(
        ngettext(
            "{n} thread, {urgent} of them urgent; the newest activity comes first.",
            "{n} threads, {urgent} of them urgent; the newest activity comes first.",
            len(threads),
        ).format(n=fmt_number(len(threads)), urgent=fmt_number(n_urgent))
    )
    show_table(
        threads,
        {
            "title": _("Thread"),
            "is_urgent": _("Urgent"),
            "n_posts": _("Posts"),
            "created_at": _("Started"),
            "last_post_at": _("Last post"),
        },
        formats={"is_urgent": yes_no, "n_posts": num, "created_at": moment, "last_post_at": moment},
        filename=f"{class_id}-forum-threads.csv",
        key="forum_threads",
    )
    titles = dict(zip(threads["thread_id"], threads["title"], strict=True))
    urgent = dict(zip(threads["thread_id"], threads["is_urgent"], strict=True))

    def label(tid: str) -> str:
        title = titles[tid] or _("(no title)")
        return _("Urgent: {title}").format(title=title) if urgent[tid] else title

    thread_id = st.selectbox(
        _("Read a thread"), list(titles), format_func=label, key="forum_thread"
    )
    posts = data.posts_frame(load(f"/classes/{class_id}/forum/threads/{thread_id}") or [])
    if posts.empty:
        empty_state(_("This thread has no posts."))
        return
    for _i, post in posts.iterrows():
        author = post["author_name"] or data.role_label(post["author_role"])
        with st.container(border=True):
            st.caption(
                _("{author} on {when}").format(author=author, when=moment(post["created_at"]))
                + ("  " + _("(urgent)") if post["is_urgent"] else "")
            )
            st.text(post["body"])
    show_table(
        posts.assign(
            author=[
                n or data.role_label(r)
                for n, r in zip(posts["author_name"], posts["author_role"], strict=True)
            ]
        ),
        {
            "created_at": _("Posted"),
            "author": _("Author"),
            "body": _("Post"),
            "is_urgent": _("Urgent"),
        },
        formats={"created_at": moment, "is_urgent": yes_no},
        filename=f"{class_id}-forum-{thread_id}.csv",
        key="forum_posts",
    )


run_page(body)
