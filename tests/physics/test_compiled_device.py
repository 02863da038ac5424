"""The compiled bar (``Device``) against its numpy reference (``ReferenceDevice``).

Both run the same seeded history: field sweeps that push branches over, waits with DC
and AC currents, thermal pulses while the stage warms, lock-in and DC reads. Every
number either returns must agree to 1e-12 relative, and the grains must end in the same
states after every step (the random draws then decide the same flips).
"""

from __future__ import annotations

import numpy as np
import pytest

from labspin.physics import Device, preset
from labspin.physics._device_reference import ReferenceDevice, reversed_share

RTOL = 1e-12


def _same(a, b, what: str) -> None:
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    both_nan = np.isnan(a) & np.isnan(b)
    close = (a == b) | both_nan | (np.abs(a - b) <= RTOL * np.maximum(np.abs(a), np.abs(b)))
    assert close.all(), f"{what}: {a[~close]} != {b[~close]}"


def _history(device: Device) -> list:
    """A seeded history of what the bench does to a bar; every output it gives."""
    params = device.params
    u = np.asarray(params.ferromagnet.easy_axis)
    hard = np.array([1.0, 0.0, 0.0]) if abs(u[0]) < 0.5 else np.array([0.0, 1.0, 0.0])
    b_sw = params.ferromagnet.switching_field
    out = []
    for b in np.concatenate([np.linspace(0.0, 1.3, 4), np.linspace(1.3, -1.3, 7)]) * b_sw:
        device.set_field(b * u + 0.3 * b_sw * hard + np.array([0.0, 0.0, 1e-3]))
        out.append(device.states.copy())
        out.append(device.wait(0.05, current=2e-3))
        out.append(device.wait(0.05, current=5e-4, ac_amplitude=3e-3))
        out.append(device.states.copy())
        r = device.resistances(1e-3)
        out += [r.xx, r.xy, *device.voltages(-2e-3)]
        h = device.harmonic_voltages(1e-3)
        out += [h.xx_1w, h.xx_2w, h.xy_1w, h.xy_2w]
    device.set_field(0.2 * b_sw * hard)
    for stage in (290.0, 330.0):
        device.set_stage_temperature(stage)
        for width in (1e-7, 5e-5, 1e-3):
            for amplitude in (0.015, 0.03, -0.03, -0.042):
                out.append(device.switching_probability(amplitude, width))
                pulse = device.apply_pulse(amplitude, width)
                out += [pulse.switched_fraction, pulse.peak_temperature, pulse.energy,
                        pulse.burnt, device.states.copy()]
                if device.burnt:
                    return out
    return out


@pytest.mark.parametrize("name", ["py-nio", "py-coo", "py-alox", "pt-py", "cofeb-nio-pma"])
def test_compiled_bar_gives_the_reference_numbers_through_a_seeded_history(name):
    compiled = _history(Device(preset(name), seed=4))
    reference = _history(ReferenceDevice(preset(name), seed=4))
    assert len(compiled) == len(reference)
    for k, (a, b) in enumerate(zip(compiled, reference, strict=True)):
        if isinstance(a, np.ndarray) and a.dtype == np.int8:
            np.testing.assert_array_equal(a, b, err_msg=f"grain states after step {k}")
        else:
            _same(a, b, f"output {k}")


def test_compiled_rates_and_pulse_shares_match_the_reference_per_grain():
    params = preset("py-nio")
    fast, slow = Device(params, seed=2), ReferenceDevice(params, seed=2)
    for device in (fast, slow):
        device.set_field([0.0, -0.6 * params.ferromagnet.switching_field, 2e-3])
        device.states[::3] *= -1
    for current in (0.0, 0.012, -0.03):
        props = fast._properties(current)
        _same(fast._rate_pair(props, current), slow._rate_pair(props, current), "rates")
    times = np.linspace(0.0, 160e-9, 33)
    for amplitude in (0.02, 0.035, -0.04):
        temps = 300.0 + 60.0 * -np.expm1(-times / 20e-9) * (amplitude / 0.03) ** 2
        _same(fast._pulse_reversal(amplitude, 1e-4, times, temps),
              slow._pulse_reversal(amplitude, 1e-4, times, temps), "pulse shares")


def test_a_small_reversed_share_keeps_its_digits():
    """q_eq (1 - e^-x) for x = 1e-9: the old form q_eq + (0 - q_eq) e^-x kept only about
    seven digits of it."""
    out, back = np.array([1e-3]), np.array([1.0])
    share = reversed_share(np.zeros(1), out, back, 1e-9 / (1.0 + 1e-3))
    assert share[0] == pytest.approx(1e-3 / 1.001 * 1e-9, rel=1e-14)


def _rows(name: str, preset_name: str, seed: int, **parameters):
    """The rows a procedure emits on a fresh simulated station."""
    import pandas

    from labspin.procedures import procedure_class
    from labspin.station import Station

    rows = []
    with Station.open(sim=True, preset=preset_name, seed=seed) as station:
        procedure = procedure_class(name)(**parameters)
        procedure.station = station
        procedure.emit = lambda topic, record: rows.append(dict(record)) \
            if topic == "results" else None
        procedure.should_stop = lambda: False
        try:
            procedure.startup()
            procedure.execute()
        finally:
            procedure.shutdown()
    return pandas.DataFrame(rows)


@pytest.mark.filterwarnings("ignore::FutureWarning")  # pymeasure's SCPI notice
@pytest.mark.parametrize("name, preset_name, parameters", [
    ("SwitchingLoop", "py-nio", {"max_pulse_current": 0.04, "pulse_steps": 8,
                                 "bias_field": 0.004, "bias_axis": "y"}),
    ("USMRLoop", "py-nio", {"field_max": 0.012, "field_step": 0.004,
                            "stage_temperature": 320}),
])
def test_seeded_procedures_give_the_rows_the_reference_bar_gives(monkeypatch, name,
                                                                 preset_name, parameters):
    """Through SCPI, pyvisa and the procedure: the bench on the compiled bar and on the
    numpy reference bar write the same rows (bit for bit when measured)."""
    import pandas

    from labspin.simulated_instruments import bench

    compiled = _rows(name, preset_name, 5, **parameters)
    monkeypatch.setattr(bench, "Device", ReferenceDevice)
    reference = _rows(name, preset_name, 5, **parameters)
    assert len(compiled) > 5
    pandas.testing.assert_frame_equal(compiled, reference, check_exact=False, rtol=RTOL,
                                      atol=0.0)
