"""Streamlit pieces the dashboard's pages share: the class picker, loading with errors shown as
sentences, page headers and tables with a CSV download."""

from __future__ import annotations

import contextlib
import re
from collections.abc import Callable, Mapping
from typing import Any

import pandas as pd
import streamlit as st

from apps.common.api_client import ApiError
from apps.common.i18n import _, fmt_date, fmt_datetime, fmt_number, fmt_percent
from apps.common.ui import csv_download, empty_state, fetch, fetch_all, send, show_error

CLASS_KEY = "class_id"  # the selected class, shared by every page
PICKER_KEY = "class_picker"


class LoadError(Exception):
    """An API call failed and its error has been shown; the page stops drawing."""


def load(path: str, params: dict[str, Any] | None = None, *, paged: bool = False) -> Any:
    """GET through the API (cached), inside a spinner; on failure the error is shown as a
    sentence and :class:`LoadError` raised."""
    try:
        with st.spinner(_("Loading data…")):
            return fetch_all(path, params) if paged else fetch(path, params)
    except ApiError as err:
        show_error(err)
        raise LoadError(path) from err


def act(method: str, path: str, body: dict[str, Any] | None = None) -> Any | None:
    """POST or PATCH through the API; ``None`` (with the error shown) when it fails."""
    try:
        with st.spinner(_("Saving…")):
            return send(method, path, body)
    except ApiError as err:
        show_error(err)
        return None


def class_label(info: Mapping[str, Any]) -> str:
    """A class as the picker shows it."""
    title = info.get("class_title") or info.get("course_title") or info["class_id"]
    code = info.get("class_code")
    return f"{title} ({code})" if code else str(title)


def class_picker() -> None:
    """The sidebar's class picker: only the teacher's classes (``GET /classes``).

    The choice lives in ``st.session_state["class_id"]`` for every page.
    """
    try:
        classes = fetch("/classes")
    except ApiError as err:
        with st.sidebar:
            show_error(err)
        return
    infos = {c["class_id"]: c for c in classes}
    st.session_state["classes"] = infos
    ids = list(infos)
    if not ids:
        return
    if not st.session_state.get(CLASS_KEY):
        st.session_state[CLASS_KEY] = ids[0]
    current = st.session_state[CLASS_KEY]

    def changed() -> None:
        choice = st.session_state.get(PICKER_KEY)
        if choice:
            st.session_state[CLASS_KEY] = choice

    st.sidebar.selectbox(
        _("Class"),
        ids,
        index=ids.index(current) if current in ids else None,
        format_func=lambda c: class_label(infos[c]),
        key=PICKER_KEY,
        on_change=changed,
        placeholder=_("Choose a class"),
    )


def page_start(title: str) -> str | None:
    """The page's title and the selected class (``None``, with what to do, when there is none)."""
    st.title(title)
    class_id = st.session_state.get(CLASS_KEY)
    if not class_id:
        if st.session_state.get("classes") == {}:
            empty_state(
                _("You have no classes yet. Ask your LearnSmart administrator to assign you one.")
            )
        else:
            empty_state(_("Choose a class in the sidebar."))
        return None
    info = (st.session_state.get("classes") or {}).get(class_id)
    if info:
        st.caption(class_label(info))
    return class_id


def run_page(body: Callable[[], None]) -> None:
    """Run a page's body; an API failure (already shown as a sentence) just ends the page."""
    with contextlib.suppress(LoadError):
        body()


_MARKDOWN = re.compile(r"([\\`*_{}\[\]<>#|~$])")


def plain(text: str) -> str:
    """``text`` for ``st.markdown`` with its markdown characters escaped (shown as written)."""
    return _MARKDOWN.sub(r"\\\1", str(text))


def labelled(frame: pd.DataFrame, labels: Mapping[str, str]) -> pd.DataFrame:
    """The columns of ``labels`` (in that order), renamed to their translated headers."""
    return frame.loc[:, list(labels)].rename(columns=dict(labels))


def formatted(frame: pd.DataFrame, formats: Mapping[str, Callable[[Any], str]]) -> pd.DataFrame:
    """A copy with the columns of ``formats`` turned into localised text."""
    out = frame.copy()
    for col, fmt in formats.items():
        if col in out:
            out[col] = [fmt(None if _missing(v) else v) for v in out[col]]
    return out


def _missing(value: Any) -> bool:
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def show_table(
    frame: pd.DataFrame,
    labels: Mapping[str, str],
    *,
    filename: str,
    key: str,
    formats: Mapping[str, Callable[[Any], str]] | None = None,
    **kwargs: Any,
) -> Any:
    """A table with translated headers and localised values, and its CSV download (raw values,
    translated headers). Returns ``st.dataframe``'s answer (a selection event when asked)."""
    shown = labelled(formatted(frame, formats or {}), labels)
    event = st.dataframe(shown, hide_index=True, width="stretch", key=key, **kwargs)
    csv_download(labelled(frame, labels), filename, key=f"{key}_csv")
    return event


# Localised value formats for tables.
def pct(v: Any) -> str:
    """A share (0-1) as a percentage."""
    return fmt_percent(v)


def pct_points(v: Any) -> str:
    """A percentage (0-100) as a percentage."""
    return fmt_percent(None if v is None else float(v) / 100)


def num(v: Any) -> str:
    """A whole number."""
    return fmt_number(v)


def num2(v: Any) -> str:
    """A number with two decimals."""
    return fmt_number(v, 2)


def day(v: Any) -> str:
    """A date."""
    return fmt_date(None if v is None else str(v)[:10])


def moment(v: Any) -> str:
    """A date and time."""
    if v is None:
        return "–"
    return fmt_datetime(v if isinstance(v, str) else pd.Timestamp(v).isoformat())


def yes_no(v: Any) -> str:
    """A flag in words."""
    return _("Yes") if v else _("No")
