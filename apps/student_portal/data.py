"""Pure shaping of the API's JSON into what the portal shows (no Streamlit, no translation).

Every function here takes plain JSON (dicts and lists, as the API returns them) and gives back
plain values or :class:`pandas.DataFrame` objects with stable, untranslated column names; the
views translate the headers and format the numbers for the reader's language.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

import pandas as pd

MASTERED = 0.8  # P(next correct) from which a skill counts as mastered
DEVELOPING = 0.6  # below this a skill needs practice
INVITE_RE = re.compile(r"^[A-Za-z0-9-]{4,32}$")
CHOICE_TYPES = ("choice", "multiple_choice", "single_choice", "true_false", "multiple_response")


def class_labels(classes: Iterable[Mapping[str, Any]]) -> dict[str, str]:
    """Class id -> the name a student knows it by (title, else code, else id)."""
    return {
        c["class_id"]: c.get("class_title") or c.get("class_code") or c["class_id"] for c in classes
    }


def module_sort_key(module: str | None) -> tuple[int, int, str]:
    """Modules in course order: ``M1, M2, ... M10``, other names after, ``unassigned`` last."""
    name = module or ""
    if name == "unassigned" or not name:
        return (2, 0, name)
    match = re.fullmatch(r"[A-Za-z]*\s*(\d+)", name)
    if match:
        return (0, int(match.group(1)), name)
    return (1, 0, name)


def class_overview(
    progress: Iterable[Mapping[str, Any]], labels: Mapping[str, str]
) -> pd.DataFrame:
    """One row per class: how much was opened, quizzes, first-attempt score, time, last visit."""
    rows = [
        {
            "class_id": p["class_id"],
            "class": labels.get(p["class_id"], p["class_id"]),
            "opened_share": p.get("content_touched_share"),
            "quiz_attempts": p.get("n_quiz_attempts"),
            "first_attempt_share": p.get("mean_first_attempt_share_correct"),
            "active_minutes": p.get("active_minutes"),
            "last_active_date": p.get("last_active_date"),
            "days_inactive": p.get("days_inactive"),
        }
        for p in progress
    ]
    columns = [
        "class_id",
        "class",
        "opened_share",
        "quiz_attempts",
        "first_attempt_share",
        "active_minutes",
        "last_active_date",
        "days_inactive",
    ]
    return pd.DataFrame(rows, columns=columns).sort_values("class", ignore_index=True)


def module_frame(class_progress: Mapping[str, Any]) -> pd.DataFrame:
    """The modules of one class in course order, with the share of their content opened."""
    rows = []
    for m in class_progress.get("modules") or []:
        n = int(m.get("n_content") or 0)
        touched = int(m.get("n_content_touched") or 0)
        share = m.get("content_touched_share")
        if share is None:
            share = touched / n if n else 0.0
        rows.append(
            {
                "module": m["module"],
                "n_content": n,
                "n_touched": touched,
                "share": float(share),
                "state": module_state(float(share)),
                "last_touched_date": m.get("last_touched_date"),
            }
        )
    columns = ["module", "n_content", "n_touched", "share", "state", "last_touched_date"]
    frame = pd.DataFrame(rows, columns=columns)
    if frame.empty:
        return frame
    order = sorted(frame["module"], key=module_sort_key)
    frame["order"] = frame["module"].map({m: i for i, m in enumerate(order)})
    return frame.sort_values("order", ignore_index=True).drop(columns="order")


def module_state(share: float) -> str:
    """``done`` (everything opened), ``started`` or ``not_started``."""
    if share >= 1.0:
        return "done"
    return "started" if share > 0 else "not_started"


def module_summary(frame: pd.DataFrame) -> dict[str, Any]:
    """Counts for a sentence about a class's modules, and the next module to work on."""
    if frame.empty:
        return {"n_modules": 0, "n_done": 0, "n_started": 0, "next_module": None}
    todo = frame[frame["state"] != "done"]
    # The next module: the first one (in course order) that is started but not finished, else
    # the first not started.
    started = todo[todo["state"] == "started"]
    pick = started if not started.empty else todo
    return {
        "n_modules": len(frame),
        "n_done": int((frame["state"] == "done").sum()),
        "n_started": int((frame["state"] == "started").sum()),
        "next_module": None if pick.empty else str(pick.iloc[0]["module"]),
    }


def mastery_band(probability: float) -> str:
    """``mastered``, ``developing`` or ``needs_practice``."""
    if probability >= MASTERED:
        return "mastered"
    if probability >= DEVELOPING:
        return "developing"
    return "needs_practice"


def mastery_frame(mastery: Iterable[Mapping[str, Any]]) -> pd.DataFrame:
    """One row per skill, weakest first, with its band."""
    rows = [
        {
            "skill_id": m["skill_id"],
            "skill": m.get("name") or m["skill_id"],
            "probability": float(m["probability"]),
            "n_responses": int(m.get("n_responses") or 0),
            "band": mastery_band(float(m["probability"])),
        }
        for m in mastery
    ]
    frame = pd.DataFrame(rows, columns=["skill_id", "skill", "probability", "n_responses", "band"])
    return frame.sort_values(["probability", "skill"], ignore_index=True)


def mastery_summary(frame: pd.DataFrame) -> dict[str, Any]:
    """How many skills are mastered, and the weakest and strongest."""
    if frame.empty:
        return {"n_skills": 0, "n_mastered": 0, "weakest": None, "strongest": None}
    weakest = frame.iloc[0]
    strongest = frame.iloc[-1]
    return {
        "n_skills": len(frame),
        "n_mastered": int((frame["band"] == "mastered").sum()),
        "n_needs_practice": int((frame["band"] == "needs_practice").sum()),
        "weakest": (str(weakest["skill"]), float(weakest["probability"])),
        "strongest": (str(strongest["skill"]), float(strongest["probability"])),
    }


