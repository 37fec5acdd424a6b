"""The researchers' explorer:
``panel serve apps/research_explorer/app.py --address 127.0.0.1 --port 5006
--allow-websocket-origin 127.0.0.1:5006``.

Sign in with a Trino login (``researcher`` by default), browse the research tables and their
column docs in the sidebar, run one SELECT/WITH query with a row limit, page through the rows,
plot two columns and download the rows as CSV. Trino's address and certificate come from
:meth:`TrinoSettings.from_env` (``LEARNSMART_LAKE``, ``LEARNSMART_TRINO_HOME``,
``LEARNSMART_TRINO_HOST``, ``LEARNSMART_TRINO_HTTPS_PORT``). The logic is in
:mod:`apps.research_explorer.explorer`; this module only wires widgets to it. Each browser
session gets its own :class:`ExplorerApp` (``panel serve`` runs this script per session).
"""

from __future__ import annotations

import asyncio
import io

import pandas as pd
import panel as pn

from apps.common.charts import OKABE_ITO
from apps.research_explorer.docs import NO_DOC, TEXT
from apps.research_explorer.explorer import (
    DEFAULT_LIMIT,
    KINDS,
    MAX_LIMIT,
    Explorer,
    ExplorerError,
    QueryResult,
    Table,
)
from orchestration.trino.server import RESEARCHER_USER, TrinoSettings

pn.extension("tabulator", "vega", "codeeditor", notifications=False)

PAGE_SIZE = 25
CSV_NAME = "research_query.csv"


def _cell(text: str) -> str:
    """Text for a Markdown table cell."""
    return text.replace("|", "\\|").replace("\n", " ")


def columns_markdown(table: Table) -> str:
    """A table's columns, types and docs as a Markdown table."""
    lines = [TEXT["column_header"]]
    for col in table.columns:
        doc = f"*{col.doc}*" if col.doc == NO_DOC else _cell(col.doc)
        lines.append(f"| `{_cell(col.name)}` | {_cell(col.type)} | {doc} |")
    return "\n".join(lines)


