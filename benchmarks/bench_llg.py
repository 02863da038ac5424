"""Time labspin's macrospin LLG against cmtj on the same in-plane Py-like problem.

    python benchmarks/bench_llg.py [--rounds 5]

cmtj comes from the ``bench`` extra (``pip install -e ".[bench]"``); it is GPL-2.0 and is
imported here only, never from the package.

Fair by construction: both sides run on one thread (numba's thread pool is set to 1, and
labspin's Heun draws its noise inside the loop, on the same thread; cmtj is serial), and
every row gives both sides the same work (an ensemble of N members for S steps is N
cmtj runs of S steps). Rounds are interleaved (labspin, cmtj, cmtj, labspin, ...), and
each row reports the rate from the minimum and the median over the rounds, of CPU time
(process CPU, all threads) and of wall time. The ensemble Heun row also times the kernel
labspin had before (members outermost, noise drawn by numpy on a helper thread: its CPU
time counts both threads), which is the reference the new one is tested against.

Units. labspin takes flux densities B = mu0 H in tesla. cmtj takes H in A/m, M_s as
mu0 M_s in tesla, the uniaxial anisotropy as an energy density K (J/m^3, field 2K/M_s),
the damping-like and field-like torques as fields in A/m about a reference vector, and
uses its own gamma*mu0 and mu0. To compare like with like we set cmtj's constants to
ours (gamma mu0 and mu0 from labspin.physics.constants) and convert with H = B / mu0,
mu0 M_s = B_demag (thin film, demag tensor diag(0, 0, 1)), K = B_K M_s(T) / (2 mu0).
Compile time is excluded (warm-up first).
"""

from __future__ import annotations

import argparse
import sys
import time
from functools import partial
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from labspin.physics._llg_reference import integrate_heun_reference
from labspin.physics.constants import GAMMA, K_B, MU0
from labspin.physics.llg import MacrospinProblem, integrate_heun, integrate_rk4

try:
    import cmtj
    from cmtj import AxialDriver, CVector, Junction, Layer, SolverMode, constantDriver
except ImportError:  # the bench extra is not installed
    cmtj = None

DT = 1e-13  # s
N_SINGLE = 1_000_000  # steps for single-spin timings (100 ns)
N_MEMBERS = 1000
N_ENSEMBLE_STEPS = 2_000

ALPHA, B_DEMAG, B_K = 0.01, 1.0, 5e-3
B_APPLIED = (0.0, 0.01, 0.02)  # T
B_DL, B_FL = 2e-3, 0.5e-3  # T, sigma = y
THICKNESS, AREA = 5e-9, 40e-9 * 40e-9  # volume for the thermal runs
TEMPERATURE = 300.0
M0 = np.array([0.3, -0.95, 0.1]) / np.linalg.norm([0.3, -0.95, 0.1])


def ours(temperature: float = 0.0, sot: bool = True, alpha: float = ALPHA,
         b_applied: tuple = B_APPLIED) -> MacrospinProblem:
    return MacrospinProblem(alpha=alpha, b_applied=b_applied, b_anisotropy=B_K,
                            easy_axis=(0.0, 1.0, 0.0), b_demag=B_DEMAG,
                            b_dl=B_DL if sot else 0.0, b_fl=B_FL if sot else 0.0,
                            temperature=temperature, ms=B_DEMAG / MU0,
                            volume=THICKNESS * AREA)


def theirs(temperature: float = 0.0, sot: bool = True, alpha: float = ALPHA,
           b_applied: tuple = B_APPLIED, seed: int = 1):
    """The same macrospin as a one-layer cmtj Junction."""
    cmtj.constants.PhysicalConstants.set_magnetic_permeability(MU0)
    cmtj.constants.PhysicalConstants.set_gyromagnetic_ratio(GAMMA * MU0)
    demag = [CVector(0, 0, 0), CVector(0, 0, 0), CVector(0, 0, 1)]
    layer = Layer("free", mag=CVector(*M0), anis=CVector(0, 1, 0), Ms=B_DEMAG,
                  thickness=THICKNESS, cellSurface=AREA, demagTensor=demag, damping=alpha)
    junction = Junction([layer])
    junction.setLayerAnisotropyDriver("free", constantDriver(B_K * B_DEMAG / (2 * MU0)))
    junction.setLayerExternalFieldDriver(
        "free", AxialDriver(*(constantDriver(b / MU0) for b in b_applied)))
    if sot:
        junction.setLayerReferenceLayer("free", CVector(0, 1, 0))
        junction.setLayerDampingLikeTorqueDriver("free", constantDriver(B_DL / MU0))
        junction.setLayerFieldLikeTorqueDriver("free", constantDriver(B_FL / MU0))
    if temperature > 0:
        junction.setLayerTemperatureDriver("free", constantDriver(temperature))
        junction.setLayerSeed("free", seed)
    return junction


