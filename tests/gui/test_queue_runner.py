"""The queue view shows who runs its queue (pid, host, since) and does not start a queue
that another process is running."""

import os
import socket
import threading

from PyQt6.QtCore import Qt

from labspin.queue_lock import QueueLock

QUEUE = """
name: runner check
steps:
  - procedure: SwitchingLoop
    parameters: {max_pulse_current: 40 mA, pulse_steps: 3, readout: R_xy dc}
    sweep:
      - pulse_width: {values: [1 ms, 500 us]}
"""


def test_queue_view_shows_another_runner_and_refuses_to_start(window, session, tmp_path):
    path = tmp_path / "queue.yaml"
    path.write_text(QUEUE)
    panel = window.queue
    with QueueLock(session.catalog.data_dir, path):  # as another process would hold it
        assert panel.load(path)
        text = panel.runner_label.text()
        assert f"pid {os.getpid()} on {socket.gethostname()} since " in text
        assert not panel.run_button.isEnabled()
        assert not panel.run()
        assert "already running" in panel.message.text()
        assert not session.busy and session.catalog.query() == []  # nothing ran
    panel.refresh_runner()
    assert panel.runner_label.text() == "Not running now."
    assert panel.run_button.isEnabled()


def test_queue_view_shows_its_own_run_while_it_runs(qtbot, window, session, tmp_path):
    path = tmp_path / "queue.yaml"
    path.write_text(QUEUE)
    panel = window.queue
    assert panel.load(path)
    seen, looked = [], threading.Event()

    def look(queue_id: int, index: int) -> None:  # in the window's thread, after the view
        seen.append(panel.runner_label.text())
        looked.set()

    def hold(queue_id: int, index: int) -> None:  # in the worker: the run waits for a look
        looked.wait(10)
        looked.clear()

    session.queue_run_started.connect(look, Qt.ConnectionType.QueuedConnection)
    session.queue_run_started.connect(hold, Qt.ConnectionType.DirectConnection)
    assert panel.run()
    qtbot.waitUntil(lambda: not session.busy, timeout=60_000)
    qtbot.waitUntil(lambda: len(seen) == 2, timeout=5_000)
    assert all(f"Running in this window: pid {os.getpid()}" in t for t in seen), seen
    assert panel.runner_label.text() == "Not running now."
    assert [panel.status_of(i) for i in range(2)] == ["finished"] * 2
