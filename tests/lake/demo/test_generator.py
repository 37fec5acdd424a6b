"""The demo school generator: determinism, every source written, bad records counted as the
summary says (re-counted here by parsing the files independently), well-formed xAPI, and the
latent signals the downstream models rely on."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
import uuid
from collections import Counter, defaultdict
from datetime import datetime
from pathlib import Path

import pytest

from lake.demo import DemoSummary, generate

STUDENTS, DAYS = 60, 30
SOURCES = ("oneroster", "content", "xapi", "caliper", "quiz_attempts", "forum")
IFIS = ("mbox", "mbox_sha1sum", "openid", "account")
QUIZ_COLUMNS = 14


@pytest.fixture(scope="module")
def school(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, DemoSummary]:
    """A small demo school (60 students x 30 days, seed 7)."""
    landing = tmp_path_factory.mktemp("demo") / "landing"
    return landing, generate(landing, students=STUDENTS, days=DAYS, seed=7)


@pytest.fixture(scope="module")
def bigger_school(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, DemoSummary]:
    """Enough students and days for dropouts to happen (200 students x 60 days)."""
    landing = tmp_path_factory.mktemp("demo_big") / "landing"
    return landing, generate(landing, students=200, days=60, seed=11)


def _hashes(root: Path) -> dict[str, str]:
    return {
        p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def _roster_classes(landing: Path) -> set[str]:
    (classes,) = landing.glob("oneroster/*/classes.csv")
    with classes.open(encoding="utf-8", newline="") as fh:
        return {row["sourcedId"] for row in csv.DictReader(fh)}


def _class_of_url(url: str) -> str:
    return url.rsplit("/classes/", 1)[1]


def _is_number(v: object) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool)


def count_bad_xapi(landing: Path, classes: set[str]) -> tuple[Counter[str], list[dict]]:
    """Bad-record kinds found in the xAPI files, and the statements that are fine."""
    bad: Counter[str] = Counter()
    good: list[dict] = []
    for path in sorted(landing.glob("xapi/*/statements.jsonl")):
        seen: dict[str, bytes] = {}
        for raw in path.read_bytes().splitlines():
            try:
                text = raw.decode("utf-8")
            except UnicodeDecodeError:
                bad["bad_encoding"] += 1
                continue
            try:
                st = json.loads(text)
            except json.JSONDecodeError:
                bad["malformed_json"] += 1
                continue
            if st["id"] in seen:
                assert seen[st["id"]] == raw, "a repeated id must repeat the same statement"
                bad["duplicate_record"] += 1
                continue
            seen[st["id"]] = raw
            score = st.get("result", {}).get("score", {}).get("scaled", 0.0)
            if not isinstance(st["timestamp"], str) or not _is_number(score):
                bad["wrong_type"] += 1
            elif st["timestamp"].startswith("2099"):
                bad["future_timestamp"] += 1
            elif (
                "context" in st
                and not {
                    _class_of_url(a["id"]) for a in st["context"]["contextActivities"]["grouping"]
                }
                <= classes
            ):
                bad["unknown_class"] += 1
            else:
                good.append(st)
    return bad, good


def count_bad_caliper(landing: Path, classes: set[str]) -> Counter[str]:
    """Bad-record kinds found in the Caliper files."""
    bad: Counter[str] = Counter()
    for path in sorted(landing.glob("caliper/*/events.jsonl")):
        for raw in path.read_bytes().splitlines():
            try:
                env = json.loads(raw)
            except json.JSONDecodeError:
                bad["malformed_json"] += 1
                continue
            assert env["dataVersion"] == "http://purl.imsglobal.org/ctx/caliper/v1p2"
            for ev in env["data"]:
                assert ev["actor"]["type"] == "Person"
                if ev["eventTime"].startswith("2099"):
                    bad["future_timestamp"] += 1
                elif _class_of_url(ev["group"]["id"]) not in classes:
                    bad["unknown_class"] += 1
    return bad


def _check_quiz_record(
    rec: dict[str, object], seen: set[tuple[object, object]], classes: set[str]
) -> str | None:
    if not rec.get("student_id") or not rec.get("item_id"):
        return "missing_field"
    key = (rec["attempt_id"], rec["item_id"])
    if key in seen:
        return "duplicate_record"
    seen.add(key)
    try:
        float(rec["score"])  # type: ignore[arg-type]
    except ValueError:
        return "wrong_type"
    if str(rec["answered_at"]).startswith("2099"):
        return "future_timestamp"
    if rec["class_id"] not in classes:
        return "unknown_class"
    return None


def count_bad_quiz(landing: Path, classes: set[str]) -> tuple[Counter[str], list[dict]]:
    """Bad-record kinds found in the quiz engine exports, and the good rows."""
    bad: Counter[str] = Counter()
    good: list[dict] = []
    for path in sorted(landing.glob("quiz_attempts/*/responses.*")):
        seen: set[tuple[object, object]] = set()
        lines = path.read_bytes().splitlines()
        header = lines[0].decode().split(",") if path.suffix == ".csv" else None
        for raw in lines[1:] if header else lines:
            try:
                text = raw.decode("utf-8")
            except UnicodeDecodeError:
                bad["bad_encoding"] += 1
                continue
            if header:
                fields = next(csv.reader([text]))
                if len(fields) != QUIZ_COLUMNS:
                    bad["malformed_csv"] += 1
                    continue
                rec: dict = dict(zip(header, fields, strict=True))
            else:
                try:
                    rec = json.loads(text)
                except json.JSONDecodeError:
                    bad["malformed_json"] += 1
                    continue
            kind = _check_quiz_record(rec, seen, classes)
            if kind:
                bad[kind] += 1
            else:
                good.append(rec)
    return bad, good


def count_bad_forum(landing: Path, classes: set[str]) -> Counter[str]:
    """Bad-record kinds found in the forum exports."""
    bad: Counter[str] = Counter()
    for path in sorted(landing.glob("forum/*/posts.*")):
        lines = path.read_bytes().splitlines()
        is_csv = path.suffix == ".csv"
        header = next(csv.reader([lines[0].decode()])) if is_csv else None
        for raw in lines[1:] if is_csv else lines:
            try:
                text = raw.decode("utf-8")
            except UnicodeDecodeError:
                bad["bad_encoding"] += 1
                continue
            if header:
                fields = next(csv.reader([text]))
                if len(fields) != len(header):
                    bad["malformed_csv"] += 1
                continue
            try:
                post = json.loads(text)
            except json.JSONDecodeError:
                bad["malformed_json"] += 1
                continue
            if "body" not in post:
                bad["missing_field"] += 1
            elif post["created_at"].startswith("2099"):
                bad["future_timestamp"] += 1
            elif post["class_id"] not in classes:
                bad["unknown_class"] += 1
    return bad


def test_same_seed_gives_identical_files(school: tuple[Path, DemoSummary], tmp_path: Path) -> None:
    landing, summary = school
    again = generate(tmp_path / "landing", students=STUDENTS, days=DAYS, seed=7)
    assert _hashes(landing) == _hashes(tmp_path / "landing")
    assert again.bad_by_source == summary.bad_by_source
    assert again.records == summary.records


def test_other_seed_gives_other_activity_same_content(
    school: tuple[Path, DemoSummary], tmp_path: Path
) -> None:
    landing, _ = school
    generate(tmp_path / "landing", students=STUDENTS, days=DAYS, seed=8)
    first, other = _hashes(landing), _hashes(tmp_path / "landing")
    assert {k for k in first if not k.startswith("forum/")} <= other.keys()
    differing = {k for k in first.keys() & other.keys() if first[k] != other[k]}
    assert {k.split("/")[0] for k in differing} >= {"xapi", "caliper", "quiz_attempts", "forum"}
    assert not any(k.startswith("content/") for k in differing)


def test_every_source_folder_is_written(school: tuple[Path, DemoSummary]) -> None:
    landing, summary = school
    for source in SOURCES:
        assert any((landing / source).rglob("*.*")), source
    for source in ("xapi", "caliper", "quiz_attempts", "forum"):
        days = [p.name for p in (landing / source).iterdir()]
        assert all(re.fullmatch(r"\d{4}-\d{2}-\d{2}", d) for d in days)
        # Every day has statements; a small school has quiet forum days (no file then).
        assert len(days) == DAYS if source != "forum" else 5 <= len(days) <= DAYS
    files = [p for p in landing.rglob("*") if p.is_file()]
    assert all(p.stat().st_size > 0 for p in files)
    assert sum(summary.files.values()) == len(files)
    assert summary.files["forum/csv"] == 1
    assert summary.files["quiz_attempts/jsonl"] >= 1 and summary.files["quiz_attempts/csv"] >= 1
    assert summary.files["content/html"] >= 1 and summary.files["content/items.json"] == 30


def test_oneroster_bundle_follows_the_12_csv_binding(school: tuple[Path, DemoSummary]) -> None:
    landing, _ = school
    (bundle,) = (landing / "oneroster").glob("demo-bundle-*")
    with (bundle / "manifest.csv").open(encoding="utf-8", newline="") as fh:
        manifest = dict(csv.reader(fh))
    assert manifest["oneroster.version"] == "1.2"
    rows = {}
    for name in ("orgs", "users", "roles", "enrollments", "classes", "demographics"):
        assert manifest[f"file.{name}"] == "bulk"
        with (bundle / f"{name}.csv").open(encoding="utf-8", newline="") as fh:
            rows[name] = list(csv.DictReader(fh))
    assert list(rows["users"][0])[:6] == [
        "sourcedId",
        "status",
        "dateLastModified",
        "enabledUser",
        "username",
        "userIds",
    ]
    users = {u["sourcedId"]: u for u in rows["users"]}
    students = [u for u in users if u.startswith("stu-")]
    assert len(students) == STUDENTS
    assert {r["role"] for r in rows["roles"]} >= {"student", "teacher", "guardian", "administrator"}
    assert sum(r["type"] == "school" for r in rows["orgs"]) == 2
    classes = {c["sourcedId"] for c in rows["classes"]}
    assert len(classes) == 5 and "cls-alg1-2025f" in classes
    for e in rows["enrollments"]:
        assert e["classSourcedId"] in classes and e["userSourcedId"] in users
    assert {e["role"] for e in rows["enrollments"]} == {"student", "teacher"}
    assert any(
        not u["givenName"].isascii() or not u["familyName"].isascii() for u in users.values()
    )
    assert any("," in u["agentSourcedIds"] for u in users.values())  # a comma list, quoted
    assert len(rows["demographics"]) == STUDENTS


def test_content_pages_and_item_banks_are_consistent(school: tuple[Path, DemoSummary]) -> None:
    landing, summary = school
    classes = set(summary.class_ids)
    for page in (landing / "content").rglob("*.md"):
        text = page.read_text(encoding="utf-8")
        assert text.startswith("---\n")
        meta = dict(
            line.split(": ", 1) for line in text.split("---\n")[1].splitlines() if ": " in line
        )
        assert meta["class_id"] in classes and meta["content_id"] == page.stem
    lesson = (landing / "content/bio1/M3/bio1-m3-p1.md").read_text(encoding="utf-8")
    assert "chlorophyll" in lesson and len(lesson.split()) > 150
    html = (landing / "content/alg1/M3/alg1-m3-p2.html").read_text(encoding="utf-8")
    assert '<meta name="learnsmart:content_id" content="alg1-m3-p2">' in html
    for bank_path in (landing / "content").rglob("*.items.json"):
        bank = json.loads(bank_path.read_text(encoding="utf-8"))
        assert bank["schema"] == "learnsmart.item_bank/1" and bank["class_id"] in classes
        skills = {s["skill_id"] for s in bank["skills"]}
        for item in bank["items"]:
            options = {o["option_id"] for o in item["options"]}
            assert len(options) == 4 and set(item["correct_option_ids"]) <= options
            assert set(item["skill_ids"]) <= skills


def test_bad_records_are_what_the_summary_says(school: tuple[Path, DemoSummary]) -> None:
    landing, summary = school
    classes = _roster_classes(landing)
    xapi_bad, _ = count_bad_xapi(landing, classes)
    quiz_bad, _ = count_bad_quiz(landing, classes)
    found = {
        "xapi": dict(xapi_bad),
        "caliper": dict(count_bad_caliper(landing, classes)),
        "quiz_attempts": dict(quiz_bad),
        "forum": dict(count_bad_forum(landing, classes)),
    }
    expected = {s: summary.bad_by_source.get(s, {}) for s in found}
    assert found == expected
    totals = Counter[str]()
    for counts in found.values():
        totals.update(counts)
    assert {k: v for k, v in summary.bad_records.items() if v} == dict(totals)
    # Every kind appears, and bad records stay a small share of event lines.
    assert all(summary.bad_records[k] > 0 for k in summary.bad_records if k != "malformed_csv")
    event_lines = sum(summary.records[s] for s in ("xapi", "caliper", "quiz_attempts", "forum"))
    assert 0.003 < sum(summary.bad_records.values()) / event_lines < 0.012


def test_xapi_statements_are_well_formed(school: tuple[Path, DemoSummary]) -> None:
    landing, summary = school
    _, good = count_bad_xapi(landing, _roster_classes(landing))
    assert len(good) > 5000
    verbs = Counter()
    statement_ids = {st["id"] for st in good}
    for st in good:
        uuid.UUID(st["id"])
        actor = st["actor"]
        assert sum(ifi in actor for ifi in IFIS) == 1
        assert set(actor["account"]) == {"homePage", "name"}
        assert st["verb"]["id"].startswith(("http://", "https://"))
        assert st["object"]["id"]
        assert st["timestamp"].endswith("Z")
        datetime.fromisoformat(st["timestamp"])
        verbs[st["verb"]["display"]["en-US"]] += 1
        if st["verb"]["display"]["en-US"] == "voided":
            assert st["object"]["objectType"] == "StatementRef"
            assert st["object"]["id"] in statement_ids
        elif st["verb"]["display"]["en-US"] == "answered":
            ctx = st["context"]
            ext = ctx["extensions"]["https://w3id.org/learnsmart/extensions/attempt-id"]
            assert ctx["registration"] == ext
            assert st["result"]["response"] in "abcd"
            (parent,) = ctx["contextActivities"]["parent"]
            assert parent["definition"]["type"].endswith("/assessment")
    assert set(verbs) == {
        "experienced",
        "viewed",
        "played",
        "paused",
        "seeked",
        "completed",
        "answered",
        "voided",
    }
    assert verbs["voided"] == summary.records["xapi_voiding"]


def test_quiz_export_and_xapi_describe_the_same_attempts(
    school: tuple[Path, DemoSummary],
) -> None:
    landing, _ = school
    classes = _roster_classes(landing)
    _, statements = count_bad_xapi(landing, classes)
    _, rows = count_bad_quiz(landing, classes)
    answered = {
        (st["context"]["registration"], st["object"]["id"].rsplit("/", 1)[1]): st
        for st in statements
        if st["verb"]["display"]["en-US"] == "answered"
    }
    matched = [r for r in rows if (r["attempt_id"], r["item_id"]) in answered]
    assert len(matched) > 0.95 * len(rows)
    for r in matched[:500]:
        st = answered[(r["attempt_id"], r["item_id"])]
        assert st["timestamp"] == r["answered_at"]
        assert st["result"]["response"] == r["response"]
        assert st["result"]["success"] == (str(r["is_correct"]).lower() == "true")


def _daily_counts(landing: Path) -> tuple[dict[str, dict[int, int]], list[str]]:
    days = sorted(p.name for p in (landing / "xapi").iterdir())
    counts: dict[str, dict[int, int]] = defaultdict(lambda: defaultdict(int))
    pattern = re.compile(rb'"account":\{"homePage":"[^"]+","name":"(stu-\d+)"')
    for i, day in enumerate(days):
        for m in pattern.finditer((landing / "xapi" / day / "statements.jsonl").read_bytes()):
            counts[m.group(1).decode()][i] += 1
    return counts, days


def test_dropouts_were_less_active_before_they_left(
    bigger_school: tuple[Path, DemoSummary],
) -> None:
    landing, summary = bigger_school
    counts, days = _daily_counts(landing)
    n_days = len(days)
    last = {s: max(c) for s, c in counts.items()}
    dropped = [s for s, d in last.items() if 14 <= d <= n_days - 8]
    stayed = [s for s, d in last.items() if d >= n_days - 3]
    assert summary.dropouts >= len(dropped) >= 5
    ratios = []
    for s in dropped:
        window = range(last[s] - 13, last[s] + 1)
        mine = sum(counts[s].get(d, 0) for d in window)
        peers = sum(counts[p].get(d, 0) for p in stayed for d in window) / len(stayed)
        ratios.append(mine / peers)
    assert sum(ratios) / len(ratios) < 0.6


def test_practice_improves_quiz_results(bigger_school: tuple[Path, DemoSummary]) -> None:
    landing, _ = bigger_school
    _, rows = count_bad_quiz(landing, _roster_classes(landing))
    by_attempt: dict[bool, list[bool]] = {True: [], False: []}
    for r in rows:
        by_attempt[int(r["attempt_number"]) > 1].append(str(r["is_correct"]).lower() == "true")
    first = sum(by_attempt[False]) / len(by_attempt[False])
    later = sum(by_attempt[True]) / len(by_attempt[True])
    assert later > first + 0.03


def test_benchmark_day_has_every_student_active(tmp_path: Path) -> None:
    summary = generate(tmp_path, students=300, days=1, seed=3)
    counts, _ = _daily_counts(tmp_path)
    assert len(counts) == 300
    per_student = sorted(sum(c.values()) for c in counts.values())
    assert 30 <= per_student[len(per_student) // 2] <= 60
    assert summary.dropouts == 0


def test_rejects_empty_school(tmp_path: Path) -> None:
    with pytest.raises(ValueError):
        generate(tmp_path, students=0, days=10)


def test_csv_names_with_commas_are_quoted(school: tuple[Path, DemoSummary]) -> None:
    landing, _ = school
    (users,) = landing.glob("oneroster/*/users.csv")
    text = users.read_text(encoding="utf-8")
    assert '"Cohen, Jr."' in text
    parsed = {r["sourcedId"]: r for r in csv.DictReader(io.StringIO(text))}
    assert parsed["tch-006"]["familyName"] == "Cohen, Jr."


def test_dropouts_are_withdrawn_in_an_end_of_term_roster_delta(
    school: tuple[Path, DemoSummary],
) -> None:
    landing, summary = school
    (delta,) = (landing / "oneroster").glob("demo-withdrawals-*")
    with (delta / "manifest.csv").open(encoding="utf-8", newline="") as fh:
        manifest = dict(csv.reader(fh))
    assert manifest["file.enrollments"] == "delta"
    assert manifest["file.users"] == "absent"
    with (delta / "enrollments.csv").open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    term_end = delta.name.removeprefix("demo-withdrawals-")
    assert summary.dropouts > 0
    assert len({r["userSourcedId"] for r in rows}) == summary.dropouts
    # the withdrawal ends the enrollment early (after the dropout, never after the term)
    assert all(summary.start_date.isoformat() < r["endDate"] <= term_end for r in rows)
    assert all(r["status"] == "active" and r["role"] == "student" for r in rows)
    with (next((landing / "oneroster").glob("demo-bundle-*")) / "enrollments.csv").open(
        encoding="utf-8", newline=""
    ) as fh:
        original = {r["sourcedId"]: r for r in csv.DictReader(fh)}
    for r in rows:
        assert original[r["sourcedId"]]["endDate"] == term_end  # same enrollment, ended early
