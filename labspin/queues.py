"""Queue files: nights of measurements written as data, planned, run and resumed.

A queue file lists steps; each is one procedure with fixed parameters and sweeps::

    name: switching phase diagram
    station: station-sim.yaml          # relative to this file; --station/--sim override
    steps:
      - procedure: SwitchingLoop
        label: phase diagram
        parameters: {pulse_width: 1 ms, pulse_max: 45 mA, readout: R_xx 2w}
        sweep:                         # nested, outermost first
          - stage_temperature: {values: [280, 300, 320]}
          - bias_field: {linspace: [-0.02, 0.02, 5]}
          - {pulse_width: {values: [100 us, 1 ms]}, pulse_max: {values: [50 mA, 45 mA]}}
        repeat: 2
        on_error: continue             # or stop (default): what a failed run does

Sweep specs are data, never code: ``values: [...]``, ``linspace: [start, stop, n]``,
``logspace: [start, stop, n]`` (geometric), ``range: [start, stop, step]`` (stop
included when it lies on the grid). Several parameters in one level vary together
(zip); levels nest (product). Values may carry units (``30 mA``), converted to the
unit of the procedure parameter. Nothing from the file reaches ``eval``.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from labspin.configfiles import describe, read_yaml
from labspin.notify_settings import NotifySettings
from labspin.procedures import UnknownProcedureError, procedure_class
from labspin.safety import LimitError, SafetyGuard


class QueueFileError(ValueError):
    """A queue file that cannot be planned; the message names the step and the key."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class SweepSpec(_Strict):
    values: list[Any] | None = None
    linspace: list[Any] | None = None
    logspace: list[Any] | None = None
    range: list[Any] | None = None

    @field_validator("linspace", "logspace", "range")
    @classmethod
    def _three(cls, value: list[Any] | None) -> list[Any] | None:
        if value is not None and len(value) != 3:
            raise ValueError("needs exactly three numbers: [start, stop, count or step]")
        return value


class Step(_Strict):
    procedure: str
    label: str | None = None
    parameters: dict[str, Any] = Field(default_factory=dict)
    sweep: list[dict[str, SweepSpec]] = Field(default_factory=list)
    repeat: int = Field(default=1, ge=1, le=100000)
    on_error: Literal["continue", "stop"] = "stop"


class QueueFile(_Strict):
    name: str = "queue"
    station: str | None = None
    steps: list[Step] = Field(min_length=1)
    notify: NotifySettings | None = None  # labspin.notify; overrides the station file's


@dataclass(frozen=True)
class PlannedRun:
    """One run of an expanded queue."""

    index: int
    step: int  # 1-based, as the user counts
    label: str
    procedure: str
    parameters: dict[str, Any]
    on_error: str
    duration: float  # estimated seconds on hardware


@dataclass
class QueuePlan:
    name: str
    file: str
    station: str | None
    runs: list[PlannedRun] = field(default_factory=list)
    notify: NotifySettings | None = None  # the queue file's notify section

    @property
    def duration(self) -> float:
        return sum(run.duration for run in self.runs)

    @property
    def plan_hash(self) -> str:
        text = json.dumps([(r.procedure, r.parameters) for r in self.runs], sort_keys=True,
                          default=str)
        return hashlib.sha256(text.encode()).hexdigest()


# -- values with units ------------------------------------------------------------------
def _to_unit(value: Any, units: str | None, where: str) -> Any:
    """Convert ``'30 mA'`` to the parameter's unit; numbers and words pass through."""
    if not isinstance(value, str) or not units:
        return value  # parameters without a unit (text, choices, flags) get the text as is
    text = value.strip()
    if "," in text or ";" in text:
        return value  # a list, not one quantity (pint would read "0.1, 0.2" as a product)
    try:
        float(text)
        return text
    except ValueError:
        pass
    from labspin.stationfile import _units

    ureg = _units()
    try:
        quantity = ureg.Quantity(text.replace("µ", "u"))
    except Exception:
        return value  # a word (list choice) or text parameter: the procedure decides
    if quantity.dimensionless:
        return float(quantity.magnitude)
    try:
        converted = float(quantity.to(units.replace("^", "**")).magnitude)
    except Exception:
        raise QueueFileError(f"{where}: {value!r} is not in units of {units}") from None
    return float(f"{converted:.12g}")  # '100 uA' is 1e-4, not 9.999999999999999e-05


