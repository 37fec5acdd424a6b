"""Erasure: remove one student from the landing folder, every table of the lake and every other
artefact under the lake folder, so that no file (no current or earlier table version, no log
entry, no checkpoint) still holds the student's identifiers.

Steps (``erase_student``):

1. **Resolve** ``<source_system>:<source_id>`` (or a ``student_id``) through
   ``silver/student_identity`` to the ``student_id`` and every identifier the lake knows for that
   student: source ids, usernames, emails (and their ``mailto:`` form and xAPI ``mbox_sha1sum``),
   LRS account names, Caliper IRIs, the pseudonymous ``student_id`` and the research id(s).
2. **Landing**: every file is read record by record (CSV rows, JSON lines, JSON arrays, Caliper
   envelopes, gzip and zip containers). A record *belongs* to the student when one of its values
   is one of the identifiers (exactly, or as the last segment of an IRI, or as ``mailto:``): it is
   dropped. A record of someone else that merely *mentions* an identifier (a guardian's
   ``agentSourcedIds`` list, a name in another student's forum post) keeps its place with the
   mention removed. Other records keep their exact bytes. Files are replaced atomically (temp
   file + rename, modification time kept); a file left without records is deleted.
3. **Ledger**: the rewritten files have new sha256s. The ``_loads`` rows of those files are
   updated in place (new file and unit sha256, size, counts less the removed records), so the
   loader sees the rewritten file as the one already loaded and re-loading stays a no-op: the
   other students' rows it holds are in the lake already, and loading it again as a new file
   would duplicate them (bronze) under a new load id.
4. **Tables**: every Delta table under the lake (found by its ``_delta_log``: bronze, silver,
   quarantine, system, gold, gold/ml, gold/research, anything else) is read; rows that belong to
   the student (by any string column, by the raw text of bronze records and quarantine rows) are
   dropped and mentions redacted; the table is overwritten in one commit. Then its **history is
   purged**: vacuum with zero retention (``enforce_retention_duration=False``, ``full=True``), a
   checkpoint of the latest version, and every older commit JSON and checkpoint deleted (commit
   JSON holds column min/max statistics and predicates, which can name the student). Tables
   without a current match are still checked: when an unreferenced data file or a log file
   mentions the student (an older version), their history is purged too.
5. **Other artefacts** under the lake (``models/``, ``_quality/``, anything not a Delta table):
   JSON is pruned like landing records, Parquet and ``.npz`` arrays lose the student's rows,
   text/CSV/HTML lose the lines that belong and have mentions redacted. A binary artefact that
   still mentions the student after that (a pickled model) is deleted and listed under
   ``artefacts_deleted``: the model must be retrained.
6. **Verify**: every byte of every file under the lake and the landing folder is scanned (with
   gzip, zip and Parquet pages decoded; UTF-8, UTF-16 and UTF-32 encodings) for every identifier.
   A remaining hit raises ``ErasureIncompleteError`` naming the files (not the identifiers).

This module is a library: no Dagster, no web. The operational store has its own function
(``erase_from_store``), which callers run with the same resolved identifiers.
"""

from __future__ import annotations

import contextlib
import csv
import gzip
import hashlib
import io as stdio
import json
import os
import re
import shutil
import tempfile
import zipfile
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
from deltalake import DeltaTable, write_deltalake

from lake import io
from lake.settings import LakeSettings
from lake.sources.common import is_gzip
from lake.tables import LOADS, silver

REDACTED = "[erased]"
# Identifiers shorter than this are not matched inside text (too many false hits); they still
# match as whole values.
MIN_TOKEN_CHARS = 4
_DROP = object()
_VERSIONED = re.compile(r"^(\d{20})\.")
_CONTAINER_KEYS = ("data", "statements")
_RAW_COLUMNS = frozenset({"record", "raw"})


class ErasureError(RuntimeError):
    """An erasure could not be carried out; nothing or part was changed (see the message)."""


class StudentRefError(ValueError):
    """A student reference that is not ``<source_system>:<source_id>`` or a ``student_id``."""


class UnknownStudentError(LookupError):
    """No student of the lake has the given identifier."""


class ErasureIncompleteError(ErasureError):
    """After the erasure a file still holds one of the student's identifiers."""


# ---------------------------------------------------------------------------------------------
# Who: the student's identifiers.


@dataclass(frozen=True)
class StudentIdentifiers:
    """Everything that identifies one student in the lake.

    ``exact``: values that make a record the student's when a field equals them (lowercase).
    ``mentions``: additional strings removed from text wherever they appear (full names).
    """

    student_id: str
    exact: frozenset[str]
    mentions: frozenset[str] = frozenset()
    research_ids: frozenset[str] = frozenset()

    @property
    def needles(self) -> list[str]:
        """Every string the verification scan looks for (longest first)."""
        vals = {v for v in self.exact | self.mentions if len(v) >= MIN_TOKEN_CHARS}
        return sorted(vals, key=lambda v: (-len(v), v))


def parse_student_ref(ref: str) -> tuple[str | None, str]:
    """``(source_system, source_id)``; ``(None, student_id)`` for a bare ``s_...`` id."""
    ref = (ref or "").strip()
    if not ref:
        raise StudentRefError("empty student reference; use <source_system>:<source_id>")
    if ":" not in ref:
        if re.fullmatch(r"s_[0-9a-f]{8,64}", ref):
            return None, ref
        raise StudentRefError(
            f"student reference {ref[:80]!r} is not <source_system>:<source_id> or a student_id"
        )
    system, _, source_id = ref.partition(":")
    if not system.strip() or not source_id.strip():
        raise StudentRefError(f"student reference {ref[:80]!r} is not <source_system>:<source_id>")
    return system.strip(), source_id.strip()


