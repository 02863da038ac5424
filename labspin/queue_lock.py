"""One runner per queue: a lock that the operating system releases when its process dies.

A queue is "the same" when its file (resolved path) and its data folder are the same:
that pair is one journal, so two processes running it would both run every unfinished
run. The runner takes an exclusive ``flock`` on a small file in the data folder,
``queues/<name>-<hash>.lock``, and writes its pid, host and start time into it. The
kernel drops the lock when the process ends in any way (``kill -9`` and power cuts
included), so a lock is never stale; the text left in the file by a killed runner is
only read while someone holds the lock. The lock file itself is never deleted (deleting
it would let two processes lock two different files of the same name).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import json
import os
import re
import socket
import stat
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

try:
    import fcntl

    def _try_lock(fd: int, shared: bool = False) -> bool:
        try:
            fcntl.flock(fd, (fcntl.LOCK_SH if shared else fcntl.LOCK_EX) | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        return True

    def _unlock(fd: int) -> None:
        fcntl.flock(fd, fcntl.LOCK_UN)

except ImportError:  # pragma: no cover - Windows: lock one byte past the runner's text
    import msvcrt

    _BYTE = 1 << 20

    def _try_lock(fd: int, shared: bool = False) -> bool:
        os.lseek(fd, _BYTE, os.SEEK_SET)
        try:
            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
        except OSError:
            return False
        return True

    def _unlock(fd: int) -> None:
        os.lseek(fd, _BYTE, os.SEEK_SET)
        msvcrt.locking(fd, msvcrt.LK_UNLCK, 1)

#: how long a starter waits for a runner that has the lock but has not yet written its
#: name (microseconds in practice), or for a status check's brief shared lock
_SETTLE_SECONDS = 1.0


class QueueLockError(RuntimeError):
    """The queue's lock file cannot be made or read (a permission, a bad data folder)."""


class QueueBusy(QueueLockError):
    """Another process is running this queue in this data folder."""

    def __init__(self, file: str, data_dir: Path, runner: Runner | None) -> None:
        self.runner = runner
        who = runner.describe() if runner else "another process (it has not said which)"
        super().__init__(f"{file} is already running in {data_dir}: {who}. Nothing was "
                         "started and no instrument was touched; wait for it to end or "
                         "stop it (Ctrl+C, or kill that process), then --resume")


@dataclass(frozen=True)
class Runner:
    """Who holds a queue's lock."""

    pid: int
    host: str
    since: float  # unix time the lock was taken
    queue_id: int | None = None

    def describe(self) -> str:
        when = dt.datetime.fromtimestamp(self.since).strftime("%Y-%m-%d %H:%M:%S")
        queue = f", queue {self.queue_id}" if self.queue_id is not None else ""
        return f"pid {self.pid} on {self.host} since {when}{queue}"

    @property
    def here(self) -> bool:
        """True for this very process."""
        return self.pid == os.getpid() and self.host == socket.gethostname()


def lock_path(data_dir: str | Path, queue_file: str | Path) -> Path:
    """The lock file of a queue file in a data folder."""
    resolved = str(Path(queue_file).resolve())
    digest = hashlib.sha256(resolved.encode("utf-8", "surrogateescape")).hexdigest()[:12]
    stem = re.sub(r"[^A-Za-z0-9._-]+", "-", Path(resolved).stem).strip("-")[:40] or "queue"
    return Path(data_dir) / "queues" / f"{stem}-{digest}.lock"


def _open(path: Path, create: bool) -> int | None:
    flags = os.O_RDWR | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
    try:
        if create:
            path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(path, flags | os.O_CREAT, 0o644)
        else:
            fd = os.open(path, flags)
    except FileNotFoundError:
        if create:
            raise QueueLockError(f"cannot make the queue lock {path}: its folder "
                                 "vanished") from None
        return None
    except OSError as exc:
        raise QueueLockError(f"cannot open the queue lock {path} ({exc.strerror}); check "
                             "the data folder and its permissions") from None
    if not stat.S_ISREG(os.fstat(fd).st_mode):
        os.close(fd)
        raise QueueLockError(f"{path} is not a regular file; remove it")
    return fd


