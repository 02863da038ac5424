"""Where a run came from: labspin's version and commit, key dependencies, host, station.

Every run file carries these in its header (``procedures.base``), so a number can be
traced to the code and the station description that produced it. The git commit is
known only when labspin is installed from a checkout (``pip install -e .``); a wheel
install records its version alone.
"""

from __future__ import annotations

import functools
import hashlib
import json
import logging
import platform
import socket
import subprocess
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

from labspin import __version__

log = logging.getLogger(__name__)

#: the packages whose versions can change a number labspin writes or fits
KEY_DEPENDENCIES = ("numpy", "scipy", "pandas", "numba", "lmfit", "pymeasure", "pyvisa",
                    "pyvisa-py", "pydantic")

_CHECKOUT = Path(__file__).resolve().parent.parent


def _git(*args: str) -> str | None:
    try:
        done = subprocess.run(["git", "-C", str(_CHECKOUT), *args], capture_output=True,
                              text=True, timeout=5, check=False)
    except (OSError, subprocess.SubprocessError):
        return None
    return done.stdout.strip() if done.returncode == 0 else None


@functools.lru_cache(maxsize=1)
def git_commit() -> str:
    """The commit of the checkout labspin runs from ('' when not from a checkout);
    '+dirty' is appended when tracked files differ from it."""
    if not (_CHECKOUT / ".git").exists() or not (_CHECKOUT / "pyproject.toml").is_file():
        return ""
    commit = _git("rev-parse", "HEAD")
    if not commit:  # no git program here: read the checkout's files
        return _head_from_files(_CHECKOUT / ".git")
    dirty = _git("status", "--porcelain", "--untracked-files=no")
    return commit + ("+dirty" if dirty else "")


def _head_from_files(dot_git: Path) -> str:
    """HEAD's commit from a .git folder (or a worktree's .git file), without git."""
    try:
        if dot_git.is_file():  # a worktree: "gitdir: <path>"
            dot_git = (dot_git.parent / dot_git.read_text().split(":", 1)[1].strip()).resolve()
        head = (dot_git / "HEAD").read_text().strip()
        if not head.startswith("ref:"):
            return head
        ref = head.split(":", 1)[1].strip()
        for base in (dot_git, _common_dir(dot_git)):
            if (base / ref).is_file():
                return (base / ref).read_text().strip()
            packed = base / "packed-refs"
            if packed.is_file():
                for line in packed.read_text().splitlines():
                    if line.endswith(" " + ref):
                        return line.split()[0]
    except (OSError, IndexError):
        pass
    return ""


def _common_dir(dot_git: Path) -> Path:
    common = dot_git / "commondir"
    if common.is_file():
        return (dot_git / common.read_text().strip()).resolve()
    return dot_git


@functools.lru_cache(maxsize=1)
def dependency_versions() -> str:
    """'python 3.11.2, numpy 2.4.6, ...' for the key dependencies that are installed."""
    parts = [f"python {platform.python_version()}"]
    for name in KEY_DEPENDENCIES:
        try:
            parts.append(f"{name} {version(name)}")
        except PackageNotFoundError:
            continue
    return ", ".join(parts)


def host() -> str:
    return socket.gethostname()


_hashes: dict[int, tuple[Any, str]] = {}


def station_file_hash(config: Any) -> str:
    """sha256 of the station file's bytes, read the first time a run of this loaded
    station asks (so an edit during a night does not change what its runs record); for
    a station without a file (the built-in simulated one) of its validated settings,
    marked 'settings:'."""
    known = _hashes.get(id(config))
    if known is not None and known[0] is config:
        return known[1]
    digest = _hash(config)
    _hashes[id(config)] = (config, digest)
    return digest


def _hash(config: Any) -> str:
    source = getattr(config, "source_path", None)
    if source:
        path = Path(source)
        try:
            return hashlib.sha256(path.read_bytes()).hexdigest()
        except OSError:
            log.debug("station file %s not readable for its hash", source)
    text = json.dumps(config.model_dump(mode="json"), sort_keys=True, default=str)
    return "settings:" + hashlib.sha256(text.encode()).hexdigest()


def provenance(config: Any | None = None) -> dict[str, str]:
    """Everything above as one flat dict (header labels as keys)."""
    out = {"labspin version": __version__, "labspin commit": git_commit(),
           "Dependencies": dependency_versions(), "Host": host()}
    if config is not None:
        out["Station file sha256"] = station_file_hash(config)
    return out
