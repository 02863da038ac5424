"""Batch-fitting throughput: a folder of saved runs fitted serially, in a local process
pool and on a Dask LocalCluster, in fits per second.

    python benchmarks/bench_fit.py [--runs 1000] [--dir DIR] [--repeats 3] [--no-cli]

The folder holds real run files from the simulated bench, of four kinds (Hall loops on
cofeb-nio-pma; USMR loops, switching loops and harmonic-Hall angle scans on in-plane
presets). Measuring 1000 runs on the bench would take half an hour, so 12 distinct runs
are measured once (about 25 s) and copied under distinct names up to --runs: the fits are
real, the data repeat. Every in-process mode does what ``labspin fit`` does: read the
files in the calling process (``load_runs``), then ``fit_many``. Printed per mode: the
load+fit time (best of --repeats), fits per second on it and on the fit alone, and the
ratio to the serial in-process fit (``workers=1``, the bare baseline). A process pool is
started by every ``fit_many`` call, as the CLI does, and its start-up (worker processes
that import lmfit) is in its row; so the first Dask row starts a LocalCluster inside
every timed repeat and closes it after, the same cost counted the same way. A second
Dask row times fits on a cluster that is already up and warm (a long-lived cluster that
serves many fits), labelled as such. The CLI rows are end to end and timed once (interpreter start,
imports, loading, fitting, the printed table and the summary CSV). Every mode's numbers
are checked against the serial ones. The last column is the CPU that other processes on
the machine used during the row (Linux): on a shared machine, it says how far to trust
the row. Dask comes from the ``cluster`` extra (``pip install -e ".[cluster]"``); without
it the Dask rows are left out.
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from labspin.analysis.batch import fit_many  # noqa: E402
from labspin.analysis.loaders import find_run_files, load_runs  # noqa: E402

try:
    from dask.distributed import LocalCluster
except ImportError:  # the cluster extra is not installed
    LocalCluster = None

HALL = {"field_max": 0.02, "field_step": 0.002}
HARMONIC = {"mode": "angle scan", "field_magnitudes": "0.3, 0.4, 0.5", "angle_step": 60,
            "current": 0.007, "time_constant": 0.1}
IN_PLANE = (("py-nio", 1), ("py-coo", 1), ("pt-py", 1))
#: (device preset, bench seed, procedure, parameters) of the distinct runs. No switching
#: loop on pt-py: with the default pulses it does not switch, and the fit of a flat loop
#: takes 30x longer than a real one (it would dominate the timings)
DISTINCT = [
    *(("cofeb-nio-pma", seed, "HallLoop", HALL) for seed in (1, 2, 3)),
    *((name, seed, "USMRLoop", {}) for name, seed in IN_PLANE),
    *((name, seed, "SwitchingLoop", {}) for name, seed in (*IN_PLANE[:2], ("py-nio", 2))),
    *((name, seed, "HarmonicHall", HARMONIC) for name, seed in IN_PLANE),
]


def measure_distinct(data_dir: Path) -> list[tuple[Path, str]]:
    """Run each DISTINCT measurement on a fresh simulated bench; (file, label) per run."""
    from labspin.procedures import procedure_class
    from labspin.runs import open_catalog, run_procedure
    from labspin.station import Station

    out = []
    with open_catalog(data_dir) as catalog:
        for preset, seed, name, values in DISTINCT:
            with Station.open(sim=True, preset=preset, seed=seed) as station:
                procedure = procedure_class(name)()
                procedure.set_parameters(values)
                record = run_procedure(procedure, station, catalog)
            if record.status != "finished":
                raise RuntimeError(f"{name} on {preset} (seed {seed}) did not finish: "
                                   f"{record.error}")
            out.append((Path(record.file), f"{name}_{preset}_s{seed}"))
    return out


def replicate(sources: list[tuple[Path, str]], folder: Path, n: int) -> list[Path]:
    """Copy the sources round-robin (kinds interleaved) into ``folder`` as n files."""
    width = len(str(n - 1))
    for i in range(n):
        source, label = sources[i % len(sources)]
        shutil.copyfile(source, folder / f"{i:0{width}d}_{label}.csv")
    return find_run_files(folder)


def machine_cpu() -> float:
    """CPU seconds used by every process on the machine since boot (Linux /proc/stat;
    NaN elsewhere)."""
    try:
        ticks = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:9]]
    except (OSError, ValueError):
        return float("nan")
    idle = ticks[3] + ticks[4]  # idle, iowait
    return (sum(ticks) - idle) / os.sysconf("SC_CLK_TCK")


def own_cpu() -> float:
    """CPU seconds of this process, its finished children (pools, CLI) and its live
    descendants (the Dask workers, via psutil, which dask brings)."""
    times = os.times()
    total = times.user + times.system + times.children_user + times.children_system
    with contextlib.suppress(ImportError):
        import psutil

        for child in psutil.Process().children(recursive=True):
            with contextlib.suppress(psutil.Error):
                cpu = child.cpu_times()
                total += cpu.user + cpu.system
    return total


@dataclass
class Row:
    label: str
    what: str
    seconds: float  # wall clock, load + fit (or the whole CLI)
    fit_seconds: float | None  # wall clock of fit_many alone
    others_cpu: float  # CPU seconds other processes on the machine used meanwhile


class Meter:
    """Wall clock of a block, and the CPU that processes outside this benchmark used
    meanwhile: on a shared machine that says how far to trust the row."""

    def __enter__(self) -> Meter:
        self.machine, self.own = machine_cpu(), own_cpu()
        self.start = time.perf_counter()
        return self

    def __exit__(self, *exc: object) -> None:
        self.seconds = time.perf_counter() - self.start
        self.others = max(0.0, (machine_cpu() - self.machine) - (own_cpu() - self.own))


def time_mode(label: str, what: str, files: list[Path], fit: Callable[[list], pd.DataFrame],
              repeats: int) -> tuple[Row, pd.DataFrame]:
    """Best of ``repeats`` of load_runs + fit, as ``labspin fit`` does it."""
    best: tuple[Row, pd.DataFrame] | None = None
    for _ in range(repeats):
        with Meter() as meter:
            runs, skipped = load_runs(files)
            loaded = time.perf_counter()
            frame = fit(runs)
            fit_seconds = time.perf_counter() - loaded
        if skipped:
            raise RuntimeError(f"{len(skipped)} file(s) could not be read: {skipped[0]}")
        if best is None or meter.seconds < best[0].seconds:
            best = Row(label, what, meter.seconds, fit_seconds, meter.others), frame
    assert best is not None
    return best


def time_cli(label: str, what: str, folder: Path, summary: Path, *options: str) -> Row:
    """``labspin fit FOLDER --out SUMMARY [options]`` end to end, once."""
    command = [sys.executable, "-c", "import sys; from labspin.cli import main; "
               "sys.exit(main())", "fit", str(folder), "--out", str(summary), *options]
    with Meter() as meter:
        done = subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                              text=True, cwd=ROOT, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"labspin fit failed ({done.returncode}): {done.stderr[-2000:]}")
    return Row(label, what, meter.seconds, None, meter.others)


def compare(reference: pd.DataFrame, other: pd.DataFrame) -> str:
    """'identical', or how many cells differ (NaN equals NaN; numbers must be equal)."""
    if list(reference.columns) != list(other.columns) or len(reference) != len(other):
        return (f"DIFFERENT SHAPE: {reference.shape} against {other.shape}, columns "
                f"{sorted(set(reference.columns) ^ set(other.columns))} not in both")
    a, b = reference.reset_index(drop=True), other.reset_index(drop=True)
    same = (a == b) | (a.isna() & b.isna())
    differ = int((~same).to_numpy().sum())
    return "identical" if differ == 0 else f"MISMATCH: {differ} of {a.size} cells differ"


def via_csv(frame: pd.DataFrame, path: Path) -> pd.DataFrame:
    """The frame as the CLI's --out CSV would read back, to compare like with like."""
    frame.to_csv(path, index=False)
    return pd.read_csv(path)


