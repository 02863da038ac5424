"""The station's instruments refuse misspelt properties and name whoever failed.

pymeasure instruments and channels accept any attribute silently (PITFALLS.md): the
guard must turn such a slip into an AttributeError, and must keep working if pymeasure
changes how it builds channels or dynamic properties (these tests fail then).
"""

from pathlib import Path

import pytest
from pymeasure.instruments import Channel

from labspin.instrument_io import nearest_property
from labspin.station import InstrumentReplyError, InstrumentTimeout, Station

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


@pytest.fixture
def station():
    st = Station.open(EXAMPLES / "station-sim.yaml")
    yield st
    st.close()


@pytest.mark.parametrize(("role", "path", "name", "suggestion"), [
    ("pulser", "ch_1", "output_enabled", "output"),
    ("pulser", "ch_2", "period", "pulse_period"),
    ("source", "", "sourse_current", "source_current"),
    ("magnet_z", "", "current_set_point", "current_setpoint"),
])
def test_a_misspelt_property_raises_naming_the_class_and_the_real_one(station, role, path,
                                                                      name, suggestion):
    target = station[role]
    if path:
        target = getattr(target, path)
    sent = len(station.io.commands[role])
    with pytest.raises(AttributeError, match=rf"has no property '{name}'.*did you mean "
                                             rf"[^?]*'{suggestion}'"):
        setattr(target, name, True)
    assert len(station.io.commands[role]) == sent  # and nothing was sent


def test_the_message_names_the_driver_class_not_the_guard(station):
    with pytest.raises(AttributeError, match=r"^Keysight81160AChannel has no property"):
        station["pulser"].ch_1.output_enabled = True
    assert type(station["pulser"]).__name__ == "Keysight81160A"


def test_real_properties_still_reach_the_instrument(station):
    station["pulser"].ch_1.output = True
    model = next(m for m in station.bench.instruments.values()
                 if type(m).__name__ == "Keysight81160AModel")
    assert model.channels[1].output
    assert station.io.settings["pulser"]["ch1.output"] is True
    station["pulser"].ch_1.output = False


def test_every_channel_of_every_instrument_is_guarded(station):
    """Channels are found as attributes holding pymeasure Channel instances; if pymeasure
    stored them elsewhere the pulser's channels would go unguarded and this fails."""
    assert isinstance(station["pulser"].ch_1, Channel)
    for channel in (station["pulser"].ch_1, station["pulser"].ch_2,
                    station["voltmeter"].ch_1, station["voltmeter"].ch_2):
        with pytest.raises(AttributeError):
            channel.no_such_setting = 1


def test_dynamic_property_parameters_stay_settable(station):
    """pymeasure lets a user retune a dynamic property (``<name>_values``); the guard
    must recognise those names (it reads pymeasure's list of them)."""
    channel = station["pulser"].ch_1
    channel.amplitude_values = [0.05, 2.0]
    with pytest.raises(ValueError):
        channel.amplitude = 3.0


def test_nearest_property_prefers_a_contained_name():
    from pymeasure.instruments.keysight.keysight81160A import Keysight81160AChannel

    assert nearest_property(Keysight81160AChannel, "output_enabled") == "output"
    assert nearest_property(Keysight81160AChannel, "zzzz") is None


def test_a_gaussmeter_timeout_inside_a_ramp_names_the_gaussmeter(station):
    from labspin.procedures.apparatus import Apparatus

    station.bench.inject_fault("gaussmeter_z", timeout_after=0)
    with pytest.raises(InstrumentTimeout) as info:
        Apparatus(station).set_field("z", 0.01)
    text = str(info.value)
    assert text.startswith("'gaussmeter_z' (LakeShore425 at ASRL3::INSTR) did not answer")
    assert "(during a ramp of magnet z to 0.01 T)" in text
    assert "'magnet_z'" not in text


def test_a_garbage_reply_names_the_instrument_the_command_and_the_reply(station):
    from labspin.procedures.apparatus import Apparatus

    station.bench.inject_fault("source", garbage_after=0)
    with pytest.raises(InstrumentReplyError) as info:
        Apparatus(station).set_compliance(1e-3)  # reads the 6221's event register
    error = info.value
    assert error.role == "source" and error.command == ":STAT:MEAS?"
    assert str(error).startswith(f"'source' (Keithley6221Pulse at GPIB0::12::INSTR) answered "
                                 f"{error.reply.strip()!r} to ':STAT:MEAS?'")


def test_a_validation_error_is_not_mistaken_for_a_garbage_reply(station):
    with pytest.raises(ValueError, match="not in range"), \
            station.talking_to("pulser", "a setting"):
        station["pulser"].ask("*OPC?")  # the last reply was "1"
        station["pulser"].ch_1.amplitude = 0.01  # pymeasure refuses: below 50 mV


def test_pymeasure_attribute_lookup_does_only_what_the_guard_does_instead():
    """The guard replaces pymeasure's ``CommonBase.__getattribute__`` (a Python call at
    every attribute access) by the plain lookup plus descriptors refusing the reserved
    names. If pymeasure's method starts doing anything else, this fails: read it again
    and extend the guard."""
    from pymeasure.instruments.common_base import CommonBase

    code = CommonBase.__getattribute__.__code__
    assert set(code.co_names) == {"super", "__getattribute__", "hasattr", "_special_names",
                                  "AttributeError"}
    assert code.co_consts.count("_special_names") >= 1


def test_a_guarded_instrument_refuses_its_reserved_names_as_pymeasure_does(station):
    from pymeasure.instruments.keithley import Keithley2182

    meter = station["voltmeter"]
    reserved = [n for n in meter._special_names if n.startswith("voltage_nplc_")]
    assert reserved  # pymeasure still reserves the parameters of its dynamic properties
    for name in reserved:
        with pytest.raises(AttributeError, match="reserved variable name"):
            getattr(meter, name)
    plain = Keithley2182("GPIB0::7::INSTR",
                         visa_library=f"{station.bench_name}@labspin")
    try:
        for name in reserved:
            with pytest.raises(AttributeError, match="reserved variable name"):
                getattr(plain, name)
        # everything else reads the same through the guard
        for name in ("voltage_nplc", "active_channel", "name", "adapter", "write"):
            assert type(getattr(meter, name)) is type(getattr(plain, name))
    finally:
        plain.adapter.close()
