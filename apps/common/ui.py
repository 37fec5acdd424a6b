"""Streamlit building blocks every app uses: sign-in, the sidebar, API calls, tables.

The signed-in user lives in ``st.session_state``: ``token``, ``refresh_token``, ``user`` (the
API's ``/auth/me``) and ``lang``. API reads are cached per user for :data:`CACHE_TTL_S`
seconds; writes clear the cache so the next read shows them.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Callable, Iterable
from typing import Any, TypeVar

import pandas as pd
import streamlit as st

from apps.common.api_client import ApiClient, ApiError, api_url
from apps.common.i18n import DEFAULT_LANGUAGE, LANGUAGES, _

CACHE_TTL_S = 60
T = TypeVar("T")


def client() -> ApiClient:
    """An API client with the signed-in user's token (anonymous before sign-in)."""
    return ApiClient(api_url(), st.session_state.get("token"))


@st.cache_data(ttl=CACHE_TTL_S, show_spinner=False)
def _cached_get(base_url: str, token: str | None, path: str, params: str) -> Any:
    return ApiClient(base_url, token).get(path, json.loads(params) or None)


@st.cache_data(ttl=CACHE_TTL_S, show_spinner=False)
def _cached_all(base_url: str, token: str | None, path: str, params: str) -> list[Any]:
    return ApiClient(base_url, token).all_pages(path, json.loads(params) or None)


def _refresh() -> bool:
    refresh = st.session_state.get("refresh_token")
    if not refresh:
        return False
    try:
        pair = ApiClient(api_url()).post("/auth/refresh", {"refresh_token": refresh})
    except ApiError:
        return False
    st.session_state.token = pair["access_token"]
    st.session_state.refresh_token = pair["refresh_token"]
    return True


def _with_refresh(call: Callable[[], T]) -> T:
    """Run ``call``; when the access token has expired, refresh it once and retry."""
    try:
        return call()
    except ApiError as err:
        if err.status == 401 and st.session_state.get("token") and _refresh():
            return call()
        raise


def fetch(path: str, params: dict[str, Any] | None = None) -> Any:
    """GET ``path`` as the signed-in user, cached for a minute. Raises :class:`ApiError`."""
    key = json.dumps(params or {}, sort_keys=True, default=str)
    return _with_refresh(lambda: _cached_get(api_url(), st.session_state.get("token"), path, key))


def fetch_all(path: str, params: dict[str, Any] | None = None) -> list[Any]:
    """Every item of a paged list, cached for a minute. Raises :class:`ApiError`."""
    key = json.dumps(params or {}, sort_keys=True, default=str)
    return _with_refresh(lambda: _cached_all(api_url(), st.session_state.get("token"), path, key))


def send(method: str, path: str, body: dict[str, Any] | None = None) -> Any:
    """POST or PATCH as the signed-in user; clears cached reads. Raises :class:`ApiError`."""

    def call() -> Any:
        api = client()
        return api.patch(path, body or {}) if method == "PATCH" else api.post(path, body)

    result = _with_refresh(call)
    st.cache_data.clear()
    return result


def show_error(err: ApiError) -> None:
    """An API error as a sentence (never a stack trace)."""
    if err.status == 403:
        st.error(_("You do not have access to this: {reason}").format(reason=err.message))
    elif err.status == 404:
        st.warning(_("Not found: {reason}").format(reason=err.message))
    elif err.status == 0:
        st.error(_("LearnSmart cannot be reached right now. Try again in a minute."))
    else:
        st.error(err.message)


def empty_state(message: str) -> None:
    """What to do when there is nothing to show yet."""
    st.info(message, icon=":material/info:")


def csv_download(frame: pd.DataFrame, filename: str, key: str) -> None:
    """A button that downloads ``frame`` as CSV (UTF-8 with a byte-order mark, for Excel)."""
    st.download_button(
        _("Download CSV"),
        frame.to_csv(index=False).encode("utf-8-sig"),
        file_name=filename,
        mime="text/csv",
        key=key,
        icon=":material/download:",
    )


def _start_session(pair: dict[str, Any]) -> None:
    st.session_state.token = pair["access_token"]
    st.session_state.refresh_token = pair["refresh_token"]
    me = ApiClient(api_url(), pair["access_token"]).get("/auth/me")
    st.session_state.user = me
    st.session_state.lang = me.get("language") or DEFAULT_LANGUAGE


def sign_out() -> None:
    """Revoke the refresh token and forget the session."""
    refresh = st.session_state.get("refresh_token")
    if refresh and st.session_state.get("token"):
        # The access token may have expired; forgetting the session locally is what matters.
        with contextlib.suppress(ApiError):
            client().post("/auth/logout", {"refresh_token": refresh})
    lang = st.session_state.get("lang", DEFAULT_LANGUAGE)
    st.session_state.clear()
    st.session_state.lang = lang
    st.cache_data.clear()


def _language_picker(where: Any, key: str) -> None:
    codes = list(LANGUAGES)
    current = st.session_state.get("lang", DEFAULT_LANGUAGE)
    choice = where.selectbox(
        _("Language"),
        codes,
        index=codes.index(current) if current in codes else 0,
        format_func=lambda c: LANGUAGES[c],
        key=key,
    )
    if choice != current:
        st.session_state.lang = choice
        if st.session_state.get("token"):
            try:
                send("PATCH", "/auth/me", {"language": choice})
                st.session_state.user = {**st.session_state.user, "language": choice}
            except ApiError as err:
                show_error(err)
        st.rerun()


def role_label(role: str) -> str:
    """A role's name in the user's language."""
    labels = {
        "student": _("student"),
        "teacher": _("teacher"),
        "admin": _("admin"),
        "researcher": _("researcher"),
    }
    return labels.get(role, role)


def require_user(app_title: str, roles: Iterable[str]) -> dict[str, Any]:
    """The signed-in user of one of ``roles``; shows the sign-in form and stops otherwise."""
    allowed = set(roles)
    user = st.session_state.get("user")
    if user and user.get("role") in allowed:
        return user
    if user:
        st.error(
            _("This app is for {roles}. You are signed in as {role}.").format(
                roles=", ".join(role_label(r) for r in sorted(allowed)),
                role=role_label(user["role"]),
            )
        )
        if st.button(_("Sign out"), key="wrong_role_sign_out"):
            sign_out()
            st.rerun()
        st.stop()
    st.title(app_title)
    _language_picker(st, "login_language")
    with st.form("sign_in"):
        username = st.text_input(_("Username"), key="login_username")
        password = st.text_input(_("Password"), type="password", key="login_password")
        submitted = st.form_submit_button(_("Sign in"), type="primary")
    if submitted:
        if not username or not password:
            st.error(_("Enter your username and password."))
        else:
            try:
                with st.spinner(_("Signing in…")):
                    _start_session(ApiClient(api_url()).login(username, password))
            except ApiError as err:
                show_error(err)
            else:
                st.rerun()
    st.stop()
    raise AssertionError("unreachable")  # st.stop() ends the script run


def sidebar(user: dict[str, Any]) -> None:
    """Who is signed in, the language setting and sign-out."""
    with st.sidebar:
        st.caption(
            _("Signed in as {name}").format(name=user.get("display_name") or user["username"])
        )
        _language_picker(st.sidebar, "sidebar_language")
        if st.button(_("Sign out"), key="sign_out", icon=":material/logout:"):
            sign_out()
            st.rerun()
