"""Reading YAML configuration files (stations, queues) with errors a person can act on.

Config files come from people and from other programs, so every read is bounded before
anything is parsed: only regular files (a named pipe or ``/dev/zero`` would block or
never end), at most :data:`MAX_FILE_BYTES` read, UTF-8 only. The YAML is checked event
by event before it is built: no anchors or aliases (a station or queue file never needs
them, and nested aliases expand exponentially: the "billion laughs"), nesting at most
:data:`MAX_DEPTH` deep (deeper would exhaust Python's recursion), at most
:data:`MAX_NODES` values. Quantities with units are read by a small grammar of our own,
never by pint's expression evaluator (``9**9**9 mA`` would compute for ever).
"""

from __future__ import annotations

import math
import os
import re
import stat
from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

#: far above any real station or queue file (the examples are about 2 kB)
MAX_FILE_BYTES = 1024 * 1024
#: mappings and lists inside each other; real files use about 6
MAX_DEPTH = 50
#: scalars, lists and mappings in one file
MAX_NODES = 100_000
#: problems of a file listed one per line; beyond, counted
MAX_PROBLEM_LINES = 30

_BaseLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # the C parser if built


class _Loader(_BaseLoader):  # type: ignore[misc, valid-type]
    """The safe loader with two traps of YAML 1.1 closed:

    * only ``true`` and ``false`` are booleans (YAML 1.2): ``on``, ``off``, ``yes``,
      ``no`` stay words, so ``notify: {on: [failure]}`` has the key ``on`` and a stage
      temperature of ``off`` is the word off;
    * a key given twice in one mapping is refused (the later one would silently win:
      ``max_current`` written twice, the second a typo, changes a safety limit).
    """

    def construct_mapping(self, node: Any, deep: bool = False) -> Any:
        if isinstance(node, yaml.MappingNode):
            seen: dict[Any, Any] = {}
            for key_node, _ in node.value:
                key = self.construct_object(key_node, deep=True)
                try:
                    first = seen.setdefault(key, key_node)
                except TypeError:  # an unhashable key: the base class says so
                    continue
                if first is not key_node:
                    raise yaml.constructor.ConstructorError(
                        None, None, f"the key {key!r} is given twice (first on line "
                        f"{first.start_mark.line + 1}): keep one", key_node.start_mark)
        return super().construct_mapping(node, deep=deep)


_Loader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:bool"]
    for first, resolvers in _BaseLoader.yaml_implicit_resolvers.items()}
_Loader.add_implicit_resolver("tag:yaml.org,2002:bool",
                              re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"),
                              list("tTfF"))


def read_config_text(path: str | Path, error: type[Exception], kind: str) -> str:
    """The text of ``path``, refused (``error`` naming the file) unless it is a regular
    file of at most :data:`MAX_FILE_BYTES` holding UTF-8 text."""
    path = Path(path)
    try:
        # O_NONBLOCK: opening a named pipe must not wait for a writer; a regular file
        # ignores the flag. Checking the open descriptor leaves no gap for a swap.
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except FileNotFoundError:
        raise error(f"{path}: no such {kind}") from None
    except IsADirectoryError:
        raise error(f"{path} is a folder, not a {kind}") from None
    except OSError as exc:
        raise error(f"{path}: cannot read it ({exc.strerror})") from None
    try:
        info = os.fstat(fd)
        if stat.S_ISDIR(info.st_mode):
            raise error(f"{path} is a folder, not a {kind}")
        if not stat.S_ISREG(info.st_mode):
            raise error(f"{path} is not a regular file ({_file_type(info.st_mode)}); give "
                        f"the path of a {kind}")
        if info.st_size > MAX_FILE_BYTES:
            raise error(f"{path} is {info.st_size / 2**20:.1f} MiB, far larger than any "
                        f"{kind} (at most {MAX_FILE_BYTES // 1024} KiB); is it the right "
                        "file?")
        data = _read_at_most(fd, MAX_FILE_BYTES + 1)
    except OSError as exc:
        raise error(f"{path}: cannot read it ({exc.strerror})") from None
    finally:
        os.close(fd)
    if len(data) > MAX_FILE_BYTES:  # it grew while we read it
        raise error(f"{path} is larger than any {kind} (at most "
                    f"{MAX_FILE_BYTES // 1024} KiB); is it the right file?")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[:exc.start].count(b"\n") + 1
        raise error(f"{path} is not UTF-8 text (byte 0x{data[exc.start]:02x} on line "
                    f"{line}); a {kind} is YAML text: save it as UTF-8") from None
    if "\x00" in text:
        raise error(f"{path} holds binary data (NUL bytes), not a {kind}")
    return text


