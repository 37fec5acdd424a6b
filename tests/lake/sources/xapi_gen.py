"""Synthetic xAPI statements for tests and timing: realistic shape, no real learner data.

``statement`` builds one statement as a dict (tests tweak it); ``write_jsonl`` writes many quickly
from a string template so a million lines take seconds, not minutes.
"""

from __future__ import annotations

import gzip
import random
import uuid
from pathlib import Path
from typing import Any

import orjson

HOME = "https://lms.example.edu"
COURSE_TYPE = "http://adlnet.gov/expapi/activities/course"
ASSESSMENT_TYPE = "http://adlnet.gov/expapi/activities/assessment"
QUESTION_TYPE = "http://adlnet.gov/expapi/activities/cmi.interaction"
VIDEO_TYPE = "https://w3id.org/xapi/video/activity-type/video"
ANSWERED = "http://adlnet.gov/expapi/verbs/answered"
VOIDED = "http://adlnet.gov/expapi/verbs/voided"
VIDEO_TIME = "https://w3id.org/xapi/video/extensions/time"
ATTEMPT_EXT = "https://w3id.org/learnsmart/extensions/attempt-id"


def statement(
    *,
    sid: str | None = None,
    student: str = "stu-1",
    verb: str = "http://adlnet.gov/expapi/verbs/completed",
    object_id: str = f"{HOME}/content/page-1",
    object_type: str = "http://adlnet.gov/expapi/activities/lesson",
    class_iri: str | None = f"{HOME}/classes/class-1",
    timestamp: str | None = "2026-09-01T10:00:00.000Z",
    result: dict[str, Any] | None = None,
    registration: str | None = None,
    parents: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """One valid statement by an account actor; every part can be overridden by the caller."""
    st: dict[str, Any] = {
        "id": sid or str(uuid.uuid4()),
        "actor": {"objectType": "Agent", "account": {"homePage": HOME, "name": student}},
        "verb": {"id": verb, "display": {"en-US": verb.rsplit("/", 1)[-1]}},
        "object": {"objectType": "Activity", "id": object_id, "definition": {"type": object_type}},
        "version": "1.0.3",
    }
    if timestamp is not None:
        st["timestamp"] = timestamp
    acts = list(parents or [])
    if class_iri is not None:
        acts.insert(0, {"id": class_iri, "definition": {"type": COURSE_TYPE}})
    context: dict[str, Any] = {}
    if acts:
        context["contextActivities"] = {"parent": acts}
    if registration:
        context["registration"] = registration
    if context:
        st["context"] = context
    if result is not None:
        st["result"] = result
    return st


def dumps_lines(statements: list[dict[str, Any]]) -> bytes:
    """JSON lines text of ``statements``."""
    return b"".join(orjson.dumps(s) + b"\n" for s in statements)


_TEMPLATE = (
    '{{"id":"{id}","actor":{{"objectType":"Agent","account":{{"homePage":"' + HOME + '",'
    '"name":"stu-{student}"}}}},"verb":{{"id":"{verb}","display":{{"en-US":"{verb_name}"}}}},'
    '"object":{{"objectType":"Activity","id":"' + HOME + '/content/{content}",'
    '"definition":{{"type":"{otype}","name":{{"en-US":"Item {content}"}}}}}},'
    '"timestamp":"2026-0{month}-{day:02d}T{hour:02d}:{minute:02d}:{second:02d}.{ms:03d}Z",'
    '"context":{{"registration":"{reg}","contextActivities":{{"parent":[{{"id":"'
    + HOME
    + "/classes/"
    'class-{cls}","definition":{{"type":"' + COURSE_TYPE + '"}}}}{quiz}]}},'
    '"platform":"LearnSmart LMS","language":"en-US"}},'
    '"result":{result},"version":"1.0.3"}}\n'
)
_VERBS = [
    ("http://adlnet.gov/expapi/verbs/experienced", "http://adlnet.gov/expapi/activities/lesson"),
    ("http://adlnet.gov/expapi/verbs/completed", "http://adlnet.gov/expapi/activities/lesson"),
    ("https://w3id.org/xapi/video/verbs/played", VIDEO_TYPE),
    ("https://w3id.org/xapi/video/verbs/paused", VIDEO_TYPE),
    ("http://adlnet.gov/expapi/verbs/attempted", ASSESSMENT_TYPE),
]


def write_jsonl(
    path: Path,
    n: int,
    *,
    seed: int = 7,
    students: int = 5000,
    classes: int = 50,
    answered_every: int = 17,
    gz: bool = False,
) -> int:
    """Write ``n`` valid statements as JSON lines (every ``answered_every``-th an answered
    statement with a registration and a quiz parent); returns the bytes written."""
    rng = random.Random(seed)
    parts = []
    for i in range(n):
        cls = rng.randrange(classes)
        reg = str(uuid.UUID(int=rng.getrandbits(128), version=4))
        if answered_every and i % answered_every == 0:
            verb, otype = ANSWERED, QUESTION_TYPE
            quiz = (
                ',{"id":"' + HOME + f'/content/quiz-{cls}",'
                '"definition":{"type":"' + ASSESSMENT_TYPE + '"}}'
            )
            ok = rng.random() < 0.6
            result = (
                f'{{"success":{"true" if ok else "false"},"response":"{"a" if ok else "b"}",'
                f'"score":{{"raw":{int(ok)},"min":0,"max":1,"scaled":{int(ok)}}},'
                f'"duration":"PT{rng.randrange(5, 300)}S"}}'
            )
            content = f"quiz-{cls}-q{rng.randrange(20)}"
        else:
            verb, otype = _VERBS[rng.randrange(len(_VERBS))]
            quiz = ""
            if otype == VIDEO_TYPE:
                result = f'{{"extensions":{{"{VIDEO_TIME}":{rng.randrange(0, 6000) / 10}}}}}'
            else:
                result = f'{{"completion":true,"duration":"PT{rng.randrange(1, 90)}M"}}'
            content = f"c{cls}-{rng.randrange(200)}"
        parts.append(
            _TEMPLATE.format(
                id=uuid.UUID(int=rng.getrandbits(128), version=4),
                student=rng.randrange(students),
                verb=verb,
                verb_name=verb.rsplit("/", 1)[-1],
                content=content,
                otype=otype,
                month=rng.randrange(1, 9),
                day=rng.randrange(1, 29),
                hour=rng.randrange(24),
                minute=rng.randrange(60),
                second=rng.randrange(60),
                ms=rng.randrange(1000),
                reg=reg,
                cls=cls,
                quiz=quiz,
                result=result,
            )
        )
    data = "".join(parts).encode()
    if gz:
        data = gzip.compress(data, compresslevel=1)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return len(data)
