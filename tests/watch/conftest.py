"""A real SMTP server on the loopback, and station files that notify through it."""

from __future__ import annotations

import secrets
import socket
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from pathlib import Path

import pytest
import yaml

from labspin.procedures import PROCEDURES
from labspin.station import EXAMPLES

PASSWORD_VARIABLE = "LABSPIN_TEST_SMTP_PASSWORD"


@dataclass
class Mailbox:
    """What the SMTP server received: one parsed message per mail."""

    port: int
    password: str
    messages: list = field(default_factory=list)
    logins: list = field(default_factory=list)

    @property
    def url(self) -> str:
        return (f"mailto://lab:${{{PASSWORD_VARIABLE}}}@127.0.0.1:{self.port}"
                "?from=bench@example.org&to=night-owl@example.org&mode=insecure")

    def bodies(self) -> list[str]:
        return [m.get_body(preferencelist=("plain",)).get_content().replace("\r\n", "\n")
                for m in self.messages]

    def subjects(self) -> list[str]:
        return [str(m["Subject"]) for m in self.messages]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def mailbox(monkeypatch):
    """aiosmtpd on 127.0.0.1 that accepts only user 'lab' with a random password, which
    the test exports as an environment variable (as a user would)."""
    from aiosmtpd.controller import Controller
    from aiosmtpd.smtp import AuthResult, LoginPassword

    box = Mailbox(free_port(), secrets.token_hex(12))

    class Handler:
        async def handle_DATA(self, server, session, envelope):
            box.messages.append(message_from_bytes(envelope.content, policy=policy.default))
            return "250 OK"

    def authenticate(server, session, envelope, mechanism, data):
        ok = isinstance(data, LoginPassword) and data.login == b"lab" \
            and data.password == box.password.encode()
        box.logins.append(ok)
        return AuthResult(success=ok)

    controller = Controller(Handler(), hostname="127.0.0.1", port=box.port,
                            authenticator=authenticate, auth_require_tls=False)
    controller.start()
    monkeypatch.setenv(PASSWORD_VARIABLE, box.password)
    # apprise spaces messages to one service 5.5 s apart (kind to real servers); the
    # test's own server needs no such care (raising=True: fails if apprise drops it)
    import apprise

    monkeypatch.setattr(apprise.NotifyBase, "request_rate_per_sec", 0.0)
    yield box
    controller.stop()


def station_file(tmp_path: Path, notify: dict | None = None, preset: str | None = None,
                 **changes) -> Path:
    """examples/station-sim.yaml with a notify section, another simulated device (and
    other top-level changes)."""
    data = yaml.load((EXAMPLES / "station-sim.yaml").read_text(encoding="utf-8"),
                     Loader=yaml.CSafeLoader)
    if notify is not None:
        data["notify"] = notify
    if preset is not None:  # with that device's own bar
        from labspin.station import default_sim_config

        data["sim"]["preset"] = preset
        sample = default_sim_config(preset).sample.model_dump(exclude_none=True)
        data["sample"] = {key: value for key, value in sample.items()
                          if key in ("id", "stack", "width", "length", "fm_thickness",
                                     "conducting_thickness", "two_terminal_resistance")}
    data.update(changes)
    path = tmp_path / "station.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    return path


@pytest.fixture
def test_procedures(monkeypatch):
    monkeypatch.setitem(PROCEDURES, "ReadResistance",
                        "tests.runs.procedures_for_tests:ReadResistance")
    monkeypatch.setitem(PROCEDURES, "FieldThenDrop",
                        "tests.watch.procedures_for_watch:FieldThenDrop")


def files_containing(folder: Path, text: str) -> list[Path]:
    """Every file under ``folder`` whose bytes contain ``text``."""
    needle = text.encode()
    return [p for p in folder.rglob("*") if p.is_file() and needle in p.read_bytes()]


@dataclass
class Night:
    """A queue running in a thread on the simulated bench, held mid-run."""

    data_dir: Path
    queue_file: Path
    gate: object
    reached: object
    thread: object
    outcome: list = field(default_factory=list)
    errors: list = field(default_factory=list)

    def release(self, timeout: float = 60) -> None:
        self.gate.set()
        self.thread.join(timeout)
        assert not self.thread.is_alive(), "the queue did not finish"
        assert not self.errors, self.errors


HALL = {"field_max": "50 mT", "field_step": "10 mT"}  # 22 rows per loop
PAUSE_RUN, PAUSE_ROW = 1, 8


@pytest.fixture
def night(tmp_path):
    """Three Hall loops of a perpendicular bar (its R_AHE is determined, unlike that of
    the in-plane default); the second stops after its 8th row until ``release()``."""
    import threading

    from labspin.queue_runner import run_queue
    from labspin.queues import load_queue_file, plan_queue
    from labspin.runs import open_catalog
    from labspin.safety import SafetyGuard
    from labspin.station import Station
    from labspin.stationfile import load_station_file

    station = station_file(tmp_path, preset="cofeb-nio-pma")
    queue_file = tmp_path / "night.yaml"
    queue_file.write_text(yaml.safe_dump({
        "name": "Hall loops", "station": str(station), "steps": [{
            "procedure": "HallLoop", "label": "z loops", "parameters": HALL,
            "sweep": [{"stage_temperature": {"values": [300, 305, 310]}}]}]}))
    data_dir = tmp_path / "data"
    gate, reached = threading.Event(), threading.Event()
    state = {"run": -1, "rows": 0}
    night = Night(data_dir, queue_file, gate, reached, None)

    def run_start(run, queue_id):
        state["run"], state["rows"] = run.index, 0

    def on_row(row):
        state["rows"] += 1
        if state["run"] == PAUSE_RUN and state["rows"] == PAUSE_ROW:
            reached.set()
            gate.wait(60)

    def work():
        try:
            queue = load_queue_file(queue_file)
            config = load_station_file(station)
            plan = plan_queue(queue, str(queue_file),
                              SafetyGuard(config.limits, config.sample, config.name))
            with Station.open(station) as st, open_catalog(data_dir) as catalog:
                night.outcome.append(run_queue(plan, st, catalog, on_run_start=run_start,
                                               on_row=on_row))
        except BaseException as exc:
            night.errors.append(repr(exc))
            reached.set()

    night.thread = threading.Thread(target=work, daemon=True)
    night.thread.start()
    assert reached.wait(60), "the queue never reached its pause"
    assert not night.errors, night.errors
    yield night
    gate.set()
    night.thread.join(60)
