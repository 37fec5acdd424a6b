"""Ask the tutor: questions answered from the class's course pages, citing the pages used."""

from __future__ import annotations

from typing import Any

import streamlit as st

from apps.common.api_client import ApiError
from apps.common.i18n import _, fmt_datetime
from apps.common.ui import send, show_error
from apps.student_portal.data import source_parts
from apps.student_portal.portal import class_picker, load, my_classes

LAST_KEY = "tutor_last"


def source_line(source: dict[str, Any]) -> str:
    """Where an answer comes from: page title, module and section."""
    parts = source_parts(source)
    title = f"**{parts['title']}**"
    if parts["module"] and parts["section"]:
        return _("{title}, module {module}, section “{section}”").format(
            title=title, module=parts["module"], section=parts["section"]
        )
    if parts["module"]:
        return _("{title}, module {module}").format(title=title, module=parts["module"])
    if parts["section"]:
        return _("{title}, section “{section}”").format(title=title, section=parts["section"])
    return title


def show_answer(answer: dict[str, Any]) -> None:
    """The tutor's answer and the course pages it cites."""
    with st.chat_message("user"):
        st.markdown(answer["question"])
    with st.chat_message("assistant"):
        st.markdown(answer["answer"])
        sources = answer.get("sources") or []
        if sources:
            st.markdown("**" + _("Sources") + "**")
            for source in sources:
                st.markdown("- " + source_line(source))
        if answer.get("offer_teacher") or not answer.get("is_answerable", True):
            st.info(
                _(
                    "The tutor did not find this in your course pages. Ask your teacher and "
                    "classmates in the class forum."
                ),
                icon=":material/forum:",
            )
            st.page_link(
                "views/forum.py", label=_("Go to the class forum"), icon=":material/forum:"
            )


def main() -> None:
    st.title(_("Ask the tutor"))
    st.caption(
        _("The tutor answers from your course pages and says which page each answer comes from.")
    )
    classes = my_classes()
    if classes is None:
        return
    class_id = class_picker(classes, "tutor_class")
    with st.form("tutor_form", clear_on_submit=True):
        question = st.text_area(
            _("Your question"),
            key="tutor_question",
            max_chars=2000,
            placeholder=_("For example: what is acceleration?"),
        )
        asked = st.form_submit_button(_("Ask"), type="primary", icon=":material/send:")
    if asked:
        text = (question or "").strip()
        if len(text) < 3:
            st.warning(_("Write a question of at least a few words."))
        else:
            try:
                with st.spinner(_("The tutor is reading your course pages…")):
                    answer = send(
                        "POST", "/tutor/questions", {"class_id": class_id, "question": text}
                    )
            except ApiError as err:
                show_error(err)
            else:
                st.session_state[LAST_KEY] = answer
    last = st.session_state.get(LAST_KEY)
    if last:
        show_answer(last)
    history = load("/tutor/questions", {"limit": 20})
    earlier = [a for a in (history or {}).get("items", []) if not last or a["id"] != last["id"]]
    if earlier:
        st.subheader(_("Earlier questions"))
        for item in earlier:
            with st.expander(f"{item['question']} · {fmt_datetime(item.get('created_at'))}"):
                st.markdown(item["answer"])
                for source in item.get("sources") or []:
                    st.markdown("- " + source_line(source))


main()
