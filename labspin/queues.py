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
      - procedure: HarmonicHall
        sample: D2                     # a bar of the station's chip (samples:)
      - procedure: HarmonicHall
        sweep:
          - sample: {values: [D1, D2, D3]}   # the bars, swept like any parameter

Sweep specs are data, never code: ``values: [...]``, ``linspace: [start, stop, n]``,
``logspace: [start, stop, n]`` (geometric), ``range: [start, stop, step]`` (stop
included when it lies on the grid). Several parameters in one level vary together
(zip); levels nest (product). Values may carry units (``30 mA``), converted to the
unit of the procedure parameter. Nothing from the file reaches ``eval`` (nor pint's
expression evaluator). ``sample`` (a step key, a key of ``parameters`` or a sweep of
``values``) names the bar of the station's chip a run measures; runs without one
measure the station's first (or ``default_sample``) bar. Sizes are checked before
anything is built: at most :data:`MAX_SWEEP_VALUES` values per sweep level and
:data:`MAX_QUEUE_RUNS` runs per queue.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from labspin.configfiles import QuantityError, describe, parse_quantity, read_yaml
from labspin.notify_settings import NotifySettings
from labspin.plan_problems import PlanProblems
from labspin.procedures import UnknownProcedureError, procedure_class
from labspin.procedures.base import ProcedureError, stage_setpoint
from labspin.procedures.timing import stage_settling_seconds
from labspin.safety import LimitError, SafetyGuard
from labspin.samples import closest_sample
from labspin.settings import SettingError, configure, quantity_text
from labspin.station_needs import check_station, station_problems


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


#: the key naming the bar of the chip a run measures (not a procedure parameter)
SAMPLE = "sample"


class Step(_Strict):
    procedure: str
    label: str | None = None
    sample: str | int | None = None  # the bar of the station's chip (labspin.samples)
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

    @property
    def sample(self) -> str | None:
        """The bar of the chip this run measures (None: the station's only one)."""
        value = self.parameters.get(SAMPLE)
        return None if value is None else str(value)


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
    def samples(self) -> list[str]:
        """The bars the queue measures, in the order it first reaches them."""
        return list(dict.fromkeys(r.sample for r in self.runs if r.sample is not None))

    @property
    def plan_hash(self) -> str:
        text = json.dumps([(r.procedure, r.parameters) for r in self.runs], sort_keys=True,
                          default=str)
        return hashlib.sha256(text.encode()).hexdigest()


# -- sweep values -----------------------------------------------------------------------
#: values in one sweep level (a linspace count, a range, a list of values)
MAX_SWEEP_VALUES = 10_000
#: runs in one queue, repeats included
MAX_QUEUE_RUNS = 10_000


def _to_unit(value: Any, units: str | None, where: str) -> float:
    """A sweep bound (``'30 mA'`` or a number) in the parameter's unit."""
    try:
        return parse_quantity(value, units or "dimensionless", "a number like '30 mA'")
    except QuantityError as exc:
        raise QueueFileError(f"{where}: {exc}") from None


