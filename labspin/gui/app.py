"""Starting the window: open the catalog and the station, show, and always close safely.

``labspin gui --sim --screenshot FILE`` renders the window offscreen to a PNG and exits,
for documentation and checks without a display.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any


def application() -> Any:
    """The process's QApplication (created once; offscreen when there is no display)."""
    if not os.environ.get("DISPLAY") and not os.environ.get("WAYLAND_DISPLAY") \
            and sys.platform.startswith("linux"):
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PyQt6.QtWidgets import QApplication

    app = QApplication.instance()
    if app is None:
        app = QApplication(sys.argv[:1])
        app.setApplicationName("labspin")
    return app


def settle(app: Any, rounds: int = 5) -> None:
    """Let queued events and layouts run (before a screenshot)."""
    for _ in range(rounds):
        app.processEvents()


def grab(window: Any, path: str | Path) -> Path:
    """Save what ``window`` shows as a PNG."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    if not window.grab().save(str(path), "PNG"):
        raise OSError(f"could not write the screenshot {path}")
    return path


def run_gui(*, station_file: str | None, sim: bool, preset: str | None, seed: int | None,
            data_dir: str, realtime: bool = False, view: str = "measure",
            screenshot: str | None = None, fit_options: dict[str, Any] | None = None) -> int:
    """Open the station and the window; returns the exit code. Errors opening the station
    or the catalog propagate (the CLI turns them into one clear message)."""
    if screenshot:
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    app = application()
    from labspin.gui.main_window import MainWindow
    from labspin.gui.session import StationSession
    from labspin.runs import Catalog
    from labspin.station import Station

    catalog = Catalog(data_dir)
    catalog.mark_interrupted()
    try:
        station = Station.open(station_file, sim=sim, preset=preset, seed=seed,
                               realtime=realtime if (sim or station_file is None) else None)
    except BaseException:
        catalog.close()
        raise
    session = StationSession(station, catalog)
    window = MainWindow(session, fit_options=fit_options)
    try:
        window.show_view(view)
        window.show()
        if screenshot:
            settle(app)
            grab(window, screenshot)
            return 0
        return int(app.exec())
    finally:
        window.close()  # stops any run, makes safe, closes the station
        session.close()
        catalog.close()
