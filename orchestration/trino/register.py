"""Register the lake's gold Delta tables in Trino, and keep the registrations in step.

Every Delta table at ``<lake>/gold/<domain>/<table>`` becomes ``lakehouse.<domain>.<table>``
(``gold/research/<table>`` is ``lakehouse.research.<table>``, which researchers read as
``research.research.<table>``: both catalogs share the file metastore ``<lake>/_metastore``).
Registration only writes metadata: Trino reads the Delta log delta-rs wrote, and new versions
of a registered table show up in the next query without registering again.

:func:`register_gold` is idempotent: it registers tables that are new, re-registers those whose
location changed, drops the registrations whose folder is gone (the files are never touched)
and leaves the rest alone.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from orchestration.trino.client import TrinoClient
from orchestration.trino.server import CATALOG_ADMIN, TrinoError

NAME = re.compile(r"^[a-z_][a-z0-9_]*$")
LOCATION = re.compile(r"location\s*=\s*'((?:[^']|'')*)'")


@dataclass
class Registration:
    """What one :func:`register_gold` call did (``schema.table`` names, sorted)."""

    registered: list[str] = field(default_factory=list)
    reregistered: list[str] = field(default_factory=list)
    dropped: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, list[str]]:
        return {k: sorted(v) for k, v in self.__dict__.items()}

    @property
    def changed(self) -> bool:
        return bool(self.registered or self.reregistered or self.dropped)


def gold_tables(lake: Path) -> tuple[dict[tuple[str, str], str], list[str]]:
    """``{(domain, table): 'local:///gold/<domain>/<table>'}`` of the Delta tables under
    ``<lake>/gold``, and the folders skipped because their names are not plain identifiers."""
    found: dict[tuple[str, str], str] = {}
    skipped: list[str] = []
    gold = lake / "gold"
    if not gold.is_dir():
        return found, skipped
    for domain in sorted(p for p in gold.iterdir() if p.is_dir()):
        for table in sorted(p for p in domain.iterdir() if p.is_dir()):
            if not (table / "_delta_log").is_dir():
                continue
            if NAME.match(domain.name) and NAME.match(table.name):
                found[(domain.name, table.name)] = f"local:///gold/{domain.name}/{table.name}"
            else:
                skipped.append(f"{domain.name}/{table.name}")
    return found, skipped


def _q(identifier: str) -> str:
    return '"' + identifier.replace('"', '""') + '"'


def _s(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def registered_tables(admin: TrinoClient, catalog: str = CATALOG_ADMIN) -> set[tuple[str, str]]:
    """(schema, table) of every table the catalog's metastore holds."""
    rows = admin.query(
        f"SELECT table_schema, table_name FROM {_q(catalog)}.information_schema.tables "
        "WHERE table_schema <> 'information_schema'"
    )
    return {(r[0], r[1]) for r in rows}


def _location(admin: TrinoClient, catalog: str, schema: str, table: str) -> str | None:
    try:
        rows = admin.query(f"SHOW CREATE TABLE {_q(catalog)}.{_q(schema)}.{_q(table)}")
    except TrinoError:
        return None  # unreadable (its log is gone or broken): register it again
    match = LOCATION.search(rows[0][0]) if rows else None
    return match.group(1).replace("''", "'") if match else None


def register_gold(admin: TrinoClient, lake: Path, catalog: str = CATALOG_ADMIN) -> Registration:
    """Bring the catalog's registrations in line with ``<lake>/gold`` (see the module)."""
    wanted, skipped = gold_tables(lake)
    done = Registration(skipped=skipped)
    existing = registered_tables(admin, catalog)
    system = f"{_q(catalog)}.system"

    def unregister(schema: str, table: str) -> None:
        admin.query(
            f"CALL {system}.unregister_table(schema_name => {_s(schema)}, "
            f"table_name => {_s(table)})"
        )

    def register(schema: str, table: str, location: str) -> None:
        admin.query(
            f"CALL {system}.register_table(schema_name => {_s(schema)}, "
            f"table_name => {_s(table)}, table_location => {_s(location)})"
        )

    for schema, table in sorted(existing - set(wanted)):
        unregister(schema, table)
        done.dropped.append(f"{schema}.{table}")
    schemas = {r[0] for r in admin.query(f"SHOW SCHEMAS FROM {_q(catalog)}")}
    for (schema, table), location in sorted(wanted.items()):
        name = f"{schema}.{table}"
        if schema not in schemas:
            admin.query(f"CREATE SCHEMA IF NOT EXISTS {_q(catalog)}.{_q(schema)}")
            schemas.add(schema)
        if (schema, table) not in existing:
            register(schema, table, location)
            done.registered.append(name)
        elif _location(admin, catalog, schema, table) != location:
            unregister(schema, table)
            register(schema, table, location)
            done.reregistered.append(name)
        else:
            done.unchanged.append(name)
    # Schemas left without tables (a domain that disappeared) go too.
    keep = {s for s, _ in wanted}
    for schema in sorted(schemas - keep - {"information_schema", "default"}):
        if not admin.query(f"SHOW TABLES FROM {_q(catalog)}.{_q(schema)}"):
            admin.query(f"DROP SCHEMA {_q(catalog)}.{_q(schema)}")
    return done
