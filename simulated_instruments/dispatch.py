"""Finding the handler of a command by its header, not by trying every pattern.

An instrument model declares its commands with ``@scpi`` specs and ``@regex`` patterns
(``scpi.py``). Once per class, :class:`DispatchTable` expands every SCPI spec into the
headers it accepts (long and short form of each node, optional nodes present or left
out) and files the handler under each, so a SCPI command costs one dictionary lookup.
A ``@regex`` handler (instruments that do not speak SCPI: ``1PA45``, ``OUTP?1``,
``RDGFIELD?``) is filed under the literal words every match of its pattern begins with
(after the axis digits some of them take), and is confirmed with its own pattern;
a pattern whose leading words cannot be read is tried for every command.

Precedence is the declaration order of ``SimulatedInstrument._handlers`` (the subclass's
own handlers first): of all handlers that accept a command, the earliest wins, exactly
as when each pattern was tried in turn.

SCPI header grammar (IEEE 488.2 / SCPI-99 program headers): an optional leading colon,
nodes separated by single colons, each node the long or short form of its mnemonic
(any case) followed by an optional numeric suffix; a mnemonic that ends in digits
(``CHANnel1``) requires the suffix to begin with them. Then an optional ``?``, and the
arguments after white space. Headers outside this grammar (two leading colons, two
nodes run together, non-ASCII letters) are undefined headers.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

DIGITS = "0123456789"


# -- SCPI specs -------------------------------------------------------------------------
@dataclass(frozen=True)
class Mnemonic:
    """One node of a SCPI spec: its accepted forms (upper case, without the digits the
    mnemonic ends in), those digits, and whether the node may be left out."""

    forms: tuple[str, ...]
    digits: str
    optional: bool


@dataclass(frozen=True)
class ScpiSpec:
    """A parsed ``@scpi`` declaration; ``suffixes``: the handler gets the node suffixes."""

    text: str
    nodes: tuple[Mnemonic, ...]
    suffixes: bool = False


def parse_spec(spec: str, suffixes: bool = False) -> ScpiSpec:
    """``SOURce:CURRent[:LEVel]`` -> nodes. Common commands (``*ESE``) also accept the
    form without the star, which pymeasure's 6221 driver sends."""
    nodes = []
    for part in re.findall(r"\[:?[^\]]+\]|:?[^:\[]+", spec):
        token = part.strip("[]").lstrip(":")
        if not token or not re.fullmatch(r"\*?[A-Za-z]+\d*", token):
            raise ValueError(f"SCPI spec {spec!r}: node {token!r} is not a mnemonic")
        long_ = token.upper()
        short = "".join(ch for ch in token if ch.isupper() or ch.isdigit())
        digits = long_[len(long_.rstrip(DIGITS)):]
        forms = tuple(dict.fromkeys(f.rstrip(DIGITS) for f in (long_, short)))
        nodes.append(Mnemonic(forms, digits, part.startswith("[")))
    if not nodes:
        raise ValueError(f"SCPI spec {spec!r} has no nodes")
    return ScpiSpec(spec, tuple(nodes), suffixes)


def spec_headers(spec: ScpiSpec) -> Iterator[tuple[str, tuple[str, ...]]]:
    """Every normalised header a spec accepts, with the digits each present node's
    suffix must begin with."""
    choices = [[None, node] if node.optional else [node] for node in spec.nodes]
    for present in itertools.product(*choices):
        nodes = [n for n in present if n is not None]
        if not nodes:
            continue
        for forms in itertools.product(*(n.forms for n in nodes)):
            yield ":".join(forms), tuple(n.digits for n in nodes)


def split_command(command: str) -> tuple[str, bool, str | None]:
    """(header without ``?``, query, arguments or None) of one command."""
    parts = command.split(None, 1)
    header = parts[0] if parts else ""
    query = header.endswith("?")
    return (header[:-1] if query else header), query, (parts[1] if len(parts) > 1 else None)


def normalise_header(header: str) -> tuple[str, tuple[str, ...]] | None:
    """``:sour2:Curr`` -> ("SOUR:CURR", ("2", "")); None outside the header grammar."""
    if not header.isascii():
        return None
    text = header.upper()
    if text.startswith(":"):
        text = text[1:]
    names, suffixes = [], []
    for node in text.split(":"):
        name = node.rstrip(DIGITS)
        if not name:
            return None
        names.append(name)
        suffixes.append(node[len(name):])
    return ":".join(names), tuple(suffixes)


# -- leading words of a regex -----------------------------------------------------------
_DIGIT_PREFIX = re.compile(r"\(\?P<\w+>\\d\*\)|\\d\*")
_QUANTIFIERS = "?*+{"


def _skip_class(expression: str, i: int) -> int:
    """Index just after the character class opening at ``i``, or -1."""
    j = i + 1
    if expression[j:j + 1] == "^":
        j += 1
    if expression[j:j + 1] == "]":
        j += 1
    while j < len(expression):
        if expression[j] == "\\":
            j += 2
            continue
        if expression[j] == "]":
            return j + 1
        j += 1
    return -1


def _top_level(expression: str) -> tuple[list[str], int] | None:
    """Alternatives separated by ``|`` outside groups, up to the ``)`` closing the
    enclosing group (or the end); returns them and where they end, None if malformed."""
    parts, start, depth, i = [], 0, 0, 0
    while i < len(expression):
        c = expression[i]
        if c == "\\":
            i += 2
            continue
        if c == "[":
            i = _skip_class(expression, i)
            if i < 0:
                return None
            continue
        if c == "(":
            depth += 1
        elif c == ")":
            if depth == 0:
                break
            depth -= 1
        elif c == "|" and depth == 0:
            parts.append(expression[start:i])
            start = i + 1
        i += 1
    parts.append(expression[start:i])
    return parts, i


