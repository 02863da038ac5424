"""What a harmonic Hall run says when its signal is not resolved (acceptance findings):
README's rule (sigma as large as the value: not determined, value and sigma NaN) holds for
every harmonic quantity; a run fitted without R_AHE (the console line after a run) does
not call amplitudes far below any signal "ok" nor present a bar without torque, whose
2w is the anomalous Nernst voltage, as a torque; the torques are said to belong to the
bar heated by its read current.

Runs are built from Device.harmonic_voltages with seeded lock-in noise (as the bench's
SR830 adds it), in the HarmonicHall file layout."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from labspin.analysis.formatting import format_quantities
from labspin.analysis.harmonic_runs import fit_harmonic_run
from labspin.analysis.loaders import RunData
from labspin.physics import Device, preset
from labspin.physics.parameters import OxideCap

FIELDS = (0.1, 0.2, 0.3, 0.45)
ANGLES = np.arange(0.0, 360.0, 30.0)
NOISE_2W, NOISE_1W = 6e-9, 2e-6  # V: the bench's SR830 at a 0.1 s time constant


def bar(spin_conductance: float = 3e15, nernst: float | None = None):
    base = preset("py-nio")
    fm = base.ferromagnet.with_(thickness=3e-9, anisotropy_field=8e-3,
                                effective_magnetization=1.0)
    readout = base.readout if nernst is None else base.readout.with_(nernst_coefficient=nernst)
    return base.with_(name="bar", ferromagnet=fm, bottom=OxideCap("SiO2", 100e-9),
                      top=OxideCap("CoOx", 3e-9, spin_conductance=spin_conductance),
                      readout=readout)


def angle_scan_run(params, current: float, seed: int) -> RunData:
    device = Device(params, seed=0)
    rng = np.random.default_rng(seed)
    rows = []
    for b in FIELDS:
        for deg in ANGLES:
            a = math.radians(deg)
            device.set_field((b * math.cos(a), b * math.sin(a), 0.0))
            h = device.harmonic_voltages(current, n_phase=8)
            v1 = h.xy_1w + rng.normal(0, NOISE_1W)
            rows.append({"Field setpoint (T)": b, "Field (T)": b, "Field angle (deg)": deg,
                         "Field angle read (deg)": deg, "Field axis": math.nan,
                         "V_xy 1w (V)": v1, "V_xy 2w (V)": h.xy_2w + rng.normal(0, NOISE_2W),
                         "R_xy 1w (ohm)": v1 / current})
    fm = params.ferromagnet
    return RunData(path=Path("synthetic.csv"), procedure="HarmonicHall",
                   procedure_path="labspin.procedures.harmonic.HarmonicHall",
                   parameters={"Mode": "angle scan", "AC current amplitude": current},
                   metadata={"Bar width": params.hall_bar.width,
                             "Conducting thickness": fm.thickness,
                             "FM thickness": fm.thickness},
                   units={}, data=pd.DataFrame(rows))


def console_row(run: RunData) -> dict:
    """What the line after a run is made of: the fit with what the file holds."""
    return {**fit_harmonic_run(run), "kind": "harmonic_hall"}


def test_a_torque_with_sigma_above_its_value_is_not_determined():
    """20 uA: xi_DL had been printed as a number (-42.5 +- 82, "poor: consistent with
    zero"); now it has no value, is listed, and the reason gives its 3-sigma bound."""
    params = bar()
    row = {**fit_harmonic_run(angle_scan_run(params, 20e-6, seed=1), r_ahe=0.6, m_eff=1.0,
                              ms=params.ferromagnet.saturation_magnetization),
           "kind": "harmonic_hall"}
    undetermined = row["undetermined"].split(",")
    for key in ("b_dl", "b_dl_per_ampere", "xi_dl"):
        assert key in undetermined
        assert math.isnan(row[key]) and math.isnan(row[f"{key}_stderr"])
    assert row["verdict"] != "ok"
    assert "b_dl: sigma" in row["verdict_reason"]
    assert "not determined" in row["verdict_reason"] and "3 sigma" in row["verdict_reason"]
    assert "ξ_DL: not determined" in format_quantities(row)
    assert not math.isnan(row["r_phe"])  # the 1w is well above its noise


def test_console_line_does_not_call_amplitudes_below_the_noise_ok():
    """Without R_AHE the run's line shows the Avci amplitudes: 257 pV +- 5.7 nV had been
    printed "ok"; now not determined, and the verdict says why."""
    row = console_row(angle_scan_run(bar(), 20e-6, seed=2))
    assert "dl_amplitude_low" in row["undetermined"].split(",")
    assert math.isnan(row["dl_amplitude_low"])
    assert row["verdict"] != "ok"
    assert "A(B_low): not determined" in format_quantities(row)


def test_a_bar_without_torque_is_not_presented_as_a_torque():
    """No spin sink: the 2w is the anomalous Nernst voltage of the read current's heat,
    which does not depend on the field. The run's verdict says no damping-like torque is
    resolved; a bar with a torque at the same noise says one is seen."""
    none = console_row(angle_scan_run(bar(spin_conductance=0.0), 4e-3, seed=3))
    assert none["verdict"] == "poor"
    assert "no damping-like torque is resolved" in none["verdict_reason"]
    assert "Nernst" in none["verdict_reason"]
    assert "not torques" in none["note"]
    torque = console_row(angle_scan_run(bar(nernst=0.0), 4e-3, seed=3))
    assert torque["verdict"] == "ok", torque["verdict_reason"]
    assert "a damping-like torque is seen" in torque["note"]


def test_torques_are_said_to_be_those_of_the_heated_bar():
    """The read current heats the bar; the result says so, with the current density, and
    does not claim a temperature it cannot estimate."""
    params = bar()
    row = fit_harmonic_run(angle_scan_run(params, 4e-3, seed=4), r_ahe=0.6, m_eff=1.0)
    assert row["verdict"] == "ok", row["verdict_reason"]
    assert "heated by its read current (I_0 = 4 mA peak" in row["note"]
    j0 = 4e-3 / (params.hall_bar.width * params.ferromagnet.thickness)
    assert f"J_0 = {j0:.2g} A/m²" in row["note"]
    assert "above the stage temperature" in row["note"]


@pytest.mark.parametrize("value, sigma, undetermined", [(1.0, 0.5, False), (1.0, 1.0, True),
                                                         (-0.2, 3.0, True)])
def test_sigma_rule_on_a_result(value, sigma, undetermined):
    from labspin.analysis.models.harmonic_inplane import undetermined_when_unresolved

    result = {"b_fl": value, "b_fl_stderr": sigma, "b_fl_per_ampere": value / 2,
              "b_fl_per_ampere_stderr": sigma / 2, "verdict": "ok", "verdict_reason": "",
              "undetermined": ""}
    undetermined_when_unresolved(result)
    assert math.isnan(result["b_fl_per_ampere"]) is undetermined
    assert (result["verdict"] == "poor") is undetermined
