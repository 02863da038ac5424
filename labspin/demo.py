"""``labspin demo``: the paper's experiments on the simulated bench, fitted and reported.

On the built-in simulated probe station: for ``py-nio`` (the paper's geometry) a USMR
field loop, a current-switching loop read by R_xx^2w, a deterministic pulse sequence
and a harmonic Hall angle scan; for the references ``pt-py`` and ``py-alox`` a USMR
loop and a switching loop; spin-torque FMR of ``py-nio`` and ``py-alox``
(``demo_stfmr``: the damping the AFMI adds, and xi_DL once more). Every run goes into a
catalog under ``out/data``; the fits give xi_DL, the critical currents, the switching
energies and the damping, compared with what the device model predicts; ``out/report``
holds the plots and tables.

Energies are I_c^2 R_xx t_p with the four-terminal R_xx read cold (the USMR loop's
1w signal), for measurement and model alike, so the two columns compare like for like.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from labspin import demo_stfmr
from labspin.analysis.batch import fit_run
from labspin.analysis.loaders import load_run
from labspin.physics import preset, spin_transport
from labspin.physics.formulas import xi_from_damping_like_field
from labspin.physics.predictions import critical_current
from labspin.physics.properties import properties_at
from labspin.procedures import procedure_class
from labspin.runs import open_catalog, run_procedure
from labspin.station import Station

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

    @property
    def agreement(self) -> float:
        """measured / model - 1."""
        if not (math.isfinite(self.measured) and math.isfinite(self.model)) or self.model == 0:
            return math.nan
        return self.measured / self.model - 1


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


def _device_runs(preset_name: str, catalog: Any, seed: int, progress: Any,
                 notes: list[str]) -> dict[str, Any]:
    runs: dict[str, Any] = {}
    with Station.open(sim=True, preset=preset_name, seed=seed) as station:
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


def _cold_r_xx(record: Any) -> float:
    return float(load_run(record.file).data["R_xx 1w (ohm)"].mean())


def _model_r_xx(name: str) -> float:
    params = preset(name)
    return properties_at(params, params.thermal.stage_temperature).channel_resistance


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
    params = preset("py-nio")
    props = properties_at(params, params.thermal.stage_temperature)
    tr = spin_transport(params)
    area = params.hall_bar.width * tr.conducting_thickness
    harmonic = fit_run(load_run(runs["py-nio"]["harmonic"].file),
                       r_ahe=params.readout.anomalous_hall, m_eff=props.demag_field)
    b_dl, b_dl_err = harmonic.get("b_dl_per_ampere", math.nan), \
        harmonic.get("b_dl_per_ampere_stderr", math.nan)
    xi = float(xi_from_damping_like_field(b_dl, 1.0 / area, props.saturation_magnetization,
                                          params.ferromagnet.thickness))
    result.rows.append(DemoRow("ξ_DL py-nio (harmonic Hall)", xi, abs(xi * b_dl_err / b_dl),
                               tr.xi_dl, ""))
    result.notes.append("ξ_DL from the Avci analysis with R_AHE and M_eff of the device "
                        "taken as calibrated separately (out-of-plane saturation, FMR).")

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
        if not (math.isfinite(ic_err) and ic_err < 0.1 * abs(ic)):
            result.notes.append(
                f"{name}: the switching loop does not determine I_c (the bar switches only "
                f"partly up to {MAX_PULSE[name] * 1e3:g} mA, the most the 1 mJ pulse limit "
                f"allows; the model's I_c is {model_ic * 1e3:.1f} mA)")
            continue
        area_n = preset(name).hall_bar.width * spin_transport(preset(name)).conducting_thickness
        result.rows.append(DemoRow(f"J_c {name}, 1 ms", ic / area_n, ic_err / area_n,
                                   model_ic / area_n, "A/m²"))
        r_cold = _cold_r_xx(runs[name]["usmr"])
        energies[name] = (ic**2 * r_cold * PULSE_WIDTH, 2 * ic_err / ic,
                          model_ic**2 * _model_r_xx(name) * PULSE_WIDTH)
    if "pt-py" in energies and "py-nio" in energies:
        (e_pt, rel_pt, m_pt), (e_ni, rel_ni, m_ni) = energies["pt-py"], energies["py-nio"]
        ratio = e_pt / e_ni
        result.rows.append(DemoRow("energy ratio pt-py / py-nio", ratio,
                                   ratio * math.hypot(rel_pt, rel_ni), m_pt / m_ni, ""))

    demo_stfmr.add_rows(result, runs, DemoRow)

    sequence = load_run(runs["py-nio"]["sequence"].file).data
    signal = sequence["R_xx 2w (ohm)"].to_numpy()
    flips = int(((signal[1:] * signal[:-1]) < 0).sum())
    result.notes.append(f"pulse sequence: the read-out changed sign {flips} times in "
                        f"{len(signal) - 1} pulses (expected 4: the alternating pulses only)")

    progress("writing the report")
    make_report(out / "data", out / "report", workers=1)
    return result
