"""Altair charts in a colour-blind-safe palette (Okabe & Ito), with the same look everywhere."""

from __future__ import annotations

import altair as alt

# Okabe & Ito (2008): distinguishable with every common colour-vision deficiency.
OKABE_ITO: tuple[str, ...] = (
    "#0072B2",  # blue
    "#E69F00",  # orange
    "#009E73",  # bluish green
    "#D55E00",  # vermillion
    "#CC79A7",  # reddish purple
    "#56B4E9",  # sky blue
    "#F0E442",  # yellow
    "#000000",  # black
)
# A sequential scheme that stays readable in grey and for deuteranopes (heatmaps).
SEQUENTIAL_SCHEME = "viridis"


def palette(n: int | None = None) -> alt.Scale:
    """A categorical colour scale over the palette (its first ``n`` colours)."""
    colours = list(OKABE_ITO if n is None else OKABE_ITO[: max(1, n)])
    return alt.Scale(range=colours)
