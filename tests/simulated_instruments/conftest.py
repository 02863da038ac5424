"""Benches for the simulated-instrument tests, each registered under a unique name."""

import itertools

import pytest

from labspin.simulated_instruments.bench import Bench
from labspin.simulated_instruments.layout import InstrumentSpec, populate
from labspin.simulated_instruments.visa import register_bench, unregister_bench

_names = itertools.count()


@pytest.fixture
def voltmeter_bench():
    """A py-nio bench with only a 2182A (channel 1 on V_xx, channel 2 on V_xy)."""
    bench = Bench("py-nio", seed=4)
    populate(bench, [InstrumentSpec("voltmeter", "Keithley2182", "GPIB0::7::INSTR",
                                    wiring={"1": "xx", "2": "xy"})])
    name = f"test-bench-{next(_names)}"
    register_bench(name, bench)
    yield bench, f"{name}@labspin"
    unregister_bench(name)
