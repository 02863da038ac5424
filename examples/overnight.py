"""An overnight loop written in Python instead of a queue file.

Run it as ``python examples/overnight.py`` (simulated bench) or
``python examples/overnight.py --station examples/station-probe.yaml`` (hardware).
Every run lands in the same catalog as ``labspin run`` and queues (``labspin runs``
lists them); limits are checked before anything is applied, and the station is left
safe when the ``with`` block ends, however it ends (Ctrl+C included).
"""

import argparse
import math

from labspin import api
from labspin.analysis.models.switching import fit_switching_loop


def milliamps(fit: dict, key: str) -> str:
    value, error = fit[key] * 1e3, fit[f"{key}_stderr"] * 1e3
    if not math.isfinite(error):  # the step is sharper than the current steps resolve
        return f"{value:.1f} mA (within one step)"
    return f"{value:.2f} ± {error:.2f} mA"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--station", help="station file (default: the simulated bench)")
    parser.add_argument("--data-dir", default="labspin-data")
    args = parser.parse_args()

    with api.open_station(args.station, sim=args.station is None, seed=1) as station:
        # the state of the device first: a USMR field loop along the easy axis
        loop = api.run(station, "USMRLoop", data_dir=args.data_dir,
                       field_max=0.03, field_step=0.003)
        print(f"USMR loop: run {loop.id} {loop.status}, {loop.rows} rows")

        # then current-switching loops at three pulse widths, fitted as they arrive
        sample = station.config.sample
        for width in (1e-4, 3e-4, 1e-3):
            run = api.run(station, "SwitchingLoop", data_dir=args.data_dir,
                          max_pulse_current=0.045, pulse_steps=30, pulse_width=width)
            if run.status != "finished":
                print(f"{width * 1e3:g} ms pulses: run {run.id} {run.status}: {run.error}")
                continue
            data = api.load(run)
            fit = fit_switching_loop(data["Pulse current (A)"], data["R_xx 2w (ohm)"],
                                     width=sample.width, thickness=sample.fm_thickness)
            print(f"{width * 1e3:g} ms pulses: run {run.id}, I_c+ = {milliamps(fit, 'i_c_plus')}"
                  f", I_c- = {milliamps(fit, 'i_c_minus')}")


if __name__ == "__main__":
    main()
