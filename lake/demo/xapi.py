"""xAPI 1.0.3 statements for one simulated day, built column-wise with polars and written as JSON
lines: pages (experienced), resources (viewed), videos (xAPI video profile: played, paused,
seeked, completed), quiz items (answered) and attempts (completed), plus a few voiding statements
and the injected bad records.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from enum import IntEnum
from pathlib import Path

import numpy as np
import polars as pl

from lake.demo._io import iso, uuids, write_lines
from lake.demo.bad import JSON_EVENT_RATES, Bad, Tally, pick_bad_rows
from lake.demo.content import BASE_URL, ITEMS_PER_QUIZ, OPTION_IDS, Catalog
from lake.demo.simulate import DayActivity, Kind, VideoPattern

HOME_PAGE = BASE_URL
VIDEO_EXT = "https://w3id.org/xapi/video/extensions/"
ATTEMPT_EXT = "https://w3id.org/learnsmart/extensions/attempt-id"
COURSE_TYPE = "http://adlnet.gov/expapi/activities/course"
ASSESSMENT_TYPE = "http://adlnet.gov/expapi/activities/assessment"
CHUNK_ROWS = 750_000  # statements built per polars pass; bounds memory on the 100K-student day


class Verb(IntEnum):
    """Verbs the demo LMS emits; ``VERBS`` gives IRI and display."""

    EXPERIENCED = 0
    VIEWED = 1
    PLAYED = 2
    PAUSED = 3
    SEEKED = 4
    COMPLETED = 5
    ANSWERED = 6


VERBS: dict[Verb, tuple[str, str]] = {
    Verb.EXPERIENCED: ("http://adlnet.gov/expapi/verbs/experienced", "experienced"),
    Verb.VIEWED: ("http://id.tincanapi.com/verb/viewed", "viewed"),
    Verb.PLAYED: ("https://w3id.org/xapi/video/verbs/played", "played"),
    Verb.PAUSED: ("https://w3id.org/xapi/video/verbs/paused", "paused"),
    Verb.SEEKED: ("https://w3id.org/xapi/video/verbs/seeked", "seeked"),
    Verb.COMPLETED: ("http://adlnet.gov/expapi/verbs/completed", "completed"),
    Verb.ANSWERED: ("http://adlnet.gov/expapi/verbs/answered", "answered"),
}
VOIDED = ("http://adlnet.gov/expapi/verbs/voided", "voided")


class ObjType(IntEnum):
    """Activity types of statement objects."""

    PAGE = 0
    RESOURCE = 1
    VIDEO = 2
    ITEM = 3
    QUIZ = 4


OBJ_DEFS: dict[ObjType, str] = {
    ObjType.PAGE: '{"type":"http://activitystrea.ms/schema/1.0/page"}',
    ObjType.RESOURCE: '{"type":"http://id.tincanapi.com/activitytype/resource"}',
    ObjType.VIDEO: '{"type":"https://w3id.org/xapi/video/activity-type/video"}',
    ObjType.ITEM: (
        '{"type":"http://adlnet.gov/expapi/activities/cmi.interaction","interactionType":"choice"}'
    ),
    ObjType.QUIZ: '{"type":"' + ASSESSMENT_TYPE + '"}',
}


@dataclass(frozen=True)
class ContentCodes:
    """Integer codes for every content and item id, so statements carry ints until the end."""

    table: pl.Series
    page: np.ndarray  # (C, M, P)
    video: np.ndarray  # (C, M)
    resource: np.ndarray  # (C, M)
    quiz: np.ndarray  # (C, M)
    item: np.ndarray  # (C, M, I)

    @classmethod
    def of(cls, catalog: Catalog) -> ContentCodes:
        """Codes in a fixed order: pages, videos, resources, quizzes, items."""
        names: list[str] = []
        arrays = []
        for arr in (
            catalog.page_ids,
            catalog.video_ids,
            catalog.resource_ids,
            catalog.quiz_ids,
            catalog.item_ids,
        ):
            flat = list(arr.ravel())
            codes = np.arange(len(names), len(names) + len(flat)).reshape(arr.shape)
            names.extend(flat)
            arrays.append(codes)
        return cls(pl.Series("content", names, dtype=pl.String), *arrays)


def _segment(
    act: np.ndarray, verb: Verb, obj: np.ndarray, objtype: ObjType, ts: np.ndarray, **cols: object
) -> dict[str, np.ndarray]:
    n = act.size
    seg: dict[str, np.ndarray] = {
        "act": act,
        "verb": np.full(n, int(verb), dtype=np.int8),
        "obj": obj.astype(np.int64),
        "objtype": np.full(n, int(objtype), dtype=np.int8),
        "ts": ts.astype(np.int64),
    }
    for name, default in (
        ("dur", -1),
        ("vtime", np.nan),
        ("vfrom", np.nan),
        ("vto", np.nan),
        ("attempt", -1),
        ("item", -1),
    ):
        value = cols.get(name, default)
        seg[name] = np.broadcast_to(np.asarray(value), (n,)).copy()
    return seg


def statement_rows(
    day: DayActivity, codes: ContentCodes, video_length_s: np.ndarray
) -> dict[str, np.ndarray]:
    """One row per statement (before voids and bad records), sorted by timestamp."""
    segs: list[dict[str, np.ndarray]] = []
    k, c, m, start, dur = day.kind, day.cls, day.module, day.start_ms, day.duration_s
    ms = (dur * 1000).astype(np.int64)

    pg = np.flatnonzero(k == Kind.PAGE)
    segs.append(
        _segment(pg, Verb.EXPERIENCED, codes.page[c[pg], m[pg], day.slot[pg]], ObjType.PAGE,
                 start[pg] + ms[pg], dur=dur[pg])
    )  # fmt: skip
    rs = np.flatnonzero(k == Kind.RESOURCE)
    segs.append(
        _segment(rs, Verb.VIEWED, codes.resource[c[rs], m[rs]], ObjType.RESOURCE, start[rs],
                 dur=dur[rs])
    )  # fmt: skip

    vd = np.flatnonzero(k == Kind.VIDEO)
    pat = day.video_pattern[vd]
    length = video_length_s[c[vd], m[vd]].astype(np.float64)
    marks = day.video_marks[vd] * length[:, None]
    a, b, cc = marks[:, 0].round(1), marks[:, 1].round(1), marks[:, 2].round(1)
    gap = (day.video_gap_s[vd] * 1000).astype(np.int64)
    vobj = codes.video[c[vd], m[vd]]
    t0 = start[vd]
    segs.append(_segment(vd, Verb.PLAYED, vobj, ObjType.VIDEO, t0, vtime=0.0))
    for p, steps in (
        (VideoPattern.FULL, ((Verb.COMPLETED, "end"),)),
        (VideoPattern.PAUSED,
         ((Verb.PAUSED, "a"), (Verb.PLAYED, "a+gap"), (Verb.COMPLETED, "end+gap"))),
        (VideoPattern.SEEKED, ((Verb.SEEKED, "seek"), (Verb.PAUSED, "c"))),
        (VideoPattern.QUIT, ((Verb.PAUSED, "a"),)),
    ):  # fmt: skip
        sel = np.flatnonzero(pat == p)
        for verb, when in steps:
            am = (a[sel] * 1000).astype(np.int64)
            lm = (length[sel] * 1000).astype(np.int64)
            if when == "end":
                ts, extra = t0[sel] + lm, {"vtime": length[sel], "dur": length[sel]}
            elif when == "a":
                ts, extra = t0[sel] + am, {"vtime": a[sel]}
            elif when == "a+gap":
                ts, extra = t0[sel] + am + gap[sel], {"vtime": a[sel]}
            elif when == "end+gap":
                ts = t0[sel] + lm + gap[sel]
                extra = {"vtime": length[sel], "dur": length[sel] + day.video_gap_s[vd][sel]}
            elif when == "seek":
                ts, extra = t0[sel] + am, {"vfrom": a[sel], "vto": b[sel]}
            else:  # paused after seeking: watched from b to c
                ts = t0[sel] + am + ((cc[sel] - b[sel]) * 1000).astype(np.int64)
                extra = {"vtime": cc[sel]}
            segs.append(_segment(vd[sel], verb, vobj[sel], ObjType.VIDEO, ts, **extra))

    qa = day.quiz_act
    if qa.size:
        q = np.arange(qa.size)
        items = np.tile(np.arange(ITEMS_PER_QUIZ), qa.size)
        qq = np.repeat(q, ITEMS_PER_QUIZ)
        acts = qa[qq]
        segs.append(
            _segment(acts, Verb.ANSWERED, codes.item[c[acts], m[acts], items], ObjType.ITEM,
                     start[acts] + (day.ans_offset_s.ravel() * 1000).astype(np.int64),
                     dur=day.ans_duration_s.ravel(), attempt=qq, item=items)
        )  # fmt: skip
        segs.append(
            _segment(qa, Verb.COMPLETED, codes.quiz[c[qa], m[qa]], ObjType.QUIZ,
                     start[qa] + ms[qa] - 5000, dur=dur[qa], attempt=q)
        )  # fmt: skip

    rows = {key: np.concatenate([s[key] for s in segs]) for key in segs[0]}
    order = np.lexsort((rows["act"], rows["ts"]))
    return {key: v[order] for key, v in rows.items()}


def _lit(s: str) -> pl.Expr:
    return pl.lit(s, dtype=pl.String)


def _num(col: str) -> pl.Expr:
    return pl.col(col).cast(pl.String)


def _build_lines(df: pl.DataFrame) -> pl.Series:
    """The JSON text of each statement row (one per line, newline included)."""
    verb_json = [
        json.dumps({"id": iri, "display": {"en-US": d}}, separators=(",", ":"))
        for iri, d in VERBS.values()
    ]
    obj_def = [OBJ_DEFS[t] for t in ObjType]
    verb = pl.col("verb").cast(pl.Int64)
    success = pl.when(pl.col("success")).then(_lit("true")).otherwise(_lit("false"))
    score = pl.concat_str(
        _lit('"score":{"scaled":'), _num("scaled"), _lit(',"raw":'), _num("raw"),
        _lit(',"min":0,"max":'), _num("max"), _lit("}"),
    )  # fmt: skip
    duration = pl.concat_str(_lit('"duration":"PT'), _num("dur"), _lit('S"'))
    result = (
        pl.when(verb == Verb.ANSWERED)
        .then(pl.concat_str(
            _lit(',"result":{"success":'), success, _lit(',"response":"'), pl.col("resp"),
            _lit('",'), score, _lit(","), duration, _lit("}"),
        ))
        .when(pl.col("objtype") == ObjType.QUIZ)
        .then(pl.concat_str(
            _lit(',"result":{"completion":true,"success":'), success, _lit(","), score,
            _lit(","), duration, _lit("}"),
        ))
        .when((verb == Verb.PLAYED) | (verb == Verb.PAUSED))
        .then(pl.concat_str(
            _lit(',"result":{"extensions":{"' + VIDEO_EXT + 'time":'), _num("vtime"), _lit("}}")
        ))
        .when(verb == Verb.SEEKED)
        .then(pl.concat_str(
            _lit(',"result":{"extensions":{"' + VIDEO_EXT + 'time-from":'), _num("vfrom"),
            _lit(',"' + VIDEO_EXT + 'time-to":'), _num("vto"), _lit("}}"),
        ))
        .when(verb == Verb.COMPLETED)
        .then(pl.concat_str(
            _lit(',"result":{"completion":true,'), duration,
            _lit(',"extensions":{"' + VIDEO_EXT + 'time":'), _num("vtime"), _lit("}}"),
        ))
        .otherwise(pl.concat_str(_lit(',"result":{'), duration, _lit("}")))
    )  # fmt: skip
    registration = (
        pl.when(pl.col("att").is_not_null())
        .then(pl.concat_str(_lit('"registration":"'), pl.col("att"), _lit('",')))
        .otherwise(_lit(""))
    )
    parent = (
        pl.when(verb == Verb.ANSWERED)
        .then(pl.concat_str(
            _lit('"parent":[{"objectType":"Activity","id":"' + BASE_URL + "/content/"),
            pl.col("quiz"), _lit('","definition":{"type":"' + ASSESSMENT_TYPE + '"}}],'),
        ))
        .otherwise(_lit(""))
    )  # fmt: skip
    extensions = (
        pl.when(pl.col("att").is_not_null())
        .then(pl.concat_str(
            _lit(',"extensions":{"' + ATTEMPT_EXT + '":"'), pl.col("att"), _lit('"}')
        ))
        .when(pl.col("objtype") == ObjType.VIDEO)
        .then(pl.concat_str(
            _lit(',"extensions":{"' + VIDEO_EXT + 'length":'), _num("vlen"), _lit("}")
        ))
        .otherwise(_lit(""))
    )  # fmt: skip
    line = pl.concat_str(
        _lit('{"id":"'), pl.col("id"),
        _lit('","actor":{"objectType":"Agent","account":{"homePage":"' + HOME_PAGE + '","name":"'),
        pl.col("sid"), _lit('"}},"verb":'),
        verb.replace_strict(list(range(len(VERBS))), verb_json, return_dtype=pl.String),
        _lit(',"object":{"objectType":"Activity","id":"' + BASE_URL + "/content/"),
        pl.col("obj"), _lit('","definition":'),
        pl.col("objtype").cast(pl.Int64).replace_strict(
            list(range(len(OBJ_DEFS))), obj_def, return_dtype=pl.String
        ), _lit("}"),
        result,
        _lit(',"context":{'), registration, _lit('"contextActivities":{'), parent,
        _lit('"grouping":[{"objectType":"Activity","id":"' + BASE_URL + "/classes/"),
        pl.col("cid"), _lit('","definition":{"type":"' + COURSE_TYPE + '"}}]},'),
        _lit('"platform":"LearnSmart Demo LMS","language":"en-US"'), extensions, _lit("}"),
        _lit(',"timestamp":"'), pl.from_epoch(pl.col("ts"), "ms").dt.strftime(
            "%Y-%m-%dT%H:%M:%S%.3fZ"
        ), _lit('"}\n'),
    )  # fmt: skip
    return df.select(line.alias("line")).to_series()


@dataclass(frozen=True)
class XapiContext:
    """What the xAPI writer needs besides the day: ids as polars Series and the catalogue."""

    student_ids: pl.Series
    class_ids: pl.Series
    codes: ContentCodes
    catalog: Catalog
    teacher_of_class: tuple[str, ...]
    unknown_class_id: str


def _corrupt(line: str, kind: Bad, unknown_class: str, has_score: bool) -> bytes:
    """One defect applied to a well-formed statement line (which ends in a newline)."""
    body = line.rstrip("\n")
    if kind is Bad.MALFORMED_JSON:
        return body[: max(20, len(body) * 3 // 5)].encode() + b"\n"
    if kind is Bad.DUPLICATE_RECORD:
        return (line + line).encode()
    d = json.loads(body)
    if kind is Bad.WRONG_TYPE:
        if has_score:
            d["result"]["score"]["scaled"] = "abc"
        else:
            d["timestamp"] = int(
                np.datetime64(d["timestamp"].rstrip("Z"), "ms").astype(np.int64) // 1000
            )
    elif kind is Bad.FUTURE_TIMESTAMP:
        d["timestamp"] = "2099" + d["timestamp"][4:]
    elif kind is Bad.UNKNOWN_CLASS:
        grouping = d["context"]["contextActivities"]["grouping"]
        grouping[0]["id"] = f"{BASE_URL}/classes/{unknown_class}"
    elif kind is Bad.BAD_ENCODING:
        d["object"]["definition"]["name"] = {"fr-FR": "Révision du module"}
        text = json.dumps(d, ensure_ascii=False, separators=(",", ":"))
        return text.encode("latin-1") + b"\n"
    return json.dumps(d, ensure_ascii=False, separators=(",", ":")).encode() + b"\n"


def _void_line(target_id: str, ts_ms: int, actor: str, void_id: str) -> bytes:
    stmt = {
        "id": void_id,
        "actor": {"objectType": "Agent", "account": {"homePage": HOME_PAGE, "name": actor}},
        "verb": {"id": VOIDED[0], "display": {"en-US": VOIDED[1]}},
        "object": {"objectType": "StatementRef", "id": target_id},
        "timestamp": iso(ts_ms),
    }
    return json.dumps(stmt, separators=(",", ":")).encode() + b"\n"


def write_xapi_day(
    rng: np.random.Generator,
    day: DayActivity,
    ctx: XapiContext,
    attempt_ids: pl.Series,
    path: Path,
    tally: Tally,
) -> tuple[int, int, int]:
    """Write one day's statements to ``path``; ``attempt_ids`` holds one id per quiz attempt
    (shared with the quiz engine export). Returns (lines written, voiding statements, bytes)."""
    rows = statement_rows(day, ctx.codes, ctx.catalog.video_length_s)
    n = rows["ts"].size
    if n == 0:
        return 0, 0, 0
    path.parent.mkdir(parents=True, exist_ok=True)
    ids = uuids(rng, n)
    q_of_row = rows["attempt"]
    att_ids = attempt_ids if attempt_ids.len() else pl.Series([""], dtype=pl.String)
    act = rows["act"]
    is_item = rows["item"] >= 0
    qrow = np.where(q_of_row >= 0, q_of_row, 0)
    item_col = np.where(is_item, rows["item"], 0)
    correct = (
        np.where(is_item, day.ans_correct[qrow, item_col], False)
        if day.quiz_act.size
        else (np.zeros(n, dtype=bool))
    )
    option = day.ans_option[qrow, item_col] if day.quiz_act.size else np.zeros(n, dtype=np.int64)
    n_right = day.ans_correct.sum(axis=1) if day.quiz_act.size else np.zeros(1, dtype=np.int64)
    is_quiz = rows["objtype"] == ObjType.QUIZ
    raw = np.where(is_item, correct.astype(np.int64), np.where(is_quiz, n_right[qrow], 0))
    max_score = np.where(is_quiz, ITEMS_PER_QUIZ, 1)
    scaled = np.round(raw / max_score, 3)
    success = np.where(is_quiz, scaled >= 0.6, correct)
    cls, mod = day.cls[act], day.module[act]

    void_eligible = np.flatnonzero(is_item)
    n_void = min(void_eligible.size, max(1, n // 2000)) if void_eligible.size else 0
    void_rows: set[int] = (
        set(rng.choice(void_eligible, size=n_void, replace=False).tolist()) if n_void else set()
    )
    keep = np.ones(n, dtype=bool)
    keep[list(void_rows)] = False
    eligible = np.flatnonzero(keep)
    bad = pick_bad_rows(rng, eligible, JSON_EVENT_RATES)
    void_ids = uuids(rng, max(1, n_void)).to_list()

    written = 0
    lines_out = 0
    with path.open("wb") as fh:
        for lo in range(0, n, CHUNK_ROWS):
            hi = min(n, lo + CHUNK_ROWS)
            sl = slice(lo, hi)
            df = pl.DataFrame(
                {
                    "id": ids.slice(lo, hi - lo),
                    "sid": ctx.student_ids.gather(day.stu[act[sl]]),
                    "cid": ctx.class_ids.gather(cls[sl]),
                    "obj": ctx.codes.table.gather(rows["obj"][sl]),
                    "quiz": ctx.codes.table.gather(ctx.codes.quiz[cls[sl], mod[sl]]),
                    "verb": rows["verb"][sl],
                    "objtype": rows["objtype"][sl],
                    "ts": rows["ts"][sl],
                    "dur": np.maximum(rows["dur"][sl], 0).round().astype(np.int64),
                    "vtime": rows["vtime"][sl],
                    "vfrom": rows["vfrom"][sl],
                    "vto": rows["vto"][sl],
                    "vlen": ctx.catalog.video_length_s[cls[sl], mod[sl]],
                    "success": success[sl],
                    "resp": pl.Series(list(OPTION_IDS)).gather(option[sl]),
                    "raw": raw[sl],
                    "max": max_score[sl],
                    "scaled": scaled[sl],
                    "att": att_ids.gather(qrow[sl]),
                    "has_att": q_of_row[sl] >= 0,
                }
            ).with_columns(pl.when(pl.col("has_att")).then(pl.col("att")).alias("att"))
            lines = _build_lines(df)
            overrides: dict[int, bytes] = {}
            local = [r for r in (*bad, *void_rows) if lo <= r < hi]
            texts = lines.gather(np.array([r - lo for r in local], dtype=np.int64)).to_list()
            void_list = sorted(void_rows)
            for r, text in zip(local, texts, strict=True):
                if r in bad:
                    kind = bad[r]
                    overrides[r - lo] = _corrupt(
                        text, kind, ctx.unknown_class_id, has_score=bool(is_item[r] or is_quiz[r])
                    )
                    tally.add("xapi", kind)
                    lines_out += 2 if kind is Bad.DUPLICATE_RECORD else 1
                else:
                    target = json.loads(text)["id"]
                    ts = int(min(rows["ts"][r] + 600_000, day_end_ms(rows["ts"][r])))
                    teacher = ctx.teacher_of_class[int(cls[r])]
                    vid = void_ids[void_list.index(r)]
                    overrides[r - lo] = text.encode() + _void_line(target, ts, teacher, vid)
                    lines_out += 2
            written += write_lines(fh, lines, overrides)
            lines_out += (hi - lo) - len(local)
    return lines_out, n_void, written


def day_end_ms(ts: int) -> int:
    """Last millisecond of the UTC day containing ``ts``."""
    return (ts // 86_400_000 + 1) * 86_400_000 - 1
