"""The Measure view's Sample box and stage-temperature box on a chip station."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from labspin.analysis.loaders import load_run
from labspin.station import Station

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def stage_box(panel):
    """The Measure view's stage-temperature box (a QLineEdit)."""
    form = getattr(panel, "form", None)
    if form is not None and hasattr(form, "editor"):
        return form.editor("stage_temperature")
    return panel.inputs.stage_temperature


@pytest.fixture
def chip_window(qtbot, catalog, tmp_path):
    from labspin.gui.main_window import MainWindow
    from labspin.gui.session import StationSession

    data = yaml.load((EXAMPLES / "station-chip.yaml").read_text(), Loader=yaml.CSafeLoader)
    data["samples"][1]["width"] = "1 um"  # chip7-NiO3: a narrow bar
    path = tmp_path / "chip.yaml"
    path.write_text(yaml.safe_dump(data))
    session = StationSession(Station.open(path, sim=True), catalog)
    win = MainWindow(session)
    qtbot.addWidget(win)
    win.show()
    yield win, session
    session.close()


def test_the_sample_box_lists_the_bars_and_the_run_measures_the_one_chosen(qtbot,
                                                                           chip_window):
    win, session = chip_window
    panel = win.measure
    ids = [panel.sample_combo.itemText(i) for i in range(panel.sample_combo.count())]
    assert ids == ["chip7-NiO1.5", "chip7-NiO3", "chip7-NiO8", "chip7-ref"]
    assert panel.sample_combo.currentText() == "chip7-NiO1.5" and panel.sample_combo.isEnabled()
    panel.select_procedure("HallLoop")
    panel.set_parameters({"field_axis": "y", "field_max": 0.02, "field_step": 0.01})
    panel.sample_combo.setCurrentText("chip7-NiO8")
    assert stage_box(panel).text() == "off"  # the window's box says it plainly
    with qtbot.waitSignal(session.run_finished, timeout=60_000) as finished:
        assert panel.run_current()
    qtbot.waitUntil(lambda: not session.busy, timeout=60_000)
    record = finished.args[0]
    assert record.status == "finished", record.error
    assert record.sample == "chip7-NiO8"
    run = load_run(record.file)
    assert run.metadata["Sample"] == "chip7-NiO8"
    assert run.metadata["AFMI thickness"] == pytest.approx(8e-9)
    assert run.parameters["Stage temperature"] == "off"


def test_limits_follow_the_bar_chosen_in_the_window(chip_window):
    win, session = chip_window
    panel = win.measure
    panel.select_procedure("SwitchingLoop")
    # 30 mA: 1.2e12 A/m^2 through 5 um x 5 nm, 6e12 A/m^2 through the 1 um bar
    panel.set_parameters({"max_pulse_current": 0.03, "pulse_steps": 10, "pulse_width": 1e-3})
    assert panel.make_procedure() is not None
    panel.sample_combo.setCurrentText("chip7-NiO3")
    assert panel.make_procedure() is None
    assert "density" in panel.message.text()
    assert session.catalog.query() == []


def test_a_stage_temperature_typed_with_its_unit_is_taken(chip_window):
    win, _ = chip_window
    panel = win.measure
    panel.select_procedure("HallLoop")
    stage_box(panel).setText("310 K")
    assert panel.make_procedure().stage_temperature == 310.0
    stage_box(panel).setText("warm")
    assert panel.make_procedure() is None
    assert "'warm' is not a number" in panel.message.text()
