"""The research explorer against a real Trino server (``trino_world`` in ``conftest.py``):
sign-in, the table list and its docs, the row limit, denials, refusals before Trino, plots, CSV,
the Panel widgets, and the page served by ``panel serve``."""

from __future__ import annotations

import asyncio
import io
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pandas as pd
import polars as pl
import pytest
import requests
from bokeh.client import pull_session
from deltalake import DeltaTable

from apps.common.charts import OKABE_ITO
from apps.research_explorer.app import ExplorerApp, create_app
from apps.research_explorer.docs import COLUMN_DOCS, NO_DOC, TEXT
from apps.research_explorer.explorer import (
    DEFAULT_LIMIT,
    MAX_LIMIT,
    Explorer,
    ExplorerError,
    QueryResult,
)
from lake.privacy.research import AGGREGATES_SCHEMA
from lake.privacy.research import write_table as write_research_table
from orchestration.trino.client import TrinoClient
from orchestration.trino.register import register_gold
from orchestration.trino.server import RESEARCHER_USER
from tests.support.services import free_port
from tests.trino.conftest import TrinoWorld

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[2]
AGGREGATES = "research_class_week_aggregates"
STUDENTS = "research.research.research_students"
WEEKS = "research.research.research_student_weeks"


def prefix(key: str) -> str:
    """The fixed start of one of TEXT's sentences (up to its first placeholder)."""
    return TEXT[key].split("{")[0]


def delta_rows(world: TrinoWorld, table: str) -> pd.DataFrame:
    return DeltaTable(str(world.lake / "gold" / "research" / table)).to_pandas()


@pytest.fixture(scope="module")
def aggregates(trino_world: TrinoWorld) -> Iterator[pd.DataFrame]:
    """A real ``research_class_week_aggregates`` (its declared schema, written by the research
    library) registered for this module, then removed and unregistered again."""
    frame = pl.DataFrame(
        {
            "class_id": ["c1", "c1", "c2"],
            "course_id": ["k1", "k1", "k2"],
            "week": [1, 2, 1],
            "n_students": [6, 7, None],
            "share_active": [0.5, 0.25, None],
            "mean_active_minutes_this_week": [30.0, 12.5, None],
            "mean_n_events_this_week": [4.0, 2.0, None],
            "mean_content_touched_share": [0.1, 0.2, None],
            "mean_score_to_date": [60.0, 65.0, None],
            "mean_quiz_share_correct_to_date": [0.5, 0.75, None],
            "is_suppressed": [False, False, True],
        }
    )
    lake = trino_world.lake
    assert write_research_table(lake, AGGREGATES, frame) == 3
    done = register_gold(trino_world.admin, lake)
    assert done.registered == [f"research.{AGGREGATES}"]
    try:
        yield frame.to_pandas()
    finally:
        shutil.rmtree(lake / "gold" / "research" / AGGREGATES)
        assert register_gold(trino_world.admin, lake).dropped == [f"research.{AGGREGATES}"]


@pytest.fixture
def explorer(trino_world: TrinoWorld) -> Explorer:
    ex = Explorer(trino_world.settings)
    ex.sign_in(RESEARCHER_USER, trino_world.logins[RESEARCHER_USER])
    return ex


# --- sign-in ------------------------------------------------------------------------------------


def test_sign_in_with_the_right_password(trino_world: TrinoWorld) -> None:
    ex = Explorer(trino_world.settings)
    assert not ex.signed_in
    ex.sign_in(RESEARCHER_USER, trino_world.logins[RESEARCHER_USER])
    assert ex.signed_in and ex.user == RESEARCHER_USER


@pytest.mark.parametrize(
    ("user", "password"),
    [("researcher", "not-the-password"), ("mallory", "whatever-password"), ("researcher", None)],
)
def test_a_wrong_login_is_a_sentence(
    trino_world: TrinoWorld, user: str, password: str | None
) -> None:
    ex = Explorer(trino_world.settings)
    # None: the admin's password, right for another user.
    given = trino_world.logins["admin"] if password is None else password
    with pytest.raises(ExplorerError) as err:
        ex.sign_in(user, given)
    assert str(err.value) == TEXT["bad_login"]
    assert not ex.signed_in


def test_missing_fields_and_an_unreachable_server(trino_world: TrinoWorld) -> None:
    ex = Explorer(trino_world.settings)
    with pytest.raises(ExplorerError, match=prefix("need_user")):
        ex.sign_in("  ", "x")
    with pytest.raises(ExplorerError, match=prefix("need_password")):
        ex.sign_in("researcher", "")
    down = Explorer(replace(trino_world.settings, https_port=free_port()))
    with pytest.raises(ExplorerError) as err:
        down.sign_in(RESEARCHER_USER, trino_world.logins[RESEARCHER_USER])
    assert str(err.value) == TEXT["unreachable"].format(url=down.settings.https_url)