def run(args: argparse.Namespace, folder: Path, work: Path) -> None:
    cores = os.cpu_count() or 1
    load_before = os.getloadavg()[0]
    start = time.perf_counter()
    sources = measure_distinct(work / "source")
    measured = time.perf_counter() - start
    files = replicate(sources, folder, args.runs)
    n = len(files)
    kinds = sorted({label.split("_")[0] for _, label in sources})
    print(f"folder {folder}: {n} run files = {len(sources)} distinct runs measured on the "
          f"simulated bench in {measured:.0f} s ({', '.join(kinds)}), copied round-robin "
          "under distinct names")

    distinct_runs, _ = load_runs([path for path, _ in sources])
    fit_many(distinct_runs, workers=1)  # imports lmfit and the models in this process
    rows: list[Row] = []
    frames: dict[str, pd.DataFrame] = {}
    summaries: dict[str, pd.DataFrame] = {}
    notes: list[str] = []

    def in_process(label: str, what: str, fit: Callable[[list], pd.DataFrame]) -> None:
        row, frames[label] = time_mode(label, what, files, fit, args.repeats)
        rows.append(row)

    def cli(label: str, what: str, *options: str) -> None:
        if not args.no_cli:
            summary = work / f"cli-{len(summaries)}.csv"
            rows.append(time_cli(label, what, folder, summary, *options))
            summaries[label] = pd.read_csv(summary)

    # the cluster starts after the local modes, so its idle processes cannot slow them
    in_process("serial", "load_runs + fit_many(workers=1)", lambda runs: fit_many(runs, workers=1))
    in_process(f"process pool x{cores}", f"load_runs + fit_many(workers={cores})",
               lambda runs: fit_many(runs, workers=cores))
    cli(f"CLI, process pool x{cores}", "labspin fit DIR (end to end, once)")
    if LocalCluster is None:
        notes.append('dask.distributed is not installed: pip install -e ".[cluster]" to '
                     "time a Dask LocalCluster too")
    else:
        def new_cluster():
            # silence_logs: a worker's heartbeat racing the shutdown logs a harmless traceback
            return LocalCluster(n_workers=cores, threads_per_worker=1, processes=True,
                                dashboard_address=None, silence_logs=logging.CRITICAL)

        def on_a_new_cluster(runs):
            with new_cluster() as cluster:
                return fit_many(runs, scheduler=cluster.scheduler_address)

        in_process(f"Dask LocalCluster x{cores}", "start cluster + load_runs + fit_many",
                   on_a_new_cluster)
        start = time.perf_counter()
        with new_cluster() as cluster:
            address = cluster.scheduler_address
            fit_many(distinct_runs, scheduler=address)  # warm-up: the workers import lmfit
            notes.append(f"the warm cluster ({cores} worker processes x 1 thread) was started "
                         f"and warmed up in {time.perf_counter() - start:.1f} s before its "
                         "row, which leaves that out")
            in_process(f"Dask, warm cluster x{cores}", "load_runs + fit_many(scheduler=...)",
                       lambda runs: fit_many(runs, scheduler=address))
            cli(f"CLI, Dask LocalCluster x{cores}", "labspin fit DIR --scheduler ... (once)",
                "--scheduler", address)

    serial = frames["serial"]
    base = n / rows[0].seconds
    print(f"machine: {cores} cores; 1-min load average {load_before:.1f} when the benchmark "
          f"started; in-process rows are the best of {args.repeats}, CLI rows one run")
    header = (f"{'mode':28s} {'timed':40s} {'seconds':>8s} {'fits/s':>8s} "
              f"{'x serial':>9s} {'fit-only fits/s':>16s} {'others CPU s':>13s}")
    print(header)
    print("-" * len(header))
    for row in rows:
        rate = n / row.seconds
        fit_text = f"{n / row.fit_seconds:16.1f}" if row.fit_seconds else f"{'-':>16s}"
        print(f"{row.label:28s} {row.what:40s} {row.seconds:8.2f} {rate:8.1f} "
              f"{rate / base:9.2f} {fit_text} {row.others_cpu:13.2f}")
    print(f"others CPU s: CPU seconds that processes outside this benchmark used during the "
          f"row, out of {cores} x seconds (/proc/stat); well above 0, the row is slowed by "
          "them, the parallel rows most")
    fitted = int(serial["fitted"].astype(bool).sum())
    print(f"fitted {fitted} of {n} runs; loading the files (load_runs, serial in the calling "
          f"process, part of every row) took {rows[0].seconds - rows[0].fit_seconds:.2f} s of "
          "the serial row")
    for label, frame in frames.items():
        if label != "serial":
            print(f"{label} against serial: {compare(serial, frame)}")
    if summaries:
        reference = via_csv(serial, work / "serial.csv")
        for label, frame in summaries.items():
            print(f"{label} summary CSV against serial: {compare(reference, frame)}")
    for note in notes:
        print(note)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=1000, help="run files in the folder")
    parser.add_argument("--dir", type=Path, default=None,
                        help="write the folder here and keep it (default: a temporary one)")
    parser.add_argument("--repeats", type=int, default=3,
                        help="in-process timings keep the best of this many")
    parser.add_argument("--no-cli", action="store_true", help="skip the labspin fit rows")
    args = parser.parse_args()
    if args.runs < 1 or args.repeats < 1:
        parser.error("--runs and --repeats must be at least 1")
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        folder = args.dir if args.dir is not None else work / "runs"
        folder.mkdir(parents=True, exist_ok=True)
        if any(folder.glob("*.csv")):
            parser.error(f"{folder} already holds .csv files: give an empty or new --dir")
        run(args, folder, work)


if __name__ == "__main__":
    main()
