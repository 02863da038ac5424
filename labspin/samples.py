"""The Hall bars a station measures: one ``sample:``, or the bars of a chip (``samples:``).

Part of the station file (:mod:`labspin.stationfile`), kept apart so that the sample
description, its calibration and the chip logic live in one place. Pure data (pydantic):

* a sample's geometry (width, length between the V_xx probes, FM and conducting
  thickness, two-terminal resistance, the AFMI thickness as a number so that a thickness
  series needs no header label);
* its calibration, measured separately: R_AHE and R_PHE (ohm), mu0 M_eff (T), M_s (A/m),
  dR/dT of the V_xx section (ohm/K) and the threshold's temperature coefficient
  d ln I_c0 / dT (1/K). Each may carry its uncertainty (``"2.10 ± 0.02 ohm"`` or
  ``{value: 2.10 ohm, stderr: 0.02 ohm}``), which the fits carry into their sigmas;
* on the simulated bench, its own device: a ``preset`` name or a ``device`` file
  (:mod:`labspin.sample_devices`).

A chip: ``samples:`` lists the bars (or maps ids to them); a ``sample:`` mapping beside it
holds what the bars share (each bar overriding), ``sample: ID`` (or ``default_sample:``)
names the bar a station starts on, else the first.
"""

from __future__ import annotations

import difflib
import math
import re
from collections.abc import Iterable
from typing import Annotated, Any

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationInfo,
    field_validator,
    model_validator,
)

from labspin import calibration_ranges
from labspin.configfiles import QuantityError, parse_quantity

#: the longest sample id (it goes into file names, headers and the catalog)
MAX_ID = 100
_ID_FORBIDDEN = re.compile(r"[\x00-\x1f\x7f]")


def closest_sample(sample_id: Any, ids: Iterable[Any]) -> str | None:
    """The bar a mistyped ``sample_id`` most likely meant: the one id that differs only
    in case (``barc-cofe`` for ``barC-cofe``), else the nearest by difflib; None when
    none is close, or when it is one of ``ids`` already."""
    ids = [str(i) for i in ids if i is not None]
    text = str(sample_id).strip()
    if text in ids:
        return None
    same = [i for i in ids if i.casefold() == text.casefold()]
    if len(same) == 1:
        return same[0]
    by_case = {i.casefold(): i for i in ids}
    close = difflib.get_close_matches(text.casefold(), list(by_case), n=1, cutoff=0.75)
    return by_case[close[0]] if close else None


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


def quantity_validator(unit: str, example: str):
    """A validator turning numbers (SI) or strings with units into finite SI floats (the
    station file's quantities use it too)."""

    def parse(value: Any) -> float:
        try:
            return parse_quantity(value, unit, example)
        except QuantityError as exc:
            raise ValueError(str(exc)) from None

    return BeforeValidator(parse)


Length = Annotated[float, quantity_validator("m", "5e-6 or '5 um'")]
Resistance = Annotated[float, quantity_validator("ohm", "25 or '25 ohm'")]


# -- calibration values with their uncertainty --------------------------------------------


class Measured(_Strict):
    """A calibration value and its standard uncertainty (0: not given), SI units."""

    value: float
    stderr: float = Field(default=0.0, ge=0)


_PLUS_MINUS = re.compile(r"\s*(?:±|\+/-|\+-)\s*")
_PER_KELVIN = re.compile(r"(?:(?<=\d)|(?<=\s))(?:1\s*)?/\s*K$")


