"""The bare FastAPI hello-world that ``bench/api_load.py`` measures the LearnSmart API against.

One auth-free GET route returning a dict built once at import: the cost of FastAPI, Starlette
and uvicorn alone (routing, JSON encoding, HTTP), with no middleware, database or lake.

    .venv/bin/uvicorn bench.hello_app:app --port 8001
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI

HELLO: dict[str, Any] = {"message": "hello, world"}

app = FastAPI(title="hello-world baseline", docs_url=None, redoc_url=None, openapi_url=None)


@app.get("/", response_model=None)  # no response validation: the bare floor
async def hello() -> dict[str, Any]:
    """The cached greeting."""
    return HELLO
