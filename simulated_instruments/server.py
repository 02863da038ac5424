"""Serve a bench's instruments as raw SCPI sockets (one TCP port per instrument).

Any VISA client in any language reaches them as ``TCPIP::127.0.0.1::PORT::SOCKET``
(pyvisa-py, NI-VISA, a terminal with ``nc``): send a command ending in ``\\n`` (or
``\\r``), read the reply, which ends with the instrument's own termination (``\\r`` for the
2182A, ``\\r\\n`` for the ESP300 and LakeShore 331, ``\\n`` for the others: set it as
the client's read termination; ``labspin sim serve`` prints it). Binds to
127.0.0.1 by default; every connection shares the one bench under its lock.

A served bench follows the wall clock (``Bench.follow_wall``): its clients wait on their
own clocks, and the time between their messages passes on the bench too, so a magnet
ramps and a lock-in settles while they wait.
"""

from __future__ import annotations

import logging
import socket
import socketserver
import threading
from dataclasses import dataclass
from typing import Any

from labspin.simulated_instruments.scpi import split_messages

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ServedInstrument:
    name: str
    resource: str  # name on the pyvisa bench
    port: int
    idn: str
    read_termination: str = "\n"  # what ends each reply

    @property
    def termination_text(self) -> str:
        """The read termination as a client would type it: ``\\n``, ``\\r\\n``..."""
        return self.read_termination.encode("unicode_escape").decode("ascii")

    @property
    def visa_address(self) -> str:
        return f"TCPIP::127.0.0.1::{self.port}::SOCKET"


class _Handler(socketserver.BaseRequestHandler):
    def handle(self) -> None:
        server: _InstrumentServer = self.server  # type: ignore[assignment]
        instrument, bench = server.instrument, server.bench
        pending = b""
        self.request.settimeout(0.5)
        while not server.stopping.is_set():
            faults = bench.faults_for(instrument.name)  # a fault injected now applies now
            if faults.connection_lost():
                return  # the cable came loose: close without a word
            try:
                data = self.request.recv(4096)
            except TimeoutError:
                continue
            except OSError:
                return
            if not data:
                return
            messages, pending = split_messages(pending + data, "ascii", errors="replace")
            for message in messages:
                faults = bench.faults_for(instrument.name)
                if faults.connection_lost():
                    return  # the cable came loose: close without a word
                with bench.lock:
                    bench.catch_up()  # the wall time the client waited passes here too
                    reply = instrument.process(message)
                if reply is not None:
                    reply = faults.filter_reply(reply)
                faults.count_message()
                if reply is None:
                    continue
                try:
                    self.request.sendall((reply + instrument.read_termination).encode("ascii"))
                except OSError:
                    return


class _InstrumentServer(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], instrument: Any, bench: Any) -> None:
        self.instrument = instrument
        self.bench = bench
        self.stopping = threading.Event()
        super().__init__(address, _Handler)


class BenchServer:
    """All instruments of a bench on consecutive ports (or free ones with port 0).

    ``follow_wall`` (default): the bench follows the wall clock from ``start`` on, unless
    it already does (a test may have given it a wall clock of its own).
    """

    def __init__(self, bench: Any, host: str = "127.0.0.1", base_port: int = 0,
                 follow_wall: bool = True) -> None:
        self.bench = bench
        self.host = host
        self.base_port = base_port
        self.follow_wall = follow_wall
        self._servers: list[_InstrumentServer] = []
        self._threads: list[threading.Thread] = []
        self.served: list[ServedInstrument] = []

    def start(self) -> list[ServedInstrument]:
        """Bind every instrument and start serving; returns where each one is."""
        if self.follow_wall and not self.bench.follows_wall:
            self.bench.follow_wall()
        try:
            for k, (resource, instrument) in enumerate(self.bench.instruments.items()):
                port = self.base_port + k if self.base_port else 0
                server = _InstrumentServer((self.host, port), instrument, self.bench)
                self._servers.append(server)
                thread = threading.Thread(target=server.serve_forever,
                                          kwargs={"poll_interval": 0.1},
                                          name=f"sim-{instrument.name}", daemon=True)
                thread.start()
                self._threads.append(thread)
                self.served.append(ServedInstrument(
                    instrument.name, resource, server.server_address[1], instrument.idn,
                    instrument.read_termination))
        except OSError:
            self.stop()
            raise
        log.info("serving %d instruments on %s", len(self.served), self.host)
        return self.served

    def stop(self) -> None:
        for server in self._servers:
            server.stopping.set()
            server.shutdown()
            server.server_close()
        for thread in self._threads:
            thread.join(timeout=2)
        self._servers.clear()
        self._threads.clear()

    def __enter__(self) -> BenchServer:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def query(port: int, command: str, host: str = "127.0.0.1", timeout: float = 2.0) -> str:
    """Send one command to a served instrument and return its reply (for quick checks)."""
    with socket.create_connection((host, port), timeout=timeout) as sock:
        sock.sendall(command.encode("ascii") + b"\n")
        data = b""
        while not data.endswith((b"\n", b"\r")):
            chunk = sock.recv(4096)
            if not chunk:
                break
            data += chunk
    return data.decode("ascii").strip()