def cmtj_steps(n_steps: int) -> int:
    """cmtj runs int(total_time / dt) steps, which can be one fewer than asked."""
    return int(n_steps * DT / DT)


def run_theirs(junction, n_steps: int, mode, write_every: int | None = None) -> None:
    junction.clearLog()
    junction.setLayerMagnetisation("free", CVector(*M0))
    junction.runSimulation(n_steps * DT, DT, (write_every or n_steps) * DT, solverMode=mode)


class Timings:
    """CPU and wall seconds of one side of a row over the rounds."""

    def __init__(self, work: int) -> None:
        self.work, self.cpu, self.wall = work, [], []

    def run(self, func) -> None:
        cpu, wall = time.process_time(), time.perf_counter()
        func()
        self.cpu.append(time.process_time() - cpu)
        self.wall.append(time.perf_counter() - wall)

    def rates(self, clock: str) -> tuple[float, float]:
        """(rate from the minimum, rate from the median) of work units per second."""
        seconds = np.array(getattr(self, clock))
        return self.work / seconds.min(), self.work / float(np.median(seconds))


def check_agreement() -> list[str]:
    lines = []
    n = 20_000  # 2 ns with every term on; the spin reverses from near -y to +y
    mine = integrate_rk4(ours(), M0, DT, cmtj_steps(n))
    junction = theirs()
    run_theirs(junction, n, SolverMode.RK4)
    mag = junction.getLayerMagnetisation("free")
    other = np.array([mag.x, mag.y, mag.z])
    lines.append(f"agreement, deterministic RK4 over 2 ns (field, anisotropy, demag, DL and FL "
                 f"torque): |m_labspin - m_cmtj| = {np.linalg.norm(mine - other):.1e}")
    # thermal: time averages of m_x^2 and m_z^2 about +y against small-angle equipartition
    n_thermal, every, alpha, field = 5_000_000, 100, 0.1, (0.0, 0.01, 0.0)
    problem = ours(TEMPERATURE, sot=False, alpha=alpha, b_applied=field)
    traj = integrate_heun(problem, M0, DT, n_thermal, seed=3, record_every=every).m[100:]
    junction = theirs(TEMPERATURE, sot=False, alpha=alpha, b_applied=field, seed=3)
    run_theirs(junction, n_thermal, SolverMode.Heun, every)
    log = junction.getLog()
    theirs_m = np.stack([log["free_mx"], log["free_my"], log["free_mz"]], axis=1)[100:]
    ms_v = problem.ms * problem.volume
    expect_x = K_B * TEMPERATURE / (ms_v * (B_K + field[1]))
    expect_z = K_B * TEMPERATURE / (ms_v * (B_K + field[1] + B_DEMAG))
    lines.append(f"agreement, thermal Heun at {TEMPERATURE:.0f} K, alpha {alpha}, B_y "
                 f"{field[1] * 1e3:g} mT, 500 ns of one spin (about 5% statistical):")
    for name, traj_m in (("labspin", traj), ("cmtj", theirs_m)):
        lines.append(f"  {name:8s} <m_x^2>/equipartition = "
                     f"{np.mean(traj_m[:, 0] ** 2) / expect_x:.3f}   <m_z^2>/equipartition = "
                     f"{np.mean(traj_m[:, 2] ** 2) / expect_z:.3f}")
    return lines


