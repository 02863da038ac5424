"""While a queue runs, the Measure view follows it: the live plot's title and legend name
the run that is running (catalog number, place in the queue from 1, the settings that
vary), its parameters are shown above the plot, and both progress bars move."""

from __future__ import annotations

import pytest
from PyQt6.QtCore import Qt

QUEUE = """
name: six widths
steps:
  - procedure: SwitchingLoop
    parameters: {max_pulse_current: 40 mA, pulse_steps: 3, readout: R_xy dc}
    sweep:
      - pulse_width: {values: [1 ms, 800 us, 600 us, 400 us, 200 us, 100 us]}
"""
WIDTHS = ["1 ms", "800 µs", "600 µs", "400 µs", "200 µs", "100 µs"]


def test_a_queue_run_is_named_by_number_and_place_in_title_legend_and_details(
        qtbot, window, session, tmp_path):
    path = tmp_path / "queue.yaml"
    path.write_text(QUEUE)
    window.measure.select_procedure("HallLoop")  # the form shows something else
    assert window.queue.load(path)
    plot = window.measure.plot
    seen = []

    def look(info):  # connected after the Measure view: sees what the user sees
        seen.append((info.run_id, plot.title.text(), plot.details.text(),
                     plot.legend_names()))

    session.run_started.connect(look)
    assert window.queue.run()
    qtbot.waitUntil(lambda: not session.busy, timeout=60_000)
    qtbot.waitUntil(lambda: len(seen) == 6, timeout=5_000)
    records = session.catalog.query()
    assert [r.status for r in records] == ["finished"] * 6
    for position, ((run_id, title, details, legend), record, width) in enumerate(
            zip(seen, records, WIDTHS, strict=True), start=1):
        assert run_id == record.id
        assert f"Run {record.id}" in title and f"run {position} of 6" in title
        assert "six widths" in title and "SwitchingLoop" in title
        assert f"Pulse width {width}" in details and "Maximum pulse current 40 mA" in details
        assert legend[-1] == f"{record.id}: Pulse width {width}"
        assert len(legend) == min(position, 4)  # four curves kept, none stale
    # after the queue: the last four runs, each under its own number
    assert plot.legend_names() == [f"{r.id}: Pulse width {w}"
                                   for r, w in zip(records[2:], WIDTHS[2:], strict=True)]
    assert "finished, 13 rows" in plot.title.text()
    # the queue view numbers its rows from 1 and names the catalog run of each
    table = window.queue.table
    assert [table.item(i, 0).text() for i in range(6)] == [str(i) for i in range(1, 7)]
    assert [table.item(i, 6).text() for i in range(6)] == [str(r.id) for r in records]
    assert table.item(2, 3).text() == "Pulse width 600 µs"
    # Past runs counts the queue's runs from 1 too
    window.show_view("runs")
    model = window.runs._table.model
    assert sorted(model._text(r, 6) for r in records) == \
        sorted(f"{records[0].queue_id} #{i}" for i in range(1, 7))


def test_progress_moves_during_a_queue_run(qtbot, window, session, tmp_path):
    path = tmp_path / "queue.yaml"
    path.write_text(QUEUE.replace("pulse_steps: 3", "pulse_steps: 6")
                    .replace("600 us, 400 us, 200 us, 100 us", "600 us"))
    assert window.queue.load(path)
    measure_bar, queue_bar = window.measure.progress, window.queue.progress
    seen: list[tuple[int, int, str]] = []
    session.progress.connect(lambda p: seen.append(
        (measure_bar.value(), queue_bar.value(), window.measure.status.text())))
    assert window.queue.run()
    qtbot.waitUntil(lambda: not session.busy, timeout=60_000)
    qtbot.waitUntil(lambda: len(seen) >= 3 * 25, timeout=5_000)
    measure = [m for m, _, _ in seen]
    assert any(0 < m < 100 for m in measure)  # not stuck at 0 %
    assert max(measure) == 100
    queue_values = [q for _, q, _ in seen]
    assert queue_values == sorted(queue_values)  # the queue's bar only moves forward
    assert queue_values[-1] == 300 and 100 < queue_values[len(queue_values) // 2] < 200
    assert any("queue run 2 of 3" in s and "%" in s for _, _, s in seen)


def test_runs_to_do_are_named_by_catalog_number(qtbot, window, session):
    panel = window.measure
    panel.select_procedure("SwitchingLoop")
    panel.set_parameters({"max_pulse_current": 0.04, "pulse_steps": 3})
    titles = []
    session.run_started.connect(lambda info: titles.append(panel.plot.title.text()),
                                Qt.ConnectionType.QueuedConnection)
    for _ in range(2):
        with qtbot.waitSignal(session.run_finished, timeout=60_000):
            assert panel.run_current()
        qtbot.waitUntil(lambda: not session.busy, timeout=60_000)
    ids = [r.id for r in session.catalog.query()]
    assert panel.plot.legend_names() == [f"{i}: SwitchingLoop" for i in ids]
    assert all(f"Run {i}" in t for i, t in zip(ids, titles, strict=True))
    assert panel.plot.use_button.isEnabled()


@pytest.mark.parametrize("width", [2e-4])
def test_the_running_runs_parameters_go_back_into_the_form(qtbot, window, session, width):
    panel = window.measure
    panel.select_procedure("SwitchingLoop")
    panel.set_parameters({"max_pulse_current": 0.04, "pulse_steps": 3, "pulse_width": width})
    with qtbot.waitSignal(session.run_finished, timeout=60_000):
        panel.run_current()
    qtbot.waitUntil(lambda: not session.busy, timeout=60_000)
    panel.select_procedure("HallLoop")
    panel.plot.use_button.click()
    assert panel.procedure_name == "SwitchingLoop"
    assert panel.form.editor("pulse_width").text() == "200 µs"
    assert panel.update_estimate().values["pulse_width"] == width
    assert panel.message.level == "ok" and "run 1" in panel.message.text()