class ExplorerApp:
    """The widgets of one session, and what they do (``do_*`` run synchronously: tests call
    them; the buttons call them, the Run button through a worker thread)."""

    def __init__(self, settings: TrinoSettings) -> None:
        self.explorer = Explorer(settings)
        self.result: QueryResult | None = None

        # sign-in
        self.user = pn.widgets.TextInput(label=TEXT["user"], value=RESEARCHER_USER)
        self.password = pn.widgets.PasswordInput(label=TEXT["password"])
        self.sign_in_button = pn.widgets.Button(label=TEXT["sign_in"], color="primary")
        self.sign_in_alert = pn.pane.Alert("", alert_type="danger", visible=False)
        self.sign_in_form = pn.Column(
            pn.pane.Markdown(f"## {TEXT['sign_in_title']}\n\n{TEXT['sign_in_intro']}"),
            self.user,
            self.password,
            self.sign_in_button,
            self.sign_in_alert,
            width=460,
        )
        self.sign_in_button.on_click(lambda _e: self.do_sign_in())

        # sidebar
        self.who = pn.pane.Markdown("")
        self.sign_out_button = pn.widgets.Button(label=TEXT["sign_out"], color="light")
        self.sign_out_button.on_click(lambda _e: self.do_sign_out())
        self.tables_alert = pn.pane.Alert("", alert_type="danger", visible=False)
        self.table_cards = pn.Column(sizing_mode="stretch_width")
        self.sidebar = pn.Column(sizing_mode="stretch_width")

        # query
        self.editor = pn.widgets.CodeEditor(
            value="", language="sql", height=180, sizing_mode="stretch_width"
        )
        self.limit = pn.widgets.IntInput(
            label=TEXT["limit"].format(max=MAX_LIMIT),
            value=DEFAULT_LIMIT,
            start=1,
            end=MAX_LIMIT,
            step=100,
            width=200,
        )
        self.run_button = pn.widgets.Button(label=TEXT["run"], color="primary", width=120)
        self.run_button.on_click(self._on_run)
        self.query_alert = pn.pane.Alert("", alert_type="danger", visible=False)
        self.status = pn.pane.Markdown(TEXT["nothing_yet"])
        self.rows = pn.widgets.Tabulator(
            pd.DataFrame(),
            pagination="remote",
            page_size=PAGE_SIZE,
            disabled=True,
            show_index=False,
            sizing_mode="stretch_width",
        )
        self.download = pn.widgets.FileDownload(
            callback=self._csv_file,
            filename=CSV_NAME,
            label=TEXT["download"],
            color="success",
            disabled=True,
            width=200,
        )

        # plot
        self.x = pn.widgets.Select(label=TEXT["x"], options=[], width=200)
        self.y = pn.widgets.Select(label=TEXT["y"], options=[], width=200)
        self.kind = pn.widgets.RadioButtonGroup(
            label=TEXT["kind"], options=list(KINDS), value="bar"
        )
        self.plot_alert = pn.pane.Alert("", alert_type="warning", visible=False)
        self.chart = pn.pane.Vega(None, sizing_mode="stretch_width", min_height=340)
        for w in (self.x, self.y, self.kind):
            w.param.watch(lambda _e: self.do_plot(), "value")

        self.workspace = pn.Column(
            pn.pane.Markdown(f"### {TEXT['sql']}"),
            self.editor,
            pn.Row(self.limit, self.run_button, align="end"),
            self.query_alert,
            pn.pane.Markdown(f"### {TEXT['results']}"),
            self.status,
            self.rows,
            self.download,
            pn.pane.Markdown(f"### {TEXT['plot']}"),
            pn.Row(self.x, self.y, self.kind),
            self.plot_alert,
            self.chart,
            sizing_mode="stretch_width",
        )
        self.main = pn.Column(self.sign_in_form, sizing_mode="stretch_width")
        self.template = pn.template.FastListTemplate(
            title=TEXT["title"],
            sidebar=[self.sidebar],
            main=[self.main],
            accent=OKABE_ITO[0],
            sidebar_width=420,
        )

    # --- sign-in ----------------------------------------------------------------------------------

    def do_sign_in(self) -> bool:
        """Sign in with the form's values; on success show the tables and the workspace."""
        try:
            self.explorer.sign_in(self.user.value, self.password.value)
        except ExplorerError as exc:
            self.sign_in_alert.object = str(exc)
            self.sign_in_alert.visible = True
            return False
        self.password.value = ""
        self.sign_in_alert.visible = False
        self.who.object = TEXT["signed_in_as"].format(
            user=self.explorer.user, url=self.explorer.settings.https_url
        )
        self.sidebar.objects = [
            self.who,
            self.sign_out_button,
            pn.pane.Markdown(f"### {TEXT['tables']}\n\n{TEXT['tables_intro']}"),
            self.tables_alert,
            self.table_cards,
        ]
        self.main.objects = [self.workspace]
        self.do_load_tables()
        return True

    def do_sign_out(self) -> None:
        self.explorer.sign_out()
        self.sidebar.objects = []
        self.table_cards.objects = []
        self.main.objects = [self.sign_in_form]
        self.show(None)

    def do_load_tables(self) -> list[Table]:
        try:
            tables = self.explorer.tables()
        except ExplorerError as exc:
            self.tables_alert.object = str(exc)
            self.tables_alert.visible = True
            return []
        self.tables_alert.visible = False
        cards = []
        for table in tables:
            button = pn.widgets.Button(label=TEXT["use_table"].format(table=table.name))
            button.on_click(lambda _e, t=table: self.use_table(t))
            cards.append(
                pn.Card(
                    button,
                    pn.pane.Markdown(columns_markdown(table), sizing_mode="stretch_width"),
                    title=table.name,
                    collapsed=True,
                    sizing_mode="stretch_width",
                )
            )
        self.table_cards.objects = cards or [pn.pane.Markdown(TEXT["no_tables"])]
        if tables and not self.editor.value.strip():
            self.editor.value = tables[0].select_all
        return tables

    def use_table(self, table: Table) -> None:
        self.editor.value = table.select_all

    # --- running ----------------------------------------------------------------------------------

    def _limit(self) -> int:
        value = self.limit.value
        return DEFAULT_LIMIT if value is None else int(value)

    def do_run(self) -> QueryResult:
        """Run the editor's query now (blocking) and show its result."""
        result = self.explorer.run(self.editor.value, self._limit())
        self.show(result)
        return result

    async def _on_run(self, _event: object) -> None:
        """The Run button: the query runs in a worker thread, the button spins meanwhile."""
        self.run_button.loading = True
        self.run_button.disabled = True
        try:
            result = await asyncio.to_thread(self.explorer.run, self.editor.value, self._limit())
            self.show(result)
        finally:
            self.run_button.loading = False
            self.run_button.disabled = False

    def show(self, result: QueryResult | None) -> None:
        """Show a result (or clear everything for ``None``)."""
        self.result = result
        frame = result.frame if result is not None and result.ok else pd.DataFrame()
        if result is not None and not result.ok:
            self.query_alert.object = result.error
            self.query_alert.visible = True
            self.status.object = ""
        else:
            self.query_alert.visible = False
            if result is None:
                self.status.object = TEXT["nothing_yet"]
            elif result.truncated:
                self.status.object = TEXT["rows_capped"].format(n=len(frame), max=MAX_LIMIT)
            else:
                self.status.object = TEXT["rows"].format(n=len(frame))
        self.rows.value = frame
        self.download.disabled = result is None or not result.ok
        numeric = [
            c
            for c in frame.columns
            if pd.api.types.is_numeric_dtype(frame[c]) and not pd.api.types.is_bool_dtype(frame[c])
        ]
        columns = list(frame.columns)
        self.x.options = columns
        self.y.options = numeric
        if columns:
            others = [c for c in columns if c != (numeric[-1] if numeric else None)]
            self.x.value = others[0] if others else columns[0]
        if numeric:
            self.y.value = numeric[-1]
        self.do_plot()

    # --- plot and download ------------------------------------------------------------------------

    def do_plot(self) -> None:
        frame = self.result.frame if self.result is not None and self.result.ok else None
        if frame is None or frame.empty or not self.x.value or not self.y.value:
            self.chart.object = None
            self.plot_alert.visible = False
            return
        try:
            self.chart.object = self.explorer.plot(
                frame, self.x.value, self.y.value, self.kind.value
            )
        except ExplorerError as exc:
            self.chart.object = None
            self.plot_alert.object = str(exc)
            self.plot_alert.visible = True
        else:
            self.plot_alert.visible = False

    def _csv_file(self) -> io.BytesIO:
        frame = self.result.frame if self.result is not None and self.result.ok else pd.DataFrame()
        return io.BytesIO(self.explorer.csv(frame))


def create_app(settings: TrinoSettings | None = None) -> pn.template.BaseTemplate:
    """The explorer of one session (a Panel template; ``.servable()`` to serve it)."""
    return ExplorerApp(settings or TrinoSettings.from_env()).template


if pn.state.served:
    create_app().servable(title=TEXT["title"])
