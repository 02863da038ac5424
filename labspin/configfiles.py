"""Reading YAML configuration files (stations, queues) with errors a person can act on."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError


def read_yaml(path: str | Path, error: type[Exception], kind: str) -> Any:
    """The parsed YAML of ``path``; ``error`` names the file and, for syntax errors, the
    line and column."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise error(f"{path}: no such {kind}") from None
    except OSError as exc:
        raise error(f"{path}: cannot read it ({exc.strerror})") from None
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise error(f"{path}: not valid YAML{where}: {problem}") from None


def describe(exc: ValidationError, locate: Callable[[tuple[Any, ...]], str]) -> str:
    """One line per problem of a pydantic error: where (as ``locate`` names it) and what,
    in words (a missing key, a misspelt one, a bad value)."""
    lines = []
    for err in exc.errors():
        message = err["msg"].removeprefix("Value error, ")
        if err["type"] == "missing":
            message = "missing: this key is required"
        elif err["type"] == "extra_forbidden":
            message = "not a known key (check its spelling and indentation)"
        lines.append(f"  {locate(tuple(err['loc']))}: {message}")
    return "\n".join(lines)