def cmtj_ensemble(junction, mode, members: int, steps: int) -> None:
    """cmtj has no ensemble: N members are N runs."""
    for _ in range(members):
        run_theirs(junction, steps, mode)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5, help="interleaved rounds per row")
    args = parser.parse_args()
    import numba

    numba.set_num_threads(1)  # labspin's RK4 ensemble uses prange: one thread, as cmtj
    deterministic, thermal = ours(), ours(TEMPERATURE)
    ensemble = np.tile(M0, (N_MEMBERS, 1))
    integrate_rk4(deterministic, M0, DT, 1000, backend="numba")  # compile / load cache
    integrate_rk4(deterministic, ensemble, DT, 10, backend="numba")
    integrate_heun(thermal, M0, DT, 1000, seed=0, backend="numba")
    integrate_heun(thermal, ensemble, DT, 10, seed=0, backend="numba")
    integrate_heun_reference(thermal, ensemble, DT, 10, seed=0)
    ens_work = N_MEMBERS * N_ENSEMBLE_STEPS
    rows = [  # (case, work, labspin, cmtj mode and steps per run, members)
        ("RK4, single spin (steps/s)", N_SINGLE,
         lambda: integrate_rk4(deterministic, M0, DT, N_SINGLE), "RK4", N_SINGLE, 1),
        ("stochastic Heun 300 K, single spin (steps/s)", N_SINGLE,
         lambda: integrate_heun(thermal, M0, DT, N_SINGLE, seed=1), "Heun", N_SINGLE, 1),
        (f"RK4, ensemble N={N_MEMBERS} (member-steps/s)", ens_work,
         lambda: integrate_rk4(deterministic, ensemble, DT, N_ENSEMBLE_STEPS), "RK4",
         N_ENSEMBLE_STEPS, N_MEMBERS),
        (f"stochastic Heun 300 K, ensemble N={N_MEMBERS} (member-steps/s)", ens_work,
         lambda: integrate_heun(thermal, ensemble, DT, N_ENSEMBLE_STEPS, seed=1), "Heun",
         N_ENSEMBLE_STEPS, N_MEMBERS),
    ]
    before = Timings(ens_work)  # the members-outer Heun with numpy noise on a helper thread
    notes = []
    if cmtj is None:
        notes.append("cmtj is not installed (pip install -e '.[bench]'): timed labspin only.")
    else:
        junctions = {"RK4": theirs(), "Heun": theirs(TEMPERATURE)}
        modes = {"RK4": SolverMode.RK4, "Heun": SolverMode.Heun}
    results = []
    for case, work, mine, mode, steps, members in rows:
        ours_t, theirs_t = Timings(work), Timings(work)
        sides = [(ours_t, mine)]
        if cmtj is not None:
            sides.append((theirs_t, partial(cmtj_ensemble, junctions[mode], modes[mode],
                                            members, steps)))
        if mode == "Heun" and members > 1:
            sides.append((before, partial(integrate_heun_reference, thermal, ensemble, DT,
                                          N_ENSEMBLE_STEPS, seed=1)))
        for r in range(args.rounds):
            for timings, func in sides if r % 2 == 0 else sides[::-1]:
                timings.run(func)
        results.append((case, ours_t, theirs_t if cmtj is not None else None))
    print(f"dt = {DT:g} s; in-plane Py-like macrospin: B_demag {B_DEMAG} T, B_K {B_K * 1e3:g} mT "
          f"(easy y), alpha {ALPHA}, B_app {B_APPLIED} T, B_DL {B_DL * 1e3:g} mT, "
          f"B_FL {B_FL * 1e3:g} mT about y")
    print(f"one thread each side; {args.rounds} interleaved rounds; rates from the minimum "
          "and the median time over the rounds")
    for clock in ("cpu", "wall"):
        header = (f"{clock.upper() + ' time':9s}{'case':58s} {'labspin min/med':>21s} "
                  f"{'cmtj min/med':>21s} {'labspin/cmtj':>13s}")
        print(header)
        print("-" * len(header))
        for case, mine, other in results:
            a_min, a_med = mine.rates(clock)
            text = f"{a_min:10.3e} {a_med:10.3e}"
            if other is None:
                print(f"{'':9s}{case:58s} {text} {'-':>21s} {'-':>13s}")
                continue
            b_min, b_med = other.rates(clock)
            print(f"{'':9s}{case:58s} {text} {b_min:10.3e} {b_med:10.3e} "
                  f"{a_min / b_min:6.1f} {a_med / b_med:6.1f}")
        b_min, b_med = before.rates(clock)
        h_min, h_med = results[-1][1].rates(clock)
        print(f"{'':9s}{'  before: members outer, numpy noise on a 2nd thread':58s} "
              f"{b_min:10.3e} {b_med:10.3e}   now / before: {h_min / b_min:.1f} (min), "
              f"{h_med / b_med:.1f} (median)")
    if cmtj is not None:
        notes.append(f"cmtj {cmtj.__version__}; its ensemble rows are N sequential runs of S "
                     "steps, Python overhead per run included.")
        notes.extend(check_agreement())
    for note in notes:
        print(note)


if __name__ == "__main__":
    main()
