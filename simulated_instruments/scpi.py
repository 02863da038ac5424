"""A small message-based instrument model: command dispatch, error queue, common commands.

An instrument model subclasses :class:`SimulatedInstrument` and declares its commands
with decorators:

* ``@scpi("SOURce:CURRent[:LEVel][:IMMediate][:AMPLitude]")`` matches the SCPI header in
  short or long form (``SOUR:CURR``, ``:source:current:level``, ...), with optional
  nodes in brackets and optional numeric suffixes; the handler gets the argument text
  and whether it was a query.
* ``@regex(r"(?P<axis>\\d*)PA(?P<value>.*)")`` matches instruments that do not speak
  SCPI (ESP300, LakeShore 331, SR830); the handler gets the named groups.

A command finds its handler by its header (``dispatch.py``): one dictionary lookup for
SCPI, a few candidate patterns for the others, never a scan of every handler.

A handler returns the reply (``str``) or ``None``; it raises :class:`InstrumentError`
for bad input, which lands in the error queue exactly as on the real instrument, and
the model never crashes: unknown headers are error -113, bad data -104 or -222.
"""

from __future__ import annotations

import re
from collections import deque
from collections.abc import Callable
from typing import Any, ClassVar

from labspin.simulated_instruments.dispatch import DispatchTable, parse_spec


class InstrumentError(Exception):
    """An instrument-side error: goes to the error queue, never to the caller."""

    def __init__(self, code: int, message: str) -> None:
        super().__init__(f"{code},{message}")
        self.code = code
        self.message = message


UNDEFINED_HEADER = (-113, "Undefined header")
DATA_TYPE = (-104, "Data type error")
OUT_OF_RANGE = (-222, "Data out of range")
SETTINGS_CONFLICT = (-221, "Settings conflict")
QUERY_UNTERMINATED = (-420, "Query UNTERMINATED")


def scpi(spec: str, *, suffixes: bool = False) -> Callable:
    """Declare a SCPI command handler ``handler(self, args: str | None, query: bool)``.

    With ``suffixes`` the handler also gets the numeric suffix of each header node the
    command carried, as strings (``"2"``, or ``""`` for none): ``handler(self, args,
    query, suffixes)``. Without, suffixes are accepted and ignored.
    """
    declaration = parse_spec(spec, suffixes)

    def wrap(func: Callable) -> Callable:
        func._commands = [*getattr(func, "_commands", []), ("scpi", declaration)]
        return func
    return wrap


def regex(expression: str) -> Callable:
    """Declare a handler for a non-SCPI command; named groups become keyword arguments."""
    pattern = re.compile(expression, re.IGNORECASE | re.DOTALL)

    def wrap(func: Callable) -> Callable:
        func._commands = [*getattr(func, "_commands", []), ("regex", pattern)]
        return func
    return wrap


def split_messages(buffer: bytes, encoding: str = "latin-1", errors: str = "strict",
                   ) -> tuple[list[str], bytes]:
    """Complete messages in what a client sent (each ends in ``\\n`` or ``\\r``; empty
    ones dropped), decoded and stripped, and the unterminated rest."""
    if b"\n" not in buffer and b"\r" not in buffer:
        return [], buffer
    *complete, rest = buffer.replace(b"\r", b"\n").split(b"\n")
    messages = [m.decode(encoding, errors=errors).strip() for m in complete]
    return [m for m in messages if m], rest


def parse_float(text: str | None, *, minimum: float | None = None,
                maximum: float | None = None, keywords: dict[str, float] | None = None,
                ) -> float:
    """Parse a numeric argument the way instruments do: MIN/MAX/DEF keywords, range check."""
    if text is None or not text.strip():
        raise InstrumentError(-109, "Missing parameter")
    word = text.strip().upper()
    if keywords:
        for key, value in keywords.items():
            if word in (key, key[:3]):
                return value
    try:
        value = float(word)
    except ValueError:
        raise InstrumentError(*DATA_TYPE) from None
    if value != value:  # NaN
        raise InstrumentError(*DATA_TYPE)
    if (minimum is not None and value < minimum) or (maximum is not None and value > maximum):
        raise InstrumentError(*OUT_OF_RANGE)
    return value


