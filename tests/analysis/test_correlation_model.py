"""The model's values beside a chip's correlation come from the run header alone, and
only when the header says exactly which simulated device was measured."""

import math

import pytest

from labspin.analysis.correlation_model import bar_model
from labspin.physics import preset, spin_transport

NIO_3NM = "simulated: py-nio (SiO2 100 nm / Py 5 nm / NiO 3 nm), seed 1"


def test_a_preset_bar_is_rebuilt_with_its_afmi_thickness_and_geometry():
    model = bar_model({"Bench": NIO_3NM, "AFMI thickness": 3e-9, "Bar width": 2e-6,
                       "Bar length": 10e-6, "Stage temperature": "off"})
    assert model.params is not None and model.why_not == ""
    assert model.params.top.thickness == pytest.approx(3e-9)
    assert model.params.hall_bar.width == pytest.approx(2e-6)
    params = preset("py-nio").with_(top=preset("py-nio").top.with_(thickness=3e-9))
    assert model.alpha() == pytest.approx(spin_transport(params).damping)
    assert model.xi_dl() == pytest.approx(spin_transport(params).xi_dl)
    # a stage temperature in the header moves the model with it
    warm = bar_model({"Bench": NIO_3NM, "AFMI thickness": 3e-9, "Stage temperature": 350.0})
    assert warm.xi_dl() == pytest.approx(spin_transport(params, 350.0).xi_dl)


@pytest.mark.parametrize(("header", "why"), [
    ({"Bench": "hardware"}, "measured on hardware"),
    ({}, "does not say which device"),
    ({"Bench": "simulated: my-stack (Py 4 nm / CoO 2 nm), seed 3"}, "not a preset"),
    # the header's stack says 3 nm but the header's thickness is not given: not this bar
    ({"Bench": NIO_3NM, "AFMI thickness": "not given"}, "is not the py-nio preset's"),
])
def test_no_model_value_unless_the_header_names_the_device(header, why):
    model = bar_model(header)
    assert model.params is None and why in model.why_not
    assert math.isnan(model.alpha()) and math.isnan(model.j_c(1e-3))
