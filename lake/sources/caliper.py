"""IMS Caliper 1.2 (and 1.1) envelopes: ``{"sensor", "sendTime", "dataVersion", "data": [...]}``,
one per line (``.jsonl``/``.ndjson``) or a ``.json`` file holding one envelope or an array of them.
A bare event or entity, or an array of bare events, is read as a degenerate envelope holding them.
Any file may be gzip-compressed.

One record is one item of an envelope's ``data``. Records are numbered 1, 2, ... through the file
(the ``line`` of bronze and quarantine rows; the reason names the physical line and position).
An envelope that cannot be read at all (bad JSON, no ``data``) is one record. Data items that are
entities (a ``type`` not ending in ``Event``) describe things events refer to: they count as kept
and go to bronze, but produce no learning event.

Rules: ``@context`` (a Caliper context IRI), ``id`` (``urn:uuid:``), ``type`` (a Caliper event
type), ``actor``, ``action`` (allowed for the type: e.g. NavigatedTo for NavigationEvent;
Started, Paused, Resumed, Ended, JumpedTo, ... for MediaEvent; the generic ``Event`` takes any
Caliper action), ``object`` and ``eventTime`` (ISO 8601 in UTC with ``Z``) are required; envelopes
need ``sensor``, ``sendTime`` and ``dataVersion``. A class-like ``group`` that is not a known
class -> ``unknown_class``; an event id repeated in the file -> ``duplicate_record``.

Mapping: ``event_id`` is the event's UUID, ``verb`` the lowercased action, ``object_type`` the
object's type, the class the ``group`` (its IRI, else its URL-decoded last path segment, if a
known class), ``content_id`` as for xAPI. The student is the Person actor (for a GradeEvent by a
grader, the Attempt's assignee): looked up as the IRI's last segment under ``sourced_id`` and
``username``, then as the full IRI under ``caliper``; new students are identified by
``("caliper", IRI)``. A MediaEvent's target MediaLocation ``currentTime`` gives
``video_time_s``; a graded Score ``scoreGiven / maxScore`` gives ``score_scaled``; a generated
Attempt's ``duration`` gives ``duration_s``; ``extensions`` is the event's extensions as JSON.
Volume is far below xAPI's, so records are checked one by one in Python, for clarity.
"""

from __future__ import annotations

import functools
import json
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, ClassVar
from urllib.parse import unquote

import orjson
import pyarrow as pa
import pyarrow.compute as pc

from lake.quarantine import QuarantineBuilder, Reason
from lake.sources.base import (
    FileCount,
    LoadUnit,
    ParseContext,
    ParseResult,
    UnitMap,
    UnsupportedFileError,
    discover_files,
)
from lake.sources.common import FileReadError, read_bytes
from lake.sources.xapi_lines import read_lines_fast

SOURCE = "caliper"
CONTEXTS = (
    "http://purl.imsglobal.org/ctx/caliper/v1p1",
    "http://purl.imsglobal.org/ctx/caliper/v1p2",
)
FUTURE_TOLERANCE = timedelta(minutes=5)
CLASS_TYPES = ("CourseSection", "CourseOffering")


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


