"""Stable pseudonyms for students: an HMAC of the source identifier under the deployment key.

The same identifier always maps to the same ``student_id`` within a deployment, and without the
key the mapping cannot be reversed or recomputed from a guessed identifier.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterable

STUDENT_PREFIX = "s_"


def student_pseudonym(key: str, identifier_type: str, identifier: str) -> str:
    """``student_id`` for one source identifier (``identifier_type`` as in student_identity)."""
    msg = f"{identifier_type}:{identifier}".encode()
    digest = hmac.new(key.encode(), msg, hashlib.sha256).hexdigest()
    return STUDENT_PREFIX + digest[:24]


def student_pseudonyms(key: str, identifier_type: str, identifiers: Iterable[str]) -> list[str]:
    """Vector form of :func:`student_pseudonym`; callers pass distinct identifiers."""
    return [student_pseudonym(key, identifier_type, i) for i in identifiers]
