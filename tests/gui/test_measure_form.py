"""The Measure view's parameter boxes: values typed with units are converted, and every
refusal is shown under its box at once, never reverted silently."""

from __future__ import annotations

import pytest


@pytest.fixture
def form(window):
    window.measure.select_procedure("SwitchingLoop")
    return window.measure.form


def test_values_typed_with_units_are_converted_to_the_parameters_unit(window, form):
    form.type_text("max_pulse_current", "30 mA")
    form.type_text("pulse_width", "50 us")
    form.type_text("settle_time", "0.25")  # a bare number is in the parameter's unit (s)
    check = window.measure.update_estimate()
    assert check.ok, check.problems
    assert check.values["max_pulse_current"] == pytest.approx(0.03, rel=1e-12)
    assert check.values["pulse_width"] == pytest.approx(5e-5, rel=1e-12)
    assert check.values["settle_time"] == 0.25
    assert form.editor("max_pulse_current").text() == "30 mA"  # the letters stay
    assert form.problem("max_pulse_current") == ""
    # a box left with a bare number shows the unit it was read in
    form.type_text("max_pulse_current", "0.02")
    form.editor("max_pulse_current").editingFinished.emit()
    assert form.editor("max_pulse_current").text() == "20 mA"
    procedure = window.measure.make_procedure()
    assert procedure.max_pulse_current == pytest.approx(0.02)
    assert procedure.pulse_width == pytest.approx(5e-5)


def test_a_value_out_of_range_is_flagged_under_its_box_and_kept(window, form, session):
    form.type_text("max_pulse_current", "200")  # 200 A: above the parameter's 200 mA
    window.measure.update_estimate()
    note = form.problem("max_pulse_current")
    assert "200 A is above its maximum 200 mA" in note
    assert form.editor("max_pulse_current").text() == "200"  # not reverted to 35 mA
    assert not window.measure.run_current()
    assert window.measure.message.level == "error"
    assert "max_pulse_current 200 A is above its maximum 200 mA" in \
        window.measure.message.text()
    assert not session.busy and session.catalog.query() == []


def test_a_value_beyond_the_station_limits_is_flagged_with_the_limit(window, form, session):
    form.type_text("max_pulse_current", "150 mA")  # parameter allows 200 mA, station 100 mA
    window.measure.update_estimate()
    note = form.problem("max_pulse_current")
    assert "beyond the station limits" in note and "100 mA" in note
    assert "max_current" in note  # the station-file key to change, if the sample allows
    assert form.problem("pulse_width") == ""  # only the box at fault is marked
    assert "Maximum pulse current" in window.measure.estimate.text()
    assert not window.measure.run_current()
    assert session.catalog.query() == []


@pytest.mark.parametrize(("text", "reason"), [
    ("20 V", "is not in units of A"),
    ("abc", "is not a number"),
    ("20 furlongs", "is not in units of A"),
    ("20 blorps", "unknown unit"),
])
def test_text_that_is_not_a_current_says_why(window, form, text, reason):
    form.type_text("max_pulse_current", text)
    check = window.measure.update_estimate()
    assert not check.ok
    assert reason in form.problem("max_pulse_current")
    assert form.editor("max_pulse_current").text() == text


def test_whole_numbers_and_choices(window, form):
    form.type_text("pulse_steps", "2.5")
    window.measure.update_estimate()
    assert "not a whole number" in form.problem("pulse_steps")
    form.type_text("pulse_steps", "12")
    form.set_values({"readout": "R_xy dc"})
    check = window.measure.update_estimate()
    assert check.ok and check.values["pulse_steps"] == 12
    assert check.values["readout"] == "R_xy dc"


def test_parameters_of_one_mode_are_hidden_in_the_other(window):
    window.measure.select_procedure("HarmonicHall")
    form = window.measure.form
    assert form.fields["mode"].raw() == "angle scan"
    assert form.layout_.isRowVisible(form.editor("angle_step"))
    assert not form.layout_.isRowVisible(form.editor("field_step"))
    form.set_values({"mode": "field sweep"})
    assert form.layout_.isRowVisible(form.editor("field_step"))
    assert not form.layout_.isRowVisible(form.editor("angle_step"))


def test_before_any_run_the_plot_offers_the_procedures_columns(window):
    plot = window.measure.plot
    window.measure.select_procedure("SwitchingLoop")
    assert plot.x_column.count() > 3
    assert (plot.x_column.currentText(), plot.y_column.currentText()) == \
        ("Pulse current (A)", "R_xx 2w (ohm)")
    assert plot.plot.getAxis("bottom").labelText == "Pulse current"
    assert plot.plot.getAxis("bottom").labelUnits == "A"  # pyqtgraph scales it (mA)
