"""The latent model behind the demo school's activity.

Each student has an ability (standard normal) and a log-engagement that follows a random walk with
a per-student trend. A day's activity count is Poisson(base rate x exp(engagement) x weekday
factor). A student whose engagement stays below a threshold for several days risks dropping out,
more so with low ability; a dropped-out student does nothing from then on. Quiz answers follow a
logistic (Rasch) model, P(correct) = sigmoid(ability + learning - difficulty), where learning grows
with the practice a student has had on the item's skill (pages, videos and earlier answers).

Everything is vectorised over students and activities; only the dropout process loops over days.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum

import numpy as np

from lake.demo.content import ITEMS_PER_QUIZ, WEEKS_PER_MODULE, Catalog
from lake.demo.roster import Roster

DAY_MS = 86_400_000
BASE_RATE = 3.4  # activities on a weekday at average engagement
WEEKDAY_FACTOR = np.array([1.0, 1.0, 0.95, 0.9, 0.75, 0.35, 0.45])  # Mon..Sun
DISENGAGED_BELOW = -1.0  # log-engagement threshold
DISENGAGED_STREAK = 5  # days below the threshold before dropout risk jumps
STREAK_HAZARD = 0.015  # daily dropout probability once disengaged that long (average ability)
LEARNING_RATE = 0.45  # logit gain per log1p(practice)
PAGE_PRACTICE = 0.5  # practice credit for reading a page or watching a video of the module


class Kind(IntEnum):
    """What one activity (a short session with one piece of content) is."""

    PAGE = 0
    VIDEO = 1
    RESOURCE = 2
    QUIZ = 3
    CALIPER = 4  # a reading/media session in the second tool, reported as Caliper


KIND_P = np.array([0.45, 0.2, 0.08, 0.14, 0.13])


class VideoPattern(IntEnum):
    """How a student watched a video."""

    FULL = 0  # played -> completed
    PAUSED = 1  # played -> paused -> played -> completed
    SEEKED = 2  # played -> seeked -> paused
    QUIT = 3  # played -> paused


@dataclass(frozen=True)
class Population:
    """Latent traits and the engagement path of every student."""

    ability: np.ndarray  # (N,)
    engagement: np.ndarray  # (N, days) log-engagement
    dropout_day: np.ndarray  # (N,) first day without activity for good; `days` if never
    pref_hour: np.ndarray  # (N,) preferred start hour (UTC)


def simulate_population(rng: np.random.Generator, n: int, days: int) -> Population:
    """Draw abilities and engagement paths, and run the dropout process."""
    ability = rng.normal(0.0, 1.0, n)
    z0 = rng.normal(0.0, 0.45, n) + 0.25 * ability
    trend = rng.normal(-0.004, 0.007, n)
    steps = rng.normal(0.0, 0.08, (n, days))
    steps[:, 0] = 0.0
    engagement = z0[:, None] + trend[:, None] * np.arange(days)[None, :] + steps.cumsum(axis=1)
    dropout = np.full(n, days, dtype=np.int64)
    streak = np.zeros(n, dtype=np.int64)
    alive = np.ones(n, dtype=bool)
    draws = rng.random((days, n))
    base_hazard = 0.0004 * np.exp(-0.6 * ability)
    streak_hazard = STREAK_HAZARD * np.exp(-0.6 * ability)
    for d in range(1, days):
        streak = np.where(engagement[:, d - 1] < DISENGAGED_BELOW, streak + 1, 0)
        hazard = base_hazard + np.where(streak >= DISENGAGED_STREAK, streak_hazard, 0.0)
        drop = alive & (draws[d] < hazard)
        dropout[drop] = d
        alive &= ~drop
    pref_hour = np.clip(rng.normal(15.5, 2.5, n), 7.0, 20.5)
    return Population(ability, engagement, dropout, pref_hour)


@dataclass
class LearnerState:
    """What students have practised so far: drives the learning term of the quiz model."""

    practice: np.ndarray  # (N, skills) float32
    attempts: np.ndarray  # (N, quizzes) int32: attempts made so far per quiz
    difficulty: np.ndarray  # (C, M, I) item difficulty (logits)

    @classmethod
    def start(cls, rng: np.random.Generator, n: int, catalog: Catalog) -> LearnerState:
        """Nothing practised yet; item difficulties drawn once, later modules a little harder."""
        shape = catalog.item_ids.shape
        module_shift = np.linspace(-0.4, 0.4, shape[1])[None, :, None]
        difficulty = rng.normal(0.0, 0.7, shape) + module_shift
        return cls(
            practice=np.zeros((n, len(catalog.skill_ids)), dtype=np.float32),
            attempts=np.zeros((n, shape[0] * shape[1]), dtype=np.int32),
            difficulty=difficulty,
        )


@dataclass(frozen=True)
class DayActivity:
    """One day's activities (sorted by student, then time) and the quiz answers they contain.

    Activity arrays have one entry per activity; ``ans_*`` arrays one per answered item
    (``ITEMS_PER_QUIZ`` per quiz activity, in order).
    """

    day: int
    stu: np.ndarray
    kind: np.ndarray
    cls: np.ndarray
    module: np.ndarray
    slot: np.ndarray  # page number (0/1) for pages, target kind for Caliper sessions
    start_ms: np.ndarray  # activity start, epoch ms
    duration_s: np.ndarray  # activity length in seconds
    video_pattern: np.ndarray  # VideoPattern for videos, -1 otherwise
    video_marks: np.ndarray  # (A, 3) fractions a < b < c of the video for pauses and seeks
    video_gap_s: np.ndarray  # pause length before resuming
    # quiz attempts (one per QUIZ activity, in activity order)
    quiz_act: np.ndarray  # activity index of each attempt
    attempt_number: np.ndarray
    ans_correct: np.ndarray  # (Q, I) bool
    ans_option: np.ndarray  # (Q, I) option index chosen
    ans_offset_s: np.ndarray  # (Q, I) seconds after the attempt start when answered
    ans_duration_s: np.ndarray  # (Q, I) seconds spent on the item


def _rank_within(keys: np.ndarray) -> np.ndarray:
    """0-based position of each element among the elements with the same key (stable)."""
    if keys.size == 0:
        return keys.copy()
    order = np.argsort(keys, kind="stable")
    sk = keys[order]
    starts = np.r_[True, sk[1:] != sk[:-1]]
    idx = np.arange(keys.size)
    first = np.maximum.accumulate(np.where(starts, idx, 0))
    rank = np.empty_like(keys)
    rank[order] = idx - first
    return rank


def simulate_day(
    rng: np.random.Generator,
    pop: Population,
    roster: Roster,
    catalog: Catalog,
    state: LearnerState,
    day: int,
    day_ms: int,
    weekday: int,
    benchmark: bool,
) -> DayActivity:
    """Activities of all students on one day; updates ``state`` (practice and attempts)."""
    n = roster.n
    if benchmark:
        # One busy day for load tests: every student active, 30-60 statements each.
        n_act = 10 + rng.poisson(7.0, n)
    else:
        rate = BASE_RATE * np.exp(pop.engagement[:, day]) * WEEKDAY_FACTOR[weekday]
        n_act = rng.poisson(rate) * (pop.dropout_day > day)
    stu = np.repeat(np.arange(n), n_act)
    a = stu.size
    kind = rng.choice(len(KIND_P), size=a, p=KIND_P)
    slot_draw = rng.random(a)
    cls = roster.enrolled[stu, (slot_draw * roster.n_enrolled[stu]).astype(np.int64)]
    current = min(catalog.n_modules - 1, day // (7 * WEEKS_PER_MODULE))
    revisit = rng.random(a) < 0.25
    module = np.where(revisit, rng.integers(0, current + 1, a), current)
    slot = np.where(kind == Kind.CALIPER, rng.choice(3, size=a, p=[0.5, 0.3, 0.2]), 0)
    slot = np.where(kind == Kind.PAGE, rng.integers(0, 2, a), slot)

    # Video watching: engaged students finish more often.
    eng = pop.engagement[stu, day] if not benchmark else np.zeros(a)
    p_finish = 1.0 / (1.0 + np.exp(-(eng + 0.4)))
    finish = rng.random(a) < p_finish
    coin = rng.random(a) < 0.5
    pattern = np.where(
        finish,
        np.where(coin, VideoPattern.FULL, VideoPattern.PAUSED),
        np.where(coin, VideoPattern.SEEKED, VideoPattern.QUIT),
    )
    pattern = np.where(kind == Kind.VIDEO, pattern, -1)
    marks = np.sort(rng.uniform(0.05, 0.95, (a, 3)), axis=1)
    gap = rng.exponential(45.0, a).round() + 3
    length = catalog.video_length_s[cls, module].astype(np.float64)

    # Quiz attempts: Rasch model with learning from practice on each item's skill.
    quiz_act = np.flatnonzero(kind == Kind.QUIZ)
    q_stu, q_cls, q_mod = stu[quiz_act], cls[quiz_act], module[quiz_act]
    skills = catalog.item_skill[q_cls, q_mod]  # (Q, I)
    diff = state.difficulty[q_cls, q_mod]
    learned = LEARNING_RATE * np.log1p(state.practice[q_stu[:, None], skills])
    theta = pop.ability[q_stu][:, None] + learned - diff
    correct = rng.random(theta.shape) < 1.0 / (1.0 + np.exp(-theta))
    n_opt = catalog.item_options[q_cls, q_mod]
    right = catalog.item_correct[q_cls, q_mod]
    wrong = (rng.random(theta.shape) * (n_opt - 1)).astype(np.int64)
    wrong = np.where(wrong >= right, wrong + 1, wrong)
    option = np.where(correct, right, wrong)
    item_s = np.clip(rng.lognormal(np.log(35.0), 0.5, theta.shape), 5, 600).round()
    offsets = item_s.cumsum(axis=1)
    quiz_key = q_cls * catalog.n_modules + q_mod
    attempt_number = state.attempts[q_stu, quiz_key] + _rank_within(q_stu * 1000 + quiz_key) + 1

    # Activity durations (seconds) and start times: sessions run back to back from a
    # preferred hour, with short breaks between activities.
    dur = np.clip(rng.lognormal(np.log(150.0), 0.6, a), 10, 1800).round()
    dur = np.where(kind == Kind.RESOURCE, (dur * 0.6).round(), dur)
    dur = np.where(kind == Kind.CALIPER, (dur * 0.8).round(), dur)
    video_dur = np.select(
        [
            pattern == VideoPattern.FULL,
            pattern == VideoPattern.PAUSED,
            pattern == VideoPattern.SEEKED,
        ],
        [length, length + gap, marks[:, 0] * length + (marks[:, 2] - marks[:, 1]) * length],
        marks[:, 0] * length,
    ).round()
    dur = np.where(kind == Kind.VIDEO, video_dur, dur)
    if quiz_act.size:
        dur[quiz_act] = offsets[:, -1] + 20
    step = dur + rng.exponential(200.0, a).round() + 5
    cum = step.cumsum()
    first = np.r_[0, np.cumsum(n_act)[:-1]]
    before = np.repeat(cum[first[n_act > 0]] - step[first[n_act > 0]], n_act[n_act > 0])
    start_h = pop.pref_hour + rng.normal(0.0, 0.6, n)
    start_s = np.repeat(start_h * 3600.0, n_act) + (cum - step - before)
    start_s = np.clip(start_s, 0, 86_399 - dur - 60)
    start_ms = day_ms + (start_s * 1000).astype(np.int64) + rng.integers(0, 1000, a)

    # Practice: every page, video and answered item counts towards the module's skills.
    studied = (kind == Kind.PAGE) | (kind == Kind.VIDEO) | (kind == Kind.CALIPER)
    for k in range(2):
        np.add.at(
            state.practice,
            (stu[studied], catalog.module_skills[cls[studied], module[studied], k]),
            PAGE_PRACTICE,
        )
    if quiz_act.size:
        np.add.at(state.practice, (np.repeat(q_stu, ITEMS_PER_QUIZ), skills.ravel()), 1.0)
        np.add.at(state.attempts, (q_stu, quiz_key), 1)

    return DayActivity(
        day=day,
        stu=stu,
        kind=kind,
        cls=cls,
        module=module,
        slot=slot,
        start_ms=start_ms,
        duration_s=dur,
        video_pattern=pattern,
        video_marks=marks,
        video_gap_s=gap,
        quiz_act=quiz_act,
        attempt_number=attempt_number,
        ans_correct=correct,
        ans_option=option,
        ans_offset_s=offsets,
        ans_duration_s=item_s,
    )
