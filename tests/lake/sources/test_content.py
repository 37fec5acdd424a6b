"""Course pages (Markdown, HTML) and quiz item banks through the real loader."""

from __future__ import annotations

import copy
import gzip
import json
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from lake import io, ledger
from lake.loader import ingest
from lake.settings import LakeSettings
from lake.sources.content_text import markdown_to_text, parse_html, strip_html
from lake.tables import LOADS, bronze_spec, quarantine_spec, silver

SOURCE = "content"

MARKDOWN = """---
content_id: alg1-m1-p1
class_id: class-1   # the class
title: "Linear equations: intro"
module: M1
week: 1
url: https://lms.example.edu/alg1/m1/p1
---
# Linear equations

Solve **2x + 3 = 7** by [isolating x](https://example.edu/iso).

- step one
- step two
"""

HTML = """<!doctype html>
<html><head><title>Slopes</title>
<meta name="learnsmart:content_id" content="alg1-m1-p2">
<meta name="learnsmart:class_id" content="class-1">
<meta name="learnsmart:content_type" content="video">
<meta name="learnsmart:week" content="2">
<style>p { color: red }</style><script>var secret = 1;</script>
</head><body><h1>Slope</h1><p>Rise over&nbsp;run &amp; more.</p>
<script>track()</script><noscript>enable js</noscript></body></html>
"""


def bank(**over: Any) -> dict[str, Any]:
    """A valid item bank; keyword arguments override header fields."""
    b: dict[str, Any] = {
        "schema": "learnsmart.item_bank/1",
        "class_id": "class-1",
        "quiz_id": "alg1-m1-quiz",
        "title": "Module 1 quiz",
        "module": "M1",
        "week": 2,
        "skills": [{"skill_id": "alg.solve", "name": "Solve", "description": "Solve for x"}],
        "items": [
            {
                "item_id": "q1",
                "item_type": "multiple_choice",
                "stem": "Solve 2x + 3 = 7.",
                "options": [{"option_id": "a", "text": "x = 2"}, {"option_id": "b", "text": "5"}],
                "correct_option_ids": ["a"],
                "skill_ids": ["alg.solve"],
                "max_score": 2,
            },
            {
                "item_id": "q2",
                "item_type": "short_answer",
                "stem": "x if x + 1 = 2?",
                "correct_responses": ["1", "x = 1"],
            },
        ],
    }
    b.update(over)
    return b


def write(settings: LakeSettings, rel: str, content: str | bytes) -> Path:
    path = settings.landing / SOURCE / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    data = content.encode() if isinstance(content, str) else content
    path.write_bytes(gzip.compress(data) if rel.endswith(".gz") else data)
    return path


def table(settings: LakeSettings, name: str) -> dict[str, dict[str, Any]]:
    spec = silver(name)
    return {r[spec.key[0]]: r for r in io.read(settings, spec).to_pylist()}


def quarantine(settings: LakeSettings) -> list[dict[str, Any]]:
    rows = io.read(settings, quarantine_spec(SOURCE)).to_pylist()
    return sorted(rows, key=lambda r: (r["file"], r["line"]))


def assert_balanced(settings: LakeSettings) -> None:
    for r in io.read(settings, LOADS).to_pylist():
        assert r["status"] == ledger.COMMITTED
        assert r["rows_in"] == r["rows_kept"] + r["rows_quarantined"], r


@pytest.fixture
def lake(settings: LakeSettings) -> LakeSettings:
    io.merge(settings, silver("classes"), pa.table({"class_id": ["class-1"]}), "setup")
    return settings


def test_markdown_page_becomes_content_item_and_page(lake: LakeSettings) -> None:
    write(lake, "alg1/m1/p1.md", MARKDOWN)
    [report] = ingest(lake, (SOURCE,))
    assert (report.rows_in, report.rows_kept) == (1, 1)
    item = table(lake, "content_items")["alg1-m1-p1"]
    assert item["content_type"] == "page" and item["class_id"] == "class-1"
    assert item["title"] == "Linear equations: intro" and item["week"] == 1
    assert item["url"] == "https://lms.example.edu/alg1/m1/p1" and item["source"] == SOURCE
    page = table(lake, "content_pages")["alg1-m1-p1"]
    assert page["source_format"] == "markdown" and page["module"] == "M1"
    assert page["body_text"] == (
        "Linear equations\n\nSolve 2x + 3 = 7 by isolating x.\n\nstep one\nstep two"
    )
    assert page["word_count"] == 13
    [b] = io.read(lake, bronze_spec(SOURCE, "pages")).to_pylist()
    assert b["record"] == MARKDOWN and b["_line"] == 1


