"""Instruments as the station hands them out: every exchange attributed, no silent slips.

pymeasure instruments and channels accept any attribute assignment: ``ch.output_enabled =
True`` on a channel whose property is ``output`` makes a plain Python attribute and sends
nothing (PITFALLS.md). And a VISA timeout or an unreadable reply, as pymeasure raises it,
does not say which instrument failed. So the station hands out its instruments *guarded*
(:func:`guard`):

* assigning a public attribute the driver does not have raises ``AttributeError`` naming
  the class and its nearest real property;
* every message passes through the instrument's public ``write`` and ``read`` (pymeasure
  routes properties and channels through them), so a timeout or a lost connection is
  raised as an :class:`InstrumentFault` naming the instrument and the command, and the
  :class:`ExchangeLog` keeps the last exchange (to name the instrument behind an
  unreadable reply) and the settings labspin made (to say what may still be on when an
  instrument cannot be switched off).

The log also keeps an ``epoch``: what a run remembers of the instruments' state (so that
unchanged settings are not sent again, ``labspin.procedures.apparatus``) holds only
within one epoch. Any fault, any error raised while talking to an instrument, a reset
(``*RST``, ``SYST:PRES``) and every ``make_safe`` start a new one (:meth:`ExchangeLog.
invalidate`), so after anything unexpected every setting is sent again.

Guarding changes the class of the open instance to a subclass of its driver with the same
name; nothing in pymeasure is patched.
"""

from __future__ import annotations

import difflib
import functools
import logging
import re
from collections import defaultdict, deque
from collections.abc import Callable, Iterator
from typing import Any, NamedTuple

import pyvisa.errors
from pymeasure.instruments import Channel
from pymeasure.instruments.common_base import CommonBase

#: VISA status of a read or write that timed out
VI_ERROR_TMO = -1073807339
_ADVICE_TIMEOUT = ("Check that it is on and not in local or error state, its cable, and "
                   "that no other program is talking to it")
_ADVICE_LOST = "Check its cable (GPIB/USB/serial) and power, then rerun or resume"
_ADVICE_REPLY = ("Check the cable and the termination settings, and that no other program "
                 "talks to it")


class StationError(RuntimeError):
    """An instrument could not be opened, does not answer, or the station lacks a role."""


class InstrumentFault(StationError):
    """An instrument stopped answering, lost its connection or answered nonsense.

    ``role`` is the instrument that failed (not the one a procedure was busy with);
    ``context`` what labspin was doing, added by ``Station.talking_to``."""

    def __init__(self, what: str, advice: str = "", *, role: str | None = None,
                 command: str | None = None, reply: str | None = None) -> None:
        super().__init__(what)
        self.what, self.advice = what, advice
        self.role, self.command, self.reply = role, command, reply
        self.context: str | None = None

    def __str__(self) -> str:
        text = self.what + (f" (during {self.context})" if self.context else "")
        return f"{text}. {self.advice}" if self.advice else text


class InstrumentTimeout(InstrumentFault):
    """The instrument did not answer in time (it may still accept commands)."""


class InstrumentDisconnected(InstrumentFault):
    """The connection to the instrument is gone: nothing reaches it."""


class InstrumentReplyError(InstrumentFault):
    """The instrument answered something that is not a valid reply."""


class InstrumentReportedError(InstrumentFault):
    """The instrument's own error queue holds an error (its text is in the message)."""


class Exchange(NamedTuple):
    """One command and, for a query, the reply read after it (None: none read yet); a
    tuple, made at every message."""

    role: str
    command: str
    reply: str | None = None


