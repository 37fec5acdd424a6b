"""The teacher dashboard (apps/teacher_dashboard): pure shaping functions, and every page run
with Streamlit's AppTest against a live API over the curated demo lake."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from sqlalchemy import select
from streamlit.testing.v1 import AppTest

from api.store.db import Store
from api.store.models import FlagFeedback, Notification, User
from apps.common.api_client import ApiClient
from apps.teacher_dashboard import data
from apps.teacher_dashboard.shared import plain
from tests.apps.conftest import LiveApi
from tests.support.services import free_port

APP_DIR = Path(__file__).resolve().parents[2] / "apps" / "teacher_dashboard"
APP = str(APP_DIR / "app.py")
N_TEACHERS = 6


# --- pure shaping ----------------------------------------------------------------------------


def week(n: int, active: int, subs: int, score: float | None, enrolled: int = 10) -> dict:
    return {
        "week": n,
        "week_start_date": f"2025-09-{1 + 7 * (n - 1):02d}",
        "n_enrolled": enrolled,
        "n_active": active,
        "active_share": active / enrolled,
        "n_submissions": subs,
        "mean_score_pct": score,
    }


def test_weeks_frame_sorts_and_drops_the_weeks_after_the_last_activity() -> None:
    weeks = [week(3, 5, 2, 70.0), week(1, 8, 4, 50.0), week(4, 0, 0, None), week(2, 0, 0, None)]
    frame = data.weeks_frame(weeks)
    assert list(frame["week"]) == [1, 2, 3]  # week 2 (quiet) stays, week 4 (after) goes
    assert data.weeks_frame([week(1, 0, 0, None)]).empty
    assert data.weeks_frame([]).empty


def test_current_week_is_compared_with_the_mean_of_the_earlier_weeks() -> None:
    frame = data.weeks_frame([week(1, 8, 4, 50.0), week(2, 6, 2, None), week(3, 5, 9, 80.0)])
    subs = data.current_vs_past(frame, "n_submissions")
    assert (subs.current, subs.past_mean, subs.delta) == (9, 3, 6)
    score = data.current_vs_past(frame, "mean_score_pct")  # the missing week is skipped
    assert (score.current, score.past_mean, score.delta) == (80.0, 50.0, 30.0)
    single = data.current_vs_past(frame.iloc[:1], "n_submissions")
    assert single.current == 4 and single.past_mean is None and single.delta is None
    assert data.signed(-2.0, lambda v: f"{v:.0f}") == "-2"
    assert data.signed(3.0, lambda v: f"{v:.0f}") == "+3"
    assert data.signed(None, str) is None


def test_at_risk_frame_translates_rule_reasons_and_sorts() -> None:
    students = [
        {"student_id": "a", "display_name": "Zoe", "band": "medium", "reasons": ["x"]},
        {
            "student_id": "b",
            "display_name": "adam",
            "band": "high",
            "probability": 0.4,
            "reasons": ["no activity for 9 days", "2 of 3 assignments missing"],
        },
        {"student_id": "c", "display_name": None, "band": "high", "probability": 0.9},
    ]
    frame = data.at_risk_frame(students)
    assert list(frame["display_name"]) == ["Zoe", "adam", "c"]
    assert frame.loc[1, "reasons"] == "no activity for 9 days; 2 of 3 assignments missing"
    assert list(data.sort_at_risk(frame, "risk")["student_id"]) == ["c", "b", "a"]
    assert list(data.sort_at_risk(frame, "name")["student_id"]) == ["b", "c", "a"]
    assert list(data.sort_at_risk(frame, "reasons")["student_id"]) == ["b", "a", "c"]
    assert data.translate_reason("average score 31% so far") == "average score 31% so far"
    ties = data.at_risk_frame(
        [
            {"student_id": i, "display_name": n, "band": "high", "reasons": ["r"]}
            for i, n in (("x", "Zed"), ("y", "Amy"))
        ]
    )
    assert list(data.sort_at_risk(ties, "risk")["student_id"]) == ["x", "y"]  # the API's order
    assert plain("score_pct < 40 *now*") == "score\\_pct \\< 40 \\*now\\*"
    assert data.translate_reason("logins dropped by half") == "logins dropped by half"


def test_student_weeks_puts_attempts_in_their_class_week() -> None:
    timeline = {
        "class_weeks": [week(1, 8, 4, 50.0), week(2, 6, 2, 60.0), week(3, 0, 0, None)],
        "days": [
            {"date": "2025-09-02", "class_week": 1, "n_events": 3, "active_minutes": 10.0},
            {"date": "2025-09-03", "class_week": 1, "n_events": 1, "active_minutes": 5.0},
        ],
        "attempts": [
            {"submitted_at": "2025-09-09T10:00:00Z", "share_correct": 0.5},
            {"submitted_at": "2025-09-10T10:00:00Z", "share_correct": 1.0},
        ],
    }
    weekly = data.student_weeks(timeline)
    assert list(weekly["week"]) == [1, 2]
    assert list(weekly["active_days"]) == [2, 0]
    assert list(weekly["active_minutes"]) == [15.0, 0.0]
    assert weekly.loc[0, "score_pct"] is None or pd.isna(weekly.loc[0, "score_pct"])
    assert weekly.loc[1, "score_pct"] == 75.0
    assert list(weekly["class_mean_score_pct"]) == [50.0, 60.0]
    assert data.student_weeks({"class_weeks": []}).empty


def test_heatmap_frame_pivots_students_by_modules() -> None:
    rows = [
        {"student_id": "s1", "display_name": "B", "module": "M1", "content_touched_share": 1.0},
        {"student_id": "s1", "display_name": "B", "module": "M2", "content_touched_share": 0.0},
        {"student_id": "s2", "display_name": "A", "module": "M1", "content_touched_share": 0.5},
        {"student_id": "s2", "display_name": "A", "module": "M2", "content_touched_share": 0.0},
    ]
    frame = data.heatmap_frame(rows)
    wide = data.heatmap_pivot(frame)
    assert list(wide.columns) == ["display_name", "M1", "M2"]
    assert list(wide["display_name"]) == ["A", "B"]
    assert list(wide["M1"]) == [0.5, 1.0]
    means = data.module_means(frame)
    assert list(means["module"]) == ["M2", "M1"] and means.loc[1, "mean_share"] == 0.75
    assert data.module_label("unassigned") == "Not in a module"


def test_items_frame_flags_and_option_shares() -> None:
    items = [
        {"item_id": "q1", "quiz_id": "z", "difficulty": 0.95, "is_too_easy": True},
        {"item_id": "q2", "quiz_id": "z", "stem": "Why?", "has_negative_discrimination": True},
        {"item_id": "q3", "quiz_id": "z", "option_shares": {"b": 0.25, "a": 0.75}},
    ]
    frame = data.items_frame(items)
    assert list(frame["flagged"]) == [True, True, False]
    assert frame.loc[0, "flag_reasons"] == "too easy"
    assert frame.loc[0, "stem"] == "q1" and frame.loc[1, "stem"] == "Why?"
    shares = data.option_shares_frame(items[2])
    assert list(shares["option"]) == ["a", "b"] and list(shares["share"]) == [0.75, 0.25]
    assert data.option_shares_frame(items[0]).empty
    assert data.reliability_label(0.8) == "consistent"
    assert data.reliability_label(0.3) == "inconsistent"
    assert data.reliability_label(None) == "not enough answers yet"


def test_video_summary_and_clock() -> None:
    segments = data.videos_frame(
        [
            {"video_id": "v", "segment_index": i, "segment_start_s": 5.0 * i, "n_views": v}
            | {"n_unique_viewers": 4, "title": None}
            for i, v in enumerate([10, 14, 8, 5])
        ]
    )
    summary = data.video_summary(segments)
    assert summary is not None
    assert (summary.peak_start_s, summary.peak_views, summary.kept_share) == (5.0, 14, 0.5)
    assert segments["title"].iloc[0] == "v"
    assert data.video_summary(segments.iloc[0:0]) is None
    assert (data.clock(65), data.clock(3725.4), data.clock(None)) == ("1:05", "1:02:05", "–")


def test_interventions_and_notifications_frames() -> None:
    history = data.interventions_frame(
        [{"id": 1, "student_id": "s1", "kind": "message", "note": None, "created_at": "x"}],
        {"s1": "Ana"},
    )
    assert history.loc[0, "display_name"] == "Ana" and history.loc[0, "note"] == ""
    assert data.kind_label("call_home") == "Call home" and data.kind_label("odd") == "odd"
    notes = data.notifications_frame([{"id": 2, "title": "t", "read_at": None}])
    assert not notes.loc[0, "is_read"]
    threads = data.threads_frame(
        [
            {"thread_id": "t", "title": None, "is_urgent": None},
            {"thread_id": "u", "title": "Help", "is_urgent": True},
        ]
    )
    assert list(threads["is_urgent"]) == [False, True] and threads.loc[0, "title"] == ""


# --- the app against the live API ------------------------------------------------------------


def login(api_env: LiveApi, username: str, password: str) -> dict[str, Any]:
    client = ApiClient(api_env.url)
    pair = client.login(username, password)
    me = ApiClient(api_env.url, pair["access_token"]).get("/auth/me")
    return {"token": pair["access_token"], "refresh_token": pair["refresh_token"], "user": me}


def api_as(api_env: LiveApi, who: dict[str, Any]) -> ApiClient:
    return ApiClient(api_env.url, login(api_env, who["username"], who["password"])["token"])


def open_page(
    session: dict[str, Any],
    page: str | None = None,
    *,
    class_id: str | None = None,
    lang: str = "en",
) -> AppTest:
    """The app signed in with ``session``, on ``page`` (a file under ``views/``)."""
    at = AppTest.from_file(APP, default_timeout=30)
    for key, value in session.items():
        at.session_state[key] = value
    at.session_state["lang"] = lang
    if class_id is not None:
        at.session_state["class_id"] = class_id
    at.run()
    if page is not None:
        at.switch_page(f"views/{page}.py").run()
    assert not at.exception, at.exception
    return at


def flagged_teacher(api_env: LiveApi) -> tuple[dict[str, Any], str, list[dict[str, Any]]]:
    """A demo teacher with a class where the API flags students."""
    for i in range(N_TEACHERS):
        teacher = api_env.user("teacher", i)
        client = api_as(api_env, teacher)
        for class_id in teacher["class_ids"]:
            students = client.get(f"/classes/{class_id}/at-risk")["students"]
            if students:
                return teacher, class_id, students
    pytest.fail("no demo class has flagged students")


def texts(elements: Any) -> list[str]:
    return [str(e.value) for e in elements]


def table_values(
    at: AppTest, has: str, lacks: str | None = None, last: bool = False
) -> pd.DataFrame:
    """The (first or last) table shown with a column ``has`` and without ``lacks``."""
    found = [
        f.value
        for f in at.dataframe
        if has in f.value.columns and (lacks is None or lacks not in f.value.columns)
    ]
    assert found, f"no table with {has!r}; tables: {[list(f.value.columns) for f in at.dataframe]}"
    return found[-1] if last else found[0]


def csv_keys(at: AppTest) -> set[str]:
    return {b.key for b in at.get("download_button")}


@pytest.mark.slow
def test_sign_in_through_the_form_shows_the_overview(api_env: LiveApi) -> None:
    teacher = api_env.user("teacher", 0)
    at = AppTest.from_file(APP, default_timeout=30).run()
    assert not at.exception
    assert "LearnSmart for teachers" in texts(at.title)
    at.text_input(key="login_username").input(teacher["username"])
    at.text_input(key="login_password").input(teacher["password"])
    at.form_submit_button[0].click().run()
    assert not at.exception, at.exception
    assert not at.error, texts(at.error)
    assert "Class overview" in texts(at.title)
    assert at.session_state["class_id"] == teacher["class_ids"][0]


@pytest.mark.slow
def test_a_wrong_password_is_a_sentence(api_env: LiveApi) -> None:
    teacher = api_env.user("teacher", 0)
    at = AppTest.from_file(APP, default_timeout=30).run()
    at.text_input(key="login_username").input(teacher["username"])
    at.text_input(key="login_password").input("not-the-password")
    at.form_submit_button[0].click().run()
    assert not at.exception
    errors = texts(at.error)
    assert len(errors) == 1 and errors[0].endswith(".") and "Traceback" not in errors[0]
    assert "Class overview" not in texts(at.title)


@pytest.mark.slow
def test_overview_shows_enrolment_weeks_and_students(api_env: LiveApi) -> None:
    teacher = api_env.user("teacher", 0)
    class_id = teacher["class_ids"][0]
    session = login(api_env, teacher["username"], teacher["password"])
    client = ApiClient(api_env.url, session["token"])
    overview = client.get(f"/classes/{class_id}/overview")
    roster = client.all_pages(f"/classes/{class_id}/roster")
    at = open_page(session)
    assert "Class overview" in texts(at.title)
    active = data.weeks_frame(overview["weeks"])
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Students enrolled"] == f"{int(active['n_enrolled'].iloc[-1]):,}"
    assert metrics["Submissions this week"] == f"{int(active['n_submissions'].iloc[-1]):,}"
    weeks = table_values(at, "Week starting")
    assert list(weeks["Week of the class"]) == list(active["week"])
    students = table_values(at, "Last active")
    assert sorted(students["Student"]) == sorted(r["display_name"] for r in roster)
    assert len(at.get("vega_lite_chart")) == 4
    assert any("students are enrolled now" in c for c in texts(at.caption))
    assert {"overview_weeks_csv", "overview_roster_csv"} <= csv_keys(at)


@pytest.mark.slow
def test_the_class_picker_offers_only_the_teachers_classes(api_env: LiveApi) -> None:
    teacher = api_env.user("teacher", 1)
    at = open_page(login(api_env, teacher["username"], teacher["password"]))
    assert at.selectbox(key="class_picker").options == [
        at.session_state["classes"][c]["class_title"]
        + f" ({at.session_state['classes'][c]['class_code']})"
        for c in teacher["class_ids"]
    ]


@pytest.mark.slow
def test_spanish_titles_and_numbers(api_env: LiveApi) -> None:
    teacher = api_env.user("teacher", 0)
    at = open_page(login(api_env, teacher["username"], teacher["password"]), lang="es")
    assert "Resumen de la clase" in texts(at.title)
    assert "Estudiantes inscritos" in [m.label for m in at.metric]


@pytest.mark.slow
def test_at_risk_lists_the_flagged_students_with_reasons(api_env: LiveApi) -> None:
    teacher, class_id, students = flagged_teacher(api_env)
    session = login(api_env, teacher["username"], teacher["password"])
    at = open_page(session, "at_risk", class_id=class_id)
    assert "At-risk students" in texts(at.title)
    table = table_values(at, "Reasons")
    assert sorted(table["Student"]) == sorted(s["display_name"] for s in students)
    first = students[0]
    row = table[table["Student"] == first["display_name"]].iloc[0]
    assert row["Reasons"] == "; ".join(first["reasons"])
    assert row["Risk"] == data.band_label(first["band"])
    # the drill-down: the student's timeline beside the class
    assert any(s.startswith("Timeline of ") for s in texts(at.subheader))
    assert len(at.get("vega_lite_chart")) == 2
    assert table_values(at, "Class: share active").shape[0] >= 1


@pytest.mark.slow
def test_at_risk_says_what_to_do_when_nobody_is_flagged(api_env: LiveApi) -> None:
    for i in range(N_TEACHERS):
        teacher = api_env.user("teacher", i)
        session = login(api_env, teacher["username"], teacher["password"])
        client = ApiClient(api_env.url, session["token"])
        quiet = [
            c for c in teacher["class_ids"] if not client.get(f"/classes/{c}/at-risk")["students"]
        ]
        if quiet:
            break
    else:
        pytest.skip("every demo class has flagged students")
    at = open_page(session, "at_risk", class_id=quiet[0])
    assert any("No student is flagged in this class right now" in i for i in texts(at.info))
    assert not at.dataframe and "ack_flag" not in {b.key for b in at.button}


@pytest.mark.slow
def test_acknowledge_and_not_useful_store_feedback(api_env: LiveApi) -> None:
    teacher, class_id, _flagged = flagged_teacher(api_env)
    session = login(api_env, teacher["username"], teacher["password"])
    at = open_page(session, "at_risk", class_id=class_id)
    student_id = at.selectbox(key="at_risk_student").value
    store = Store(api_env.settings.database_url)

    def verdicts() -> list[str]:
        with store.session() as s:
            rows = s.scalars(
                select(FlagFeedback).where(
                    FlagFeedback.class_id == class_id,
                    FlagFeedback.student_id == student_id,
                    FlagFeedback.teacher_id == session["user"]["id"],
                )
            ).all()
            return [r.verdict for r in rows]

    before = verdicts()
    at.button(key="ack_flag").click().run()
    assert not at.exception and not at.error, texts(at.error)
    assert verdicts() == [*before, "acknowledged"]
    assert any("feedback" in s for s in texts(at.success))
    at.button(key="not_useful_flag").click().run()
    assert verdicts() == [*before, "acknowledged", "not_useful"]
    at.run()
    assert "You marked this flag as not useful." in texts(at.caption)
    store.dispose()


@pytest.mark.slow
def test_message_student_logs_an_intervention_and_notifies(api_env: LiveApi) -> None:
    teacher, class_id, _flagged = flagged_teacher(api_env)
    session = login(api_env, teacher["username"], teacher["password"])
    at = open_page(session, "at_risk", class_id=class_id)
    student_id = at.selectbox(key="at_risk_student").value
    note = f"Can I help? {uuid.uuid4().hex[:8]}"
    at.button(key="message_student").click().run()  # empty: asks for the message first
    assert at.warning and not at.success
    at.text_area(key="flag_message").input(note).run()
    at.button(key="message_student").click().run()
    assert not at.exception and not at.error, texts(at.error)
    client = ApiClient(api_env.url, session["token"])
    logged = client.all_pages(f"/classes/{class_id}/interventions")
    mine = [i for i in logged if i["note"] == note]
    assert mine and mine[0]["kind"] == "message" and mine[0]["student_id"] == student_id
    store = Store(api_env.settings.database_url)
    with store.session() as s:
        users = s.scalars(select(User.id).where(User.student_id == student_id)).all()
        notes = s.scalars(select(Notification).where(Notification.user_id.in_(users))).all()
        assert any(n.body == note for n in notes)
    store.dispose()
    # the timeline now lists it
    at.run()
    assert note in list(table_values(at, "Kind")["Note"])


@pytest.mark.slow
def test_progress_heatmap_lists_students_by_module(api_env: LiveApi) -> None:
    teacher = api_env.user("teacher", 0)
    class_id = teacher["class_ids"][0]
    session = login(api_env, teacher["username"], teacher["password"])
    rows = ApiClient(api_env.url, session["token"]).get(f"/classes/{class_id}/module-progress")
    at = open_page(session, "progress")
    assert "Progress by module" in texts(at.title)
    if not rows:
        assert any("No module progress yet" in i for i in texts(at.info))
        return
    wide = table_values(at, "Student", lacks="Module")
    assert sorted(wide["Student"]) == sorted({r["display_name"] for r in rows})
    modules = {data.module_label(r["module"]) for r in rows}
    assert set(wide.columns) - {"Student"} == modules
    assert len(at.get("vega_lite_chart")) == 1


@pytest.mark.slow
def test_item_analysis_shows_items_flags_options_and_reliability(api_env: LiveApi) -> None:
    teacher = api_env.user("teacher", 0)
    class_id = teacher["class_ids"][0]
    session = login(api_env, teacher["username"], teacher["password"])
    answer = ApiClient(api_env.url, session["token"]).get(f"/classes/{class_id}/item-analysis")
    at = open_page(session, "items")
    assert "Item analysis" in texts(at.title)
    items = table_values(at, "Why flagged", last=True)
    assert len(items) == len(answer["items"])
    flagged = [i for i in answer["items"] if i["flagged"]]
    if flagged:
        assert len(table_values(at, "Why flagged")) == len(flagged)
    reliability = table_values(at, "KR-20")
    assert list(reliability["Quiz"]) == [q["quiz_id"] for q in answer["quizzes"]]
    with_options = next(i for i in answer["items"] if i["option_shares"])
    at.selectbox(key="item_pick").set_value(with_options["item_id"]).run()
    options = table_values(at, "Share of answers")
    assert sorted(options["Option"]) == sorted(with_options["option_shares"])


@pytest.mark.slow
def test_video_engagement_per_segment(api_env: LiveApi) -> None:
    teacher = api_env.user("teacher", 0)
    class_id = teacher["class_ids"][0]
    session = login(api_env, teacher["username"], teacher["password"])
    rows = ApiClient(api_env.url, session["token"]).get(f"/classes/{class_id}/video-engagement")
    at = open_page(session, "videos")
    assert "Video engagement" in texts(at.title)
    if not rows:
        assert any("No video views yet" in i for i in texts(at.info))
        return
    assert len(table_values(at, "Repeat views")) == len(rows)
    assert len(at.selectbox(key="video_pick").options) == len({r["video_id"] for r in rows})
    assert any("students watched this video" in m for m in texts(at.markdown))


@pytest.mark.slow
def test_forum_lists_threads_and_posts(api_env: LiveApi) -> None:
    teacher = api_env.user("teacher", 0)
    class_id = teacher["class_ids"][0]
    session = login(api_env, teacher["username"], teacher["password"])
    client = ApiClient(api_env.url, session["token"])
    threads = client.all_pages(f"/classes/{class_id}/forum/threads")
    at = open_page(session, "forum")
    assert "Forum" in texts(at.title)
    assert list(table_values(at, "Thread")["Thread"]) == [t["title"] for t in threads]
    posts = client.get(f"/classes/{class_id}/forum/threads/{threads[0]['thread_id']}")
    assert list(table_values(at, "Post")["Post"]) == [p["body"] for p in posts]


@pytest.mark.slow
def test_logging_an_intervention_shows_in_the_history(api_env: LiveApi) -> None:
    teacher = api_env.user("teacher", 3)
    session = login(api_env, teacher["username"], teacher["password"])
    at = open_page(session, "interventions", class_id=teacher["class_ids"][0])
    assert "Interventions" in texts(at.title)
    note = f"Meeting after class {uuid.uuid4().hex[:8]}"
    student = at.selectbox(key="iv_student").options[1]
    at.selectbox(key="iv_student").select(student)
    at.selectbox(key="iv_kind").select("Meeting")
    at.text_area(key="iv_note").input(note)
    at.button(key="iv_submit").click().run()
    assert not at.exception and not at.error, texts(at.error)
    assert any(student in s for s in texts(at.success))
    history = table_values(at, "Note")
    row = history[history["Note"] == note]
    assert len(row) == 1 and row.iloc[0]["Student"] == student
    assert row.iloc[0]["Kind"] == "Meeting"


@pytest.mark.slow
def test_notifications_list_and_mark_read(api_env: LiveApi) -> None:
    teacher = api_env.user("teacher", 4)
    session = login(api_env, teacher["username"], teacher["password"])
    title = f"An urgent forum post {uuid.uuid4().hex[:6]}"
    store = Store(api_env.settings.database_url)
    with store.session() as s:
        s.add(
            Notification(
                user_id=session["user"]["id"],
                event_key=title,
                kind="urgent_post",
                title=title,
                body="Help, I am stuck.",
            )
        )
    at = open_page(session, "notifications")
    assert "Notifications" in texts(at.title)
    table = table_values(at, "Title")
    assert title in list(table["Title"])
    at.selectbox(key="note_pick").select(title)
    at.button(key="mark_read").click().run()
    assert not at.exception and not at.error
    with store.session() as s:
        note = s.scalars(select(Notification).where(Notification.event_key == title)).one()
        assert note.read_at is not None
    table = table_values(at, "Title")
    assert table[table["Title"] == title].iloc[0]["Read"] == "Yes"
    store.dispose()


@pytest.mark.slow
@pytest.mark.parametrize(
    "page", ["overview", "at_risk", "progress", "items", "videos", "forum", "interventions"]
)
def test_another_teachers_class_is_denied_as_a_sentence(api_env: LiveApi, page: str) -> None:
    teacher = api_env.user("teacher", 0)
    other = next(
        c
        for i in range(N_TEACHERS)
        for c in api_env.user("teacher", i)["class_ids"]
        if c not in teacher["class_ids"]
    )
    at = open_page(login(api_env, teacher["username"], teacher["password"]), page, class_id=other)
    assert not at.exception
    errors = texts(at.error)
    assert errors == ["You do not have access to this: You may not access this class."]
    assert not at.dataframe and not at.metric and not at.get("vega_lite_chart")


@pytest.mark.slow
def test_an_unreachable_api_is_a_sentence(
    api_env: LiveApi, monkeypatch: pytest.MonkeyPatch
) -> None:
    teacher = api_env.user("teacher", 0)
    session = login(api_env, teacher["username"], teacher["password"])
    monkeypatch.setenv("LEARNSMART_API_URL", f"http://127.0.0.1:{free_port()}")
    at = open_page(session, class_id=teacher["class_ids"][0])
    assert not at.exception
    assert "LearnSmart cannot be reached right now. Try again in a minute." in texts(at.error)
    assert not at.dataframe and not at.metric


@pytest.mark.slow
def test_switching_class_in_the_picker_changes_every_page(api_env: LiveApi) -> None:
    admin = api_env.user("admin")
    session = login(api_env, admin["username"], admin["password"])
    client = ApiClient(api_env.url, session["token"])
    classes = [c["class_id"] for c in client.get("/classes")]
    assert len(classes) >= 2
    at = open_page(session, "interventions")
    first = at.session_state["class_id"]
    second = next(c for c in classes if c != first)
    picker = at.selectbox(key="class_picker")
    picker.set_value(second).run()
    assert not at.exception, at.exception
    assert at.session_state["class_id"] == second
    roster = client.all_pages(f"/classes/{second}/roster")
    names = sorted(r["display_name"] for r in roster)
    assert sorted(at.selectbox(key="iv_student").options) == names
    at.switch_page("views/overview.py").run()
    assert not at.exception
    assert sorted(table_values(at, "Last active")["Student"]) == names