def _expand_spec(spec: SweepSpec, where: str, units: str | None = None) -> list[Any]:
    given = [k for k in ("values", "linspace", "logspace", "range") if getattr(spec, k)
             is not None]
    if len(given) != 1:
        raise QueueFileError(f"{where}: give exactly one of values, linspace, logspace or "
                             f"range (got {', '.join(given) or 'none'})")
    kind = given[0]
    raw = getattr(spec, kind)
    if kind == "values":
        if not raw:
            raise QueueFileError(f"{where}: values is empty; a sweep needs at least one value")
        return list(raw)
    try:
        if kind == "range":  # start, stop and step all carry the parameter's unit
            a, b, c = (float(_to_unit(x, units, where)) for x in raw)
        else:  # the count is a plain number
            a, b = (float(_to_unit(x, units, where)) for x in raw[:2])
            c = float(raw[2])
    except (TypeError, ValueError):
        raise QueueFileError(f"{where}: {kind} needs three numbers, got {raw!r}") from None
    if not all(math.isfinite(x) for x in (a, b, c)):
        raise QueueFileError(f"{where}: {kind} numbers must be finite")
    if kind in ("linspace", "logspace"):
        if c < 1 or c != int(c):
            raise QueueFileError(f"{where}: {kind} count must be a whole number >= 1, got {c}")
        if kind == "logspace":
            if a <= 0 or b <= 0:
                raise QueueFileError(f"{where}: logspace start and stop must be positive")
            return [float(v) for v in np.geomspace(a, b, int(c))]
        return [float(v) for v in np.linspace(a, b, int(c))]
    if c == 0 or (b - a) / c < 0:
        raise QueueFileError(f"{where}: range step {c} never gets from {a} to {b}")
    n = math.floor((b - a) / c + 1e-9) + 1
    if n > 1_000_000:
        raise QueueFileError(f"{where}: range gives {n} values; that is not a night's work")
    return [a + k * c for k in range(n)]


def _levels(step: Step, where: str, known: dict[str, Any]) -> list[list[dict[str, Any]]]:
    levels = []
    for k, level in enumerate(step.sweep, start=1):
        if not level:
            raise QueueFileError(f"{where}: sweep level {k} is empty")
        columns = {name: _expand_spec(spec, f"{where}: sweep level {k}: {name}",
                                      getattr(known[name], "units", None))
                   for name, spec in level.items()}
        lengths = {name: len(vals) for name, vals in columns.items()}
        if len(set(lengths.values())) > 1:
            raise QueueFileError(f"{where}: sweep level {k} varies {', '.join(lengths)} "
                                 f"together, but they have different lengths {lengths}; "
                                 "put them on separate levels to nest them")
        n = next(iter(lengths.values()))
        levels.append([{name: vals[i] for name, vals in columns.items()} for i in range(n)])
    return levels


# -- planning ---------------------------------------------------------------------------
def load_queue_file(path: str | Path) -> QueueFile:
    data = read_yaml(path, QueueFileError, "queue file")
    return parse_queue(data, str(path))


def parse_queue(data: Any, source: str = "queue file") -> QueueFile:
    if not isinstance(data, dict):
        raise QueueFileError(f"{source}: expected a mapping with 'steps' at the top level, "
                             f"got {type(data).__name__}")
    try:
        return QueueFile.model_validate(data)
    except ValidationError as exc:
        raise QueueFileError(f"{source} is not a valid queue file:\n"
                             f"{describe(exc, _queue_location)}") from None