class ExchangeLog:
    """What the station said to its instruments, what they answered, what labspin set."""

    def __init__(self, describe: Callable[[str], str]) -> None:
        self.describe = describe
        self.last: Exchange | None = None
        #: role -> {property (``ch1.output`` for a channel): last value set successfully}
        self.settings: dict[str, dict[str, Any]] = defaultdict(dict)
        #: role -> the latest commands it accepted
        self.commands: dict[str, deque[str]] = defaultdict(lambda: deque(maxlen=64))
        #: a new epoch begins whenever the instruments' state may differ from what was
        #: set (a fault, an error, a reset, make_safe): remembered state of older epochs
        #: is void
        self.epoch = 0
        #: called at every invalidation (the magnets forget that their supply is on)
        self.listeners: list[Callable[[], None]] = []

    def invalidate(self) -> None:
        """Whatever labspin remembers of the instruments' state no longer holds."""
        self.epoch += 1
        for forget in self.listeners:
            forget()

    # -- recording ------------------------------------------------------------------------
    def sent(self, role: str, command: str) -> None:
        self.last = Exchange(role, command)
        self.commands[role].append(command)

    def received(self, role: str, reply: str) -> None:
        command = self.last.command if self.last and self.last.role == role else "?"
        self.last = Exchange(role, command, reply)

    def setting(self, role: str, key: str, value: Any) -> None:
        self.settings[role][key] = value

    def last_command(self, role: str) -> str:
        return self.last.command if self.last and self.last.role == role else "a reply"

    def last_matching(self, role: str, patterns: dict[str, Any], default: Any = None) -> Any:
        """The value of the latest accepted command of ``role`` matching one of
        ``patterns`` (regex -> value), or ``default``."""
        for command in reversed(self.commands.get(role, ())):
            for pattern, value in patterns.items():
                if re.search(pattern, command, re.IGNORECASE):
                    return value
        return default

    # -- faults ---------------------------------------------------------------------------
    def fault(self, role: str, command: str, exc: BaseException, *, reading: bool,
              ) -> InstrumentFault:
        """The InstrumentFault for a VISA or OS error while sending or reading."""
        self.invalidate()
        who = self.describe(role)
        text = str(exc)
        if isinstance(exc, pyvisa.errors.VisaIOError) and (
                getattr(exc, "error_code", None) == VI_ERROR_TMO or "TMO" in text):
            what = (f"{who} did not answer {command!r} in time" if reading
                    else f"{who} did not accept {command!r} in time")
            return InstrumentTimeout(what, _ADVICE_TIMEOUT, role=role, command=command)
        if isinstance(exc, OSError | pyvisa.errors.InvalidSession) or any(
                code in text for code in ("CONN_LOST", "CLOSED", "INV_OBJECT", "INV_SESSION")):
            where = f"waiting for its answer to {command!r}" if reading else \
                f"sending {command!r}"
            return InstrumentDisconnected(f"lost the connection to {who} {where}",
                                          _ADVICE_LOST, role=role, command=command)
        return InstrumentFault(f"{who} failed on {command!r}: {text}", role=role,
                               command=command)

    def unreadable_reply(self, exc: BaseException) -> InstrumentReplyError | None:
        """An InstrumentReplyError if ``exc`` (a ValueError, KeyError...) came from
        parsing the last reply: the reply was read last and the error quotes it."""
        last = self.last
        if last is None or last.reply is None or not isinstance(
                exc, ValueError | TypeError | KeyError | IndexError):
            return None
        message = str(exc)
        pieces = [p.strip() for p in re.split(r"[,;]", last.reply) if p.strip()] or [""]
        # Python quotes what it could not convert; pymeasure's map_values says "Value X
        # not found": a value merely resembling the reply (a validator's) does not count
        quoted = (f"'{piece}'" in message or f'"{piece}"' in message
                  or f"Value {piece} " in message for piece in pieces)
        if not any(quoted):
            return None
        self.invalidate()
        shown = last.reply.strip()[:40]
        return InstrumentReplyError(
            f"{self.describe(last.role)} answered {shown!r} to {last.command!r}, which is "
            "not a valid reply", _ADVICE_REPLY, role=last.role, command=last.command,
            reply=last.reply)


# -- the guard ------------------------------------------------------------------------------
_IO_ERRORS = (pyvisa.errors.Error, OSError)
#: commands that put an instrument back to its power-on settings
_RESETS = re.compile(r"\*RST|SYST(?:em)?:PRES", re.IGNORECASE)


