"""The demo school's curriculum: classes, modules, lesson pages, videos, resources and quiz items.

The lesson texts live in ``lessons_stem`` and ``lessons_humanities``; this module holds the shapes
and the registry the generator reads. Everything here is static: ids are derived from the class
key, the module number and the position, so they never depend on the seed.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Skill:
    """A skill a module teaches; quiz items are tagged with skills."""

    skill_id: str
    name: str
    description: str


@dataclass(frozen=True)
class Page:
    """A lesson page: a title and a Markdown body (without the top heading)."""

    title: str
    body: str


@dataclass(frozen=True)
class Media:
    """A video or downloadable resource: a title, a description, and (videos) a length."""

    title: str
    description: str
    length_s: int = 0


@dataclass(frozen=True)
class Item:
    """A multiple-choice item: the correct option text first, then the distractors."""

    stem: str
    correct: str
    distractors: tuple[str, ...]
    skill: int  # index into the module's skills


@dataclass(frozen=True)
class Module:
    """One module (M1..M6) of a class."""

    title: str
    skills: tuple[Skill, ...]
    pages: tuple[Page, ...]
    video: Media
    resource: Media
    items: tuple[Item, ...]


@dataclass(frozen=True)
class ClassSpec:
    """A course offered as one class this term, with its teacher and its modules."""

    key: str
    title: str
    course_code: str
    subject: str
    subject_code: str
    grades: tuple[str, ...]
    school: str
    location: str
    period: str
    modules: tuple[Module, ...]


def all_classes() -> tuple[ClassSpec, ...]:
    """The demo school's classes, in a fixed order."""
    from lake.demo.lessons_humanities import ENGLISH, HISTORY
    from lake.demo.lessons_stem import ALGEBRA, BIOLOGY, PHYSICS

    return (ALGEBRA, BIOLOGY, HISTORY, ENGLISH, PHYSICS)
