"""Resources the definitions share. Paths come from the environment, never from code."""

import dagster as dg

from lake.settings import LakeSettings


class LakeResource(dg.ConfigurableResource):
    """The lakehouse and landing folders (``LEARNSMART_LAKE`` / ``LEARNSMART_LANDING``).

    Empty values fall back to the environment at run time, then to ``./data/...``.
    """

    lake: str = ""
    landing: str = ""

    def settings(self) -> LakeSettings:
        """Settings for the lake library, resolved in the process that runs the step."""
        return LakeSettings.from_env(lake=self.lake or None, landing=self.landing or None)