def leading_words(expression: str) -> frozenset[str] | None:
    """Upper-case words that every match of ``expression`` begins with, once the
    leading digits are stripped when the pattern allows them (``\\d*`` or
    ``(?P<axis>\\d*)``); None when that cannot be read from the pattern."""
    split = _top_level(expression)
    if split is None or split[1] != len(expression):
        return None
    words: set[str] = set()
    for alternative in split[0]:
        found = _alternative_words(alternative)
        if found is None:
            return None
        words |= found
    return frozenset(words)


def _alternative_words(text: str) -> frozenset[str] | None:
    prefix = _DIGIT_PREFIX.match(text)
    if prefix:
        text = text[prefix.end():]
    if text.startswith("("):
        inner = text[1:]
        if inner.startswith("?:"):
            inner = inner[2:]
        elif inner.startswith("?P<"):
            inner = inner[inner.find(">") + 1:]
        elif inner.startswith("?"):
            return None  # lookarounds, flags, back references
        split = _top_level(inner)
        if split is None or split[1] >= len(inner):
            return None
        after = inner[split[1] + 1:split[1] + 2]
        if after and after in _QUANTIFIERS:
            return None  # an optional or repeated group
        words: set[str] = set()
        for alternative in split[0]:
            found = _alternative_words(alternative)
            if found is None:
                return None
            words |= found
        return frozenset(words)
    units, i = [], 0
    while i < len(text):
        if text[i].isascii() and text[i].isalpha():
            units.append(text[i].upper())
            i += 1
        elif text.startswith("\\*", i):
            units.append("*")
            i += 2
        else:
            break
    if units and i < len(text) and text[i] in _QUANTIFIERS:
        units.pop()  # the last letter is optional or repeated
    return frozenset({"".join(units)}) if units else None


def _strip_digits(command: str) -> str:
    i = 0
    while i < len(command) and command[i].isdecimal():  # what \d matches
        i += 1
    return command[i:]


# -- the table --------------------------------------------------------------------------
#: headers remembered per instrument class, as sent (case, suffixes and all)
HEADER_CACHE = 4096
_UNDEFINED = object()


@dataclass(frozen=True)
class _ScpiEntry:
    position: int
    func: Callable
    digits: tuple[str, ...]
    suffixes: bool


class DispatchTable:
    """The handlers of one instrument class, filed by header (built once per class)."""

    def __init__(self, handlers: list[tuple[str, Any, Callable]]) -> None:
        self.scpi: dict[str, list[_ScpiEntry]] = {}
        self.words: dict[str, list[tuple[int, Callable, re.Pattern]]] = {}
        self.always: list[tuple[int, Callable, re.Pattern]] = []
        self.all_regex: list[tuple[int, Callable, re.Pattern]] = []
        for position, (kind, declaration, func) in enumerate(handlers):
            if kind == "scpi":
                for header, digits in spec_headers(declaration):
                    self.scpi.setdefault(header, []).append(
                        _ScpiEntry(position, func, digits, declaration.suffixes))
                continue
            entry = (position, func, declaration)
            self.all_regex.append(entry)
            words = leading_words(declaration.pattern)
            if words is None:
                self.always.append(entry)
            for word in words or ():
                self.words.setdefault(word, []).append(entry)
        self.word_lengths = tuple(sorted({len(w) for w in self.words}))
        self._seen: dict[str, Any] = {}  # header as sent -> its SCPI entry, or _UNDEFINED

    def _scpi_hit(self, command: str) -> tuple[int, Callable, tuple, dict] | None:
        header, query, args = split_command(command)
        found = self._seen.get(header)
        if found is None:
            found = self._scpi_entry(header)
            if len(self._seen) < HEADER_CACHE:  # headers repeat: a run uses a few dozen
                self._seen[header] = found
        if found is _UNDEFINED:
            return None
        entry, suffixes = found
        call = (args, query, suffixes) if entry.suffixes else (args, query)
        return entry.position, entry.func, call, {}

    def _scpi_entry(self, header: str) -> tuple[_ScpiEntry, tuple[str, ...]] | object:
        normal = normalise_header(header)
        if normal is not None:
            for entry in self.scpi.get(normal[0], ()):
                if all(s.startswith(d) for s, d in zip(normal[1], entry.digits, strict=True)):
                    return entry, normal[1]
        return _UNDEFINED

    def _regex_candidates(self, command: str) -> list[tuple[int, Callable, re.Pattern]]:
        if not self.all_regex:
            return []
        start = _strip_digits(command)[:self.word_lengths[-1] if self.word_lengths else 0]
        if not start.isascii():
            return self.all_regex
        start = start.upper()
        found = [self.words.get(start[:n], ()) for n in self.word_lengths if n <= len(start)]
        found = [f for f in found if f]
        if not found:
            return self.always
        if len(found) == 1 and not self.always:
            return found[0]
        return sorted(set(itertools.chain(self.always, *found)), key=lambda e: e[0])

    def resolve(self, command: str) -> tuple[Callable, tuple, dict] | None:
        """The handler of one command and its (positional, keyword) arguments, or None."""
        hit = self._scpi_hit(command)
        for position, func, pattern in self._regex_candidates(command):
            if hit is not None and position > hit[0]:
                break
            match = pattern.fullmatch(command)
            if match is not None:
                return func, (), match.groupdict()
        return hit[1:] if hit is not None else None