def _count(raw: Any, kind: str, where: str) -> int:
    """The count of a linspace or logspace, checked before anything is allocated."""
    if isinstance(raw, bool) or not isinstance(raw, int | float | str):
        raise QueueFileError(f"{where}: {kind} count must be a whole number, got {raw!r}")
    try:
        count = float(raw)
    except (ValueError, OverflowError):
        raise QueueFileError(f"{where}: {kind} count must be a whole number, got "
                             f"{str(raw)[:40]!r}") from None
    if not (math.isfinite(count) and count == int(count) and count >= 1):
        raise QueueFileError(f"{where}: {kind} count must be a whole number >= 1, got {raw}")
    if count > MAX_SWEEP_VALUES:
        raise QueueFileError(f"{where}: {kind} asks for {int(count):,} values; a sweep takes "
                             f"at most {MAX_SWEEP_VALUES:,} (each is a run): use fewer points")
    return int(count)


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
        if len(raw) > MAX_SWEEP_VALUES:
            raise QueueFileError(f"{where}: {len(raw):,} values; a sweep takes at most "
                                 f"{MAX_SWEEP_VALUES:,} (each is a run)")
        return list(raw)
    if kind == "range":  # start, stop and step all carry the parameter's unit
        a, b, c = (_to_unit(x, units, f"{where}: range") for x in raw)
        if c == 0 or (b - a) / c < 0:
            raise QueueFileError(f"{where}: range step {c:g} never gets from {a:g} to {b:g}")
        steps = (b - a) / c + 1e-9
        if not math.isfinite(steps) or steps + 1 > MAX_SWEEP_VALUES:
            count = f"{steps + 1:,.0f}" if steps < 1e15 else f"{steps + 1:.3g}" \
                if math.isfinite(steps) else "endless"
            raise QueueFileError(f"{where}: range gives {count} values; a sweep takes at "
                                 f"most {MAX_SWEEP_VALUES:,} (each is a run): is the step "
                                 f"{c:g} in the right unit?")
        return [a + k * c for k in range(math.floor(steps) + 1)]
    a, b = (_to_unit(x, units, f"{where}: {kind}") for x in raw[:2])
    count = _count(raw[2], kind, where)
    if kind == "logspace":
        if a <= 0 or b <= 0:
            raise QueueFileError(f"{where}: logspace start and stop must be positive")
        return [float(v) for v in np.geomspace(a, b, count)]
    return [float(v) for v in np.linspace(a, b, count)]


def _sample_id(value: Any, where: str) -> str:
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise QueueFileError(f"{where}: {value!r} is not a sample id (like D1)")
    text = str(value).strip()
    if not text:
        raise QueueFileError(f"{where}: a sample id must not be empty")
    return text


def _sample_values(spec: SweepSpec, where: str) -> list[str]:
    """The bars of a ``sample`` sweep: ids listed with ``values``."""
    if spec.values is None or any(getattr(spec, k) is not None
                                  for k in ("linspace", "logspace", "range")):
        raise QueueFileError(f"{where}: list the bars with values, like "
                             "{values: [D1, D2, D3]}")
    return [_sample_id(v, where) for v in _expand_spec(spec, where)]


