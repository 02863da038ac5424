"""Handler lookup by header picks exactly the handler the old scan of every pattern did.

The oracle below is the dispatch the bench used until commit d97f99d: every handler's
regular expression tried in order of precedence, the first full match wins. It is
compared with ``DispatchTable.resolve`` on every distinct command the test suite sent
to each instrument model (``data/scpi_traffic.txt``), on every header each SCPI spec
expands to (in mixed case, with suffixes, queries and arguments) and on seeded random
commands built from the models' own words.
"""

import functools
import random
import re
from pathlib import Path

import pytest

from labspin.simulated_instruments.dispatch import (
    leading_words,
    normalise_header,
    parse_spec,
    spec_headers,
)
from labspin.simulated_instruments.layout import MODELS, model_class
from labspin.simulated_instruments.scpi import InstrumentError, SimulatedInstrument, regex, scpi

TRAFFIC = Path(__file__).parent / "data" / "scpi_traffic.txt"
CLASSES = sorted({model_class(driver) for driver in MODELS}, key=lambda c: c.__name__)


# -- the oracle: one regex per handler, tried in turn -----------------------------------
def _mnemonic(token: str) -> str:
    short = "".join(ch for ch in token if ch.isupper() or ch.isdigit())
    long_ = token.upper()
    if short == long_:
        return re.escape(long_)
    return f"(?:{re.escape(long_)}|{re.escape(short)})"


@functools.cache
def old_scpi_pattern(spec: str) -> re.Pattern:
    """scpi.py's regex for a spec until d97f99d, with each node and suffix captured."""
    out, leading = [], True
    for k, part in enumerate(re.findall(r"\[:?[^\]]+\]|:?[^:\[]+", spec)):
        optional = part.startswith("[")
        token = part.strip("[]").lstrip(":")
        colon = ":?" if leading else ":"
        piece = f"{colon}(?P<n{k}>{_mnemonic(token)})(?P<s{k}>\\d*)"
        out.append(f"(?:{piece})?" if optional else piece)
        leading = leading and optional
    return re.compile(rf":?{''.join(out)}(?P<query>\?)?(?:\s+(?P<args>.*))?",
                      re.IGNORECASE | re.DOTALL)


def well_formed(command: str, match: re.Match) -> bool:
    """One colon between nodes and at most one before the first: the old regex also took
    ``::SYST:ERR?`` and ``SOURCURR`` for ``[SOURce]:CURRent``; header lookup does not."""
    header = command.split(None, 1)[0].removesuffix("?").removeprefix(":")
    nodes = sum(1 for name, value in match.groupdict().items()
                if name.startswith("n") and value is not None)
    parts = header.split(":")
    return len(parts) == nodes and all(parts)


def oracle(cls: type, command: str) -> tuple | None:
    for kind, declaration, func in cls._handlers:
        if kind == "regex":
            match = declaration.fullmatch(command)
            if match is not None:
                return ("regex", func, match.groupdict())
            continue
        match = old_scpi_pattern(declaration.text).fullmatch(command)
        if match is None or not well_formed(command, match):
            continue
        suffixes = tuple(v for k, v in match.groupdict().items() if k.startswith("s") and v)
        return ("scpi", func, match.group("args"), bool(match.group("query")),
                suffixes if declaration.suffixes else None)
    return None


def by_header(cls: type, command: str) -> tuple | None:
    found = cls._table.resolve(command)
    if found is None:
        return None
    func, args, kwargs = found
    if not args:
        return ("regex", func, kwargs)
    suffixes = tuple(s for s in args[2] if s) if len(args) == 3 else None
    return ("scpi", func, args[0], args[1], suffixes)


# -- the corpus -------------------------------------------------------------------------
def recorded_traffic() -> dict[str, list[str]]:
    traffic: dict[str, list[str]] = {}
    for line in TRAFFIC.read_text(encoding="utf-8").splitlines():
        if line and not line.startswith("#"):
            name, text = line.split("\t")
            traffic.setdefault(name, []).append(eval(text, {}))  # a repr() we wrote
    return traffic


def mixed_case(text: str, rng: random.Random) -> str:
    return "".join(c.lower() if rng.random() < 0.4 else c for c in text)


def spec_commands(cls: type, rng: random.Random) -> list[str]:
    """Every header of every SCPI spec, dressed as a command in several ways."""
    commands = []
    for kind, declaration, _ in cls._handlers:
        if kind != "scpi":
            continue
        for header, digits in spec_headers(declaration):
            nodes = [n + d for n, d in zip(header.split(":"), digits, strict=True)]
            k = rng.randrange(len(nodes))
            nodes[k] += rng.choice(["", "1", "2", "3", "12"])
            text = mixed_case(rng.choice(["", ":"]) + ":".join(nodes), rng)
            commands += [text, text + "?", f"{text} 1.5", f"{text}? MAX", text[:-1],
                         text + "X", f"{text}?? 1", "::" + text, text.replace(":", "", 1)]
    return commands


def random_commands(cls: type, rng: random.Random, count: int) -> list[str]:
    words = {f for key in cls._table.scpi for f in key.split(":")} | set(cls._table.words)
    tokens = [*sorted(words), "", "1", "2", "12", "?", ":", "*", " ", " 1", " 1,2", "A",
              "x", "\t", ",", "-0.5"]
    return [mixed_case("".join(rng.choice(tokens) for _ in range(rng.randint(1, 5))), rng)
            .strip() or "?" for _ in range(count)]


