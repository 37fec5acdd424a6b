"""Trino area: the gold tables registered in the researchers' Trino server.

``trino_tables`` runs after the gold tables are built (the dbt marts, the learn area's outputs and
the research area's anonymised tables) and brings Trino's registrations in line with
``<lake>/gold`` (:func:`orchestration.trino.register.register_gold`): new tables registered,
moved ones re-registered, vanished ones dropped. It re-runs whenever one of them is rebuilt
(eager automation condition).

Trino is started before the pipeline (``learnsmart trino start``; ``make demo`` does). When the
lake has **no Trino deployment** (its folder, ``<lake>/../trino`` or ``LEARNSMART_TRINO_HOME``,
was never configured: a pipeline without researchers' SQL, or a test lake), the asset logs why
and is skipped, so the rest of the pipeline is unaffected. When a deployment exists but the
server does not answer, the asset **fails** with the command that starts it: a Trino that
silently falls behind the lake is the worse outcome.
"""

import importlib
import importlib.util
import json
from collections.abc import Iterator

import dagster as dg

from orchestration.trino.client import TrinoClient
from orchestration.trino.register import register_gold
from orchestration.trino.server import ADMIN_USER, TrinoError, TrinoServer, TrinoSettings


class TrinoResource(dg.ConfigurableResource):
    """The Trino deployment of the lake, and an admin connection to it.

    Empty values fall back to the environment at run time (``LEARNSMART_TRINO_HOME``,
    ``LEARNSMART_TRINO_HTTPS_PORT``, ``LEARNSMART_TRINO_HTTP_PORT``, ``LEARNSMART_DEMO_USERS``,
    ``LEARNSMART_LAKE``), then to the defaults (``<lake>/../trino``, 8443, 8080,
    ``<lake>/../demo_users.json``).
    """

    lake: str = ""
    home: str = ""
    users_file: str = ""
    https_port: int = 0
    http_port: int = 0

    def settings(self) -> TrinoSettings:
        return TrinoSettings.from_env(
            lake=self.lake or None,
            home=self.home or None,
            users_file=self.users_file or None,
            https_port=self.https_port or None,
            http_port=self.http_port or None,
        )

    def server(self) -> TrinoServer:
        return TrinoServer(self.settings())

    def admin(self) -> TrinoClient:
        """An admin client; the password is read (never generated) from the users file."""
        s = self.settings()
        try:
            users = json.loads(s.users_file.read_text())
        except (OSError, ValueError) as exc:
            raise TrinoError(f"cannot read the Trino logins from {s.users_file}: {exc}") from exc
        for u in users:
            if u.get("trino_user") == ADMIN_USER and u.get("trino_password"):
                return TrinoClient.for_settings(
                    s, ADMIN_USER, u["trino_password"], "learnsmart-dagster"
                )
        raise TrinoError(f"no Trino password for {ADMIN_USER!r} in {s.users_file}")


def _upstream() -> list[dg.AssetKey]:
    """The assets that write ``<lake>/gold``: the dbt marts, the learn area, and every asset of
    group ``research`` (the research area, when it exists)."""
    from orchestration.defs import curate, learn

    keys: set[dg.AssetKey] = set()
    for asset in curate.defs.assets or []:
        keys |= {k for k in asset.keys if k.path[0] == "gold"}  # type: ignore[union-attr]
    for asset in learn.defs.assets or []:
        keys |= set(asset.keys)  # type: ignore[union-attr]
    if importlib.util.find_spec("orchestration.defs.research") is not None:
        research = importlib.import_module("orchestration.defs.research")
        for asset in research.defs.assets or []:
            groups = asset.group_names_by_key  # type: ignore[union-attr]
            keys |= {k for k in asset.keys if groups.get(k) == "research"}  # type: ignore[union-attr]
    return sorted(keys, key=lambda k: k.to_user_string())


@dg.asset(
    name="trino_tables",
    group_name="trino",
    deps=_upstream(),
    output_required=False,
    automation_condition=dg.AutomationCondition.eager(),
    description="The gold Delta tables registered in Trino (lakehouse.<domain>.<table>; "
    "research.research.<table> for researchers).",
)
def trino_tables(context: dg.AssetExecutionContext, trino: TrinoResource) -> Iterator[dg.Output]:
    """Register new gold tables, re-register moved ones, drop vanished ones."""
    s = trino.settings()
    server = TrinoServer(s)
    if not (s.etc / "config.properties").is_file():
        context.log.warning(
            f"No Trino deployment at {s.home} (never configured): gold tables not registered. "
            "Run `learnsmart trino start` to serve them to researchers."
        )
        return
    if server.info() is None:
        raise dg.Failure(
            f"Trino is configured at {s.home} but does not answer on "
            f"{s.host}:{s.http_port}: start it with `learnsmart trino start`.",
            metadata={"log_tail": server.log_tail(5)},
        )
    try:
        done = register_gold(trino.admin(), s.lake)
    except TrinoError as exc:
        raise dg.Failure(f"registering the gold tables failed: {exc}") from exc
    context.log.info(f"Trino registrations: {json.dumps(done.as_dict())}")
    yield dg.Output(
        None,
        metadata={
            "registered": dg.MetadataValue.json(sorted(done.registered)),
            "reregistered": dg.MetadataValue.json(sorted(done.reregistered)),
            "dropped": dg.MetadataValue.json(sorted(done.dropped)),
            "skipped": dg.MetadataValue.json(sorted(done.skipped)),
            "tables": len(done.registered) + len(done.reregistered) + len(done.unchanged),
            "url": s.https_url,
        },
    )


defs = dg.Definitions(assets=[trino_tables], resources={"trino": TrinoResource()})
