"""Running procedures headless in tests, and checking the bench afterwards."""

from __future__ import annotations

import pandas
import pytest

from labspin.station import Station


def run(proc, station, stop_after=None, truth=None) -> pandas.DataFrame:
    """Startup, execute, always shutdown; the emitted rows as a DataFrame. ``truth``
    collects the device's mean_state at every row; ``stop_after`` requests a stop."""
    rows = []
    proc.station = station

    def emit(topic, record):
        if topic == "results":
            rows.append(record)
            if truth is not None:
                truth.append(station.bench.device.mean_state)

    proc.emit = emit
    proc.should_stop = lambda: stop_after is not None and len(rows) >= stop_after
    try:
        proc.startup()
        proc.execute()
    finally:
        proc.shutdown()
    return pandas.DataFrame(rows)




def assert_bench_safe(station: Station) -> None:
    bench = station.bench
    for coil in bench.coils.values():
        assert coil.current == pytest.approx(0.0, abs=1e-9)
    assert bench.dc_current() == 0.0
    assert bench.ac_source() is None
