"""What the research explorer does, without any UI: sign in to Trino, list the research tables,
run one read-only query with a row limit, plot a result, export it as CSV.

Every failure a researcher can cause or meet (wrong password, Trino down, a denied or broken
query, a statement that is not a query) ends up as one sentence from :data:`docs.TEXT`:
:meth:`Explorer.sign_in` and :meth:`Explorer.tables` raise :class:`ExplorerError`,
:meth:`Explorer.run` returns a :class:`QueryResult` whose ``error`` is set and whose frame is
empty. Nothing that is not a single SELECT/WITH query is sent to Trino (:func:`prepare`), and
Trino's own rules deny every catalog but ``research`` in any case.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Final

import altair as alt
import pandas as pd

from apps.common.charts import OKABE_ITO
from apps.research_explorer.docs import TEXT, column_doc
from orchestration.trino.client import TrinoClient
from orchestration.trino.server import CATALOG_RESEARCH, RESEARCH_SCHEMA, TrinoError

if TYPE_CHECKING:
    from orchestration.trino.server import TrinoSettings

DEFAULT_LIMIT: Final = 1000
MAX_LIMIT: Final = 10_000
SOURCE: Final = "research-explorer"
KINDS: Final = ("bar", "line", "point")
QUERY_STARTS: Final = frozenset({"SELECT", "WITH"})
_SCHEMA = f"{CATALOG_RESEARCH}.{RESEARCH_SCHEMA}"


class ExplorerError(Exception):
    """A failure told as one sentence (``str(err)``), fit to show as it is."""


# --- SQL ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Token:
    kind: str  # "word", "punct", "string", "ident"
    text: str
    depth: int  # parenthesis depth where it starts


def _scan(sql: str) -> list[tuple[list[_Token], str]]:
    """The statements of ``sql`` (split on ``;`` outside quotes and comments), each as its
    tokens and its text with every comment replaced by one space.

    Raises:
        ExplorerError: an unclosed string, quoted name or block comment.
    """
    statements: list[tuple[list[_Token], list[str]]] = [([], [])]
    i, n, depth = 0, len(sql), 0
    while i < n:
        tokens, text = statements[-1]
        c = sql[i]
        if c.isspace():
            text.append(c)
            i += 1
        elif sql.startswith("--", i):
            end = sql.find("\n", i)
            i = n if end < 0 else end + 1
            text.append("\n")
        elif sql.startswith("/*", i):
            end = sql.find("*/", i + 2)
            if end < 0:
                raise ExplorerError(TEXT["unclosed"].format(what="comment (/* without */)"))
            i = end + 2
            text.append(" ")
        elif c in "'\"":
            j = i + 1
            while True:
                j = sql.find(c, j)
                if j < 0:
                    what = "string (')" if c == "'" else 'quoted name (")'
                    raise ExplorerError(TEXT["unclosed"].format(what=what))
                if j + 1 < n and sql[j + 1] == c:  # '' or "" inside: an escaped quote
                    j += 2
                    continue
                break
            tokens.append(_Token("string" if c == "'" else "ident", sql[i : j + 1], depth))
            text.append(sql[i : j + 1])
            i = j + 1
        elif c == ";":
            statements.append(([], []))
            depth = 0
            i += 1
        elif c.isalnum() or c == "_":
            j = i
            while j < n and (sql[j].isalnum() or sql[j] == "_"):
                j += 1
            tokens.append(_Token("word", sql[i:j], depth))
            text.append(sql[i:j])
            i = j
        else:
            if c == ")":
                depth = max(0, depth - 1)
            tokens.append(_Token("punct", c, depth))
            if c == "(":
                depth += 1
            text.append(c)
            i += 1
    return [(tokens, "".join(text).strip()) for tokens, text in statements if tokens]


def prepare(sql: str, limit: int = DEFAULT_LIMIT) -> str:
    """The statement sent to Trino for ``sql`` capped at ``limit`` rows (one more is asked for,
    to tell whether the result was cut).

    ``sql`` must be exactly one SELECT or WITH query (a trailing ``;`` and comments are fine); it
    becomes ``SELECT * FROM (<sql>) LIMIT limit+1``. A query whose outermost level ends in ORDER
    BY without LIMIT/FETCH gets ``LIMIT limit+1`` appended instead: Trino drops the ORDER BY of a
    subquery without a limit, so wrapping it would lose the order the researcher asked for.

    Raises:
        ExplorerError: empty text, several statements, a statement that is not a query, a limit
            outside 1..MAX_LIMIT, or an unclosed quote or comment.
    """
    if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= MAX_LIMIT:
        raise ExplorerError(TEXT["bad_limit"].format(max=MAX_LIMIT))
    statements = _scan(sql)
    if not statements:
        raise ExplorerError(TEXT["empty_sql"])
    if len(statements) > 1:
        raise ExplorerError(TEXT["several"].format(n=len(statements)))
    tokens, body = statements[0]
    first = next((t for t in tokens if t.text != "("), tokens[0])
    if first.kind != "word" or first.text.upper() not in QUERY_STARTS:
        raise ExplorerError(TEXT["not_select"].format(word=first.text.upper()))
    top = [t.text.upper() for t in tokens if t.kind == "word" and t.depth == 0]
    fetch = limit + 1
    if "ORDER" in top and "LIMIT" not in top and "FETCH" not in top:
        last_order = len(top) - 1 - top[::-1].index("ORDER")
        if "BY" in top[last_order:]:
            return f"{body} LIMIT {fetch}"
    return f"SELECT * FROM (\n{body}\n) LIMIT {fetch}"


# --- results --------------------------------------------------------------------------------------


@dataclass
class Column:
    name: str
    type: str
    doc: str


@dataclass
class Table:
    name: str
    columns: list[Column]

    @property
    def qualified(self) -> str:
        return f"{_SCHEMA}.{self.name}"

    @property
    def select_all(self) -> str:
        return f"SELECT * FROM {self.qualified}"


@dataclass
class QueryResult:
    """One run: the rows (at most ``limit``), whether there were more, or the error sentence."""

    sql: str
    limit: int
    frame: pd.DataFrame = field(default_factory=pd.DataFrame)
    truncated: bool = False
    error: str | None = None
    sent: str | None = None  # the statement sent to Trino (None: refused before sending)

    @property
    def ok(self) -> bool:
        return self.error is None


def _unique(names: list[str]) -> list[str]:
    seen: dict[str, int] = {}
    out = []
    for name in names:
        if name in seen:
            seen[name] += 1
            out.append(f"{name}_{seen[name]}")
        else:
            seen[name] = 1
            out.append(name)
    return out


def _plain(value: Any) -> Any:
    """A value a table widget and JSON can hold (Trino's decimals, rows, arrays, maps...)."""
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, pd.Timestamp):
        return value
    if hasattr(value, "isoformat"):  # date, time, datetime
        return value
    return str(value)


