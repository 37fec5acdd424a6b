"""The API's settings refuse development secrets outside development."""

from __future__ import annotations

import pytest

from api.settings import DEV_JWT_SECRET, ApiSettings
from lake.settings import SettingsError


def _env(monkeypatch: pytest.MonkeyPatch, **values: str) -> None:
    for k, v in values.items():
        monkeypatch.setenv(k, v)


def test_development_defaults_are_accepted(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("LEARNSMART_ENV", raising=False)
    assert ApiSettings.from_env().jwt_secret == DEV_JWT_SECRET


def test_placeholder_jwt_secret_is_refused_in_production(monkeypatch: pytest.MonkeyPatch) -> None:
    _env(monkeypatch, LEARNSMART_ENV="production", LEARNSMART_PSEUDONYM_KEY="k" * 40)
    with pytest.raises(SettingsError, match="LEARNSMART_API_JWT_SECRET"):
        ApiSettings.from_env()


def test_short_or_change_me_secrets_are_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    _env(
        monkeypatch,
        LEARNSMART_ENV="production",
        LEARNSMART_PSEUDONYM_KEY="k" * 40,
        LEARNSMART_API_LRS_SECRET="a-real-lrs-secret-value",
        LEARNSMART_API_JWT_SECRET="too-short",
    )
    with pytest.raises(SettingsError, match="32 characters"):
        ApiSettings.from_env()
    monkeypatch.setenv("LEARNSMART_API_JWT_SECRET", "please-change-me-" + "x" * 40)
    with pytest.raises(SettingsError):
        ApiSettings.from_env()


def test_production_with_real_secrets_starts(monkeypatch: pytest.MonkeyPatch) -> None:
    _env(
        monkeypatch,
        LEARNSMART_ENV="production",
        LEARNSMART_PSEUDONYM_KEY="k" * 40,
        LEARNSMART_API_JWT_SECRET="s" * 48,
        LEARNSMART_API_LRS_SECRET="a-real-lrs-secret-value",
    )
    assert ApiSettings.from_env().env == "production"


def test_oidc_issuer_needs_a_jwks_url(monkeypatch: pytest.MonkeyPatch) -> None:
    _env(monkeypatch, LEARNSMART_API_OIDC_ISSUER="https://idp.example")
    with pytest.raises(SettingsError, match="JWKS"):
        ApiSettings.from_env()


def test_non_integer_setting_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    _env(monkeypatch, LEARNSMART_API_ACCESS_TTL_S="fifteen")
    with pytest.raises(SettingsError, match="integer"):
        ApiSettings.from_env()


@pytest.mark.parametrize("raw", ["soon", "0", "-1", "nan", "3600"])
def test_change_poll_interval_out_of_range_is_refused(
    monkeypatch: pytest.MonkeyPatch, raw: str
) -> None:
    _env(monkeypatch, LEARNSMART_API_CHANGE_POLL_S=raw)
    with pytest.raises(SettingsError, match="LEARNSMART_API_CHANGE_POLL_S"):
        ApiSettings.from_env()


def test_change_poll_interval_is_read(monkeypatch: pytest.MonkeyPatch) -> None:
    _env(monkeypatch, LEARNSMART_API_CHANGE_POLL_S="0.25")
    assert ApiSettings.from_env().change_poll_s == 0.25
