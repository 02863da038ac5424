"""The bench over raw SCPI sockets, as any VISA client sees it."""

import pytest
import pyvisa
from pymeasure.instruments.keithley import Keithley2182

from labspin.simulated_instruments.server import BenchServer, query


def test_each_instrument_answers_on_its_own_port(voltmeter_bench):
    bench, _ = voltmeter_bench
    with BenchServer(bench) as server:
        (served,) = server.served
        assert served.name == "voltmeter"
        assert query(served.port, "*IDN?").startswith("KEITHLEY INSTRUMENTS INC.,MODEL 2182A")
        assert query(served.port, "FROB;SYST:ERR?") == '-113,"Undefined header"'


def test_pyvisa_py_socket_with_the_unmodified_driver(voltmeter_bench):
    bench, _ = voltmeter_bench
    bench.set_source("source", dc=1e-3)
    with BenchServer(bench) as server:
        port = server.served[0].port
        k = Keithley2182(f"TCPIP::127.0.0.1::{port}::SOCKET", visa_library="@py")
        k.ch_1.setup_voltage(nplc=5)
        expected = 1e-3 * bench.device.resistances(1e-3).xx
        assert k.voltage == pytest.approx(expected, abs=2e-5)
        k.adapter.close()


def test_dropped_connection_closes_the_socket(voltmeter_bench):
    bench, _ = voltmeter_bench
    with BenchServer(bench) as server:
        port = server.served[0].port
        rm = pyvisa.ResourceManager("@py")
        inst = rm.open_resource(f"TCPIP::127.0.0.1::{port}::SOCKET", read_termination="\r",
                                timeout=500)
        assert inst.query("*IDN?")
        bench.inject_fault("voltmeter", drop_after=0)
        with pytest.raises(pyvisa.errors.VisaIOError):
            inst.query("*IDN?")
        inst.close()
