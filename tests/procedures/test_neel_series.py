"""End to end: a temperature series of harmonic-Hall runs on py-coo, fitted by ``labspin
fit --series "Stage temperature" --quantity b_dl_per_ampere --trend neel``, gives the
model's film Neel temperature.

Known answer: ``labspin.physics.materials.neel_temperature`` of the preset's CoO (261.9 K,
bulk 291 K lowered by finite size). Before the model placed the spin absorption's peak
at T_N (and the trend modelled the torque's background), B_DL per ampere peaked near
400 K and the trend would have reported T_N about 140 K too high.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from labspin.physics import preset
from labspin.physics.materials import neel_temperature

pytestmark = [pytest.mark.slow,  # 9 harmonic-Hall runs, about 25 s
              pytest.mark.filterwarnings("ignore::FutureWarning")]

TEMPERATURES = [206.0 + 14.0 * k for k in range(9)]  # K, 206-318 K: T_N +- 56 K


@pytest.fixture(scope="module")
def series(tmp_path_factory) -> Path:
    from labspin.procedures.harmonic import HarmonicHall
    from labspin.runs import open_catalog, run_procedure
    from labspin.station import Station

    data_dir = tmp_path_factory.mktemp("neel")
    with open_catalog(data_dir) as catalog, \
            Station.open(sim=True, preset="py-coo", seed=4) as station:
        for temperature in TEMPERATURES:
            proc = HarmonicHall(mode="angle scan", field_magnitudes="0.3, 0.4, 0.5",
                                angle_step=60, current=7e-3, time_constant=30.0,
                                sensitivity=2e-6, sensitivity_1w=5e-3,
                                stage_temperature=temperature)
            record = run_procedure(proc, station, catalog)
            assert record.status == "finished", record.error
    return data_dir


def test_the_neel_trend_of_a_bench_series_recovers_the_model_neel_temperature(series):
    import labspin.cli_analysis  # noqa: F401 - registers `fit`
    from labspin.cli import main

    params = preset("py-coo")
    t_n = neel_temperature(params.top)
    result = CliRunner().invoke(main, [
        "fit", str(series), "--workers", "1", "--r-ahe", str(params.readout.anomalous_hall),
        "--m-eff", str(params.ferromagnet.effective_magnetization),
        "--series", "Stage temperature", "--quantity", "b_dl_per_ampere", "--trend", "neel"])
    assert result.exit_code == 0, result.output
    assert "Traceback" not in result.output
    match = re.search(r"t_neel = ([0-9.]+) (m?)K ± ([0-9.]+) (m?)K", result.output)
    assert match, result.output
    scale = {"": 1.0, "m": 1e-3}
    t_neel = float(match[1]) * scale[match[2]]
    sigma = float(match[3]) * scale[match[4]]
    assert abs(t_neel - t_n) < 10.0
    assert sigma < 10.0
    assert abs(t_neel - t_n) < 3 * sigma + 3.0  # 3 K: the estimator's own offset