_object_getattribute = object.__getattribute__


class _Reserved:
    """A name pymeasure reserves for the parameters of its dynamic properties
    (``voltage_values``...): it stores them under a prefix and refuses to read the plain
    name; in a guarded class this descriptor refuses it."""

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    def __get__(self, obj: Any, owner: type | None = None) -> Any:
        if obj is None:
            return self
        raise AttributeError(f"{self.name} is a reserved variable name and it cannot be read")

    def __set__(self, obj: Any, value: Any) -> None:  # pymeasure renames before storing
        object.__setattr__(obj, self.name, value)


class _Guarded:
    """Mixin put in front of a driver or channel class by :func:`guard`.

    pymeasure's ``CommonBase.__getattribute__`` runs in Python at every attribute access
    of every message, only to refuse reading the reserved names of its dynamic
    properties, scanning a list of them. A guarded class refuses those names with class
    descriptors (:class:`_Reserved`) and looks everything else up as ``object`` does
    (tests/station/test_instrument_guard.py holds pymeasure's method to that)."""

    _labspin_role: str
    _labspin_log: ExchangeLog
    _labspin_reserved: frozenset[str]

    def __setattr__(self, name: str, value: Any) -> None:
        public = not name.startswith("_")
        if public and not _known(self, name):
            raise AttributeError(_unknown_message(self, name))
        super().__setattr__(name, value)
        if public and _is_property(type(self), name):
            channel_id = getattr(self, "id", None) if isinstance(self, Channel) else None
            key = name if channel_id is None else f"ch{channel_id}.{name}"
            self._labspin_log.setting(self._labspin_role, key, value)


class _GuardedInstrument(_Guarded):
    """Every message of the instrument (and its channels) is recorded and attributed."""

    def write(self, command: str, **kwargs: Any) -> None:
        try:
            super().write(command, **kwargs)  # type: ignore[misc]
        except _IO_ERRORS as exc:
            raise self._labspin_log.fault(self._labspin_role, command, exc,
                                          reading=False) from None
        self._labspin_log.sent(self._labspin_role, command)
        if _RESETS.search(command):
            self._labspin_log.invalidate()

    def read(self, **kwargs: Any) -> str:
        log = self._labspin_log
        try:
            reply = super().read(**kwargs)  # type: ignore[misc]
        except _IO_ERRORS as exc:
            raise log.fault(self._labspin_role, log.last_command(self._labspin_role), exc,
                            reading=True) from None
        log.received(self._labspin_role, reply)
        return reply

    def write_bytes(self, content: bytes, **kwargs: Any) -> None:
        try:
            super().write_bytes(content, **kwargs)  # type: ignore[misc]
        except _IO_ERRORS as exc:
            raise self._labspin_log.fault(self._labspin_role, repr(content[:20]), exc,
                                          reading=False) from None

    def read_bytes(self, count: int, **kwargs: Any) -> bytes:
        log = self._labspin_log
        try:
            return super().read_bytes(count, **kwargs)  # type: ignore[misc]
        except _IO_ERRORS as exc:
            raise log.fault(self._labspin_role, log.last_command(self._labspin_role), exc,
                            reading=True) from None


_GUARDED_CLASSES: dict[tuple[type, type], type] = {}


def _guarded_class(cls: type, mixin: type, reserved: frozenset[str]) -> type:
    key = (cls, mixin)
    if key not in _GUARDED_CLASSES:
        namespace: dict[str, Any] = {
            "__module__": cls.__module__, "__qualname__": cls.__qualname__,
            "__doc__": cls.__doc__}
        # only pymeasure's own lookup is replaced; a driver with one of its own keeps it
        if cls.__getattribute__ in (CommonBase.__getattribute__, _object_getattribute):
            namespace["__getattribute__"] = _object_getattribute
            namespace.update({name: _Reserved() for name in reserved})
        _GUARDED_CLASSES[key] = type(cls.__name__, (mixin, cls), namespace)
    return _GUARDED_CLASSES[key]