def test_html_page_gz_uses_meta_tags_and_drops_scripts(lake: LakeSettings) -> None:
    write(lake, "p2.html.gz", HTML)
    [report] = ingest(lake, (SOURCE,))
    assert report.rows_kept == 1
    item = table(lake, "content_items")["alg1-m1-p2"]
    assert item["content_type"] == "video" and item["title"] == "Slopes" and item["week"] == 2
    page = table(lake, "content_pages")["alg1-m1-p2"]
    assert page["source_format"] == "html"
    assert page["body_text"] == "Slope\n\nRise over run & more."
    assert "secret" not in page["body_text"] and "track" not in page["body_text"]


def test_markdown_title_falls_back_to_first_heading(lake: LakeSettings) -> None:
    write(lake, "p.md", "---\ncontent_id: p\nclass_id: class-1\n---\n# The heading\ntext\n")
    ingest(lake, (SOURCE,))
    assert table(lake, "content_items")["p"]["title"] == "The heading"


BAD_PAGES: list[tuple[str, str | bytes, str]] = [
    ("nofm.md", "# no front matter\n", "missing_field"),
    ("noclass.md", "---\ncontent_id: x\n---\nbody", "missing_field"),
    ("noid.html", '<meta name="learnsmart:class_id" content="class-1"><p>x</p>', "missing_field"),
    ("open.md", "---\ncontent_id: x\nclass_id: class-1\nbody", "spec_violation"),
    ("week.md", "---\ncontent_id: x\nclass_id: class-1\nweek: two\n---\n", "wrong_type"),
    ("neg.md", "---\ncontent_id: x\nclass_id: class-1\nweek: -3\n---\n", "invalid_value"),
    ("type.md", "---\ncontent_id: x\nclass_id: class-1\ncontent_type: podcast\n---\n",
     "invalid_value"),
    ("ctl.md", "---\ncontent_id: x\x01y\nclass_id: class-1\n---\n", "invalid_value"),
    ("cls.md", "---\ncontent_id: x\nclass_id: class-9\n---\n", "unknown_class"),
    ("enc.md", b"---\ncontent_id: x\nclass_id: class-1\n---\n\xff\xfe caf\xe9", "bad_encoding"),
]  # fmt: skip


@pytest.mark.parametrize(("rel", "content", "code"), BAD_PAGES)
def test_bad_page_is_quarantined_as_one_record(
    lake: LakeSettings, rel: str, content: str | bytes, code: str
) -> None:
    write(lake, rel, content)
    [report] = ingest(lake, (SOURCE,))
    assert (report.rows_in, report.rows_kept, report.rows_quarantined) == (1, 0, 1)
    [q] = quarantine(lake)
    assert (q["reason_code"], q["line"]) == (code, 1)
    assert io.read(lake, silver("content_items")).num_rows == 0
    assert_balanced(lake)


def test_oversized_page_is_record_too_large(lake: LakeSettings) -> None:
    write(lake, "big.md", "---\ncontent_id: x\nclass_id: class-1\n---\n" + "w " * 4_200_000)
    [report] = ingest(lake, (SOURCE,))
    assert report.rows_quarantined == 1
    assert quarantine(lake)[0]["reason_code"] == "record_too_large"


