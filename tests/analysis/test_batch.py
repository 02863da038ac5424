"""Batch fitting of real run files from the simulated bench."""

from __future__ import annotations

import subprocess
import sys

import pandas as pd
import pytest
from click.testing import CliRunner

from labspin.analysis.batch import fit_many, fit_run
from labspin.analysis.loaders import find_run_files, load_run, load_runs
from labspin.physics import preset
from labspin.physics.predictions import critical_current
from tests.analysis.test_loaders import make_runs


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    return make_runs(tmp_path_factory.mktemp("batch"))


def test_hall_loop_gives_r_ahe_and_coercive_fields(runs):
    row = fit_run(load_run(runs["HallLoop"]))
    assert row["fitted"], row["error"]
    assert row["kind"] == "hall_loop"
    assert row["r_ahe"] == pytest.approx(preset("cofeb-nio-pma").readout.anomalous_hall,
                                         rel=0.02)
    assert row["b_c_plus"] > 0 > row["b_c_minus"]
    assert row["b_c_plus_stderr"] > 0 and row["r_ahe_stderr"] > 0
    assert "report" not in row


def test_switching_loop_gives_the_critical_current(runs):
    row = fit_run(load_run(runs["SwitchingLoop"]))
    assert row["fitted"], row["error"]
    expected = critical_current(preset("py-nio"), 1e-3)
    assert abs(row["i_c_plus"]) == pytest.approx(expected, rel=0.1)
    assert abs(row["i_c_minus"]) == pytest.approx(expected, rel=0.1)
    assert row["i_c_plus"] > 0 > row["i_c_minus"]
    # J_c from the cross-section recorded in the file, the energy from its resistance
    data = load_run(runs["SwitchingLoop"]).data
    data = data[data["Pulse current (A)"] != 0].iloc[-1]
    ratio = data["Pulse current density (A/m^2)"] / data["Pulse current (A)"]
    assert row["j_c_plus"] / row["i_c_plus"] == pytest.approx(ratio, rel=1e-6)
    assert row["energy_plus"] > 0
    # an explicit geometry overrides the file's
    row2 = fit_run(load_run(runs["SwitchingLoop"]), width=1e-6, thickness=1e-9)
    assert row2["j_c_plus"] == pytest.approx(row2["i_c_plus"] / 1e-15)


def test_harmonic_angle_scan_says_what_is_skipped(runs):
    run = load_run(runs["HarmonicHall"])
    row = fit_run(run)
    assert row["fitted"], row["error"]
    assert "R_AHE" in row["note"] and "M_eff" in row["note"]
    assert row["r_phe"] > 0
    assert "b_dl" not in row
    full = fit_run(run, r_ahe=0.25, m_eff=0.8)
    assert full["fitted"], full["error"]
    assert full["b_dl_stderr"] > 0 and "b_fl" in full
    assert "xi_DL skipped: needs M_s" in full["note"]
    # xi_DL = 2 e M_s t_F B_DL / (hbar J), J = I_0 / (w t) at the 7 mA of the scan
    geometry = {"width": 5e-6, "thickness": 5e-9, "ms": 8e5}
    xi = fit_run(run, r_ahe=0.25, m_eff=0.8, **geometry)
    j = 0.007 / (5e-6 * 5e-9)
    expected = 2 * 1.602176634e-19 * 8e5 * 5e-9 * xi["b_dl"] / (1.054571817e-34 * j)
    assert xi["xi_dl"] == pytest.approx(expected, rel=1e-6)
    thin = fit_run(run, r_ahe=0.25, m_eff=0.8, thickness_f=2.5e-9, **geometry)
    assert thin["xi_dl"] == pytest.approx(expected / 2, rel=1e-6)  # t_F, not t


def test_unknown_or_empty_runs_are_not_fitted(runs):
    run = load_run(runs["HallLoop"])
    run.procedure = "Readings"
    row = fit_run(run)
    fit_keys = {k: v for k, v in row.items() if not k.startswith(("param: ", "meta: "))}
    assert fit_keys == {"file": str(run.path), "procedure": "Readings", "kind": "Readings",
                        "fitted": False, "error": "no batch fit for Readings runs",
                        "verdict": "not determined", "undetermined": "",
                        "verdict_reason": "no batch fit for Readings runs"}
    assert row["param: Maximum field (T)"] == pytest.approx(0.02)  # the header still comes
    run = load_run(runs["HallLoop"])
    run.data = run.data.iloc[:0]
    assert not fit_run(run)["fitted"]
    run = load_run(runs["HallLoop"])
    run.data["Branch"] = 1  # no down branch: a fit failure, reported, not raised
    row = fit_run(run)
    assert not row["fitted"] and row["error"].startswith("fit failed")


