"""Starting the window: open the catalog and the station, show, and always close safely.

``labspin gui --sim --screenshot FILE`` renders the window offscreen to a PNG and exits,
for documentation and checks without a display.

Before Qt opens an X display, :func:`check_display` looks for the system libraries Qt's
xcb platform plugin needs and for the X server itself: without them Qt aborts the
process with a plugin message; here the user is told which packages to install, or how
to run without a display.
"""

from __future__ import annotations

import ctypes
import os
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import click

#: the libraries Qt's xcb plugin (PyQt6-Qt6 6.11) and its Qt libraries load from the
#: system, with the Debian/Ubuntu package of each: ``ldd`` on
#: PyQt6/Qt6/plugins/platforms/libqxcb.so and libQt6XcbQpa/Gui/Core, less what a minimal
#: Debian 12 has (README, "The probe-station window")
XCB_LIBRARIES = {
    "libxcb.so.1": "libxcb1", "libX11.so.6": "libx11-6", "libX11-xcb.so.1": "libx11-xcb1",
    "libxcb-cursor.so.0": "libxcb-cursor0", "libxcb-icccm.so.4": "libxcb-icccm4",
    "libxcb-image.so.0": "libxcb-image0", "libxcb-keysyms.so.1": "libxcb-keysyms1",
    "libxcb-randr.so.0": "libxcb-randr0", "libxcb-render.so.0": "libxcb-render0",
    "libxcb-render-util.so.0": "libxcb-render-util0", "libxcb-shape.so.0": "libxcb-shape0",
    "libxcb-shm.so.0": "libxcb-shm0", "libxcb-sync.so.1": "libxcb-sync1",
    "libxcb-util.so.1": "libxcb-util1", "libxcb-xfixes.so.0": "libxcb-xfixes0",
    "libxcb-xkb.so.1": "libxcb-xkb1", "libxkbcommon.so.0": "libxkbcommon0",
    "libxkbcommon-x11.so.0": "libxkbcommon-x11-0", "libEGL.so.1": "libegl1",
    "libGL.so.1": "libgl1", "libfontconfig.so.1": "libfontconfig1",
    "libfreetype.so.6": "libfreetype6", "libglib-2.0.so.0": "libglib2.0-0",
    "libgthread-2.0.so.0": "libglib2.0-0", "libdbus-1.so.3": "libdbus-1-3",
}
_NO_DISPLAY = ("or run without a display: QT_QPA_PLATFORM=vnc labspin gui ... serves the "
               "window to a VNC viewer, and labspin gui ... --screenshot FILE renders it to a "
               "PNG")


class DisplayError(click.ClickException):
    """The window cannot open on this display; the message says what to install or how
    to run it otherwise (a ClickException: the CLI prints it without a traceback)."""


def missing_libraries(libraries: Mapping[str, str] = XCB_LIBRARIES) -> dict[str, str]:
    """The libraries of ``libraries`` (soname -> package) the dynamic loader cannot load."""
    missing = {}
    for soname, package in libraries.items():
        try:
            ctypes.CDLL(soname)
        except OSError:
            missing[soname] = package
    return missing


def _x_server_answers(display: str) -> bool:
    xcb = ctypes.CDLL("libxcb.so.1")
    xcb.xcb_connect.restype = ctypes.c_void_p
    xcb.xcb_connect.argtypes = [ctypes.c_char_p, ctypes.c_void_p]
    xcb.xcb_connection_has_error.argtypes = [ctypes.c_void_p]
    xcb.xcb_disconnect.argtypes = [ctypes.c_void_p]
    connection = xcb.xcb_connect(display.encode(), None)
    try:
        return connection is not None and xcb.xcb_connection_has_error(connection) == 0
    finally:
        if connection is not None:
            xcb.xcb_disconnect(connection)


def check_display(environ: Mapping[str, str] | None = None,
                  libraries: Mapping[str, str] = XCB_LIBRARIES) -> None:
    """Raise :class:`DisplayError` when Qt would open an X display (Linux, ``DISPLAY``
    set, no other platform chosen) but a library of its xcb plugin is missing or the X
    server does not answer."""
    env = os.environ if environ is None else environ
    platform = env.get("QT_QPA_PLATFORM", "")
    if not sys.platform.startswith("linux") or not env.get("DISPLAY") \
            or (platform and not platform.startswith("xcb")) \
            or (not platform and env.get("WAYLAND_DISPLAY")):
        return
    missing = missing_libraries(libraries)
    if missing:
        packages = " ".join(sorted(set(missing.values())))
        raise DisplayError(
            f"the window needs system libraries Qt's X11 (xcb) plugin loads, and "
            f"{', '.join(missing)} cannot be loaded. On Debian or Ubuntu: sudo apt-get "
            f"install {packages} (README, 'The probe-station window', lists them all); "
            + _NO_DISPLAY)
    if not _x_server_answers(env["DISPLAY"]):
        raise DisplayError(
            f"no X server answers on DISPLAY={env['DISPLAY']}: over SSH connect with "
            f"ssh -X (or -Y) and check that xauth is installed on this machine; "
            + _NO_DISPLAY)


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
    check_display()
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
