"""Without the system libraries of Qt's xcb plugin, or without an X server, ``labspin gui``
says what to install or how to run without a display, instead of Qt aborting."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from labspin.gui.app import XCB_LIBRARIES, DisplayError, check_display, missing_libraries

QXCB = Path(sys.prefix) / "lib" / f"python{sys.version_info.major}.{sys.version_info.minor}" \
    / "site-packages" / "PyQt6" / "Qt6" / "plugins" / "platforms" / "libqxcb.so"


def test_a_missing_library_names_the_package_to_install():
    libraries = {**XCB_LIBRARIES, "libxcb-nothing.so.7": "libxcb-nothing7"}
    assert missing_libraries(libraries) == {"libxcb-nothing.so.7": "libxcb-nothing7"}
    with pytest.raises(DisplayError) as raised:
        check_display({"DISPLAY": ":0"}, libraries)
    text = raised.value.message
    assert "libxcb-nothing.so.7" in text and "sudo apt-get install libxcb-nothing7" in text
    assert "QT_QPA_PLATFORM=vnc" in text and "--screenshot" in text


@pytest.mark.parametrize("environ", [{}, {"DISPLAY": ":0", "QT_QPA_PLATFORM": "offscreen"},
                                     {"DISPLAY": ":0", "WAYLAND_DISPLAY": "wayland-0"}])
def test_no_check_when_qt_will_not_use_x11(environ):
    check_display(environ, {"libxcb-nothing.so.7": "libxcb-nothing7"})  # does not raise


def test_no_x_server_says_how_to_forward_x_over_ssh(tmp_path):
    with pytest.raises(DisplayError) as raised:  # a display number nobody serves
        check_display({"DISPLAY": str(tmp_path / "no-such-socket") + ":0"})
    assert "ssh -X" in raised.value.message and "no X server" in raised.value.message


@pytest.mark.skipif(not QXCB.exists(), reason="PyQt6's xcb plugin is not installed")
def test_the_list_covers_what_the_xcb_plugin_links_from_the_system():
    """Every library the plugin links that is not Qt's own or part of a minimal system
    (libc, libstdc++, zlib, zstd) is in XCB_LIBRARIES, so the check and README agree."""
    needed = subprocess.run(["readelf", "-d", str(QXCB)], capture_output=True, text=True,
                            check=True).stdout
    names = {line.split("[")[1].split("]")[0] for line in needed.splitlines()
             if "(NEEDED)" in line}
    base = {"libc.so.6", "libm.so.6", "libstdc++.so.6", "libgcc_s.so.1", "libz.so.1",
            "libzstd.so.1", "ld-linux-x86-64.so.2", "libpthread.so.0", "libdl.so.2"}
    outside = {n for n in names if not n.startswith("libQt6") and n not in base}
    assert outside <= set(XCB_LIBRARIES), outside - set(XCB_LIBRARIES)


def test_labspin_gui_prints_the_packages_instead_of_aborting(tmp_path):
    broken = tmp_path / "lib"
    broken.mkdir()
    (broken / "libxcb-cursor.so.0").write_bytes(b"")  # as if the package were missing
    env = {**os.environ, "DISPLAY": ":0", "LD_LIBRARY_PATH": str(broken)}
    env.pop("QT_QPA_PLATFORM", None)
    env.pop("WAYLAND_DISPLAY", None)
    result = subprocess.run([sys.executable, "-m", "labspin", "gui", "--sim", "--data-dir",
                             str(tmp_path / "data")], env=env, capture_output=True,
                            text=True, timeout=120)
    assert result.returncode == 1, result.stderr
    assert "sudo apt-get install libxcb-cursor0" in result.stderr
    assert "Traceback" not in result.stderr and "Aborted" not in result.stderr
    assert not (tmp_path / "data").exists()  # nothing opened before the check
