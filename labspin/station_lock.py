"""One process per instrument: a station opened on hardware holds each instrument's lock.

Two labspin processes driving one bench (two queues, a copied queue file, a queue while
the window is open on the same station) would interleave their commands on one bus: a
field set by one while the other reads, a current sourced during the other's pulse. The
queue lock (:mod:`labspin.queue_lock`) stops two runners of *one* queue; this lock stops
two processes on one *instrument*, whatever they run. The simulated bench needs none:
each process has its own.

Each instrument is locked by its VISA address (spelled one way: ``gpib::7`` is
``GPIB0::7``), with the same kernel lock as the queues (released when the process ends,
``kill -9`` included), in ``$LABSPIN_LOCK_DIR`` or the temporary folder's
``labspin-locks-<user>``.
"""

from __future__ import annotations

import getpass
import hashlib
import os
import re
import tempfile
from pathlib import Path

from labspin.queue_lock import QueueBusy, QueueLock, QueueLockError


class InstrumentBusy(RuntimeError):
    """Another process holds an instrument of this station."""


def lock_dir() -> Path:
    """Where instrument locks live: one folder per machine and user."""
    given = os.environ.get("LABSPIN_LOCK_DIR")
    if given:
        return Path(given)
    try:
        user = getpass.getuser()
    except (KeyError, OSError):  # no name for this uid (a container)
        user = str(os.getuid()) if hasattr(os, "getuid") else "user"
    user = re.sub(r"[^A-Za-z0-9._-]+", "-", user) or "user"
    return Path(tempfile.gettempdir()) / f"labspin-locks-{user}"


def address_key(resource: str) -> str:
    """A VISA resource name in one spelling (board 0 and ``::INSTR`` are the defaults)."""
    key = re.sub(r"::INSTR$", "", resource.strip().upper())
    return re.sub(r"^(GPIB|ASRL|USB|TCPIP|VXI|PXI)::", r"\g<1>0::", key)


class InstrumentLock(QueueLock):
    """The exclusive right to talk to the instrument at ``resource`` (as ``role``)."""

    def __init__(self, role: str, resource: str) -> None:
        key = address_key(resource)
        digest = hashlib.sha256(key.encode("utf-8", "surrogateescape")).hexdigest()[:12]
        stem = re.sub(r"[^A-Za-z0-9._-]+", "-", key).strip("-")[:40] or "instrument"
        folder = lock_dir()
        super().__init__(folder, key)
        self.role, self.resource = role, resource
        self.path = folder / f"{stem}-{digest}.lock"

    def acquire(self) -> InstrumentLock:
        try:
            super().acquire()
        except QueueBusy as exc:
            who = exc.runner.describe() if exc.runner else "another process"
            raise InstrumentBusy(
                f"instrument '{self.role}' at {self.resource} is in use by labspin ({who}): "
                "one process at a time talks to an instrument. Nothing was sent; wait for "
                "that run, queue or window to end, or stop it") from None
        except QueueLockError as exc:
            raise InstrumentBusy(f"cannot lock instrument '{self.role}' at {self.resource} "
                                 f"({exc}); set LABSPIN_LOCK_DIR to a local folder") from None
        return self
