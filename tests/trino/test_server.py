"""The researchers' Trino server, for real: access rules, authentication, counts, registration
and the query audit (see ``conftest.py`` for the server, lake and API the tests share)."""

from __future__ import annotations

import dataclasses
import json
import shutil
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import dagster as dg
import polars as pl
import pytest
import requests
import trino
from deltalake import DeltaTable, write_deltalake
from typer.testing import CliRunner

from api.demo_users import trino_logins
from orchestration.defs.trino import TrinoResource, trino_tables
from orchestration.trino.cli import trino_app
from orchestration.trino.register import gold_tables, register_gold, registered_tables
from orchestration.trino.server import (
    AUDIT_HEADER,
    DEFAULT_AUDIT_PATH,
    TrinoError,
    installed,
)
from tests.support.services import free_port
from tests.trino.conftest import TABLES, TEACHER, TrinoWorld, write_table

pytestmark = pytest.mark.slow

RESEARCH_TABLE = "research.research.research_students"


def delta_count(world: TrinoWorld, domain: str, table: str) -> int:
    return pl.read_delta(str(world.lake / "gold" / domain / table)).height


# --- installation and set-up --------------------------------------------------------------------


def test_installation_is_trimmed_and_outside_the_repository(trino_world: TrinoWorld) -> None:
    home = installed()
    assert home is not None
    assert sorted(p.name for p in (home / "plugin").iterdir()) == [
        "delta-lake",
        "http-event-listener",
        "password-authenticators",
    ]
    assert (home / "lib").is_dir()
    assert not home.resolve().is_relative_to(Path(__file__).resolve().parents[2])
    status = trino_world.server.status()
    assert status["running"] and status["ready"] and status["version"] == "476"


def test_demo_users_carry_stable_trino_logins(trino_world: TrinoWorld) -> None:
    admin, researcher = trino_world.demo("admin"), trino_world.demo("researcher")
    assert admin["trino_user"] == "admin" and researcher["trino_user"] == "researcher"
    assert {admin["password"], researcher["password"]}.isdisjoint(
        {admin["trino_password"], researcher["trino_password"]}
    )
    # Generated once: reading them again (as `learnsmart trino start` does) changes nothing.
    assert trino_logins(trino_world.settings.users_file) == trino_world.logins
    assert trino_world.logins == {
        "admin": admin["trino_password"],
        "researcher": researcher["trino_password"],
    }
    hashes = (trino_world.settings.etc / "password.db").read_text()
    assert hashes.count("$2y$") == 2 and trino_world.logins["researcher"] not in hashes


# --- what a researcher may do -------------------------------------------------------------------


def test_researcher_reads_the_research_tables(trino_world: TrinoWorld) -> None:
    r = trino_world.researcher
    assert r.query("SHOW CATALOGS") == [["research"]]
    assert ["research"] in r.query("SHOW SCHEMAS FROM research")
    assert {"engagement", "items"}.isdisjoint(x[0] for x in r.query("SHOW SCHEMAS FROM research"))
    tables = sorted(x[0] for x in r.query("SHOW TABLES FROM research.research"))
    assert tables == ["research_student_weeks", "research_students"]
    rows = r.query(f"SELECT count(*), min(n), max(n), sum(score) FROM {RESEARCH_TABLE}")
    assert rows == [[200, 0, 199, sum(i * 0.25 for i in range(200))]]


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT count(*) FROM lakehouse.engagement.fct_daily_engagement",
        "SELECT count(*) FROM lakehouse.research.research_students",
        "SELECT count(*) FROM research.engagement.fct_daily_engagement",
        "SELECT count(*) FROM research.items.dim_items",
        "SELECT * FROM system.runtime.queries",
        "SHOW TABLES FROM lakehouse.engagement",
        "INSERT INTO research.research.research_students VALUES ('x', 1, 1.0)",
        "DELETE FROM research.research.research_students WHERE n = 1",
        "UPDATE research.research.research_students SET n = 0",
        "DROP TABLE research.research.research_students",
        "ALTER TABLE research.research.research_students ADD COLUMN extra int",
        "CREATE TABLE research.research.copied AS SELECT * FROM research.research.research_weeks",
        "CREATE TABLE research.research.fresh (a int)",
        "CREATE SCHEMA research.mine",
        "CREATE TABLE lakehouse.research.fresh (a int)",
        "CALL research.system.register_table(schema_name => 'research', table_name => 'x', "
        "table_location => 'local:///gold/items/dim_items')",
        "CALL lakehouse.system.register_table(schema_name => 'research', table_name => 'x', "
        "table_location => 'local:///gold/items/dim_items')",
        "CALL research.system.unregister_table(schema_name => 'research', "
        "table_name => 'research_students')",
    ],
)
def test_researcher_is_denied(trino_world: TrinoWorld, sql: str) -> None:
    with pytest.raises(TrinoError, match="PERMISSION_DENIED: Access Denied"):
        trino_world.researcher.query(sql)


