"""The student portal against a live API: every page renders real data, and actions work.

Streamlit's ``AppTest`` runs the app's scripts in-process; the API is a real uvicorn server over
the curated demo lake (``api_env``). Most tests sign in with :class:`ApiClient` and put the
tokens in the session; one signs in through the form.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from api.store.db import Store
from api.store.models import QuizSubmission
from apps.common.api_client import ApiClient, ApiError
from apps.student_portal import data
from tests.apps.conftest import LiveApi

APP = Path(__file__).resolve().parents[2] / "apps" / "student_portal" / "app.py"
TIMEOUT = 30


# --- helpers ---------------------------------------------------------------------------------


def api_as(api_env: LiveApi, login: dict[str, Any]) -> tuple[ApiClient, dict[str, Any]]:
    """An API client signed in as ``login``, and its token pair."""
    pair = ApiClient(api_env.url).login(login["username"], login["password"])
    return ApiClient(api_env.url, pair["access_token"]), pair


def portal(
    api_env: LiveApi, login: dict[str, Any], *, lang: str = "en", skip_onboarding: bool = True
) -> tuple[AppTest, ApiClient]:
    """The portal with ``login`` already signed in (not yet run)."""
    api, pair = api_as(api_env, login)
    at = AppTest.from_file(str(APP), default_timeout=TIMEOUT)
    at.session_state["token"] = pair["access_token"]
    at.session_state["refresh_token"] = pair["refresh_token"]
    at.session_state["user"] = api.get("/auth/me")
    at.session_state["lang"] = lang
    if skip_onboarding:
        at.session_state["onboarding_skipped"] = True
    return at, api


def open_page(at: AppTest, view: str) -> AppTest:
    """Run the app once (so that its pages are registered), then show ``views/<view>.py``."""
    at.run()
    assert not at.exception, at.exception
    at.switch_page(f"views/{view}.py").run()
    assert not at.exception, at.exception
    return at


def shown(at: AppTest) -> str:
    """Every text the page shows (titles, markdown, captions, alerts, metrics), one per line."""
    parts: list[str] = []
    for kind in (
        "title",
        "header",
        "subheader",
        "markdown",
        "caption",
        "success",
        "info",
        "warning",
        "error",
    ):
        parts.extend(str(e.value) for e in getattr(at, kind))
    parts.extend(f"{m.label}: {m.value}" for m in at.metric)
    return "\n".join(parts)


def click(at: AppTest, label: str) -> AppTest:
    """Click the (only) button labelled ``label`` and run the app."""
    buttons = [b for b in at.main.button if b.label == label]
    assert len(buttons) == 1, [b.label for b in at.main.button]
    return buttons[0].click().run()


def student_outside(api_env: LiveApi, class_id: str) -> dict[str, Any]:
    """A demo student who is not in ``class_id`` (and is not used by other tests)."""
    students = [u for u in api_env.users if u["role"] == "student"]
    return next(s for s in students[12:] if class_id not in s["class_ids"])


def teacher_invite(api_env: LiveApi, class_id: str | None = None) -> tuple[str, str]:
    """An invite code a teacher made for one of their classes, and that class."""
    teacher = next(
        u
        for u in api_env.users
        if u["role"] == "teacher" and (class_id is None or class_id in u["class_ids"])
    )
    api, _pair = api_as(api_env, teacher)
    cid = class_id or teacher["class_ids"][0]
    invite = api.post(f"/classes/{cid}/invites", {"max_uses": 5})
    return invite["code"], cid


# --- sign-in and onboarding ------------------------------------------------------------------


@pytest.mark.slow
def test_sign_in_through_the_form_opens_onboarding(api_env: LiveApi) -> None:
    login = api_env.user("student", 1)
    at = AppTest.from_file(str(APP), default_timeout=TIMEOUT).run()
    assert not at.exception
    assert at.title[0].value == "LearnSmart for students"
    at.text_input(key="login_username").input(login["username"])
    at.text_input(key="login_password").input(login["password"])
    click(at, "Sign in")
    assert not at.exception, at.exception
    assert at.session_state["user"]["username"] == login["username"]
    # A demo student is enrolled but has not set up a profile: onboarding comes first, with a
    # way to skip it because they already have classes.
    assert "Welcome to LearnSmart" in at.title[0].value
    assert at.text_input(key="onboarding_code")
    at.button(key="onboarding_skip").click().run()
    assert not at.exception, at.exception
    assert at.title[0].value == "My progress"


def test_wrong_password_is_a_sentence(api_env: LiveApi) -> None:
    login = api_env.user("student", 2)
    at = AppTest.from_file(str(APP), default_timeout=TIMEOUT).run()
    at.text_input(key="login_username").input(login["username"])
    at.text_input(key="login_password").input("not-the-password")
    click(at, "Sign in")
    assert not at.exception
    assert [e.value for e in at.error] == ["Unknown username or wrong password."]
    assert "user" not in at.session_state


@pytest.mark.slow
def test_onboarding_with_a_teachers_invite_joins_the_class(api_env: LiveApi) -> None:
    code, class_id = teacher_invite(api_env)
    login = student_outside(api_env, class_id)
    at, api = portal(api_env, login, skip_onboarding=False)
    at.run()
    assert not at.exception
    assert "Welcome to LearnSmart" in at.title[0].value
    at.text_input(key="onboarding_code").input(code.lower())  # codes are not case-sensitive
    at.selectbox(key="onboarding_grade").select("9")
    at.text_input(key="onboarding_interests").input("space, music")
    click(at, "Join class")
    assert not at.exception, at.exception
    # Joined and onboarded: the portal opens on the progress page with a welcome message.
    assert class_id in {c["class_id"] for c in api.get("/students/me/classes")}
    profile = api.get("/students/me")
    assert profile["onboarded"] and profile["grade_level"] == "9"
    assert profile["interests"] == ["space", "music"]
    assert at.title[0].value == "My progress"
    assert any("You joined" in s.value for s in at.success)


def test_an_unknown_invite_code_is_a_sentence(api_env: LiveApi) -> None:
    at, api = portal(api_env, api_env.user("student", 3), skip_onboarding=False)
    at.run()
    at.text_input(key="onboarding_code").input("ZZZZ-0000-0000")
    click(at, "Join class")
    assert not at.exception
    assert any("invite code is unknown or has expired" in w.value for w in at.warning)
    # A malformed code is caught before it reaches the API.
    at.text_input(key="onboarding_code").input("no way!")
    click(at, "Join class")
    assert not at.exception
    assert any("letters, digits or dashes" in e.value for e in at.error)
    assert api.get("/students/me")["onboarded"] is False


# --- pages -----------------------------------------------------------------------------------


def test_progress_shows_each_class_and_its_modules(api_env: LiveApi) -> None:
    at, api = portal(api_env, api_env.user("student", 4))
    at.run()
    assert not at.exception, at.exception
    assert at.title[0].value == "My progress"
    titles = {c["class_title"] for c in api.get("/students/me/classes")}
    assert titles and titles <= {s.value for s in at.subheader}
    text = shown(at)
    assert "You have opened" in text and "modules finished" in text
    charts = at.get("vega_lite_chart")
    assert len(charts) == len(titles)
    assert "#0072B2" in charts[0].proto.spec  # the Okabe-Ito palette


def test_recommendations_show_their_reasons(api_env: LiveApi) -> None:
    login = api_env.user("student", 5)
    at, api = portal(api_env, login)
    open_page(at, "recommendations")
    assert at.title[0].value == "What to study next"
    recs = api.get(f"/students/{login['student_id']}/recommendations")["items"]
    assert recs
    courses = api.get("/students/me/course-recommendations")
    assert courses, "the demo school has classes this student is not in"
    text = shown(at)
    for rec in recs:
        assert rec["title"] in text
    assert "Classes you might join" in text
    for course in courses:
        assert course["title"] in text
    assert text.count("Why: ") == len(recs) + len(courses)


@pytest.mark.slow
def test_taking_a_quiz_scores_it_and_the_api_records_it(api_env: LiveApi) -> None:
    login = api_env.user("student", 6)
    at, api = portal(api_env, login)
    open_page(at, "quiz")
    class_id = login["class_ids"][0]
    at.selectbox(key="quiz_class").select(class_id).run()
    quizzes = api.get(f"/classes/{class_id}/quizzes")
    quiz_id = quizzes[0]["quiz_id"]
    at.selectbox(key="quiz_pick").select(quiz_id).run()
    assert not at.exception, at.exception
    quiz = api.get(f"/quizzes/{quiz_id}")
    labels = [r.label for r in at.radio] + [t.label for t in at.text_input]
    for item in quiz["items"]:
        assert any(item["stem"] in label for label in labels)
    sid = login["student_id"]
    before = {m["skill_id"]: m["n_responses"] for m in api.get(f"/students/{sid}/mastery")}

    # Unanswered questions: a warning, nothing sent.
    click(at, "Submit answers")
    assert any("Answer every question" in w.value for w in at.warning)
    # Answer every item with its first option and submit.
    for item in quiz["items"]:
        widget = at.radio(key=f"answer_{item['item_id']}")
        widget.set_value(item["options"][0]["option_id"])
    click(at, "Submit answers")
    assert not at.exception, at.exception
    result = at.session_state[f"quiz_result_{quiz_id}"]
    n = len(quiz["items"])
    score = f"Score: {int(result['score'])} / {n}"
    assert any(s.value.startswith(score) for s in at.success)
    text = shown(at)
    assert text.count("Correct.") + text.count("Not quite: the answer is") == n
    # The API kept the attempt and moved the student's mastery.
    with Store(api_env.settings.database_url).session() as s:
        row = s.get(QuizSubmission, result["attempt_id"])
        assert row is not None and row.quiz_id == quiz_id and row.student_id == sid
    after = {m["skill_id"]: m["n_responses"] for m in api.get(f"/students/{sid}/mastery")}
    assert any(after[k] > before.get(k, 0) for k in after)


def test_mastery_shows_each_skill_with_a_summary(api_env: LiveApi) -> None:
    login = api_env.user("student", 7)
    at, api = portal(api_env, login)
    open_page(at, "mastery")
    skills = api.get(f"/students/{login['student_id']}/mastery")
    assert skills
    table = at.dataframe[0].value
    assert set(table["Skill"]) == {m["name"] for m in skills}
    assert "You have mastered" in shown(at)
    assert len(at.get("vega_lite_chart")) == 1


@pytest.mark.slow
def test_the_tutor_answers_and_cites_its_source(api_env: LiveApi) -> None:
    students = [u for u in api_env.users if u["role"] == "student"]
    login = next(u for u in students[13:] if "cls-phys1-2025f" in u["class_ids"])
    at, api = portal(api_env, login)
    open_page(at, "tutor")
    at.selectbox(key="tutor_class").select("cls-phys1-2025f")
    at.text_area(key="tutor_question").input("What is acceleration?")
    click(at, "Ask")
    assert not at.exception, at.exception
    answer = at.session_state["tutor_last"]
    assert answer["sources"], answer
    text = shown(at)
    assert answer["answer"] in text
    assert "Sources" in text
    assert f"**{answer['sources'][0]['title']}**" in text
    asked = api.get("/tutor/questions")["items"]
    assert asked[0]["id"] == answer["id"] and asked[0]["question"] == "What is acceleration?"


@pytest.mark.slow
def test_forum_start_a_discussion_and_reply(api_env: LiveApi) -> None:
    login = api_env.user("student", 8)
    class_id = login["class_ids"][0]
    at, api = portal(api_env, login)
    open_page(at, "forum")
    at.selectbox(key="forum_class").select(class_id).run()
    at.text_input(key="forum_new_title").input("Help with module 1")
    at.text_area(key="forum_new_body").input("I do not understand the first quiz.")
    click(at, "Start discussion")
    assert not at.exception, at.exception
    threads = api.get(f"/classes/{class_id}/forum/threads")["items"]
    mine = next(t for t in threads if t["title"] == "Help with module 1")
    assert at.selectbox(key="forum_thread").value == mine["thread_id"]
    assert "I do not understand the first quiz." in shown(at)
    at.text_area(key="forum_reply_body").input("Me neither, let's ask.")
    click(at, "Post reply")
    assert not at.exception, at.exception
    posts = api.get(f"/classes/{class_id}/forum/threads/{mine['thread_id']}")
    assert [p["body"] for p in posts][-1] == "Me neither, let's ask."
    assert "Me neither, let's ask." in shown(at)
    assert any("Your reply is posted." in s.value for s in at.success)


def test_notifications_and_settings_render(api_env: LiveApi) -> None:
    login = api_env.user("student", 9)
    at, _api = portal(api_env, login)
    open_page(at, "notifications")
    assert at.title[0].value == "Notifications"
    assert any("No notifications yet" in i.value for i in at.info)
    at.switch_page("views/settings.py").run()
    assert not at.exception, at.exception
    assert at.title[0].value == "Settings"
    assert any(login["username"] in m.value for m in at.markdown)


# --- language --------------------------------------------------------------------------------


@pytest.mark.slow
def test_choosing_spanish_renders_spanish_and_is_saved(api_env: LiveApi) -> None:
    login = api_env.user("student", 10)
    at, api = portal(api_env, login)
    at.run()
    assert at.title[0].value == "My progress"
    at.selectbox(key="sidebar_language").select("es").run()
    assert not at.exception, at.exception
    assert at.title[0].value == "Mi progreso"
    assert "Has abierto" in shown(at)
    assert api.get("/auth/me")["language"] == "es"
    # The other pages follow.
    at.switch_page("views/quiz.py").run()
    assert at.title[0].value == "Haz un cuestionario"
    assert any(b.label == "Enviar respuestas" for b in at.button)
    assert all("(semana " in o for o in at.selectbox(key="quiz_pick").options)
    # And French from the settings page, saved too, without the sidebar switching back.
    at.switch_page("views/settings.py").run()
    at.selectbox(key="settings_language").select("fr").run()
    assert not at.exception, at.exception
    assert at.title[0].value == "Paramètres"
    assert api.get("/auth/me")["language"] == "fr"
    at.run()
    assert at.session_state["lang"] == "fr"
    assert api.get("/auth/me")["language"] == "fr"


def test_an_expired_session_is_a_sentence(api_env: LiveApi) -> None:
    at, _api = portal(api_env, api_env.user("student", 11))
    at.session_state["token"] = "not-a-token"
    at.session_state["refresh_token"] = "not-a-refresh-token"
    at.run()
    assert not at.exception
    assert [w.value for w in at.warning] == ["Your session has ended. Sign in again to continue."]
    click(at, "Sign in again")
    assert not at.exception
    assert "user" not in at.session_state
    assert at.text_input(key="login_username")


# --- pure shaping ----------------------------------------------------------------------------


def test_module_order_and_frame() -> None:
    modules = ["M10", "unassigned", "M2", "Extra", "M1"]
    assert sorted(modules, key=data.module_sort_key) == ["M1", "M2", "M10", "Extra", "unassigned"]
    frame = data.module_frame(
        {
            "modules": [
                {
                    "module": "M2",
                    "n_content": 4,
                    "n_content_touched": 1,
                    "content_touched_share": None,
                },
                {
                    "module": "M1",
                    "n_content": 5,
                    "n_content_touched": 5,
                    "content_touched_share": 1.0,
                },
                {
                    "module": "M3",
                    "n_content": 0,
                    "n_content_touched": 0,
                    "content_touched_share": None,
                },
            ]
        }
    )
    assert list(frame["module"]) == ["M1", "M2", "M3"]
    assert list(frame["share"]) == [1.0, 0.25, 0.0]
    assert list(frame["state"]) == ["done", "started", "not_started"]
    summary = data.module_summary(frame)
    assert summary == {"n_modules": 3, "n_done": 1, "n_started": 1, "next_module": "M2"}
    assert data.module_summary(data.module_frame({"modules": []}))["next_module"] is None


def test_class_overview_and_missing_values() -> None:
    frame = data.class_overview(
        [
            {"class_id": "b", "content_touched_share": 0.5, "n_quiz_attempts": 2},
            {
                "class_id": "a",
                "content_touched_share": None,
                "mean_first_attempt_share_correct": 0.4,
            },
        ],
        {"a": "Algebra", "b": "Biology"},
    )
    rows = data.frame_records(frame)
    assert [r["class"] for r in rows] == ["Algebra", "Biology"]
    assert rows[0]["opened_share"] is None and rows[1]["first_attempt_share"] is None
    assert rows[1]["opened_share"] == 0.5


def test_mastery_bands_and_summary() -> None:
    assert [data.mastery_band(p) for p in (0.9, 0.8, 0.7, 0.59)] == [
        "mastered",
        "mastered",
        "developing",
        "needs_practice",
    ]
    frame = data.mastery_frame(
        [
            {"skill_id": "a", "name": "Area", "probability": 0.9, "n_responses": 3},
            {"skill_id": "b", "name": "Bonds", "probability": 0.4, "n_responses": 1},
        ]
    )
    assert list(frame["skill"]) == ["Bonds", "Area"]
    summary = data.mastery_summary(frame)
    assert summary["n_mastered"] == 1 and summary["n_needs_practice"] == 1
    assert summary["weakest"] == ("Bonds", 0.4) and summary["strongest"] == ("Area", 0.9)
    assert data.mastery_summary(data.mastery_frame([]))["n_skills"] == 0


@pytest.mark.parametrize(
    ("reason", "kind", "values"),
    [
        (
            "practises Speed and velocity, your weakest skill (mastery 77%)",
            "weakest_skill",
            {"skill": "Speed and velocity", "share": 0.77},
        ),
        ("continue M2: you have opened 0% of it", "continue", {"module": "M2", "share": 0.0}),
        (
            "next in M3, which you have not started; matches your interest in space",
            "not_started",
            {"module": "M3", "interest": "space"},
        ),
        (
            "students like you found this useful",
            "other",
            {"text": "students like you found this useful"},
        ),
    ],
)
def test_parse_reason(reason: str, kind: str, values: dict[str, Any]) -> None:
    assert data.parse_reason(reason) == (kind, values)


def test_recommendation_rows_keep_order_and_name_the_class() -> None:
    rows = data.recommendation_rows(
        [
            {
                "content_id": "q",
                "class_id": "c1",
                "title": None,
                "content_type": "quiz",
                "reason": "x",
            },
            {
                "content_id": "p",
                "class_id": "c2",
                "title": "Page",
                "content_type": "page",
                "reason": "y",
            },
        ],
        {"c1": "Physics"},
    )
    assert [(r["title"], r["class"]) for r in rows] == [("q", "Physics"), ("Page", "c2")]


def test_quiz_responses_and_feedback() -> None:
    items = [
        {
            "item_id": "i1",
            "item_type": "multiple_choice",
            "stem": "One?",
            "options": [{"option_id": "a", "text": "A"}],
        },
        {"item_id": "i2", "item_type": "short_answer", "stem": "Two?", "options": []},
        {
            "item_id": "i3",
            "item_type": "multiple_choice",
            "stem": "Three?",
            "options": [{"option_id": "b", "text": "B"}],
        },
    ]
    assert data.is_choice(items[0]) and not data.is_choice(items[1])
    responses, missing = data.quiz_responses(items, {"i1": "a", "i2": "  forty two ", "i3": None})
    assert responses == [
        {"item_id": "i1", "response": "a"},
        {"item_id": "i2", "response": "forty two"},
    ]
    assert missing == ["i3"]
    rows = data.feedback_rows(
        {"items": items},
        {
            "items": [
                {
                    "item_id": "i2",
                    "is_correct": False,
                    "score": 0,
                    "max_score": 1,
                    "correct_responses": ["42"],
                },
                {
                    "item_id": "i1",
                    "is_correct": True,
                    "score": 1,
                    "max_score": 1,
                    "correct_responses": ["A"],
                },
            ]
        },
    )
    assert [(r["number"], r["stem"], r["is_correct"]) for r in rows] == [
        (1, "One?", True),
        (2, "Two?", False),
    ]


def test_sorted_quizzes_follow_the_course() -> None:
    quizzes = [
        {"quiz_id": "late", "week": 9, "module": "M3", "title": "C"},
        {"quiz_id": "none", "week": None, "module": None, "title": "Z"},
        {"quiz_id": "early", "week": 2, "module": "M1", "title": "A"},
    ]
    assert [q["quiz_id"] for q in data.sorted_quizzes(quizzes)] == ["early", "late", "none"]


def test_invites_interests_and_sources() -> None:
    assert data.normalise_invite(" ab12-cd34-ef56 ") == "AB12-CD34-EF56"
    assert data.normalise_invite("no way!") is None
    assert data.normalise_invite("abc") is None
    assert data.split_interests("space, Music ,music;; art\n") == ["space", "Music", "art"]
    assert data.split_interests(None) == []
    assert data.source_parts(
        {"content_id": "p1", "title": None, "module": "", "section": "Intro"}
    ) == {
        "title": "p1",
        "module": None,
        "section": "Intro",
    }
    assert data.class_labels([{"class_id": "c", "class_code": "C-1"}]) == {"c": "C-1"}
    assert isinstance(data.module_frame({"modules": []}), pd.DataFrame)


def test_api_errors_carry_a_sentence(api_env: LiveApi) -> None:
    with pytest.raises(ApiError) as err:
        ApiClient(api_env.url).get("/students/me")
    assert err.value.status == 401 and err.value.message.endswith(".")
