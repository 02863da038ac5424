"""A station file's driver ``options`` checked without opening any instrument.

Opening a station hands each entry's ``options`` to its driver as keyword arguments,
and the driver hands what it does not take to pyvisa, which sets them on the resource
it opens. Each mistake there fails before the first message is sent: an option the
driver sets itself (``read_termination`` on a KepcoBOP3612: Python refuses the second
value), one that neither the driver nor the VISA resource knows (pyvisa refuses it
before opening), and a value the resource refuses (``timeout: fast``, a termination
pyvisa calls ambiguous).

So ``labspin queue plan``, ``labspin run`` and ``Station.open`` construct each driver
exactly as opening does, with the entry's resource and options, but through
:class:`DryVisaLibrary`, a pyvisa backend that parses every address, accepts every
attribute pyvisa sets and stops at the first message a driver would exchange: an option
at fault fails as it would at the bench, at 6 pm rather than when the night starts, and
nothing reaches an instrument. Only pyvisa's public backend interface is used (a
``VisaLibraryBase`` instance handed as ``visa_library``, which pymeasure passes on to
``pyvisa.ResourceManager``); tests/station/test_station_options.py fails if that changes.
"""

from __future__ import annotations

import contextlib
import itertools
import warnings
from typing import Any

from pyvisa import constants, highlevel
from pyvisa.typing import VISARMSession, VISASession

from labspin.instrument_io import keep_one_null_handler
from labspin.station_keys import file_key, option_at_fault


class NotOpened(Exception):
    """The dry library stops here: the driver would talk to the instrument now."""


class DryVisaLibrary(highlevel.VisaLibraryBase):
    """A VISA library that opens sessions to nothing: attributes are kept, and the first
    read or write (or any query of the instrument) raises :class:`NotOpened`."""

    @staticmethod
    def get_library_paths() -> tuple[highlevel.LibraryPath, ...]:
        return (highlevel.LibraryPath("labspin-options-check"),)

    @staticmethod
    def get_debug_info() -> dict[str, str]:
        return {}

    def _init(self) -> None:
        self._attributes: dict[tuple[int, Any], Any] = {}
        self._sessions = itertools.count(1)

    def open_default_resource_manager(self) -> tuple[VISARMSession, constants.StatusCode]:
        return VISARMSession(next(self._sessions)), constants.StatusCode.success

    def list_resources(self, session: VISARMSession, query: str = "?*::INSTR",
                       ) -> tuple[str, ...]:
        return ()

    def open(self, session: VISARMSession, resource_name: str,
             access_mode: constants.AccessModes = constants.AccessModes.no_lock,
             open_timeout: int = constants.VI_TMO_IMMEDIATE,
             ) -> tuple[VISASession, constants.StatusCode]:
        return VISASession(next(self._sessions)), constants.StatusCode.success

    def set_attribute(self, session: Any, attribute: Any, attribute_state: Any,
                      ) -> constants.StatusCode:
        self._attributes[session, attribute] = attribute_state
        return constants.StatusCode.success

    def get_attribute(self, session: Any, attribute: Any,
                      ) -> tuple[Any, constants.StatusCode]:
        if (session, attribute) in self._attributes:
            return self._attributes[session, attribute], constants.StatusCode.success
        raise NotOpened("the driver asks the instrument")

    def read(self, session: VISASession, count: int) -> tuple[bytes, constants.StatusCode]:
        raise NotOpened("the driver reads from the instrument")

    def write(self, session: VISASession, data: bytes) -> tuple[int, constants.StatusCode]:
        raise NotOpened("the driver writes to the instrument")

    def clear(self, session: VISASession) -> constants.StatusCode:
        raise NotOpened("the driver clears the instrument")

    def disable_event(self, session: Any, event_type: Any, mechanism: Any,
                      ) -> constants.StatusCode:
        return constants.StatusCode.success

    def discard_events(self, session: Any, event_type: Any, mechanism: Any,
                       ) -> constants.StatusCode:
        return constants.StatusCode.success

    def close(self, session: Any) -> constants.StatusCode:
        for key in [key for key in self._attributes if key[0] == session]:
            del self._attributes[key]
        return constants.StatusCode.success


def construct_driver(cls: type, resource: str, visa_library: Any,
                     options: dict[str, Any]) -> Any:
    """The driver ``cls`` at ``resource`` with the station file's ``options``, as
    opening a station constructs it."""
    with warnings.catch_warnings():
        # pymeasure's notices about its own drivers (SCPI support unknown, the 331 class
        # deprecated) say nothing a user of the station can act on
        warnings.filterwarnings("ignore", category=FutureWarning, module=r"pymeasure\.")
        warnings.filterwarnings("ignore", category=DeprecationWarning, module=r"pymeasure\.")
        instrument = cls(resource, visa_library=visa_library, **options)
    keep_one_null_handler(instrument)
    return instrument


def option_refusal(config: Any, role: str, problem: str) -> str:
    """The one line that refuses an option: the station file, the entry's options key,
    the option and what to do (the same from the plan and from opening)."""
    where = config.source_path or f"station '{config.name}'"
    return f"{where}: {file_key(role)}.options: {problem}"


def _refusal(cls: type, resource: str, options: dict[str, Any]) -> Exception | None:
    """Why constructing the driver with ``options`` fails before any message, or None."""
    try:
        instrument = construct_driver(cls, resource, DryVisaLibrary(), options)
    except NotOpened:
        return None
    except Exception as exc:  # the driver's or pyvisa's refusal
        return exc
    with contextlib.suppress(Exception):
        instrument.adapter.close()
    return None


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split())[:160]


def option_problem(entry: Any) -> str | None:
    """What is wrong with the entry's driver options, or None, without opening it."""
    from labspin.drivers import driver_class

    if not entry.options:
        return None
    cls = driver_class(entry.driver)
    exc = _refusal(cls, entry.resource, entry.options)
    if exc is None:
        return None
    named = option_at_fault(exc, entry.driver, entry.options)
    if named is not None:
        return named
    if _refusal(cls, entry.resource, {}) is not None:
        return None  # not the options: the driver or the address (opening says so)
    # the error names no option (a value the resource refuses): the options whose removal
    # lets the driver be constructed are the ones at fault
    culprits = [name for name in entry.options
                if _refusal(cls, entry.resource,
                            {k: v for k, v in entry.options.items() if k != name}) is None]
    why = _one_line(exc)
    if len(culprits) == 1:
        [name] = culprits
        return (f"{name!r}: {entry.options[name]!r} is refused by the {entry.driver} driver "
                f"or its VISA connection ({why}); correct or remove it")
    if culprits:
        names = " and ".join(repr(name) for name in culprits)
        return (f"{names} contradict each other for the {entry.driver} driver or its VISA "
                f"connection ({why}); keep one of them")
    return (f"the {entry.driver} driver or its VISA connection refuses these options "
            f"together ({why}); correct or remove them")


def driver_option_problems(config: Any) -> list[str]:
    """One line per station entry whose driver options would be refused on opening, in
    the order the station opens them; empty when every entry's options are fine."""
    return [option_refusal(config, role, problem)
            for role, entry in config.entries().items()
            if (problem := option_problem(entry)) is not None]