def test_denied_writes_changed_nothing(trino_world: TrinoWorld) -> None:
    """After every refused write the research tables are as delta-rs wrote them."""
    for (domain, table), rows in TABLES.items():
        path = str(trino_world.lake / "gold" / domain / table)
        assert DeltaTable(path).version() == 1, table  # the two appends, nothing since
        assert delta_count(trino_world, domain, table) == rows
    r = trino_world.researcher
    assert sorted(x[0] for x in r.query("SHOW TABLES FROM research.research")) == [
        "research_student_weeks",
        "research_students",
    ]


# --- authentication -----------------------------------------------------------------------------


def test_wrong_or_missing_password_is_refused(trino_world: TrinoWorld) -> None:
    with pytest.raises(TrinoError, match="401"):
        trino_world.client("researcher", "not-the-password").query("SELECT 1")
    with pytest.raises(TrinoError, match="401"):
        trino_world.client("mallory", "whatever-password").query("SELECT 1")
    with pytest.raises(TrinoError, match="401"):
        trino_world.client("researcher", trino_world.logins["admin"]).query("SELECT 1")


def test_plain_http_is_refused(trino_world: TrinoWorld) -> None:
    s = trino_world.settings
    session = requests.Session()
    session.trust_env = False
    r = session.post(
        f"http://{s.host}:{s.http_port}/v1/statement",
        data="SELECT 1",
        headers={"X-Trino-User": "researcher"},
        auth=("researcher", trino_world.logins["researcher"]),
        timeout=30,
    )
    assert r.status_code == 403, r.text
    assert "Authentication over HTTP is not enabled" in r.text
    assert "nextUri" not in r.text
    conn = trino.dbapi.connect(host=s.host, port=s.http_port, user="researcher")
    with pytest.raises(trino.exceptions.HttpError, match="403"):
        conn.cursor().execute("SELECT 1")


def test_https_verifies_the_generated_certificate(trino_world: TrinoWorld) -> None:
    """A client trusting only the public CAs refuses the server; the generated one is needed."""
    public_cas = Path(requests.certs.where())
    stranger = dataclasses.replace(trino_world.researcher, cert=public_cas)
    with pytest.raises(TrinoError, match="TLS failed"):
        stranger.query("SELECT 1")
    assert trino_world.researcher.query("SELECT 1") == [[1]]


# --- counts through Trino equal counts through delta-rs -----------------------------------------


def test_counts_equal_delta_rs_for_every_registered_table(trino_world: TrinoWorld) -> None:
    admin = trino_world.admin
    wanted, _ = gold_tables(trino_world.lake)
    registered = registered_tables(admin)
    assert set(TABLES) <= registered
    assert registered == set(wanted)
    for schema, table in sorted(registered):
        got = admin.query(f'SELECT count(*) FROM lakehouse."{schema}"."{table}"')[0][0]
        assert got == delta_count(trino_world, schema, table), f"{schema}.{table}"
    for (domain, table), _rows in TABLES.items():
        if domain == "research":
            got = trino_world.researcher.query(f"SELECT count(*) FROM research.research.{table}")
            assert got == [[delta_count(trino_world, domain, table)]]


def test_new_delta_versions_show_without_re_registering(trino_world: TrinoWorld) -> None:
    path = write_table(trino_world.lake, "scratch", "growing", 10)
    register_gold(trino_world.admin, trino_world.lake)
    assert trino_world.admin.query("SELECT count(*) FROM lakehouse.scratch.growing") == [[10]]
    more = pl.DataFrame({"id": ["x"], "n": pl.Series([99], dtype=pl.Int64), "score": [1.0]})
    write_deltalake(str(path), more, mode="append")
    assert trino_world.admin.query("SELECT count(*) FROM lakehouse.scratch.growing") == [[11]]
    shutil.rmtree(path)
    done = register_gold(trino_world.admin, trino_world.lake)
    assert "scratch.growing" in done.dropped


# --- registration -------------------------------------------------------------------------------


def test_first_registration_registered_every_gold_table(trino_world: TrinoWorld) -> None:
    first = trino_world.first_registration
    assert sorted(first.registered) == sorted(f"{d}.{t}" for d, t in TABLES)
    assert first.dropped == [] and first.reregistered == [] and first.unchanged == []