def _queue_location(loc: tuple[Any, ...]) -> str:
    """'steps.1.parameters.x' as the user counts it: 'step 2.parameters.x'."""
    if len(loc) >= 2 and loc[0] == "steps" and isinstance(loc[1], int):
        return f"step {loc[1] + 1}" + ("." + ".".join(str(p) for p in loc[2:])
                                        if loc[2:] else "")
    return ".".join(str(p) for p in loc)


def check_procedure(procedure: Any, guard: SafetyGuard) -> None:
    """Everything a configured procedure would apply, against the station limits, before
    any instrument is touched (queue plans and the GUI). Raises LimitError/ValueError."""
    procedure.check_limits(guard)
    if getattr(procedure, "stage_temperature", 0) > 0:
        guard.check_temperature(procedure.stage_temperature)


def plan_queue(queue: QueueFile, source: str, guard: SafetyGuard | None) -> QueuePlan:
    """Expand every step and validate every run: procedure, parameter names, types,
    ranges and (given a guard) the station limits. Touches no instrument."""
    plan = QueuePlan(queue.name, source, queue.station, notify=queue.notify)
    index = 0
    for number, step in enumerate(queue.steps, start=1):
        where = f"{source}: step {number} ({step.procedure}" + \
            (f" '{step.label}')" if step.label else ")")
        try:
            cls = procedure_class(step.procedure)
        except UnknownProcedureError as exc:
            raise QueueFileError(f"{where}: {exc}") from None
        known = cls().parameter_objects()
        seen: set[str] = set()
        for name in itertools.chain(step.parameters, *(level for level in step.sweep)):
            if name not in known:
                raise QueueFileError(f"{where}: unknown parameter {name!r}; {step.procedure} "
                                     f"has {', '.join(known)}")
            if name in seen:
                raise QueueFileError(f"{where}: parameter {name!r} is given twice (fixed "
                                     "and swept, or in two sweep levels)")
            seen.add(name)
        combos = [{k: v for level in c for k, v in level.items()}
                  for c in itertools.product(*_levels(step, where, known))] or [{}]
        for _ in range(step.repeat):
            for combo in combos:
                values = {**step.parameters, **combo}
                params = {name: _to_unit(v, getattr(known[name], "units", None),
                                         f"{where}: {name}")
                          for name, v in values.items()}
                proc = cls()
                try:
                    proc.set_parameters(params)
                    proc.parameter_values()  # every parameter (defaults too) is valid
                except (ValueError, TypeError, NameError) as exc:
                    raise QueueFileError(f"{where}: {_describe(params)}: {exc}") from None
                if guard is not None:
                    try:
                        check_procedure(proc, guard)
                    except (LimitError, ValueError) as exc:
                        raise QueueFileError(f"{where}: {_describe(params)}: {exc}") from None
                plan.runs.append(PlannedRun(
                    index=index, step=number, label=step.label or step.procedure,
                    procedure=step.procedure,
                    parameters={k: _plain(v) for k, v in proc.parameter_values().items()},
                    on_error=step.on_error, duration=proc.estimated_duration()))
                index += 1
    return plan


def _plain(value: Any) -> Any:
    if isinstance(value, np.generic):
        return value.item()
    return value


def _describe(params: dict[str, Any]) -> str:
    return ", ".join(f"{k}={v}" for k, v in params.items()) or "default parameters"


def varying_settings(plan: QueuePlan) -> list[str]:
    """Per planned run, the parameters that differ between the runs of its procedure
    ("pulse_width=0.001, bias_field=0.01"): what a table of the plan needs to show."""
    first: dict[str, dict[str, Any]] = {}
    varying: dict[str, set[str]] = {}
    for run in plan.runs:
        reference = first.setdefault(run.procedure, run.parameters)
        varying.setdefault(run.procedure, set()).update(
            k for k, v in run.parameters.items() if reference.get(k) != v)
    return [", ".join(f"{k}={v:g}" if isinstance(v, float) else f"{k}={v}"
                      for k, v in run.parameters.items() if k in varying[run.procedure])
            for run in plan.runs]