def _identity_rows(settings: LakeSettings) -> list[dict[str, Any]]:
    return io.read(settings, silver("student_identity")).to_pylist()


def resolve_student(
    settings: LakeSettings, ref: str, extra_identifiers: Iterable[str] = ()
) -> StudentIdentifiers:
    """The student ``ref`` names and all their identifiers; raises ``UnknownStudentError``.

    ``source_system`` is matched against the identity rows' ``source`` (``oneroster``,
    ``xapi``, ``caliper``, ...) or ``identifier_type`` (``sourced_id``, ``username``, ``email``,
    ...); ``student`` or ``student_id`` as the system takes a ``student_id``.
    """
    system, value = parse_student_ref(ref)
    rows = _identity_rows(settings)
    if system in (None, "student", "student_id"):
        sids = {value} if any(r["student_id"] == value for r in rows) else set()
        if not sids and _student_exists(settings, value):
            sids = {value}
    else:
        low = value.lower()
        sids = {
            r["student_id"]
            for r in rows
            if system in (r["source"], r["identifier_type"])
            and r["identifier"] is not None
            and (r["identifier"] == value or r["identifier"].lower() == low)
        }
    if not sids:
        raise UnknownStudentError(f"no student with identifier {ref[:120]!r} in the lake")
    if len(sids) > 1:
        raise ErasureError(f"{ref[:120]!r} names {len(sids)} students; give the student_id")
    sid = next(iter(sids))
    exact: set[str] = {sid.lower()}
    mentions: set[str] = set()
    for r in rows:
        if r["student_id"] != sid:
            continue
        for col in ("identifier", "email", "username"):
            if r.get(col):
                exact.add(str(r[col]).strip().lower())
        given, family = r.get("given_name"), r.get("family_name")
        if given and family:
            mentions.add(f"{given} {family}".lower())
            mentions.add(f"{family}, {given}".lower())
    exact |= {str(v).strip().lower() for v in extra_identifiers if v and str(v).strip()}
    for v in list(exact):
        if "@" in v and not v.startswith("mailto:"):
            exact.add(hashlib.sha1(f"mailto:{v}".encode()).hexdigest())
    research = _research_ids(settings, sid)
    exact |= {r.lower() for r in research}
    return StudentIdentifiers(
        student_id=sid,
        exact=frozenset(exact),
        mentions=frozenset(mentions),
        research_ids=frozenset(research),
    )


def _student_exists(settings: LakeSettings, sid: str) -> bool:
    t = io.read(settings, silver("students"), columns=["student_id"])
    return bool(pc.any(pc.equal(t.column(0), sid)).as_py()) if t.num_rows else False


def _research_tables(settings: LakeSettings) -> list[Path]:
    root = settings.lake / "gold" / "research"
    return [p.parent for p in root.rglob("_delta_log")] if root.is_dir() else []


def _research_ids(settings: LakeSettings, sid: str) -> set[str]:
    """The student's research id(s) in the current release, from
    ``lake.privacy.research.research_ids_for``; only asked when research tables exist (the
    function may create the development key file). When research tables exist but the function
    is missing, erasing would leave the student's research rows behind: an error, raised before
    anything changes."""
    if not _research_tables(settings):
        return set()
    try:
        from lake.privacy.research import research_ids_for
    except ImportError:
        raise ErasureError(
            "gold/research tables exist but lake.privacy.research.research_ids_for is "
            "missing: the student's research rows could not be found"
        ) from None
    found = research_ids_for([sid], lake=settings.lake)
    return {v for v in dict(found).values() if v}


# ---------------------------------------------------------------------------------------------
# Matching.


