"""Kepco BOP, LakeShore 425, ESP300 and LakeShore 331 models: exact exchanges, and the
unmodified pymeasure drivers through pyvisa on one bench."""

import itertools
import math
import re

import numpy as np
import pytest
from pymeasure.instruments.kepco import KepcoBOP3612
from pymeasure.instruments.lakeshore import LakeShore331, LakeShore425
from pymeasure.instruments.newport import ESP300
from pymeasure.instruments.newport.esp300 import AxisError, GeneralError

from labspin.simulated_instruments.bench import Bench
from labspin.simulated_instruments.instruments.esp300 import ESP300Model
from labspin.simulated_instruments.instruments.kepco_bop import KepcoBOPModel
from labspin.simulated_instruments.instruments.lakeshore331 import LakeShore331Model
from labspin.simulated_instruments.instruments.lakeshore425 import LakeShore425Model
from labspin.simulated_instruments.layout import InstrumentSpec, populate
from labspin.simulated_instruments.visa import register_bench, unregister_bench

pytestmark = [
    pytest.mark.filterwarnings("ignore:It is not known whether this device:FutureWarning"),
    pytest.mark.filterwarnings("ignore:LakeShore331 is deprecated:DeprecationWarning"),
]

SPECS = [
    InstrumentSpec("magnet_y", "KepcoBOP3612", "GPIB0::2::INSTR", {"axis": "y"}),
    InstrumentSpec("gaussmeter_y", "LakeShore425", "ASRL2::INSTR", {"axis": "y"}),
    InstrumentSpec("rotator", "ESP300", "GPIB0::20::INSTR"),
    InstrumentSpec("temperature", "LakeShore331", "GPIB0::15::INSTR"),
]
_names = itertools.count()
NUMBER = re.compile(r"[+-]?\d+\.\d+(E[+-]\d+)?")


@pytest.fixture
def bench():
    """A seeded py-nio bench with a y magnet, its gaussmeter, the rotator and the stage."""
    return populate(Bench("py-nio", seed=21), SPECS)


@pytest.fixture
def library(bench):
    name = f"magnets-and-stage-{next(_names)}"
    register_bench(name, bench)
    yield f"{name}@labspin"
    unregister_bench(name)


@pytest.fixture
def drivers(bench, library):
    """The four unmodified pymeasure drivers on the bench."""
    return (KepcoBOP3612("GPIB0::2::INSTR", visa_library=library),
            LakeShore425("ASRL2::INSTR", visa_library=library),
            ESP300("GPIB0::20::INSTR", visa_library=library),
            LakeShore331("GPIB0::15::INSTR", visa_library=library))


def model(bench, name):
    return next(m for m in bench.instruments.values() if m.name == name)


def switch_on(supply, current):
    supply.operating_mode = "CURR"
    supply.voltage_setpoint = 36
    supply.current_setpoint = current
    supply.output_enabled = True


# -- every model: common commands and unknown commands --------------------------------
def test_layout_puts_each_model_on_its_resource_and_axis(bench):
    supply, probe = bench.instruments["GPIB0::2::INSTR"], bench.instruments["ASRL2::INSTR"]
    assert isinstance(supply, KepcoBOPModel) and supply.coil is bench.coils["y"]
    assert isinstance(probe, LakeShore425Model) and probe.axis == "y"
    assert isinstance(bench.instruments["GPIB0::20::INSTR"], ESP300Model)
    assert isinstance(bench.instruments["GPIB0::15::INSTR"], LakeShore331Model)



@pytest.mark.parametrize("name, idn", [("magnet_y", "KEPCO,BOP 36-12"),
                                       ("gaussmeter_y", "LSCI,MODEL425"),
                                       ("rotator", "Newport Corporation,ESP300"),
                                       ("temperature", "LSCI,MODEL331")])
def test_every_model_answers_the_common_commands(bench, name, idn):
    m = model(bench, name)
    assert m.process("*IDN?").startswith(idn)
    assert m.process("*RST") is None
    assert m.process("*CLS") is None
    assert m.process("SYST:ERR?") == '0,"No error"'


