"""The issue's acceptance checks again, but over raw TCP sockets with pyvisa-py, the way
any VISA client reaches ``labspin sim serve``."""

import math
import os
import re
import signal
import subprocess
import sys
import time

import numpy as np
import pytest
import pyvisa
from pymeasure.instruments.keithley import Keithley2182, Keithley6221
from pymeasure.instruments.kepco import KepcoBOP3612
from pymeasure.instruments.lakeshore import LakeShore425
from pymeasure.instruments.srs import SR830

from labspin.drivers.keithley6221 import Keithley6221Pulse
from labspin.physics import preset
from labspin.physics.predictions import critical_current
from labspin.simulated_instruments.layout import bench_from_preset
from labspin.simulated_instruments.server import BenchServer


@pytest.fixture
def served():
    """The default py-nio bench on free ports; opens drivers over pyvisa-py sockets.
    Seed 2 gives both contact pairs a thermoelectric offset of about 2 uV."""
    bench = bench_from_preset("py-nio", seed=2)
    server = BenchServer(bench)
    server.start()
    opened = []

    def open_(name, cls, **kwargs):
        item = next(s for s in server.served if s.name == name)
        model = bench.instruments[item.resource]
        if cls not in (KepcoBOP3612,):  # drivers that do not set their own termination
            kwargs.setdefault("read_termination", model.read_termination)
        inst = cls(item.visa_address, visa_library="@py", timeout=2000, **kwargs)
        opened.append(inst)
        return inst

    yield bench, open_
    for inst in opened:
        inst.adapter.close()
    server.stop()


def test_delta_mode_cancels_the_offset_a_dc_reading_shows(served):
    bench, open_ = served
    source, meter = open_("source", Keithley6221), open_("voltmeter", Keithley2182)
    current = 1e-3  # channel 1 of the 2182A is wired to the Hall pair, V_xy
    v_plus, v_minus = bench.device.voltages(current)[1], bench.device.voltages(-current)[1]
    source.source_current = current
    source.enable_source()
    dc_error = meter.voltage - v_plus
    source.disable_source()
    source.delta_high_source = current
    source.delta_cycles = 6
    source.delta_arm()
    source.delta_start()
    readings = np.array(source.delta_values[0::2])
    source.delta_abort()
    delta_error = readings.mean() - (v_plus - v_minus) / 2
    assert abs(dc_error) > 1e-6
    assert abs(delta_error) < abs(dc_error) / 50


def usmr_signal(bench, source, lockin, amplitude, tau=0.1):
    """R_xx^2w of the paper's read-out: a sine through the bar, the lock-in at 2f, read
    after five time constants of (bench) time. Returns V_2w in the bench convention."""
    source.waveform_function = "sine"
    source.waveform_amplitude = amplitude
    source.waveform_frequency = 1333.0
    source.waveform_duration_set_infinity()
    source.waveform_arm()
    source.waveform_start()
    lockin.reference_source = "External"  # locked to the 6221's sine
    lockin.harmonic = 2
    lockin.time_constant = tau
    lockin.sensitivity = 1e-4
    assert source.ask("*OPC?").strip() == "1"  # queries: both servers handled the writes
    assert lockin.harmonic == 2
    bench.advance(5 * tau)  # what a procedure's station.sleep does on the bench
    reading = lockin.y
    source.waveform_abort()
    return -math.sqrt(2) * reading  # Y = -V_2w / sqrt 2 at PHAS 0 (sr830.py)


def test_pulse_above_threshold_reverses_the_2w_read_signal_and_below_does_not(served):
    bench, open_ = served
    pulser = open_("source", Keithley6221Pulse)
    lockin = open_("lockin_xx", SR830)
    params = preset("py-nio")
    i_read = 1.3e11 * params.hall_bar.width * params.ferromagnet.thickness  # the paper's J_AC
    i_c = critical_current(params, 1e-3)
    pulser.source_compliance = 20
    before = usmr_signal(bench, pulser, lockin, i_read)
    assert before == pytest.approx(bench.device.harmonic_voltages(i_read).xx_2w, rel=0.1)
    pulser.pulse(0.5 * i_c, 1e-3)
    assert usmr_signal(bench, pulser, lockin, i_read) == pytest.approx(before, rel=0.05)
    pulser.pulse(1.3 * i_c, 1e-3)
    after = usmr_signal(bench, pulser, lockin, i_read)
    assert bench.device.mean_state == -1.0
    assert after == pytest.approx(-before, rel=0.1)


