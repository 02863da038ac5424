"""labspin watch over plain HTTP: what the page's data says during a night, that nothing
on it acts, and that an address off the loopback needs the printed token."""

from __future__ import annotations

import hashlib
import http.client
import json
import os
import re
import signal
import socket

import pytest

from labspin.watch import start

from .conftest import PAUSE_ROW


def get(server, path, headers=None, method="GET"):
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
    conn.request(method, path, headers=headers or {})
    response = conn.getresponse()
    body = response.read()
    conn.close()
    return response, body


@pytest.fixture
def serve():
    servers = []

    def make(data_dir, host="127.0.0.1"):
        server = start(data_dir, host, 0).serve_in_thread()
        servers.append(server)
        return server

    yield make
    for server in servers:
        server.stop()


def test_the_status_follows_a_queue_mid_run_and_to_its_end(night, serve):
    server = serve(night.data_dir)
    response, body = get(server, "/api/status")
    assert response.status == 200
    status = json.loads(body)
    queue = status["queue"]
    assert (queue["name"], queue["status"], queue["total"]) == ("Hall loops", "running", 3)
    assert queue["finished"] == 1 and queue["progress"] == pytest.approx(1 / 3)
    assert queue["current"]["index"] == 1 and queue["current"]["label"].startswith("z loops")
    assert queue["time_left"] > 0 and "measured pace" in queue["time_left_basis"]
    running = status["running"]
    assert running["procedure"] == "HallLoop" and running["process_alive"] is True
    assert running["rows"] == PAUSE_ROW and running["planned"] == 22
    assert running["progress"] == pytest.approx(PAUSE_ROW / 22)
    assert running["last_row"]["Field (T)"] == pytest.approx(-0.02, abs=2e-3)
    first = next(r for r in status["last_runs"] if r["status"] == "finished")
    assert any(q.startswith("R_AHE = ") for q in first["fit"]["quantities"])
    bench = status["bench"]
    assert bench["after_run"] == first["id"] and bench["safe"] is True
    assert bench["outputs"]["source output"] is False
    assert bench["temperature"] == pytest.approx(300.0, abs=0.5)
    response, png = get(server, f"/plot.png?run={running['id']}")
    assert response.status == 200 and png.startswith(b"\x89PNG")
    html = get(server, "/")[1].decode()  # the page itself holds the data (no script needed)
    assert "1 of 3 runs finished, 0 failed" in html and f"{PAUSE_ROW} of 22" in html
    assert "R_AHE = " in html and f'plot.png?run={running["id"]}' in html

    night.release()
    status = json.loads(get(server, "/api/status")[1])
    assert status["running"] is None
    assert status["queue"]["status"] == "finished" and status["queue"]["finished"] == 3
    assert status["catalog"]["by_status"] == {"finished": 3}
    assert status["bench"]["temperature"] == pytest.approx(310.0, abs=0.5)


def test_nothing_on_the_page_acts_and_the_catalog_is_not_written(night, serve):
    night.release()
    catalog = night.data_dir / "catalog.sqlite"
    before = hashlib.sha256(catalog.read_bytes()).hexdigest()
    server = serve(night.data_dir)
    _, html = get(server, "/")
    _, script = get(server, "/app.js")
    for tag in (b"<form", b"<button", b"<input", b"<select", b"<textarea"):
        assert tag not in html.lower()
    assert b"method" not in script and b"POST" not in script  # the script only reads
    for method in ("POST", "PUT", "DELETE", "PATCH"):
        for path in ("/", "/api/status", "/plot.png?run=1"):
            response, _ = get(server, path, method=method)
            assert response.status == 405 and response.getheader("Allow") == "GET, HEAD"
    for path in ("/", "/api/status", "/plot.png?run=2", "/style.css"):
        assert get(server, path)[0].status == 200
    assert get(server, "/../catalog.sqlite")[0].status == 404
    assert hashlib.sha256(catalog.read_bytes()).hexdigest() == before


