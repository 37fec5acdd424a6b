"""Readers for the published knowledge-tracing split files (DKVMN and AKT layouts).

Both layouts hold one student per block of lines, plain text or gzip (detected by the magic
bytes, not the file name):

- ``dkvmn`` (DKVMN, DKT reproductions, Piech's builder files): 3 lines a student: the length
  ``n`` (or ``n,user_id``), ``n`` comma-separated skill ids, ``n`` comma-separated 0/1 responses.
- ``akt`` (AKT splits): 4 lines a student (length, problem ids, skill ids, responses) or the
  same 3 lines as ``dkvmn`` (no problem ids). Which one a file uses is detected from its structure.
  AKT's published files put ``student_index,user_id`` on the first line, not the length: in this
  format a two-value first line is read as that label, and the length is the number of responses
  (the problem and skill lines must have as many values). A one-value first line is the length.

Trailing commas and blank lines are ignored. Ids must be non-negative integers.

The result is a :class:`KtSequences`: flat numpy arrays of all responses in file order (each
student's responses contiguous, oldest first) and per-student offsets, so features can be built
with vectorised numpy instead of a Python loop per response.
"""

from __future__ import annotations

import gzip
from dataclasses import dataclass
from pathlib import Path
from typing import Final, Literal

import numpy as np
import numpy.typing as npt
import polars as pl

__all__ = ["FORMATS", "KtSequences", "read_kt"]

FORMATS: Final = ("dkvmn", "akt")

IntArray = npt.NDArray[np.int64]
Int8Array = npt.NDArray[np.int8]

_GZIP_MAGIC: Final = b"\x1f\x8b"


@dataclass(frozen=True)
class KtSequences:
    """Response sequences of many students, stored flat.

    Attributes:
        source: The file the sequences were read from (for messages).
        student_ids: One label per student: the user id of the length line when present, else
            the 0-based block number.
        offsets: ``n_students + 1`` offsets: student ``i``'s responses are rows
            ``offsets[i]:offsets[i + 1]``.
        skill: Skill id of each response.
        correct: 1 for a correct response, 0 for a wrong one.
        problem: Problem (item) id of each response; None when the file has no problem ids.
    """

    source: str
    student_ids: list[str]
    offsets: IntArray
    skill: IntArray
    correct: Int8Array
    problem: IntArray | None

    @property
    def n_students(self) -> int:
        """Number of students (blocks)."""
        return len(self.student_ids)

    @property
    def n_responses(self) -> int:
        """Number of responses over all students."""
        return int(self.skill.size)

    @property
    def lengths(self) -> IntArray:
        """Number of responses of each student."""
        return np.diff(self.offsets)

    @property
    def student_index(self) -> IntArray:
        """0-based student number of each response."""
        return np.repeat(np.arange(self.n_students, dtype=np.int64), self.lengths)

    @property
    def position(self) -> IntArray:
        """0-based position of each response within its student's sequence."""
        return np.arange(self.n_responses, dtype=np.int64) - np.repeat(
            self.offsets[:-1], self.lengths
        )

    @property
    def skill_position(self) -> IntArray:
        """Number of the student's earlier responses on the same skill, for each response."""
        key = self.student_index * (int(self.skill.max(initial=0)) + 1) + self.skill
        order = np.argsort(key, kind="stable")
        ordered = key[order]
        first = np.ones(ordered.size, dtype=bool)
        first[1:] = ordered[1:] != ordered[:-1]
        rank = np.arange(ordered.size, dtype=np.int64)
        out = np.empty(ordered.size, dtype=np.int64)
        out[order] = rank - np.maximum.accumulate(np.where(first, rank, 0))
        return out

    def subset(self, students: npt.ArrayLike) -> KtSequences:
        """The sequences of the given student numbers, in the given order."""
        idx = np.asarray(students, dtype=np.int64)
        lengths = self.lengths[idx]
        offsets = np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64)
        starts = self.offsets[:-1][idx]
        rows = np.repeat(starts - offsets[:-1], lengths) + np.arange(offsets[-1])
        return KtSequences(
            source=self.source,
            student_ids=[self.student_ids[i] for i in idx.tolist()],
            offsets=offsets,
            skill=self.skill[rows],
            correct=self.correct[rows],
            problem=None if self.problem is None else self.problem[rows],
        )

    def to_frame(self) -> pl.DataFrame:
        """One row per response: student (index), student_id, position, skill, problem, correct.

        ``problem`` is null when the file has no problem ids.
        """
        problem = (
            pl.Series("problem", [None] * self.n_responses, dtype=pl.Int64)
            if self.problem is None
            else pl.Series("problem", self.problem)
        )
        index = self.student_index
        return pl.DataFrame(
            {
                "student": index,
                "student_id": pl.Series(self.student_ids, dtype=pl.String).gather(index),
                "position": self.position,
                "skill": self.skill,
                "problem": problem,
                "correct": self.correct,
            }
        )


