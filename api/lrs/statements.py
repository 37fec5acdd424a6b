"""An xAPI 1.0.3 LRS subset: ``POST /xapi/statements`` (one or an array), ``GET`` by
``statementId``, and ``/xapi/about``.

Statements are validated by the same code as the file ingest (``lake.sources.xapi.transform``);
a batch with any invalid statement is refused whole (400, with each reason) and nothing is
stored, as the specification requires. Accepted statements are written to
``landing/xapi/lrs/<day>/`` for the pipeline and kept for retrieval by id.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import uuid
from datetime import UTC, datetime
from typing import Annotated, Any

import numpy as np
import orjson
import pyarrow as pa
from fastapi import APIRouter, Depends, Header, Query, Request
from fastapi.responses import JSONResponse, Response

from api.deps import ServicesDep
from api.learner import write_landing
from api.problems import ApiError
from api.store.models import LrsStatement
from lake.quarantine import QuarantineBuilder
from lake.sources.base import ParseContext
from lake.sources.xapi import transform

VERSION = "1.0.3"
MAX_STATEMENTS = 1000


def lrs_client(request: Request, svc: ServicesDep) -> str:
    """The LRS client, from HTTP Basic credentials (401 otherwise)."""
    header = request.headers.get("authorization", "")
    challenge = {"WWW-Authenticate": 'Basic realm="LearnSmart LRS"'}
    if not header.lower().startswith("basic "):
        raise ApiError(401, "LRS credentials (HTTP Basic) are required.", headers=challenge)
    try:
        key, _, secret = base64.b64decode(header[6:], validate=True).decode().partition(":")
    except (binascii.Error, UnicodeDecodeError) as exc:
        raise ApiError(401, "Malformed Basic credentials.", headers=challenge) from exc
    ok_key = hmac.compare_digest(key.encode(), svc.settings.lrs_key.encode())
    ok_secret = hmac.compare_digest(secret.encode(), svc.settings.lrs_secret.encode())
    if not (ok_key and ok_secret):
        raise ApiError(401, "Unknown LRS client or wrong secret.", headers=challenge)
    return key


def xapi_version(
    version: Annotated[str | None, Header(alias="X-Experience-API-Version", max_length=16)] = None,
) -> str:
    """The client's xAPI version header: required, 1.0.x."""
    if version is None:
        raise ApiError(400, "The X-Experience-API-Version header is required.")
    if not version.startswith("1.0"):
        raise ApiError(400, f"xAPI version {version!r} is not supported (1.0.x is).")
    return version


router = APIRouter(prefix="/xapi", tags=["xapi"])
Client = Annotated[str, Depends(lrs_client)]
Version = Annotated[str, Depends(xapi_version)]
_HEADERS = {"X-Experience-API-Version": VERSION}


@router.get("/about", summary="LRS version information")
def about() -> JSONResponse:
    """The xAPI versions this LRS speaks."""
    return JSONResponse({"version": [VERSION]}, headers=_HEADERS)


def _canonical(statement: dict[str, Any]) -> bytes:
    core = {k: v for k, v in statement.items() if k not in ("stored", "authority")}
    return orjson.dumps(core, option=orjson.OPT_SORT_KEYS)


@router.post(
    "/statements",
    summary="Store one statement or an array of statements",
    responses={200: {"description": "The ids of the stored statements, in order."}},
)
async def post_statements(
    request: Request, client: Client, _version: Version, svc: ServicesDep
) -> JSONResponse:
    """Validated like the file ingest; all or nothing."""
    try:
        doc = orjson.loads(await request.body())
    except orjson.JSONDecodeError as exc:
        raise ApiError(400, f"The body is not JSON: {exc}") from exc
    items = doc if isinstance(doc, list) else [doc]
    if not items or not all(isinstance(s, dict) for s in items):
        raise ApiError(400, "Send a statement object or a non-empty array of them.")
    if len(items) > MAX_STATEMENTS:
        raise ApiError(413, f"At most {MAX_STATEMENTS} statements per request.")
    stored = datetime.now(UTC).isoformat().replace("+00:00", "Z")
    authority = {
        "objectType": "Agent",
        "account": {"homePage": svc.settings.public_url, "name": client},
    }
    ids: list[str] = []
    for s in items:
        sid = s.get("id")
        if sid is None:
            sid = str(uuid.uuid4())
            s["id"] = sid
        if not isinstance(sid, str):
            raise ApiError(400, "A statement id must be a UUID string.")
        ids.append(sid.lower())
        s.setdefault("timestamp", stored)
        s["stored"] = stored
        s["authority"] = authority
    if len(set(ids)) != len(ids):
        raise ApiError(400, "The batch repeats a statement id.")
    errors = _validate(svc, items)
    if errors:
        raise _invalid(errors)
    with svc.store.session() as session:
        existing = {
            r.statement_id: r for r in (session.get(LrsStatement, i) for i in ids) if r is not None
        }
    new = []
    for sid, s in zip(ids, items, strict=True):
        old = existing.get(sid)
        if old is None:
            new.append((sid, s))
        elif _canonical(old.statement) != _canonical(s):
            raise ApiError(409, f"Statement {sid} exists with different content.", kind="conflict")
    if new:
        path = write_landing(
            svc.settings.landing, "xapi/lrs", f"lrs-{uuid.uuid4().hex}", [s for _i, s in new]
        )
        with svc.store.session() as session:
            for sid, s in new:
                session.add(LrsStatement(statement_id=sid, statement=s, landing_file=str(path)))
    return JSONResponse(ids, headers=_HEADERS)


def _invalid(errors: list[dict[str, Any]]) -> ApiError:
    detail = "; ".join(f"statement {e['index']}: {e['reason']}" for e in errors[:20])
    return ApiError(400, f"Invalid statements, none stored ({detail}).", kind="invalid-statements")


def _validate(svc: ServicesDep, items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Reasons the file ingest would quarantine each statement for (empty: all valid)."""
    texts = [orjson.dumps(s).decode() for s in items]
    records = pa.table(
        {
            "_line": pa.array(np.arange(1, len(texts) + 1, dtype=np.int64)),
            "text": pa.array(texts, pa.string()),
        }
    )
    q = QuarantineBuilder()
    ctx = ParseContext(settings=svc.settings.lake, load_id="lrs-validation")
    transform(records, "lrs", ctx, q)
    return [
        {"index": line - 1, "reason_code": code, "reason": reason}
        for line, code, reason in sorted(zip(q.lines, q.codes, q.reasons, strict=True))
    ]


@router.get("/statements", summary="Get a statement by id")
def get_statement(
    client: Client,
    _version: Version,
    svc: ServicesDep,
    statement_id: Annotated[
        str | None, Query(alias="statementId", min_length=36, max_length=36)
    ] = None,
) -> Response:
    """``statementId`` is required (this LRS subset has no statement queries)."""
    if statement_id is None:
        raise ApiError(400, "statementId is required (queries are not supported).")
    with svc.store.session() as session:
        row = session.get(LrsStatement, statement_id.lower())
    if row is None:
        raise ApiError(404, "No statement with that id.", kind="not-found")
    return JSONResponse(row.statement, headers=_HEADERS)
