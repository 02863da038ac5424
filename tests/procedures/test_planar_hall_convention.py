"""One planar Hall convention in model, fit and README: R_xy = R_PHE sin^2(theta) sin(2 phi).

Through the bench: a HarmonicHall angle scan of py-nio, saved and fitted with
``labspin fit``'s code, gives the model's R_PHE from the 1w scans and the model's
field-like field from the 2w scans. Before the model took the literature convention it
wrote R_PHE m_x m_y = (R_PHE / 2) sin(2 phi): the fitted R_PHE came out half the
model's and B_FL twice.
"""

from __future__ import annotations

import pytest

from labspin.analysis.batch import fit_run
from labspin.analysis.loaders import load_run
from labspin.physics import spin_transport
from labspin.physics.properties import properties_at
from labspin.physics.readout import planar_hall_resistance
from labspin.procedures.harmonic import HarmonicHall
from labspin.runs import open_catalog, run_procedure

pytestmark = pytest.mark.filterwarnings("ignore::FutureWarning")  # pymeasure's SCPI notice

I0 = 7e-3  # A, 2 K of Joule heating in py-nio


def test_harmonic_hall_fit_recovers_the_model_planar_hall_and_field_like_field(
        open_station, tmp_path):
    station = open_station("py-nio")
    params = station.bench.device.params
    proc = HarmonicHall(mode="angle scan", field_magnitudes="0.3, 0.4, 0.5", angle_step=30,
                        current=I0, time_constant=10.0, sensitivity=2e-6,
                        sensitivity_1w=5e-3)
    with open_catalog(tmp_path) as catalog:
        record = run_procedure(proc, station, catalog)
    assert record.status == "finished", record.error
    props = properties_at(params, params.thermal.stage_temperature)
    row = fit_run(load_run(record.file), r_ahe=params.readout.anomalous_hall,
                  m_eff=props.demag_field)
    assert row["fitted"], row.get("error")
    assert "from the 1w angle scans" in row["note"] and "R_PHE" in row["note"]
    # the bar is 2 K warmer with the read current: R_PHE follows its resistance (0.4 %)
    hot = properties_at(params, station.bench.device.temperature(I0 / 2**0.5))
    assert row["r_phe"] == pytest.approx(planar_hall_resistance(params, hot), rel=0.005)
    truth = spin_transport(params)
    b_fl = truth.b_fl_per_ampere + truth.b_oersted_per_ampere
    # the closed form neglects B_K = 15 mT against B = 0.3-0.5 T: a few per cent
    assert row["b_fl_per_ampere"] == pytest.approx(b_fl, rel=0.05)
