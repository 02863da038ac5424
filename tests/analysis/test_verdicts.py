"""Every fit says when it failed (VERDICT.md): ok, poor (with the reason) or not determined,
and a quantity that is not determined is NaN, never a number with an error bar.

The cases seen on the simulated bench: a switching loop of the symmetric py-alox control
(noise only), a Hall loop along z of in-plane Py, a field loop one branch of which the
sweep does not cover, and a HallLoop of 6 points in a batch."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest

from labspin.analysis.batch import fit_many, fit_run
from labspin.analysis.loaders import load_run
from labspin.analysis.models._common import (
    NOT_DETERMINED,
    POOR,
    bounds_check,
    redchi_check,
    sigma_check,
    with_verdict,
    worsen,
)
from labspin.analysis.models.loops import fit_hysteresis_loop
from labspin.analysis.models.probability import fit_switching_probability
from labspin.analysis.models.switching import fit_switching_loop
from labspin.procedures.loops import HallLoop, USMRLoop
from labspin.procedures.switching import SwitchingLoop
from labspin.station import Station

pytestmark = pytest.mark.filterwarnings("ignore::FutureWarning")


def measure(preset: str, proc, seed: int = 1):
    from tests.procedures.harness import run

    with Station.open(sim=True, preset=preset, seed=seed) as station:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return run(proc, station)


def assert_not_quoted(result: dict, names) -> None:
    undetermined = result["undetermined"].split(",")
    for name in names:
        assert name in undetermined
        assert math.isnan(result[name]) and math.isnan(result[f"{name}_stderr"])


# -- the verdict interface ---------------------------------------------------------------


def test_worsen_only_makes_a_verdict_worse_and_blanks_what_is_not_determined():
    result = with_verdict({"b_c_plus": 1e-3, "b_c_plus_stderr": 1e-4, "step": 2.0,
                           "step_stderr": 0.1})
    assert (result["verdict"], result["verdict_reason"], result["undetermined"]) == \
        ("ok", "", "")
    worsen(result, POOR, "b_c_plus: sigma is 40 % of the value")
    worsen(result, "ok", "")
    assert result["verdict"] == POOR and result["b_c_plus"] == 1e-3
    worsen(result, POOR, "b_c_plus: threshold outside the swept range", ["b_c_plus"])
    assert result["verdict"] == POOR and result["undetermined"] == "b_c_plus"
    assert_not_quoted(result, ["b_c_plus"])
    assert result["step"] == 2.0
    worsen(result, NOT_DETERMINED, "file holds 60 % of its planned rows")
    worsen(result, POOR, "later and milder")
    assert result["verdict"] == NOT_DETERMINED
    assert_not_quoted(result, ["b_c_plus", "step"])
    assert result["verdict_reason"].split("; ")[-1] == "later and milder"
    with pytest.raises(ValueError, match="verdict level"):
        worsen(result, "bad", "")


def test_the_shared_checks_name_quantity_and_cause():
    result = with_verdict({"i_50": 0.02, "i_50_stderr": 0.03, "b_dl": 1e-6,
                           "b_dl_stderr": 2e-6, "delta_0": 50.0, "delta_0_stderr": 20.0})
    sigma_check(result, ["i_50", "b_dl", "delta_0"], may_be_zero=["b_dl"],
                units={"i_50": "A", "b_dl": "T"})
    assert result["undetermined"] == "i_50"
    assert "i_50: sigma 30 mA is as large as the value 20 mA" in result["verdict_reason"]
    assert "b_dl: 1 µT ± 2 µT is consistent with zero" in result["verdict_reason"]
    assert "delta_0: sigma is 40 % of the value" in result["verdict_reason"]
    assert result["verdict"] == POOR and result["b_dl"] == 1e-6
    fine = with_verdict({})
    redchi_check(fine, 1.2, 100)
    assert fine["verdict"] == "ok"
    redchi_check(fine, 41.0, 100, "loop")
    assert fine["verdict_reason"].startswith("loop reduced chi-square 41 (expected about 1)")
    bounded = with_verdict({})
    bounds_check(bounded, {"exponent": 50.0}, {"exponent": (0.05, 50.0)}, "Neel peak")
    assert "exponent is at its upper bound" in bounded["verdict_reason"]


# -- the cases seen on the bench ---------------------------------------------------------


def test_a_noise_only_switching_loop_of_the_control_sample_is_not_determined():
    """py-alox has no torque: +-40 mA switches nothing; the old fit reported I_c- = 123 mA
    outside the sweep."""
    proc = SwitchingLoop(max_pulse_current=0.04)
    rows = measure("py-alox", proc)
    fit = fit_switching_loop(rows["Pulse current (A)"], rows["R_xx 2w (ohm)"],
                             rows["Branch"], width=5e-6, thickness=5e-9)
    assert fit["verdict"] == NOT_DETERMINED, fit["verdict_reason"]
    assert_not_quoted(fit, ["i_c_plus", "i_c_minus", "j_c_plus", "j_c_minus", "step"])
    assert "never switched" in fit["verdict_reason"]


def test_a_hall_loop_along_z_of_an_in_plane_magnet_gives_no_anomalous_hall_step():
    """+-50 mT along z tilts in-plane Py (M_eff 0.95 T) by a few degrees: no reversal, and
    the old fit's R_AHE = 931 mOhm +- 821 Ohm must not be quoted."""
    rows = measure("py-nio", HallLoop(field_axis="z"))
    fit = fit_hysteresis_loop(rows["Field (T)"], rows["R_xy (ohm)"], rows["Branch"])
    assert fit["verdict"] == NOT_DETERMINED, fit["verdict_reason"]
    assert_not_quoted(fit, ["half_step", "b_c_plus", "b_c_minus"])