def _levels(step: Step, where: str, known: dict[str, Any]) -> list[list[dict[str, Any]]]:
    levels = []
    for k, level in enumerate(step.sweep, start=1):
        if not level:
            raise QueueFileError(f"{where}: sweep level {k} is empty")
        columns = {name: _sample_values(spec, f"{where}: sweep level {k}: sample")
                   if name == SAMPLE else
                   _expand_spec(spec, f"{where}: sweep level {k}: {name}",
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
                             f"{describe(exc, _queue_location, QueueFile)}") from None


def _queue_location(loc: tuple[Any, ...]) -> str:
    """A place in the file as the user counts it, from 1 ('steps.1.sweep.0.x' is 'step
    2.sweep level 1.x'; 'notify.urls.0' is 'notify.urls item 1')."""
    parts: list[str] = []
    for k, part in enumerate(loc):
        if isinstance(part, int) and k > 0:
            owner = loc[k - 1]
            name = {"steps": "step", "sweep": "sweep level"}.get(str(owner))
            if name is not None:
                parts[-1] = f"{name} {part + 1}"
            else:
                parts[-1] += f" item {part + 1}"
        else:
            parts.append(str(part))
    return ".".join(parts)


def check_procedure(procedure: Any, guard: SafetyGuard, config: Any = None) -> None:
    """Everything a configured procedure would apply, against the station limits (of the
    bar it measures), and (given the station file ``config``) every instrument and
    wiring it needs, before any instrument is touched (``labspin run``, queue plans and
    the GUI). Raises LimitError or ValueError for a limit,
    :class:`~labspin.station_needs.StationMismatch` listing every missing instrument or
    wiring."""
    sample = getattr(procedure, "sample", None)
    if sample is not None and hasattr(guard, "for_sample"):
        guard = guard.for_sample(sample)  # the bar's cross-section sets the densities
    try:
        procedure.check_limits(guard)
    except ProcedureError as exc:  # settings that conflict: one line like a limit
        raise SettingError(f"{type(procedure).__name__}: {exc}") from None
    setpoint = stage_setpoint(procedure)
    if setpoint is not None:
        guard.check_temperature(setpoint)
    if config is not None:
        check_station(procedure, config)


def plan_queue(queue: QueueFile, source: str, guard: SafetyGuard | None,
               config: Any = None) -> QueuePlan:
    """Expand every step and validate every run: procedure, parameter names, types,
    ranges, (given a guard) the station limits and (given the station file ``config``)
    the instruments and wiring each run needs. Touches no instrument.

    Every problem in the file is reported at once: one QueueFileError listing each with
    its step and runs. The number of runs is counted before any run is built: a queue of
    more than :data:`MAX_QUEUE_RUNS` is refused at once."""
    plan = QueuePlan(queue.name, source, queue.station, notify=queue.notify)
    problems = PlanProblems(source)
    steps = []
    templates: dict[tuple[type, frozenset[str]], Any] = {}  # pymeasure procedures are slow
    for number, step in enumerate(queue.steps, start=1):
        where = f"step {number} ({step.procedure}" + \
            (f" '{step.label}')" if step.label else ")")
        try:
            cls = procedure_class(step.procedure)
        except UnknownProcedureError as exc:
            problems.add(number, where, str(exc))
            continue
        # one instance per procedure and set of parameter names, configured for each run
        names = frozenset(step.parameters).union(*step.sweep)
        if (cls, names) not in templates:
            templates[cls, names] = cls()
        template = templates[cls, names]
        try:
            combos = _combinations(step, where, template.parameter_objects())
        except QueueFileError as exc:
            problems.add(number, where, str(exc).removeprefix(f"{where}: "))
            continue
        steps.append((number, step, where, template, combos))
    total = sum(len(combos) * step.repeat for _, step, _, _, combos in steps)
    if total > MAX_QUEUE_RUNS:
        raise QueueFileError(f"{source}: the queue expands to {total:,} runs, more than "
                             f"{MAX_QUEUE_RUNS:,}; split it into several queues or sweep "
                             "fewer values")
    counted = 0  # runs before this step, refused ones included
    stage: float | None = None  # the stage setpoint the next run starts from (None: room)
    for number, step, where, template, combos in steps:
        fixed = {**step.parameters, **({SAMPLE: step.sample} if step.sample is not None
                                       else {})}
        runs = [_planned_run(template, {**fixed, **combo}, guard, config,
                             problems.for_runs(number, where, [
                                 counted + k + 1 + r * len(combos)
                                 for r in range(step.repeat)]))
                for k, combo in enumerate(combos)]
        counted += len(combos) * step.repeat
        for _ in range(step.repeat):
            for planned in runs:
                if planned is not None:
                    measuring, parameters, setpoint = planned
                    duration = measuring + stage_settling_seconds(setpoint, stage)
                    stage = setpoint  # a run without a setpoint: the stage drifts to room
                    plan.runs.append(PlannedRun(
                        index=len(plan.runs), step=number,
                        label=step.label or step.procedure, procedure=step.procedure,
                        parameters=parameters, on_error=step.on_error, duration=duration))
    if problems:
        raise QueueFileError(problems.message())
    return plan


def _combinations(step: Step, where: str, known: dict[str, Any]) -> list[dict[str, Any]]:
    """The parameter values of each run of a step (before its repeats), counted before
    they are built."""
    seen: set[str] = set()
    if step.sample is not None:
        seen.add(SAMPLE)
    for name in itertools.chain(step.parameters, *(level for level in step.sweep)):
        if name == SAMPLE and name not in seen:
            seen.add(name)
            continue
        if name == SAMPLE:
            raise QueueFileError(f"{where}: the sample is given twice (the step's sample:, "
                                 "its parameters or a sweep level): give it once")
        if name not in known:
            raise QueueFileError(f"{where}: unknown parameter {name!r}; {step.procedure} "
                                 f"has {', '.join(known)}")
        if name in seen:
            raise QueueFileError(f"{where}: parameter {name!r} is given twice (fixed "
                                 "and swept, or in two sweep levels)")
        seen.add(name)
    levels = _levels(step, where, known)
    count = math.prod(len(level) for level in levels) * step.repeat
    if count > MAX_QUEUE_RUNS:
        raise QueueFileError(f"{where}: the sweep gives {count:,} runs (repeats included), "
                             f"more than a queue takes ({MAX_QUEUE_RUNS:,}); sweep fewer "
                             "values or split it into several queues")
    return [{k: v for level in combo for k, v in level.items()}
            for combo in itertools.product(*levels)] or [{}]


def _planned_run(template: Any, values: dict[str, Any], guard: SafetyGuard | None,
                 config: Any, note: Callable[[str], None]
                 ) -> tuple[float, dict[str, Any], float | None] | None:
    """The step's procedure configured with ``values``: its duration without the stage's
    settling, its parameters and its stage setpoint (None: it leaves the stage alone),
    checked against the limits (of the run's bar) and the station; None, with each
    problem given to ``note`` (the parameter and its range, the limit, the bar, or the
    instrument and the fix)."""
    values = dict(values)
    sample = values.pop(SAMPLE, None)
    try:
        sample = None if sample is None else _sample_id(sample, "sample")
        procedure = configure(type(template), values, template)
    except (SettingError, QueueFileError) as exc:  # the note names step and procedure
        note(str(exc).removeprefix(f"{type(template).__name__}: "))
        return None
    if sample is None and len(getattr(guard, "sample_ids", ())) > 1:
        # a chip: a run without a bar measures the station's first one, whichever bar
        # the station was left on (so a resumed queue measures what the plan says)
        sample = guard.default_sample_id
    procedure.sample = sample
    if sample is not None and guard is not None and sample not in getattr(
            guard, "sample_ids", [guard.sample.id]):
        ids = getattr(guard, "sample_ids", [guard.sample.id])
        meant = closest_sample(sample, ids)
        note(f"sample {sample!r} is not a bar of the station; did you mean {meant!r}?"
             if meant else f"sample {sample!r} is not a bar of the station "
             f"({', '.join(ids)}); list it under samples: in the station file")
        return None
    refused = False
    if guard is not None:
        try:
            check_procedure(procedure, guard)
        except (LimitError, ValueError) as exc:
            on = f"on sample {sample}: " if sample is not None else ""
            note(f"{on}{exc}")
            refused = True
    if config is not None:
        for problem in station_problems(procedure, config):
            note(problem)
            refused = True
    if refused:
        return None
    parameters = {k: _plain(v) for k, v in procedure.parameter_values().items()}
    if sample is not None:
        parameters[SAMPLE] = sample  # the procedure's set_parameters takes it back
    # the stage's settling counted from room temperature here; plan_queue counts it from
    # the setpoint of the run before
    setpoint = stage_setpoint(procedure)
    procedure.stage_start = None
    measuring = procedure.estimated_duration() - stage_settling_seconds(setpoint)
    return measuring, parameters, setpoint


def _plain(value: Any) -> Any:
    if isinstance(value, np.generic):
        return value.item()
    return value


def varying_settings(plan: QueuePlan, skip: tuple[str, ...] = ()) -> list[str]:
    """Per planned run, the parameters that differ between the runs of its procedure
    ("pulse_width=1 ms, bias_field=10 mT", in the parameter's unit with a prefix): what
    a table of the plan needs to show (but those in ``skip``, shown elsewhere)."""
    first: dict[str, dict[str, Any]] = {}
    varying: dict[str, set[str]] = {}
    for run in plan.runs:
        reference = first.setdefault(run.procedure, run.parameters)
        varying.setdefault(run.procedure, set()).update(
            k for k, v in run.parameters.items() if reference.get(k) != v)
    units = {name: {k: getattr(p, "units", None)
                    for k, p in procedure_class(name)().parameter_objects().items()}
             for name in varying if varying[name]}

    def shown(procedure: str, key: str, value: Any) -> str:
        if isinstance(value, float):
            return quantity_text(value, units[procedure].get(key))
        return str(value)

    return [", ".join(f"{k}={shown(run.procedure, k, v)}" for k, v in run.parameters.items()
                      if k in varying[run.procedure] and k not in skip)
            for run in plan.runs]
