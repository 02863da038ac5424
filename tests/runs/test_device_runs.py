"""Your own device end to end: measured on the simulated bench, the switching current
follows the device file, through the API and every command that takes --device."""

import os
import re
import signal
import time
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from labspin import api
from labspin.analysis.batch import fit_run
from labspin.analysis.loaders import load_run
from labspin.cli import main
from labspin.physics import preset
from labspin.physics.devicefile import load_device
from labspin.physics.predictions import critical_current
from labspin.runs import open_catalog
from tests.runs import processes

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
DEVICE = EXAMPLES / "device-cofeb-nio.yaml"
LOOP = {"pulse_width": 1e-3, "readout": "R_xx 2w", "loops": 2, "pulse_steps": 25,
        "max_pulse_current": 12e-3}


def measured_ic(record) -> float:
    assert record.status == "finished", record.error
    fit = fit_run(load_run(record.file))
    assert fit["fitted"]
    ic = (fit["i_c_plus"] - fit["i_c_minus"]) / 2
    assert abs(fit["i_c_plus_stderr"]) < 0.02 * ic
    return ic


@pytest.fixture(scope="module")
def weaker_sink(tmp_path_factory):
    """The example device with a NiO that absorbs 5x less spin current."""
    path = tmp_path_factory.mktemp("devices") / "weak-nio.yaml"
    path.write_text(f"base: {DEVICE}\nname: weak NiO\n"
                    "top: {spin_conductance: 3e14 ohm^-1 m^-2}\n")
    return path


def test_the_measured_switching_current_follows_the_device_file(tmp_path, weaker_sink):
    ics = {}
    with api.open_station(sim=True, device=DEVICE, seed=3) as station:
        ics[DEVICE] = measured_ic(api.run(station, "SwitchingLoop", data_dir=tmp_path,
                                          **LOOP))
    result = CliRunner().invoke(main, [
        "run", "SwitchingLoop", "--sim", "--device", str(weaker_sink), "--seed", "3",
        "--data-dir", str(tmp_path), "--set", "pulse_width=1 ms", "--set",
        "readout=R_xx 2w", "--set", "loops=2", "--set", "pulse_steps=25", "--set",
        "max_pulse_current=12 mA"])
    assert result.exit_code == 0, result.output
    with open_catalog(tmp_path) as catalog:
        record = catalog.query(limit=1)[0]
    assert record.sample == "weak NiO"
    ics[weaker_sink] = measured_ic(record)
    models = {path: critical_current(load_device(path), 1e-3) for path in ics}
    # measured 6.09 and 8.76 mA against the model's 6.07 and 8.68 mA (seed 3)
    for path, ic in ics.items():
        assert ic == pytest.approx(models[path], rel=0.04), path
    assert ics[weaker_sink] / ics[DEVICE] == pytest.approx(
        models[weaker_sink] / models[DEVICE], rel=0.04)
    assert ics[weaker_sink] > 1.3 * ics[DEVICE]  # the file's NiO, not a preset's
    assert critical_current(preset("py-nio"), 1e-3) > 3 * ics[DEVICE]


def test_cli_refuses_bad_device_options_in_one_line(tmp_path):
    runner = CliRunner()
    bad = tmp_path / "bad.yaml"
    bad.write_text("base: py-nio\nferromagnet: {thickness: 3}\n")
    result = runner.invoke(main, ["run", "HallLoop", "--sim", "--device", str(bad),
                                  "--data-dir", str(tmp_path)])
    assert result.exit_code == 2
    assert "ferromagnet.thickness: 3 m is above the largest allowed" in result.output
    assert "did you mean '3 nm'?" in result.output
    both = runner.invoke(main, ["run", "HallLoop", "--sim", "--device", str(DEVICE),
                                "--preset", "py-nio", "--data-dir", str(tmp_path)])
    assert both.exit_code == 2 and "give --preset or --device, not both" in both.output
    hardware = runner.invoke(main, ["run", "HallLoop", "--station",
                                    str(EXAMPLES / "station-probe.yaml"), "--device",
                                    str(DEVICE), "--data-dir", str(tmp_path)])
    assert hardware.exit_code == 1 and "add --sim" in hardware.output
    demo = runner.invoke(main, ["demo", "--device", str(DEVICE)])
    assert demo.exit_code == 2 and "--model-only" in demo.output
    for out in (result, both, hardware, demo):
        assert "Traceback" not in out.output


