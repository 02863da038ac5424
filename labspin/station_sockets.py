"""A station file that reaches a bench served by ``labspin sim serve`` over its sockets.

A simulated bench (``--sim``, ``backend: sim``) lives in the process that opened it: a
``kill -9`` takes the bench with it, and the next process starts on a fresh one, all off.
What a killed run leaves on can only be rehearsed on a bench that outlives the process:
``labspin sim serve --station FILE --write-station SOCKETS`` serves FILE's bench and writes
SOCKETS, the same station (sample, chip, limits, wiring) with ``backend: visa`` and each
instrument's resource the socket that serves it, its read termination among its options
(where its driver does not set its own). Every labspin command then opens that bench as
it opens hardware, and a magnet or a sine left on by a killed process is still on for
the next one.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import yaml

from labspin.stationfile import StationFileError

#: the address clients use for a server bound to every interface
_ANY = ("0.0.0.0", "::", "")


class _Dumper(yaml.SafeDumper):
    """Terminations written as a user types them: ``"\\r\\n"``, not a folded block."""


def _string(dumper: yaml.SafeDumper, value: str) -> yaml.Node:
    style = '"' if any(c in value for c in "\r\n\t") else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _string)


def _entries(data: dict[str, Any]) -> list[dict[str, Any]]:
    """Every instrument entry of the raw station data (instruments, supplies, gaussmeters)."""
    entries = [entry for entry in (data.get("instruments") or {}).values()
               if isinstance(entry, dict)]
    for magnet in (data.get("magnets") or {}).values():
        if isinstance(magnet, dict):
            entries += [magnet[part] for part in ("supply", "gaussmeter")
                        if isinstance(magnet.get(part), dict)]
    return entries


def _absolute_devices(data: dict[str, Any], base: Path) -> None:
    """Device files named relative to the source station file, made absolute (the new
    file may be written elsewhere)."""
    holders = [data.get("sim"), data.get("sample"), *(data.get("samples") or [])]
    for holder in holders:
        if isinstance(holder, dict) and isinstance(holder.get("device"), str):
            path = Path(holder["device"]).expanduser()
            if not path.is_absolute() and (base / path).is_file():
                holder["device"] = str((base / path).resolve())


def sockets_station(source: str | Path, served: list[Any], host: str = "127.0.0.1") -> str:
    """The YAML text of ``source`` with ``backend: visa`` and every instrument reached at
    its socket of ``served`` (labspin.simulated_instruments.server.ServedInstrument)."""
    from labspin.configfiles import load_yaml_text
    from labspin.station_options import option_problem
    from labspin.stationfile import InstrumentEntry

    source = Path(source)
    raw = load_yaml_text(source.read_text(encoding="utf-8"), str(source), StationFileError)
    data = copy.deepcopy(raw)
    address = "127.0.0.1" if host in _ANY else host
    ports = {item.resource: item for item in served}
    for entry in _entries(data):
        item = ports.get(str(entry.get("resource")))
        if item is None:
            raise StationFileError(f"{source}: {entry.get('resource')} is not served (the "
                                   "served bench is another station's)")
        entry["resource"] = f"TCPIP::{address}::{item.port}::SOCKET"
        options = {k: v for k, v in (entry.get("options") or {}).items()
                   if k not in ("read_termination", "visa_library")}
        with_term = {**options, "read_termination": item.read_termination}
        check = InstrumentEntry(driver=entry["driver"], resource=entry["resource"],
                                options=with_term)
        if option_problem(check) is None:  # else the driver sets its own (a Kepco)
            options = with_term
        if options:
            entry["options"] = options
        else:
            entry.pop("options", None)
        entry.pop("visa_library", None)
    data["backend"] = "visa"
    data["name"] = f"{data.get('name') or source.stem} over sockets"
    _absolute_devices(data, source.resolve().parent)
    header = (f"# {source.name}'s bench as served by `labspin sim serve` on {address}:\n"
              "# the bench outlives every process that uses it (rehearse a kill -9 here).\n"
              "# Written by labspin sim serve --write-station; valid while it serves.\n")
    return header + yaml.dump(data, Dumper=_Dumper, sort_keys=False, allow_unicode=True)


def write_sockets_station(source: str | Path, served: list[Any], path: str | Path,
                          host: str = "127.0.0.1") -> Path:
    """Write :func:`sockets_station` to ``path`` and check that it loads as a station
    file whose driver options every instrument accepts (StationFileError otherwise)."""
    from labspin.station_options import driver_option_problems
    from labspin.stationfile import load_station_file

    path = Path(path)
    text = sockets_station(source, served, host)
    try:
        path.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise StationFileError(f"cannot write {path}: {exc.strerror}") from None
    problems = driver_option_problems(load_station_file(path))
    if problems:
        raise StationFileError("\n".join(problems))
    return path