def test_item_bank_writes_quiz_skills_and_items(lake: LakeSettings) -> None:
    write(lake, "alg1/m1.items.json", json.dumps(bank()))
    [report] = ingest(lake, (SOURCE,))
    assert (report.rows_in, report.rows_kept, report.rows_quarantined) == (3, 3, 0)
    quiz = table(lake, "content_items")["alg1-m1-quiz"]
    assert (quiz["content_type"], quiz["title"], quiz["week"]) == ("quiz", "Module 1 quiz", 2)
    skill = table(lake, "skills")["alg.solve"]
    assert skill["name"] == "Solve" and skill["class_id"] == "class-1"
    items = table(lake, "items")
    q1 = items["q1"]
    assert q1["option_ids"] == ["a", "b"] and q1["option_texts"] == ["x = 2", "5"]
    assert q1["correct_option_ids"] == ["a"] and q1["skill_ids"] == ["alg.solve"]
    assert (q1["max_score"], q1["position"], q1["quiz_id"]) == (2.0, 1, "alg1-m1-quiz")
    q2 = items["q2"]
    assert q2["correct_option_ids"] == ["1", "x = 1"] and q2["max_score"] == 1.0
    assert q2["position"] == 2 and q2["option_ids"] == []
    bronze = io.read(lake, bronze_spec(SOURCE, "item_banks")).to_pylist()
    assert sorted(b["_line"] for b in bronze) == [1, 2, 3]
    header = next(json.loads(b["record"]) for b in bronze if b["_line"] == 1)
    assert "items" not in header and header["quiz_id"] == "alg1-m1-quiz"
    assert_balanced(lake)


def _item(**over: Any) -> dict[str, Any]:
    item = copy.deepcopy(bank()["items"][0])
    item.update(over)
    return {k: v for k, v in item.items() if v is not None}


BAD_ITEMS: list[tuple[Any, str]] = [
    ("not an object", "spec_violation"),
    (_item(item_id=None), "missing_field"),
    (_item(item_id=["q"]), "wrong_type"),
    (_item(stem="  "), "missing_field"),
    (_item(item_type="essay"), "invalid_value"),
    (_item(options=[]), "missing_field"),
    (_item(options="a,b"), "wrong_type"),
    (_item(options=[{"option_id": "a"}, {"option_id": "a"}]), "invalid_value"),
    (_item(correct_option_ids=["z"]), "unknown_reference"),
    (_item(correct_option_ids=["a", "b"]), "invalid_value"),
    (_item(correct_option_ids=[]), "missing_field"),
    (_item(skill_ids=["undeclared.skill"]), "unknown_reference"),
    (_item(max_score=0), "invalid_value"),
    (_item(max_score="two"), "wrong_type"),
    (_item(item_id="q2"), "duplicate_record"),
]


@pytest.mark.parametrize(("item", "code"), BAD_ITEMS)
def test_bad_item_is_quarantined_on_its_own(lake: LakeSettings, item: Any, code: str) -> None:
    b = bank()
    b["items"].append(item)
    write(lake, "b.items.json", json.dumps(b))
    [report] = ingest(lake, (SOURCE,))
    assert (report.rows_in, report.rows_kept, report.rows_quarantined) == (4, 3, 1)
    [q] = quarantine(lake)
    assert (q["reason_code"], q["line"]) == (code, 4)
    assert set(table(lake, "items")) == {"q1", "q2"}


@pytest.mark.parametrize(
    ("header", "code"),
    [
        ({"schema": "other/2"}, "spec_violation"),
        ({"class_id": None}, "missing_field"),
        ({"quiz_id": {"id": 1}}, "wrong_type"),
        ({"skills": [{"name": "no id"}]}, "missing_field"),
        ({"class_id": "class-9"}, "unknown_class"),
    ],
)
def test_bad_bank_header_takes_every_item_with_it(
    lake: LakeSettings, header: dict[str, Any], code: str
) -> None:
    write(lake, "h.items.json", json.dumps({**bank(), **header}))
    [report] = ingest(lake, (SOURCE,))
    assert (report.rows_in, report.rows_kept, report.rows_quarantined) == (3, 0, 3)
    assert [(q["line"], q["reason_code"]) for q in quarantine(lake)] == [
        (1, code),
        (2, code),
        (3, code),
    ]
    assert io.read(lake, silver("items")).num_rows == 0