class Matcher:
    """Decides, for values and records, whether they belong to or mention the student."""

    def __init__(self, ids: StudentIdentifiers) -> None:
        self.ids = ids
        self.exact = ids.exact
        tokens = sorted(
            {t for t in ids.exact | ids.mentions if len(t) >= MIN_TOKEN_CHARS},
            key=lambda t: (-len(t), t),
        )
        alt = "|".join(re.escape(t) for t in tokens) or r"(?!x)x"
        # RE2 (pyarrow) has no look-around: boundaries are consumed groups instead.
        self.pattern = f"(?i)(^|[^a-z0-9])({alt})([^a-z0-9]|$)"
        self.regex = re.compile(self.pattern, re.DOTALL)
        self.bytes_needles = [t.encode() for t in tokens]

    # values ------------------------------------------------------------------------------
    def belongs(self, value: object) -> bool:
        """A value that is one of the identifiers (or an IRI / mailto: ending in one)."""
        if not isinstance(value, str):
            return False
        v = value.strip().lower()
        if not v:
            return False
        if v in self.exact:
            return True
        if v.startswith("mailto:") and v[7:] in self.exact:
            return True
        if "/" in v:
            tail = v.rstrip("/").rsplit("/", 1)[-1]
            if tail in self.exact:
                return True
        return False

    def mentions(self, text: object) -> bool:
        """Text containing an identifier (or a full name) as a whole token."""
        return isinstance(text, str) and self.regex.search(text) is not None

    def redact(self, text: str) -> str:
        """``text`` without the mentions: list elements removed, other mentions replaced."""
        for sep in (",", ";", "|", " "):
            parts = text.split(sep)
            if len(parts) > 1 and any(self.belongs(p.strip("{}[]\"' ")) for p in parts):
                kept = [p for p in parts if not self.belongs(p.strip("{}[]\"' "))]
                text = sep.join(kept)
        prev = None
        while prev != text:
            prev = text
            text = self.regex.sub(lambda m: f"{m[1]}{REDACTED}{m[3]}", text)
        return text

    # records -----------------------------------------------------------------------------
    def deep_belongs(self, obj: object) -> bool:
        if isinstance(obj, dict):
            return any(self.belongs(k) for k in obj) or any(
                self.deep_belongs(v) for v in obj.values()
            )
        if isinstance(obj, list):
            return any(self.deep_belongs(v) for v in obj)
        return self.belongs(obj)

    def deep_mentions(self, obj: object) -> bool:
        if isinstance(obj, dict):
            return any(self.mentions(k) or self.deep_mentions(v) for k, v in obj.items())
        if isinstance(obj, list):
            return any(self.deep_mentions(v) for v in obj)
        return self.mentions(obj)

    def process(self, obj: Any) -> Any:
        """A parsed record without the student: ``_DROP`` when it is the student's, else the
        record with lists pruned (Caliper ``data``, LRS ``statements``) and mentions redacted
        (the same object when nothing changed)."""
        if isinstance(obj, list):
            kept = [x for x in (self.process(v) for v in obj) if x is not _DROP]
            if obj and not kept:
                return _DROP
            return kept if len(kept) != len(obj) or kept != obj else obj
        if isinstance(obj, dict):
            for key in _CONTAINER_KEYS:
                inner = obj.get(key)
                if isinstance(inner, list) and inner and all(isinstance(v, dict) for v in inner):
                    rest = {k: v for k, v in obj.items() if k != key}
                    if self.deep_belongs(rest):
                        return _DROP
                    kept = self.process(inner)
                    if kept is _DROP:
                        return _DROP
                    new = dict(obj)
                    new[key] = kept
                    return self._redact_obj(new) if self.deep_mentions(rest) else new
            if self.deep_belongs(obj):
                return _DROP
            return self._redact_obj(obj) if self.deep_mentions(obj) else obj
        if self.belongs(obj):
            return _DROP
        return self.redact(obj) if self.mentions(obj) else obj

    def prune(self, obj: Any) -> Any:
        """A whole document (a model's JSON, a report) without the student: list elements that
        are the student's records are dropped, other values that are identifiers replaced."""
        if isinstance(obj, list):
            out = [x for x in (self.process(v) for v in obj) if x is not _DROP]
            return out if out != obj else obj
        if isinstance(obj, dict):
            out = {
                (self.redact(k) if self.mentions(k) else k): self.prune(v)
                for k, v in obj.items()
                if not self.belongs(k)
            }
            return out if out != obj else obj
        if self.belongs(obj):
            return REDACTED
        return self.redact(obj) if self.mentions(obj) else obj

    def _redact_obj(self, obj: Any) -> Any:
        if isinstance(obj, dict):
            return {
                (self.redact(k) if self.mentions(k) else k): self._redact_obj(v)
                for k, v in obj.items()
                if not self.belongs(k)
            }
        if isinstance(obj, list):
            return [self._redact_obj(v) for v in obj if not self.belongs(v)]
        if isinstance(obj, str) and self.mentions(obj):
            return self.redact(obj)
        return obj


# ---------------------------------------------------------------------------------------------
# Landing files.


@dataclass
class FileChange:
    """What the erasure did to one landing file."""

    path: Path
    removed: int = 0
    redacted: int = 0
    deleted: bool = False
    old_sha: str = ""


def _dump_json(obj: Any, like: str) -> str:
    compact = ": " not in like and ", " not in like
    if compact:
        return json.dumps(obj, ensure_ascii=False, separators=(",", ":"))
    return json.dumps(obj, ensure_ascii=False)


def _process_json_lines(text: str, m: Matcher) -> tuple[str, int, int]:
    out: list[str] = []
    removed = redacted = 0
    for line in text.splitlines(keepends=True):
        body = line.rstrip("\r\n")
        if not m.mentions(body) and not _has_belonging_token(body, m):
            out.append(line)
            continue
        try:
            obj = json.loads(body)
        except ValueError:
            # A line that is not JSON (it was quarantined as such): it goes, being the student's.
            removed += 1
            continue
        new = m.process(obj)
        if new is _DROP:
            removed += 1
        elif new is obj:
            out.append(line)
        else:
            redacted += 1
            out.append(_dump_json(new, body) + line[len(body) :])
    return "".join(out), removed, redacted


def _has_belonging_token(text: str, m: Matcher) -> bool:
    # Short identifiers (< MIN_TOKEN_CHARS) are not in the regex; a JSON value equal to one is
    # still found by parsing, which is only worth doing when the text has a quote-delimited hit.
    return any(f'"{t}"' in text.lower() for t in m.exact if len(t) < MIN_TOKEN_CHARS)


