"""The problems of a queue file, gathered so that a plan reports every one at once.

Each problem is kept once per step, with the runs it concerns (1-based, as the plan
lists them): a sweep of 40 runs on a station without a lock-in is one line, not 40.
"""

from __future__ import annotations

from collections.abc import Callable

#: problems listed before "... and N more"
MAX_PROBLEMS_SHOWN = 40


class PlanProblems:
    """Every problem of a queue file, each once, with the runs it concerns."""

    def __init__(self, source: str) -> None:
        self.source = source
        #: (step number, where, problem) -> the runs it concerns
        self.found: dict[tuple[int, str, str], list[int]] = {}

    def add(self, step: int, where: str, problem: str, runs: list[int] | None = None) -> None:
        """A problem of step ``step`` (1-based; ``where`` names it), for ``runs``."""
        self.found.setdefault((step, where, problem), []).extend(runs or [])

    def for_runs(self, step: int, where: str, runs: list[int]) -> Callable[[str], None]:
        """A function noting one problem of those runs of a step."""
        return lambda problem: self.add(step, where, problem, runs)

    def __bool__(self) -> bool:
        return bool(self.found)

    def lines(self) -> list[str]:
        ordered = sorted(self.found.items(), key=lambda item: item[0][0])  # by step
        return [f"{where}{runs_text(runs)}: {problem}"
                for (_, where, problem), runs in ordered]

    def message(self) -> str:
        """One line for one problem; otherwise a count and one indented line each."""
        lines = self.lines()
        if len(lines) == 1:
            return f"{self.source}: {lines[0]}"
        shown = lines[:MAX_PROBLEMS_SHOWN]
        if len(lines) > len(shown):
            shown.append(f"… and {len(lines) - len(shown)} more")
        return f"{self.source}: {len(lines)} problems:\n" + "\n".join(
            f"  - {line}" for line in shown)


def runs_text(runs: list[int]) -> str:
    """[3, 4, 5, 9] (1-based run numbers) -> ', runs 3-5, 9'; [] -> ''."""
    if not runs:
        return ""
    ordered = sorted(set(runs))
    spans: list[str] = []
    start = prev = ordered[0]
    for n in [*ordered[1:], None]:
        if n is not None and n == prev + 1:
            prev = n
            continue
        spans.append(str(start) if start == prev else f"{start}-{prev}")
        if n is not None:
            start = prev = n
    if len(spans) > 8:
        spans = [*spans[:8], "…"]
    return f", run{'s' if len(ordered) > 1 else ''} {', '.join(spans)}"
