"""``labspin demo``: the paper's experiments on the simulated bench, fitted and reported.

On the built-in simulated probe station: for ``py-nio`` (the paper's geometry) a USMR
field loop, a current-switching loop read by R_xx^2w, a deterministic pulse sequence
and a harmonic Hall angle scan; for the references ``pt-py`` and ``py-alox`` a USMR
loop and a switching loop; spin-torque FMR of ``py-nio`` and ``py-alox``
(``demo_stfmr``: the damping the AFMI adds, and xi_DL once more). Every run goes into a
catalog under ``out/data``; the fits give xi_DL, the critical currents, the switching
energies and the damping, compared with what the device model predicts; ``out/report``
holds the plots and tables.

Energies per switching event are measured, not estimated: the 6221's pulse-delta mode
has the 2182A read the voltage across the V_xx probes during every pulse of a
switching loop (the demo's stations wire the 2182A's channel 1, which pulse delta reads,
to the xx contacts), so the bar's resistance at the end of the pulse, hot from it, is
known at every amplitude. The measured energy is E = I_c V(I_c) t_p = I_c^2 R_hot(I_c)
t_p, with R_hot = V/I fitted as R_0 + k I^2 (Joule heating) through the loop's pulses.
The model column computes the same thing: I_c^2 times the integral of R(T(t)) over the
pulse between the same probes (``labspin.physics.properties.pulse_energy``), with the
model's I_c. Both refer to the section of the bar between the V_xx probes (length L).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from labspin import demo_stfmr
from labspin.analysis.batch import fit_run
from labspin.analysis.formatting import reason_of, verdict_of
from labspin.analysis.loaders import load_run
from labspin.analysis.verdicts import LEVELS, is_undetermined
from labspin.physics import preset, spin_transport
from labspin.physics.predictions import critical_current
from labspin.physics.properties import properties_at, pulse_energy
from labspin.procedures import procedure_class
from labspin.runs import open_catalog, run_procedure
from labspin.samples import Calibration
from labspin.station import Station, default_sim_config

PULSE_WIDTH = 1e-3  # s
SEQUENCE = ("+35 mA x 1 ms *3, -35 mA x 1 ms *3, +35 mA x 1 ms, -35 mA x 1 ms, "
            "+15 mA x 1 ms *2")
#: per device: the largest pulse current of its switching loop (within the station's
#: 1 mJ and 2.5e12 A/m^2 limits at 1 ms; py-alox burns open near 50 mA)
MAX_PULSE = {"py-nio": 0.04, "pt-py": 0.065, "py-alox": 0.04}


@dataclass
class DemoRow:
    quantity: str
    measured: float
    stderr: float
    model: float
    unit: str
    #: the fit's verdict (labspin.analysis.verdicts) and why, "" when ok
    verdict: str = "ok"
    reason: str = ""

    @property
    def determined(self) -> bool:
        return self.verdict != "not determined" and math.isfinite(self.measured)

    @property
    def agreement(self) -> float:
        """measured / model - 1 (NaN when not determined)."""
        if not self.determined or not math.isfinite(self.model) or self.model == 0:
            return math.nan
        return self.measured / self.model - 1

    def measured_text(self) -> str:
        """"1.23 ± 0.04 unit", or "not determined" (never a number then)."""
        if not self.determined:
            return "not determined"
        unit = f" {self.unit}" if self.unit else ""
        return f"{self.measured:.4g} ± {self.stderr:.2g}{unit}"

    def verdict_text(self) -> str:
        return self.verdict if self.verdict == "ok" or not self.reason \
            else f"{self.verdict}: {self.reason}"


def _worst(*verdicts: str) -> str:
    return max(verdicts, key=LEVELS.index)


@dataclass
class DemoResult:
    out_dir: Path
    rows: list[DemoRow] = field(default_factory=list)
    runs: list[Any] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def row(self, quantity: str) -> DemoRow:
        return next(r for r in self.rows if r.quantity == quantity)


def _run(station: Station, catalog: Any, name: str, **parameters: Any) -> Any:
    proc = procedure_class(name)()
    proc.set_parameters(parameters)
    record = run_procedure(proc, station, catalog)
    if record.status != "finished":
        raise RuntimeError(f"demo run {name} on {station.description} {record.status}: "
                           f"{record.error}")
    return record


def _station(preset_name: str, seed: int) -> Station:
    """The built-in simulated station with the 2182A's channel 1 on the xx contacts, so
    that the 6221's pulse delta reads the voltage across the bar during each pulse (the
    demo reads the state with the lock-ins only)."""
    config = default_sim_config(preset_name, seed)
    meter = config.instruments["voltmeter"].model_copy(update={"wiring": {"1": "xx",
                                                                          "2": "xy"}})
    config = config.model_copy(update={"instruments": {**config.instruments,
                                                       "voltmeter": meter}})
    if preset_name == "py-nio":  # the calibration the harmonic Hall analysis needs
        sample = config.sample.model_copy(update={"calibration": _calibration(preset_name)})
        config = config.model_copy(update={"sample": sample})
    station = Station(config, sim=True, seed=seed, preset=preset_name)
    station.connect()
    return station


def _calibration(preset_name: str) -> Calibration:
    """What a lab measures on a sister bar before the night: R_AHE from an out-of-plane
    Hall loop (1 %), mu0 M_eff from FMR (0.02 T) and M_s from magnetometry (2 %). On the
    simulated bench these are the model's own values, written into the station's sample
    as a user writes theirs (README, "Samples and their calibration"): the run headers
    carry them and ``labspin fit`` takes them from there, as it would on hardware."""
    params = preset(preset_name)
    props = properties_at(params, params.thermal.stage_temperature)
    r_ahe, m_s = params.readout.anomalous_hall, props.saturation_magnetization
    return Calibration(r_ahe={"value": r_ahe, "stderr": 0.01 * r_ahe},
                       m_eff={"value": props.demag_field, "stderr": 0.02},
                       m_s={"value": m_s, "stderr": 0.02 * m_s})


def _device_runs(preset_name: str, catalog: Any, seed: int, progress: Any,
                 notes: list[str]) -> dict[str, Any]:
    runs: dict[str, Any] = {}
    with _station(preset_name, seed) as station:
        progress(f"{preset_name}: USMR field loop")
        runs["usmr"] = _run(station, catalog, "USMRLoop", field_max=0.03, field_step=0.002)
        progress(f"{preset_name}: current-switching loop, {PULSE_WIDTH * 1e3:g} ms pulses")
        try:
            # two loops: the first sets the state, the fit takes the second (a stack
            # whose first polarity finds it already switched has one switch in loop 1)
            runs["switching"] = _run(station, catalog, "SwitchingLoop",
                                     max_pulse_current=MAX_PULSE[preset_name],
                                     pulse_steps=40, pulse_width=PULSE_WIDTH,
                                     readout="R_xx 2w", loops=2)
        except RuntimeError as exc:
            if preset_name == "py-nio":
                raise
            notes.append(f"{preset_name}: the switching loop stopped: {exc}")
        if preset_name in demo_stfmr.DEVICES:
            progress(f"{preset_name}: spin-torque FMR")
            runs["stfmr"] = _run(station, catalog, "STFMR", **demo_stfmr.settings(preset_name))
        if preset_name == "py-nio":
            progress("py-nio: deterministic pulse sequence")
            runs["sequence"] = _run(station, catalog, "PulseSequence", sequence=SEQUENCE)
            progress("py-nio: harmonic Hall angle scans at 0.3, 0.4, 0.5 T")
            runs["harmonic"] = _run(station, catalog, "HarmonicHall", mode="angle scan",
                                    field_magnitudes="0.3, 0.4, 0.5", angle_step=30.0,
                                    current=7e-3, time_constant=3.0)
    return runs


def measured_switching_energy(record: Any, current: float, current_err: float,
                              pulse_width: float) -> tuple[float, float]:
    """(E, sigma_E) per switching event at ``current`` from a switching run's measured
    pulse voltages: the conductance I/V fitted as G_0 - c I^2 through every pulse that
    had a voltage read (a bar whose resistance grows linearly with its temperature and
    warms with the power; ``labspin.analysis.probability_runs.pulse_temperatures``),
    E = I_c^2 R_hot(I_c) t_p. NaN when the run has no pulse voltages."""
    data = load_run(record.file).data
    if "Pulse voltage (V)" not in data.columns:
        return math.nan, math.nan
    i = data["Pulse current (A)"].to_numpy(float)
    v = data["Pulse voltage (V)"].to_numpy(float)
    ok = np.isfinite(i) & np.isfinite(v) & (i != 0)
    if np.count_nonzero(ok) < 3:
        return math.nan, math.nan
    design = np.column_stack([np.ones(np.count_nonzero(ok)), -i[ok] ** 2])
    g = i[ok] / v[ok]
    coef, *_ = np.linalg.lstsq(design, g, rcond=None)
    resid = g - design @ coef
    cov = np.linalg.inv(design.T @ design) * float(resid @ resid) / max(g.size - 2, 1)
    point = np.array([1.0, -current**2])
    g_hot = float(point @ coef)
    r_hot = 1.0 / g_hot
    r_err = float(np.sqrt(point @ cov @ point)) * r_hot**2
    energy = current**2 * r_hot * pulse_width
    # I_c enters squared, and through R_hot(I_c): dR/dI = 2 c I_c R^2
    d_energy_di = (2 * current * r_hot + current**2 * 2 * coef[1] * current * r_hot**2) \
        * pulse_width
    return energy, math.hypot(d_energy_di * current_err, current**2 * pulse_width * r_err)


def model_switching_energy(name: str, current: float, pulse_width: float) -> float:
    """The model's energy per switching event at its own I_c: I^2 integral of R(T(t)) dt
    between the V_xx probes, the same quantity as :func:`measured_switching_energy`."""
    return pulse_energy(preset(name), current, pulse_width)[0]


def run_demo(out_dir: str | Path = "labspin-demo", seed: int = 1,
             progress: Any = lambda message: None) -> DemoResult:
    """Run, fit and report the demo; returns the comparison with the model."""
    from labspin.analysis.report import make_report

    out = Path(out_dir)
    result = DemoResult(out)
    runs: dict[str, dict[str, Any]] = {}
    with open_catalog(out / "data") as catalog:
        for name in ("py-nio", "pt-py", "py-alox"):
            runs[name] = _device_runs(name, catalog, seed, progress, result.notes)
    result.runs = [r for device in runs.values() for r in device.values()]

    progress("fitting")
    harmonic = fit_run(load_run(runs["py-nio"]["harmonic"].file))  # calibration: header
    verdict = verdict_of(harmonic)
    if is_undetermined(harmonic, "xi_dl") or "xi_dl" not in harmonic:
        verdict = "not determined"
    result.rows.append(DemoRow("ξ_DL py-nio (harmonic Hall)", harmonic.get("xi_dl", math.nan),
                               harmonic.get("xi_dl_stderr", math.nan),
                               spin_transport(preset("py-nio")).xi_dl, "", verdict,
                               reason_of(harmonic) or ("ξ_DL not determined"
                                                       if verdict != "ok" else "")))
    result.notes.append("ξ_DL from the Avci analysis with R_AHE, M_eff and M_s from the "
                        "sample's calibration in the run header (measured separately on a "
                        "sister bar: out-of-plane Hall loop, FMR, magnetometry).")

    energies: dict[str, tuple[float, float, float]] = {}
    for name in ("py-nio", "pt-py", "py-alox"):
        if "switching" not in runs[name]:
            continue
        fit = fit_run(load_run(runs[name]["switching"].file))
        model_ic = critical_current(preset(name), PULSE_WIDTH)
        if not fit.get("fitted") or not math.isfinite(model_ic):
            result.notes.append(f"{name}: no switching up to {MAX_PULSE[name] * 1e3:g} mA"
                                + ("" if math.isfinite(model_ic) else
                                   " (the model: none before the bar burns open)"))
            continue
        ic = fit["i_c"]
        ic_err = math.hypot(fit["i_c_plus_stderr"], fit["i_c_minus_stderr"]) / 2
        if is_undetermined(fit, "i_c"):
            result.notes.append(f"{name}: the switching loop does not determine I_c "
                                f"({reason_of(fit)}; the model's I_c is "
                                f"{model_ic * 1e3:.1f} mA)")
            continue
        if not (math.isfinite(ic_err) and ic_err < 0.1 * abs(ic)):
            result.notes.append(
                f"{name}: the switching loop does not determine I_c (the bar switches only "
                f"partly up to {MAX_PULSE[name] * 1e3:g} mA, the most the 1 mJ pulse limit "
                f"allows; the model's I_c is {model_ic * 1e3:.1f} mA)")
            continue
        area_n = preset(name).hall_bar.width * spin_transport(preset(name)).conducting_thickness
        result.rows.append(DemoRow(f"J_c {name}, 1 ms", ic / area_n, ic_err / area_n,
                                   model_ic / area_n, "A/m²", verdict_of(fit),
                                   reason_of(fit)))
        energy, energy_err = measured_switching_energy(runs[name]["switching"], ic, ic_err,
                                                       PULSE_WIDTH)
        if not math.isfinite(energy):
            result.notes.append(f"{name}: no pulse voltages in the switching run, so no "
                                "measured energy")
            continue
        model_energy = model_switching_energy(name, model_ic, PULSE_WIDTH)
        result.rows.append(DemoRow(f"E per switching {name}, 1 ms", energy, energy_err,
                                   model_energy, "J", verdict_of(fit), reason_of(fit)))
        energies[name] = (energy, energy_err / energy, model_energy, verdict_of(fit),
                          reason_of(fit))
    if "pt-py" in energies and "py-nio" in energies:
        (e_pt, rel_pt, m_pt, v_pt, why_pt), (e_ni, rel_ni, m_ni, v_ni, why_ni) = \
            energies["pt-py"], energies["py-nio"]
        ratio = e_pt / e_ni
        reasons = "; ".join(f"{n}: {w}" for n, w in (("pt-py", why_pt), ("py-nio", why_ni))
                            if w)
        result.rows.append(DemoRow("energy ratio pt-py / py-nio", ratio,
                                   ratio * math.hypot(rel_pt, rel_ni), m_pt / m_ni, "",
                                   _worst(v_pt, v_ni), reasons))
        result.notes.append("energies per switching event: I_c V t_p with V the voltage "
                            "the 6221's pulse delta read across the V_xx probes during the "
                            "pulses (the bar hot), model: I_c² ∫R(T(t))dt over the same "
                            "section")

    demo_stfmr.add_rows(result, runs, DemoRow)

    sequence = load_run(runs["py-nio"]["sequence"].file).data
    signal = sequence["R_xx 2w (ohm)"].to_numpy()
    flips = int(((signal[1:] * signal[:-1]) < 0).sum())
    result.notes.append(f"pulse sequence: the read-out changed sign {flips} times in "
                        f"{len(signal) - 1} pulses (expected 4: the alternating pulses only)")

    progress("writing the report")
    make_report(out / "data", out / "report", workers=1)
    return result