@pytest.mark.parametrize("name, code", [("magnet_y", -113), ("gaussmeter_y", -113),
                                        ("rotator", 6), ("temperature", -113)])
def test_unknown_commands_land_in_the_error_queue_without_crashing(bench, name, code):
    m = model(bench, name)
    for garbage in ("FOO:BAR 1", "BLAH?", "\x00\x7f", "1XX?"):
        assert m.process(garbage) is None
    assert m.process("SYST:ERR?").startswith(f"{code},")
    assert m.process("*IDN?")  # still answering


# -- Kepco BOP --------------------------------------------------------------------------
def test_kepco_current_mode_programs_the_coil(bench):
    bop, coil = model(bench, "magnet_y"), bench.coils["y"]
    for command in ("FUNC:MODE CURR", "VOLT 30", "CURR 4.5", "OUTP ON"):
        assert bop.process(command) is None
    assert (coil.setpoint, coil.voltage_limit, coil.output_enabled) == (4.5, 30.0, True)
    assert bop.process("CURR?") == "4.50000E+00"
    assert bop.process("VOLTage?") == "3.00000E+01"
    assert bop.process("FUNCtion:MODE?") == "1"
    assert bop.process("OUTPut?") == "1"
    assert bop.process("SYST:ERR?") == '0,"No error"'


def test_kepco_reset_switches_off_into_voltage_mode(bench):
    bop, coil = model(bench, "magnet_y"), bench.coils["y"]
    bop.process("FUNC:MODE CURR;VOLT 30;CURR 2;OUTP 1")
    bop.process("*RST")
    assert bop.process("OUTP?;FUNC:MODE?;CURR?;VOLT?") == "0;0;0.00000E+00;0.00000E+00"
    assert not coil.output_enabled


def test_kepco_out_of_range_setpoint_is_refused_not_clamped(bench):
    bop, coil = model(bench, "magnet_y"), bench.coils["y"]
    bop.process("FUNC:MODE CURR;VOLT 30;CURR 3")
    assert bop.process("CURR 12.5") is None
    assert bop.process("CURR -40") is None
    assert bop.process("VOLT 37") is None
    assert coil.setpoint == 3.0 and coil.voltage_limit == 30.0
    assert bop.process("CURR?") == "3.00000E+00"
    assert [bop.process("SYST:ERR?") for _ in range(4)] == [
        '-222,"Data out of range"'] * 3 + ['0,"No error"']
    bop.process("FUNC:MODE SIDEWAYS")
    assert bop.process("SYST:ERR?") == '-224,"Illegal parameter value"'


def test_kepco_readback_lags_a_step_by_the_inductance(bench):
    bop, coil = model(bench, "magnet_y"), bench.coils["y"]
    bop.process("FUNC:MODE CURR;VOLT 36;CURR 10;OUTP 1")
    assert bop.process("MEAS:CURR?") == "0.00000E+00"
    bench.advance(0.05)
    assert 0 < float(bop.process("MEAS:CURR?")) < 10
    bench.advance(2.0)
    assert bop.process("MEAS:CURR?") == "1.00000E+01"
    assert float(bop.process("MEAS:VOLT?")) == pytest.approx(10 * coil.resistance)


def test_kepco_voltage_mode_drives_the_coil_through_its_resistance(bench):
    bop, coil = model(bench, "magnet_y"), bench.coils["y"]
    bop.process("FUNC:MODE VOLT;CURR 10;VOLT 4;OUTP 1")
    bench.advance(0.25)  # one L/R time constant (the bench integrates in 50 ms steps)
    assert coil.current == pytest.approx(2.0 * (1 - math.exp(-1)), rel=0.08)
    bench.advance(20)
    assert coil.current == pytest.approx(4 / coil.resistance)