def to_frame(names: list[str], rows: list[list[Any]]) -> pd.DataFrame:
    """Trino's column names and rows as a frame (duplicate names numbered, odd values as text,
    whole numbers with nulls as ``Int64`` rather than float)."""
    cols = _unique(names)
    data: dict[str, Any] = {}
    for i, col in enumerate(cols):
        values = [_plain(row[i]) for row in rows]
        present = [v for v in values if v is not None]
        whole = present and all(isinstance(v, int) and not isinstance(v, bool) for v in present)
        if whole and len(present) < len(values):
            data[col] = pd.array(values, dtype="Int64")
        else:
            data[col] = values
    return pd.DataFrame(data, columns=cols)


# --- the explorer ---------------------------------------------------------------------------------


def _sentence(exc: TrinoError, settings: TrinoSettings) -> str:
    """One of TEXT's sentences for what the Trino client raised."""
    message = str(exc)
    name, _, detail = message.partition(": ")
    if "401" in message and "refused the request" in message:
        return TEXT["bad_login"]
    if message.startswith("TLS failed"):
        return TEXT["tls"].format(cert=settings.cert)
    if message.startswith(("Trino is not reachable", "cannot connect")):
        return TEXT["unreachable"].format(url=settings.https_url)
    if name == "PERMISSION_DENIED" or "Access Denied" in message:
        return TEXT["denied"].format(detail=detail.strip() or message)
    if re.fullmatch(r"[A-Z_]+", name) and detail.strip():  # "TABLE_NOT_FOUND: line 1:15: ..."
        return TEXT["trino_failed"].format(detail=detail.strip())
    return TEXT["trino_failed"].format(detail=message)


