"""ST-FMR round trips: devices of our own (modified presets) measured with the STFMR
procedure on the simulated bench and fitted by ``labspin fit``'s batch fit recover
alpha, M_eff, B_K and xi_FMR within their sigma; truths are written out by hand
(``stfmr_truth``)."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from labspin.analysis.batch import fit_run
from labspin.analysis.loaders import load_run
from labspin.analysis.models.stfmr import fit_kittel, fit_line, stfmr_line, stfmr_lorentzian
from labspin.physics import fmr, preset
from labspin.physics.presets import PRESETS
from labspin.physics.stfmr import RFCircuit
from labspin.runs import open_catalog, run_procedure
from labspin.station import Station

from . import stfmr_truth as truth

pytestmark = pytest.mark.filterwarnings("ignore::FutureWarning")  # pymeasure's SCPI notice


def thin_py_nio():
    """Py 4 nm / NiO: M_s 700 kA/m, alpha_0 0.012, M_eff 0.8 T, B_K 10 mT (easy axis y)."""
    base = preset("py-nio")
    fm = base.ferromagnet.with_(thickness=4e-9, saturation_magnetization=7e5,
                                gilbert_damping=0.012, effective_magnetization=0.80,
                                anisotropy_field=0.010)
    return base.with_(name="test-thin-py-nio", ferromagnet=fm)


def thin_pt_py():
    """Pt 4 nm / Py 6 nm without field-like torque: Liu's S/A sees the Oersted field only."""
    base = preset("pt-py")
    fm = base.ferromagnet.with_(thickness=6e-9, field_like_ratio=0.0)
    return base.with_(name="test-thin-pt-py", ferromagnet=fm,
                      bottom=base.bottom.with_(thickness=4e-9, field_like_ratio=0.0))


def measure(monkeypatch, tmp_path, factory, seed=1, stray=None, **parameters):
    """Run STFMR on a bench holding ``factory()``'s device; the run's file."""
    params = factory()
    monkeypatch.setitem(PRESETS, params.name, factory)
    settings = {"frequencies": "5, 7, 9, 11", "powers": "0", "field_window": 0.015,
                "field_step": 0.001, "saturation_magnetization":
                    params.ferromagnet.saturation_magnetization, **parameters}
    with open_catalog(tmp_path / f"data-{seed}") as catalog, \
            Station.open(sim=True, preset=params.name, seed=seed) as station:
        if stray is not None:
            station.bench.rf_circuit = RFCircuit(stray_field=stray)
        from labspin.procedures.stfmr import STFMR

        record = run_procedure(STFMR(**settings), station, catalog)
    assert record.status == "finished", record.error
    return params, record.file


def within(row, key, expected, sigmas=3.0):
    value, err = row[key], row[f"{key}_stderr"]
    assert math.isfinite(err) and err > 0, f"{key}: no error bar"
    assert abs(value - expected) < sigmas * err, \
        f"{key} = {value:.6g} ± {err:.2g}, truth {expected:.6g}"
    return (value - expected) / err


def test_an_fm_afmi_bar_gives_alpha_m_eff_b_k_and_xi_from_the_dc_linewidth(monkeypatch,
                                                                           tmp_path):
    params, path = measure(monkeypatch, tmp_path, thin_py_nio, dc_currents="-3, 0, 3",
                           m_eff_estimate=0.8)
    row = fit_run(load_run(path))
    assert row["fitted"] and row["verdict"] == "ok", row["verdict_reason"]
    within(row, "alpha", truth.damping(params))
    within(row, "m_eff", params.ferromagnet.effective_magnetization)
    within(row, "b_k", params.ferromagnet.anisotropy_field)
    assert row["xi_fmr_method"] == "linewidth vs DC current"
    within(row, "xi_fmr", truth.xi_fm_afmi(params))
    assert row["alpha_stderr"] < 0.01 * row["alpha"]  # a measurement, not a shrug
    # S/A measures the ratio of the drives, not xi: B_DL / (B_FL + B_stray)
    stray = RFCircuit().stray_field
    fm, bar = params.ferromagnet, params.hall_bar
    b_dl = truth.HBAR * truth.xi_fm_afmi(params) / (
        2 * truth.E * fm.saturation_magnetization * fm.thickness) / (bar.width * fm.thickness)
    within(row, "dl_to_y_ratio", b_dl / (fm.field_like_ratio * b_dl + stray))


