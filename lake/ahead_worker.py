"""The child process of the loader's mapping ahead (``lake.loader._map_ahead``).

It reads ``(parent pid, source, units, inputs, now)`` pickled on stdin, maps every unit with the
source parser's ``map_unit`` (at a lower priority, so it uses the time the running load leaves
idle) and writes the list of :class:`~lake.sources.base.UnitMap` (None for a unit the parser
cannot read) pickled to the file named on the command line: first under a ``.partial`` name,
then renamed, so a file under the final name is a finished map. A child whose parent is gone
(killed mid-load) writes nothing.

    python -m lake.ahead_worker OUT_FILE < pickled-arguments
"""

from __future__ import annotations

import contextlib
import os
import pickle
import sys
from pathlib import Path

NICENESS = 10


def main(out: Path) -> int:
    """Map the units given on stdin into ``out``; the exit status is 0 when ``out`` was written."""
    with contextlib.suppress(OSError):
        os.nice(NICENESS)
    parent, source, units, inputs, now = pickle.load(sys.stdin.buffer)
    from lake.loader import map_units

    maps = map_units(source, units, inputs, now)
    if os.getppid() != parent:
        return 1
    partial = out.with_name(out.name + ".partial")
    with partial.open("wb") as f:
        pickle.dump(maps, f, protocol=pickle.HIGHEST_PROTOCOL)
    partial.rename(out)
    return 0


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1])))