_REASONS: tuple[tuple[str, re.Pattern[str]], ...] = (
    (
        "weakest_skill",
        re.compile(r"^practises (?P<skill>.+), your weakest skill \(mastery (?P<pct>\d+)%\)$"),
    ),
    ("continue", re.compile(r"^continue (?P<module>.+): you have opened (?P<pct>\d+)% of it$")),
    ("not_started", re.compile(r"^next in (?P<module>.+), which you have not started$")),
)
_INTEREST = re.compile(r"^(?P<head>.*); matches your interest in (?P<interest>.+)$")


def parse_reason(reason: str) -> tuple[str, dict[str, Any]]:
    """A recommendation's reason as a kind and its values, so that it can be translated.

    Kinds: ``weakest_skill`` (skill, share), ``continue`` (module, share), ``not_started``
    (module); each may carry ``interest``. Reasons the portal does not know (for example a
    trained recommender's) come back as ``("other", {"text": reason})``.
    """
    values: dict[str, Any] = {}
    text = reason.strip()
    interest = _INTEREST.match(text)
    if interest:
        text = interest.group("head")
        values["interest"] = interest.group("interest")
    for kind, pattern in _REASONS:
        match = pattern.match(text)
        if match:
            found = match.groupdict()
            if "pct" in found:
                values["share"] = int(found.pop("pct")) / 100
            values.update(found)
            return kind, values
    return "other", {"text": reason}


def recommendation_rows(
    items: Iterable[Mapping[str, Any]], labels: Mapping[str, str]
) -> list[dict[str, Any]]:
    """Recommendations with their class name and parsed reason, in the API's order."""
    out = []
    for item in items:
        kind, values = parse_reason(item.get("reason") or "")
        out.append(
            {
                "content_id": item["content_id"],
                "class_id": item["class_id"],
                "class": labels.get(item["class_id"], item["class_id"]),
                "title": item.get("title") or item["content_id"],
                "content_type": item.get("content_type") or "page",
                "reason": item.get("reason") or "",
                "reason_kind": kind,
                "reason_values": values,
            }
        )
    return out


def sorted_quizzes(quizzes: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """A class's quizzes in course order (week, then module, then title)."""
    return sorted(
        (dict(q) for q in quizzes),
        key=lambda q: (
            q.get("week") if q.get("week") is not None else 10**6,
            module_sort_key(q.get("module")),
            q.get("title") or q["quiz_id"],
        ),
    )


def is_choice(item: Mapping[str, Any]) -> bool:
    """Whether an item is answered by picking one of its options."""
    return bool(item.get("options")) and (item.get("item_type") or "choice") in CHOICE_TYPES


def quiz_responses(
    items: Iterable[Mapping[str, Any]], answers: Mapping[str, Any]
) -> tuple[list[dict[str, str]], list[str]]:
    """The submission's ``responses`` from the answers given, and the items left unanswered."""
    responses: list[dict[str, str]] = []
    missing: list[str] = []
    for item in items:
        value = answers.get(item["item_id"])
        text = "" if value is None else str(value).strip()
        if text:
            responses.append({"item_id": item["item_id"], "response": text[:1000]})
        else:
            missing.append(item["item_id"])
    return responses, missing


def feedback_rows(quiz: Mapping[str, Any], result: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Each scored answer beside its question, in the quiz's order."""
    stems = {i["item_id"]: (n, i.get("stem") or "") for n, i in enumerate(quiz["items"], 1)}
    rows = []
    for fb in result.get("items") or []:
        number, stem = stems.get(fb["item_id"], (len(stems) + 1, fb["item_id"]))
        rows.append(
            {
                "number": number,
                "item_id": fb["item_id"],
                "stem": stem,
                "is_correct": bool(fb["is_correct"]),
                "score": float(fb.get("score") or 0),
                "max_score": float(fb.get("max_score") or 0),
                "correct_responses": list(fb.get("correct_responses") or []),
            }
        )
    return sorted(rows, key=lambda r: r["number"])


def normalise_invite(code: str | None) -> str | None:
    """An invite code as the API expects it (trimmed, upper case), or ``None`` if malformed."""
    text = (code or "").strip().upper()
    return text if INVITE_RE.match(text) else None


def split_interests(text: str | None) -> list[str]:
    """Interests typed as a comma-separated list: trimmed, de-duplicated, at most 20."""
    seen: dict[str, None] = {}
    for part in re.split(r"[,;\n]", text or ""):
        word = part.strip()[:64]
        if word and word.lower() not in {s.lower() for s in seen}:
            seen[word] = None
    return list(seen)[:20]


def source_parts(source: Mapping[str, Any]) -> dict[str, str | None]:
    """A tutor source's page title, module and section (``None`` where unknown)."""
    return {
        "title": source.get("title") or source.get("content_id"),
        "module": source.get("module") or None,
        "section": source.get("section") or None,
    }


def frame_records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """A frame's rows as dicts, with pandas' missing values (NaN, NaT) as ``None``."""
    return [
        {k: (None if _is_missing(v) else v) for k, v in row.items()}
        for row in frame.to_dict("records")
    ]


def _is_missing(value: Any) -> bool:
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):  # lists and other containers are not "missing"
        return False
