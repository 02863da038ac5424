"""Device files: every parameter with units, base + override, errors a person can act on."""

import dataclasses
import math

import pytest
import yaml

from labspin.configfiles import parse_quantity
from labspin.physics import DeviceParameters, preset, preset_names
from labspin.physics.device_dump import device_yaml
from labspin.physics.device_schema import FIELDS
from labspin.physics.devicefile import DeviceFileError, load_device
from labspin.physics.parameters import Antiferromagnet, HeavyMetal, OxideCap

# every field of every section, in units other than SI where it has one
EVERY_FIELD = """\
name: every field
description: a device that sets each key
ferromagnet:
  name: CoFeB
  thickness: 1.7 nm
  resistivity: 160 uohm cm
  spin_diffusion_length: 1.2 nm
  spin_hall_angle: -0.03
  saturation_magnetization: 1.05e6 A/m
  curie_temperature: 1000 K
  gilbert_damping: 0.013
  anisotropy_field: 90 mT
  effective_magnetization: 0 T
  easy_axis: z
  nucleation_field: 25 mT
  resistivity_temperature_coefficient: 3e-4 K^-1
  field_like_ratio: 0.4
  anisotropy_exponent: 2.1
bottom:
  type: HeavyMetal
  name: W
  thickness: 4 nm
  resistivity: 2 uohm m
  spin_diffusion_length: 1.1 nm
  spin_hall_angle: -0.3
  interface_conductance: 5e14 S/m^2
  spin_memory_loss: 0.25
  field_like_ratio: 0.2
top:
  type: Antiferromagnet
  name: CoO
  thickness: 6 nm
  neel_temperature: 290 K
  spin_conductance: 1.2e15 ohm^-1 m^-2
  magnon_length: 3 nm
  neel_thickness_scale: 0.8 nm
  magnon_exponent: 2.5
  paramagnetic_floor: 0.2
  pumping_fraction: 0.3
  critical_width: 30 K
  critical_weight: 1.5
hall_bar: {width: 2.5 um, length: 0.015 mm, hall_misalignment: 0.001}
readout:
  amr_ratio: 0.4 %
  smr_ratio: 3e-4
  anomalous_hall: 1500 mohm
  planar_hall: 0.07 ohm
  ordinary_hall: -30 mohm/T
  usmr_efficiency: 3e-15 m^2/A
  nernst_coefficient: 0.02 V/A^2
thermal:
  stage_temperature: 77 K
  thermal_resistance: 600 K/W
  thermal_time_constant: 0.08 us
  failure_temperature: 650 K
kinetics:
  barrier: 45
  attempt_time: 1 ns
  current_exponent: 1.5
  field_exponent: 1.8
  grains: 16
  dispersion: 0.08
  chirality_field: 3 mT
"""

EXPECTED_SI = {
    ("ferromagnet", "thickness"): 1.7e-9, ("ferromagnet", "resistivity"): 1.6e-6,
    ("ferromagnet", "saturation_magnetization"): 1.05e6,
    ("ferromagnet", "anisotropy_field"): 0.09, ("ferromagnet", "easy_axis"): (0, 0, 1),
    ("ferromagnet", "nucleation_field"): 0.025,
    ("ferromagnet", "resistivity_temperature_coefficient"): 3e-4,
    ("bottom", "resistivity"): 2e-6, ("bottom", "interface_conductance"): 5e14,
    ("top", "spin_conductance"): 1.2e15, ("top", "neel_thickness_scale"): 0.8e-9,
    ("hall_bar", "width"): 2.5e-6, ("hall_bar", "length"): 15e-6,
    ("readout", "amr_ratio"): 0.004, ("readout", "anomalous_hall"): 1.5,
    ("readout", "ordinary_hall"): -0.03, ("thermal", "stage_temperature"): 77.0,
    ("thermal", "thermal_time_constant"): 80e-9, ("kinetics", "attempt_time"): 1e-9,
    ("kinetics", "grains"): 16, ("kinetics", "chirality_field"): 3e-3,
}