def test_a_branch_the_sweep_does_not_cover_leaves_only_its_threshold_undetermined():
    """The demo's USMR loop (py-nio, +-30 mT in 2 mT steps), its down branch cut before it
    reverses: B_c+ and the step stand, B_c- (and what is built on it) is not quoted."""
    rows = measure("py-nio", USMRLoop(field_axis="y", field_max=0.03, field_step=0.002), 0)
    whole = fit_hysteresis_loop(rows["Field (T)"], rows["R_xx 2w (ohm)"], rows["Branch"])
    assert whole["verdict"] == "ok", whole["verdict_reason"]
    assert whole["b_c_minus_stderr"] < 0.2 * abs(whole["b_c_minus"])
    keep = (rows["Branch"] > 0) | (rows["Field (T)"] > 0.0)
    cut = rows[keep]
    fit = fit_hysteresis_loop(cut["Field (T)"], cut["R_xx 2w (ohm)"], cut["Branch"])
    assert fit["verdict"] == POOR, fit["verdict_reason"]
    assert_not_quoted(fit, ["b_c_minus", "exchange_bias", "coercivity"])
    assert "b_c_minus" in fit["verdict_reason"]
    assert fit["b_c_plus"] == pytest.approx(whole["b_c_plus"], abs=3 * whole["b_c_plus_stderr"])


def test_a_six_point_hall_loop_is_a_clean_not_determined_row_of_the_batch(tmp_path):
    """Was TypeError from lmfit, which stopped `labspin fit` on the whole folder."""
    from labspin.procedures import procedure_class
    from labspin.runs import open_catalog, run_procedure

    files = []
    with open_catalog(tmp_path) as catalog:
        for values in ({"field_max": 0.02, "field_step": 0.02},
                       {"field_max": 0.02, "field_step": 0.002}):
            with Station.open(sim=True, preset="cofeb-nio-pma", seed=2) as station:
                proc = procedure_class("HallLoop")()
                proc.set_parameters(values)
                record = run_procedure(proc, station, catalog)
            files.append(record.file)
    short = load_run(files[0])
    assert len(short.data) == 6
    row = fit_run(short)
    assert row["fitted"] is False and row["verdict"] == NOT_DETERMINED
    assert "Traceback" not in row["error"] and row["error"] in row["verdict_reason"]
    table = fit_many([short, load_run(files[1])], workers=1)
    assert list(table["verdict"]) == [NOT_DETERMINED, "ok"]
    assert np.isfinite(table["r_ahe"].iloc[1])


