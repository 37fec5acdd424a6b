"""What the API computes about a learner: at-risk flags, mastery, recommendations, quiz scores.

Served models come from the lake (gold ``ml_*`` tables and model artefacts written by the ML
assets); where a model has not been trained yet the API says so in each answer's ``source``
and uses a transparent rule instead (e.g. "no activity for 7 days"), never invented numbers.
"""

from __future__ import annotations

import json
import logging
import re
import threading
import unicodedata
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import polars as pl
from sqlalchemy import select

from api.gold import Gold
from api.store.db import Store
from api.store.models import LiveMastery, LiveResponse

log = logging.getLogger("learnsmart.api.learner")

RULE_INACTIVE_DAYS = 7
MODEL_DIR = "models/mastery"  # the champion's folder, copied by the mastery_model asset
_ORDER = ("answered_at", "attempt_id", "item_id", "skill_id")
_SEQUENCE_SCHEMA = {
    "student_id": pl.String,
    "skill_id": pl.String,
    "item_id": pl.String,
    "opportunity": pl.Int64,
    "is_correct": pl.Boolean,
}


# --- at risk ---------------------------------------------------------------------------------


def _rule_reasons(row: dict[str, Any]) -> list[str]:
    reasons: list[str] = []
    days = row.get("days_inactive")
    if days is not None and days >= RULE_INACTIVE_DAYS:
        reasons.append(f"no activity for {days} days")
    due = row.get("n_assessments_due") or 0
    done = row.get("n_assessments_submitted") or 0
    if due > done:
        reasons.append(f"{due - done} of {due} assignments missing")
    score = row.get("mean_score_to_date")
    if score is not None and score < 40:
        reasons.append(f"average score {score:.0f}% so far")
    return reasons


def at_risk(gold: Gold, class_id: str) -> tuple[str, list[dict[str, Any]]]:
    """(source, flagged students) of a class: the at-risk model's scores when trained, else the
    transparent rule (no activity for 7+ days, missing assignments, low scores)."""
    if gold.exists("ml_at_risk_scores"):
        rows = gold.rows("ml_at_risk_scores", "class_id", class_id)
        if rows.height:
            latest = rows.filter(pl.col("as_of") == pl.col("as_of").max())
            out = []
            for r in latest.sort("probability", descending=True).to_dicts():
                if r.get("band") in (None, "low"):
                    continue
                reasons = r.get("reasons") or []
                if isinstance(reasons, str):
                    reasons = json.loads(reasons)
                out.append(
                    {
                        "student_id": r["student_id"],
                        "probability": r.get("probability"),
                        "band": r.get("band"),
                        "reasons": list(reasons),
                        "as_of": str(r.get("as_of")),
                    }
                )
            return "model", out
    rows = gold.rows("fct_student_progress", "class_id", class_id)
    out = []
    for r in rows.to_dicts():
        if r.get("status") not in (None, "active", "registered"):
            continue
        reasons = _rule_reasons(r)
        if not reasons:
            continue
        days = r.get("days_inactive") or 0
        band = "high" if days >= 2 * RULE_INACTIVE_DAYS or len(reasons) >= 2 else "medium"
        out.append(
            {
                "student_id": r["student_id"],
                "probability": None,
                "band": band,
                "reasons": reasons,
                "as_of": str(r.get("as_of_date")),
            }
        )
    out.sort(key=lambda x: (x["band"] != "high", -len(x["reasons"])))
    return "rule", out


# --- mastery ---------------------------------------------------------------------------------


