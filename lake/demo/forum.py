"""Forum exports (docs/formats.md, ``forum``): threads in English, Spanish and French with replies
from classmates and teachers; JSON lines, except one day exported as CSV."""

from __future__ import annotations

import csv
import io
import random
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import orjson

from lake.demo._io import iso
from lake.demo.bad import FORUM_CSV_RATES, FORUM_JSON_RATES, Bad, Tally, pick_bad_rows
from lake.demo.content import Catalog
from lake.demo.forum_text import KIND_WEIGHTS, LANGUAGE_WEIGHTS, THREADS
from lake.demo.roster import Roster
from lake.demo.simulate import DayActivity

COLUMNS = (
    "post_id",
    "thread_id",
    "parent_post_id",
    "class_id",
    "author_id",
    "author_role",
    "created_at",
    "title",
    "body",
    "language",
)
THREADS_PER_ACTIVE_STUDENT = 0.012
_ACCENTED = {
    "en": "Thanks! See you at the café study group.",
    "es": "¡Gracias, me ha servido mucho! Ánimo a todos.",
    "fr": "Merci, ça m'aide beaucoup. À demain !",
}


@dataclass
class Post:
    """One forum post."""

    post_id: str
    thread_id: str
    parent_post_id: str | None
    class_id: str
    author_id: str
    author_role: str
    created_ms: int
    title: str | None
    body: str
    language: str

    def record(self) -> dict[str, str | None]:
        """The post as an export record."""
        return {
            "post_id": self.post_id,
            "thread_id": self.thread_id,
            "parent_post_id": self.parent_post_id,
            "class_id": self.class_id,
            "author_id": self.author_id,
            "author_role": self.author_role,
            "created_at": iso(self.created_ms),
            "title": self.title,
            "body": self.body,
            "language": self.language,
        }


def day_posts(
    rng: np.random.Generator,
    day: DayActivity,
    roster: Roster,
    catalog: Catalog,
    day_ms: int,
    stamp: str,
    members: list[np.ndarray],
) -> list[Post]:
    """Threads started by students active on the day, with their replies, in time order.

    ``members`` lists the students of each class (index into the roster).
    """
    r = random.Random(int(rng.integers(0, 2**62)))
    active = np.unique(day.stu)
    n_threads = int(rng.poisson(active.size * THREADS_PER_ACTIVE_STUDENT)) if active.size else 0
    langs, lang_w = list(LANGUAGE_WEIGHTS), list(LANGUAGE_WEIGHTS.values())
    kinds, kind_w = list(KIND_WEIGHTS), list(KIND_WEIGHTS.values())
    end_ms = day_ms + 86_399_000
    posts: list[Post] = []
    counter = 0

    def new_id() -> str:
        nonlocal counter
        counter += 1
        return f"fp-{stamp}-{counter:05d}"

    for _ in range(n_threads):
        s = int(active[r.randrange(active.size)])
        classes = roster.enrolled[s, : roster.n_enrolled[s]]
        c = int(classes[r.randrange(len(classes))])
        m = min(catalog.n_modules - 1, day.day // 21)
        topic = catalog.classes[c].modules[m].title
        page = str(catalog.page_titles[c, m, r.randrange(2)])
        lang = r.choices(langs, lang_w)[0]
        kind = r.choices(kinds, kind_w)[0]
        title, body = r.choice(THREADS[lang][kind])
        t = day_ms + int(r.uniform(8, 21.5) * 3_600_000)
        pid = new_id()
        class_id = catalog.class_ids[c]
        fill = {"topic": topic, "page": page}
        posts.append(
            Post(pid, pid, None, class_id, roster.student_ids[s], "student", t,
                 title.format(**fill), body.format(**fill), lang)
        )  # fmt: skip
        classmates = members[c] if kind != "urgent" else np.zeros(0, dtype=np.int64)
        n_replies = r.choice((0, 1, 1, 2, 3)) if len(classmates) else 0
        rt = t
        for _ in range(n_replies):
            mate = int(classmates[r.randrange(len(classmates))])
            rt = min(end_ms, rt + int(r.expovariate(1 / 3_600_000)) + 60_000)
            posts.append(
                Post(new_id(), pid, pid, class_id, roster.student_ids[mate], "student", rt, None,
                     r.choice(THREADS[lang]["reply"]).format(**fill), lang)
            )  # fmt: skip
        if kind == "urgent" or (kind == "question" and r.random() < 0.6):
            teacher = roster.class_teachers[c][0]
            delay = r.randint(20, 90) if kind == "urgent" else r.randint(60, 600)
            tt = min(end_ms, t + delay * 60_000)
            teacher_lang = lang if lang in THREADS else "en"
            posts.append(
                Post(new_id(), pid, pid, class_id, teacher, "teacher", tt, None,
                     r.choice(THREADS[teacher_lang]["teacher"]).format(**fill), teacher_lang)
            )  # fmt: skip
    posts.sort(key=lambda p: (p.created_ms, p.post_id))
    return posts


def write_forum_day(
    rng: np.random.Generator,
    posts: list[Post],
    folder: Path,
    as_csv: bool,
    unknown_class: str,
    tally: Tally,
) -> tuple[str, int, int]:
    """Write ``posts.jsonl`` (or ``posts.csv``) under ``folder``; only replies (leaves of their
    thread) are corrupted, so no kept post points at a rejected one.

    Returns (file suffix, data lines, bytes written).
    """
    suffix = "csv" if as_csv else "jsonl"
    if not posts:
        return suffix, 0, 0
    replies = np.array([i for i, p in enumerate(posts) if p.parent_post_id], dtype=np.int64)
    bad = pick_bad_rows(rng, replies, FORUM_CSV_RATES if as_csv else FORUM_JSON_RATES)
    folder.mkdir(parents=True, exist_ok=True)
    for kind in bad.values():
        tally.add("forum", kind)
    if as_csv:
        buf = io.StringIO()
        w = csv.writer(buf, lineterminator="\r\n")
        w.writerow(COLUMNS)
        chunks = [buf.getvalue().encode()]
        for i, p in enumerate(posts):
            rec = p.record()
            kind = bad.get(i)
            if kind is Bad.BAD_ENCODING:
                rec["body"] = _ACCENTED[p.language]
            row = ["" if v is None else v for v in rec.values()]
            if kind is Bad.MALFORMED_CSV:
                row = row[:-1]
            buf = io.StringIO()
            csv.writer(buf, lineterminator="\r\n").writerow(row)
            enc = "latin-1" if kind is Bad.BAD_ENCODING else "utf-8"
            chunks.append(buf.getvalue().encode(enc, errors="replace"))
    else:
        chunks = []
        for i, p in enumerate(posts):
            rec = p.record()
            kind = bad.get(i)
            if kind is Bad.MISSING_FIELD:
                del rec["body"]
            elif kind is Bad.UNKNOWN_CLASS:
                rec["class_id"] = unknown_class
            elif kind is Bad.FUTURE_TIMESTAMP:
                rec["created_at"] = "2099" + str(rec["created_at"])[4:]
            elif kind is Bad.BAD_ENCODING:
                rec["body"] = _ACCENTED[p.language]
            text = orjson.dumps(rec)
            if kind is Bad.MALFORMED_JSON:
                text = text[: len(text) // 2]
            elif kind is Bad.BAD_ENCODING:
                text = text.decode().encode("latin-1", errors="replace")
            chunks.append(text + b"\n")
    payload = b"".join(chunks)
    (folder / f"posts.{suffix}").write_bytes(payload)
    return suffix, len(posts), len(payload)