def test_off_the_loopback_the_page_needs_the_token(night, serve):
    night.release()
    server = serve(night.data_dir, host="0.0.0.0")
    assert server.token and len(server.token) >= 32
    assert f"?token={server.token}" in server.url
    for path in ("/", "/api/status", "/plot.png?run=1"):
        response, body = get(server, path)
        assert response.status == 403 and b"access token" in body
    assert get(server, "/api/status?token=wrong")[0].status == 403
    response, _ = get(server, f"/?token={server.token}")
    assert response.status == 200
    cookie = response.getheader("Set-Cookie")
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie
    response, body = get(server, "/api/status", {"Cookie": cookie.split(";")[0]})
    assert response.status == 200 and json.loads(body)["queue"]["finished"] == 3
    assert serve(night.data_dir, host="0.0.0.0").token != server.token  # random per start


def test_the_loopback_needs_no_token(tmp_path, serve, night):
    server = serve(night.data_dir)
    assert server.token is None and get(server, "/api/status")[0].status == 200


def test_the_command_prints_the_url_with_a_token_and_stops_on_sigterm(night, tmp_path):
    """``labspin watch`` in a process of its own (forked from the suite's preloaded
    forkserver, tests/runs/processes.py: its own pid and signal handlers), as a user
    starts it: the URL with a token, the page behind it, and SIGTERM ends it cleanly."""
    import time

    from tests.runs import processes

    night.release()
    process = processes.start(["watch", "--data-dir", str(night.data_dir), "--host",
                               "0.0.0.0", "--port", "0"], tmp_path / "watch.txt")
    try:
        deadline = time.monotonic() + 60
        line = ""
        while "token=" not in line and time.monotonic() < deadline \
                and process.poll() is None:
            line = process.output()
            time.sleep(0.02)  # waiting for another process: real time
        # bound to every interface, it names this machine (0.0.0.0 opens nothing elsewhere)
        match = re.search(r"http://([^/:]+):(\d+)/\?token=([\w-]+)", line)
        assert match, line
        host, port, token = match.groups()
        assert host == socket.gethostname()
        conn = http.client.HTTPConnection("127.0.0.1", int(port), timeout=10)
        conn.request("GET", f"/api/status?token={token}")
        assert conn.getresponse().status == 200
        conn.close()
    finally:
        if process.poll() is None:
            os.kill(process.pid, signal.SIGTERM)
        code = process.wait(30)
    assert code == 0 and "Traceback" not in process.output()


def test_watch_started_before_the_night_waits_for_its_first_run(tmp_path, serve):
    """The natural order: start the watcher, then the night. The page says it waits,
    creates nothing in the folder, and shows the first run once the catalog exists."""
    from labspin.runs import Catalog

    data = tmp_path / "night"
    server = serve(data)
    response, body = get(server, "/")
    assert response.status == 200 and "no run yet in" in body.decode()
    assert not data.exists()  # the watcher never writes
    catalog = Catalog(data)
    catalog.create_run("HallLoop", {}, "first-bar")
    catalog.close()
    _, body = get(server, "/")
    assert "no run yet" not in body.decode() and "first-bar" in body.decode()


def test_a_file_given_as_data_folder_is_a_message(tmp_path):
    from click.testing import CliRunner

    from labspin.cli import main

    (tmp_path / "file").write_text("x")
    result = CliRunner().invoke(main, ["watch", "--data-dir", str(tmp_path / "file")])
    assert result.exit_code != 0 and "is a file" in result.output  # click says so
    assert "Traceback" not in result.output


def test_text_from_the_catalog_is_shown_as_text_not_markup(tmp_path, serve):
    from labspin.runs import Catalog

    catalog = Catalog(tmp_path)
    run = catalog.create_run("HallLoop", {}, "<b>sample</b>")
    catalog.finish_run(run, "failed", "<script>alert('x')</script><img src=x onerror=alert(1)>")
    catalog.close()
    server = serve(tmp_path)
    for path in ("/", "/fragment"):
        html = get(server, path)[1].decode()
        assert "<script>alert" not in html and "<img src=x" not in html
        assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in html
        assert "&lt;b&gt;sample&lt;/b&gt;" in html