class MasteryService:
    """The served mastery model and each student's current skill mastery.

    The model is the folder the ``mastery_model`` asset copied from the MLflow registry's
    champion (``<lake>/models/mastery``: BKT, a logistic model or DKT, all answered in numpy);
    if there is none yet, BKT is fitted once from ``fct_skill_attempt_sequences`` (and logged).
    Mastery is P(the next item of the skill is answered correctly). After a quiz submission,
    :meth:`apply` replays the student's history (gold, then the responses submitted since) with
    the served model and moves mastery at once (``live_mastery``), ahead of the next batch run.
    """

    def __init__(self, gold: Gold, store: Store, lake: Path) -> None:
        self.gold = gold
        self.store = store
        self.folder = lake / MODEL_DIR
        self._model: Any = None
        self._model_key: object = None
        self._lock = threading.Lock()

    def model(self) -> Any:
        """The served model (a ``ServedMastery``), reloaded when its folder changes."""
        from ml_assets.mastery.bkt import fit_bkt
        from ml_assets.mastery.served import ServedMastery, Vocabulary, bkt_frame

        marker = self.folder / "served.json"
        key: object = marker.stat().st_mtime_ns if marker.exists() else None
        if key is None:
            key = ("fitted", self.gold.version("fct_skill_attempt_sequences"))
        if self._model is not None and key == self._model_key:
            return self._model
        with self._lock:
            if self._model is not None and key == self._model_key:
                return self._model
            if marker.exists():
                self._model = ServedMastery.load(self.folder)
            else:
                log.warning("no trained mastery model in the lake; fitting BKT from gold")
                seq = self.gold.frame("fct_skill_attempt_sequences")
                if seq.height == 0:
                    seq = pl.DataFrame(schema=_SEQUENCE_SCHEMA)
                self._model = ServedMastery(
                    "bkt", Vocabulary.of(seq), fit_bkt(bkt_frame(seq)), metrics={}
                )
            self._model_key = key
            return self._model

    def _history(self, student_id: str) -> tuple[list[tuple[str, bool]], datetime | None]:
        """Every response of the student, oldest first: the lake's, then those submitted
        through the API since the lake's latest one; and the time of the latest."""
        seq = self.gold.rows("fct_skill_attempt_sequences", "student_id", student_id)
        history: list[tuple[str, bool]] = []
        latest: datetime | None = None
        if seq.height:
            seq = seq.sort([c for c in _ORDER if c in seq.columns])
            history = list(zip(seq["skill_id"].to_list(), seq["is_correct"].to_list(), strict=True))
            latest = seq["answered_at"].max()  # type: ignore[assignment]
        with self.store.session() as s:
            query = select(LiveResponse).where(LiveResponse.student_id == student_id)
            if latest is not None:
                query = query.where(LiveResponse.answered_at > latest)
            for r in s.scalars(query.order_by(LiveResponse.id)):
                history.append((r.skill_id, r.is_correct))
        return history, latest

    def current(self, student_id: str) -> list[dict[str, Any]]:
        """Mastery per skill: batch scores, then live updates newer than them."""
        out: dict[str, dict[str, Any]] = {}
        if self.gold.exists("ml_skill_mastery"):
            for r in self.gold.rows("ml_skill_mastery", "student_id", student_id).to_dicts():
                out[r["skill_id"]] = {
                    "skill_id": r["skill_id"],
                    "probability": min(1.0, max(0.0, float(r["probability"]))),
                    "n_responses": int(r.get("n_responses") or 0),
                    "as_of": str(r.get("as_of")),
                    "source": "batch",
                }
        else:
            seq = self.gold.rows("fct_skill_attempt_sequences", "student_id", student_id)
            if seq.height:
                history, latest = self._history(student_id)
                counts: dict[str, int] = {}
                for k, _ in history:
                    counts[k] = counts.get(k, 0) + 1
                p = self.model().next_correct(history, sorted(counts))
                for skill, n in counts.items():
                    out[skill] = {
                        "skill_id": skill,
                        "probability": min(1.0, max(0.0, float(p[skill]))),
                        "n_responses": n,
                        "as_of": str(latest),
                        "source": "model",
                    }
        with self.store.session() as s:
            for lm in s.scalars(select(LiveMastery).where(LiveMastery.student_id == student_id)):
                base = out.get(lm.skill_id)
                stamp = lm.updated_at.isoformat()
                if base is None or str(base["as_of"]) < stamp:
                    out[lm.skill_id] = {
                        "skill_id": lm.skill_id,
                        "probability": lm.probability,
                        "n_responses": lm.n_responses,
                        "as_of": stamp,
                        "source": "live",
                    }
        names = self._skill_names()
        for v in out.values():
            v["name"] = names.get(v["skill_id"], v["skill_id"])
        return sorted(out.values(), key=lambda v: v["probability"])

    def apply(self, student_id: str, observations: list[tuple[str, bool]]) -> list[dict[str, Any]]:
        """Update mastery with new responses (skill, correct) in order; returns the new values.

        Before and after are both the served model's P(next correct) for each skill touched,
        from the history without and with the new responses.
        """
        if not observations:
            return []
        model = self.model()
        history, _ = self._history(student_id)
        skills = list(dict.fromkeys(k for k, _ in observations))
        before = model.next_correct(history, skills)
        after_history = history + [(k, bool(c)) for k, c in observations]
        after = model.next_correct(after_history, skills)
        counts = {k: sum(1 for h, _ in after_history if h == k) for k in skills}
        stamp = datetime.now(UTC)
        with self.store.session() as s:
            for k, c in observations:
                s.add(
                    LiveResponse(student_id=student_id, skill_id=k, is_correct=c, answered_at=stamp)
                )
            for skill in skills:
                value = min(1.0, max(0.0, float(after[skill])))
                row = s.get(LiveMastery, (student_id, skill))
                if row is None:
                    s.add(
                        LiveMastery(
                            student_id=student_id,
                            skill_id=skill,
                            probability=value,
                            n_responses=counts[skill],
                            updated_at=stamp,
                        )
                    )
                else:
                    row.probability, row.n_responses, row.updated_at = value, counts[skill], stamp
        names = self._skill_names()
        return [
            {
                "skill_id": k,
                "name": names.get(k, k),
                "before": min(1.0, max(0.0, float(before[k]))),
                "after": min(1.0, max(0.0, float(after[k]))),
            }
            for k in skills
        ]

    def _skill_names(self) -> dict[str, str]:
        f = self.gold.frame("skills")
        if f.height == 0:
            return {}
        return dict(zip(f["skill_id"].to_list(), f["name"].to_list(), strict=True))