def _process_json_text(
    text: str, m: Matcher, document: bool = False
) -> tuple[str | None, int, int]:
    """A JSON document (array or object), or JSON lines; None when nothing is left.

    ``document``: the file is one document (an artefact), pruned inside rather than dropped."""
    stripped = text.lstrip()
    if stripped.startswith("[") or (stripped.startswith("{") and "\n{" not in stripped.strip()):
        try:
            obj = json.loads(text)
        except ValueError:
            pass
        else:
            before = _count_records(obj)
            new = m.prune(obj) if document else m.process(obj)
            if new is _DROP:
                return None, before, 0
            if new is obj:
                return text, 0, 0
            after = _count_records(new)
            removed = max(before - after, 0)
            return (
                _dump_json(new, text[:2000]) + ("\n" if text.endswith("\n") else ""),
                removed,
                (0 if removed else 1),
            )
    out, removed, redacted = _process_json_lines(text, m)
    return (out if out.strip() else None), removed, redacted


def _count_records(obj: Any) -> int:
    if isinstance(obj, list):
        return len(obj)
    if isinstance(obj, dict):
        for key in _CONTAINER_KEYS:
            if isinstance(obj.get(key), list):
                return len(obj[key])
    return 1


def _process_csv(text: str, m: Matcher) -> tuple[str | None, int, int]:
    """CSV rows that belong are dropped, mentions redacted; other rows keep their bytes."""
    lines = text.splitlines(keepends=True)
    reader = csv.reader(stdio.StringIO(text, newline=""))
    out: list[str] = []
    removed = redacted = 0
    start = 0
    header: list[str] | None = None
    for row in reader:
        end = reader.line_num
        raw = "".join(lines[start:end])
        start = end
        if header is None:
            header = row
            out.append(raw)
            continue
        if any(m.belongs(v) for v in row):
            removed += 1
        elif any(m.mentions(v) for v in row):
            buf = stdio.StringIO()
            csv.writer(buf, lineterminator=_line_ending(raw)).writerow(
                [m.redact(v) if m.mentions(v) else v for v in row]
            )
            out.append(buf.getvalue())
            redacted += 1
        else:
            out.append(raw)
    out.extend(lines[start:])
    return "".join(out), removed, redacted


def _line_ending(raw: str) -> str:
    return "\r\n" if raw.endswith("\r\n") else "\n"


def _process_text(text: str, m: Matcher) -> tuple[str | None, int, int]:
    """Markdown, HTML, plain text: lines that belong go, mentions are redacted."""
    out: list[str] = []
    removed = redacted = 0
    for line in text.splitlines(keepends=True):
        body = line.rstrip("\r\n")
        if m.belongs(body):
            removed += 1
        elif m.mentions(body):
            out.append(m.redact(body) + line[len(body) :])
            redacted += 1
        else:
            out.append(line)
    return "".join(out), removed, redacted


def _process_payload(
    name: str, data: bytes, m: Matcher, document: bool = False
) -> tuple[bytes | None, int, int]:
    """New bytes of one file (None: delete it), records removed, records redacted."""
    lower = name.lower()
    if is_gzip(data):
        try:
            inner = gzip.decompress(data)
        except (OSError, EOFError):
            inner = None
        if inner is not None:
            new, removed, redacted = _process_payload(
                lower.removesuffix(".gz").removesuffix(".gzip"), inner, m
            )
            if new is inner:
                return data, 0, 0
            return (None if new is None else gzip.compress(new, mtime=0)), removed, redacted
    if data[:4] == b"PK\x03\x04":
        with contextlib.suppress(zipfile.BadZipFile):
            return _process_zip(data, m)
    if data[:4] == b"PAR1":
        return _process_parquet_bytes(data, m)
    if lower.endswith(".npy") or lower.endswith(".npz"):
        return data, 0, 0  # handled by artefact processing (npz) or as binary
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        text = data.decode("utf-8", errors="surrogateescape")
    if not m.mentions(text) and not _has_belonging_token(text, m):
        return data, 0, 0
    if lower.endswith((".csv", ".tsv")):
        new_text, removed, redacted = _process_csv(text, m)
        if new_text is not None and len(new_text.splitlines()) <= 1 and removed:
            # Header only is still a valid file: keep it (the ledger names it).
            pass
    elif lower.endswith((".json", ".jsonl", ".ndjson", ".jsonld")) or text.lstrip()[:1] in "[{":
        new_text, removed, redacted = _process_json_text(text, m, document)
    else:
        new_text, removed, redacted = _process_text(text, m)
    if new_text is None:
        return None, removed, redacted
    if new_text == text:
        return data, 0, 0
    return new_text.encode("utf-8", errors="surrogateescape"), removed, redacted


def _process_zip(data: bytes, m: Matcher) -> tuple[bytes | None, int, int]:
    src = zipfile.ZipFile(stdio.BytesIO(data))
    removed = redacted = 0
    members: list[tuple[zipfile.ZipInfo, bytes]] = []
    changed = False
    for info in src.infolist():
        body = src.read(info)
        new, r, d = _process_payload(info.filename, body, m)
        removed, redacted = removed + r, redacted + d
        if new is None:
            changed = True
            continue
        changed = changed or new is not body
        members.append((info, new))
    if not changed:
        return data, 0, 0
    if not members:
        return None, removed, redacted
    buf = stdio.BytesIO()
    with zipfile.ZipFile(buf, "w") as dst:
        for info, body in members:
            dst.writestr(info, body)
    return buf.getvalue(), removed, redacted


