"""Take a quiz: pick a class and a quiz, answer its items, submit, read the feedback."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import streamlit as st

from apps.common.api_client import ApiError
from apps.common.i18n import _, fmt_number, fmt_percent
from apps.common.ui import empty_state, send, show_error
from apps.student_portal.data import feedback_rows, is_choice, quiz_responses, sorted_quizzes
from apps.student_portal.portal import class_picker, fmt_score, load, my_classes


def result_key(quiz_id: str) -> str:
    return f"quiz_result_{quiz_id}"


def started_key(quiz_id: str) -> str:
    return f"quiz_started_{quiz_id}"


def quiz_label(quiz: dict[str, Any]) -> str:
    """A quiz in the picker: its title and week."""
    title = quiz.get("title") or quiz["quiz_id"]
    if quiz.get("week") is not None:
        return _("{title} (week {week})").format(title=title, week=fmt_number(quiz["week"]))
    return title


def retry(quiz: dict[str, Any]) -> None:
    """Forget the result and the answers so that the quiz can be taken again."""
    st.session_state.pop(result_key(quiz["quiz_id"]), None)
    st.session_state.pop(started_key(quiz["quiz_id"]), None)
    for item in quiz["items"]:
        st.session_state.pop(f"answer_{item['item_id']}", None)


def show_result(quiz: dict[str, Any], result: dict[str, Any]) -> None:
    """The score, each answer's feedback and how the student's skills moved."""
    st.subheader(_("Your result"))
    score = _("Score: {score} / {max_score}").format(
        score=fmt_score(result.get("score")), max_score=fmt_score(result.get("max_score"))
    )
    share = (result["score"] / result["max_score"]) if result.get("max_score") else None
    st.success(f"{score} ({fmt_percent(share)})", icon=":material/grading:")
    for row in feedback_rows(quiz, result):
        if row["is_correct"]:
            text = _("Correct.")
            mark = "✅"
        else:
            answer = " / ".join(row["correct_responses"]) or "–"
            text = _("Not quite: the answer is {answer}.").format(answer=answer)
            mark = "❌"
        st.markdown(f"{mark} **{row['number']}. {row['stem']}** — {text}")
    changes = result.get("mastery") or []
    if changes:
        st.markdown("**" + _("How your skills moved") + "**")
        for change in changes:
            st.markdown(
                "- "
                + _("{skill}: from {before} to {after}").format(
                    skill=change.get("name") or change["skill_id"],
                    before=fmt_percent(change["before"]),
                    after=fmt_percent(change["after"]),
                )
            )
    st.button(
        _("Take this quiz again"),
        key="quiz_retry",
        on_click=retry,
        args=(quiz,),
        icon=":material/replay:",
    )


def submit(quiz: dict[str, Any]) -> None:
    """Send the answers given in the form; keep the scored result in the session."""
    quiz_id = quiz["quiz_id"]
    answers = {i["item_id"]: st.session_state.get(f"answer_{i['item_id']}") for i in quiz["items"]}
    responses, missing = quiz_responses(quiz["items"], answers)
    if missing:
        st.warning(
            _("Answer every question before you submit ({n} left).").format(
                n=fmt_number(len(missing))
            )
        )
        return
    body: dict[str, Any] = {"responses": responses}
    if st.session_state.get(started_key(quiz_id)):
        body["started_at"] = st.session_state[started_key(quiz_id)]
    try:
        with st.spinner(_("Scoring your answers…")):
            result = send("POST", f"/quizzes/{quiz_id}/submissions", body)
    except ApiError as err:
        show_error(err)
        return
    st.session_state[result_key(quiz_id)] = result


def main() -> None:
    st.title(_("Take a quiz"))
    classes = my_classes()
    if classes is None:
        return
    class_id = class_picker(classes, "quiz_class")
    quizzes = load(f"/classes/{class_id}/quizzes")
    if quizzes is None:
        return
    if not quizzes:
        empty_state(_("This class has no quizzes yet. Check again after your next lesson."))
        return
    quizzes = sorted_quizzes(quizzes)
    by_id = {q["quiz_id"]: q for q in quizzes}
    if st.session_state.get("quiz_pick") not in by_id:
        st.session_state["quiz_pick"] = quizzes[0]["quiz_id"]
    # Labels made now, in the reader's language (a format_func may run outside the script).
    labels = {q: quiz_label(by_id[q]) for q in by_id}
    quiz_id = st.selectbox(_("Quiz"), list(by_id), format_func=labels.__getitem__, key="quiz_pick")
    quiz = load(f"/quizzes/{quiz_id}")
    if quiz is None:
        return
    if not quiz.get("items"):
        empty_state(_("This quiz has no questions yet."))
        return
    st.subheader(quiz.get("title") or labels[quiz_id])
    st.session_state.setdefault(started_key(quiz_id), datetime.now(UTC).isoformat())
    done = st.session_state.get(result_key(quiz_id))
    with st.form("quiz_form"):
        for n, item in enumerate(quiz["items"], 1):
            label = f"{n}. {item.get('stem') or ''}"
            key = f"answer_{item['item_id']}"
            if is_choice(item):
                texts = {o["option_id"]: o["text"] for o in item["options"]}
                st.radio(
                    label,
                    list(texts),
                    index=None,
                    format_func=lambda o, texts=texts: texts.get(o, o),
                    key=key,
                    disabled=done is not None,
                )
            else:
                st.text_input(
                    label,
                    key=key,
                    max_chars=1000,
                    placeholder=_("Type your answer"),
                    disabled=done is not None,
                )
        submitted = st.form_submit_button(
            _("Submit answers"), type="primary", disabled=done is not None
        )
    if submitted and done is None:
        submit(quiz)
    result = st.session_state.get(result_key(quiz_id))
    if result is not None:
        show_result(quiz, result)


main()
