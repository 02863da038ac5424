"""SCPI traffic through the simulated bench: messages per second and regex attempts.

    python benchmarks/bench_scpi.py [--points 100] [--rounds 5]

A HallLoop (field ramp, R_xy and R_xx by current reversal) runs once through the
procedure on the simulated bench while every message each instrument model receives is
recorded. That exact traffic is then replayed, in interleaved rounds,

* straight into the instrument models (``model.process``: dispatch plus the handlers'
  own work, which includes the bench physics a reading asks for), and
* through pyvisa (``write``, and ``read`` after a message that had a reply), as a driver
  sends it;

printed: messages per second by wall clock and by CPU time (min and median over the
rounds), how many regular-expression matches one message costs (counted with
cProfile over one replay: every ``re.Pattern`` match, fullmatch and search call), and
the CPU time spent finding the handlers alone.

The script only uses what every version of the bench has (``process``, the pyvisa
backend), so the same command on two commits gives the before and after numbers.
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import statistics
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from labspin.procedures import procedure_class  # noqa: E402
from labspin.runs import open_catalog, run_procedure  # noqa: E402
from labspin.station import Station  # noqa: E402

REGEX_CALLS = ("fullmatch", "match", "search")


def record_hall_loop(station: Station, points: int) -> list[tuple[str, str, bool]]:
    """(resource, message, had a reply) for every message of one HallLoop run."""
    traffic: list[tuple[str, str, bool]] = []
    for resource, model in station.bench.instruments.items():
        original = model.process

        def process(message: str, _original=original, _resource=resource) -> str | None:
            reply = _original(message)
            traffic.append((_resource, message, reply is not None))
            return reply
        model.process = process
    step = 1e-3
    hall_loop = procedure_class("HallLoop")(field_max=points * step / 4, field_step=step,
                                            readout="reversal", settle_time=0.0)
    with tempfile.TemporaryDirectory() as tmp, open_catalog(Path(tmp)) as catalog:
        record = run_procedure(hall_loop, station, catalog)
    for model in station.bench.instruments.values():
        del model.process  # back to the class's method
    print(f"recorded one HallLoop run: {record.rows} points, {len(traffic)} messages "
          f"({len(traffic) / max(record.rows, 1):.1f} per point)")
    by_instrument = Counter(type(station.bench.instruments[r]).__name__ for r, _, _ in traffic)
    print("  by instrument model: " + ", ".join(f"{k} {v}" for k, v in
                                                   by_instrument.most_common()))
    return traffic


def replay_models(station: Station, traffic: list[tuple[str, str, bool]]) -> None:
    models = station.bench.instruments
    for resource, message, _ in traffic:
        models[resource].process(message)


def replay_pyvisa(sessions: dict, traffic: list[tuple[str, str, bool]]) -> None:
    for resource, message, replied in traffic:
        session = sessions[resource]
        session.write(message)
        if replied:
            session.read()


def regex_calls_per_message(station: Station, traffic: list[tuple[str, str, bool]]) -> float:
    profile = cProfile.Profile()
    profile.runcall(replay_models, station, traffic)
    stats = pstats.Stats(profile).stats  # {(file, line, name): (cc, nc, tt, ct, callers)}
    calls = sum(nc for (_, _, name), (_, nc, *_rest) in stats.items()
                if "re.Pattern" in name and any(f"'{c}'" in name for c in REGEX_CALLS))
    return calls / len(traffic)


def lookup_seconds(station: Station, traffic: list[tuple[str, str, bool]],
                   rounds: int) -> tuple[float, str]:
    """CPU seconds per message to find the handlers of its commands without running
    them (best of ``rounds``): by header table where the models have one, else by trying
    each handler's pattern in turn, as ``_dispatch`` did before."""
    models = station.bench.instruments
    commands = [(type(models[r]), c) for r, m, _ in traffic for c in models[r]._split(m)]
    if all(hasattr(cls, "_table") for cls, _ in commands):
        how = "header table"

        def lookup() -> None:
            for cls, command in commands:
                cls._table.resolve(command)
    else:
        how = "scan of every pattern"

        def lookup() -> None:
            for cls, command in commands:
                for _, pattern, _ in cls._handlers:
                    if pattern.fullmatch(command):
                        break
    best = float("inf")
    for _ in range(rounds):
        start = time.process_time()
        lookup()
        best = min(best, time.process_time() - start)
    return best / len(traffic), how


def summary(label: str, n: int, walls: list[float], cpus: list[float]) -> str:
    return (f"  {label:<22} {n / min(walls):9,.0f} msg/s best, {n / statistics.median(walls):9,.0f}"
            f" median (wall);  {n / min(cpus):9,.0f} best, {n / statistics.median(cpus):9,.0f}"
            " median (CPU)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--points", type=int, default=100, help="HallLoop points recorded")
    parser.add_argument("--rounds", type=int, default=5, help="replays of each kind")
    args = parser.parse_args()
    import pyvisa

    with Station.open(sim=True, preset="cofeb-nio-pma", seed=1) as station:
        traffic = record_hall_loop(station, args.points)
        rm = pyvisa.ResourceManager(f"{station.bench_name}@labspin")
        sessions = {}
        for resource in {r for r, _, _ in traffic}:
            model = station.bench.instruments[resource]
            sessions[resource] = rm.open_resource(resource,
                                                  read_termination=model.read_termination)
        per_message = regex_calls_per_message(station, traffic)
        lookup, how = lookup_seconds(station, traffic, args.rounds)
        times: dict[str, tuple[list[float], list[float]]] = {"models": ([], []),
                                                               "pyvisa": ([], [])}
        for _ in range(args.rounds):  # interleaved, so load on the machine hits both alike
            for kind, run in (("models", lambda: replay_models(station, traffic)),
                              ("pyvisa", lambda: replay_pyvisa(sessions, traffic))):
                wall, cpu = time.perf_counter(), time.process_time()
                run()
                times[kind][0].append(time.perf_counter() - wall)
                times[kind][1].append(time.process_time() - cpu)
        for session in sessions.values():
            session.close()
    n = len(traffic)
    print(f"replayed {n} messages x {args.rounds} rounds of each kind:")
    print(summary("into the models", n, *times["models"]))
    print(summary("through pyvisa", n, *times["pyvisa"]))
    print(f"  regular-expression matches per message: {per_message:.1f}")
    print(f"  finding the handlers alone ({how}): {lookup * 1e6:.2f} us of CPU per message "
          "(best round)")


if __name__ == "__main__":
    main()