def test_gaussmeter_reads_the_field_the_supply_current_makes(served):
    bench, open_ = served
    supply, probe = open_("magnet_y", KepcoBOP3612), open_("gaussmeter_y", LakeShore425)
    supply.operating_mode = "CURR"
    supply.voltage_setpoint = 20
    supply.current_setpoint = 2.0
    supply.output_enabled = True
    assert supply.output_enabled  # a query: the server has handled the writes before it
    bench.advance(2.0)  # let the coil slew
    probe.unit = "T"
    coil = bench.coils["y"]
    assert probe.field == pytest.approx(coil.coil_constant * 2.0 + coil.remanence, abs=2e-4)
    supply.current_setpoint = 0.0
    assert supply.current_setpoint == 0.0
    bench.advance(2.0)
    supply.output_enabled = False


def test_labspin_sim_serve_prints_its_ports_and_stops_cleanly_on_ctrl_c():
    """Also: each port's read termination is printed, a raw client that uses it gets the
    2182A's first reply, and bench time follows the wall (a coil ramps while the client
    waits 0.2 s of real time)."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "labspin", "sim", "serve", "--preset", "py-alox",
         "--port-base", "0"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        env={**os.environ, "COLUMNS": "200"})
    lines = []
    try:
        for line in proc.stdout:
            lines.append(line)
            if "Serving" in line:
                break
        text = "".join(lines)
        ports = {m.group(1): int(m.group(2)) for m in re.finditer(
            r"(\w+)\W+(\d+)\W+TCPIP::127\.0\.0\.1::\d+::SOCKET", text)}
        assert len(ports) == 14, text  # DEFAULT_INSTRUMENTS, the RF generator included
        terminations = {m.group(1): m.group(2).encode().decode("unicode_escape")
                        for m in re.finditer(r"(\w+)\W+\d+\W+TCPIP::\S+::SOCKET[\s\u2502|]+"
                                             r"((?:\\[rn])+)\s", text)}
        assert terminations["voltmeter"] == "\r"
        assert terminations["magnet_z"] == terminations["gaussmeter_z"] == "\n"
        assert terminations["rotator"] == terminations["temperature"] == "\r\n"
        meter = Keithley2182(f"TCPIP::127.0.0.1::{ports['voltmeter']}::SOCKET",
                             visa_library="@py", timeout=2000)
        assert meter.id.startswith("KEITHLEY")
        meter.adapter.close()
        raw = pyvisa.ResourceManager("@py").open_resource(
            f"TCPIP::127.0.0.1::{ports['voltmeter']}::SOCKET",
            read_termination=terminations["voltmeter"], timeout=2000)
        assert raw.query("*IDN?").startswith("KEITHLEY INSTRUMENTS INC.,MODEL 2182A")
        raw.close()
        supply = KepcoBOP3612(f"TCPIP::127.0.0.1::{ports['magnet_z']}::SOCKET",
                              visa_library="@py", timeout=2000)
        probe = LakeShore425(f"TCPIP::127.0.0.1::{ports['gaussmeter_z']}::SOCKET",
                             visa_library="@py", timeout=2000,
                             read_termination=terminations["gaussmeter_z"])
        probe.unit = "T"
        supply.operating_mode = "CURR"
        supply.voltage_setpoint = 20
        supply.current_setpoint = 1.0
        supply.output_enabled = True
        assert supply.output_enabled  # a query: the writes are handled
        time.sleep(0.2)  # the coil needs about 0.03 s
        assert supply.current == pytest.approx(1.0)
        assert probe.field == pytest.approx(0.03, abs=1e-3)  # 0.03 T/A (layout.py)
        supply.output_enabled = False
        supply.adapter.close()
        probe.adapter.close()
    finally:
        proc.send_signal(signal.SIGINT)
        out, _ = proc.communicate(timeout=20)
    assert proc.returncode == 0
    assert "Stopped." in out
