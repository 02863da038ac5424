"""pyvisa reaches the bench through ``@labspin`` exactly as it reaches hardware."""

import pytest
import pyvisa
from pymeasure.instruments.keithley import Keithley2182
from pyvisa.errors import VisaIOError


def test_list_resources_and_identify(voltmeter_bench):
    _, library = voltmeter_bench
    rm = pyvisa.ResourceManager(library)
    assert rm.list_resources() == ("GPIB0::7::INSTR",)
    inst = rm.open_resource("GPIB0::7::INSTR", read_termination="\r")
    assert inst.query("*IDN?").startswith("KEITHLEY INSTRUMENTS INC.,MODEL 2182A")


def test_preset_name_opens_a_full_default_bench():
    rm = pyvisa.ResourceManager("py-coo@labspin")
    resources = rm.list_resources()
    assert "GPIB0::12::INSTR" in resources and "GPIB0::7::INSTR" in resources
    assert len(resources) == 14  # DEFAULT_INSTRUMENTS, the RF generator included


def test_unknown_resource_is_refused(voltmeter_bench):
    _, library = voltmeter_bench
    rm = pyvisa.ResourceManager(library)
    with pytest.raises(VisaIOError, match="RSRC_NFOUND"):
        rm.open_resource("GPIB0::29::INSTR")


def test_a_query_without_reply_times_out_like_hardware(voltmeter_bench):
    _, library = voltmeter_bench
    inst = pyvisa.ResourceManager(library).open_resource("GPIB0::7::INSTR")
    inst.write(":SENS:VOLT:NPLC 1")
    with pytest.raises(VisaIOError, match="TMO"):
        inst.read()


def test_unmodified_pymeasure_driver_reads_the_device(voltmeter_bench):
    bench, library = voltmeter_bench
    k = Keithley2182("GPIB0::7::INSTR", visa_library=library)
    bench.set_source("source", dc=1e-3)
    k.ch_1.setup_voltage(nplc=5)
    expected = 1e-3 * bench.device.resistances(1e-3).xx
    assert k.voltage == pytest.approx(expected, abs=2e-5)  # plus a few uV of offset
    assert bench.now() == pytest.approx(5 / 60 * 2)  # one reading: NPLC with auto-zero
    assert k.check_errors() == []


def test_garbled_command_lands_in_the_error_queue(voltmeter_bench):
    _, library = voltmeter_bench
    k = Keithley2182("GPIB0::7::INSTR", visa_library=library)
    k.write(":SENS:VOLT:NPLC banana")
    k.write("FROB 1")
    assert k.ask("SYST:ERR?").startswith("-104")
    assert k.ask("SYST:ERR?").startswith("-113")
    assert k.ask("SYST:ERR?").startswith("0,")


def test_station_file_names_the_bench_it_describes():
    from pathlib import Path

    path = Path(__file__).resolve().parents[2] / "examples" / "station-sim.yaml"
    rm = pyvisa.ResourceManager(f"{path}@labspin")
    resources = rm.list_resources("?*")
    assert "GPIB0::12::INSTR" in resources and "ASRL2::INSTR" in resources
    meter = rm.open_resource("GPIB0::7::INSTR", read_termination="\r")
    assert meter.query("*IDN?").startswith("KEITHLEY INSTRUMENTS INC.,MODEL 2182A")


def test_a_bench_registered_again_under_a_name_replaces_the_cached_one():
    """pyvisa caches a library per (class, ARG) in a private registry that
    ``register_bench`` clears: this fails if pyvisa changes how it caches."""
    import pyvisa

    from labspin.simulated_instruments.bench import Bench
    from labspin.simulated_instruments.visa import register_bench, unregister_bench

    first, second = Bench("py-nio", seed=1), Bench("py-nio", seed=2)
    register_bench("reused-name", first)
    try:
        assert pyvisa.ResourceManager("reused-name@labspin").visalib.bench is first
        register_bench("reused-name", second)
        assert pyvisa.ResourceManager("reused-name@labspin").visalib.bench is second
    finally:
        unregister_bench("reused-name")


def test_messages_end_at_either_terminator_and_the_rest_waits_for_its_own():
    from labspin.simulated_instruments.scpi import split_messages

    assert split_messages(b"*IDN?\r\n\n  \rSYST:ERR?\nCURR") == (["*IDN?", "SYST:ERR?"], b"CURR")
    assert split_messages(b"CURR 1") == ([], b"CURR 1")
    assert split_messages(b"\xb5A\n", "ascii", errors="replace") == (["\ufffdA"], b"")


def test_a_command_split_over_several_writes_runs_once_complete(voltmeter_bench):
    _, library = voltmeter_bench
    inst = pyvisa.ResourceManager(library).open_resource("GPIB0::7::INSTR",
                                                         read_termination="\r")
    inst.write_raw(b"*ID")
    inst.write_raw(b"N?\r\n")
    assert inst.read().startswith("KEITHLEY")
    inst.write_raw(b"FROB\r*IDN?\n")
    assert inst.read().startswith("KEITHLEY")
    assert inst.query("SYST:ERR?").startswith("-113")