def read_kt(path: Path | str, fmt: Literal["dkvmn", "akt"] | str) -> KtSequences:
    """Read a knowledge-tracing split file.

    Args:
        path: The file, plain text or gzip.
        fmt: ``dkvmn`` (3 lines a student) or ``akt`` (4 lines with problem ids, or 3 without;
            detected from the file).

    Raises:
        ValueError: Unknown format, unreadable or empty file, or malformed content (line counts
            that do not add up, non-numeric or negative values, responses other than 0/1, a
            line whose number of values differs from the declared length); the message names
            the file and the 1-based line.
    """
    if fmt not in FORMATS:
        raise ValueError(f"unknown format {fmt!r}; choose from {', '.join(FORMATS)}")
    path = Path(path)
    lines = _read_lines(path)
    if not lines:
        raise ValueError(f"{path}: no sequences (empty file)")
    if fmt == "dkvmn":
        return _parse_blocks(path, lines, has_problems=False, labelled_header=False)
    return _parse_akt(path, lines)


# --- parsing ----------------------------------------------------------------------------------


def _read_lines(path: Path) -> list[tuple[int, str]]:
    """Non-blank lines with their 1-based line numbers."""
    try:
        raw = path.read_bytes()
        if raw[:2] == _GZIP_MAGIC:
            raw = gzip.decompress(raw)
        text = raw.decode("utf-8")
    except (OSError, EOFError, UnicodeDecodeError) as exc:
        raise ValueError(f"{path}: cannot read: {exc}") from exc
    return [
        (number, stripped)
        for number, line in enumerate(text.splitlines(), start=1)
        if (stripped := line.strip())
    ]


def _parse_akt(path: Path, lines: list[tuple[int, str]]) -> KtSequences:
    """Try the 4-line layout, then the 3-line one; keep the one that parses.

    When both parse (only possible for files of very short sequences), the 4-line reading wins:
    it is what the AKT splits with problem ids use. When neither parses, the error of the reading
    whose line count fits (or that got further) is raised.
    """
    attempts: list[tuple[int, ValueError]] = []
    for has_problems, size in ((True, 4), (False, 3)):
        if len(lines) % size:
            attempts.append((-1, _count_error(path, lines, size)))
            continue
        try:
            return _parse_blocks(path, lines, has_problems=has_problems, labelled_header=True)
        except _ParseError as exc:
            attempts.append((exc.line, exc))
    raise max(attempts, key=lambda a: a[0])[1]


class _ParseError(ValueError):
    """A malformed line; ``line`` is its 1-based number, for choosing among layouts."""

    def __init__(self, path: Path, line: int, message: str) -> None:
        super().__init__(f"{path}, line {line}: {message}")
        self.line = line


def _count_error(path: Path, lines: list[tuple[int, str]], size: int) -> ValueError:
    return ValueError(
        f"{path}: {len(lines)} non-blank lines is not a multiple of {size} "
        f"(blocks of {size} lines a student); last line {lines[-1][0]}"
    )


def _parse_blocks(
    path: Path, lines: list[tuple[int, str]], *, has_problems: bool, labelled_header: bool
) -> KtSequences:
    size = 4 if has_problems else 3
    if len(lines) % size:
        raise _count_error(path, lines, size)
    student_ids: list[str] = []
    lengths: list[int] = []
    skills: list[list[int]] = []
    problems: list[list[int]] = []
    responses: list[list[int]] = []
    for b in range(0, len(lines), size):
        header_no, header = lines[b]
        parts = [p.strip() for p in header.rstrip(",").split(",")]
        if len(parts) > 2:
            raise _ParseError(
                path, header_no, f"expected a length line 'n' or 'n,user_id', got {header[:60]!r}"
            )
        first = _int(path, header_no, parts[0], "length")
        if labelled_header and len(parts) == 2:
            # AKT's own files write "student_index,user_id" here, not the length: the length
            # is then the response count, and every line of the block must agree with it.
            n = lines[b + size - 1][1].rstrip(",").count(",") + 1
        else:
            n = first
        if n < 1:
            raise _ParseError(path, header_no, f"sequence length must be >= 1, got {n}")
        student_ids.append(parts[1] if len(parts) == 2 and parts[1] else str(b // size))
        lengths.append(n)
        values = [_values(path, lines[b + k], n) for k in range(1, size)]
        if has_problems:
            problems.append(values[0])
        skills.append(values[-2])
        resp_no = lines[b + size - 1][0]
        if any(v not in (0, 1) for v in values[-1]):
            bad = next(v for v in values[-1] if v not in (0, 1))
            raise _ParseError(path, resp_no, f"responses must be 0 or 1, got {bad}")
        responses.append(values[-1])
    offsets = np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64)

    def flat(rows: list[list[int]]) -> IntArray:
        return np.fromiter((v for row in rows for v in row), dtype=np.int64, count=int(offsets[-1]))

    return KtSequences(
        source=str(path),
        student_ids=student_ids,
        offsets=offsets,
        skill=flat(skills),
        correct=flat(responses).astype(np.int8),
        problem=flat(problems) if has_problems else None,
    )


def _values(path: Path, numbered: tuple[int, str], n: int) -> list[int]:
    number, line = numbered
    parts = line.rstrip(",").split(",")
    if len(parts) != n:
        raise _ParseError(
            path, number, f"expected {n} values (the declared length), got {len(parts)}"
        )
    values = [_int(path, number, p, "value") for p in parts]
    if min(values) < 0:
        raise _ParseError(path, number, f"ids must be >= 0, got {min(values)}")
    return values


def _int(path: Path, number: int, text: str, what: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise _ParseError(path, number, f"{what} {text.strip()[:30]!r} is not an integer") from None
