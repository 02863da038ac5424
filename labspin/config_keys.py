"""The key a misspelt one meant, in the station, queue and device files alike:
``limits.max_temprature: not a known key; did you mean max_temperature?``."""

from __future__ import annotations

import difflib
import types
import typing
from collections.abc import Iterable
from typing import Any

from pydantic import BaseModel


def closest_key(key: str, candidates: Iterable[str]) -> str | None:
    """The candidate a misspelt ``key`` most likely meant (another case, or close by
    difflib), or None."""
    candidates = list(candidates)
    lowered = str(key).lower().strip()
    if lowered in candidates and lowered != key:
        return lowered
    close = difflib.get_close_matches(lowered, candidates, n=1, cutoff=0.6)
    return close[0] if close else None


def _arguments(annotation: Any) -> tuple[Any, ...]:
    """The types an annotation may hold: the members of a union, or itself."""
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        return typing.get_args(annotation)
    if typing.get_origin(annotation) is typing.Annotated:
        return _arguments(typing.get_args(annotation)[0])
    return (annotation,)


def _models(annotation: Any) -> list[type[BaseModel]]:
    return [a for a in _arguments(annotation)
            if isinstance(a, type) and issubclass(a, BaseModel)]


def _fields(model: type[BaseModel]) -> dict[str, Any]:
    return {(f.alias or name): f.annotation for name, f in model.model_fields.items()}


def _inner(annotation: Any, part: Any) -> Any:
    """The annotation one step down a pydantic error location, or None."""
    for arg in _arguments(annotation):
        if isinstance(arg, type) and issubclass(arg, BaseModel):
            if part in _fields(arg):
                return _fields(arg)[part]
            if part == arg.__name__:  # a union member's tag in the location
                return arg
            continue
        origin, args = typing.get_origin(arg), typing.get_args(arg)
        if origin in (dict, typing.Mapping) and len(args) == 2:
            return args[1]
        if origin in (list, tuple, set, frozenset) and args:
            return args[0]
    return None


def known_keys(model: type[BaseModel], location: tuple[Any, ...]) -> list[str]:
    """The keys the file may have where ``location`` (of a pydantic error, without the
    misspelt key itself) points, from ``model``; [] when it cannot be told."""
    annotation: Any = model
    for part in location:
        if isinstance(part, str) and part.startswith("function-"):
            continue
        annotation = _inner(annotation, part)
        if annotation is None:
            return []
    return [key for m in _models(annotation) for key in _fields(m)]
