"""Coverage of the fitted sigmas: the share of repeated fits within 1 and 2 sigma of the
truth, per quantity, over many seeded repetitions of one simulated run (new thermal
history and read noise each time), with the scenarios of tests/analysis/test_coverage_*.

    python benchmarks/bench_coverage.py [--n 200]

The tests assert these at N = 50-60 in CI; here N can be larger for a tighter estimate.
Truth is the model's (coverage_sim module doc): single-step 50 % thresholds from the
Device's grain probabilities, the R_AHE and noise the run was given, the activation law
of a cold bar, the torque formula of PHYSICS.md by hand.

    python benchmarks/bench_coverage.py --only avci [--n 40]

measures Avci angle scans as a user does (HarmonicHall on the simulated bench, one
bench seed per repetition, then ``labspin fit``'s fit of the saved file with R_AHE,
M_eff and M_s given) on a perpendicular cofeb-nio-pma bar and an easy-x py-nio bar, with
the truth of the model at the bar's temperature with I_0 flowing (the 2w reads the
torques at the sine's peak heating). The seeds drive the lock-in noise: two bars
measured with the same seeds see the same noise, so their z-scores are correlated (0.7
to 1.0), not independent evidence.
"""

from __future__ import annotations

import argparse
import sys
import warnings
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from labspin.analysis.models.harmonic import fit_harmonic_hall_perpendicular  # noqa: E402
from labspin.analysis.models.loops import fit_hysteresis_loop  # noqa: E402
from labspin.analysis.models.probability import (  # noqa: E402
    fit_pulse_width_dependence,
    fit_switching_probability,
    half_switching_current,
)
from labspin.analysis.models.switching import fit_switching_loop  # noqa: E402
from labspin.physics import Device, preset, spin_transport  # noqa: E402
from tests.analysis import test_coverage_harmonic as harmonic  # noqa: E402
from tests.analysis import test_coverage_probability as probability  # noqa: E402
from tests.analysis.coverage_sim import (  # noqa: E402
    current_loop,
    dwell_table,
    field_loop,
    pulse_table,
    single_step_threshold,
    z_scores,
)
from tests.analysis.helpers import angle_scans, cold, field_sweeps, quiet  # noqa: E402
from tests.analysis.test_probability import textbook_threshold  # noqa: E402
from tests.procedures.test_harmonic import readout_terms  # noqa: E402


def row(label: str, z: np.ndarray, n: int) -> None:
    a = np.abs(z)
    print(f"| {label} | {n} | {100 * np.mean(a < 1):.0f} | {100 * np.mean(a < 2):.0f} | "
          f"{np.median(a):.2f} | {np.sqrt(np.mean(z**2)):.2f} | {np.mean(z):+.2f} |")


