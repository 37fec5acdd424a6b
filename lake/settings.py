"""Where the lakehouse lives, read once from ``LEARNSMART_*`` environment variables."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

DEFAULT_LAKE = Path("data/lake")
DEFAULT_LANDING = Path("data/landing")
# A development-only key: pseudonyms made with it are stable but not secret. Deployments set
# LEARNSMART_PSEUDONYM_KEY; `LakeSettings.from_env` refuses the default when LEARNSMART_ENV is
# not "development".
DEV_PSEUDONYM_KEY = "learnsmart-development-pseudonym-key"
# Which engine writes the lake: the embedded one (delta-rs, DuckDB, polars: one machine) or Spark
# (pyspark + delta-spark: a cluster), chosen by LEARNSMART_ENGINE.
ENGINES = ("embedded", "spark")


class SettingsError(ValueError):
    """A setting is missing or unsafe for the environment it runs in."""


@dataclass(frozen=True)
class LakeSettings:
    """Paths and secrets the lake library needs.

    Attributes:
        lake: root folder of the Delta tables (``bronze/``, ``silver/``, ``quarantine/``, ...).
        landing: folder where schools drop files, one sub-folder per source.
        pseudonym_key: HMAC key that turns source identifiers into ``student_id`` pseudonyms.
        env: ``development`` (default) or anything else, which forbids development secrets.
        engine: ``embedded`` (default) or ``spark``: which engine writes bronze, silver and
            quarantine and builds the heavy gold tables (``lake.spark``).
    """

    lake: Path = DEFAULT_LAKE
    landing: Path = DEFAULT_LANDING
    pseudonym_key: str = field(default=DEV_PSEUDONYM_KEY, repr=False)
    env: str = "development"
    engine: str = "embedded"

    def __post_init__(self) -> None:
        if self.engine not in ENGINES:
            raise SettingsError(
                f"engine {self.engine!r} is not one of {', '.join(ENGINES)} (LEARNSMART_ENGINE)"
            )

    @classmethod
    def from_env(
        cls,
        lake: Path | str | None = None,
        landing: Path | str | None = None,
        engine: str | None = None,
    ) -> LakeSettings:
        """Build settings from explicit arguments, then environment variables, then defaults."""
        env = os.environ.get("LEARNSMART_ENV", "development")
        key = os.environ.get("LEARNSMART_PSEUDONYM_KEY", DEV_PSEUDONYM_KEY)
        if env != "development" and key == DEV_PSEUDONYM_KEY:
            raise SettingsError(
                "LEARNSMART_PSEUDONYM_KEY must be set outside development "
                f"(LEARNSMART_ENV={env!r}); the development key is public."
            )
        return cls(
            lake=Path(lake or os.environ.get("LEARNSMART_LAKE") or DEFAULT_LAKE),
            landing=Path(landing or os.environ.get("LEARNSMART_LANDING") or DEFAULT_LANDING),
            pseudonym_key=key,
            env=env,
            engine=(engine or os.environ.get("LEARNSMART_ENGINE") or "embedded").strip().lower(),
        )

    def table_path(self, name: str) -> Path:
        """Folder of a table given as ``<layer>/<table>`` (e.g. ``silver/students``)."""
        return self.lake / name
