"""What the window knows about a run as it starts: its catalog id, parameters and place
in a queue (:class:`RunInfo`), and the worker catalog that announces each new run."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from labspin.runs import Catalog


@dataclass(frozen=True)
class RunInfo:
    """A run that is starting: what the window shows about it."""

    procedure: Any  # the configured procedure (read it, do not change it)
    run_id: int  # catalog id
    parameters: dict[str, Any]  # name -> value in SI units, as the catalog records them
    queue_id: int | None = None
    queue_name: str = ""
    queue_position: int | None = None  # 1-based place in the queue
    queue_total: int | None = None
    varying: tuple[str, ...] = ()  # parameters that differ between the queue's runs

    @property
    def procedure_name(self) -> str:
        return type(self.procedure).__name__


class AnnouncingCatalog:
    """The worker's catalog, calling ``announce(run_id)`` when a run is created (before
    its first row); everything else goes to the catalog unchanged."""

    def __init__(self, catalog: Catalog, announce: Callable[[int], None]) -> None:
        self._catalog = catalog
        self._announce = announce

    def create_run(self, *args: Any, **kwargs: Any) -> int:
        run_id = self._catalog.create_run(*args, **kwargs)
        self._announce(run_id)
        return run_id

    def __getattr__(self, name: str) -> Any:
        return getattr(self._catalog, name)


def varying_parameters(plan: Any) -> dict[str, tuple[str, ...]]:
    """Per procedure of a queue plan, the parameters whose values differ between its
    runs (in the order the procedure lists them)."""
    first: dict[str, dict[str, Any]] = {}
    varying: dict[str, list[str]] = {}
    for run in plan.runs:
        reference = first.setdefault(run.procedure, run.parameters)
        names = varying.setdefault(run.procedure, [])
        names.extend(k for k, v in run.parameters.items()
                     if reference.get(k) != v and k not in names)
    return {name: tuple(k for k in first[name] if k in names)
            for name, names in varying.items()}