def test_re_registration_follows_the_lake(trino_world: TrinoWorld) -> None:
    admin, lake = trino_world.admin, trino_world.lake
    write_table(lake, "scratch", "doomed", 5)
    assert "scratch.doomed" in register_gold(admin, lake).registered
    # Nothing changed: nothing to do.
    again = register_gold(admin, lake)
    assert not again.changed and "scratch.doomed" in again.unchanged

    # A removed folder is dropped (and its emptied schema), a new research table registered
    # and readable by researchers at once.
    shutil.rmtree(lake / "gold" / "scratch")
    write_table(lake, "research", "late_arrival", 7)
    done = register_gold(admin, lake)
    assert done.dropped == ["scratch.doomed"]
    assert done.registered == ["research.late_arrival"]
    assert ("scratch", "doomed") not in registered_tables(admin)
    assert "scratch" not in {r[0] for r in admin.query("SHOW SCHEMAS FROM lakehouse")}
    assert trino_world.researcher.query("SELECT count(*) FROM research.research.late_arrival") == [
        [7]
    ]

    # A registration pointing elsewhere is re-registered at the table's own folder.
    admin.query("CALL lakehouse.system.unregister_table('research', 'late_arrival')")
    admin.query(
        "CALL lakehouse.system.register_table('research', 'late_arrival', "
        "'local:///gold/research/research_students')"
    )
    assert admin.query("SELECT count(*) FROM lakehouse.research.late_arrival") == [[200]]
    moved = register_gold(admin, lake)
    assert moved.reregistered == ["research.late_arrival"]
    assert admin.query("SELECT count(*) FROM lakehouse.research.late_arrival") == [[7]]

    shutil.rmtree(lake / "gold" / "research" / "late_arrival")
    assert register_gold(admin, lake).dropped == ["research.late_arrival"]
    with pytest.raises(TrinoError, match="TABLE_NOT_FOUND"):
        trino_world.researcher.query("SELECT count(*) FROM research.research.late_arrival")


def test_dagster_asset_registers_and_skips_without_a_deployment(
    trino_world: TrinoWorld, tmp_path: Path
) -> None:
    s = trino_world.settings
    resource = TrinoResource(
        lake=str(s.lake),
        home=str(s.home),
        users_file=str(s.users_file),
        https_port=s.https_port,
        http_port=s.http_port,
    )
    write_table(s.lake, "scratch", "from_dagster", 3)
    try:
        result = dg.materialize([trino_tables], resources={"trino": resource})
        assert result.success
        [event] = result.get_asset_materialization_events()
        meta = event.materialization.metadata
        assert meta["registered"].value == ["scratch.from_dagster"]
        assert trino_world.admin.query("SELECT count(*) FROM lakehouse.scratch.from_dagster") == [
            [3]
        ]
    finally:
        shutil.rmtree(s.lake / "gold" / "scratch")
        register_gold(trino_world.admin, s.lake)

    # A lake with no Trino deployment: skipped, the run still succeeds.
    bare = TrinoResource(lake=str(tmp_path / "lake"), home=str(tmp_path / "trino"))
    skipped = dg.materialize([trino_tables], resources={"trino": bare})
    assert skipped.success
    assert skipped.get_asset_materialization_events() == []

    # A deployment whose server does not answer: the asset fails and says how to start it.
    stopped = tmp_path / "stopped"
    shutil.copytree(s.home / "etc", stopped / "etc")
    down = TrinoResource(
        lake=str(s.lake), home=str(stopped), users_file=str(s.users_file), http_port=free_port()
    )
    failed = dg.materialize([trino_tables], resources={"trino": down}, raise_on_error=False)
    assert not failed.success
    failure = failed.get_step_failure_events()[0].step_failure_data.error
    assert failure is not None and "learnsmart trino start" in failure.message


def test_cli_query_and_status(trino_world: TrinoWorld) -> None:
    s = trino_world.settings
    where = ["--lake", str(s.lake), "--home", str(s.home)]
    runner = CliRunner()
    out = runner.invoke(
        trino_app,
        [
            "query",
            "--user",
            "researcher",
            "--sql",
            f"SELECT count(*) AS n FROM {RESEARCH_TABLE}",
            *where,
            "--users",
            str(s.users_file),
            "--https-port",
            str(s.https_port),
        ],
    )
    assert out.exit_code == 0, out.output
    assert json.loads(out.stdout) == {"columns": ["n"], "rows": [[200]]}
    denied = runner.invoke(
        trino_app,
        [
            "query",
            "--user",
            "researcher",
            "--sql",
            "SELECT 1 FROM lakehouse.items.dim_items",
            *where,
            "--users",
            str(s.users_file),
            "--https-port",
            str(s.https_port),
        ],
    )
    assert denied.exit_code == 2
    assert "PERMISSION_DENIED" in denied.output
    status = runner.invoke(trino_app, ["status", *where])
    assert status.exit_code == 0, status.output
    assert json.loads(status.stdout)["running"] is True


# --- the query audit ----------------------------------------------------------------------------