def test_device_show_template_and_demo_model_only(tmp_path):
    runner = CliRunner()
    shown = runner.invoke(main, ["device", "show", str(DEVICE), "--no-model"],
                          env={"COLUMNS": "200"})
    assert shown.exit_code == 0, shown.output
    assert "CoFeB 3 nm / NiO 8 nm, chip 7" in shown.output
    assert re.search(r"resistivity\s+│ 120 uohm cm\s+│ 0.1 to 1e5 uohm cm", shown.output)
    as_yaml = runner.invoke(main, ["device", "show", str(DEVICE), "--yaml"])
    (tmp_path / "resolved.yaml").write_text(as_yaml.output)
    assert load_device(tmp_path / "resolved.yaml") == load_device(DEVICE)
    template = runner.invoke(main, ["device", "template", "--base", "pt-py"])
    assert "# [nm] film thickness; above 0, at most 1000 nm" in template.output
    assert load_device(yaml.load(template.output, Loader=yaml.CSafeLoader)) == preset("pt-py")
    out = tmp_path / "mine.yaml"
    written = runner.invoke(main, ["device", "template", "--out", str(out)])
    assert written.exit_code == 0 and load_device(out) == preset("py-nio")
    again = runner.invoke(main, ["device", "template", "--out", str(out)])
    assert again.exit_code == 1 and "exists" in again.output
    wrong = runner.invoke(main, ["device", "show", "py-nioo"])
    assert wrong.exit_code == 1 and "did you mean py-nio?" in wrong.output
    model = runner.invoke(main, ["demo", "--model-only", "--device", str(DEVICE)],
                          env={"COLUMNS": "250"})
    assert model.exit_code == 0, model.output
    prediction = critical_current(load_device(DEVICE), 1e-3)
    area = 3e-6 * 3e-9
    assert "CoFeB 3 nm / NiO 8 nm, chip 7" in model.output
    assert f"{prediction / area:.2e}" in model.output


def test_pyvisa_opens_a_device_file_as_a_default_probe_station():
    import pyvisa

    rm = pyvisa.ResourceManager(f"{DEVICE}@labspin")
    assert rm.visalib.bench.device.params == load_device(DEVICE)
    meter = rm.open_resource("GPIB0::7::INSTR", read_termination="\r")
    assert meter.query("*IDN?").startswith("KEITHLEY INSTRUMENTS INC.,MODEL 2182A")


def test_sim_serve_serves_the_device_of_a_device_file(tmp_path, monkeypatch):
    monkeypatch.setenv("COLUMNS", "200")
    out = tmp_path / "serve.txt"
    proc = processes.start(["sim", "serve", "--device", str(DEVICE), "--port-base", "0"], out)
    try:
        deadline = time.monotonic() + 120
        while not re.search(r"Serving|Error", proc.output()) and proc.poll() is None:
            assert time.monotonic() < deadline, proc.output()
            time.sleep(0.02)
    finally:
        if proc.poll() is None:
            os.kill(proc.pid, signal.SIGINT)
        code = proc.wait(timeout=20)
    text = proc.output()
    assert "Simulated bench (CoFeB 3 nm / NiO 8 nm, chip 7, seed 0)" in text, text
    assert code == 0 and "Stopped." in text, text


def test_gui_hands_the_device_file_to_the_station_it_opens(monkeypatch, tmp_path):
    import labspin.gui.app

    seen = {}

    def fake_gui(**kwargs):
        from labspin.station import Station

        with Station.open(kwargs["station_file"], sim=kwargs["sim"],
                          preset=kwargs["preset"], seed=kwargs["seed"]) as station:
            seen["device"] = station.bench.device.params
        return 0

    monkeypatch.setattr(labspin.gui.app, "run_gui", fake_gui)
    result = CliRunner().invoke(main, ["gui", "--sim", "--device", str(DEVICE),
                                       "--data-dir", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert seen["device"] == load_device(DEVICE)