def test_nothing_runs_before_sign_in(trino_world: TrinoWorld) -> None:
    ex = Explorer(trino_world.settings)
    result = ex.run("SELECT 1")
    assert result.error == TEXT["not_signed_in"] and result.sent is None
    with pytest.raises(ExplorerError, match=TEXT["not_signed_in"]):
        ex.tables()


# --- tables -------------------------------------------------------------------------------------


def test_tables_are_exactly_the_research_tables_with_column_docs(
    trino_world: TrinoWorld, explorer: Explorer, aggregates: pd.DataFrame
) -> None:
    tables = explorer.tables()
    on_disk = sorted(p.name for p in (trino_world.lake / "gold" / "research").iterdir())
    assert [t.name for t in tables] == on_disk
    assert on_disk == [AGGREGATES, "research_student_weeks", "research_students"]
    by_name = {t.name: t for t in tables}

    # The real table: every column, in order, with its Trino type and its real doc.
    agg = by_name[AGGREGATES]
    assert [c.name for c in agg.columns] == AGGREGATES_SCHEMA.names
    assert {c.name: c.type for c in agg.columns}["n_students"] == "bigint"
    assert {c.name: c.type for c in agg.columns}["is_suppressed"] == "boolean"
    assert all(c.doc == COLUMN_DOCS[AGGREGATES][c.name] for c in agg.columns)
    assert agg.select_all == f"SELECT * FROM research.research.{AGGREGATES}"

    # The fixture's stand-ins carry columns that no research table has: no description yet.
    for name in ("research_students", "research_student_weeks"):
        cols = by_name[name].columns
        assert [(c.name, c.type) for c in cols] == [
            ("id", "varchar"),
            ("n", "bigint"),
            ("score", "double"),
        ]
        assert all(c.doc == NO_DOC for c in cols)


# --- running queries ----------------------------------------------------------------------------


def test_run_returns_the_rows_deltalake_holds(trino_world: TrinoWorld, explorer: Explorer) -> None:
    truth = delta_rows(trino_world, "research_student_weeks")
    counted = explorer.run(f"SELECT count(*) AS rows_in_table FROM {WEEKS}")
    assert counted.ok, counted.error
    assert counted.frame["rows_in_table"].tolist() == [len(truth)]

    everything = explorer.run(f"SELECT * FROM {WEEKS}", MAX_LIMIT)
    assert everything.ok and not everything.truncated
    assert list(everything.frame.columns) == ["id", "n", "score"]
    assert len(everything.frame) == len(truth) == 300
    got = everything.frame.sort_values("id").reset_index(drop=True)
    want = truth[["id", "n", "score"]].sort_values("id").reset_index(drop=True)
    pd.testing.assert_frame_equal(got, want, check_dtype=False)


def test_the_row_limit_caps_the_result(explorer: Explorer) -> None:
    capped = explorer.run(f"SELECT * FROM {WEEKS}", 50)
    assert capped.ok and len(capped.frame) == 50 and capped.truncated
    exact = explorer.run(f"SELECT * FROM {WEEKS}", 300)
    assert exact.ok and len(exact.frame) == 300 and not exact.truncated
    one_short = explorer.run(f"SELECT * FROM {WEEKS}", 299)
    assert len(one_short.frame) == 299 and one_short.truncated

    # Default 1000, even for a query that makes more rows.
    many = explorer.run("SELECT x FROM UNNEST(sequence(1, 2500)) AS t(x)")
    assert many.limit == DEFAULT_LIMIT and len(many.frame) == DEFAULT_LIMIT and many.truncated

    # The most is 10000.
    too_many = explorer.run(f"SELECT * FROM {WEEKS}", MAX_LIMIT + 1)
    assert too_many.error == TEXT["bad_limit"].format(max=MAX_LIMIT)
    assert too_many.sent is None and too_many.frame.empty


def test_order_by_survives_the_limit(explorer: Explorer) -> None:
    top = explorer.run(f"SELECT n FROM {WEEKS} ORDER BY n DESC", 5)
    assert top.ok and top.truncated
    assert top.frame["n"].tolist() == [299, 298, 297, 296, 295]
    with_cte = explorer.run(
        f"WITH w AS (SELECT n FROM {WEEKS} WHERE n < 100) SELECT n FROM w ORDER BY n DESC", 3
    )
    assert with_cte.frame["n"].tolist() == [99, 98, 97]


def test_a_lakehouse_table_is_a_denial_sentence_without_rows(explorer: Explorer) -> None:
    result = explorer.run("SELECT * FROM lakehouse.engagement.fct_daily_engagement")
    assert not result.ok and result.sent is not None  # Trino itself said no
    assert result.error is not None and result.error.startswith(prefix("denied"))
    assert "lakehouse" in result.error and "Traceback" not in result.error
    assert result.frame.empty and len(result.frame.columns) == 0