# Caliper 1.2 action vocabulary; the generic Event may carry any of these.
ACTIONS = _words(
    """Abandoned Accepted Activated Added Archived Attached Bookmarked ChangedResolution
    ChangedSize ChangedSpeed ChangedVolume Classified ClosedPopout Commented Completed Copied
    Created Deactivated Declined Deleted Described DisabledClosedCaptioning Disliked Downloaded
    EnabledClosedCaptioning Ended EnteredFullScreen ExitedFullScreen ForwardedTo Graded Hid
    Highlighted Identified JumpedTo Launched Liked Linked LoggedIn LoggedOut MarkedAsRead
    MarkedAsUnread Modified Muted NavigatedTo OpenedPopout OptedIn OptedOut Paused Posted
    Printed Published Questioned Ranked Recommended Removed Reset Restarted Restored Resumed
    Retrieved Returned Reviewed Rewound Saved Searched Sent Shared Showed Skipped Started
    Submitted Subscribed Tagged TimedOut Unmuted Unpublished Unsubscribed Uploaded Used
    Viewed"""
)
EVENT_ACTIONS: dict[str, frozenset[str]] = {
    "Event": ACTIONS,
    "AnnotationEvent": _words("Bookmarked Highlighted Shared Tagged"),
    "AssessmentEvent": _words("Started Paused Resumed Restarted Reset Submitted"),
    "AssessmentItemEvent": _words("Started Skipped Completed Viewed Reviewed"),
    "AssignableEvent": _words("Activated Deactivated Started Completed Submitted Reviewed"),
    "FeedbackEvent": _words("Commented Ranked"),
    "ForumEvent": _words("Subscribed Unsubscribed"),
    "GradeEvent": _words("Graded"),
    "MediaEvent": _words(
        """Started Ended Paused Resumed Restarted ForwardedTo JumpedTo ChangedResolution
        ChangedSize ChangedSpeed ChangedVolume EnabledClosedCaptioning DisabledClosedCaptioning
        EnteredFullScreen ExitedFullScreen Muted Unmuted OpenedPopout ClosedPopout"""
    ),
    "MessageEvent": _words("Posted MarkedAsRead MarkedAsUnread"),
    "NavigationEvent": _words("NavigatedTo"),
    "QuestionnaireEvent": _words("Started Submitted"),
    "QuestionnaireItemEvent": _words("Started Skipped Completed"),
    "ResourceManagementEvent": _words(
        """Archived Copied Created Deleted Described Downloaded Modified Printed Published
        Restored Retrieved Saved Unpublished Uploaded"""
    ),
    "SearchEvent": _words("Searched"),
    "SessionEvent": _words("LoggedIn LoggedOut TimedOut"),
    "SurveyEvent": _words("OptedIn OptedOut"),
    "SurveyInvitationEvent": _words("Accepted Declined Sent"),
    "ThreadEvent": _words("MarkedAsRead MarkedAsUnread"),
    "ToolLaunchEvent": _words("Launched Returned"),
    "ToolUseEvent": _words("Used"),
    "ViewEvent": _words("Viewed"),
}
_URN_UUID = re.compile(
    r"^urn:uuid:([0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12})$"
)
_EVENT_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:?\d{2})?$")
_DURATION = re.compile(
    r"^P(?:(\d+(?:\.\d+)?)Y)?(?:(\d+(?:\.\d+)?)M)?(?:(\d+(?:\.\d+)?)W)?(?:(\d+(?:\.\d+)?)D)?"
    r"(?:T(?:(\d+(?:\.\d+)?)H)?(?:(\d+(?:\.\d+)?)M)?(?:(\d+(?:\.\d+)?)S)?)?$"
)
_DURATION_SECONDS = (365 * 86400, 30 * 86400, 7 * 86400, 86400, 3600, 60, 1)
_CLASS_IRI = re.compile(r"/(course|courses|class|classes|sections?)/")


class RejectError(ValueError):
    """A record that breaks a rule: its reason code and text."""

    def __init__(self, code: Reason, reason: str) -> None:
        super().__init__(reason)
        self.code = code
        self.reason = reason


def duration_seconds(value: object) -> float | None:
    """Seconds of an ISO 8601 duration (a year is 365 days, a month 30), None if not one."""
    if not isinstance(value, str) or value in ("P", "PT") or value.endswith("T"):
        return None
    m = _DURATION.match(value)
    if not m:
        return None
    return sum(float(g) * s for g, s in zip(m.groups(), _DURATION_SECONDS, strict=True) if g)


def parse_event_time(value: object, now: datetime) -> datetime:
    """``eventTime`` as an aware UTC datetime; raises ``RejectError`` when it breaks the rules."""
    if not isinstance(value, str) or not _EVENT_TIME.match(value):
        raise RejectError(
            Reason.INVALID_TIMESTAMP, f"eventTime is not ISO 8601: {str(value)[:60]!r}"
        )
    if not value.endswith(("Z", "+00:00", "+0000")):
        zoned = re.search(r"[+-]\d{2}:?\d{2}$", value)
        problem = "is not UTC (Caliper requires Z)" if zoned else "has no time zone"
        raise RejectError(Reason.INVALID_TIMESTAMP, f"eventTime {value[:60]!r} {problem}")
    try:
        ts = datetime.fromisoformat(value.replace("Z", "+00:00")).astimezone(UTC)
    except ValueError as exc:
        raise RejectError(Reason.INVALID_TIMESTAMP, f"eventTime {value[:60]!r}: {exc}") from exc
    if ts > now + FUTURE_TOLERANCE:
        raise RejectError(
            Reason.FUTURE_TIMESTAMP, f"eventTime {value} is in the future of the load"
        )
    return ts


