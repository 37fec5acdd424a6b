"""IMS Caliper 1.2 envelopes from the demo school's second tool (an e-reader with a media player):
one envelope per line, one reading or viewing session per envelope.

Sessions on a page send a NavigationEvent and a ViewEvent; on a resource one ViewEvent; on a video
a MediaEvent ``Started`` and one ``Ended`` or ``Paused``. Injected bad records touch only
one-event envelopes, so each bad line is exactly one bad event.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import orjson

from lake.demo._io import iso_array, uuids
from lake.demo.bad import CALIPER_RATES, Bad, Tally, pick_bad_rows
from lake.demo.content import BASE_URL, Catalog, content_url
from lake.demo.simulate import DayActivity, Kind

CONTEXT = "http://purl.imsglobal.org/ctx/caliper/v1p2"
SENSOR = "https://reader.demo.learnsmart.example/sensors/1"
ED_APP = {
    "id": "https://reader.demo.learnsmart.example",
    "type": "SoftwareApplication",
    "name": "LearnSmart Reader",
}


def write_caliper_day(
    rng: np.random.Generator,
    day: DayActivity,
    catalog: Catalog,
    student_ids: list[str],
    path: Path,
    unknown_class: str,
    tally: Tally,
) -> tuple[int, int, int]:
    """Write one day's envelopes to ``path``; returns (lines, events, bytes written)."""
    acts = np.flatnonzero(day.kind == Kind.CALIPER)
    n = acts.size
    if n == 0:
        return 0, 0, 0
    event_ids = uuids(rng, 2 * n).to_list() if n else []
    session_ids = uuids(rng, n).to_list() if n else []
    single = np.flatnonzero(day.slot[acts] == 1)
    bad = pick_bad_rows(rng, single, CALIPER_RATES)
    start_all = day.start_ms[acts]
    dur_all = day.duration_s[acts].astype(np.int64)
    length_all = catalog.video_length_s[day.cls[acts], day.module[acts]]
    watched_all = np.minimum(length_all, dur_all)
    t_start = iso_array(start_all)
    t_view = iso_array(start_all + 1500)
    t_watched = iso_array(start_all + watched_all * 1000)
    t_send = iso_array(start_all + dur_all * 1000 + 2000)
    out: list[bytes] = []
    events = 0
    for j, a in enumerate(acts.tolist()):
        sid = student_ids[int(day.stu[a])]
        c, m, target = int(day.cls[a]), int(day.module[a]), int(day.slot[a])
        spec, class_id = catalog.classes[c], catalog.class_ids[c]
        start = int(day.start_ms[a])
        actor = {"id": f"{BASE_URL}/users/{sid}", "type": "Person"}
        group = {
            "id": f"{BASE_URL}/classes/{class_id}",
            "type": "CourseSection",
            "courseNumber": spec.course_code,
        }
        common = {
            "actor": actor,
            "edApp": ED_APP,
            "group": group,
            "membership": {
                "id": f"{BASE_URL}/classes/{class_id}/members/{sid}",
                "type": "Membership",
                "member": actor["id"],
                "organization": group["id"],
                "roles": ["Learner"],
                "status": "Active",
            },
            "session": {"id": f"urn:uuid:{session_ids[j]}", "type": "Session"},
        }

        if target == 0:
            page = int(start % 2)
            cid = str(catalog.page_ids[c, m, page])
            name = str(catalog.page_titles[c, m, page])
            obj = {"id": content_url(cid), "type": "WebPage", "name": name}
            data = [
                _event(
                    event_ids[2 * j],
                    common,
                    "NavigationEvent",
                    "ReadingProfile",
                    "NavigatedTo",
                    obj,
                    t_start[j],
                ),
                _event(
                    event_ids[2 * j + 1],
                    common,
                    "ViewEvent",
                    "ReadingProfile",
                    "Viewed",
                    obj,
                    t_view[j],
                ),
            ]
        elif target == 1:
            cid = str(catalog.resource_ids[c, m])
            name = spec.modules[m].resource.title
            obj = {"id": content_url(cid), "type": "Document", "name": name}
            data = [
                _event(
                    event_ids[2 * j],
                    common,
                    "ViewEvent",
                    "ReadingProfile",
                    "Viewed",
                    obj,
                    t_start[j],
                )
            ]
        else:
            cid = str(catalog.video_ids[c, m])
            length, watched = int(length_all[j]), int(watched_all[j])
            obj = {
                "id": content_url(cid),
                "type": "VideoObject",
                "name": spec.modules[m].video.title,
                "duration": f"PT{length}S",
            }
            end_action = "Ended" if watched >= length else "Paused"
            started = {"id": f"{obj['id']}#t=0", "type": "MediaLocation", "currentTime": "PT0S"}
            stopped = {
                "id": f"{obj['id']}#t={watched}",
                "type": "MediaLocation",
                "currentTime": f"PT{watched}S",
            }
            media = ("MediaEvent", "MediaProfile")
            data = [
                _event(event_ids[2 * j], common, *media, "Started", obj, t_start[j],
                       target=started),
                _event(
                    event_ids[2 * j + 1], common, *media, end_action, obj, t_watched[j],
                    target=stopped,
                ),
            ]  # fmt: skip
        envelope = {
            "sensor": SENSOR,
            "sendTime": t_send[j],
            "dataVersion": CONTEXT,
            "data": data,
        }
        events += len(data)
        kind = bad.get(j)
        line = _dump(envelope, kind, unknown_class)
        if kind is not None:
            tally.add("caliper", kind)
        out.append(line)
    path.parent.mkdir(parents=True, exist_ok=True)
    payload = b"".join(out)
    path.write_bytes(payload)
    return len(out), events, len(payload)


def _event(
    event_id: str,
    common: dict[str, object],
    etype: str,
    profile: str,
    action: str,
    obj: dict[str, object],
    when: str,
    **extra: object,
) -> dict[str, object]:
    return {
        "@context": CONTEXT,
        "id": f"urn:uuid:{event_id}",
        "type": etype,
        "profile": profile,
        "action": action,
        "object": obj,
        "eventTime": when,
        **common,
        **extra,
    }


def _dump(envelope: dict, kind: Bad | None, unknown_class: str) -> bytes:
    if kind is Bad.FUTURE_TIMESTAMP:
        ev = envelope["data"][0]
        ev["eventTime"] = "2099" + ev["eventTime"][4:]
    elif kind is Bad.UNKNOWN_CLASS:
        ev = envelope["data"][0]
        gid = f"{BASE_URL}/classes/{unknown_class}"
        ev["group"] = {**ev["group"], "id": gid}
        ev["membership"] = {**ev["membership"], "organization": gid}
    text = orjson.dumps(envelope)
    if kind is Bad.MALFORMED_JSON:
        return text[: len(text) // 2] + b"\n"
    return text + b"\n"