@pytest.mark.parametrize("cls", CLASSES, ids=lambda c: c.__name__)
def test_lookup_by_header_picks_the_handler_the_scan_of_every_pattern_picked(cls):
    rng = random.Random(13)
    commands = recorded_traffic().get(cls.__name__, []) + spec_commands(cls, rng) + \
        random_commands(cls, rng, 1500)
    assert len(commands) > 1500
    results = [(c, oracle(cls, c), by_header(cls, c)) for c in commands]
    assert [r for r in results if r[1] != r[2]] == []
    assert sum(r[2] is not None for r in results) > len(commands) / 5  # not all refused


def test_the_recorded_traffic_covers_every_instrument_model():
    assert set(recorded_traffic()) == {cls.__name__ for cls in CLASSES}


@pytest.mark.parametrize("cls", CLASSES, ids=lambda c: c.__name__)
def test_every_non_scpi_pattern_is_filed_under_its_words(cls):
    """No handler of the shipped models is tried for every command."""
    assert cls._table.always == []


def test_malformed_headers_the_old_regex_let_through_are_undefined_now():
    from labspin.simulated_instruments.instruments.kepco_bop import KepcoBOPModel

    for command in ("::SYST:ERR?", "SYSTERR?", "::CURR 1"):
        assert by_header(KepcoBOPModel, command) is None
    assert by_header(KepcoBOPModel, ":syst:err?")[1] is KepcoBOPModel._system_error


def test_a_mnemonic_ending_in_digits_needs_a_suffix_starting_with_them():
    from labspin.simulated_instruments.instruments.keithley2182 import Keithley2182Model

    def handler(command):
        found = by_header(Keithley2182Model, command)
        return found[1].__name__ if found else None

    assert handler("SENS:VOLT:CHAN1:RANG 1") == handler("sense:voltage:channel12:range 1")
    assert handler("SENS:VOLT:CHAN:RANG 1") is None
    assert handler("SENS:VOLT:CHAN2:RANG 1") != handler("SENS:VOLT:CHAN1:RANG 1")


@pytest.mark.parametrize(("pattern", "words"), [
    (r"(?P<axis>\d*)PA(?P<value>[^?]*)", {"PA"}),
    (r"(?P<axis>\d*)(?:PA|PR)\?", {"PA", "PR"}),
    (r"TRIG|\*TRG", {"TRIG", "*TRG"}),
    (r"(?P<command>AGAN|AOFF\s*(?P<i>\d+))", {"AGAN", "AOFF"}),
    (r"TP\??", {"TP"}),
    (r"ABC?", {"AB"}),  # the C is optional
    (r"(?:AB)?CD", None),  # an optional group: unknown, tried for every command
    (r"(?=A)AB", None),
    (r"\s*AB", None),
    (r"1AB", None),
    (r"(?P<axis>\d)AB", None),
    (r"AB|", None),
])
def test_leading_words_of_a_pattern_or_none_when_unsure(pattern, words):
    assert leading_words(pattern) == (None if words is None else frozenset(words))


def test_headers_normalise_to_upper_case_nodes_and_their_suffixes():
    assert normalise_header(":sour2:Curr") == ("SOUR:CURR", ("2", ""))
    assert normalise_header("*idn") == ("*IDN", ("",))
    assert normalise_header("::SOUR") is None
    assert normalise_header("SOUR:12") is None
    assert normalise_header("SOUR\u00b5") is None


def test_a_spec_that_is_not_scpi_is_refused_when_the_class_is_written():
    with pytest.raises(ValueError, match="not a mnemonic"):
        parse_spec("SOURce:CURR-ent")


def test_unknown_commands_and_bad_suffixes_still_go_to_the_error_queue():
    class Meter(SimulatedInstrument):
        @scpi("SENSe:CHANnel1:RANGe")
        def _range(self, args, query):
            return "1" if query else None

    meter = Meter(None, "meter")
    assert meter.process(":SENS:CHAN1:RANG?") == "1"
    assert meter.process("SENS:CHAN2:RANG?;FROB") is None
    assert [meter.pop_error() for _ in range(3)] == ['-113,"Undefined header"'] * 2 + \
        ['0,"No error"']
    with pytest.raises(InstrumentError):
        meter._dispatch("SENS:CHAN:RANG?")


def test_the_handler_declared_first_wins_whatever_its_kind():
    class ScpiFirst(SimulatedInstrument):
        @scpi("FREQuency")
        def _scpi(self, args, query):
            return "scpi"

        @regex(r"FREQ(?P<rest>.*)")
        def _regex(self, rest):
            return "regex"

    class RegexFirst(SimulatedInstrument):
        @regex(r"FREQ(?P<rest>.*)")
        def _regex(self, rest):
            return "regex"

        @scpi("FREQuency")
        def _scpi(self, args, query):
            return "scpi"

    for cls, first in ((ScpiFirst, "scpi"), (RegexFirst, "regex")):
        instrument = cls(None, "generator")
        assert instrument.process("FREQ 5") == first
        assert instrument.process("freq?") == first
        assert instrument.process("FREQUENCY 5") == first
        assert instrument.process("FREQ:X") == "regex"  # only the regex takes it
        for command in ("FREQ 5", "freq?", "FREQUENCY 5", "FREQ:X", "FRE"):
            assert oracle(cls, command) == by_header(cls, command)
