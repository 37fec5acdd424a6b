"""Course content (``landing/content/``): pages (``.md`` with front matter, ``.html`` with
``learnsmart:`` meta tags) and quiz item banks (``*.items.json``), each optionally gzip-compressed.
Formats in ``docs/formats.md``.

Records and accounting:

* a page file is one record: kept -> one ``content_items`` row (``content_type`` default
  ``page``) and one ``content_pages`` row (readable ``body_text``, ``word_count``,
  ``source_format`` ``markdown`` or ``html``); bronze ``content__pages`` holds the file's text.
* an item bank is ``1 + len(items)`` records: the bank header (record 1: the quiz itself, its
  ``content_items`` row of type ``quiz`` and its ``skills``) and one record per item (record
  ``position + 1``; ``items`` rows). These ordinals are the ``line`` of quarantine and bronze rows.
  A rejected header takes every item with it (same reason code, each item its own quarantine
  row); a file that is not a JSON object with an ``items`` list cannot be split into records and
  is one quarantined record. Bronze ``content__item_banks`` holds the header (the bank without
  ``items``) and each item as JSON.

Any other file name raises ``UnsupportedFileError`` (the loader quarantines its lines as
``unreadable_file``). Pages are small and few, so this parser works record by record in Python.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

import pyarrow as pa

from lake.quarantine import QuarantineBuilder, Reason
from lake.sources.base import (
    FileCount,
    LoadUnit,
    ParseContext,
    ParseResult,
    UnsupportedFileError,
    discover_files,
)
from lake.sources.common import MAX_RECORD_BYTES, FileReadError, read_bytes
from lake.sources.content_text import markdown_to_text, parse_html, word_count
from lake.tables import silver

SOURCE = "content"
BANK_SCHEMA = "learnsmart.item_bank/1"
CONTENT_TYPES = ("page", "video", "resource", "quiz", "forum")
ITEM_TYPES = ("multiple_choice", "multiple_response", "true_false", "short_answer")
CHOICE_TYPES = ("multiple_choice", "multiple_response", "true_false")
PAGE_KEYS = ("content_id", "class_id", "title", "module", "week", "week_to", "content_type", "url")
MAX_ID_CHARS = 256
MAX_BANK_BYTES = 64 * 1024 * 1024
META_PREFIX = "learnsmart:"

_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_FRONT_MATTER_LINE = re.compile(r"^([A-Za-z_][A-Za-z0-9_\-]*)\s*:\s*(.*)$")
_FIRST_HEADING = re.compile(r"^\s{0,3}#\s+(.+?)\s*#*\s*$", re.MULTILINE)


class _RecordError(Exception):
    """A record is unusable: carries the quarantine reason."""

    def __init__(self, code: Reason, reason: str) -> None:
        super().__init__(reason)
        self.code = code
        self.reason = reason


def file_kind(name: str) -> str:
    """``markdown``, ``html`` or ``item_bank`` from the file name (``.gz`` ignored)."""
    lower = name.lower()
    if lower.endswith(".gz"):
        lower = lower[:-3]
    if lower.endswith(".items.json"):
        return "item_bank"
    if lower.endswith((".md", ".markdown")):
        return "markdown"
    if lower.endswith((".html", ".htm")):
        return "html"
    raise UnsupportedFileError(
        f"{name}: content files are .md, .markdown, .html, .htm or *.items.json (optionally .gz)"
    )


def _text(value: str) -> str:
    """A string Arrow can store: lone surrogates (from JSON escapes) replaced."""
    return value.encode("utf-8", "replace").decode("utf-8")


def _dumps(value: object) -> str:
    try:
        return _text(json.dumps(value, ensure_ascii=False))
    except (ValueError, TypeError, RecursionError):
        return f"<unserialisable {type(value).__name__}>"


def _ident(value: object, what: str, required: bool = True) -> str | None:
    """An identifier: a non-empty string (or integer, as text) without control characters."""
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            raise _RecordError(Reason.MISSING_FIELD, f"{what} is required")
        return None
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise _RecordError(
            Reason.WRONG_TYPE, f"{what} must be a string, got {type(value).__name__}"
        )
    text = _text(str(value).strip())
    if _CONTROL.search(text) or len(text) > MAX_ID_CHARS:
        raise _RecordError(Reason.INVALID_VALUE, f"{what} has control characters or is too long")
    return text


def _opt_text(value: object, what: str) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise _RecordError(Reason.WRONG_TYPE, f"{what} must be text, got {type(value).__name__}")
    text = _text(str(value).strip())
    return text or None


def _week(value: object, what: str) -> int | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        raise _RecordError(Reason.WRONG_TYPE, f"{what} must be an integer")
    if isinstance(value, str):
        if not re.fullmatch(r"\s*[+-]?\d{1,6}\s*", value):
            raise _RecordError(Reason.WRONG_TYPE, f"{what} must be an integer: {value[:40]!r}")
        value = int(value)
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if not isinstance(value, int):
        raise _RecordError(Reason.WRONG_TYPE, f"{what} must be an integer")
    if not 0 <= value <= 1000:
        raise _RecordError(Reason.INVALID_VALUE, f"{what} must be between 0 and 1000")
    return value


@dataclass
class _Rows:
    """Silver rows collected for one unit, by table."""

    tables: dict[str, list[dict[str, Any]]] = field(default_factory=dict)

    def add(self, table: str, row: dict[str, Any]) -> None:
        self.tables.setdefault(table, []).append(row)

    def to_arrow(self) -> dict[str, pa.Table]:
        out = {}
        for name, rows in self.tables.items():
            schema = silver(name).schema
            cols = list(dict.fromkeys(c for r in rows for c in r))
            out[name] = pa.table(
                {c: pa.array([r.get(c) for r in rows], schema.field(c).type) for c in cols}
            )
        return out


@dataclass
class _Bronze:
    lines: list[int] = field(default_factory=list)
    records: list[str] = field(default_factory=list)

    def add(self, line: int, record: str) -> None:
        self.lines.append(line)
        self.records.append(record)

    def to_arrow(self, name: str) -> pa.Table:
        return pa.table(
            {
                "_source_file": pa.array([name] * len(self.lines), pa.string()),
                "_line": pa.array(self.lines, pa.int64()),
                "record": pa.array(self.records, pa.string()),
            }
        )


class ContentParser:
    """Course pages and quiz item banks -> content_items, content_pages, skills, items."""

    source: ClassVar[str] = SOURCE

    def discover(self, landing: Path) -> list[LoadUnit]:
        """One unit per file under ``landing/content/`` (sorted by path)."""
        return discover_files(landing, SOURCE)

    def parse(self, unit: LoadUnit, ctx: ParseContext) -> ParseResult:
        """Parse one file (a page or an item bank); every record is kept or quarantined."""
        result = ParseResult()
        rows = _Rows()
        for path in unit.files:
            name = unit.member_name(path)
            kind = file_kind(name)
            try:
                data = read_bytes(path)
            except FileReadError as exc:
                raise UnsupportedFileError(f"{name}: {exc}") from exc
            bronze = _Bronze()
            if kind == "item_bank":
                count = _parse_bank(data, name, ctx, rows, bronze, result.quarantine)
                entity = "item_banks"
            else:
                count = _parse_page(data, name, kind, ctx, rows, bronze, result.quarantine)
                entity = "pages"
            result.files.append(count)
            table = bronze.to_arrow(name)
            if entity in result.bronze:
                table = pa.concat_tables([result.bronze[entity], table])
            result.bronze[entity] = table
        result.silver = rows.to_arrow()
        return result


# ---------------------------------------------------------------------------------------------
# Pages


def _decode(data: bytes) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise _RecordError(
            Reason.BAD_ENCODING, f"not UTF-8: {exc.reason} at byte {exc.start}"
        ) from exc


def _front_matter(text: str) -> tuple[dict[str, str], str]:
    """(keys, body) of a Markdown file; keys empty when there is no front matter block."""
    lines = text.split("\n")
    if not lines or lines[0].strip() != "---":
        return {}, text
    keys: dict[str, str] = {}
    for i, raw in enumerate(lines[1:], start=1):
        line = raw.rstrip("\r")
        if line.strip() in ("---", "..."):
            return keys, "\n".join(lines[i + 1 :])
        m = _FRONT_MATTER_LINE.match(line)
        if not m:
            continue  # comments, blank lines, nested YAML we do not use
        key, value = m[1].lower(), m[2].strip()
        if value[:1] in ("'", '"'):
            end = value.find(value[0], 1)
            value = value[1:end] if end > 0 else value[1:]
        else:
            value = re.split(r"\s+#", value, maxsplit=1)[0].strip()
        keys.setdefault(key, value)
    raise _RecordError(Reason.SPEC_VIOLATION, "front matter block is not closed by a '---' line")


def _page_fields(text: str, kind: str) -> tuple[dict[str, str], str, str | None]:
    """(keys, readable body text, fallback title) of a page."""
    if kind == "markdown":
        keys, body = _front_matter(text)
        heading = _FIRST_HEADING.search(body)
        return keys, markdown_to_text(body), heading[1] if heading else None
    body_text, meta, title = parse_html(text)
    keys = {k[len(META_PREFIX) :]: v for k, v in meta.items() if k.startswith(META_PREFIX)}
    return keys, body_text, title


def _parse_page(
    data: bytes,
    name: str,
    kind: str,
    ctx: ParseContext,
    rows: _Rows,
    bronze: _Bronze,
    q: QuarantineBuilder,
) -> FileCount:
    try:
        if len(data) > MAX_RECORD_BYTES:
            bronze.add(1, data[:MAX_RECORD_BYTES].decode("utf-8", "replace"))
            raise _RecordError(
                Reason.RECORD_TOO_LARGE, f"page of {len(data)} bytes exceeds the limit"
            )
        text = data.decode("utf-8", "replace")
        bronze.add(1, _text(text))
        text = _decode(data)
        keys, body_text, fallback_title = _page_fields(text, kind)
        content_id = _ident(keys.get("content_id"), "content_id")
        class_id = _ident(keys.get("class_id"), "class_id")
        title = _opt_text(keys.get("title"), "title") or fallback_title
        module = _opt_text(keys.get("module"), "module")
        week = _week(keys.get("week"), "week")
        week_to = _week(keys.get("week_to"), "week_to")
        url = _opt_text(keys.get("url"), "url")
        content_type = (_opt_text(keys.get("content_type"), "content_type") or "page").lower()
        if content_type not in CONTENT_TYPES:
            raise _RecordError(
                Reason.INVALID_VALUE,
                f"content_type must be one of {'/'.join(CONTENT_TYPES)}: {content_type[:40]!r}",
            )
        if week is not None and week_to is not None and week_to < week:
            raise _RecordError(Reason.INVALID_VALUE, "week_to is before week")
        if class_id not in ctx.known_ids("classes", "class_id"):
            raise _RecordError(Reason.UNKNOWN_CLASS, f"unknown class_id: {class_id}")
    except _RecordError as rej:
        q.add(name, 1, rej.code, rej.reason, data)
        return FileCount(name, 1, 0, 1)
    source_format = "markdown" if kind == "markdown" else "html"
    common = {"content_id": content_id, "class_id": class_id, "title": title, "module": module}
    rows.add(
        "content_items",
        {
            **common,
            "source": SOURCE,
            "content_type": content_type,
            "week": week,
            "week_to": week_to,
            "url": url,
        },
    )
    rows.add(
        "content_pages",
        {
            **common,
            "week": week,
            "source_format": source_format,
            "body_text": body_text,
            "word_count": word_count(body_text),
        },
    )
    return FileCount(name, 1, 1, 0)


# ---------------------------------------------------------------------------------------------
# Item banks


def _load_bank(data: bytes) -> dict[str, Any]:
    if len(data) > MAX_BANK_BYTES:
        raise _RecordError(
            Reason.RECORD_TOO_LARGE, f"item bank of {len(data)} bytes exceeds the limit"
        )
    text = _decode(data)
    try:
        bank = json.loads(text)
    except (ValueError, RecursionError) as exc:
        raise _RecordError(Reason.MALFORMED_JSON, f"not valid JSON: {str(exc)[:200]}") from exc
    if not isinstance(bank, dict):
        raise _RecordError(
            Reason.SPEC_VIOLATION, f"an item bank is a JSON object, not {type(bank)}"
        )
    if not isinstance(bank.get("items"), list):
        raise _RecordError(Reason.SPEC_VIOLATION, "an item bank needs an 'items' list")
    return bank


@dataclass
class _Header:
    class_id: str
    quiz_id: str
    skills: dict[str, dict[str, Any]]


def _check_header(bank: dict[str, Any], ctx: ParseContext) -> tuple[_Header, dict[str, Any]]:
    """The validated bank header and its ``content_items`` row."""
    if bank.get("schema") != BANK_SCHEMA:
        raise _RecordError(
            Reason.SPEC_VIOLATION,
            f"schema must be {BANK_SCHEMA!r}, got {_dumps(bank.get('schema'))[:80]}",
        )
    class_id = _ident(bank.get("class_id"), "class_id")
    quiz_id = _ident(bank.get("quiz_id"), "quiz_id")
    assert class_id is not None and quiz_id is not None
    title = _opt_text(bank.get("title"), "title")
    module = _opt_text(bank.get("module"), "module")
    week = _week(bank.get("week"), "week")
    raw_skills = bank.get("skills", [])
    if raw_skills is None:
        raw_skills = []
    if not isinstance(raw_skills, list):
        raise _RecordError(Reason.SPEC_VIOLATION, "skills must be a list")
    skills: dict[str, dict[str, Any]] = {}
    for i, s in enumerate(raw_skills, start=1):
        if not isinstance(s, dict):
            raise _RecordError(Reason.SPEC_VIOLATION, f"skills[{i}] is not an object")
        skill_id = _ident(s.get("skill_id"), f"skills[{i}].skill_id")
        assert skill_id is not None
        skills[skill_id] = {
            "skill_id": skill_id,
            "name": _opt_text(s.get("name"), f"skills[{i}].name"),
            "description": _opt_text(s.get("description"), f"skills[{i}].description"),
            "class_id": class_id,
        }
    if class_id not in ctx.known_ids("classes", "class_id"):
        raise _RecordError(Reason.UNKNOWN_CLASS, f"unknown class_id: {class_id}")
    quiz = {
        "content_id": quiz_id,
        "class_id": class_id,
        "source": SOURCE,
        "content_type": "quiz",
        "title": title,
        "module": module,
        "week": week,
    }
    return _Header(class_id, quiz_id, skills), quiz


def _str_list(value: object, what: str) -> list[str]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise _RecordError(Reason.WRONG_TYPE, f"{what} must be a list")
    out = []
    for v in value:
        if isinstance(v, bool) or not isinstance(v, str | int):
            raise _RecordError(Reason.WRONG_TYPE, f"{what} must hold strings")
        out.append(_text(str(v).strip()))
    return out


def _check_item(item: object, header: _Header, known_skills: set[str]) -> dict[str, Any]:
    """One validated ``items`` row (without ``position``)."""
    if not isinstance(item, dict):
        raise _RecordError(
            Reason.SPEC_VIOLATION, f"an item is a JSON object, not {type(item).__name__}"
        )
    item_id = _ident(item.get("item_id"), "item_id")
    stem = item.get("stem")
    if stem is None or (isinstance(stem, str) and not stem.strip()):
        raise _RecordError(Reason.MISSING_FIELD, "stem is required")
    if not isinstance(stem, str):
        raise _RecordError(Reason.WRONG_TYPE, "stem must be a string")
    item_type = item.get("item_type")
    if item_type is None:
        raise _RecordError(Reason.MISSING_FIELD, "item_type is required")
    if item_type not in ITEM_TYPES:
        raise _RecordError(
            Reason.INVALID_VALUE,
            f"item_type must be one of {'/'.join(ITEM_TYPES)}: {_dumps(item_type)[:40]}",
        )
    options = item.get("options") or []
    if not isinstance(options, list):
        raise _RecordError(Reason.WRONG_TYPE, "options must be a list")
    option_ids: list[str] = []
    option_texts: list[str | None] = []
    for i, o in enumerate(options, start=1):
        if not isinstance(o, dict):
            raise _RecordError(Reason.SPEC_VIOLATION, f"options[{i}] is not an object")
        oid = _ident(o.get("option_id"), f"options[{i}].option_id")
        assert oid is not None
        if oid in option_ids:
            raise _RecordError(Reason.INVALID_VALUE, f"option_id {oid!r} appears twice")
        option_ids.append(oid)
        option_texts.append(_opt_text(o.get("text"), f"options[{i}].text"))
    if item_type in CHOICE_TYPES:
        if not option_ids:
            raise _RecordError(Reason.MISSING_FIELD, f"a {item_type} item needs options")
        correct = _str_list(item.get("correct_option_ids"), "correct_option_ids")
        if not correct:
            raise _RecordError(Reason.MISSING_FIELD, "correct_option_ids is required")
        unknown = [c for c in correct if c not in option_ids]
        if unknown:
            raise _RecordError(
                Reason.UNKNOWN_REFERENCE, f"answer key names no option: {unknown[:5]}"
            )
        if item_type != "multiple_response" and len(set(correct)) > 1:
            raise _RecordError(Reason.INVALID_VALUE, f"a {item_type} item has one correct option")
    else:
        # short_answer: the accepted responses take the answer key's place.
        correct = _str_list(item.get("correct_responses"), "correct_responses")
        if not correct:
            raise _RecordError(Reason.MISSING_FIELD, "a short_answer item needs correct_responses")
    skill_ids = _str_list(item.get("skill_ids"), "skill_ids")
    undeclared = [s for s in skill_ids if s not in header.skills and s not in known_skills]
    if undeclared:
        raise _RecordError(Reason.UNKNOWN_REFERENCE, f"skill(s) not declared: {undeclared[:5]}")
    max_score = item.get("max_score", 1)
    if max_score is None:
        max_score = 1
    if isinstance(max_score, bool) or not isinstance(max_score, int | float):
        raise _RecordError(Reason.WRONG_TYPE, "max_score must be a number")
    if not math.isfinite(max_score) or max_score <= 0:
        raise _RecordError(Reason.INVALID_VALUE, "max_score must be a finite number > 0")
    return {
        "item_id": item_id,
        "quiz_id": header.quiz_id,
        "class_id": header.class_id,
        "item_type": item_type,
        "stem": _text(stem.strip()),
        "option_ids": option_ids,
        "option_texts": option_texts,
        "correct_option_ids": correct,
        "skill_ids": skill_ids,
        "max_score": float(max_score),
    }


def _parse_bank(
    data: bytes,
    name: str,
    ctx: ParseContext,
    rows: _Rows,
    bronze: _Bronze,
    q: QuarantineBuilder,
) -> FileCount:
    try:
        bank = _load_bank(data)
    except _RecordError as rej:
        bronze.add(1, data[:MAX_RECORD_BYTES].decode("utf-8", "replace"))
        q.add(name, 1, rej.code, rej.reason, data)
        return FileCount(name, 1, 0, 1)
    items: list[object] = bank["items"]
    header_raw = _dumps({k: v for k, v in bank.items() if k != "items"})
    item_raws = [_dumps(item) for item in items]
    bronze.add(1, header_raw)
    for i, raw in enumerate(item_raws, start=2):
        bronze.add(i, raw)
    rows_in = 1 + len(items)
    try:
        header, quiz = _check_header(bank, ctx)
    except _RecordError as rej:
        q.add(name, 1, rej.code, rej.reason, header_raw)
        for i, raw in enumerate(item_raws, start=2):
            q.add(name, i, rej.code, f"bank header rejected: {rej.reason}", raw)
        return FileCount(name, rows_in, 0, rows_in)
    rows.add("content_items", quiz)
    for skill in header.skills.values():
        rows.add("skills", skill)
    known_skills = ctx.known_ids("skills", "skill_id")
    seen: dict[str, int] = {}
    kept = 1
    for position, (item, raw) in enumerate(zip(items, item_raws, strict=True), start=1):
        line = position + 1
        try:
            row = _check_item(item, header, known_skills)
            if row["item_id"] in seen:
                raise _RecordError(
                    Reason.DUPLICATE_RECORD,
                    f"item_id {row['item_id']!r} already at position {seen[row['item_id']]}",
                )
        except _RecordError as rej:
            q.add(name, line, rej.code, rej.reason, raw)
            continue
        seen[row["item_id"]] = position
        rows.add("items", {**row, "position": position})
        kept += 1
    return FileCount(name, rows_in, kept, rows_in - kept)


PARSER = ContentParser()