def _locked(fd: int, path: Path, shared: bool = False) -> bool:
    """Try the lock; QueueLockError when the file system cannot lock at all."""
    try:
        return _try_lock(fd, shared)
    except OSError as exc:
        raise QueueLockError(f"cannot lock {path} ({exc.strerror}): the data folder's file "
                             "system does not support locks; use a local data folder") from None


def _read_runner(fd: int) -> Runner | None:
    try:
        os.lseek(fd, 0, os.SEEK_SET)
        text = os.read(fd, 4096).decode("utf-8")
        data: Any = json.loads(text)
        return Runner(int(data["pid"]), str(data["host"]), float(data["since"]),
                      None if data.get("queue_id") is None else int(data["queue_id"]))
    except (OSError, ValueError, KeyError, TypeError):
        return None


def current_runner(data_dir: str | Path, queue_file: str | Path) -> Runner | None:
    """Who is running this queue in this data folder right now; None when nobody is
    (also when its last runner was killed: the kernel released its lock)."""
    path = lock_path(data_dir, queue_file)
    fd = _open(path, create=False)
    if fd is None:
        return None
    try:
        if _locked(fd, path, shared=True):
            _unlock(fd)
            return None
        return _read_runner(fd) or Runner(0, "?", time.time())
    finally:
        os.close(fd)


class QueueLock:
    """The exclusive right to run one queue file in one data folder.

    ``with QueueLock(data_dir, file):`` or ``acquire()``/``release()``; ``acquire``
    raises :class:`QueueBusy` naming the runner when someone else holds it."""

    def __init__(self, data_dir: str | Path, queue_file: str | Path) -> None:
        self.data_dir = Path(data_dir)
        self.file = str(queue_file)
        self.path = lock_path(data_dir, queue_file)
        self._fd: int | None = None
        self.runner: Runner | None = None

    @property
    def held(self) -> bool:
        return self._fd is not None

    def acquire(self) -> QueueLock:
        if self._fd is not None:
            return self
        fd = _open(self.path, create=True)
        assert fd is not None
        deadline = time.monotonic() + _SETTLE_SECONDS
        try:
            while not _locked(fd, self.path):
                holder = _read_runner(fd)
                if holder is not None or time.monotonic() > deadline:
                    raise QueueBusy(self.file, self.data_dir, holder)
                time.sleep(0.01)  # a runner about to write its name, or a status check
        except QueueLockError:
            os.close(fd)
            raise
        self._fd = fd
        self._write(Runner(os.getpid(), socket.gethostname(), time.time()))
        return self

    def note_queue(self, queue_id: int) -> None:
        """Add the catalog's queue id to what others read."""
        if self.runner is not None:
            self._write(Runner(self.runner.pid, self.runner.host, self.runner.since,
                               queue_id))

    def _write(self, runner: Runner) -> None:
        assert self._fd is not None
        text = json.dumps({"pid": runner.pid, "host": runner.host, "since": runner.since,
                           "queue_id": runner.queue_id, "file": str(Path(self.file).resolve())})
        os.ftruncate(self._fd, 0)
        os.lseek(self._fd, 0, os.SEEK_SET)
        os.write(self._fd, text.encode("utf-8"))
        self.runner = runner

    def release(self) -> None:
        fd, self._fd = self._fd, None
        if fd is None:
            return
        with contextlib.suppress(OSError):
            os.ftruncate(fd, 0)  # nobody is running it: say nothing
        with contextlib.suppress(OSError):
            _unlock(fd)
        os.close(fd)
        self.runner = None

    def __enter__(self) -> QueueLock:
        return self.acquire()

    def __exit__(self, *exc: object) -> None:
        self.release()
