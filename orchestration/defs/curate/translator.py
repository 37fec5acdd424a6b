"""How dbt nodes become Dagster assets: layers visible in keys, groups following dbt folders.

* a dbt source ``silver.<table>`` is the ingest asset ``["silver", "<table>"]``, so the curated
  graph hangs off the silver tables that feed it;
* ``models/staging/*`` -> ``["staging", model]``, group ``staging``;
* ``models/intermediate/*`` -> ``["intermediate", model]``, group ``intermediate``;
* ``models/marts/<domain>/*`` -> ``["gold", domain, model]`` (its Delta table is
  ``<lake>/gold/<domain>/<model>``), group ``gold_<domain>``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import dagster as dg
from dagster_dbt import DagsterDbtTranslator, DagsterDbtTranslatorSettings


def _folders(props: Mapping[str, Any]) -> list[str]:
    """Folders of a model below ``models/`` (``["marts", "engagement"]``)."""
    fqn = list(props.get("fqn") or [])
    return fqn[1:-1]


class LearnSmartDbtTranslator(DagsterDbtTranslator):
    """Maps sources to silver assets and models to layer-named keys and folder groups."""

    def __init__(self) -> None:
        super().__init__(settings=DagsterDbtTranslatorSettings(enable_asset_checks=True))

    def get_asset_key(self, dbt_resource_props: Mapping[str, Any]) -> dg.AssetKey:
        name = dbt_resource_props["name"]
        if dbt_resource_props["resource_type"] == "source":
            return dg.AssetKey([dbt_resource_props["source_name"], name])
        folders = _folders(dbt_resource_props)
        if folders[:1] == ["marts"] and len(folders) >= 2:
            return dg.AssetKey(["gold", folders[1], name])
        if folders:
            return dg.AssetKey([folders[0], name])
        return super().get_asset_key(dbt_resource_props)

    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        folders = _folders(dbt_resource_props)
        if folders[:1] == ["marts"] and len(folders) >= 2:
            return f"gold_{folders[1]}"
        return folders[0] if folders else "curated"

    def get_metadata(self, dbt_resource_props: Mapping[str, Any]) -> Mapping[str, Any]:
        meta = dict(super().get_metadata(dbt_resource_props))
        folders = _folders(dbt_resource_props)
        if folders[:1] == ["marts"] and len(folders) >= 2:
            meta["delta_path"] = f"gold/{folders[1]}/{dbt_resource_props['name']}"
        return meta
