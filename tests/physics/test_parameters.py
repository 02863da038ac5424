"""Parameter dataclasses validate on construction and name the offending field."""

import math

import pytest

from labspin.physics import (
    Antiferromagnet,
    ParameterError,
    SwitchingKinetics,
    UnknownPresetError,
    preset,
    preset_names,
)

PRESETS = ["py-nio", "py-coo", "py-alox", "pt-py", "cofeb-nio-pma"]


def test_all_five_presets_exist_and_validate():
    assert preset_names() == PRESETS
    for name in PRESETS:
        device = preset(name)
        assert device.name == name
        assert device.as_dict()["ferromagnet"]["type"] == "Ferromagnet"


def test_unknown_preset_names_the_choices():
    with pytest.raises(UnknownPresetError, match="py-nio"):
        preset("py-nix")


@pytest.mark.parametrize(("field", "value", "message"), [
    ("thickness", -5e-9, "Ferromagnet.thickness must be > 0"),
    ("thickness", math.nan, "Ferromagnet.thickness must be finite"),
    ("saturation_magnetization", "lots", "Ferromagnet.saturation_magnetization must be a number"),
    ("easy_axis", (0.0, 1.0, 1.0), "Ferromagnet.easy_axis must be a finite unit vector"),
    ("easy_axis", (0.0, 1.0), "Ferromagnet.easy_axis must be a 3-vector"),
    ("gilbert_damping", 0.0, "Ferromagnet.gilbert_damping must be > 0"),
])
def test_bad_ferromagnet_values_raise_naming_the_field(field, value, message):
    fm = preset("py-nio").ferromagnet
    with pytest.raises(ParameterError, match=message.replace(".", r"\.")):
        fm.with_(**{field: value})


def test_afmi_thinner_than_its_finite_size_scale_is_refused():
    with pytest.raises(ParameterError, match=r"Antiferromagnet\.thickness"):
        Antiferromagnet(name="NiO", thickness=0.4e-9, neel_temperature=523,
                        spin_conductance=1e15, neel_thickness_scale=0.5e-9)


def test_grain_count_must_be_whole():
    with pytest.raises(ParameterError, match=r"SwitchingKinetics\.grains"):
        SwitchingKinetics(grains=0)


def test_flipped_stack_exchanges_bottom_and_top():
    device = preset("py-nio")
    flipped = device.flipped()
    assert flipped.bottom == device.top and flipped.top == device.bottom
    assert flipped.flipped().bottom == device.bottom


def test_layer_slot_rejects_a_ferromagnet():
    device = preset("py-nio")
    with pytest.raises(ParameterError, match=r"DeviceParameters\.top"):
        device.with_(top=device.ferromagnet)