@functools.lru_cache(maxsize=1 << 16)
def _last_segment(iri: str) -> str:
    """The IRI's last path segment, URL-decoded (cached: the same actors, objects and groups
    recur on every event)."""
    seg = re.sub(r"[?#].*$", "", iri).rstrip("/").rsplit("/", 1)[-1]
    return unquote(seg)


def _node_id(node: object) -> str | None:
    """The id of an entity given inline (``{"id": ...}``) or by reference (a bare IRI)."""
    if isinstance(node, str):
        return node
    if isinstance(node, dict) and isinstance(node.get("id"), str):
        return node["id"]
    return None


def _node_type(node: object, described: dict[str, str]) -> str | None:
    if isinstance(node, dict) and isinstance(node.get("type"), str):
        return node["type"]
    nid = _node_id(node)
    return described.get(nid) if nid else None


@dataclass
class _Item:
    """One record: its number, where it came from, the item, its envelope, its JSON text and
    its bronze text (the envelope holding just this item; the item's text when bare)."""

    line: int
    where: str
    item: Any
    envelope: dict[str, Any] | None
    raw: str | bytes
    bronze: bytes


@dataclass
class _FileRecords:
    items: list[_Item] = field(default_factory=list)
    rows_in: int = 0
    quarantined: int = 0


def _json_bytes(value: object) -> bytes:
    """``value`` as compact JSON, UTF-8."""
    try:
        return orjson.dumps(value)
    except TypeError:  # integers beyond 64 bits or lone surrogates, read by the standard library
        return json.dumps(value).encode()


def _dumps(value: object) -> str:
    return _json_bytes(value).decode()


def _loads(data: bytes | str) -> Any:
    try:
        return orjson.loads(data)
    except orjson.JSONDecodeError:
        return json.loads(data)  # integers beyond 64 bits; raises ValueError otherwise


def _is_envelope(value: object) -> bool:
    return isinstance(value, dict) and "data" in value and "type" not in value


def _read(path: Path, name: str, q: QuarantineBuilder) -> _FileRecords:
    """Every record of one file, numbered; unreadable envelopes are quarantined as one record."""
    lower = name.lower().removesuffix(".gz")
    suffix = Path(lower).suffix
    if suffix not in (".json", ".jsonl", ".ndjson"):
        raise UnsupportedFileError(f"{name}: Caliper files are .json, .jsonl or .ndjson (or .gz)")
    out = _FileRecords()
    counter = [0]

    def reject(where: str, code: Reason, reason: str, raw: str | bytes) -> None:
        counter[0] += 1
        out.rows_in += 1
        out.quarantined += 1
        q.add(name, counter[0], code, f"{where}: {reason}", raw)

    def take(where: str, doc: Any, raw: str | bytes) -> None:
        if _is_envelope(doc):
            env = {k: v for k, v in doc.items() if k != "data"}
            data = doc["data"]
            if not isinstance(data, list) or not data:
                reject(where, Reason.MISSING_FIELD, "envelope data must be a non-empty array", raw)
                return
            # The bronze text of each item is {**env, "data": [item]}, spliced from the envelope's
            # text (written once) and the item's (written once, also its quarantine text).
            head = _json_bytes(env)[:-1] + (b"," if env else b"") + b'"data":['
            for i, item in enumerate(data):
                counter[0] += 1
                out.rows_in += 1
                text = _json_bytes(item)
                out.items.append(
                    _Item(counter[0], f"{where}, data[{i}]", item, env, text, head + text + b"]}")
                )
        else:
            counter[0] += 1
            out.rows_in += 1
            bronze = raw.encode() if isinstance(raw, str) else raw
            out.items.append(_Item(counter[0], where, doc, None, raw, bronze))

    try:
        if suffix in (".jsonl", ".ndjson"):
            lines = read_lines_fast(path, name, q)
            counter[0] += lines.quarantined
            out.rows_in += lines.quarantined
            out.quarantined += lines.quarantined
            for line, text in zip(
                lines.table.column("_line").to_pylist(),
                lines.table.column("text").to_pylist(),
                strict=True,
            ):
                try:
                    doc = _loads(text)
                except (ValueError, RecursionError) as exc:
                    reject(f"line {line}", Reason.MALFORMED_JSON, f"not valid JSON: {exc}", text)
                    continue
                take(f"line {line}", doc, text)
            return out
        data = read_bytes(path)
    except FileReadError as exc:
        raise UnsupportedFileError(f"{name}: {exc}") from exc
    if not data.strip():
        return out
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        reject("document", Reason.BAD_ENCODING, f"not UTF-8: {exc.reason} at {exc.start}", data)
        return out
    try:
        doc = _loads(text)
    except (ValueError, RecursionError) as exc:
        reject("document", Reason.MALFORMED_JSON, f"not valid JSON: {exc}", text)
        return out
    if isinstance(doc, list):
        for i, element in enumerate(doc):
            take(f"[{i}]", element, _json_bytes(element))
    else:
        take("document", doc, text)
    return out