def _audit(world: TrinoWorld, headers: dict[str, str], **params: Any) -> requests.Response:
    return world.api().get(
        f"{world.api_url}/api/v1/admin/query-audit", headers=headers, params=params, timeout=30
    )


def _wait_for(world: TrinoWorld, headers: dict[str, str], sql: str) -> dict[str, Any]:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        r = _audit(world, headers, user="researcher", limit=500)
        assert r.status_code == 200, r.text
        found = [q for q in r.json()["items"] if q["sql"] == sql]
        if found:
            assert len(found) == 1
            return found[0]
        time.sleep(0.5)
    raise AssertionError(f"the query never reached the audit: {sql}")


def test_researcher_queries_are_audited_and_listed_for_admins(trino_world: TrinoWorld) -> None:
    admin = trino_world.demo("admin")
    admin_headers = trino_world.token(admin["username"], admin["password"])
    tag = uuid.uuid4().hex[:12]
    began = datetime.now(UTC) - timedelta(seconds=5)
    sql = f"SELECT count(*) AS n_{tag} FROM {RESEARCH_TABLE} WHERE n >= 0"
    assert trino_world.researcher.query(sql) == [[200]]
    denied_sql = f"SELECT count(*) AS n_{tag} FROM lakehouse.items.dim_items"
    with pytest.raises(TrinoError):
        trino_world.researcher.query(denied_sql)

    row = _wait_for(trino_world, admin_headers, sql)
    assert row["user"] == "researcher"
    assert row["source"] == "pytest"
    assert row["state"] == "FINISHED"
    assert row["tables_read"] == [RESEARCH_TABLE]
    assert row["error"] is None
    created = datetime.fromisoformat(row["created_at"]).replace(tzinfo=UTC)
    assert began <= created <= datetime.now(UTC)
    failed = _wait_for(trino_world, admin_headers, denied_sql)
    assert failed["state"] == "FAILED"
    assert failed["tables_read"] == []
    assert failed["error"].startswith("PERMISSION_DENIED: Access Denied")

    # Filters: by user and by time.
    later = (datetime.now(UTC) + timedelta(hours=1)).isoformat()
    assert _audit(trino_world, admin_headers, since=later).json()["total"] == 0
    recent = _audit(trino_world, admin_headers, since=began.isoformat(), user="researcher")
    assert {sql, denied_sql} <= {q["sql"] for q in recent.json()["items"]}
    assert _audit(trino_world, admin_headers, user="nobody").json()["total"] == 0

    # Only admins list it.
    researcher = trino_world.demo("researcher")
    for username, password in ((researcher["username"], researcher["password"]), TEACHER):
        r = _audit(trino_world, trino_world.token(username, password))
        assert r.status_code == 403, r.text
    assert _audit(trino_world, {}).status_code == 401


def _event(query_id: str, sql: str) -> dict[str, Any]:
    return {
        "metadata": {"queryId": query_id, "query": sql, "queryState": "FINISHED"},
        "context": {"user": "researcher", "source": "forged"},
        "ioMetadata": {"inputs": [{"catalogName": "research", "schema": "research", "table": "t"}]},
        "createTime": "2026-01-01T00:00:00.000Z",
        "endTime": "2026-01-01T00:00:01.000Z",
    }


def test_query_events_need_the_secret_and_are_stored_once(trino_world: TrinoWorld) -> None:
    url = f"{trino_world.api_url}{DEFAULT_AUDIT_PATH}"
    query_id = f"pytest_{uuid.uuid4().hex[:12]}"
    event = _event(query_id, f"SELECT '{query_id}'")
    api = trino_world.api()
    admin = trino_world.demo("admin")
    admin_headers = trino_world.token(admin["username"], admin["password"])
    for headers in ({}, {AUDIT_HEADER: "wrong-secret-wrong-secret"}, admin_headers):
        r = api.post(url, json=event, headers=headers, timeout=30)
        assert r.status_code == 403, r.text
        assert r.json()["detail"] == "Only the Trino server may report queries."
    listed = _audit(trino_world, admin_headers, user="researcher", limit=500).json()["items"]
    assert query_id not in {q["query_id"] for q in listed}

    good = {AUDIT_HEADER: trino_world.audit_secret}
    first = api.post(url, json=event, headers=good, timeout=30)
    assert first.status_code == 200 and first.json() == {"query_id": query_id, "stored": True}
    again = api.post(url, json=event, headers=good, timeout=30)
    assert again.status_code == 200 and again.json()["stored"] is False
    bad = api.post(url, json={"metadata": {}}, headers=good, timeout=30)
    assert bad.status_code == 422
    listed = _audit(trino_world, admin_headers, user="researcher", limit=500).json()["items"]
    mine = [q for q in listed if q["query_id"] == query_id]
    assert len(mine) == 1
    assert mine[0]["tables_read"] == ["research.research.t"]