def _read_at_most(fd: int, limit: int) -> bytes:
    chunks, total = [], 0
    while total < limit:
        chunk = os.read(fd, min(65536, limit - total))
        if not chunk:
            break
        chunks.append(chunk)
        total += len(chunk)
    return b"".join(chunks)


def _file_type(mode: int) -> str:
    for test, name in ((stat.S_ISFIFO, "a named pipe"), (stat.S_ISCHR, "a character device"),
                       (stat.S_ISBLK, "a block device"), (stat.S_ISSOCK, "a socket")):
        if test(mode):
            return name
    return "not a plain file"


def _where(mark: Any) -> str:
    return f" at line {mark.line + 1}, column {mark.column + 1}" if mark is not None else ""


def check_yaml_shape(text: str) -> str | None:
    """What makes ``text`` unsafe to build (an anchor, an alias, too deep, too many
    values), or None. Reads the parser's events only: nothing is built yet."""
    depth = nodes = 0
    for event in yaml.parse(text, Loader=_Loader):
        if isinstance(event, yaml.AliasEvent):
            return (f"an alias (*{event.anchor}){_where(event.start_mark)}: anchors and "
                    "aliases are not allowed; write the values out")
        if isinstance(event, yaml.NodeEvent):
            if event.anchor is not None:
                return (f"an anchor (&{event.anchor}){_where(event.start_mark)}: anchors "
                        "and aliases are not allowed; write the values out")
            nodes += 1
            if nodes > MAX_NODES:
                return f"more than {MAX_NODES} values; no real file has that many"
        if isinstance(event, yaml.CollectionStartEvent):
            depth += 1
            if depth > MAX_DEPTH:
                return (f"nested more than {MAX_DEPTH} levels deep"
                        f"{_where(event.start_mark)}")
        elif isinstance(event, yaml.CollectionEndEvent):
            depth -= 1
    return None


def load_yaml_text(text: str, source: str, error: type[Exception]) -> Any:
    """Parse YAML ``text`` (one document) safely; ``error`` names ``source``."""
    try:
        problem = check_yaml_shape(text)
        if problem is not None:
            raise error(f"{source}: refused: {problem}")
        return yaml.load(text, Loader=_Loader)  # the safe loader (C if built)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        if isinstance(exc, yaml.composer.ComposerError) and "single document" in str(exc):
            problem = "more than one document (a line '---' in the middle); keep one"
        raise error(f"{source}: not valid YAML{_where(mark)}: {problem}") from None
    except RecursionError:  # should not happen after the depth check; never a traceback
        raise error(f"{source}: refused: nested too deeply") from None


def read_yaml(path: str | Path, error: type[Exception], kind: str) -> Any:
    """The parsed YAML of ``path``; ``error`` names the file and what is wrong (for syntax
    errors the line and column)."""
    return load_yaml_text(read_config_text(path, error, kind), str(path), error)


def describe(exc: ValidationError, locate: Callable[[tuple[Any, ...]], str],
             model: Any = None,
             reword: Callable[[dict[str, Any], str, str], tuple[str, str]] | None = None
             ) -> str:
    """One line per problem of a pydantic error: where (as ``locate`` names it) and what,
    in words (a missing key, a misspelt one with the key it likely meant in ``model``, a
    bad value). ``reword(err, where, what)`` may say both as the file's user wrote them
    (labspin.sample_errors); a line said twice is said once."""
    from labspin.config_keys import closest_key, known_keys

    lines = []
    errors = exc.errors()
    for err in errors[:MAX_PROBLEM_LINES]:
        message = err["msg"].removeprefix("Value error, ")
        if err["type"] == "missing":
            message = "missing: this key is required"
        elif err["type"] == "extra_forbidden":
            loc = tuple(err["loc"])
            meant = closest_key(str(loc[-1]), known_keys(model, loc[:-1])) \
                if model is not None and loc else None
            message = f"not a known key; did you mean {meant}?" if meant else \
                "not a known key (check its spelling and indentation)"
        elif err["type"] == "finite_number":
            message = "must be a finite number"
        where = locate(tuple(err["loc"]))
        if reword is not None:
            where, message = reword(err, where, message)
        line = f"  {where}: {_short(message)}" if where else f"  {_short(message)}"
        if line not in lines:
            lines.append(line)
    if len(errors) > MAX_PROBLEM_LINES:
        lines.append(f"  ... and {len(errors) - MAX_PROBLEM_LINES:,} more problems (is it "
                     "the right file?)")
    return "\n".join(lines)