# -- LakeShore 425 --------------------------------------------------------------------
def test_lakeshore425_units_ranges_and_overload(bench):
    gm = model(bench, "gaussmeter_y")
    bench.coils["y"].output_enabled, bench.coils["y"].setpoint = True, 5.0
    bench.advance(1)  # 0.1 T along y
    assert gm.process("UNIT?;RANGE?;AUTO?;RDGMODE?") == "1;4;0;1,0,1"
    gauss = gm.process("RDGFIELD?")
    assert NUMBER.fullmatch(gauss) and float(gauss) == pytest.approx(1002, abs=2)  # + remanence
    gm.process("UNIT 2")
    assert float(gm.process("RDGFIELD?")) == pytest.approx(0.1002, abs=2e-4)
    gm.process("UNIT 4")
    assert float(gm.process("RDGFIELD?")) == pytest.approx(0.1002 / (4e-7 * math.pi), rel=2e-3)
    gm.process("RANGE 2")  # 350 G full scale: overload
    assert gm.process("RDGFIELD?") == "+9.99990E+99"
    gm.process("AUTO")
    gm.process("UNIT 2")
    assert float(gm.process("RDGFIELD?")) == pytest.approx(0.1002, abs=2e-4)
    assert gm.process("RANGE?;AUTO?") == "3;1"


def test_lakeshore425_zero_probe_cancels_its_offset(bench):
    gm = model(bench, "gaussmeter_y")
    gm.process("UNIT 2")
    before = np.mean([float(gm.process("RDGFIELD?")) for _ in range(200)])
    assert before == pytest.approx(gm.probe_offset, abs=3e-6)
    gm.process("ZPROBE")
    after = np.mean([float(gm.process("RDGFIELD?")) for _ in range(200)])
    assert abs(after) < 3e-6
    readings = [float(gm.process("RDGFIELD?")) for _ in range(400)]
    assert np.std(readings) == pytest.approx(1e-5, rel=0.15)


def test_lakeshore425_reads_only_its_own_axis_of_the_lab_field(bench):
    gm = model(bench, "gaussmeter_y")
    gm.process("UNIT 2;ZPROBE")
    bench.coils["x"].output_enabled, bench.coils["x"].setpoint = True, 5.0
    bench.rotator.target = 90.0
    bench.advance(10)
    assert abs(float(gm.process("RDGFIELD?"))) < 1e-4


def test_lakeshore425_ac_mode_reads_no_dc_field(bench):
    gm = model(bench, "gaussmeter_y")
    bench.coils["y"].output_enabled, bench.coils["y"].setpoint = True, 5.0
    bench.advance(1)
    gm.process("UNIT 2;RDGMODE 2,1,1")
    assert gm.process("RDGMODE?") == "2,1,1"
    assert abs(float(gm.process("RDGFIELD?"))) < 1e-4
    gm.process("RANGE 9;RDGMODE 3,0,1")
    assert gm.process("RANGE?;RDGMODE?") == "4;2,1,1"
    assert gm.process("SYST:ERR?;SYST:ERR?") == ";".join(['-222,"Data out of range"'] * 2)


# -- ESP300 -----------------------------------------------------------------------------
def test_esp300_move_progresses_only_as_bench_time_passes(bench):
    esp = model(bench, "rotator")
    assert esp.process("1SN?;1MO?;1TP;1MD?") == "7;1;0.00000;1"
    assert esp.process("1PA45") is None
    assert bench.rotator.target == 45.0
    assert esp.process("1MD?;1TP;1DP?") == "0;0.00000;45.00000"
    bench.advance(2.0)  # 10 deg/s
    assert esp.process("1TP;1TV?") == "20.00000;10.00000"
    bench.advance(10.0)
    assert esp.process("1TP;1MD?;TE?") == "45.00000;1;0"


def test_esp300_velocity_relative_moves_home_and_units(bench):
    esp = model(bench, "rotator")
    esp.process("1VA5;1PR-10")
    assert esp.process("1VA?;1PA?") == "5.00000;-10.00000"
    esp.process("1WS")  # the controller holds until the move ends: 2 s of bench time
    assert bench.now() == pytest.approx(2.0, abs=1e-3)
    assert esp.process("1TP") == "-10.00000"
    esp.process("1DH")  # call this place zero
    assert esp.process("1TP") == "0.00000" and bench.rotator.angle == pytest.approx(-10)
    esp.process("1SN9")  # radians
    assert esp.process("1PA?") == "0.00000"
    esp.process("1SN7;1OR1;1WS")
    assert bench.rotator.angle == pytest.approx(0.0) and esp.process("1TP") == "0.00000"