def loops(n: int) -> None:
    params = preset("py-nio")
    amplitudes = np.linspace(0.0, 0.035, 36)
    up = pulse_table(params, amplitudes, 1e-3, state=1, field=(0.0, 1e-3, 0.0))
    down = pulse_table(params, -amplitudes, 1e-3, state=-1, field=(0.0, 1e-3, 0.0))
    plus, minus = single_step_threshold(up, amplitudes), -single_step_threshold(down,
                                                                                 amplitudes)
    fits = [fit_switching_loop(*current_loop(up, down, amplitudes, np.random.default_rng(k),
                                             650e-6, 3e-6), width=5e-6, thickness=5e-9)
            for k in range(n)]
    row("I_c+ (py-nio, 1 ms, 1 mA steps)", z_scores(fits, "i_c_plus", plus), n)
    row("I_c- (same)", z_scores(fits, "i_c_minus", minus), n)
    row("loop shift in current (1 mT along y)", z_scores(fits, "i_c_shift",
                                                         0.5 * (plus + minus)), n)
    fields = np.round(np.arange(0.02, -0.02 - 2.5e-4, -5e-4), 12)
    down = dwell_table(params, fields, 1, 1.5, state=1, current=8e-3)
    up = dwell_table(params, fields, 1, 1.5, state=-1, current=8e-3)
    b_minus, b_plus = single_step_threshold(down, fields), single_step_threshold(
        up[::-1], fields[::-1])
    fits = [fit_hysteresis_loop(*field_loop(down, up, fields, np.random.default_rng(k),
                                            650e-6, 3e-6)) for k in range(n)]
    row("B_c+ (py-nio along y, 0.5 mT steps, 8 mA DC)", z_scores(fits, "b_c_plus", b_plus), n)
    row("B_c- (same)", z_scores(fits, "b_c_minus", b_minus), n)
    row("exchange bias / field loop shift (same)",
        z_scores(fits, "exchange_bias", 0.5 * (b_plus + b_minus)), n)
    params = preset("cofeb-nio-pma")
    fields = np.round(np.arange(0.03, -0.03 - 5e-4, -1e-3), 12)
    down = dwell_table(params, fields, 2, 0.35, state=1)
    up = dwell_table(params, fields, 2, 0.35, state=-1)
    fits = [fit_hysteresis_loop(*field_loop(down, up, fields, np.random.default_rng(k),
                                            2.0, 2e-3)) for k in range(n)]
    row("R_AHE (cofeb-nio-pma Hall loop, 1 mT steps)", z_scores(fits, "half_step", 2.0), n)
    row("B_c+ (same)", z_scores(fits, "b_c_plus", single_step_threshold(up[::-1],
                                                                         fields[::-1])), n)


def probabilities(n: int) -> None:
    params = cold("py-nio", grains=8)
    i_c0, delta_0 = textbook_threshold(params), params.kinetics.barrier
    widths = (1e-6, 1e-4, 1e-2)
    curves = [probability.curve(params, w, half_switching_current(w, i_c0, delta_0))
              for w in widths]
    single, across = [], []
    for k in range(n):
        rng = np.random.default_rng(k)
        fits = []
        for width, (amplitudes, table) in zip(widths, curves, strict=True):
            share, spread = probability.measure(table, rng)
            fits.append(fit_switching_probability(amplitudes, share, pulse_width=width,
                                                  trials=probability.TRIALS, sample_sd=spread))
        single.append(fits[1])
        across.append(fit_pulse_width_dependence(widths, [f["i_50"] for f in fits],
                                                 [f["i_50_stderr"] for f in fits]))
    amplitudes, table = curves[1]
    row("I_50 (cold bar, 100 us, 40 trials x 9)", z_scores(
        single, "i_50", single_step_threshold(table, amplitudes)), n)
    row("Delta_0 (one curve)", z_scores(single, "delta_0", delta_0), n)
    row("I_c0 across 3 widths", z_scores(across, "i_c0", i_c0), n)
    row("Delta_0 across 3 widths", z_scores(across, "delta_0", delta_0), n)


def torques(n: int) -> None:
    params = harmonic.avci_bar()
    rows = angle_scans(params, harmonic.FIELDS, harmonic.ANGLES, harmonic.I0)
    truth = harmonic.truth_by_hand(params)
    fits = [harmonic.fit(params, rows, np.random.default_rng(k)) for k in range(n)]
    for key in ("b_dl", "b_fl", "xi_dl"):
        row(f"{key} (Avci, B_K 30 mT, M_eff 1 T, 0.1-0.5 T)", z_scores(fits, key, truth[key]),
            n)
    # as tests/analysis/test_coverage_harmonic.py: 2 nV at 2w, the truth at the bar's
    # temperature with I_0 flowing
    params = quiet("cofeb-nio-pma")
    _, r_phe, r_ahe = readout_terms(params)
    device = Device(params, seed=0, initial_state=1)
    sweep = np.linspace(-6e-3, 6e-3, 25)
    clean = field_sweeps(device, sweep, 1e-3)
    truth = spin_transport(params, device.temperature(1e-3))
    fits = []
    for k in range(n):
        rng = np.random.default_rng(500 + k)
        data = []
        for v1, v2 in clean:
            data += [sweep, v1 + rng.normal(0, 10e-9, sweep.size),
                     v2 + rng.normal(0, 2e-9, sweep.size)]
        fits.append(fit_harmonic_hall_perpendicular(*data, current_amplitude=1e-3, state=1,
                                                    planar_to_anomalous=r_phe / r_ahe))
    row("B_DL (Hayashi, cofeb-nio-pma)", z_scores(fits, "b_dl_per_ampere",
                                                  truth.b_dl_per_ampere), n)


