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
    yield box
    controller.stop()


def station_file(tmp_path: Path, notify: dict | None = None, **changes) -> Path:
    """examples/station-sim.yaml with a notify section (and other top-level changes)."""
    data = yaml.safe_load((EXAMPLES / "station-sim.yaml").read_text(encoding="utf-8"))
    if notify is not None:
        data["notify"] = notify
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
