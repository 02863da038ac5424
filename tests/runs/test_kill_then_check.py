"""After a ``kill -9`` mid-queue: what the status page says, and what the resume says it
found left on before it measures again.

The page once showed the dead queue "running" with "time left about 30 s" and the bench
"safe as of end of run 1" in green while a magnet was at 200 mT; the resume said nothing
of the magnet and the sine it found on. A real ``labspin queue run`` (forked from the
preloaded server, tests/runs/processes.py) is killed with SIGKILL in its second run. A
simulated bench dies with its process, so the resume opens a bench left as the killed
run leaves hardware: magnet x at 200 mT and the 6221's 5 mA sine running (OUTP? 0).
"""

import html
import http.client
import os
import re
import signal
import time

import pytest
import yaml
from click.testing import CliRunner

from labspin.cli import main
from labspin.stationfile import StationFile
from labspin.watch import start
from tests.runs import processes
from tests.runs.test_kill_and_resume import catalog_rows, data_lines

from .conftest import left_on_bench

HALL = {"field_axis": "z", "field_max": "50 mT", "field_step": "5 mT",
        "settle_time": "10 ms"}
UNKNOWN = ("unknown: the last run did not end; what it left on was not read back; run "
           "labspin station check")


def fragment(server) -> str:
    """The page's <main> as its script fetches it."""
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
    conn.request("GET", "/fragment")
    response = conn.getresponse()
    body = response.read().decode()
    conn.close()
    assert response.status == 200
    return body


def text(markup: str) -> str:
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", markup)).split())


def section(markup: str, name: str) -> str:
    return markup.split(f'<div id="{name}">', 1)[1].split("</section>", 1)[0]


def test_after_a_kill_the_page_says_interrupted_and_unknown_and_the_resume_says_what_it_found(
        tmp_path, paced_station, monkeypatch, request):
    queue = tmp_path / "night.yaml"
    queue.write_text(yaml.safe_dump({"name": "kill test", "steps": [{
        "procedure": "HallLoop", "parameters": HALL, "repeat": 3}]}))
    data = tmp_path / "data"
    command = ["queue", "run", str(queue), "--station", str(paced_station), "--data-dir",
               str(data)]
    proc = processes.start(command, tmp_path / "out.txt")
    deadline = time.monotonic() + 180
    killed = None
    while time.monotonic() < deadline and proc.poll() is None:
        running = [r for r in catalog_rows(data)
                   if r["status"] == "running" and r["queue_index"] == 1]
        if running and data_lines(running[0]["file"]) >= 2:
            killed = running[0]
            break
        time.sleep(0.02)
    assert killed is not None, proc.output()[-2000:]
    os.kill(proc.pid, signal.SIGKILL)
    assert proc.wait() == -signal.SIGKILL

    # the page: the queue interrupted with how to go on, no time left, the bench unknown
    server = start(data, "127.0.0.1", 0).serve_in_thread()
    request.addfinalizer(server.stop)
    page = fragment(server)
    said = text(section(page, "queue"))
    assert re.search(rf"status interrupted: the process running it \(pid {proc.pid}\) is gone "
                     r"\(kill -9 or a crash\) since about \d\d:\d\d; resume with labspin "
                     rf"queue run --resume {re.escape(str(queue.resolve()))} --data-dir "
                     rf"{re.escape(str(data.resolve()))} --station "
                     rf"{re.escape(str(paced_station.resolve()))}", said), said
    assert "time left" not in said and "status running" not in said
    bench = section(page, "bench")
    assert (f'<span class="unsafe">{UNKNOWN} {paced_station.resolve()} --data-dir '
            f'{data.resolve()}</span>') in bench, bench
    assert 'class="safe"' not in bench  # the state of the end of run 1 is not the bench's now
    assert f"run {killed['id']} (HallLoop): its process is gone" in text(bench)
    assert "time left —" in text(section(page, "running"))

    # the same liveness check as queue status (which marks the leftovers interrupted)
    status = CliRunner().invoke(main, ["queue", "status", str(queue), "--data-dir",
                                       str(data)], env={"COLUMNS": "200"})
    assert "interrupted" in status.output and "nobody runs it now" in status.output
    page = fragment(server)
    assert "resume with labspin queue run --resume" in text(section(page, "queue"))
    assert UNKNOWN in text(section(page, "bench"))

    # the resume, on the bench the killed run left on: it says what it found and what it
    # did, before the first run measures
    bench = left_on_bench()
    monkeypatch.setattr(StationFile, "build_bench", lambda self, *a, **k: bench)
    import labspin.queue_runner as queue_runner

    run_procedure = queue_runner.run_procedure
    at_start = []

    def first_look(procedure, station, *args, **kwargs):
        at_start.append((station.bench.coils["x"].current, station.bench.ac_source()))
        return run_procedure(procedure, station, *args, **kwargs)

    monkeypatch.setattr(queue_runner, "run_procedure", first_look)
    resumed = CliRunner().invoke(main, [*command, "--resume"], env={"COLUMNS": "200"})
    assert resumed.exit_code == 0, resumed.output[-3000:]
    out = resumed.output
    sine = ("Found: source (the current source) was driving a 5 mA sine at 1333 Hz (armed or "
            "running), left on by a previous process: aborted; it now reads off")
    magnet = ("Found: magnet x was at 200 mT (4 A), left on by a previous process: ramped to "
              "zero at 0.5 T/s and switched off; it now reads")
    assert sine in out and magnet in out, out
    assert out.index(magnet) < out.index("queue 1: 2 finished now, 1 before")
    assert at_start and all(current == pytest.approx(0, abs=1e-9) and ac is None
                            for current, ac in at_start)  # the bench's own state
    page = fragment(server)
    assert UNKNOWN not in page and "interrupted:" not in text(section(page, "queue"))
    assert '<span class="safe">safe</span>' in section(page, "bench")