def _short(text: str, limit: int = 300) -> str:
    """A message that quotes user text stays readable however long that text is."""
    text = " ".join(text.split())
    return text if len(text) <= limit else text[:limit] + "…"


# -- quantities with units --------------------------------------------------------------
class QuantityError(ValueError):
    """Text that is not a number with a unit of the wanted dimension; ``reason`` says
    what it is in a few words ("is not a number", "is not in units of A")."""

    def __init__(self, message: str, reason: str = "is not a quantity") -> None:
        super().__init__(message)
        self.reason = reason


_NUMBER = r"[+-]?(?:(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d{1,6})?|\.?(?i:inf(?:inity)?|nan))"
_UNIT_WORD = r"[A-Za-zµμΩ°]+(?:(?:\^|\*\*)[+-]?\d{1,2})?"
_UNITS = rf"{_UNIT_WORD}(?:\s*[*/·]\s*{_UNIT_WORD}|\s+{_UNIT_WORD})*"
_QUANTITY = re.compile(rf"\s*(?P<number>{_NUMBER})?\s*(?P<unit>{_UNITS})?\s*")
_SPECIAL = {"inf", "+inf", "-inf", "infinity", "+infinity", "-infinity", "nan", ".inf",
            "+.inf", "-.inf", ".nan"}
MAX_QUANTITY_TEXT = 200


def units_registry():
    """pint's application registry: the one pymeasure uses, so a process parses pint's
    definitions once (about half a second of CPU each time)."""
    import pint

    return pint.get_application_registry()


def _pint_text(unit_text: str) -> str:
    return unit_text.replace("µ", "u").replace("μ", "u").replace("Ω", "ohm") \
        .replace("·", "*").replace("°", "deg").replace("^", "**")


@lru_cache(maxsize=512)
def _unit(unit_text: str, target: str) -> Any:
    """The pint unit of ``unit_text``, or None when it is not a unit of ``target``."""
    ureg = units_registry()
    try:
        unit = ureg.parse_units(_pint_text(unit_text))
    except Exception:
        raise QuantityError(f"{unit_text!r} is not a unit") from None
    try:
        ureg.Quantity(1.0, unit).to(_pint_text(target))
    except Exception:
        return None
    return unit


def parse_quantity(value: Any, unit: str, example: str, *, finite: bool = True) -> float:
    """A number (taken as SI) or a text like ``'20 mA'`` as a float in ``unit``.

    Raises :class:`QuantityError` saying what to write (``example``). Only a number and
    a unit are read: arithmetic, function calls and huge exponents are refused."""
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise QuantityError(f"expected a quantity in {unit}, like {example}",
                            "is not a number")
    if isinstance(value, int | float):
        try:
            number = float(value)
        except OverflowError:
            number = math.inf
    else:
        text = value.strip()
        if len(text) > MAX_QUANTITY_TEXT:
            raise QuantityError(f"a text of {len(text)} characters is not a quantity; write "
                                f"it like {example}", "is too long to be a number")
        if text.lower() in _SPECIAL:
            number = float(text.lower().replace(".", ""))
        else:
            match = _QUANTITY.fullmatch(text)
            if match is None or not match["number"]:
                raise QuantityError(f"{_short(value, 60)!r} is not a quantity; write it like "
                                    f"{example}", "is not a number")
            digits = match["number"]
            if digits[-1].isalpha():  # inf, .inf, nan: refused below, as not finite
                digits = digits.replace(".", "")
            try:
                number = float(Decimal(digits))
            except (InvalidOperation, OverflowError):
                number = math.inf
            if match["unit"]:
                try:
                    pint_unit = _unit(match["unit"], unit)
                except QuantityError as exc:
                    raise QuantityError(f"{value!r}: {exc}; write it like {example}",
                                        f"has an unknown unit {match['unit']!r}") from None
                if pint_unit is None:
                    raise QuantityError(f"{value!r} is not in units of {unit}; write it like "
                                        f"{example}", f"is not in units of {unit}")
                if math.isfinite(number):
                    converted = units_registry().Quantity(number, pint_unit).to(
                        _pint_text(unit)).magnitude
                    number = float(f"{float(converted):.12g}")  # '100 uA' is 1e-4 exactly
    if finite and not math.isfinite(number):
        raise QuantityError(f"{_short(str(value), 60)!r} is not a finite number; write it "
                            f"like {example}", "is not a finite number")
    return number