def test_liu_s_over_a_gives_xi_of_a_heavy_metal_stack(monkeypatch, tmp_path):
    params, path = measure(monkeypatch, tmp_path, thin_pt_py, stray=0.0, field_window=0.035,
                           field_step=0.0018)  # 0.4 of the 5 GHz line's half width
    row = fit_run(load_run(path))
    assert row["verdict"] == "ok", row["verdict_reason"]
    assert row["xi_fmr_method"] == "Liu S/A"
    within(row, "xi_fmr", truth.xi_liu(params))
    within(row, "alpha", truth.damping(params))
    within(row, "m_eff", params.ferromagnet.effective_magnetization)


def test_a_control_bar_gives_alpha_and_says_why_xi_is_not_determined(monkeypatch, tmp_path):
    _, path = measure(monkeypatch, tmp_path, lambda: preset("py-alox").with_(
        name="test-alox", ferromagnet=preset("py-alox").ferromagnet.with_(
            gilbert_damping=0.0065)), frequencies="6, 8, 10", field_step=0.0008)
    row = fit_run(load_run(path))
    within(row, "alpha", 0.0065)
    # a damping run does not measure xi: not determined, said in the note, and nothing
    # wrong with alpha, so the verdict is alpha's
    assert row["verdict"] == "ok" and row["undetermined"] == "xi_fmr"
    assert "DC bias currents" in row["note"] and math.isnan(row["xi_fmr"])


def test_two_angles_with_the_rotator_separate_m_eff_from_the_anisotropy(monkeypatch,
                                                                        tmp_path):
    """At 30 and 60 deg the anisotropy moves the lines oppositely: B_K is fitted with its
    sign free (no assumption about the easy axis)."""
    params, path = measure(monkeypatch, tmp_path, thin_py_nio, field_angles="30, 60",
                           angle_control="rotator", m_eff_estimate=0.8, frequencies="5, 8, 11")
    row = fit_run(load_run(path))
    within(row, "m_eff", params.ferromagnet.effective_magnetization)
    within(row, "b_k", params.ferromagnet.anisotropy_field)
    within(row, "alpha", truth.damping(params))
    assert "easy axis along y" not in row["note"]


def test_sigma_covers_the_truth_over_seeds(monkeypatch, tmp_path):
    """alpha and M_eff over five seeds: each within 3 sigma, and the normalised errors
    neither all tiny (sigma inflated) nor large (sigma too small)."""
    z = []
    for seed in range(5):
        params, path = measure(monkeypatch, tmp_path, thin_py_nio, seed=seed,
                               frequencies="5, 8, 11", field_step=0.0015, m_eff_estimate=0.8)
        row = fit_run(load_run(path))
        z.append(within(row, "alpha", truth.damping(params), sigmas=3.5))
        z.append(within(row, "m_eff", params.ferromagnet.effective_magnetization,
                        sigmas=3.5))
    rms = float(np.sqrt(np.mean(np.square(z))))
    assert 0.2 < rms < 2.0, z


def test_without_m_s_xi_is_not_determined_and_the_reason_says_what_to_give(monkeypatch,
                                                                          tmp_path):
    _, path = measure(monkeypatch, tmp_path, thin_py_nio, dc_currents="-3, 0, 3",
                      frequencies="6, 8, 10", m_eff_estimate=0.8, saturation_magnetization=0.0)
    row = fit_run(load_run(path))
    assert row["verdict"] == "poor" and row["undetermined"] == "xi_fmr"
    assert "M_s" in row["verdict_reason"] and math.isfinite(row["alpha"])
    with_ms = fit_run(load_run(path), ms=7e5)
    assert with_ms["verdict"] == "ok" and math.isfinite(with_ms["xi_fmr"])


def test_a_line_sampled_too_coarsely_makes_alpha_poor_and_says_the_step_to_use(monkeypatch,
                                                                              tmp_path):
    """Two points per half width or fewer: the linewidth's sigma covered the truth less
    often than it claimed (rms z 1.29 over 16 seeds at 0.50 half widths, 0.94 at 0.33)."""
    _, path = measure(monkeypatch, tmp_path, thin_py_nio, m_eff_estimate=0.8,
                      frequencies="5, 8, 11", field_step=0.003, field_window=0.02)
    row = fit_run(load_run(path))
    assert row["verdict"] == "poor" and math.isfinite(row["alpha"])
    assert "sampled every 3" in row["verdict_reason"]  # the fields the gaussmeter read
    assert "field step of at most" in row["verdict_reason"]