def test_a_probability_curve_that_never_reaches_half_is_not_determined():
    current = np.linspace(0.01, 0.02, 9)
    share = np.array([0, 0, 0, 0.01, 0.02, 0.02, 0.05, 0.08, 0.12])
    fit = fit_switching_probability(current, share, pulse_width=1e-3, trials=50)
    assert fit["verdict"] == NOT_DETERMINED
    assert_not_quoted(fit, ["i_50", "delta_0", "i_c0"])


def test_a_branch_that_never_left_its_level_has_no_threshold():
    """The first loop after a bias sign change: the up sweep finds the bar already in the
    state it would switch to, so only the down branch reverses. The fit still places an
    I_c+ somewhere; no point of the data put it there, so it is not determined."""
    from labspin.analysis.models.switching import fit_switching_loop

    rng = np.random.default_rng(4)
    up = np.arange(-40e-3, 40.1e-3, 1e-3)
    down = up[::-1]
    level = 650e-6
    noise = 5e-6
    signal_up = np.full(up.size, level)
    signal_down = np.where(down > -25.5e-3, level, -level)
    current = np.concatenate([up, down])
    signal = np.concatenate([signal_up, signal_down]) + rng.normal(0, noise, 2 * up.size)
    branch = np.concatenate([np.ones(up.size), -np.ones(down.size)])
    result = fit_switching_loop(current, signal, branch, width=5e-6, thickness=5e-9)
    assert "i_c_plus" in result["undetermined"] and math.isnan(result["i_c_plus"])
    assert "i_c_plus: its points stay at the upper level" in result["verdict_reason"]
    assert "i_c_minus" not in result["undetermined"]
    assert result["i_c_minus"] == pytest.approx(-25.5e-3, abs=1.5e-3)


def test_a_single_loop_started_in_the_up_state_has_no_i_c_plus_nor_shift():
    """One loop 0 -> +max -> -max -> 0 on a bar already in the state +I favours: the up
    branch's first sweep (0 -> +max) stays at one level and its last (-max -> 0) at the
    other. Together they look like a reversal at their junction, which the fit took for
    I_c+ near zero (and a loop shift of half I_c). No sweep reversed the bar: I_c+ and
    the shift are not determined; I_c- is measured."""
    from labspin.analysis.models.switching import fit_switching_loop

    rng = np.random.default_rng(7)
    step = 1e-3
    first = np.arange(0, 30e-3 + step / 2, step)
    down = first[::-1][1:]
    down = np.concatenate([down, -first[1:]])
    last = -first[::-1][1:]
    current = np.concatenate([first, down, last])
    level, i_c = 1e-3, 22.5e-3
    state = np.empty(current.size)
    up = True
    for k, i in enumerate(current):  # +I drives up above i_c, -I down below -i_c
        up = True if i > i_c else False if i < -i_c else up
        state[k] = level if up else -level
    signal = state + rng.normal(0, 10e-6, current.size)
    result = fit_switching_loop(current, signal, width=5e-6, thickness=5e-9)
    assert {"i_c_plus", "i_c_shift"} <= set(result["undetermined"].split(","))
    assert math.isnan(result["i_c_plus"]) and math.isnan(result["i_c_shift"])
    assert "no sweep of this branch reversed the bar" in result["verdict_reason"]
    assert "i_c_minus" not in result["undetermined"]
    assert result["i_c_minus"] == pytest.approx(-i_c, abs=1.5e-3)
