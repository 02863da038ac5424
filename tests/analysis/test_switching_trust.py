"""Acceptance findings on switching loops: the sigma of I_c when a loop's few increments
happen to lie on the hazard curve, the pulse energy without a measured pulse voltage,
missing rows, text in a numeric cell, and the units of the fit summary."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from labspin.analysis.batch import fit_run
from labspin.analysis.loaders import RunFileError, load_run
from labspin.analysis.models.loop_errors import bracketing_gap, dispersion_floor
from labspin.analysis.pulse_energy import R2T_RELATIVE, add_energies
from labspin.analysis.summary_units import units_path, write_summary

DATA = Path(__file__).parent / "data"
#: recorded on the simulated bench: devA (CoFe 3 nm / NiO 6 nm, 32 grains), seed 5,
#: 1 ms pulses, 32 steps to 16 mA; no pulse voltage read (R_2t = 850 ohm in the header)
SEED5 = DATA / "switching_loop_devA_seed5.csv"
#: that seed's single-pulse threshold, ThresholdSearch(Device(devA, seed=5), 1 ms)
SEED5_IC = 0.011446599084722371
#: the simulated py-nio loop of 4 steps to 40 mA (10 mA steps), one reversal per branch
COARSE = DATA / "switching_loop_coarse.csv"


def test_a_lucky_loop_does_not_claim_thousands_of_regions():
    row = fit_run(load_run(SEED5))
    # 32 grains; the old estimate was 2232 regions and I_c+ 11.38 mA +- 9.5 uA (z -7.4)
    assert row["reversing_regions"] < 200
    z = (row["i_c_plus"] - SEED5_IC) / row["i_c_plus_stderr"]
    assert abs(z) < 3.5
    assert row["i_c_plus_stderr"] > 2e-5


def test_dispersion_floor_is_a_confidence_bound():
    # 2 degrees of freedom: 1/n can be 20x below its estimate by chance (chi2_0.05 = 0.10)
    assert dispersion_floor(1e-3, 2.0, 0.5) == pytest.approx(1e-3 * 2 / 0.1026, rel=1e-3)
    assert dispersion_floor(1e-3, 2.0, 0.01) == 0.01  # at least 1/smallest regions
    assert dispersion_floor(1e-3, 50.0, 0.5) < 1.5e-3  # many increments: the estimate
    assert dispersion_floor(math.nan, 0.0, 0.5) == 0.0


def test_energy_without_a_pulse_voltage_is_a_marked_estimate():
    row = fit_run(load_run(SEED5))
    assert row["energy_basis"].startswith("estimate I_c^2 R_2t t_p")
    assert row["energy_plus"] == pytest.approx(row["i_c_plus"] ** 2 * 850.0 * 1e-3, rel=1e-9)
    assert row["energy_plus_stderr"] >= R2T_RELATIVE * row["energy_plus"]
    # the thresholds are what the run measured: their verdict stands, the note says what
    # the energies are
    assert row["verdict"] == "ok"
    assert "two-terminal resistance" in row["note"]


def test_energy_from_measured_pulse_voltages_is_ic_v_tp():
    """R_hot = 1/(G_0 - c I^2) through the pulses: E = I_c^2 R_hot(I_c) t_p exactly."""
    run = load_run(SEED5)
    i = run.data["Pulse current (A)"].to_numpy(float)
    g0, c = 1 / 500.0, 2.0
    run.data["Pulse voltage (V)"] = np.where(i != 0, i / (g0 - c * i**2), np.nan)
    run.data["Pulse energy measured"] = np.where(i != 0, 1.0, 0.0)
    out = {"i_c_plus": 0.0114, "i_c_plus_stderr": 1e-5, "i_c_minus": -0.0115,
           "i_c_minus_stderr": 1e-5, "undetermined": "", "verdict": "ok",
           "verdict_reason": ""}
    assert add_energies(run, out) == ""
    for name, current in (("energy_plus", 0.0114), ("energy_minus", 0.0115)):
        assert out[name] == pytest.approx(current**2 / (g0 - c * current**2) * 1e-3,
                                          rel=1e-9)
        assert out[f"{name}_stderr"] < 0.01 * out[name]
    assert out["verdict"] == "ok"
    assert out["energy_basis"].startswith("I_c V t_p")


def _without_row(tmp_path: Path, current: float) -> Path:
    lines = COARSE.read_text().splitlines()
    start = lines.index("#Data:") + 2
    for k in range(start, len(lines)):
        if lines[k].startswith(f"{current},"):
            lines[k] = ",".join(["nan"] * len(lines[k].split(",")))
            missing = k + 1
            break
    path = tmp_path / f"missing_line_{missing}.csv"
    path.write_text("\n".join(lines) + "\n")
    return path


def test_a_missing_row_is_named_and_widens_the_threshold_sigma(tmp_path):
    good = fit_run(load_run(COARSE))
    path = _without_row(tmp_path, 0.02)  # the up branch's point below its reversal
    line = int(path.stem.rsplit("_", 1)[1])
    row = fit_run(load_run(path))
    assert f"(line {line})" in row["note"] and "missing value (nan)" in row["note"]
    # the reversal lies anywhere between 10 and 30 mA now: sigma at least 20 mA / sqrt 12
    assert row["i_c_plus_stderr"] >= 0.02 / math.sqrt(12)
    assert row["i_c_plus_stderr"] > 1.8 * good["i_c_plus_stderr"]
    assert row["i_c_minus_stderr"] == pytest.approx(good["i_c_minus_stderr"], rel=0.05)


def test_bracketing_gap():
    x = np.array([0.0, 1.0, 3.0, 4.0, 3.0, 2.0, 1.0])
    branch = np.array([1, 1, 1, 1, -1, -1, -1])
    assert bracketing_gap(x, branch, 1, 2.0, 1.0) == 2.0
    assert bracketing_gap(x, branch, -1, 2.5, 1.0) == 1.0
    assert bracketing_gap(x, branch, 1, 9.0, 1.0) == 1.0


def test_text_in_a_numeric_cell_names_line_and_column(tmp_path):
    lines = COARSE.read_text().splitlines()
    start = lines.index("#Data:") + 2
    cells = lines[start + 4].split(",")
    cells[6] = "abc"  # R_xy (ohm): nan everywhere else
    lines[start + 4] = ",".join(cells)
    path = tmp_path / "text.csv"
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(RunFileError) as err:
        load_run(path)
    message = str(err.value)
    assert f"line {start + 5}, column 7 ('R_xy (ohm)'): 'abc' is not a number" in message
    assert "write nan there if the value is missing" in message


def test_summary_carries_units_without_renaming_columns(tmp_path):
    rows = pd.DataFrame([fit_run(load_run(SEED5))])
    csv = tmp_path / "summary.csv"
    sidecar = write_summary(rows, csv)
    assert sidecar == units_path(csv) == tmp_path / "summary.units.csv"
    back = pd.read_csv(csv)
    assert "i_c_plus" in back.columns and "energy_plus" in back.columns
    units = pd.read_csv(sidecar, keep_default_na=False)
    table = {(r.column, r.kind): r.unit for r in units.itertuples()}
    assert table[("i_c_plus", "switching_loop")] == "A"
    assert table[("i_c_plus_stderr", "switching_loop")] == "A"
    assert table[("j_c_plus", "switching_loop")] == "A/m^2"
    assert table[("energy_plus", "switching_loop")] == "J"
    assert table[("level_high", "switching_loop")] == "ohm"
    assert table[("reversing_regions", "switching_loop")] == ""
    path = tmp_path / "summary.json"
    assert write_summary(rows, path) is None
    records = json.loads(path.read_text())
    assert records[0]["i_c_plus"] == pytest.approx(rows["i_c_plus"][0])
    assert records[0]["units"]["i_c_plus"] == "A"
    assert records[0]["units"]["sweep_step"] == "A"