class CaliperParser:
    """Caliper envelopes from ``landing/caliper/`` into learning_events."""

    source: ClassVar[str] = SOURCE

    def discover(self, landing: Path) -> list[LoadUnit]:
        """One unit per file under ``landing/caliper/``."""
        return discover_files(landing, SOURCE)

    def parse(self, unit: LoadUnit, ctx: ParseContext) -> ParseResult:
        """Parse every file of the unit; bad records go to quarantine, never raise."""
        result = self.reduce_units(
            [unit], [self.map_unit(unit, self.map_inputs(ctx), ctx.now)], ctx
        )
        return result[0]  # type: ignore[return-value]

    def map_inputs(self, ctx: ParseContext) -> tuple[frozenset[str], frozenset[str]]:
        """What ``map_unit`` needs from the lake: the known class and content ids."""
        return (
            frozenset(ctx.known_ids("classes", "class_id")),
            frozenset(ctx.known_ids("content_items", "content_id")),
        )

    def map_unit(
        self, unit: LoadUnit, known: tuple[frozenset[str], frozenset[str]], now: datetime
    ) -> UnitMap:
        """The per-record half of a parse (a Spark task may run it): every event of the unit
        validated and mapped, bronze, quarantine and counts final; the kept events (``kept``,
        with the actor's IRI in ``_actor``) wait for ``reduce_units`` to name their students."""
        classes, content = known
        quarantine = QuarantineBuilder()
        bronze: dict[str, list[Any]] = {"_source_file": [], "_line": [], "record": []}
        events: list[dict[str, Any]] = []
        files: list[FileCount] = []
        for path in unit.files:
            name = unit.member_name(path)
            records = _read(path, name, quarantine)
            described = {
                str(r.item["id"]): str(r.item["type"])
                for r in records.items
                if isinstance(r.item, dict)
                and isinstance(r.item.get("id"), str)
                and isinstance(r.item.get("type"), str)
            }
            seen: dict[str, int] = {}
            rejected = 0
            for rec in records.items:
                bronze["_source_file"].append(name)
                bronze["_line"].append(rec.line)
                bronze["record"].append(rec.bronze)
                try:
                    row = _event_row(rec, now, described, classes, content)
                    if row is not None:
                        first = seen.setdefault(row["event_id"], rec.line)
                        if first != rec.line:
                            raise RejectError(
                                Reason.DUPLICATE_RECORD,
                                f"event id {row['event_id']} repeats record {first}",
                            )
                except RejectError as rej:
                    quarantine.add(name, rec.line, rej.code, f"{rec.where}: {rej.reason}", rec.raw)
                    rejected += 1
                    continue
                if row is not None:
                    events.append(row)
            quarantined = records.quarantined + rejected
            files.append(
                FileCount(name, records.rows_in, records.rows_in - quarantined, quarantined)
            )
        return UnitMap(
            bronze={
                "events": pa.table(
                    {
                        "_source_file": pa.array(bronze["_source_file"], pa.string()),
                        "_line": pa.array(bronze["_line"], pa.int64()),
                        # from bytes: a str list is encoded item by item (seconds on 1M)
                        "record": pa.array(bronze["record"], pa.binary()).cast(pa.string()),
                    }
                )
            },
            quarantine=quarantine,
            files=files,
            kept=_events_table(events),
        )

    def reduce_units(
        self, units: list[LoadUnit], maps: list[UnitMap | None], ctx: ParseContext
    ) -> list[ParseResult | None]:
        """Name the students of every unit's kept events, unit after unit as if each were
        loaded after the ones before it: an actor new to the lake becomes a student once, in
        the first unit that has it. A unit without a map gets ``None``."""
        results: list[ParseResult | None] = []
        created: set[str] = set()
        for m in maps:
            if m is None:
                results.append(None)
                continue
            result = m.result()
            if m.kept.num_rows:
                self._add_silver(result, ctx, m.kept, created)
            results.append(result)
        return results

    def _add_silver(
        self,
        result: ParseResult,
        ctx: ParseContext,
        kept: pa.Table,
        created: set[str],
    ) -> None:
        mapping, identity, students = resolve_actors(ctx, kept)
        # Actors an earlier unit of the batch made students of: theirs already.
        fresh = pc.invert(
            pc.is_in(identity.column("identifier"), pa.array(sorted(created), pa.string()))
        )
        identity, students = identity.filter(fresh), students.filter(fresh)
        created.update(identity.column("identifier").to_pylist())
        student_ids = [mapping.get(a) for a in kept.column("_actor").to_pylist()]
        result.silver["learning_events"] = kept.drop_columns(["_actor"]).append_column(
            "student_id", pa.array(student_ids, pa.string())
        )
        if identity.num_rows:
            result.silver["student_identity"] = identity
            result.silver["students"] = students


