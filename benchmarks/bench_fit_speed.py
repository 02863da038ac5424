"""One loop fit, three ways: labspin's fit_hysteresis_loop against a bare
scipy.optimize.curve_fit and an lmfit Model.fit of the same model function from the same
starting values, in CPU and wall time, min and median over interleaved rounds.

    python benchmarks/bench_fit_speed.py [--rounds 30] [--repeat 20] [--kind hall|switching]

The loop is measured once on the physics model (a Hall loop of cofeb-nio-pma, 301 points,
or a 1 ms current-switching loop of py-nio, 141 points). Every round times ``--repeat``
fits of each way in turn (labspin, curve_fit, lmfit), so that a busy machine slows all
three alike; the table gives min and median per fit over the rounds, the model
evaluations of one fit, and the ratios to curve_fit. labspin's fit does more than the
two others: the uncertainties of the thresholds (the dispersion of reversal from a
hazard fit, a sandwich covariance, the levels refitted on the saturated points), the
derived quantities with their correlated errors, and the verdict. curve_fit and lmfit
give the bare least-squares parameters and covariance. The machine's other load is
printed too (Linux /proc/stat): on a shared machine, it says how far to trust the row.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
import warnings
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from scipy.optimize import curve_fit  # noqa: E402

from labspin.analysis.models import loop_shapes  # noqa: E402
from labspin.analysis.models.loop_shapes import (  # noqa: E402
    HysteresisModel,
    guess_loop,
    sweep_branches,
    sweep_step_of,
)
from labspin.analysis.models.loops import fit_hysteresis_loop  # noqa: E402
from labspin.analysis.models.switching import fit_switching_loop  # noqa: E402
from labspin.physics import Device, preset  # noqa: E402

NAMES = ("offset", "slope", "step", "center_up", "center_down", "width_up", "width_down")


def hall_loop() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """cofeb-nio-pma along z, +-30 mT in 0.2 mT steps, 0.3 s per field, 2 mOhm noise."""
    device = Device(preset("cofeb-nio-pma"), seed=0)
    down = np.round(np.arange(0.03, -0.03 - 1e-4, -2e-4), 12)
    x, y, branch = [], [], []
    rng = np.random.default_rng(1)
    for sweep, sign in ((down, -1), (down[::-1], 1)):
        for b in sweep:
            device.set_field((0.0, 0.0, b))
            device.wait(0.3)
            x.append(b)
            y.append(device.resistances(1e-4).xy + rng.normal(0.0, 2e-3))
            branch.append(sign)
    return np.array(x), np.array(y), np.array(branch)


def switching_loop() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """py-nio, 1 ms pulses 0 -> 35 mA -> -35 mA -> 0 in 1 mA steps, readout m_y."""
    from labspin.procedures.switching import loop_amplitudes

    device = Device(preset("py-nio"), seed=0)
    rng = np.random.default_rng(1)
    x, y, branch = [], [], []
    for amplitude, sign, _ in loop_amplitudes(0.035, 35, 1):
        if amplitude:
            device.apply_pulse(amplitude, 1e-3)
        x.append(amplitude)
        y.append(650e-6 * device.mean_state + rng.normal(0.0, 3e-6))
        branch.append(sign)
    return np.array(x), np.array(y), np.array(branch)


class Counted:
    """Counts the model evaluations of a fit (calls of the loop model function)."""

    def __init__(self) -> None:
        self.calls = 0
        self.original = loop_shapes.activated_loop

    def __enter__(self):
        def counted(*args, **kwargs):
            self.calls += 1
            return self.original(*args, **kwargs)

        loop_shapes.activated_loop = counted
        return self

    def __exit__(self, *_):
        loop_shapes.activated_loop = self.original


def machine_cpu() -> float:
    try:
        ticks = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:9]]
    except (OSError, ValueError):
        return float("nan")
    return (sum(ticks) - ticks[3] - ticks[4]) / os.sysconf("SC_CLK_TCK")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=30)
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--kind", choices=("hall", "switching"), default="hall")
    args = parser.parse_args()
    x, y, branch = hall_loop() if args.kind == "hall" else switching_loop()
    branch = sweep_branches(x) if branch is None else branch
    step = sweep_step_of(x, branch)
    start = guess_loop(x, y, branch, 0.0 if args.kind == "switching" else None)
    p0 = [start[n] for n in NAMES]

    def labspin_fit():
        if args.kind == "switching":
            return fit_switching_loop(x, y, branch, width=5e-6, thickness=5e-9)
        return fit_hysteresis_loop(x, y, branch)

    def scipy_fit():
        return curve_fit(lambda xx, *p: loop_shapes.activated_loop(xx, branch, *p,
                                                                   sweep_step=step),
                         x, y, p0=p0, full_output=True)

    model = HysteresisModel(shape="activation")
    lm_params = model.make_params(**start, sweep_step=step)

    def lmfit_fit():
        return model.fit(y, lm_params, x=x, branch=branch)

    ways = {"labspin": labspin_fit, "curve_fit": scipy_fit, "lmfit": lmfit_fit}
    evaluations = {}
    for name, fn in ways.items():
        with Counted() as counter, warnings.catch_warnings():
            warnings.simplefilter("ignore")
            out = fn()
        evaluations[name] = counter.calls
        if name == "labspin":
            verdict = out["verdict"]
            quoted = (out["b_c_plus"] if args.kind == "hall" else out["i_c_plus"],
                      out["b_c_plus_stderr"] if args.kind == "hall" else out["i_c_plus_stderr"])
    cpu = {n: [] for n in ways}
    wall = {n: [] for n in ways}
    load_before = machine_cpu()
    own_before = time.process_time()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for _ in range(args.rounds):
            for name, fn in ways.items():
                c0, w0 = time.process_time(), time.perf_counter()
                for _ in range(args.repeat):
                    fn()
                cpu[name].append((time.process_time() - c0) / args.repeat)
                wall[name].append((time.perf_counter() - w0) / args.repeat)
    other = machine_cpu() - load_before - (time.process_time() - own_before)
    print(f"{args.kind} loop, {x.size} points; labspin: verdict {verdict}, threshold "
          f"{quoted[0]:.5g} +- {quoted[1]:.2g}")
    print(f"{args.rounds} interleaved rounds of {args.repeat} fits each; CPU used by other "
          f"processes meanwhile: {other:.1f} s")
    print(f"{'':10s} {'evals':>6s} {'CPU min':>9s} {'CPU med':>9s} {'wall min':>9s} "
          f"{'wall med':>9s}   ratio to curve_fit (CPU min, CPU med, wall med)")
    base = (min(cpu["curve_fit"]), statistics.median(cpu["curve_fit"]),
            statistics.median(wall["curve_fit"]))
    for name in ways:
        row = (min(cpu[name]), statistics.median(cpu[name]), min(wall[name]),
               statistics.median(wall[name]))
        ratio = (row[0] / base[0], row[1] / base[1], row[3] / base[2])
        print(f"{name:10s} {evaluations[name]:6d} {row[0] * 1e3:7.2f}ms {row[1] * 1e3:7.2f}ms "
              f"{row[2] * 1e3:7.2f}ms {row[3] * 1e3:7.2f}ms   "
              + ", ".join(f"{r:.2f}x" for r in ratio))


if __name__ == "__main__":
    main()
