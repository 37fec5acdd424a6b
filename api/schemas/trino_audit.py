"""The Trino query audit: completed-query events from Trino's HTTP event listener, and the list an
admin reads."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class _Lenient(BaseModel):
    """Trino sends many more fields than the audit keeps: they are ignored."""

    model_config = ConfigDict(extra="ignore")


class QueryMetadata(_Lenient):
    query_id: str = Field(alias="queryId", min_length=1, max_length=128)
    query: str = Field(max_length=2_000_000)
    query_state: str = Field(alias="queryState", max_length=32)


class QueryContext(_Lenient):
    user: str = Field(min_length=1, max_length=128)
    source: str | None = Field(default=None, max_length=200)


class QueryInput(_Lenient):
    catalog_name: str = Field(alias="catalogName", max_length=256)
    schema_name: str = Field(alias="schema", max_length=256)
    table: str = Field(max_length=256)


class QueryIo(_Lenient):
    inputs: list[QueryInput] = Field(default_factory=list, max_length=10_000)


class QueryFailure(_Lenient):
    error_code: dict[str, Any] | None = Field(default=None, alias="errorCode")
    failure_message: str | None = Field(default=None, alias="failureMessage")


class TrinoQueryCompleted(_Lenient):
    """The parts of Trino's ``QueryCompletedEvent`` JSON the audit keeps."""

    metadata: QueryMetadata
    context: QueryContext
    io_metadata: QueryIo = Field(default_factory=QueryIo, alias="ioMetadata")
    failure_info: QueryFailure | None = Field(default=None, alias="failureInfo")
    create_time: datetime | None = Field(default=None, alias="createTime")
    end_time: datetime | None = Field(default=None, alias="endTime")

    def tables_read(self) -> list[str]:
        """``catalog.schema.table`` of every table the query read, sorted, once each."""
        inputs = self.io_metadata.inputs
        return sorted({f"{i.catalog_name}.{i.schema_name}.{i.table}" for i in inputs})

    def error(self) -> str | None:
        if self.failure_info is None:
            return None
        name = (self.failure_info.error_code or {}).get("name")
        message = self.failure_info.failure_message or ""
        return f"{name}: {message}" if name else message or None


class QueryAuditOut(BaseModel):
    """One query someone ran in Trino."""

    id: int
    query_id: str
    user: str
    source: str | None
    created_at: datetime | None
    ended_at: datetime | None
    state: str
    sql: str
    tables_read: list[str]
    error: str | None
    received_at: datetime


class Received(BaseModel):
    """An event was stored (or was already)."""

    query_id: str
    stored: bool