def _events_table(events: list[dict[str, Any]]) -> pa.Table:
    """The kept events as a table (rows as ``_event_row`` makes them)."""
    return pa.Table.from_pylist(events) if events else pa.table({})


def resolve_actors(ctx: ParseContext, kept: pa.Table) -> tuple[dict[str, str], pa.Table, pa.Table]:
    """Person IRI -> student_id for the kept events (``_actor``, ``occurred_at``): the IRI's last
    segment as a roster ``sourced_id`` or ``username``, else the IRI under ``caliper`` (new
    students created there, first seen at their earliest event). Returns the mapping, new
    ``student_identity`` rows and matching ``students`` rows."""
    actor = kept.column("_actor").cast(pa.string())  # null-typed when no event has a Person
    first = (
        pa.table({"_actor": actor, "occurred_at": kept.column("occurred_at")})
        .filter(pc.not_equal(actor, ""))  # no null or empty IRI
        .group_by("_actor", use_threads=False)
        .aggregate([("occurred_at", "min")])
    )
    actors = first.column("_actor").to_pylist()
    first_seen = dict(zip(actors, first.column("occurred_at_min").to_pylist(), strict=True))
    known = ctx.identity_map()
    mapping: dict[str, str] = {}
    rest: list[str] = []
    for iri in actors:
        seg = _last_segment(iri)
        sid = known.get(("sourced_id", seg)) or known.get(("username", seg))
        if sid is not None:
            mapping[iri] = sid
        else:
            rest.append(iri)
    found, identity = ctx.resolve_students(rest, ("caliper",), "caliper", SOURCE)
    mapping.update(found)
    new_ids = identity.column("student_id").to_pylist()
    students = pa.table(
        {
            "student_id": pa.array(new_ids, pa.string()),
            "source": pa.array([SOURCE] * len(new_ids), pa.string()),
            "first_seen_at": pa.array(
                [first_seen[i] for i in identity.column("identifier").to_pylist()],
                pa.timestamp("us", tz="UTC"),
            ),
        }
    )
    return mapping, identity, students


def _require(item: dict[str, Any], key: str) -> Any:
    value = item.get(key)
    if value is None or value == "" or value == {}:
        raise RejectError(Reason.MISSING_FIELD, f"{key} is required")
    return value