def _unitless(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _split_unit(text: str) -> str:
    """The unit part of ``'0.02 ohm'`` ('ohm'), '' for a bare number."""
    text = text.strip()
    match = re.match(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?\s*(.*)$", text)
    return match.group(1).strip() if match else ""


def _parse_measured(value: Any, unit: str, example: str, per_kelvin: bool) -> Measured:
    """``2.1``, ``'2.1 ohm'``, ``'2.1 ± 0.02 ohm'``, ``'2.1 ohm ± 20 mohm'`` or
    ``{value: ..., stderr: ...}`` as a :class:`Measured` in ``unit``."""

    def one(part: Any) -> float:
        if per_kelvin and isinstance(part, str):
            text = part.strip()
            if text.endswith("%/K"):
                return 0.01 * one(text[:-3].strip())
            part = _PER_KELVIN.sub("K^-1", text)
        try:
            return parse_quantity(part, unit, example)
        except QuantityError as exc:
            raise ValueError(str(exc)) from None

    def size(stderr: float, written: Any) -> float:
        # a sign slipped into the uncertainty is a typo, not a smaller error: said
        if stderr < 0:
            raise ValueError(f"the uncertainty {str(written).strip()!r} is negative: give "
                             f"its size, like {example.strip(chr(39))} ± 0.1")
        return stderr

    if isinstance(value, Measured):
        return value
    if isinstance(value, dict):
        unknown = set(value) - {"value", "stderr"}
        if unknown or "value" not in value:
            raise ValueError(f"write a calibration value as {example}, "
                             f"'{example.strip(chr(39))} ± error' or "
                             "{value: ..., stderr: ...}"
                             + (f"; unknown key(s) {sorted(map(str, unknown))}" if unknown
                                else "; 'value' is missing"))
        stderr = one(value["stderr"]) if value.get("stderr") is not None else 0.0
        return Measured(value=one(value["value"]), stderr=size(stderr, value["stderr"]))
    if isinstance(value, str) and _PLUS_MINUS.search(value):
        parts = _PLUS_MINUS.split(value.strip())
        if len(parts) != 2 or not all(p.strip() for p in parts):
            raise ValueError(f"{value!r}: write a value and its uncertainty like "
                             f"'{example.strip(chr(39))} ± 0.1' (one ±)")
        left, right = (p.strip() for p in parts)
        # '2.1 ± 0.02 ohm': the unit written once applies to both
        if _unitless(left) and not _unitless(right):
            left = f"{left} {_split_unit(right)}"
        elif _unitless(right) and not _unitless(left):
            right = f"{right} {_split_unit(left)}"
        return Measured(value=one(left), stderr=size(one(right), right))
    return Measured(value=one(value))


def _measured(key: str, unit: str, example: str, *, positive: bool = False,
              per_kelvin: bool = False):
    def parse(value: Any) -> Measured:
        measured = _parse_measured(value, unit, example, per_kelvin)
        if not (math.isfinite(measured.value) and math.isfinite(measured.stderr)):
            raise ValueError(f"must be finite, like {example}")
        if positive and measured.value <= 0:
            raise ValueError(f"must be positive, like {example}")
        if not isinstance(value, Measured):  # a slipped unit (800 for 800 kA/m) refused
            calibration_ranges.check(key, measured.value, value)
        return measured

    return BeforeValidator(parse)


class Calibration(_Strict):
    """What the analysis needs that the runs themselves cannot give, measured separately
    on this bar (README, "Samples and their calibration"). Every entry is optional."""

    #: anomalous Hall resistance: half the step of R_xy in a z-field Hall loop, ohm
    r_ahe: Annotated[Measured, _measured("r_ahe", "ohm", "'2.1 ohm'")] | None = None
    #: planar Hall amplitude, R_xy = R_PHE sin 2phi of an in-plane magnet, ohm
    r_phe: Annotated[Measured, _measured("r_phe", "ohm", "'0.4 ohm'")] | None = None
    #: effective magnetization mu0 M_eff, tesla (from the z-field hard-axis loop or FMR)
    m_eff: Annotated[Measured, _measured("m_eff", "T", "'0.95 T'")] | None = None
    #: saturation magnetization M_s, A/m (magnetometry of the film)
    m_s: Annotated[Measured, _measured("m_s", "A/m", "'800 kA/m'",
                                       positive=True)] | None = None
    #: dR/dT of the V_xx section (R_xx against stage temperature), ohm/K
    dr_dt: Annotated[Measured, _measured("dr_dt", "ohm/K", "'0.12 ohm/K'",
                                         positive=True)] | None = None
    #: d ln I_c0 / dT of the switching threshold, 1/K (README: how to measure it)
    threshold_temperature_coefficient: Annotated[
        Measured, _measured("threshold_temperature_coefficient", "1/K", "'-4e-3 1/K'",
                            per_kelvin=True)] | None = None

    def given(self) -> dict[str, Measured]:
        return {name: getattr(self, name) for name in type(self).model_fields
                if getattr(self, name) is not None}


# -- one Hall bar ---------------------------------------------------------------------------

#: far beyond any Hall bar (a slipped unit, "5 m" for "5 um", is refused)
MAX_BAR_SIZE = 10e-3  # m
MAX_FILM_THICKNESS = 1e-6  # m


class Sample(_Strict):
    """One Hall bar: used for current densities, run metadata, the analysis' calibration
    and, on the simulated bench, its device."""

    id: str
    stack: str = ""
    width: Length = Field(gt=0)
    length: Length = Field(gt=0)  # between the V_xx probes
    fm_thickness: Length = Field(gt=0)
    conducting_thickness: Length | None = Field(default=None, gt=0)  # FM plus any HM
    #: measured between the current pads, leads included: sets the pulse energy and the
    #: pulse generator's level (default: twice the four-terminal R_xx, measured at start)
    two_terminal_resistance: Resistance | None = Field(default=None, gt=0)
    #: thickness of the antiferromagnetic insulator (recorded in every run header)
    afmi_thickness: Length | None = Field(default=None, gt=0)
    calibration: Calibration = Field(default_factory=Calibration)
    #: simulated bench only: this bar's device, a preset name ...
    preset: str | None = None
    #: ... or a device file (path relative to the station file) or its keys inline
    device: str | dict[str, Any] | None = None

    @field_validator("id", mode="before")
    @classmethod
    def _usable_id(cls, value: Any) -> Any:
        if isinstance(value, int | float) and not isinstance(value, bool):
            value = str(value)  # 'id: 7' is the bar's number
        if isinstance(value, str):
            value = value.strip()
            if not value:
                raise ValueError("a sample id must not be empty")
            if len(value) > MAX_ID or _ID_FORBIDDEN.search(value):
                raise ValueError(f"a sample id is one line of at most {MAX_ID} characters")
        return value

    @field_validator("width", "length")
    @classmethod
    def _a_bar_on_a_chip(cls, value: float) -> float:
        if value > MAX_BAR_SIZE:
            raise ValueError(f"{value * 1e3:g} mm: a Hall bar on a chip is at most "
                             f"{MAX_BAR_SIZE * 1e3:g} mm; is the unit right (e.g. 5 um)?")
        return value

    @field_validator("fm_thickness", "conducting_thickness", "afmi_thickness")
    @classmethod
    def _a_thin_film(cls, value: float | None) -> float | None:
        if value is not None and value > MAX_FILM_THICKNESS:
            raise ValueError(f"{value * 1e9:g} nm: a film of a spin-orbit-torque stack is at "
                             f"most {MAX_FILM_THICKNESS * 1e9:g} nm thick; is the unit right "
                             "(e.g. 5 nm)?")
        return value

    @field_validator("calibration", mode="wrap")
    @classmethod
    def _within_the_bar(cls, value: Any, handler: Any, info: ValidationInfo) -> Calibration:
        """R_AHE, R_PHE and dR/dT no larger than the bar's sheet resistance allows
        (labspin.calibration_ranges.sheet_bounds); messages quote the entry as written."""
        calibration = handler(value)
        written = value if isinstance(value, dict) else {}
        data = info.data
        bounds = calibration_ranges.sheet_bounds(data.get("width", 0.0),
                                                 data.get("length", 0.0),
                                                 data.get("two_terminal_resistance"))
        for key, (bound, basis) in bounds.items():
            measured = getattr(calibration, key)
            if measured is not None:
                raw = written.get(key, measured.value)
                calibration_ranges.check_geometry(key, measured.value, raw, bound, basis)
        return calibration

    @field_validator("preset")
    @classmethod
    def _known_preset(cls, value: str | None) -> str | None:
        from labspin.physics.presets import preset_names

        if value is not None and value not in preset_names():
            raise ValueError(f"unknown device preset {value!r}; use one of "
                             f"{', '.join(preset_names())}")
        return value

    @model_validator(mode="after")
    def _one_device(self) -> Sample:
        if self.preset is not None and self.device is not None:
            raise ValueError(f"sample {self.id!r} names both a preset and a device file: "
                             "give one of them")
        return self

    @property
    def current_area(self) -> float:
        """Cross-section the current flows through, m^2."""
        return self.width * (self.conducting_thickness or self.fm_thickness)


# -- a chip of several bars -----------------------------------------------------------------


def _merge(shared: dict[str, Any], entry: dict[str, Any]) -> dict[str, Any]:
    """A bar's entry over what the bars share; calibrations merge key by key."""
    out = {**shared, **entry}
    if isinstance(shared.get("calibration"), dict) and isinstance(entry.get("calibration"),
                                                                   dict):
        out["calibration"] = {**shared["calibration"], **entry["calibration"]}
    return out


def _entries(raw: Any) -> list[Any]:
    """``samples:`` as a list of entries; a mapping id -> fields gives each its id."""
    if isinstance(raw, dict):
        entries = []
        for key, fields in raw.items():
            if isinstance(fields, dict):
                if "id" in fields and str(fields["id"]) != str(key):
                    raise ValueError(f"samples.{key}: its id {fields['id']!r} differs from "
                                     f"its key {key!r}; leave the id out")
                fields = {"id": str(key), **fields}
            entries.append(fields)
        return entries
    return list(raw)


def chip_data(data: Any) -> Any:
    """Station-file data with ``samples:`` normalised (module doc): every bar complete, a
    ``sample:`` mapping beside it merged in as what they share, ``sample: ID`` turned into
    ``default_sample``. Raises ValueError (a pydantic error naming the key)."""
    if not isinstance(data, dict):
        return data
    sample = data.get("sample")
    if data.get("samples") is None:
        if isinstance(sample, str):
            raise ValueError(f"sample: {sample[:40]!r} names a bar of samples:, but the file "
                             "has no samples: list; describe the sample as a mapping (id, "
                             "width, length, fm_thickness)")
        return data
    raw = data["samples"]
    if not isinstance(raw, dict | list):
        return data  # pydantic says what samples: must be
    entries = _entries(raw)
    if not entries:
        raise ValueError("samples: is empty; list the chip's Hall bars (or use sample: for "
                         "one bar)")
    out = dict(data)
    default = data.get("default_sample")
    if isinstance(sample, str):
        if default is not None and str(default) != sample:
            raise ValueError(f"sample: {sample!r} and default_sample: {default!r} disagree; "
                             "keep one")
        out["default_sample"] = sample
        out.pop("sample")
    elif isinstance(sample, dict):
        if "id" in sample:
            raise ValueError("sample: beside samples: holds what the bars share and takes no "
                             "id; give each bar its id under samples:, and name the bar to "
                             "start on with default_sample: ID")
        out["samples"] = [_merge(sample, e) if isinstance(e, dict) else e for e in entries]
        out.pop("sample")
        return out
    elif sample is None:
        out.pop("sample", None)
    out["samples"] = entries
    return out