class Explorer:
    """One researcher's session with Trino (sign in first)."""

    def __init__(self, settings: TrinoSettings) -> None:
        self.settings = settings
        self._client: TrinoClient | None = None

    @property
    def user(self) -> str | None:
        return self._client.user if self._client else None

    @property
    def signed_in(self) -> bool:
        return self._client is not None

    def sign_in(self, user: str, password: str) -> None:
        """Check the login with ``SELECT 1`` and keep it.

        Raises:
            ExplorerError: no user or password, a login Trino refuses, or Trino unreachable.
        """
        user = (user or "").strip()
        if not user:
            raise ExplorerError(TEXT["need_user"])
        if not password:
            raise ExplorerError(TEXT["need_password"])
        client = TrinoClient.for_settings(self.settings, user, password, SOURCE)
        try:
            client.query("SELECT 1")
        except TrinoError as exc:
            raise ExplorerError(_sentence(exc, self.settings)) from exc
        self._client = client

    def sign_out(self) -> None:
        self._client = None

    def _require(self) -> TrinoClient:
        if self._client is None:
            raise ExplorerError(TEXT["not_signed_in"])
        return self._client

    def tables(self) -> list[Table]:
        """The tables of ``research.research`` with their columns, types and docs."""
        client = self._require()
        try:
            names = sorted(r[0] for r in client.query(f"SHOW TABLES FROM {_SCHEMA}"))
            out = []
            for name in names:
                quoted = '"' + name.replace('"', '""') + '"'
                rows = client.query(f"DESCRIBE {_SCHEMA}.{quoted}")
                out.append(Table(name, [Column(r[0], r[1], column_doc(name, r[0])) for r in rows]))
        except TrinoError as exc:
            raise ExplorerError(_sentence(exc, self.settings)) from exc
        return out

    def run(self, sql: str, limit: int = DEFAULT_LIMIT) -> QueryResult:
        """Run one SELECT/WITH query, at most ``limit`` rows (see :func:`prepare`); errors are in
        the result, never raised."""
        result = QueryResult(sql=sql, limit=limit)
        try:
            client = self._require()
            result.sent = prepare(sql, limit)
        except ExplorerError as exc:
            result.error = str(exc)
            return result
        try:
            names, rows = client.columns(result.sent)
        except TrinoError as exc:
            result.error = _sentence(exc, self.settings)
            return result
        result.truncated = len(rows) > limit
        result.frame = to_frame(names, rows[:limit])
        return result

    # --- plot and export --------------------------------------------------------------------------

    @staticmethod
    def plot(frame: pd.DataFrame, x: str, y: str, kind: str = "bar") -> alt.Chart:
        """A bar, line or point chart of ``y`` against ``x`` in the Okabe-Ito palette.

        Raises:
            ExplorerError: an unknown column or kind, a non-numeric ``y`` or no rows.
        """
        if kind not in KINDS:
            raise ExplorerError(TEXT["bad_kind"].format(kinds=", ".join(KINDS)))
        for col in (x, y):
            if col not in frame.columns:
                raise ExplorerError(TEXT["no_column"].format(column=col))
        if not pd.api.types.is_numeric_dtype(frame[y]) or pd.api.types.is_bool_dtype(frame[y]):
            raise ExplorerError(TEXT["y_not_numeric"].format(column=y))
        if frame.empty:
            raise ExplorerError(TEXT["no_rows_to_plot"])
        data = frame[[x, y]] if x != y else frame[[x]]
        # Inline JSON values: dates as ISO text, no 5000-row cap of Altair's default transformer.
        values = json.loads(data.to_json(orient="records", date_format="iso"))
        x_type = _vega_type(frame[x])
        if kind == "bar" and x_type == "quantitative":
            x_type = "ordinal"  # one bar per value
        colour = OKABE_ITO[0]
        mark = {
            "bar": lambda c: c.mark_bar(color=colour),
            "line": lambda c: c.mark_line(color=colour, point=alt.OverlayMarkDef(color=colour)),
            "point": lambda c: c.mark_point(color=colour, filled=True),
        }[kind]
        chart = mark(alt.Chart(alt.Data(values=values)))
        return chart.encode(
            x=alt.X(field=_field(x), type=x_type, title=x),
            y=alt.Y(field=_field(y), type="quantitative", title=y),
            tooltip=[
                alt.Tooltip(field=_field(x), type=x_type, title=x),
                alt.Tooltip(field=_field(y), type="quantitative", title=y),
            ],
        ).properties(width="container", height=320)

    @staticmethod
    def csv(frame: pd.DataFrame) -> bytes:
        """The frame as UTF-8 CSV with a header row, no index."""
        return frame.to_csv(index=False).encode("utf-8")


def _vega_type(series: pd.Series) -> str:
    if pd.api.types.is_bool_dtype(series):
        return "nominal"
    if pd.api.types.is_numeric_dtype(series):
        return "quantitative"
    if pd.api.types.is_datetime64_any_dtype(series):
        return "temporal"
    return "nominal"


_FIELD_SPECIAL = re.compile(r"([.\[\]\\])")


def _field(name: str) -> str:
    """A column name as a Vega-Lite field (dots and brackets would mean nested access)."""
    return _FIELD_SPECIAL.sub(r"\\\1", name)
