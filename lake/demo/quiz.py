"""The quiz engine's item-level export (docs/formats.md, ``quiz_attempts``): one row per item
answered, as CSV on most days and JSON lines on others. Attempt ids and timestamps are the same
as in the LMS's xAPI ``answered`` statements, so both sources describe the same attempts.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import polars as pl

from lake.demo._io import write_lines
from lake.demo.bad import QUIZ_CSV_RATES, QUIZ_JSON_RATES, Bad, Tally, pick_bad_rows
from lake.demo.content import ITEMS_PER_QUIZ, OPTION_IDS
from lake.demo.simulate import DayActivity
from lake.demo.xapi import ContentCodes

COLUMNS = (
    "attempt_id",
    "student_id",
    "class_id",
    "quiz_id",
    "item_id",
    "attempt_number",
    "started_at",
    "answered_at",
    "submitted_at",
    "response",
    "is_correct",
    "score",
    "max_score",
    "duration_s",
)
_TS = "%Y-%m-%dT%H:%M:%S%.3fZ"


def _frame(
    day: DayActivity,
    attempt_ids: pl.Series,
    student_ids: pl.Series,
    class_ids: pl.Series,
    codes: ContentCodes,
) -> pl.DataFrame:
    q = np.repeat(np.arange(day.quiz_act.size), ITEMS_PER_QUIZ)
    item = np.tile(np.arange(ITEMS_PER_QUIZ), day.quiz_act.size)
    act = day.quiz_act[q]
    c, m, start = day.cls[act], day.module[act], day.start_ms[act]
    answered = start + (day.ans_offset_s[q, item] * 1000).astype(np.int64)
    submitted = start + (day.duration_s[act] * 1000).astype(np.int64) - 5000
    correct = day.ans_correct[q, item]
    df = pl.DataFrame(
        {
            "attempt_id": attempt_ids.gather(q),
            "student_id": student_ids.gather(day.stu[act]),
            "class_id": class_ids.gather(c),
            "quiz_id": codes.table.gather(codes.quiz[c, m]),
            "item_id": codes.table.gather(codes.item[c, m, item]),
            "attempt_number": day.attempt_number[q],
            "started_at": start,
            "answered_at": answered,
            "submitted_at": submitted,
            "response": pl.Series(list(OPTION_IDS)).gather(day.ans_option[q, item]),
            "is_correct": correct,
            "score": correct.astype(np.int64),
            "max_score": np.ones(q.size, dtype=np.int64),
            "duration_s": day.ans_duration_s[q, item].astype(np.int64),
        }
    )
    ts = [pl.from_epoch(pl.col(c), "ms").dt.strftime(_TS).alias(c) for c in COLUMNS[6:9]]
    return df.with_columns(ts).sort("answered_at", "attempt_id", maintain_order=True)


def _csv_lines(df: pl.DataFrame) -> pl.Series:
    parts: list[pl.Expr] = []
    for i, col in enumerate(COLUMNS):
        if i:
            parts.append(pl.lit(","))
        expr = pl.col(col)
        if col == "is_correct":
            expr = pl.when(expr).then(pl.lit("true")).otherwise(pl.lit("false"))
        parts.append(expr.cast(pl.String))
    parts.append(pl.lit("\r\n"))
    return df.select(pl.concat_str(parts).alias("line")).to_series()


def _json_lines(df: pl.DataFrame) -> pl.Series:
    parts: list[pl.Expr] = [pl.lit("{")]
    for i, col in enumerate(COLUMNS):
        quoted = df.schema[col] == pl.String
        parts.append(pl.lit(("," if i else "") + f'"{col}":' + ('"' if quoted else "")))
        expr = pl.col(col)
        if col == "is_correct":
            expr = pl.when(expr).then(pl.lit("true")).otherwise(pl.lit("false"))
        parts.append(expr.cast(pl.String))
        if quoted:
            parts.append(pl.lit('"'))
    parts.append(pl.lit("}\n"))
    return df.select(pl.concat_str(parts).alias("line")).to_series()


def _corrupt_csv(line: str, kind: Bad, unknown_class: str) -> bytes:
    f = line.rstrip("\r\n").split(",")
    ix = {c: i for i, c in enumerate(COLUMNS)}
    if kind is Bad.DUPLICATE_RECORD:
        return (line + line).encode()
    if kind is Bad.MALFORMED_CSV:
        del f[ix["max_score"]]
    elif kind is Bad.MISSING_FIELD:
        f[ix["student_id"]] = ""
    elif kind is Bad.WRONG_TYPE:
        f[ix["score"]] = "abc"
    elif kind is Bad.FUTURE_TIMESTAMP:
        f[ix["answered_at"]] = "2099" + f[ix["answered_at"]][4:]
    elif kind is Bad.UNKNOWN_CLASS:
        f[ix["class_id"]] = unknown_class
    elif kind is Bad.BAD_ENCODING:
        # A free-text answer typed on a machine exporting Latin-1.
        f[ix["response"]] = "café"
        return (",".join(f) + "\r\n").encode("latin-1")
    return (",".join(f) + "\r\n").encode()


def _corrupt_json(line: str, kind: Bad, unknown_class: str) -> bytes:
    body = line.rstrip("\n")
    if kind is Bad.MALFORMED_JSON:
        return body[: len(body) // 2].encode() + b"\n"
    if kind is Bad.DUPLICATE_RECORD:
        return (line + line).encode()
    d = json.loads(body)
    if kind is Bad.MISSING_FIELD:
        del d["item_id"]
    elif kind is Bad.WRONG_TYPE:
        d["score"] = "abc"
    elif kind is Bad.FUTURE_TIMESTAMP:
        d["answered_at"] = "2099" + d["answered_at"][4:]
    elif kind is Bad.UNKNOWN_CLASS:
        d["class_id"] = unknown_class
    elif kind is Bad.BAD_ENCODING:
        d["response"] = "réponse libre"
        return json.dumps(d, ensure_ascii=False, separators=(",", ":")).encode("latin-1") + b"\n"
    return json.dumps(d, ensure_ascii=False, separators=(",", ":")).encode() + b"\n"


def write_quiz_day(
    rng: np.random.Generator,
    day: DayActivity,
    attempt_ids: pl.Series,
    student_ids: pl.Series,
    class_ids: pl.Series,
    codes: ContentCodes,
    folder: Path,
    as_json: bool,
    unknown_class: str,
    tally: Tally,
) -> tuple[str, int, int]:
    """Write one day's responses (``responses.csv`` or ``responses.jsonl``) under ``folder``.

    Returns (file suffix, data lines written, bytes written).
    """
    suffix = "jsonl" if as_json else "csv"
    if day.quiz_act.size == 0:
        return suffix, 0, 0
    df = _frame(day, attempt_ids, student_ids, class_ids, codes)
    lines = _json_lines(df) if as_json else _csv_lines(df)
    bad = pick_bad_rows(rng, np.arange(lines.len()), QUIZ_JSON_RATES if as_json else QUIZ_CSV_RATES)
    rows = sorted(bad)
    texts = lines.gather(np.array(rows, dtype=np.int64)).to_list() if rows else []
    overrides = {}
    n_lines = lines.len()
    for r, text in zip(rows, texts, strict=True):
        kind = bad[r]
        fix = _corrupt_json if as_json else _corrupt_csv
        overrides[r] = fix(text, kind, unknown_class)
        tally.add("quiz_attempts", kind)
        n_lines += 1 if kind is Bad.DUPLICATE_RECORD else 0
    folder.mkdir(parents=True, exist_ok=True)
    with (folder / f"responses.{suffix}").open("wb") as fh:
        written = 0 if as_json else fh.write((",".join(COLUMNS) + "\r\n").encode())
        written += write_lines(fh, lines, overrides)
    return suffix, n_lines, written