def write(tmp_path, text, name="device.yaml"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_every_dataclass_field_has_a_spec_and_every_spec_a_field():
    for cls, specs in FIELDS.items():
        assert [f.name for f in dataclasses.fields(cls)] == list(specs), cls.__name__


def test_each_unit_files_are_written_in_is_what_its_scale_says():
    for cls, specs in FIELDS.items():
        for name, spec in specs.items():
            if spec.kind == "float" and spec.shown:
                value = parse_quantity(f"1 {spec.shown}", spec.unit if spec.unit != "1"
                                       else "dimensionless", "x")
                assert value == pytest.approx(spec.scale, rel=1e-12), (cls, name)


def test_a_file_setting_every_field_with_units_reads_in_si(tmp_path):
    device = load_device(write(tmp_path, EVERY_FIELD))
    for (section, key), value in EXPECTED_SI.items():
        got = getattr(getattr(device, section), key)
        assert got == pytest.approx(value, rel=1e-12), (section, key)
    assert isinstance(device.bottom, HeavyMetal) and isinstance(device.top, Antiferromagnet)
    assert device.name == "every field"
    # every field differs from the class default, so none was silently dropped
    for section in ("ferromagnet", "bottom", "top", "hall_bar", "readout", "thermal",
                    "kinetics"):
        part = getattr(device, section)
        for f in dataclasses.fields(part):
            if f.default is not dataclasses.MISSING:
                assert getattr(part, f.name) != f.default, (section, f.name)


@pytest.mark.parametrize("name", preset_names())
def test_every_preset_round_trips_through_a_device_file(tmp_path, name):
    params = preset(name)
    for comments in (False, True):
        path = write(tmp_path, device_yaml(params, comments=comments))
        assert load_device(path) == params


def test_a_written_device_file_reads_back_to_the_same_device(tmp_path):
    device = load_device(write(tmp_path, EVERY_FIELD))
    again = load_device(write(tmp_path, device_yaml(device, comments=True), "again.yaml"))
    assert again == device


def test_the_run_metadata_form_of_a_device_loads_too():
    params = preset("pt-py")
    assert load_device(params.as_dict()) == params


def test_base_and_override_keeps_the_rest_of_the_preset(tmp_path):
    path = write(tmp_path, """\
base: py-nio
name: CoFeB 3 nm / NiO 8 nm, chip 7
ferromagnet: {name: CoFeB, thickness: 3 nm, saturation_magnetization: 1.1e6 A/m}
top: {name: NiO, thickness: 8 nm, spin_conductance: 1.5e15}
hall_bar: {width: 3 um, length: 12 um}
""")
    device, base = load_device(path), preset("py-nio")
    assert device.name == "CoFeB 3 nm / NiO 8 nm, chip 7"
    assert device.ferromagnet == base.ferromagnet.with_(
        name="CoFeB", thickness=3e-9, saturation_magnetization=1.1e6)
    assert device.top == base.top.with_(thickness=8e-9, spin_conductance=1.5e15)
    assert device.hall_bar == base.hall_bar.with_(width=3e-6, length=12e-6)
    assert (device.bottom, device.readout, device.thermal, device.kinetics) == \
        (base.bottom, base.readout, base.thermal, base.kinetics)


def test_a_base_may_be_another_device_file_but_not_a_loop(tmp_path):
    write(tmp_path, "base: py-nio\ntop: {thickness: 6 nm}\n", "chip.yaml")
    child = load_device(write(tmp_path, "base: chip.yaml\nname: bar 3\n"
                                        "hall_bar: {width: 2 um}\n", "bar3.yaml"))
    assert child.top.thickness == 6e-9 and child.hall_bar.width == 2e-6
    assert child.ferromagnet == preset("py-nio").ferromagnet
    write(tmp_path, "base: b.yaml\n", "a.yaml")
    write(tmp_path, "base: a.yaml\n", "b.yaml")
    with pytest.raises(DeviceFileError, match="leads back to itself"):
        load_device(tmp_path / "a.yaml")


def test_layers_can_be_removed_replaced_or_recognised_by_their_keys():
    device = load_device({"base": "py-nio", "top": None})
    assert device.top is None and device.ferromagnet == preset("py-nio").ferromagnet
    pt = {"type": "heavy metal", "name": "Pt", "thickness": "4 nm", "resistivity":
          "30 uohm cm", "spin_diffusion_length": "1.5 nm", "spin_hall_angle": 0.1,
          "interface_conductance": 1e15}
    assert isinstance(load_device({"base": "py-nio", "bottom": pt}).bottom, HeavyMetal)
    fm = device_yaml(preset("py-nio")).split("ferromagnet:")[1].split("bottom:")[0]
    no_base = yaml.load("ferromagnet:" + fm,
                        Loader=yaml.CSafeLoader)  # no base: a layer's keys say what it is
    guessed = load_device(no_base | {"top": {"name": "NiO", "thickness": "5 nm",
                                             "neel_temperature": "523 K",
                                             "spin_conductance": 1e15}})
    assert guessed.top == Antiferromagnet("NiO", 5e-9, 523.0, 1e15)
    with pytest.raises(DeviceFileError, match="top: say what the layer is with type"):
        load_device(no_base | {"top": {"name": "X", "thickness": "2 nm"}})
    with pytest.raises(DeviceFileError, match=r"it is a key of Antiferromagnet \(give top: "
                                              r"\{type: Antiferromagnet"):
        load_device({"base": "py-alox", "top": {"neel_temperature": "500 K"}})
    assert isinstance(load_device({"base": "py-nio", "top": {"type": "OxideCap", "name":
                                                             "MgO", "thickness": "2 nm"}}
                                  ).top, OxideCap)


def test_every_problem_is_named_at_once_with_key_unit_range_and_the_key_meant(tmp_path):
    path = write(tmp_path, """\
base: py-nio
ferromagent: {}
thickness: 5 nm
ferromagnet:
  thickness: 3
  satruation_magnetization: 1 MA/m
  Ms: 1e6
  resistivity: 3 kg
top:
  neel_temprature: 500 K
  interface_conductance: 1e15
kinetics: {grains: 2.5, attempt_time: 1 s}
readout: {amr_ratio: 60 %}
""")
    with pytest.raises(DeviceFileError) as info:
        load_device(path)
    text = str(info.value)
    assert text.startswith(f"{path} is not a valid device file:")
    expected = [
        "ferromagent: not a key of a device file; did you mean ferromagnet?",
        "thickness: not a key of a device file: it belongs inside ferromagnet or bottom or "
        "top",
        "ferromagnet.thickness: 3 m is above the largest allowed, 1000 nm (allowed: above "
        "0, at most 1000 nm); a number without a unit is in m: did you mean '3 nm'?",
        "ferromagnet.satruation_magnetization: not a key of the ferromagnet; did you mean "
        "saturation_magnetization?",
        "ferromagnet.Ms: not a key of the ferromagnet; did you mean saturation_magnetization?",
        "ferromagnet.resistivity: '3 kg' is not in units of ohm*m; write it like "
        "'25 uohm cm'",
        "top.neel_temprature: not a key of the Antiferromagnet layer; did you mean "
        "neel_temperature?",
        "top.interface_conductance: not a key of the Antiferromagnet layer; it is a key of "
        "HeavyMetal (give top: {type: HeavyMetal, ...} to change the layer)",
        "kinetics.grains: must be a whole number, like 32, got 2.5",
        "kinetics.attempt_time: 1 s is above the largest allowed, 1e6 ns",
        "readout.amr_ratio: 60 % is above the largest allowed, 0.5",
    ]
    for line in expected:
        assert line in text
    assert len(info.value.problems) == len(expected)
    assert "Traceback" not in text


@pytest.mark.parametrize(("keys", "message"), [
    ({"base": "py-nioo"}, "'py-nioo' is neither a device preset (did you mean py-nio?)"),
    ({"ferromagnet": {"name": "Py", "thickness": "5 nm"}},
     "ferromagnet: missing resistivity (in uohm cm, e.g. '25 uohm cm')"),
    ({"name": "x"}, "ferromagnet: missing: without a base"),
    ({"base": "py-nio", "thermal": {"stage_temperature": "800 K"}},
     "thermal: failure_temperature must exceed stage_temperature"),
    ({"base": "py-nio", "top": {"thickness": "0.4 nm"}},
     "top: thickness (4e-10 m) must exceed neel_thickness_scale"),
    ({"base": "py-nio", "top": {"critical_width": "25 degC"}},
     "a temperature difference; write it in K"),
    ({"base": "py-nio", "ferromagnet": {"easy_axis": [0, 0, 0]}}, "has no direction"),
    ({"base": "py-nio", "ferromagnet": {"thickness": None}}, "has no value"),
    ({"base": "py-nio", "ferromagnet": {"thickness": "9**9**9 nm"}}, "is not a quantity"),
    ({"base": "py-nio", "ferromagnet": {"thickness": "nan nm"}}, "not a finite number"),
    ({"base": "py-nio", "top": {"type": "HeavyMetal", "name": "W", "thickness": "4 nm"}},
     "(a layer of another type than the base's starts afresh)"),
    ({"base": "py-nio", "ferromagnet": {"curie_temperature": "250 K"}},
     "ferromagnet.curie_temperature: 250 K is not above thermal.stage_temperature (300 K)"),
    ({"base": "py-nio", "antiferromagnet": {}}, "layers go under bottom (grown first) or "
                                                "top"),
])
def test_bad_devices_are_refused_naming_the_key(keys, message):
    with pytest.raises(DeviceFileError) as info:
        load_device(keys, label="sim.device")
    assert message in str(info.value)
    assert str(info.value).startswith("sim.device")


def test_units_and_signs_people_write_are_understood():
    device = load_device({"base": "cofeb-nio-pma",
                          "ferromagnet": {"easy_axis": "-z", "resistivity": "1.6 µΩ m"},
                          "readout": {"amr_ratio": "0.3 %"}})
    assert device.ferromagnet.easy_axis == (0.0, 0.0, -1.0)
    assert device.ferromagnet.resistivity == pytest.approx(1.6e-6)
    assert device.readout.amr_ratio == pytest.approx(3e-3)
    written = load_device({"base": "py-nio", "ferromagnet": {
        "saturation_magnetization": "800 emu/cm^3", "anisotropy_field": "150 Oe",
        "effective_magnetization": "9.5 kG", "resistivity": "25 µΩ·cm",
        "resistivity_temperature_coefficient": "2e-3 1/K"},
        "top": {"spin_conductance": "2e15 Ω⁻¹m⁻²"}, "bottom": {"spin_conductance":
                                                              "1e13 1/(Ohm m²)"}})
    assert written.ferromagnet == preset("py-nio").ferromagnet
    assert written.top == preset("py-nio").top
    assert written.bottom.spin_conductance == pytest.approx(1e13)
    tilted = load_device({"base": "py-nio", "ferromagnet": {"easy_axis": [0, 1, 1]}})
    assert tilted.ferromagnet.easy_axis == pytest.approx((0, math.sqrt(0.5), math.sqrt(0.5)))


@pytest.mark.parametrize(("text", "message"), [
    ("base: &a py-nio\nname: *a\n", "anchors and aliases are not allowed"),
    ("a: " + "[" * 60 + "]" * 60 + "\n", "nested more than 50 levels deep"),
    ("base: py-nio\n---\nbase: pt-py\n", "more than one document"),
    ("base: [unclosed\n", "not valid YAML at line"),
    ("- base: py-nio\n", "expected the keys of a device"),
    ("", "is empty"),
])
def test_hostile_or_broken_yaml_is_refused_by_the_station_file_guards(tmp_path, text,
                                                                     message):
    with pytest.raises(DeviceFileError, match=message.replace("(", r"\(")):
        load_device(write(tmp_path, text))


def test_files_that_are_not_device_files_are_refused_without_reading_them(tmp_path):
    import os

    big = tmp_path / "big.yaml"
    big.write_bytes(b"# " + b"x" * (2 * 1024 * 1024))
    with pytest.raises(DeviceFileError, match="far larger than any device file"):
        load_device(big)
    (tmp_path / "latin1.yaml").write_bytes(b"name: caf\xe9\n")
    with pytest.raises(DeviceFileError, match="not UTF-8"):
        load_device(tmp_path / "latin1.yaml")
    fifo = tmp_path / "pipe.yaml"
    os.mkfifo(fifo)
    with pytest.raises(DeviceFileError, match="not a regular file"):
        load_device(fifo)
    with pytest.raises(DeviceFileError, match="no such device file"):
        load_device(tmp_path / "missing.yaml")
    with pytest.raises(DeviceFileError, match="is a folder"):
        load_device(tmp_path)


def test_the_loader_accepts_presets_parameters_and_relative_paths(tmp_path):
    assert load_device("pt-py") == preset("pt-py")
    params = preset("py-coo")
    assert load_device(params) is params
    write(tmp_path, "base: py-nio\nname: here\n", "rel.yaml")
    assert load_device("rel.yaml", base_dir=tmp_path).name == "here"
    assert isinstance(load_device(yaml.load(device_yaml(params),
                                            Loader=yaml.CSafeLoader)), DeviceParameters)


def test_the_shipped_template_is_what_labspin_device_template_writes():
    from pathlib import Path

    path = Path(__file__).resolve().parents[2] / "examples" / "device-template.yaml"
    assert path.read_text(encoding="utf-8") == device_yaml(preset("py-nio"), comments=True)
    assert load_device(path) == preset("py-nio")


def test_every_value_at_the_edge_of_its_range_still_simulates():
    """The ranges admit nothing the model cannot compute: each key at its largest (and
    smallest non-zero) allowed value, one at a time, on py-nio and pt-py."""
    import warnings

    from labspin.physics import Device

    checked = 0
    for name in ("py-nio", "pt-py"):
        base = preset(name)
        for section in ("ferromagnet", "bottom", "top", "hall_bar", "readout", "thermal",
                        "kinetics"):
            part = getattr(base, section)
            for key, spec in FIELDS[type(part)].items():
                if spec.kind != "float":
                    continue
                edges = [spec.high] + ([spec.low] if spec.low else [spec.high * 1e-6])
                for value in edges:
                    try:
                        device = load_device({"base": name, section: {key: value}})
                    except DeviceFileError:
                        continue  # refused with a message: fine
                    with warnings.catch_warnings():
                        warnings.simplefilter("ignore", RuntimeWarning)  # a bar burning
                        dev = Device(device, seed=1)
                        r = dev.resistances(1e-4)
                        dev.apply_pulse(1e-3, 1e-6)
                    assert math.isfinite(r.xx) and math.isfinite(r.xy), (section, key, value)
                    checked += 1
    assert checked > 100
