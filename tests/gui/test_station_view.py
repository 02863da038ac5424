"""The Station view shows every limit the station file sets (generated from the limits
model, so none can be missed) and, from the start, each instrument's *IDN? reply."""

from labspin.stationfile import Limits


def test_every_limit_of_the_station_file_is_shown(window_with_faults):
    win, _ = window_with_faults({})
    shown = win.station_panel.limit_labels
    assert set(shown) == {f"limits.{key}" for key in Limits.model_fields}
    # examples/station-sim.yaml's own values, as a person reads them
    assert shown["limits.max_rf_power"].text() == "15 dBm"
    assert shown["limits.rf_frequency_range"].text() == "1 GHz to 20 GHz"
    assert shown["limits.max_temperature"].text() == "400 K"
    assert shown["limits.max_current"].text() == "100 mA"
    assert shown["limits.max_field"].text() == "x: 500 mT, y: 500 mT, z: 300 mT"


def test_a_station_without_rf_limits_says_no_rf_may_be_sent():
    from labspin.gui.station_limits import limit_rows

    limits = Limits(max_current=0.1, max_current_density=1e12, max_ramp_rate=0.5,
                    max_pulse_width=1e-3, max_pulse_energy=1e-3)
    rows = {key: text for _, text, key in limit_rows(limits)}
    assert rows["limits.max_rf_power"] == "not set: no RF may be sent"
    assert rows["limits.max_field"] == "none set"


def test_the_answers_column_shows_the_idn_reply_before_any_check(window, session):
    table = window.station_panel.instruments
    answers = {table.item(row, 0).text(): table.item(row, 3).text()
               for row in range(table.rowCount())}
    assert set(answers) == set(session.station.instruments)
    assert answers["voltmeter"].startswith("KEITHLEY INSTRUMENTS INC.,MODEL 2182A")
    assert all(text and text != "opened" for text in answers.values())


def test_the_queue_builder_says_which_run_has_pulses_of_both_signs(window):
    """A sweep that gives one run of mixed pulse signs: the builder's status names the run
    and the conflict (it once escaped from the planner as a traceback)."""
    window.measure.select_procedure("SwitchingProbability")
    builder = window.queue.builder
    builder.choose(0, "amplitude_min", "25 mA, -30 mA")
    assert builder.replan() is None
    status = builder.status.text()
    assert "run 2" in status and "must all have the same sign" in status
    assert not builder.save_button.isEnabled()
