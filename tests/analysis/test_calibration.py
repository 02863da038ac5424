"""The measured bar's calibration read from the run header and fed to the fits, the
options overriding it (labspin.analysis.calibration).

Known answers: the values written into the header; the model's R_AHE, M_eff and M_s of
py-nio; B_DL of an Avci fit scales as 1/R_AHE, xi_DL as M_s."""

from __future__ import annotations

from pathlib import Path

import pytest

from labspin.analysis.batch import fit_run
from labspin.analysis.calibration import calibrated_inputs, header_calibration
from labspin.analysis.loaders import load_run
from labspin.physics import preset, spin_transport
from labspin.physics.properties import properties_at

pytestmark = pytest.mark.filterwarnings("ignore::FutureWarning")  # pymeasure's SCPI notice


@pytest.fixture(scope="module")
def angle_scan(tmp_path_factory) -> Path:
    """Avci angle scans of py-nio at three fields (seeded), on a station without any
    calibration: its header says "not given" for each entry."""
    from labspin.procedures import procedure_class
    from labspin.runs import open_catalog, run_procedure
    from labspin.station import Station

    with open_catalog(tmp_path_factory.mktemp("avci")) as catalog, \
            Station.open(sim=True, preset="py-nio", seed=4) as station:
        proc = procedure_class("HarmonicHall")()
        proc.set_parameters({"mode": "angle scan", "field_magnitudes": "0.3, 0.4, 0.5",
                             "angle_step": 30, "current": 7e-3, "time_constant": 10.0,
                             "sensitivity": 2e-6, "sensitivity_1w": 5e-3})
        record = run_procedure(proc, station, catalog)
    assert record.status == "finished", record.error
    return Path(record.file)


def calibrated(path: Path, out: Path, **entries: str):
    """The run file with its calibration entries (written "not given") filled in."""
    text = path.read_text(encoding="utf-8")
    for label, value in entries.items():
        assert f"#\t{label}: not given\n" in text, label
        text = text.replace(f"#\t{label}: not given\n", f"#\t{label}: {value}\n", 1)
    out.write_text(text, encoding="utf-8")
    return load_run(out)


def test_the_header_calibration_is_read_with_its_units_and_errors(every_kind, tmp_path):
    run = calibrated(every_kind["angle_scan"], tmp_path / "a.csv", **{
        "Calibration R_AHE": "0.25 ohm", "Calibration R_AHE stderr": "0.005 ohm",
        "Calibration M_s": "800000 A/m", "Calibration M_eff": "0.95 mT"})  # a wrong unit
    found = header_calibration(run)
    assert found["r_ahe"] == pytest.approx((0.25, 0.005))
    assert found["ms"] == pytest.approx((8e5, 0.0))
    assert "m_eff" not in found  # another unit than T: not guessed
    assert header_calibration(load_run(every_kind["angle_scan"])) == {}
    inputs, note = calibrated_inputs(run, "harmonic_hall", {"r_ahe": 0.3, "ms": None})
    assert (inputs["r_ahe"], inputs["r_ahe_stderr"]) == (0.3, 0.0)  # the option wins
    assert (inputs["ms"], inputs["ms_stderr"]) == (8e5, 0.0)
    assert inputs["m_eff"] is None
    assert note == ("from the sample's calibration in the run header: M_s; given as "
                    "options, without an uncertainty (not in the sigmas): R_AHE = 300 mohm "
                    "by --r-ahe (the header's calibration, 250 mohm, not used)")
    _, none = calibrated_inputs(run, "hall_loop", {})
    assert none == ""  # a Hall loop uses none of it