@pytest.mark.parametrize(
    ("content", "code"),
    [
        ("{not json", "malformed_json"),
        ("[1, 2]", "spec_violation"),
        (json.dumps({"schema": "learnsmart.item_bank/1", "items": "none"}), "spec_violation"),
        ("[" * 100_000 + "]" * 100_000, "malformed_json"),
    ],
)
def test_unsplittable_bank_is_one_record(lake: LakeSettings, content: str, code: str) -> None:
    write(lake, "u.items.json", content)
    [report] = ingest(lake, (SOURCE,))
    assert (report.rows_in, report.rows_quarantined) == (1, 1)
    assert quarantine(lake)[0]["reason_code"] == code


def test_unsupported_suffix_is_unreadable_file(lake: LakeSettings) -> None:
    write(lake, "slides.pptx", b"PK\x03\x04...")
    write(lake, "plain.json", "{}")
    reports = ingest(lake, (SOURCE,))
    assert all(r.rows_kept == 0 for r in reports) and len(reports) == 2
    assert {q["reason_code"] for q in quarantine(lake)} == {"unreadable_file"}
    assert_balanced(lake)


def test_reload_is_a_no_op(lake: LakeSettings) -> None:
    write(lake, "p1.md", MARKDOWN)
    write(lake, "b.items.json.gz", json.dumps(bank()))
    assert len(ingest(lake, (SOURCE,))) == 2
    assert ingest(lake, (SOURCE,)) == []
    assert len(table(lake, "content_items")) == 2


def test_text_helpers() -> None:
    assert strip_html("a < b and c > d") == "a < b and c > d"
    text, meta, title = parse_html("<title>T</title><meta name=X content=y><p>a</p><p>b</p>")
    assert (text, meta, title) == ("a\n\nb", {"x": "y"}, "T")
    assert markdown_to_text("```python\ncode()\n```\n> *quoted* `x`") == "code()\n\nquoted x"


_hostile_text = st.one_of(
    st.text(max_size=80),
    st.text(alphabet=st.characters(codec="utf-8"), max_size=300),
    st.just("\x00" * 10),
    st.just("<script>" * 500),
    st.sampled_from(["---", "<!--", "<![CDATA[", "&#xD800;", "\ud800"]),
)
_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | _hostile_text,
    lambda c: st.lists(c, max_size=3) | st.dictionaries(st.text(max_size=6), c, max_size=4),
    max_leaves=12,
)


@st.composite
def _hostile_file(draw: st.DrawFn) -> tuple[str, bytes]:
    kind = draw(st.sampled_from(["md", "html", "bank", "bytes"]))
    if kind == "bytes":
        suffix = draw(st.sampled_from([".md", ".html", ".items.json"]))
        return "f" + suffix, draw(st.binary(max_size=3000))
    if kind == "bank":
        b = bank()
        for k in draw(st.lists(st.sampled_from(sorted(b)), max_size=3)):
            b[k] = draw(_json)
        b["items"] = (b["items"] if isinstance(b["items"], list) else []) + draw(
            st.lists(_json, max_size=4)
        )
        return "f.items.json", json.dumps(b).encode("utf-8", "surrogatepass")
    names = st.sampled_from(["content_id", "class_id", "week", "title", "content_type"])
    keys = draw(st.dictionaries(names, _hostile_text, max_size=5))
    body = draw(_hostile_text)
    if kind == "md":
        fm = "".join(f"{k}: {v}\n" for k, v in {"class_id": "class-1", **keys}.items())
        text = f"---\n{fm}---\n{body}"
    else:
        metas = "".join(f'<meta name="learnsmart:{k}" content="{v}">' for k, v in keys.items())
        text = f"<html><head>{metas}</head><body>{body}</body></html>"
    return "f." + kind, text.encode("utf-8", "surrogatepass")


@hsettings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(_hostile_file(), st.booleans())
def test_hostile_input_never_raises_and_balances(
    settings: LakeSettings, file: tuple[str, bytes], gz: bool
) -> None:
    name, data = file
    folder = settings.landing / SOURCE
    for old in folder.glob("*") if folder.exists() else []:
        old.unlink()
    io.merge(settings, silver("classes"), pa.table({"class_id": ["class-1"]}), "setup")
    write(settings, name + (".gz" if gz else ""), data)
    for r in ingest(settings, (SOURCE,)):
        assert r.error is None or r.error.startswith("UnsupportedFileError"), r.error
        assert r.rows_in == r.rows_kept + r.rows_quarantined
    assert_balanced(settings)