# --- recommendations -------------------------------------------------------------------------


def recommendations(
    gold: Gold,
    mastery: list[dict[str, Any]],
    class_ids: list[str],
    student_id: str,
    interests: list[str],
    limit: int = 10,
    *,
    language: str | None = None,
    page_languages: dict[str, str] | None = None,
) -> tuple[str, list[dict[str, Any]]]:
    """Next things to study, each with its reason.

    First practice for the weakest skills (mastery); then, once the recommender has written
    ``ml_recommendations``, its ranking for the student (``source: "model"``); the rest (and,
    before the recommender is trained or for a student it has not seen, everything: ``source:
    "baseline"``) is the transparent baseline: the least-explored modules of the student's
    classes (cold start: the first modules), pages in the student's ``language`` first where a
    class has pages in several (``page_languages``: content_id -> detected language), then those
    matching the student's interests.
    """
    items = gold.frame("dim_items")
    content = [gold.rows("dim_content", "class_id", c) for c in class_ids]
    catalogue = pl.concat(content) if content else pl.DataFrame()
    out: list[dict[str, Any]] = []
    seen: set[str] = set()
    if catalogue.height and items.height:
        quizzes = catalogue.filter(pl.col("content_type") == "quiz")
        quiz_ids = set(quizzes["content_id"].to_list())
        for m in mastery[:3]:
            if m["probability"] >= 0.8:
                break
            practice = items.filter(
                pl.col("quiz_id").is_in(list(quiz_ids))
                & pl.col("skill_ids").list.contains(m["skill_id"])
            )
            for qid in practice["quiz_id"].unique(maintain_order=True).to_list()[:1]:
                if qid in seen:
                    continue
                seen.add(qid)
                row = quizzes.filter(pl.col("content_id") == qid).row(0, named=True)
                out.append(
                    {
                        "content_id": qid,
                        "class_id": row["class_id"],
                        "title": row["content_title"],
                        "content_type": "quiz",
                        "reason": f"practises {m['name']}, your weakest skill "
                        f"(mastery {m['probability']:.0%})",
                    }
                )
    source = "baseline"
    if gold.exists("ml_recommendations") and catalogue.height:
        # The recommender's ranking (trained on the school's own activity), after the practice
        # for the weakest skills; classes interleaved by rank so each class gets a turn.
        mine = gold.rows("ml_recommendations", "student_id", student_id).filter(
            pl.col("class_id").is_in(class_ids)
        )
        if mine.height:
            source = "model"
            titles = {
                r["content_id"]: r
                for r in catalogue.select(
                    "content_id", "class_id", "content_title", "content_type"
                ).to_dicts()
            }
            for r in mine.sort("rank", "class_id").to_dicts():
                if r["content_id"] in seen or r["content_id"] not in titles or len(out) >= limit:
                    continue
                seen.add(r["content_id"])
                meta = titles[r["content_id"]]
                out.append(
                    {
                        "content_id": r["content_id"],
                        "class_id": r["class_id"],
                        "title": meta["content_title"],
                        "content_type": meta["content_type"],
                        "reason": r["reason"],
                    }
                )
    progress = gold.rows("fct_student_module_progress", "student_id", student_id)
    shares = {(r["class_id"], r["module"]): r["content_touched_share"] for r in progress.to_dicts()}
    if catalogue.height:
        pages = catalogue.filter(pl.col("content_type").is_in(["page", "video", "resource"]))
        words = [w.lower() for w in interests if w]
        langs = page_languages or {}
        # Only where a class offers a choice of language does the student's language reorder it.
        offered: dict[str, set[str]] = {}
        for r in pages.select("class_id", "content_id").to_dicts():
            if r["content_id"] in langs:
                offered.setdefault(r["class_id"], set()).add(langs[r["content_id"]])
        ranked = []
        for r in pages.to_dicts():
            share = shares.get((r["class_id"], r["module"]))
            title = (r["content_title"] or "").lower()
            interest = next((w for w in words if w in title), None)
            other_language = (
                language is not None
                and len(offered.get(r["class_id"], ())) > 1
                and language in offered[r["class_id"]]
                and langs.get(r["content_id"]) != language
            )
            if share is None:
                reason = f"next in {r['module']}, which you have not started"
                key = (other_language, 0 if interest else 1, 0.0, r["week"] or 0)
            elif share < 1.0:
                reason = f"continue {r['module']}: you have opened {share:.0%} of it"
                key = (other_language, 0 if interest else 1, share, r["week"] or 0)
            else:
                continue
            if interest:
                reason += f"; matches your interest in {interest}"
            ranked.append((key, r, reason))
        # The student's language first, then interests, then least explored, then earliest.
        ranked.sort(key=lambda t: t[0])
        for _key, r, reason in ranked:
            if r["content_id"] in seen or len(out) >= limit:
                continue
            seen.add(r["content_id"])
            out.append(
                {
                    "content_id": r["content_id"],
                    "class_id": r["class_id"],
                    "title": r["content_title"],
                    "content_type": r["content_type"],
                    "reason": reason,
                }
            )
    return source, out[:limit]


