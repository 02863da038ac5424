"""The switching-threshold search of labspin.physics.predictions: the same crossing as a
fine reference, in a dozen evaluations of the rates instead of hundreds."""

import math

import pytest

from labspin.physics import predictions
from labspin.physics.device import Device
from labspin.physics.predictions import ThresholdSearch, critical_current, predict
from labspin.physics.presets import preset


def _search(name, width, rel_tol, field=None, hint=None):
    device = Device(preset(name), seed=0, initial_state=1)
    if field is not None:
        device.set_field(field)
    return ThresholdSearch(device, width, 1, rel_tol, hint=hint)


@pytest.mark.parametrize(("name", "width", "field"), [
    ("py-nio", 1e-3, None), ("pt-py", 1e-6, None), ("cofeb-nio-pma", 1e-6, (0.03, 0, 0)),
])
def test_threshold_lies_within_its_tolerance_above_the_exact_crossing(name, width, field):
    exact = _search(name, width, 1e-8, field).current()
    search = _search(name, width, 1e-3, field)
    found = search.current()
    assert exact <= found <= exact * (1 + 1e-3)
    # at the crossing the selectivity is 1/2: just below it less, at the result more
    assert search.selectivity(found) >= 0.5 > search.selectivity(exact * (1 - 1e-6))
    assert search.evaluations <= 16


def test_a_bar_without_torque_gives_no_threshold_before_it_burns_in_few_evaluations():
    for width in (1e-6, 1e-3):
        search = _search("py-alox", width, 1e-3)
        assert math.isinf(search.current())
        assert search.evaluations <= 16


def test_a_hint_from_another_width_only_saves_evaluations():
    long = _search("py-nio", 1e-3, 1e-4).current()
    cold = _search("py-nio", 1e-6, 1e-4)
    warm = _search("py-nio", 1e-6, 1e-4, hint=long)
    assert warm.current() == pytest.approx(cold.current(), rel=1e-4)
    assert warm.evaluations <= cold.evaluations


def test_predict_keeps_the_order_of_the_widths_and_agrees_with_critical_current():
    params = preset("py-nio")
    pred = predict(params, (1e-6, 1e-4, 1e-3))
    assert [s.pulse_width for s in pred.switching] == [1e-6, 1e-4, 1e-3]
    for row in pred.switching:
        assert row.current == pytest.approx(critical_current(params, row.pulse_width),
                                            rel=1.1e-3)
    assert pred.switching[0].current > pred.switching[1].current > pred.switching[2].current


def test_predict_asks_for_a_dozen_rate_integrations_per_width(monkeypatch):
    calls = []
    original = Device.switching_probability

    def counted(self, amplitude, width):
        calls.append(amplitude)
        return original(self, amplitude, width)

    monkeypatch.setattr(predictions.Device, "switching_probability", counted)
    predict(preset("pt-py"), (1e-6, 1e-3))
    assert len(calls) <= 32  # stepping up by 5 % from 0.1 mA took about 240