def _process_parquet_bytes(data: bytes, m: Matcher) -> tuple[bytes | None, int, int]:
    table = pq.read_table(pa.BufferReader(data))
    new, removed, redacted = _filter_table(table, m)
    if new is None:
        return data, 0, 0
    buf = pa.BufferOutputStream()
    pq.write_table(new, buf, compression="zstd")
    return buf.getvalue().to_pybytes(), removed, redacted


def _atomic_write(path: Path, data: bytes) -> None:
    st = path.stat()
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".erase.tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        Path(tmp).chmod(st.st_mode & 0o7777)
        os.utime(tmp, ns=(st.st_atime_ns, st.st_mtime_ns))
        Path(tmp).replace(path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            Path(tmp).unlink()
        raise


def _walk_files(root: Path) -> Iterator[Path]:
    if not root.is_dir():
        return
    for dirpath, _dirs, files in os.walk(root):
        for f in sorted(files):
            p = Path(dirpath) / f
            if p.is_file() and not p.is_symlink():
                yield p


def erase_landing(landing: Path, m: Matcher, dry_run: bool = False) -> list[FileChange]:
    """Rewrite every landing file that holds the student (see the module docstring)."""
    changes: list[FileChange] = []
    for path in _walk_files(landing):
        data = path.read_bytes()
        new, removed, redacted = _process_payload(path.name, data, m)
        if new is data:
            continue
        changes.append(FileChange(path, removed, redacted, deleted=new is None))
        if dry_run:
            continue
        if new is None:
            path.unlink()
        else:
            _atomic_write(path, new)
    return changes


# ---------------------------------------------------------------------------------------------
# Tables.


def _string_columns(table: pa.Table) -> list[str]:
    out = []
    for f in table.schema:
        t = f.type
        if (
            pa.types.is_string(t)
            or pa.types.is_large_string(t)
            or _is_view(t)
            or (
                (pa.types.is_list(t) or pa.types.is_large_list(t))
                and (pa.types.is_string(t.value_type) or pa.types.is_large_string(t.value_type))
            )
        ):
            out.append(f.name)
    return out


def _is_view(t: pa.DataType) -> bool:
    return getattr(pa.types, "is_string_view", lambda _t: False)(t)


def _hit_mask(table: pa.Table, m: Matcher) -> pa.ChunkedArray | pa.Array:
    """Rows where any string column equals or mentions an identifier (vectorised)."""
    mask = pa.array([False] * table.num_rows)
    exact = pa.array(sorted(m.exact), pa.string())
    for name in _string_columns(table):
        col = table.column(name)
        if pa.types.is_list(col.type) or pa.types.is_large_list(col.type):
            col = pc.binary_join(col.cast(pa.list_(pa.string())), "\x1f")
        else:
            col = col.cast(pa.string())
        low = pc.utf8_lower(col)
        hit = pc.or_(
            pc.is_in(pc.utf8_trim_whitespace(low), value_set=exact),
            pc.match_substring_regex(col, m.pattern.removeprefix("(?i)"), ignore_case=True),
        )
        mask = pc.or_(mask, pc.fill_null(hit, False))
    return mask


def _row_change(row: dict[str, Any], m: Matcher) -> dict[str, Any] | None:
    """None when the row is the student's, else the row with mentions redacted."""
    new = dict(row)
    for k, v in row.items():
        if isinstance(v, list):
            if any(m.belongs(x) for x in v):
                return None
            if any(m.mentions(x) for x in v):
                new[k] = [m.redact(x) if m.mentions(x) else x for x in v]
            continue
        if not isinstance(v, str):
            continue
        if m.belongs(v):
            return None
        if not m.mentions(v) and not _has_belonging_token(v, m):
            continue
        if k in _RAW_COLUMNS or v.lstrip()[:1] in ("{", "["):
            try:
                obj = json.loads(v)
            except ValueError:
                if k in _RAW_COLUMNS:
                    return None  # raw text that could not be parsed: the whole row goes
                new[k] = m.redact(v)
                continue
            out = m.process(obj)
            if out is _DROP:
                return None
            if out is not obj:
                new[k] = _dump_json(out, v)
        else:
            new[k] = m.redact(v)
    return new


def _filter_table(table: pa.Table, m: Matcher) -> tuple[pa.Table | None, int, int]:
    """The table without the student (None: unchanged), rows removed, rows redacted."""
    if table.num_rows == 0:
        return None, 0, 0
    mask = _hit_mask(table, m)
    if not pc.any(mask).as_py():
        return None, 0, 0
    idx = pc.indices_nonzero(mask).to_pylist()
    hits = table.take(pa.array(idx, pa.int64())).to_pylist()
    keep = pc.invert(mask)
    changed_rows: list[dict[str, Any]] = []
    removed = 0
    for row in hits:
        new = _row_change(row, m)
        if new is None:
            removed += 1
        elif new != row:
            changed_rows.append(new)
        else:
            changed_rows.append(row)  # a false hit of the vectorised pass: kept as it was
    redacted = sum(1 for r, h in zip(changed_rows, hits, strict=False) if r is not h)
    parts = [table.filter(keep)]
    if changed_rows:
        parts.append(pa.Table.from_pylist(changed_rows, schema=table.schema))
    out = pa.concat_tables(parts)
    if removed == 0 and all(a == b for a, b in zip(changed_rows, [h for h in hits], strict=True)):
        return None, 0, 0
    return out, removed, redacted


def _delta_tables(lake: Path) -> list[Path]:
    return sorted(p.parent for p in lake.rglob("_delta_log") if p.is_dir())


def _table_lock_name(lake: Path, path: Path) -> Path:
    lock_dir = lake / "_locks"
    lock_dir.mkdir(parents=True, exist_ok=True)
    return lock_dir / (path.relative_to(lake).as_posix().replace("/", "__") + ".lock")


@contextlib.contextmanager
def _locked(lake: Path, path: Path) -> Iterator[None]:
    import fcntl

    with _table_lock_name(lake, path).open("a") as fh:
        fcntl.flock(fh.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh.fileno(), fcntl.LOCK_UN)


def purge_history(path: Path) -> None:
    """Leave only the latest version of a Delta table: unreferenced files vacuumed with zero
    retention, a checkpoint of the latest version, every older commit and checkpoint deleted."""
    dt = DeltaTable(str(path))
    dt.vacuum(retention_hours=0, dry_run=False, enforce_retention_duration=False, full=True)
    dt = DeltaTable(str(path))
    dt.create_checkpoint()
    latest = dt.version()
    log = path / "_delta_log"
    for f in list(log.iterdir()):
        match = _VERSIONED.match(f.name)
        if f.is_dir():
            if f.name in ("_commits", "_staged_commits"):
                shutil.rmtree(f)
            continue
        if (match and int(match[1]) < latest) or (
            f.name.endswith((".tmp", ".crc")) and not (match and int(match[1]) == latest)
        ):
            f.unlink()
    # The latest commit is the vacuum's (or the overwrite's): its JSON holds file names and
    # metrics, never row values of the removed files.


def _current_files(dt: DeltaTable) -> set[str]:
    root = Path(_local(dt.table_uri))
    return {str(Path(_local(u)).resolve().relative_to(root.resolve())) for u in dt.file_uris()}


def _local(uri: str) -> str:
    from urllib.parse import unquote, urlparse

    return unquote(urlparse(uri).path) if uri.startswith("file://") else uri


def _history_mentions(path: Path, scanner: Scanner) -> bool:
    """Whether a table's log or a data file outside its current version mentions the student."""
    dt = DeltaTable(str(path))
    current = _current_files(dt)
    for f in _walk_files(path):
        rel = str(f.relative_to(path))
        if rel in current:
            continue
        if scanner.file_hits(f):
            return True
    return False


def _rewrite_table(path: Path, new: pa.Table) -> None:
    dt = DeltaTable(str(path))
    parts = dt.metadata().partition_columns
    write_deltalake(
        dt,
        new,
        mode="overwrite",
        partition_by=list(parts) or None,
        writer_properties=io.WRITER,
    )


def _ledger_update(
    table: pa.Table,
    landing: Path,
    changes: list[FileChange],
    quarantined_removed: Counter[str],
) -> pa.Table | None:
    """``_loads`` rows of rewritten landing files with their new sha256s and counts."""
    if not changes:
        return None
    by_name = {c.path.relative_to(landing).as_posix(): c for c in changes}
    rows = table.to_pylist()
    new_unit_sha = _new_unit_shas(landing, changes)
    touched = False
    for r in rows:
        c = by_name.get(r["file"])
        if r["unit_sha256"] in new_unit_sha:
            r["unit_sha256"] = new_unit_sha[r["unit_sha256"]]
            touched = True
        if c is None:
            continue
        touched = True
        if not c.deleted:
            r["file_sha256"] = _sha256(c.path)
            r["file_bytes"] = c.path.stat().st_size
        q = min(quarantined_removed.get(r["file"], 0), r["rows_quarantined"] or 0)
        kept = max(c.removed - q, 0)
        if r["rows_in"] is not None:
            r["rows_in"] = max(r["rows_in"] - c.removed, 0)
        if r["rows_quarantined"] is not None:
            r["rows_quarantined"] = r["rows_quarantined"] - q
        if r["rows_kept"] is not None:
            r["rows_kept"] = max(r["rows_kept"] - kept, 0)
            if r["rows_in"] is not None and r["rows_quarantined"] is not None:
                r["rows_kept"] = r["rows_in"] - r["rows_quarantined"]
    return pa.Table.from_pylist(rows, schema=table.schema) if touched else None


def _sha256(path: Path) -> str:
    from lake.sources.base import sha256_file

    return sha256_file(path)


def _new_unit_shas(landing: Path, changes: list[FileChange]) -> dict[str, str]:
    """Old unit sha256 -> new, for every load unit with a rewritten (or deleted) file.

    The old sha is recomputed from the unit's files as they were; a unit's identity is its
    parser's (a OneRoster bundle hashes its members' names and sha256s)."""
    from lake.loader import parser_for
    from lake.tables import SOURCES

    changed = {c.path for c in changes}
    out: dict[str, str] = {}
    for source in SOURCES:
        if not any(landing / source in p.parents for p in changed):
            continue
        for unit in parser_for(source).discover(landing):
            if not changed.intersection(unit.files):
                continue
            out.update(_unit_sha_map(unit, changes))
    return out


def _unit_sha_map(unit: Any, changes: list[FileChange]) -> dict[str, str]:
    old = {c.path: c.old_sha for c in changes if c.old_sha}
    if len(unit.files) == 1:
        f = unit.files[0]
        return {old[f]: unit.sha256} if f in old else {}
    h = hashlib.sha256()
    for f in sorted(unit.files, key=lambda p: p.name):
        h.update(f"{f.name}\0{old.get(f, unit.file_shas[f])}\n".encode())
    return {h.hexdigest(): unit.sha256}


# ---------------------------------------------------------------------------------------------
# Other artefacts under the lake folder.


def _process_npz(path: Path, m: Matcher) -> tuple[bool, int]:
    """Rows of aligned arrays whose string entries are the student's are dropped."""
    import numpy as np

    with np.load(path, allow_pickle=False) as z:
        arrays = {k: z[k] for k in z.files}
        compressed = any(
            i.compress_type != zipfile.ZIP_STORED for i in zipfile.ZipFile(path).infolist()
        )
    drop: dict[int, Any] = {}
    for arr in arrays.values():
        if arr.dtype.kind in ("U", "S", "O") and arr.ndim >= 1 and arr.size:
            flat = arr.reshape(arr.shape[0], -1)
            hit = np.array([any(m.belongs(str(v)) for v in row) for row in flat])
            if hit.any():
                n = arr.shape[0]
                drop[n] = drop[n] | hit if n in drop else hit
    if not drop:
        return False, 0
    removed = 0
    for k, arr in list(arrays.items()):
        if arr.ndim >= 1 and arr.shape[0] in drop:
            arrays[k] = arr[~drop[arr.shape[0]]]
    removed = int(max(int(h.sum()) for h in drop.values()))
    buf = stdio.BytesIO()
    (np.savez_compressed if compressed else np.savez)(buf, **arrays)
    _atomic_write(path, buf.getvalue())
    return True, removed


def erase_artefacts(
    lake: Path, tables: list[Path], m: Matcher, scanner: Scanner
) -> tuple[dict[str, int], list[str]]:
    """Files under the lake outside Delta tables: pruned where their format allows, deleted
    (and listed) where a binary artefact still mentions the student."""
    counts: dict[str, int] = {}
    deleted: list[str] = []
    table_dirs = set(tables)
    for path in _walk_files(lake):
        if any(t == path.parent or t in path.parents for t in table_dirs):
            continue
        if "_locks" in path.relative_to(lake).parts:
            continue
        rel = path.relative_to(lake).as_posix()
        if not scanner.file_hits(path):
            continue
        if path.suffix.lower() == ".npz":
            with contextlib.suppress(Exception):
                _changed, removed = _process_npz(path, m)
                counts[rel] = removed
        else:
            data = path.read_bytes()
            new, removed, redacted = _process_payload(path.name, data, m, document=True)
            if new is None:
                path.unlink()
                deleted.append(rel)
                continue
            if new is not data:
                _atomic_write(path, new)
                counts[rel] = removed + redacted
        if path.exists() and scanner.file_hits(path):
            path.unlink()
            deleted.append(rel)
    return counts, deleted


# ---------------------------------------------------------------------------------------------
# The scan that proves it.


class Scanner:
    """Finds any of the student's identifiers in a file's bytes, decoding gzip, zip and Parquet
    (whose pages are compressed) and looking for UTF-8, UTF-16 and UTF-32 encodings."""

    def __init__(self, needles: Iterable[str]) -> None:
        base = sorted({n for n in needles if n}, key=len, reverse=True)
        variants: set[bytes] = set()
        for n in base:
            for form in {n, n.lower(), n.upper()}:
                for enc in ("utf-8", "utf-16-le", "utf-32-le"):
                    variants.add(form.encode(enc))
        self.needles = sorted(variants, key=len, reverse=True)
        self._lower_needles = sorted({n.lower().encode() for n in base}, key=len, reverse=True)

    def bytes_hit(self, data: bytes, depth: int = 0) -> bool:
        low = data.lower()
        if any(n in low for n in self._lower_needles) or any(n in data for n in self.needles):
            return True
        if depth > 3:
            return False
        if is_gzip(data):
            with contextlib.suppress(OSError, EOFError):
                return self.bytes_hit(gzip.decompress(data), depth + 1)
        if data[:4] == b"PK\x03\x04":
            with contextlib.suppress(zipfile.BadZipFile, OSError, EOFError):
                z = zipfile.ZipFile(stdio.BytesIO(data))
                return any(self.bytes_hit(z.read(i), depth + 1) for i in z.infolist())
        if data[:4] == b"PAR1" and data[-4:] == b"PAR1":
            with contextlib.suppress(Exception):
                return self.table_hit(pq.read_table(pa.BufferReader(data)))
        return False

    def table_hit(self, table: pa.Table) -> bool:
        for col in table.columns:
            if col.null_count == len(col):
                continue
            text = "\x1f".join(str(v) for v in col.to_pylist() if v is not None)
            if self.bytes_hit(text.encode("utf-8", errors="surrogateescape"), depth=99):
                return True
        return False

    def file_hits(self, path: Path) -> bool:
        try:
            return self.bytes_hit(path.read_bytes())
        except OSError:
            return False

    def scan(self, *roots: Path) -> list[Path]:
        """Every file under ``roots`` (or named by ``roots``) that mentions an identifier."""
        hits = []
        for root in roots:
            files = [root] if root.is_file() else list(_walk_files(root))
            hits += [f for f in files if self.file_hits(f)]
            if root.is_dir():
                hits += [
                    p
                    for p in root.rglob("*")
                    if self.bytes_hit(p.name.encode(), depth=99) and p not in hits
                ]
        return hits


# ---------------------------------------------------------------------------------------------
# The whole erasure.


@dataclass
class ErasureReport:
    """Counts per place: no identifiers (safe to log and to store in ``ErasureRecord``)."""

    landing_files: int = 0
    landing_files_deleted: int = 0
    landing_records_removed: int = 0
    landing_records_redacted: int = 0
    tables: dict[str, dict[str, int]] = field(default_factory=dict)
    histories_purged: list[str] = field(default_factory=list)
    artefacts: dict[str, int] = field(default_factory=dict)
    artefacts_deleted: list[str] = field(default_factory=list)
    verified: bool = False
    seconds: float = 0.0

    def counts(self) -> dict[str, int]:
        """Flat ``place -> rows removed`` for the ``ErasureRecord``."""
        out = {
            "landing/files": self.landing_files,
            "landing/records": self.landing_records_removed,
        }
        for name, c in self.tables.items():
            out[name] = c.get("removed", 0)
        for name, n in self.artefacts.items():
            out[name] = n
        for name in self.artefacts_deleted:
            out[name] = -1
        return out

    def as_dict(self) -> dict[str, Any]:
        return {
            "landing": {
                "files_rewritten": self.landing_files,
                "files_deleted": self.landing_files_deleted,
                "records_removed": self.landing_records_removed,
                "records_redacted": self.landing_records_redacted,
            },
            "tables": self.tables,
            "histories_purged": self.histories_purged,
            "artefacts": self.artefacts,
            "artefacts_deleted": self.artefacts_deleted,
            "verified": self.verified,
            "seconds": self.seconds,
        }


def erase_student(
    settings: LakeSettings,
    ref: str,
    *,
    extra_identifiers: Iterable[str] = (),
    verify: bool = True,
    ids: StudentIdentifiers | None = None,
) -> ErasureReport:
    """Remove the student ``ref`` names from landing, every table and every artefact of the lake.

    Raises ``StudentRefError`` / ``UnknownStudentError`` before changing anything, and
    ``ErasureIncompleteError`` when the final scan still finds an identifier.
    """
    started = datetime.now(UTC)
    ids = ids or resolve_student(settings, ref, extra_identifiers)
    m = Matcher(ids)
    scanner = Scanner(ids.needles)
    report = ErasureReport()

    # 1. Landing, remembering each changed file's old sha for the ledger.
    old_sha: dict[Path, str] = {}
    preview = erase_landing(settings.landing, m, dry_run=True)
    for c in preview:
        old_sha[c.path] = _sha256(c.path)
    changes = erase_landing(settings.landing, m)
    for c in changes:
        c.old_sha = old_sha.get(c.path, "")
    report.landing_files = sum(1 for c in changes if not c.deleted)
    report.landing_files_deleted = sum(1 for c in changes if c.deleted)
    report.landing_records_removed = sum(c.removed for c in changes)
    report.landing_records_redacted = sum(c.redacted for c in changes)

    # 2. Tables: quarantine first (its removed rows adjust the ledger counts), ledger last.
    tables = _delta_tables(settings.lake)
    loads_path = io.table_path(settings, LOADS)
    ordered = sorted(tables, key=lambda p: (p == loads_path, "quarantine" not in p.parts, p))
    quarantined_removed: Counter[str] = Counter()
    for path in ordered:
        name = path.relative_to(settings.lake).as_posix()
        with _locked(settings.lake, path):
            dt = DeltaTable(str(path))
            table = io.read_delta(dt)
            new, removed, redacted = _filter_table(table, m)
            if path.parent.name == "quarantine" and new is not None:
                before = Counter(table.column("file").to_pylist())
                after = Counter(new.column("file").to_pylist())
                quarantined_removed.update(before - after)
            if path == loads_path:
                base = new if new is not None else table
                ledger = _ledger_update(base, settings.landing, changes, quarantined_removed)
                if ledger is not None:
                    new = ledger
            if new is not None:
                _rewrite_table(path, new)
                report.tables[name] = {"removed": removed, "redacted": redacted}
                purge_history(path)
                report.histories_purged.append(name)
            elif _history_mentions(path, scanner):
                purge_history(path)
                report.histories_purged.append(name)

    # 3. Everything else under the lake folder.
    report.artefacts, report.artefacts_deleted = erase_artefacts(settings.lake, tables, m, scanner)

    # 4. Proof.
    if verify:
        left = scanner.scan(settings.lake, settings.landing)
        if left:
            roots = (settings.lake, settings.landing)
            names = sorted(
                {str(p.relative_to(next(r for r in roots if r in p.parents))) for p in left}
            )
            raise ErasureIncompleteError(
                f"{len(left)} file(s) still hold the student's identifiers: {', '.join(names[:20])}"
            )
        report.verified = True
    report.seconds = round((datetime.now(UTC) - started).total_seconds(), 3)
    return report


def erasure_counts(report: ErasureReport) -> dict[str, int]:
    """Alias kept for callers that only need the counts."""
    return report.counts()


# Public helpers for tests and the CLI.
__all__ = [
    "ErasureError",
    "ErasureIncompleteError",
    "ErasureReport",
    "Matcher",
    "Scanner",
    "StudentIdentifiers",
    "StudentRefError",
    "UnknownStudentError",
    "erase_landing",
    "erase_student",
    "parse_student_ref",
    "purge_history",
    "resolve_student",
]