def parse_bool(text: str | None) -> bool:
    word = (text or "").strip().upper()
    if word in ("1", "ON"):
        return True
    if word in ("0", "OFF"):
        return False
    raise InstrumentError(*DATA_TYPE)


class SimulatedInstrument:
    """Base of every instrument model on the bench."""

    #: *IDN? reply
    idn: ClassVar[str] = "labspin,Simulated instrument,0,1.0"
    #: appended to every reply (what the real instrument sends)
    read_termination: ClassVar[str] = "\n"
    #: what the real instrument expects after a command (informational; \r and \n both end
    #: a command here)
    write_termination: ClassVar[str] = "\n"
    #: character separating several commands in one message
    separator: ClassVar[str] = ";"
    #: (kind, ScpiSpec or re.Pattern, handler) in order of precedence
    _handlers: ClassVar[list[tuple[str, Any, Callable]]]
    _table: ClassVar[DispatchTable]

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        handlers = []
        for klass in reversed(cls.__mro__):
            for func in vars(klass).values():
                for kind, declaration in getattr(func, "_commands", []):
                    handlers.append((kind, declaration, func))
        # subclass handlers first, so they can override the common ones
        own = [h for h in handlers if h[2].__qualname__.startswith(cls.__name__ + ".")]
        cls._handlers = own + [h for h in handlers if h not in own]
        cls._table = DispatchTable(cls._handlers)

    def __init__(self, bench: Any, name: str) -> None:
        self.bench = bench
        self.name = name
        self.errors: deque[tuple[int, str]] = deque(maxlen=32)
        self.reset()

    # -- to override ------------------------------------------------------------------
    def reset(self) -> None:
        """Put every setting in its power-on (*RST) state."""

    # -- dispatch ---------------------------------------------------------------------
    def process(self, message: str) -> str | None:
        """Execute one message (possibly several commands); return the reply or None."""
        replies = []
        for command in self._split(message):
            try:
                reply = self._dispatch(command)
            except InstrumentError as exc:
                self.push_error(exc.code, exc.message)
                continue
            if reply is not None:
                replies.append(reply)
        return ";".join(replies) if replies else None

    def _split(self, message: str) -> list[str]:
        parts = message.split(self.separator) if self.separator else [message]
        return [p.strip() for p in parts if p.strip()]

    def _dispatch(self, command: str) -> str | None:
        found = self._table.resolve(command)
        if found is None:
            raise InstrumentError(*UNDEFINED_HEADER)
        func, args, kwargs = found
        return func(self, *args, **kwargs)

    def push_error(self, code: int, message: str) -> None:
        self.errors.append((code, message))

    def pop_error(self) -> str:
        if not self.errors:
            return '0,"No error"'
        code, message = self.errors.popleft()
        return f'{code},"{message}"'

    # -- IEEE 488.2 common commands and the SCPI error queue ----------------------------
    @scpi("*IDN")
    def _idn(self, args: str | None, query: bool) -> str:
        return self.idn

    @scpi("*RST")
    def _rst(self, args: str | None, query: bool) -> None:
        self.reset()

    @scpi("*CLS")
    def _cls(self, args: str | None, query: bool) -> None:
        self.errors.clear()

    @scpi("*OPC")
    def _opc(self, args: str | None, query: bool) -> str | None:
        return "1" if query else None

    @scpi("*ESR")
    def _esr(self, args: str | None, query: bool) -> str:
        return "32" if self.errors else "0"

    @scpi("*STB")
    def _stb(self, args: str | None, query: bool) -> str:
        return "4" if self.errors else "0"

    @scpi("*OPT")
    def _opt(self, args: str | None, query: bool) -> str:
        return "0"

    @scpi("*WAI")
    def _wai(self, args: str | None, query: bool) -> None:
        return None

    @scpi("SYSTem:ERRor[:NEXT]")
    def _system_error(self, args: str | None, query: bool) -> str:
        if not query:
            raise InstrumentError(*UNDEFINED_HEADER)
        return self.pop_error()

    @scpi("SYSTem:ERRor:ALL")
    def _system_error_all(self, args: str | None, query: bool) -> str:
        errors = [self.pop_error() for _ in range(len(self.errors))] or [self.pop_error()]
        return ",".join(errors)
