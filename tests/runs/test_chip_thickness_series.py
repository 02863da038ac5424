"""End to end: one chip, three Hall bars of NiO 1.5, 3 and 8 nm on the simulated bench, one
queue sweeping ``sample`` through harmonic-Hall angle scans, then ``labspin fit`` with no
option: each run's header carries its bar and calibration, the fit takes xi_DL from it,
and the thickness trend reads the AFMI thickness from the headers.

Known answers: xi_DL of each bar's device from the model (``spin_transport``), the
calibration values R_AHE, M_eff and M_s the model's own (the "separately measured"
calibration a user would write down), each with a 1-2 % uncertainty."""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd
import pytest
import yaml
from click.testing import CliRunner

from labspin.cli import main
from labspin.physics import preset, spin_transport
from labspin.physics.properties import properties_at

pytestmark = pytest.mark.filterwarnings("ignore::FutureWarning")  # pymeasure's SCPI notice

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
THICKNESSES = {"T1": 1.5e-9, "T2": 3e-9, "T3": 8e-9}


def truth(thickness: float) -> float:
    params = preset("py-nio")
    return float(spin_transport(params.with_(top=params.top.with_(thickness=thickness)),
                                300.0).xi_dl)


@pytest.fixture(scope="module")
def night(tmp_path_factory):
    folder = tmp_path_factory.mktemp("chip")
    params = preset("py-nio")
    props = properties_at(params, 300.0)
    station = yaml.load((EXAMPLES / "station-sim.yaml").read_text(), Loader=yaml.CSafeLoader)
    station["sample"] = {
        "stack": "SiO2 / Py 5 nm / NiO", "width": "5 um", "length": "20 um",
        "fm_thickness": "5 nm",
        "calibration": {  # measured on a sister bar: the same for the three
            "r_ahe": f"{params.readout.anomalous_hall:.6g} ± "
                     f"{0.01 * params.readout.anomalous_hall:.3g} ohm",
            "m_eff": f"{props.demag_field:.6g} ± 0.02 T",
            "m_s": {"value": f"{props.saturation_magnetization / 1e3:.6g} kA/m",
                    "stderr": "16 kA/m"}}}
    station["samples"] = [{"id": k, "afmi_thickness": f"{t * 1e9:g} nm"}
                          for k, t in THICKNESSES.items()]
    (folder / "chip.yaml").write_text(yaml.safe_dump(station, sort_keys=False))
    queue = {"name": "NiO thickness series", "station": "chip.yaml", "steps": [{
        "procedure": "HarmonicHall",
        "parameters": {"mode": "angle scan", "field_magnitudes": "0.3, 0.4, 0.5",
                       "angle_step": 30, "current": "7 mA", "time_constant": 10,
                       "sensitivity": 2e-6, "sensitivity_1w": 5e-3},
        "sweep": [{"sample": {"values": list(THICKNESSES)}}]}]}
    (folder / "queue.yaml").write_text(yaml.safe_dump(queue, sort_keys=False))
    data = str(folder / "data")
    cli = CliRunner()
    result = cli.invoke(main, ["queue", "run", str(folder / "queue.yaml"), "--data-dir", data])
    assert result.exit_code == 0, result.output
    return folder, data, cli


def test_each_run_carries_its_bar_and_the_catalog_has_them(night):
    _, data, cli = night
    from labspin.analysis.loaders import load_catalog_query, load_run

    records = load_catalog_query(data, procedure="HarmonicHall")
    assert list(records["sample"]) == list(THICKNESSES)
    for _, rec in records.iterrows():
        run = load_run(rec["path"])
        assert run.metadata["Sample"] == rec["sample"]
        assert run.metadata["AFMI thickness"] == pytest.approx(THICKNESSES[rec["sample"]])
        assert run.units["Calibration R_AHE"] == "ohm"
        assert run.metadata["Calibration M_s stderr"] == pytest.approx(16e3)
        assert f"NiO {THICKNESSES[rec['sample']] * 1e9:g} nm" in run.metadata["Bench"]
    listed = cli.invoke(main, ["runs", "--sample", "T2", "--data-dir", data])
    assert listed.exit_code == 0 and "T2" in listed.output and "T3" not in listed.output


def test_fit_gives_each_bars_xi_dl_from_its_header_without_options(night):
    folder, data, cli = night
    out = folder / "summary.csv"
    result = cli.invoke(main, ["fit", "--query", "procedure=HarmonicHall", "--data-dir", data,
                               "--out", str(out), "--workers", "1"])
    assert result.exit_code == 0, result.output
    assert "ξ_DL = " in result.output  # printed in the console table, not only in --out
    summary = pd.read_csv(out)
    assert list(summary["meta: Sample"]) == list(THICKNESSES)
    for _, row in summary.iterrows():
        expected = truth(THICKNESSES[row["meta: Sample"]])
        assert row["verdict"] == "ok", row["verdict_reason"]
        assert "from the sample's calibration in the run header: R_AHE, M_eff, M_s" \
            in row["note"]
        # the calibration's 1-2 % are in the sigma, and the value is the bar's own
        assert 0.01 * abs(expected) < row["xi_dl_stderr"] < 0.1 * abs(expected)
        assert row["xi_dl"] == pytest.approx(expected, abs=3 * row["xi_dl_stderr"])
    # the thinner bar's smaller torque is resolved against the thickest's
    xi = dict(zip(summary["meta: Sample"], summary["xi_dl"], strict=True))
    err = dict(zip(summary["meta: Sample"], summary["xi_dl_stderr"], strict=True))
    assert abs(xi["T1"]) < abs(xi["T3"])
    # an option overrides the header: twice the M_s, twice xi_DL (it goes as M_s t_F B_DL / J)
    one = cli.invoke(main, ["fit", "--query", "sample=T3", "--data-dir", data, "--workers", "1",
                            "--ms", "1.6e6", "--out", str(folder / "t3.csv")])
    assert one.exit_code == 0, one.output
    t3 = pd.read_csv(folder / "t3.csv").iloc[0]
    assert len(pd.read_csv(folder / "t3.csv")) == 1 and t3["meta: Sample"] == "T3"
    assert t3["xi_dl"] == pytest.approx(2 * xi["T3"], rel=0.05)
    assert "M_s" not in t3["note"].split("run header: ")[-1].split(";")[0]
    assert math.isfinite(err["T3"])


def test_the_thickness_trend_reads_the_afmi_thickness_from_the_headers(night):
    folder, data, cli = night
    result = cli.invoke(main, ["fit", "--query", "procedure=HarmonicHall", "--data-dir", data,
                               "--workers", "1", "--series", "AFMI thickness", "--quantity",
                               "xi_dl", "--trend", "thickness",
                               "--series-out", str(folder / "series.csv")])
    assert result.exit_code == 0, result.output
    assert "thickness trend" in result.output and "q_inf" in result.output
    table = pd.read_csv(folder / "series.csv")
    assert list(table["AFMI thickness (m)"]) == pytest.approx(sorted(THICKNESSES.values()))
    for _, row in table.iterrows():
        assert row["xi_dl"] == pytest.approx(truth(row["AFMI thickness (m)"]),
                                             abs=3 * row["xi_dl_stderr"])


def test_the_report_carries_each_bar_and_its_xi_dl(night):
    folder, data, cli = night
    out = folder / "report"
    result = cli.invoke(main, ["report", str(Path(data)), "--out", str(out), "--workers", "1"])
    assert result.exit_code == 0, result.output
    table = (out / "summary.md").read_text(encoding="utf-8")
    for sample in THICKNESSES:
        assert sample in table
    assert table.count("ξ_DL = ") == len(THICKNESSES)
