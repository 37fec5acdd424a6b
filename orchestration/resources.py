"""Resources the definitions share. Paths come from the environment, never from code."""

import dagster as dg

from lake.settings import LakeSettings


class LakeResource(dg.ConfigurableResource):
    """The lakehouse and landing folders (``LEARNSMART_LAKE`` / ``LEARNSMART_LANDING``) and the
    engine that writes it (``LEARNSMART_ENGINE``: ``embedded`` or ``spark``).

    Empty values fall back to the environment at run time, then to ``./data/...`` and
    ``embedded``.
    """

    lake: str = ""
    landing: str = ""
    engine: str = ""

    def settings(self) -> LakeSettings:
        """Settings for the lake library, resolved in the process that runs the step."""
        return LakeSettings.from_env(
            lake=self.lake or None, landing=self.landing or None, engine=self.engine or None
        )