def channels_of(instrument: Any) -> Iterator[Channel]:
    """Every channel of an instrument (attributes and channel collections), recursively."""
    seen: set[int] = set()
    stack = [instrument]
    while stack:
        owner = stack.pop()
        for value in list(vars(owner).values()):
            candidates = value.values() if isinstance(value, dict) else (value,)
            for item in candidates:
                if isinstance(item, Channel) and id(item) not in seen:
                    seen.add(id(item))
                    stack.append(item)
                    yield item


def guard(instrument: Any, role: str, log: ExchangeLog) -> Any:
    """Guard an open pymeasure instrument in place (see the module docstring)."""
    if isinstance(instrument, _Guarded):
        return instrument
    targets = [(instrument, _GuardedInstrument),
               *((channel, _Guarded) for channel in channels_of(instrument))]
    for obj, mixin in targets:
        reserved = frozenset(getattr(obj, "_special_names", ()))
        object.__setattr__(obj, "_labspin_reserved", reserved)
        object.__setattr__(obj, "__class__", _guarded_class(type(obj), mixin, reserved))
        object.__setattr__(obj, "_labspin_role", role)
        object.__setattr__(obj, "_labspin_log", log)
    return instrument


def keep_one_null_handler(instrument: Any) -> None:
    """pymeasure's Adapter adds a NullHandler to its logger, shared by every instrument of
    a driver, each time an instrument is opened: a process that opens stations again
    and again (the window, a night's queue, the tests) grows that list without end, and
    adding to it, or logging through it, walks it all. One is all it needs."""
    logger = getattr(getattr(instrument, "adapter", None), "log", None)
    if not isinstance(logger, logging.Logger):
        return
    nulls = [h for h in logger.handlers if type(h) is logging.NullHandler]
    for handler in nulls[1:]:
        logger.removeHandler(handler)


# -- names ------------------------------------------------------------------------------------
@functools.cache
def _is_property(cls: type, name: str) -> bool:
    for klass in cls.__mro__:
        if name in vars(klass):
            return hasattr(vars(klass)[name], "__set__")
    return False


@functools.cache
def _class_has(cls: type, name: str) -> bool:
    return any(name in vars(klass) for klass in cls.__mro__)


def _known(obj: Any, name: str) -> bool:
    """A name the object already has: a class attribute (property, method, setting), an
    instance attribute set by its driver, or a pymeasure dynamic-property parameter."""
    if name in vars(obj) or _class_has(type(obj), name):
        return True
    return name in _object_getattribute(obj, "_labspin_reserved")


def _original(cls: type) -> type:
    return next(k for k in cls.__mro__ if not issubclass(k, _Guarded) and k is not object) \
        if issubclass(cls, _Guarded) else cls


def nearest_properties(cls: type, name: str, most: int = 3) -> list[str]:
    """The properties of ``cls`` most like ``name``, best first (``output`` for
    ``output_enabled``; ``burst_period`` and ``pulse_period`` for ``period``)."""
    names = {n for klass in cls.__mro__ for n, v in vars(klass).items()
             if not n.startswith("_") and hasattr(v, "__set__")}

    def score(candidate: str) -> float:
        ratio = difflib.SequenceMatcher(None, name, candidate).ratio()
        contained = candidate in name or name in candidate
        return ratio + (0.3 if contained else 0.0)

    ranked = sorted(names, key=lambda n: (-score(n), n))
    if not ranked or score(ranked[0]) < 0.5:
        return []
    best = score(ranked[0])
    return [n for n in ranked if score(n) >= best - 0.05][:most]


def nearest_property(cls: type, name: str) -> str | None:
    """The single property of ``cls`` most like ``name``, or None."""
    found = nearest_properties(cls, name)
    return found[0] if found else None


def _unknown_message(obj: Any, name: str) -> str:
    cls = _original(type(obj))
    hints = " or ".join(repr(h) for h in nearest_properties(cls, name))
    return (f"{cls.__name__} has no property {name!r}: pymeasure would keep the value as a "
            "plain attribute and send nothing to the instrument"
            + (f"; did you mean {hints}?" if hints else ""))