def easy_x_py_nio():
    params = preset("py-nio")
    return params.with_(name="py-nio easy x",
                        ferromagnet=params.ferromagnet.with_(easy_axis=(1.0, 0.0, 0.0)))


#: (label, device, HarmonicHall parameters, the M_eff given to the fit (T): of a
#: perpendicular bar its out-of-plane stiffness mu0 M_eff - B_K, negative; None: fitted)
AVCI = [
    ("cofeb-nio-pma, 0.2 mA, 0.15-0.5 T", lambda: preset("cofeb-nio-pma"),
     {"current": 0.2e-3, "field_magnitudes": "0.15, 0.25, 0.35, 0.5"}, -0.08),
    ("cofeb-nio-pma, 1 mA: 2.4 K warmer", lambda: preset("cofeb-nio-pma"),
     {"current": 1e-3, "field_magnitudes": "0.15, 0.25, 0.35, 0.5"}, -0.08),
    ("cofeb-nio-pma, 1 mA, M_eff fitted", lambda: preset("cofeb-nio-pma"),
     {"current": 1e-3, "field_magnitudes": "0.15, 0.25, 0.35, 0.5"}, None),
    ("py-nio easy x, 4 mA, 0.1-0.45 T", easy_x_py_nio,
     {"current": 4e-3, "field_magnitudes": "0.1, 0.2, 0.3, 0.45"}, 0.95),
    ("py-nio easy x, 4 mA, 60 deg steps, 3 fields", easy_x_py_nio,
     {"current": 4e-3, "field_magnitudes": "0.1, 0.2, 0.3", "angle_step": 60.0}, 0.95),
]


def avci(n: int) -> None:
    """The AVCI scenarios: HarmonicHall angle scans on the simulated bench, one per seed,
    each saved file fitted as ``labspin fit --r-ahe --m-eff --ms`` fits it."""
    import tempfile

    from labspin import api
    from labspin.analysis.harmonic_runs import fit_harmonic_run
    from labspin.analysis.loaders import load_run

    for label, make, settings, m_eff in AVCI:
        params = make()
        i0 = settings["current"]
        transport = spin_transport(params, Device(params, seed=0).temperature(i0))
        truth = {"xi_dl": transport.xi_dl, "b_dl": transport.b_dl_per_ampere * i0,
                 "b_fl": (transport.b_fl_per_ampere + transport.b_oersted_per_ampere) * i0}
        fits = []
        with tempfile.TemporaryDirectory() as data_dir:
            for seed in range(n):
                with api.open_station(sim=True, seed=seed, device=params) as station:
                    record = api.run(station, "HarmonicHall", data_dir=data_dir,
                                     mode="angle scan", **settings)
                fits.append(fit_harmonic_run(
                    load_run(record.file), r_ahe=params.readout.anomalous_hall,
                    m_eff=m_eff, ms=params.ferromagnet.saturation_magnetization))
        for key in ("xi_dl", "b_dl", "b_fl"):
            row(f"{key} (Avci, {label})", z_scores(fits, key, truth[key]), n)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=200)
    parser.add_argument("--only", choices=["loops", "probabilities", "torques", "avci"],
                        help="one group of scenarios (default: all)")
    args = parser.parse_args()
    print("| quantity (scenario) | N | within 1 sigma (%) | within 2 sigma (%) | median |z| "
          "| rms z | mean z |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for name, group in (("loops", loops), ("probabilities", probabilities),
                            ("torques", torques), ("avci", avci)):
            if args.only in (None, name):
                group(args.n)


if __name__ == "__main__":
    main()