# --- quizzes ---------------------------------------------------------------------------------


def _norm(text: str) -> str:
    text = unicodedata.normalize("NFKC", text).casefold().strip()
    return re.sub(r"\s+", " ", text)


@dataclass(frozen=True)
class ItemResult:
    """How one response was scored."""

    item_id: str
    response: str
    is_correct: bool
    score: float
    max_score: float
    feedback: str
    correct_responses: list[str]
    skill_ids: list[str]


def score_item(item: dict[str, Any], response: str) -> ItemResult:
    """Score one response against its item's key, with feedback in plain words."""
    correct = [str(c) for c in item.get("correct_option_ids") or []]
    max_score = float(item.get("max_score") or 1.0)
    if item.get("item_type") == "short_answer":
        ok = _norm(response) in {_norm(c) for c in correct}
        shown = correct[:1]
    else:
        ok = response in correct
        ids = list(item.get("option_ids") or [])
        texts = list(item.get("option_texts") or [])
        shown = [
            texts[ids.index(c)] if c in ids and ids.index(c) < len(texts) else c for c in correct
        ]
    feedback = "Correct." if ok else f"Not quite: the answer is {' / '.join(shown)}."
    return ItemResult(
        item_id=item["item_id"],
        response=response,
        is_correct=ok,
        score=max_score if ok else 0.0,
        max_score=max_score,
        feedback=feedback,
        correct_responses=shown,
        skill_ids=list(item.get("skill_ids") or []),
    )


