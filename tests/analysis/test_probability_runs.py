"""Batch fit of a real SwitchingProbability run: I_50 per width against the device model."""

from __future__ import annotations

import pytest

from labspin.analysis.batch import fit_run
from labspin.analysis.loaders import load_run
from labspin.physics import preset
from labspin.physics.predictions import critical_current

WIDTHS = (1e-4, 3e-4, 1e-3)


@pytest.fixture(scope="module")
def probability_run(tmp_path_factory):
    from labspin.procedures import procedure_class
    from labspin.runs import open_catalog, run_procedure
    from labspin.station import Station

    with open_catalog(tmp_path_factory.mktemp("prob")) as catalog, \
            Station.open(sim=True, preset="py-nio", seed=2) as station:
        proc = procedure_class("SwitchingProbability")()
        proc.set_parameters({"amplitude_min": 0.025, "amplitude_max": 0.031,
                             "amplitude_steps": 7, "pulse_widths": "100 us, 300 us, 1 ms",
                             "trials": 15})
        record = run_procedure(proc, station, catalog)
    assert record.status == "finished", record.error
    return load_run(record.file)


def test_i_50_per_width_is_the_models_half_switching_current(probability_run):
    row = fit_run(probability_run)
    assert row["fitted"], row["error"]
    assert row["kind"] == "switching_probability" and row["n_widths"] == 3
    for k, width in enumerate(WIDTHS):
        assert row[f"pulse_width_{k}"] == pytest.approx(width)
        # the model's current that reverses half the grains (Joule heating included)
        expected = critical_current(preset("py-nio"), width)
        assert row[f"i_50_{k}"] == pytest.approx(expected, rel=0.01)
        assert 0 < row[f"i_50_{k}_stderr"] < 0.01 * expected


def test_width_dependence_gives_the_activation_barrier(probability_run):
    row = fit_run(probability_run)
    # I_50 falls logarithmically with width; Delta_0 of the preset is 60 at the stage
    # temperature, the fit sees the barrier of the warm bar (within its error here)
    assert row["i_50_0"] > row["i_50_1"] > row["i_50_2"]
    assert row["delta_0"] == pytest.approx(preset("py-nio").kinetics.barrier, rel=0.35)
    assert row["delta_0_stderr"] > 0
    assert "3 pulse widths" in row["note"]
