"""Asset checks on the ingest layers: every record accounted for, every key unique."""

import dagster as dg
import duckdb
import pyarrow.compute as pc

from lake import io
from lake.tables import LOADS, SILVER, SOURCES, quarantine_spec, silver
from orchestration.defs.ingest.assets import quarantine_key, silver_key
from orchestration.resources import LakeResource


def _accounting_check(source: str) -> dg.AssetChecksDefinition:
    @dg.asset_check(
        asset=quarantine_key(source),
        name="rows_accounted",
        blocking=True,
        description=(
            "Per file: rows in = rows kept + rows quarantined, and the quarantine table holds "
            "exactly the rows the ledger says were quarantined."
        ),
    )
    def check(lake: LakeResource) -> dg.AssetCheckResult:
        settings = lake.settings()
        loads = io.read(settings, LOADS)
        loads = loads.filter(
            pc.and_(pc.equal(loads["source"], source), pc.equal(loads["status"], "committed"))
        )
        q = io.read(settings, quarantine_spec(source), columns=["load_id", "file"])
        con = duckdb.connect()
        con.register("loads", loads)
        con.register("q", q)
        unbalanced = con.execute(
            "select file, rows_in, rows_kept, rows_quarantined from loads "
            "where rows_in <> rows_kept + rows_quarantined"
        ).fetchall()
        mismatched = con.execute(
            "select l.file, l.rows_quarantined, coalesce(c.n, 0) as in_table from loads l "
            "left join (select load_id, file, count(*) n from q group by all) c "
            "using (load_id, file) where l.rows_quarantined <> coalesce(c.n, 0)"
        ).fetchall()
        problems = [f"{f}: {i} in != {k} kept + {qq} quarantined" for f, i, k, qq in unbalanced]
        problems += [f"{f}: ledger says {n} quarantined, table holds {m}" for f, n, m in mismatched]
        return dg.AssetCheckResult(
            passed=not problems,
            metadata={
                "files_checked": loads.num_rows,
                "problems": dg.MetadataValue.md(
                    "\n".join(f"- {p}" for p in problems[:50]) or "none"
                ),
            },
        )

    return check


def _key_check(table: str) -> dg.AssetChecksDefinition:
    spec = silver(table)

    @dg.asset_check(
        asset=silver_key(table),
        name="key_unique_not_null",
        blocking=True,
        description=f"({', '.join(spec.key)}) is unique and never null: {spec.grain}.",
    )
    def check(lake: LakeResource) -> dg.AssetCheckResult:
        data = io.read(lake.settings(), spec, columns=list(spec.key))
        con = duckdb.connect()
        con.register("t", data)
        key = ", ".join(spec.key)
        nulls = con.execute(
            f"select count(*) from t where {' or '.join(f'{k} is null' for k in spec.key)}"
        ).fetchone()[0]
        dupes = con.execute(
            f"select {key}, count(*) n from t group by all having n > 1 order by n desc limit 20"
        ).fetchall()
        return dg.AssetCheckResult(
            passed=nulls == 0 and not dupes,
            metadata={
                "rows": data.num_rows,
                "null_keys": nulls,
                "duplicate_keys": len(dupes),
                "examples": dg.MetadataValue.md("\n".join(f"- {row}" for row in dupes) or "none"),
            },
        )

    return check


ACCOUNTING_CHECKS = [_accounting_check(src) for src in SOURCES]
KEY_CHECKS = [_key_check(t.table) for t in SILVER]