def test_esp300_errors_use_its_own_codes(bench):
    esp = model(bench, "rotator")
    esp.process("1VA50")  # above VU
    esp.process("1PA400")  # beyond SR
    esp.process("1PA-400")  # beyond SL
    esp.process("2PA10")  # no stage on axis 2
    esp.process("7TP")
    esp.process("1PA")
    esp.process("1MF;1PA10")
    assert [esp.process("TE?") for _ in range(8)] == [
        "110", "106", "107", "208", "9", "38", "113", "0"]
    assert bench.rotator.target == 0.0 and bench.rotator.velocity == 10.0
    esp.process("1PAxyz")
    assert esp.process("TB?").startswith("7, 0, PARAMETER OUT OF RANGE")


# -- LakeShore 331 ----------------------------------------------------------------------
def test_lakeshore331_setpoint_range_and_readings(bench):
    ls, stage = model(bench, "temperature"), bench.stage
    reading = ls.process("KRDG? A")
    assert re.fullmatch(r"\+\d+\.\d{3}", reading)
    assert float(reading) == pytest.approx(stage.temperature, abs=0.01)
    assert float(ls.process("CRDG? A")) == pytest.approx(stage.temperature - 273.15, abs=0.01)
    assert ls.process("KRDG? B") == "+0.000"
    ls.process("SETP 1,310.500000;RANGE 1,2;MOUT 1,12.5")
    assert ls.process("SETP? 1;RANGE? 1;MOUT? 1") == "+310.500;2;+12.50"
    assert stage.setpoint == 310.5 and stage.heater_on
    assert 0 < float(ls.process("HTR? 1")) <= 100
    ls.process("RANGE 0")  # the 331's own loop-1 form
    assert ls.process("RANGE?;HTR?") == "0;+000.0" and not stage.heater_on
    ls.process("RANGE 1,3;*RST")
    assert not stage.heater_on and ls.process("RANGE? 1") == "0"


def test_lakeshore331_refuses_bad_setpoints_and_inputs(bench):
    ls, stage = model(bench, "temperature"), bench.stage
    before = stage.setpoint
    for bad in ("SETP 1,900", "SETP 1,-5", "RANGE 1,4", "RANGE 2,3", "KRDG? C", "SETP 3,10"):
        assert ls.process(bad) is None
    assert stage.setpoint == before and stage.heater_on
    assert [ls.process("SYST:ERR?")[:4] for _ in range(7)] == ["-222"] * 6 + ['0,"N']


# -- through pyvisa with the unmodified pymeasure drivers -------------------------------
def test_gaussmeter_reads_the_field_the_supply_current_makes(bench, drivers):
    supply, gaussmeter, _, _ = drivers
    coil = bench.coils["y"]
    gaussmeter.unit = "T"
    gaussmeter.zero_probe()  # at zero field: cancels the probe offset
    switch_on(supply, 5.0)
    bench.advance(1.0)
    assert supply.current == pytest.approx(5.0)
    field = np.mean([gaussmeter.field for _ in range(10)])
    assert field == pytest.approx(coil.coil_constant * supply.current,
                                  abs=coil.remanence + 2e-5)
    assert field == pytest.approx(bench.lab_field()[1], abs=2e-5)
    assert supply.check_errors() == []


def test_ramp_is_limited_by_the_coil_inductance(bench, drivers):
    supply, gaussmeter, _, _ = drivers
    gaussmeter.unit = "T"
    switch_on(supply, 0.0)
    supply.current_setpoint = 8.0
    assert supply.current == 0.0  # right after the step: the old current
    assert supply.current_setpoint == 8.0
    bench.advance(0.05)
    partial = supply.current
    assert 0.5 < partial < 8.0
    assert gaussmeter.field < 0.02 * 8.0 - 0.01
    bench.advance(2.0)
    assert supply.current == pytest.approx(8.0)
    assert gaussmeter.field == pytest.approx(0.16, abs=5e-4)


