"""Simulation helpers shared by the analysis round-trip tests."""

from __future__ import annotations

import numpy as np

from labspin.physics import preset

#: 1-sigma intervals should contain the truth in about 68 % of repeated fits.
COVERAGE = (0.55, 0.85)
N_SEEDS = 50


def quiet(name: str):
    """A preset without anomalous Nernst voltages."""
    params = preset(name)
    return params.with_(readout=params.readout.with_(nernst_coefficient=0.0))


def cold(name: str, grains: int = 1, dispersion: float = 0.0, **kinetics):
    """A preset without Joule heating, field-like torque or grain scatter: the textbook
    case of the activation law (as in tests/physics/test_switching.py)."""
    params = preset(name)
    return params.with_(
        ferromagnet=params.ferromagnet.with_(field_like_ratio=0.0),
        thermal=params.thermal.with_(thermal_resistance=1e-9),
        kinetics=params.kinetics.with_(grains=grains, dispersion=dispersion, **kinetics))


def coverage(results: list[dict], name: str, truth: float) -> float:
    """Share of fits whose 1-sigma interval of ``name`` contains ``truth``."""
    hits = [abs(r[name] - truth) <= r[f"{name}_stderr"] for r in results]
    return float(np.mean(hits))