def _event_row(
    rec: _Item,
    now: datetime,
    described: dict[str, str],
    classes: set[str],
    content: set[str],
) -> dict[str, Any] | None:
    """The learning_events row of one record (None for an entity); raises ``RejectError``."""
    item = rec.item
    if not isinstance(item, dict):
        raise RejectError(Reason.SPEC_VIOLATION, "a data item must be a JSON object")
    typ = item.get("type")
    if not isinstance(typ, str) or not typ:
        raise RejectError(Reason.MISSING_FIELD, "type is required")
    if rec.envelope is not None:
        missing = [k for k in ("sensor", "sendTime", "dataVersion") if not rec.envelope.get(k)]
        if missing:
            raise RejectError(Reason.SPEC_VIOLATION, f"envelope lacks {', '.join(missing)}")
    if not typ.endswith("Event"):  # a described entity
        if not isinstance(item.get("id"), str) or not item["id"]:
            raise RejectError(Reason.MISSING_FIELD, f"entity {typ} needs an id")
        return None
    allowed = EVENT_ACTIONS.get(typ)
    if allowed is None:
        raise RejectError(Reason.SPEC_VIOLATION, f"unknown Caliper event type {typ[:60]!r}")
    ctx_iri = _require(item, "@context")
    contexts = ctx_iri if isinstance(ctx_iri, list) else [ctx_iri]
    if not any(c in CONTEXTS for c in contexts if isinstance(c, str)):
        raise RejectError(Reason.SPEC_VIOLATION, f"@context {str(ctx_iri)[:80]!r} is not Caliper")
    eid = _require(item, "id")
    m = _URN_UUID.match(eid) if isinstance(eid, str) else None
    if m is None:
        raise RejectError(Reason.SPEC_VIOLATION, f"id must be a urn:uuid: {str(eid)[:60]!r}")
    actor = _require(item, "actor")
    action = _require(item, "action")
    obj = _require(item, "object")
    event_time = _require(item, "eventTime")
    if _node_id(actor) is None:
        raise RejectError(Reason.SPEC_VIOLATION, "actor must be an entity with an id or an IRI")
    if not isinstance(action, str) or action not in allowed:
        raise RejectError(
            Reason.SPEC_VIOLATION, f"action {str(action)[:40]!r} is not allowed for {typ}"
        )
    if _node_id(obj) is None:
        raise RejectError(Reason.SPEC_VIOLATION, "object must be an entity with an id or an IRI")
    occurred = parse_event_time(event_time, now)
    class_id = _class_of(item, obj, described, classes)
    obj_id = _node_id(obj) or ""
    seg = _last_segment(obj_id)
    actor_iri = _student_iri(typ, actor, obj, described)
    target = item.get("target")
    video = None
    if typ == "MediaEvent" and isinstance(target, dict):
        t = target.get("currentTime")
        video = float(t) if isinstance(t, int | float) else duration_seconds(t)
    generated = item.get("generated") if isinstance(item.get("generated"), dict) else {}
    score = None
    given, best = generated.get("scoreGiven"), generated.get("maxScore")
    if isinstance(given, int | float) and isinstance(best, int | float) and best > 0:
        score = float(given) / float(best)
    ext = item.get("extensions")
    return {
        "event_id": m.group(1).lower(),
        "event_date": occurred.date(),
        "occurred_at": occurred,
        "_actor": actor_iri,
        "class_id": class_id,
        "content_id": seg if seg in content else obj_id,
        "verb": action.lower(),
        "object_type": _node_type(obj, described),
        "source": SOURCE,
        "duration_s": duration_seconds(generated.get("duration")),
        "score_scaled": score,
        "is_completion": True if action == "Completed" else None,
        "video_time_s": video,
        "is_voided": False,
        "extensions": _dumps(ext) if ext is not None else None,
    }


def _student_iri(typ: str, actor: Any, obj: Any, described: dict[str, str]) -> str | None:
    """The IRI of the learner the event is about, when that is a Person."""
    if _node_type(actor, described) in ("Person", None):
        return _node_id(actor)
    if typ == "GradeEvent" and isinstance(obj, dict):
        assignee = obj.get("assignee")
        if _node_type(assignee, described) in ("Person", None):
            return _node_id(assignee)
    return None


def _class_of(
    item: dict[str, Any], obj: Any, described: dict[str, str], classes: set[str]
) -> str | None:
    """The class from ``group``; ``unknown_class`` when it names an unknown course section."""
    group = item.get("group")
    gid = _node_id(group)
    if gid:
        for cand in (gid, _last_segment(gid)):
            if cand in classes:
                return cand
        if _node_type(group, described) in CLASS_TYPES or _CLASS_IRI.search(gid):
            raise RejectError(Reason.UNKNOWN_CLASS, f"group {gid[:120]} is not a known class")
    part = obj.get("isPartOf") if isinstance(obj, dict) else None
    pid = _node_id(part)
    if pid:
        for cand in (pid, _last_segment(pid)):
            if cand in classes:
                return cand
    return None


PARSER = CaliperParser()