def test_an_angle_scan_takes_r_ahe_m_eff_and_m_s_from_its_header(angle_scan, tmp_path):
    params = preset("py-nio")
    props = properties_at(params, 300.0)
    r_ahe = params.readout.anomalous_hall
    entries = {"Calibration R_AHE": f"{r_ahe} ohm", "Calibration M_eff":
               f"{props.demag_field} T", "Calibration M_s": f"{props.saturation_magnetization} A/m"}
    bare = fit_run(load_run(angle_scan))
    assert "xi_dl" not in bare and "needs R_AHE" in bare["note"]
    assert "give the sample's calibration r_ahe in the station file, or --r-ahe" in bare["note"]
    row = fit_run(calibrated(angle_scan, tmp_path / "cal.csv", **entries))
    truth = spin_transport(params, 300.0)
    assert row["b_dl_per_ampere"] == pytest.approx(truth.b_dl_per_ampere,
                                                   abs=3 * row["b_dl_per_ampere_stderr"])
    assert row["xi_dl"] == pytest.approx(truth.xi_dl, abs=3 * row["xi_dl_stderr"])
    assert "run header: R_AHE, M_eff, M_s" in row["note"]
    # this run's own header, not another's: twice the R_AHE, half the B_DL
    doubled = fit_run(calibrated(angle_scan, tmp_path / "x2.csv",
                                 **{**entries, "Calibration R_AHE": f"{2 * r_ahe} ohm"}))
    assert doubled["b_dl"] == pytest.approx(row["b_dl"] / 2, rel=0.02)
    # the calibration's uncertainty is in the sigma
    uncertain = fit_run(calibrated(angle_scan, tmp_path / "u.csv", **entries,
                                   **{"Calibration R_AHE stderr": f"{0.05 * r_ahe} ohm"}))
    assert uncertain["b_dl"] == pytest.approx(row["b_dl"])
    assert uncertain["b_dl_stderr"] > 2 * row["b_dl_stderr"]
    assert uncertain["b_dl_stderr"] > 0.04 * abs(uncertain["b_dl"])
    # options override the header
    forced = fit_run(calibrated(angle_scan, tmp_path / "o.csv", **entries),
                     ms=2 * props.saturation_magnetization)
    assert forced["xi_dl"] == pytest.approx(2 * row["xi_dl"], rel=1e-6)
    assert "run header: R_AHE, M_eff;" in forced["note"]


def test_an_stfmr_run_keeps_its_own_m_s_and_takes_the_calibration_s_otherwise():
    from types import SimpleNamespace

    def run(own: float) -> SimpleNamespace:
        return SimpleNamespace(parameters={"Sample M_s": own},
                               metadata={"Calibration M_s": 7.5e5,
                                         "Calibration M_s stderr": 1e4},
                               units={"Calibration M_s": "A/m",
                                      "Calibration M_s stderr": "A/m"})

    inputs, note = calibrated_inputs(run(8e5), "stfmr", {})
    assert inputs["ms"] is None and note == ""  # fit_stfmr_run uses the run's 8e5
    inputs, note = calibrated_inputs(run(0.0), "stfmr", {})
    assert (inputs["ms"], inputs["ms_stderr"]) == (7.5e5, 1e4) and "M_s" in note


def test_a_run_recorded_with_a_slipped_calibration_is_fitted_without_it(every_kind,
                                                                        tmp_path):
    """A file written before station files refused it: M_s 800 A/m in the header is not
    used (no xi_DL a thousand times too large), and the note says why and what to give."""
    run = calibrated(every_kind["angle_scan"], tmp_path / "old.csv", **{
        "Calibration R_AHE": "0.25 ohm", "Calibration M_eff": "0.95 T",
        "Calibration M_s": "800 A/m"})
    out = tmp_path / "summary.json"
    import json

    from click.testing import CliRunner

    from labspin.cli import main

    result = CliRunner().invoke(main, ["fit", str(run.path), "--workers", "1", "--out",
                                       str(out)])
    assert result.exit_code == 0, result.output
    [row] = json.loads(out.read_text(encoding="utf-8"))
    assert row.get("xi_dl") is None
    assert "the header's Calibration M_s, 800 A/m, is not the saturation magnetization " \
           "of a ferromagnetic film (10 kA/m to 3 MA/m); as 800 kA/m it would be" \
           in row["note"]
    assert "not used, give --ms" in row["note"]