def test_rotator_turns_the_sample_frame_field(bench, drivers):
    supply, gaussmeter, esp, _ = drivers
    gaussmeter.unit = "T"
    switch_on(supply, 5.0)  # 0.1 T along lab y
    bench.advance(1.0)
    assert bench.sample_field()[:2] == pytest.approx([0.0, 0.1002], abs=1e-6)
    esp.x.position = 90
    assert not esp.x.motion_done and esp.x.position == 0.0
    bench.advance(4.5)  # halfway at 10 deg/s
    assert esp.x.position == pytest.approx(45.0)
    assert bench.sample_field()[:2] == pytest.approx([0.0709, 0.0709], abs=1e-4)
    esp.x.wait_for_stop()  # WS lets the rest of the move pass on the bench
    assert esp.x.motion_done and esp.x.position == pytest.approx(90.0)
    assert bench.now() == pytest.approx(1.0 + 9.0, abs=1e-3)
    assert bench.sample_field()[:2] == pytest.approx([0.1002, 0.0], abs=1e-6)
    assert gaussmeter.field == pytest.approx(0.1002, abs=1e-4)  # the probe did not turn


def test_stage_temperature_approaches_the_setpoint_with_the_heater_on(bench, drivers):
    *_, controller = drivers
    controller.output_1.range = "off"
    controller.output_1.setpoint = 320
    bench.advance(60)
    assert controller.input_A.kelvin == pytest.approx(300.0, abs=0.05)  # heater off
    controller.output_1.range = "medium"
    readings = []
    for _ in range(6):
        bench.advance(30)
        readings.append(controller.input_A.kelvin)
    assert all(a < b for a, b in itertools.pairwise(readings))
    assert readings[0] == pytest.approx(320 - 20 * math.exp(-1), abs=0.05)
    assert readings[-1] == pytest.approx(320, abs=0.1)
    assert controller.output_1.setpoint == 320 and controller.output_1.range == "medium"
    assert controller.check_errors() == []


def test_out_of_range_setpoints_land_in_the_error_queue_and_change_nothing(bench, drivers):
    supply, gaussmeter, esp, controller = drivers
    switch_on(supply, 2.0)
    supply.write("CURR 20")  # the pymeasure property would truncate to 12 A first
    assert supply.current_setpoint == 2.0 and bench.coils["y"].setpoint == 2.0
    assert [e[0] for e in supply.check_errors()] == [-222.0]
    gaussmeter.write("RANGE 5")
    assert gaussmeter.range == 35000 and gaussmeter.ask("SYST:ERR?").startswith("-222")
    esp.x.position = 500
    assert bench.rotator.target == 0.0
    assert [str(e) for e in esp.errors] == [str(AxisError(106))]
    controller.write("SETP 1,1000")
    assert controller.output_1.setpoint == pytest.approx(300.0)
    assert [e[0] for e in controller.check_errors()] == [-222.0]


def test_unknown_commands_do_not_crash_the_drivers_session(bench, drivers):
    supply, gaussmeter, esp, controller = drivers
    for instrument in drivers:
        instrument.write("NONSENSE:COMMAND 42")
    assert supply.id.startswith("KEPCO")
    assert gaussmeter.ask("*IDN?").startswith("LSCI,MODEL425")
    assert [str(e) for e in esp.errors] == [str(GeneralError(6))]
    assert controller.id.startswith("LSCI,MODEL331")
    assert supply.next_error[0] == -113


def test_esp300_enable_and_shutdown_of_the_unmodified_driver(bench, drivers):
    _, _, esp, _ = drivers
    esp.disable()
    assert not bench.rotator.motor_on
    esp.enable()  # axes 2 and 3 have no stage: the controller says so
    assert bench.rotator.motor_on
    assert sorted(str(e) for e in esp.errors) == sorted(
        str(AxisError(c)) for c in (208, 308))
    esp.shutdown()
    assert not bench.rotator.motor_on