def test_a_missing_table_or_bad_sql_is_a_sentence(explorer: Explorer) -> None:
    missing = explorer.run("SELECT * FROM research.research.no_such_table")
    assert missing.error is not None and missing.error.startswith(prefix("trino_failed"))
    assert "no_such_table" in missing.error and "TABLE_NOT_FOUND" not in missing.error
    broken = explorer.run("SELECT FROM WHERE")
    assert broken.error is not None and broken.error.startswith(prefix("trino_failed"))
    assert broken.frame.empty


class Spy:
    """Records the statements that reach :meth:`TrinoClient.columns` (installed as a method)."""

    def __init__(self) -> None:
        self.sent: list[str] = []
        real = TrinoClient.columns

        def columns(client: TrinoClient, sql: str, params: Any = None) -> Any:
            self.sent.append(sql)
            return real(client, sql, params)

        self.method = columns


@pytest.mark.parametrize(
    ("sql", "key"),
    [
        ("DELETE FROM research.research.research_students", "not_select"),
        ("INSERT INTO research.research.research_students VALUES ('x', 1, 1.0)", "not_select"),
        ("DROP TABLE research.research.research_students", "not_select"),
        ("SELECT 1; DELETE FROM research.research.research_students", "several"),
        ("SELECT 1; SELECT 2", "several"),
        ("SHOW TABLES FROM research.research", "not_select"),
        ("-- nothing but a comment", "empty_sql"),
        ("SELECT 'unclosed", "unclosed"),
    ],
)
def test_non_queries_are_refused_before_reaching_trino(
    explorer: Explorer, monkeypatch: pytest.MonkeyPatch, sql: str, key: str
) -> None:
    spy = Spy()
    monkeypatch.setattr(TrinoClient, "columns", spy.method)
    refused = explorer.run(sql)
    assert refused.error is not None and refused.error.startswith(prefix(key))
    assert refused.sent is None and spy.sent == [] and refused.frame.empty
    # The spy does see what is sent: a query with a ';' inside a string is one statement.
    fine = explorer.run("SELECT 'a;b' AS s -- a comment; not a statement")
    assert fine.ok and fine.frame["s"].tolist() == ["a;b"]
    assert spy.sent == [fine.sent]


# --- plot and CSV -------------------------------------------------------------------------------


def test_plot_encodes_the_chosen_columns(explorer: Explorer, aggregates: pd.DataFrame) -> None:
    result = explorer.run(f"SELECT week, n_students FROM research.research.{AGGREGATES}")
    assert result.ok, result.error
    for kind in ("bar", "line", "point"):
        spec = explorer.plot(result.frame, "week", "n_students", kind).to_dict()
        mark = spec["mark"]
        assert mark["type"] == kind and mark["color"] == OKABE_ITO[0]
        assert spec["encoding"]["x"]["field"] == "week"
        assert spec["encoding"]["y"] == {
            "field": "n_students",
            "type": "quantitative",
            "title": "n_students",
        }
        assert spec["encoding"]["x"]["type"] == ("ordinal" if kind == "bar" else "quantitative")
        assert len(spec["data"]["values"]) == 3
    with pytest.raises(ExplorerError, match="bar, line, point"):
        explorer.plot(result.frame, "week", "n_students", "pie")
    with pytest.raises(ExplorerError, match="not numeric"):
        explorer.plot(pd.DataFrame({"a": [1], "b": ["x"]}), "a", "b", "bar")
    with pytest.raises(ExplorerError, match="no column"):
        explorer.plot(result.frame, "nope", "n_students", "bar")


def test_csv_round_trips_through_pandas(explorer: Explorer) -> None:
    result = explorer.run(f"SELECT id, n, score FROM {STUDENTS} ORDER BY n", 20)
    assert result.ok and len(result.frame) == 20
    data = explorer.csv(result.frame)
    assert data.startswith(b"id,n,score\n")
    back = pd.read_csv(io.BytesIO(data))
    pd.testing.assert_frame_equal(back, result.frame, check_dtype=False)
    assert back["n"].tolist() == list(range(20))


# --- the Panel app ------------------------------------------------------------------------------


def test_create_app_builds_the_sign_in_page(trino_world: TrinoWorld) -> None:
    template = create_app(trino_world.settings)
    assert template.title == TEXT["title"]
    ui = ExplorerApp(trino_world.settings)
    assert ui.user.value == RESEARCHER_USER
    assert ui.main.objects == [ui.sign_in_form] and ui.sidebar.objects == []


