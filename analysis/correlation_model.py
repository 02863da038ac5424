"""The device model's values beside a chip's measured correlation, for runs of the
simulated bench.

A run file says what measured it in its ``Bench`` header entry: "hardware", or
"simulated: <preset> (<stack>), seed N" (``labspin.station``). For a preset the bar's
device is rebuilt from the header alone, as the bench built it (``labspin.sample_devices``):
the preset with the bar's width and length and, when the header gives one, its AFMI
thickness; the rebuilt stack must read exactly as the header's, else no model value is
given (a device file, or a bench this version cannot rebuild). The model's values:

* alpha and xi_DL at the stage temperature (``labspin.physics.spin_transport``);
* J_c of a switching loop: the single-pulse 50 % current at the loop's pulse width
  (``labspin.physics.predictions.critical_current``, Joule heating included) over the
  model's conducting cross-section; what the loop fit reports
  (:mod:`labspin.analysis.models.thresholds`).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from labspin.physics import DeviceParameters, preset, spin_transport
from labspin.physics.parameters import Antiferromagnet
from labspin.physics.presets import preset_names

__all__ = ["BarModel", "bar_model"]

_SIMULATED = re.compile(r"^simulated: (?P<name>[^ ]+) \((?P<stack>.*)\), seed \S+$")


@dataclass(frozen=True)
class BarModel:
    """The model device of one bar, or why there is none (``params`` None)."""

    params: DeviceParameters | None
    why_not: str = ""

    @property
    def has_afmi(self) -> bool | None:
        """Whether the device has an antiferromagnetic insulator (None: no model)."""
        if self.params is None:
            return None
        return any(isinstance(getattr(self.params, side), Antiferromagnet)
                   for side in ("top", "bottom"))

    def alpha(self) -> float:
        return float(spin_transport(self.params).damping) if self.params else math.nan

    def xi_dl(self) -> float:
        return float(spin_transport(self.params).xi_dl) if self.params else math.nan

    def j_c(self, pulse_width: float) -> float:
        """A/m^2 at ``pulse_width`` (s); NaN without a model, inf when no pulse below the
        burn-out switches the bar."""
        if self.params is None or not (pulse_width > 0):
            return math.nan
        return _critical_density(self.params, float(pulse_width))


@lru_cache(maxsize=64)
def _critical_density(params: DeviceParameters, pulse_width: float) -> float:
    from labspin.physics.predictions import critical_current

    current = critical_current(params, pulse_width)
    area = params.hall_bar.width * spin_transport(params).conducting_thickness
    return current / area


def finite_number(value: Any) -> float | None:
    """``value`` as a finite float, or None (text, None, NaN, inf)."""
    try:
        out = float(value)
    except (TypeError, ValueError):
        return None
    return out if math.isfinite(out) else None


def bar_model(header: dict[str, Any]) -> BarModel:
    """The model of the bar a run measured, from its header entries (``Bench``, ``Bar
    width``, ``Bar length``, ``AFMI thickness``, ``Stage temperature``; keys as in
    :attr:`labspin.analysis.loaders.RunData.metadata` and ``parameters``)."""
    bench = str(header.get("Bench") or "")
    if not bench.startswith("simulated"):
        return BarModel(None, "measured on hardware" if bench == "hardware" else
                        "the header does not say which device was measured")
    match = _SIMULATED.match(bench)
    if match is None:
        return BarModel(None, f"the Bench entry {bench!r} names no device")
    if match["name"] not in preset_names():
        return BarModel(None, f"the simulated device {match['name']!r} is not a preset "
                              "(a device file): no model value from the header alone")
    params = preset(match["name"])
    width, length = finite_number(header.get("Bar width")), finite_number(header.get("Bar length"))
    if width and length:
        params = params.with_(hall_bar=params.hall_bar.with_(width=width, length=length))
    thickness = finite_number(header.get("AFMI thickness"))
    if thickness:
        for side in ("top", "bottom"):
            layer = getattr(params, side)
            if isinstance(layer, Antiferromagnet):
                try:
                    params = params.with_(**{side: layer.with_(thickness=thickness)})
                except ValueError as exc:
                    return BarModel(None, f"AFMI thickness {thickness:g} m: {exc}")
                break
    stage = finite_number(header.get("Stage temperature"))
    if stage:
        params = params.with_(thermal=params.thermal.with_(stage_temperature=stage))
    if params.stack_label != match["stack"]:
        return BarModel(None, f"the header's stack {match['stack']!r} is not the "
                              f"{match['name']} preset's ({params.stack_label})")
    return BarModel(params)