def test_the_summary_carries_the_run_header_after_the_quantities(runs):
    good, _ = load_runs(runs.values())
    table = fit_many(good, workers=1)
    hall = table[table["kind"] == "hall_loop"].iloc[0]
    assert hall["param: Maximum field (T)"] == pytest.approx(0.02)
    assert hall["param: Field axis"] == "z"  # no unit: no parentheses
    assert hall["meta: Sample"] == "sim-cofeb-nio-pma"
    switching = table[table["kind"] == "switching_loop"].iloc[0]
    assert switching["param: Bias field (T)"] == 0
    assert switching["param: Stage temperature (K)"] == "off"  # the run left the stage
    assert pd.isna(hall["param: Bias field (T)"])  # a parameter HallLoop does not have
    columns = list(table.columns)
    first_header = min(columns.index(c) for c in columns if c.startswith(("param: ", "meta: ")))
    assert all(c.startswith(("param: ", "meta: ")) for c in columns[first_header:])
    assert columns.index("r_ahe") < first_header


def test_bad_files_are_skipped_and_the_rest_fitted(runs, tmp_path):
    (tmp_path / "garbage.csv").write_text("nothing to see\n")
    text = runs["SwitchingLoop"].read_text()
    (tmp_path / "header.csv").write_text(text.split("#Data:")[0])
    files = [*runs.values(), tmp_path / "garbage.csv", tmp_path / "header.csv"]
    good, skipped = load_runs(files)
    assert {p.name for p, _ in skipped} == {"garbage.csv", "header.csv"}
    table = fit_many(good, workers=1)
    assert len(table) == 3 and table["fitted"].all()


def test_a_run_killed_mid_row_is_fitted_on_its_complete_rows(runs, tmp_path):
    text = runs["SwitchingLoop"].read_text().rstrip("\n")
    (tmp_path / "killed.csv").write_text(text[: text.rfind(",") - 2])
    row = fit_run(load_run(tmp_path / "killed.csv"))
    assert row["fitted"], row["error"]
    assert "cut off" in row["note"]
    assert row["i_c_plus"] == pytest.approx(fit_run(load_run(runs["SwitchingLoop"]))
                                            ["i_c_plus"], rel=0.01)


def test_parallel_equals_serial(runs):
    good, _ = load_runs(runs.values())
    serial = fit_many(good, workers=1)
    parallel = fit_many(good, workers=2)
    pd.testing.assert_frame_equal(serial, parallel)
    assert list(serial["file"]) == [str(r.path) for r in good]


def test_scheduler_without_dask_is_a_clear_error(runs, monkeypatch):
    import sys

    monkeypatch.setitem(sys.modules, "dask.distributed", None)  # as if not installed
    with pytest.raises(RuntimeError, match=r"pip install -e \"\.\[cluster\]\""):
        fit_many([load_run(runs["HallLoop"])], scheduler="tcp://127.0.0.1:1")


def test_cli_fit_writes_one_row_per_run(runs, tmp_path):
    import labspin.cli_analysis  # noqa: F401 - registers `fit`
    from labspin.cli import main

    data_dir = runs["HallLoop"].parent.parent
    out = tmp_path / "summary.csv"
    result = CliRunner().invoke(main, ["fit", str(data_dir), "--out", str(out),
                                       "--workers", "1"])
    assert result.exit_code == 0, result.output
    summary = pd.read_csv(out)
    assert len(summary) == len(find_run_files(data_dir)) == 3
    assert set(summary["kind"]) == {"hall_loop", "switching_loop", "harmonic_hall"}
    assert "R_AHE" in result.output

    query = CliRunner().invoke(main, ["fit", "--query", "procedure=SwitchingLoop",
                                      "--data-dir", str(data_dir), "--workers", "1"])
    assert query.exit_code == 0, query.output
    assert "I_c+" in query.output
    # the folder named with --query is the catalog asked (not the default one), and only
    # its matching runs are fitted
    query = CliRunner().invoke(main, ["fit", str(data_dir), "--query",
                                      "procedure=SwitchingLoop", "--workers", "1",
                                      "--out", str(out)])
    assert query.exit_code == 0, query.output
    assert list(pd.read_csv(out)["kind"]) == ["switching_loop"]
    nothing = CliRunner().invoke(main, ["fit", str(data_dir), "--query", "samples=A1"])
    assert nothing.exit_code != 0 and "no run in the catalog" in nothing.output
    assert "parameter name" in nothing.output

    (tmp_path / "junk").mkdir()
    (tmp_path / "junk" / "garbage.csv").write_text("x\n")
    bad = CliRunner().invoke(main, ["fit", str(tmp_path / "junk")])
    assert bad.exit_code != 0
    assert "garbage.csv" in bad.output.replace("\n", "")  # rich may wrap a long path
    assert "nothing could be fitted" in bad.output


def test_analysis_does_not_import_the_instrument_stack():
    code = ("import sys, labspin.analysis.batch, labspin.analysis.loaders, "
            "labspin.analysis.stages; "
            "bad = [m for m in ('pyvisa', 'PyQt6', 'pymeasure', 'labspin.procedures', "
            "'labspin.station', 'labspin.runs') if m in sys.modules]; print(bad)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip() == "[]"
