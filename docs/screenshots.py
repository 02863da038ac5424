"""Screenshots of the probe-station window for README, made offscreen on the simulated bench.

    python docs/screenshots.py [--out docs]

Runs a switching loop from the Measure view, builds a pulse-width queue in the Queue
view (a sweep of the Measure view's loop, saved as a queue file) and runs it, types a
pulse current beyond the station limits to show the refusal under its box, checks the
instruments in the Station view, opens a loop in Past runs and shows the log: each view
saved as a PNG at the window's default size. Real measurements on the simulated bench
(virtual clock), nothing staged; about half a minute.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from labspin.gui.app import application, grab, settle

ROOT = Path(__file__).resolve().parents[1]


def wait_idle(app, session, timeout: float = 300.0) -> None:
    end = time.monotonic() + timeout
    while session.busy and time.monotonic() < end:
        app.processEvents()
        time.sleep(0.01)
    settle(app, 20)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs")
    args = parser.parse_args()
    app = application()
    from labspin.gui.main_window import MainWindow
    from labspin.gui.session import StationSession
    from labspin.runs import Catalog
    from labspin.station import Station

    with tempfile.TemporaryDirectory() as tmp:
        catalog = Catalog(Path(tmp) / "data")
        session = StationSession(Station.open(ROOT / "examples" / "station-sim.yaml"), catalog)
        window = MainWindow(session)
        window.show()
        settle(app, 20)

        measure = window.measure
        measure.select_procedure("SwitchingLoop")
        measure.set_parameters({"max_pulse_current": 0.04, "pulse_steps": 25,
                                "pulse_width": 1e-3})
        measure.run_current()
        wait_idle(app, session)

        queue = window.queue
        queue.builder.choose(0, "pulse_width", "100 us, 300 us, 1 ms")
        queue.builder.name.setText("pulse-width sweep")
        queue.builder.replan()
        queue.builder.save(Path(tmp) / "pulse-width-sweep.yaml")
        queue.run()
        wait_idle(app, session)
        window.show_view("queue")
        settle(app, 20)
        print(grab(window, args.out / "gui-queue.png"))

        measure.form.type_text("max_pulse_current", "150 mA")  # beyond the 100 mA limit
        window.show_view("measure")
        settle(app, 20)
        print(grab(window, args.out / "gui-measure.png"))
        measure.set_parameters({"max_pulse_current": 0.04})

        session.station.magnet("y").ramp_to(0.02)
        window.station_panel.check_instruments()
        window.station_panel.refresh()
        window.show_view("station")
        settle(app, 20)
        print(grab(window, args.out / "gui-station.png"))
        window.station_panel.make_safe()
        wait_idle(app, session)  # Make safe runs on the worker thread

        window.show_view("runs")
        first = catalog.query(procedure="SwitchingLoop")[0]
        window.runs.select_run(first.id)
        settle(app, 20)
        print(grab(window, args.out / "gui-runs.png"))

        window.show_view("log")
        settle(app, 20)
        print(grab(window, args.out / "gui-log.png"))

        window.close()
        catalog.close()


if __name__ == "__main__":
    main()
