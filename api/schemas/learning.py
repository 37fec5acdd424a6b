"""Students' and classes' learning data, as the apps show it."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

Source = Literal["model", "rule", "baseline", "batch", "live"]


class ClassSummary(BaseModel):
    """A class, with its course and calendar."""

    # Immutable: one instance per dim_classes version is shared by every request.
    model_config = ConfigDict(frozen=True)

    class_id: str
    class_title: str | None = None
    course_title: str | None = None
    class_code: str | None = None
    start_date: date | None = None
    end_date: date | None = None
    n_weeks: int | None = None
    n_enrolled: int | None = None


class StudentProfileOut(BaseModel):
    """A student's own profile."""

    user_id: int
    username: str
    display_name: str
    student_id: str | None
    language: str
    grade_level: str | None = None
    interests: list[str] = Field(default_factory=list)
    onboarded: bool = False


class Onboarding(BaseModel):
    """What a new student gives to start: a class invite code and a few facts about them."""

    invite_code: str = Field(min_length=4, max_length=32, pattern=r"^[A-Za-z0-9-]+$")
    grade_level: str | None = Field(default=None, max_length=32)
    interests: list[str] = Field(default_factory=list, max_length=20)
    language: Literal["en", "es", "fr"] = "en"


class Recommendation(BaseModel):
    """Something to study next, and why."""

    content_id: str
    class_id: str
    title: str | None
    content_type: str
    reason: str


class Recommendations(BaseModel):
    """Recommendations and which method produced them."""

    source: Source
    items: list[Recommendation]


class CourseRecommendation(BaseModel):
    """A class the student is not in yet, and why they may want to join it."""

    class_id: str
    course_id: str | None
    title: str
    score: float
    reason: str
    reason_kind: Literal["peers", "grade", "interest", "language", "popularity", "offered"]
    reason_values: dict[str, str | float] = Field(default_factory=dict)


class OnboardingResult(BaseModel):
    """The profile after onboarding and the first recommendations."""

    profile: StudentProfileOut
    joined_class: ClassSummary
    recommendations: Recommendations


class ClassProgress(BaseModel):
    """A student's progress in one class."""

    class_id: str
    as_of_date: date | None = None
    status: str | None = None
    content_touched_share: float | None = None
    n_assessments_due: int | None = None
    n_assessments_submitted: int | None = None
    n_assessments_late: int | None = None
    weighted_score_to_date: float | None = None
    mean_score_to_date: float | None = None
    n_quiz_attempts: int | None = None
    mean_first_attempt_share_correct: float | None = None
    active_minutes: float | None = None
    last_active_date: date | None = None
    days_inactive: int | None = None
    modules: list[ModuleProgress] = Field(default_factory=list)


class ModuleProgress(BaseModel):
    """How much of a module a student has opened."""

    module: str
    n_content: int
    n_content_touched: int
    content_touched_share: float | None
    last_touched_date: date | None = None


class SkillMastery(BaseModel):
    """The probability that a student answers the next item on a skill correctly."""

    skill_id: str
    name: str
    probability: float = Field(ge=0, le=1)
    n_responses: int
    as_of: str | None = None
    source: Source


class MasteryChange(BaseModel):
    """A skill's mastery before and after a submission."""

    skill_id: str
    name: str
    before: float
    after: float


class TimelineDay(BaseModel):
    """One day of a student's activity in a class."""

    date: date
    class_week: int | None = None
    n_events: int
    active_minutes: float | None


class TimelineAttempt(BaseModel):
    """A quiz attempt on the timeline."""

    attempt_id: str
    quiz_id: str
    submitted_at: datetime | None
    share_correct: float | None
    n_items_answered: int | None


class TimelineIntervention(BaseModel):
    """An intervention on the timeline."""

    id: int
    kind: str
    note: str
    created_at: datetime


class ClassWeek(BaseModel):
    """A class's weekly figures (the averages a student is compared with)."""

    week: int
    week_start_date: date | None = None
    n_enrolled: int | None = None
    n_active: int | None = None
    active_share: float | None = None
    n_submissions: int | None = None
    mean_score_pct: float | None = None
    mean_quiz_score_pct: float | None = None


class Timeline(BaseModel):
    """A student's activity, submissions and interventions in a class, beside class averages."""

    student_id: str
    class_id: str
    days: list[TimelineDay]
    attempts: list[TimelineAttempt]
    interventions: list[TimelineIntervention]
    class_weeks: list[ClassWeek]


class RosterEntry(BaseModel):
    """A student in a class roster."""

    student_id: str
    display_name: str | None = None
    status: str | None = None
    content_touched_share: float | None = None
    mean_score_to_date: float | None = None
    n_quiz_attempts: int | None = None
    last_active_date: date | None = None
    days_inactive: int | None = None


class ModuleProgressCell(BaseModel):
    """One student's share of one module's content touched (a cell of the class heatmap)."""

    student_id: str
    display_name: str | None = None
    module: str
    n_content: int | None = None
    n_content_touched: int | None = None
    content_touched_share: float | None = Field(default=None, ge=0, le=1)
    last_touched_date: date | None = None


class VideoSegment(BaseModel):
    """Views of one stretch of a video (engagement across the video's length)."""

    video_id: str
    title: str | None = None
    segment_index: int
    segment_start_s: float
    segment_end_s: float
    n_views: int
    n_unique_viewers: int
    n_repeat_views: int


class ClassOverview(BaseModel):
    """A class at a glance, week by week."""

    class_info: ClassSummary
    weeks: list[ClassWeek]


class AtRiskStudent(BaseModel):
    """A flagged student with the reasons in a teacher's words."""

    student_id: str
    display_name: str | None = None
    probability: float | None = Field(default=None, ge=0, le=1)
    band: str | None
    reasons: list[str]
    as_of: str | None = None


class AtRiskList(BaseModel):
    """A class's at-risk students and what flagged them (``model`` or the ``rule``)."""

    class_id: str
    source: Source
    students: list[AtRiskStudent]


class ItemStats(BaseModel):
    """How one item performs."""

    item_id: str
    quiz_id: str
    stem: str | None = None
    n_attempts: int | None = None
    n_students: int | None = None
    difficulty: float | None = None
    first_attempt_difficulty: float | None = None
    discrimination: float | None = None
    option_shares: dict[str, float] | None = None
    is_too_easy: bool | None = None
    is_too_hard: bool | None = None
    has_negative_discrimination: bool | None = None
    flagged: bool = False


class QuizReliability(BaseModel):
    """Internal consistency of a quiz."""

    quiz_id: str
    n_items: int | None = None
    n_attempts: int | None = None
    kr20: float | None = None
    cronbach_alpha: float | None = None


class ItemAnalysis(BaseModel):
    """Item statistics and quiz reliability of a class."""

    class_id: str
    items: list[ItemStats]
    quizzes: list[QuizReliability]


ClassProgress.model_rebuild()