def test_two_frequencies_determine_nothing_and_say_so(monkeypatch, tmp_path):
    """M_eff, B_K and the linewidth law need three resonances; two give no number."""
    _, path = measure(monkeypatch, tmp_path, thin_py_nio, frequencies="5, 8, 11")
    row = fit_run(load_run(path))  # the window is centred for M_eff = 0.9 T, not 0.8 T:
    assert "11 GHz" in row["note"]  # the 11 GHz resonance falls outside it
    assert row["verdict"] == "not determined"
    assert set(row["undetermined"].split(",")) == {"alpha", "m_eff", "xi_fmr"}
    assert "2 usable frequencies" in row["verdict_reason"]
    assert all(math.isnan(row[k]) for k in ("alpha", "m_eff", "xi_fmr"))


def test_the_lineshape_reduces_to_lorentzians_and_keeps_the_drive_ratio():
    """stfmr_line near resonance is stfmr_lorentzian; with B_K = 0 both are exact."""
    b_res, width = 0.08, 0.003
    b = np.linspace(b_res - 2e-4, b_res + 2e-4, 9)
    exact = stfmr_line(b, 1.0, 0.4, b_res, width, frequency=8e9, angle=math.pi / 4,
                       m_eff=0.9, b_k=0.01)
    plain = stfmr_lorentzian(b, 1.0, 0.4, b_res, width)
    assert np.allclose(exact, plain, rtol=0.02)


def test_a_kittel_fit_recovers_m_eff_b_k_and_the_field_offset():
    f = np.array([5e9, 7e9, 9e9, 11e9, 13e9])
    angle = np.full(f.size, math.pi / 4)
    b = fmr.resonance_field(f, angle, 0.85, 0.012) + 4e-5
    fit = fit_kittel(f, angle, b, np.full(f.size, 2e-6))
    assert fit["m_eff"] == pytest.approx(0.85, abs=1e-6)
    assert fit["b_k"] == pytest.approx(0.012, abs=1e-7)
    assert fit["offset_0"] == pytest.approx(4e-5, abs=1e-8)


def test_a_line_fit_needs_points_and_reports_a_resonance_outside_the_window():
    b = np.linspace(0.05, 0.06, 30)
    v = stfmr_lorentzian(b, 1e-5, 0.0, 0.075, 0.002)
    fit = fit_line(b, v + 1e-9 * np.sin(b * 1e4), frequency=9e9, angle=math.pi / 4)
    assert not fit["inside"]
    with pytest.raises(ValueError, match="at least 10 points"):
        fit_line(b[:5], v[:5], frequency=9e9, angle=math.pi / 4)


def test_labspin_fit_and_report_show_alpha_m_eff_and_xi(monkeypatch, tmp_path):
    from labspin.cli import main

    _, path = measure(monkeypatch, tmp_path, thin_py_nio, dc_currents="-3, 0, 3",
                      frequencies="6, 8, 10", m_eff_estimate=0.8)
    folder = Path(path).parent
    out = CliRunner().invoke(main, ["fit", str(folder), "--out", str(tmp_path / "s.csv"),
                                    "--workers", "1"], env={"COLUMNS": "200"})
    assert out.exit_code == 0, out.output
    for label in ("α =", "μ0M_eff =", "ξ_FMR ="):
        assert label in out.output
    import pandas as pd

    summary = pd.read_csv(tmp_path / "s.csv")
    assert {"alpha", "alpha_stderr", "m_eff", "m_eff_stderr", "xi_fmr", "xi_fmr_stderr",
            "verdict", "b_res_1", "linewidth_3_stderr", "s_2", "a_2"} <= set(summary.columns)
    assert list(summary.loc[0, ["frequency_1", "frequency_2", "frequency_3"]]) == \
        [6e9, 8e9, 10e9]
    assert summary.loc[0, "b_res_1"] < summary.loc[0, "b_res_2"] < summary.loc[0, "b_res_3"]
    report = CliRunner().invoke(main, ["report", str(folder), "--out", str(tmp_path / "r"),
                                       "--workers", "1"])
    assert report.exit_code == 0, report.output
    assert (tmp_path / "r" / "index.html").read_text().count("ξ_FMR") >= 1
    assert list((tmp_path / "r").glob("*.png"))