def quiz_statements(
    *,
    actor_account: str,
    home_page: str,
    class_id: str,
    quiz_id: str,
    attempt_id: str,
    results: list[ItemResult],
    started_at: datetime,
    submitted_at: datetime,
) -> list[dict[str, Any]]:
    """xAPI 1.0.3 statements for a submitted quiz: one ``answered`` per item and one
    ``completed`` for the quiz, shaped as the lake's xAPI ingest maps them to item responses
    and a quiz attempt (attempt id in ``context.registration`` and the attempt extension)."""
    base = home_page.rstrip("/")
    actor = {"objectType": "Agent", "account": {"homePage": base, "name": actor_account}}
    grouping = [
        {
            "objectType": "Activity",
            "id": f"{base}/classes/{class_id}",
            "definition": {"type": "http://adlnet.gov/expapi/activities/course"},
        }
    ]
    quiz_activity = {
        "objectType": "Activity",
        "id": f"{base}/content/{quiz_id}",
        "definition": {"type": "http://adlnet.gov/expapi/activities/assessment"},
    }
    ctx_ext = {"https://w3id.org/learnsmart/extensions/attempt-id": attempt_id}
    statements = []
    n = max(len(results), 1)
    for i, r in enumerate(results):
        ts = started_at + (submitted_at - started_at) * ((i + 1) / n)
        statements.append(
            {
                "id": str(uuid.uuid4()),
                "actor": actor,
                "verb": {
                    "id": "http://adlnet.gov/expapi/verbs/answered",
                    "display": {"en-US": "answered"},
                },
                "object": {
                    "objectType": "Activity",
                    "id": f"{base}/content/{r.item_id}",
                    "definition": {"type": "http://adlnet.gov/expapi/activities/cmi.interaction"},
                },
                "result": {
                    "success": r.is_correct,
                    "response": r.response,
                    "score": {
                        "scaled": r.score / r.max_score if r.max_score else 0.0,
                        "raw": r.score,
                        "min": 0,
                        "max": r.max_score,
                    },
                },
                "context": {
                    "registration": attempt_id,
                    "contextActivities": {"parent": [quiz_activity], "grouping": grouping},
                    "platform": "LearnSmart API",
                    "extensions": ctx_ext,
                },
                "timestamp": ts.isoformat().replace("+00:00", "Z"),
            }
        )
    total = sum(r.score for r in results)
    top = sum(r.max_score for r in results)
    statements.append(
        {
            "id": str(uuid.uuid4()),
            "actor": actor,
            "verb": {
                "id": "http://adlnet.gov/expapi/verbs/completed",
                "display": {"en-US": "completed"},
            },
            "object": quiz_activity,
            "result": {
                "completion": True,
                "success": bool(top) and total / top >= 0.5,
                "score": {
                    "scaled": total / top if top else 0.0,
                    "raw": total,
                    "min": 0,
                    "max": top,
                },
            },
            "context": {
                "registration": attempt_id,
                "contextActivities": {"grouping": grouping},
                "platform": "LearnSmart API",
                "extensions": ctx_ext,
            },
            "timestamp": submitted_at.isoformat().replace("+00:00", "Z"),
        }
    )
    return statements


def write_landing(landing: Path, folder: str, name: str, records: list[dict[str, Any]]) -> Path:
    """Write JSON lines into ``landing/<folder>/<yyyy-mm-dd>/`` atomically (temp, then rename),
    so the pipeline never reads a half-written file."""
    day = datetime.now(UTC).strftime("%Y-%m-%d")
    target_dir = landing / folder / day
    target_dir.mkdir(parents=True, exist_ok=True)
    target = target_dir / f"{name}.jsonl"
    tmp = target_dir / f".{name}.jsonl.tmp"
    with tmp.open("w", encoding="utf-8") as fh:
        for r in records:
            fh.write(json.dumps(r, ensure_ascii=False) + "\n")
    tmp.replace(target)
    return target