def test_the_widgets_sign_in_run_plot_and_download(
    trino_world: TrinoWorld, aggregates: pd.DataFrame
) -> None:
    ui = ExplorerApp(trino_world.settings)
    ui.password.value = "wrong-password"
    assert not ui.do_sign_in()
    assert ui.sign_in_alert.visible and ui.sign_in_alert.object == TEXT["bad_login"]
    assert ui.main.objects == [ui.sign_in_form]

    ui.password.value = trino_world.logins[RESEARCHER_USER]
    assert ui.do_sign_in()
    assert not ui.sign_in_alert.visible and ui.password.value == ""
    assert ui.main.objects == [ui.workspace]
    titles = [card.title for card in ui.table_cards.objects]
    assert titles == [AGGREGATES, "research_student_weeks", "research_students"]
    assert ui.editor.value == f"SELECT * FROM research.research.{AGGREGATES}"
    docs = ui.table_cards.objects[0].objects[1].object
    assert COLUMN_DOCS[AGGREGATES]["is_suppressed"] in docs

    # Clicking a table's button puts its query into the editor.
    ui.table_cards.objects[2].objects[0].clicks += 1
    assert ui.editor.value == f"SELECT * FROM {STUDENTS}"

    ui.limit.value = 30
    result = ui.do_run()
    assert result.ok and len(ui.rows.value) == 30 and ui.rows.page_size == 25
    assert ui.status.object == TEXT["rows_capped"].format(n=30, max=MAX_LIMIT)
    assert not ui.download.disabled
    assert ui._csv_file().getvalue() == Explorer.csv(result.frame)
    assert ui.x.value == "id" and ui.y.value == "score" and ui.y.options == ["n", "score"]
    assert ui.chart.object is not None and not ui.plot_alert.visible
    ui.kind.value = "line"
    assert ui.chart.object.to_dict()["mark"]["type"] == "line"

    # A denial: a sentence in the alert, no rows, nothing to download or plot.
    ui.editor.value = "SELECT * FROM lakehouse.engagement.fct_daily_engagement"
    denied = ui.do_run()
    assert ui.query_alert.visible and ui.query_alert.object == denied.error
    assert denied.error is not None and denied.error.startswith(prefix("denied"))
    assert ui.rows.value.empty and ui.download.disabled and ui.chart.object is None

    # The Run button's path: in a worker thread, the button busy meanwhile and free after.
    ui.editor.value = f"SELECT week, n_students FROM research.research.{AGGREGATES}"
    seen: list[bool] = []
    ui.run_button.param.watch(lambda e: seen.append(e.new), "loading")
    asyncio.run(ui._on_run(None))
    assert seen == [True, False] and not ui.run_button.disabled
    assert isinstance(ui.result, QueryResult) and ui.result.ok
    assert len(ui.rows.value) == 3 and not ui.query_alert.visible

    ui.do_sign_out()
    assert ui.main.objects == [ui.sign_in_form] and not ui.explorer.signed_in


def test_panel_serve_answers_200(trino_world: TrinoWorld, tmp_path: Path) -> None:
    s = trino_world.settings
    port = free_port()
    env = {
        **os.environ,
        "LEARNSMART_LAKE": str(s.lake),
        "LEARNSMART_TRINO_HOME": str(s.home),
        "LEARNSMART_TRINO_HOST": s.host,
        "LEARNSMART_TRINO_HTTPS_PORT": str(s.https_port),
    }
    log = (tmp_path / "panel.log").open("w")
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "panel",
            "serve",
            "apps/research_explorer/app.py",
            "--address",
            "127.0.0.1",
            "--port",
            str(port),
            "--allow-websocket-origin",
            f"127.0.0.1:{port}",
        ],
        cwd=REPO,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        session = requests.Session()
        session.trust_env = False
        deadline = time.monotonic() + 90
        response = None
        while time.monotonic() < deadline:
            assert proc.poll() is None, (tmp_path / "panel.log").read_text()[-3000:]
            try:
                response = session.get(f"http://127.0.0.1:{port}/app", timeout=30)
                break
            except requests.ConnectionError:
                time.sleep(0.5)
        assert response is not None, "panel serve did not answer"
        assert response.status_code == 200
        assert f"<title>{TEXT['title']}</title>" in response.text
        assert "Traceback" not in response.text
        # The document itself (sent over the websocket, not in the HTML): the sign-in form.
        with pull_session(url=f"http://127.0.0.1:{port}/app") as pulled:
            texts = [str(getattr(m, "text", "")) for m in pulled.document.models]
            values = [getattr(m, "value", None) for m in pulled.document.models]
        assert any(TEXT["sign_in_title"] in t for t in texts)
        assert RESEARCHER_USER in values  # the user field's default
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)
        log.close()
    text = (tmp_path / "panel.log").read_text()
    assert "Traceback" not in text, text[-3000:]
