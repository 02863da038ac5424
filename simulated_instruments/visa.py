"""pyvisa backend for the simulated bench: ``pyvisa.ResourceManager("ARG@labspin")``.

pyvisa imports ``pyvisa_labspin`` for the ``@labspin`` suffix and instantiates its
``WRAPPER_CLASS`` with ``ARG`` as the library path; library objects are cached per ARG,
so one ARG is one bench. ARG is

* the name of a bench registered with :func:`register_bench` (what ``labspin.station``
  does when it opens a station on the simulated bench; its time passes only by
  labspin's explicit waits, so a seeded run is reproducible), or
* a device preset (``py-nio@labspin``): a default bench with every instrument a probe
  station has, or
* the path of a station file (``examples/station-sim.yaml@labspin``): the bench it
  describes, or of a device file (``examples/device-cofeb-nio.yaml@labspin``): the
  default probe station around that device.

A preset or station-file bench is opened by a script outside labspin, which waits on
its own wall clock: such a bench follows the wall (``Bench.follow_wall``), so a coil
current set through pymeasure's ``KepcoBOP3612`` ramps while the script waits.

Only pyvisa's public backend interface (``VisaLibraryBase``, constants, attributes) is
used. Message exchange is synchronous: a write runs the command on the instrument
model, a read returns its reply or times out like the real instrument when there is
none.
"""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict
from pathlib import Path
from typing import Any

from pyvisa import attributes, constants, errors, highlevel, rname
from pyvisa.typing import VISARMSession, VISASession

from labspin.simulated_instruments.faults import FaultState
from labspin.simulated_instruments.scpi import SimulatedInstrument, split_messages

log = logging.getLogger(__name__)

_BENCHES: dict[str, Any] = {}
_BENCH_LOCK = threading.RLock()


def _forget_library(name: str) -> None:
    """Drop pyvisa's cached library object for ``name@labspin``, so the next
    ResourceManager sees the bench registered now. pyvisa caches libraries per (class,
    ARG) in a private registry; tests/simulated_instruments/test_visa_backend.py fails
    if that changes."""
    for key in list(highlevel.VisaLibraryBase._registry):
        cls, path = key
        if cls is BenchVisaLibrary and str(path) == name:
            del highlevel.VisaLibraryBase._registry[key]


def register_bench(name: str, bench: Any) -> None:
    """Make ``bench`` reachable as ``pyvisa.ResourceManager(f"{name}@labspin")``."""
    with _BENCH_LOCK:
        _BENCHES[name] = bench
        _forget_library(name)


def unregister_bench(name: str) -> None:
    with _BENCH_LOCK:
        _BENCHES.pop(name, None)
        _forget_library(name)


def bench_for(arg: str) -> Any:
    """The bench an ``ARG@labspin`` string names (creating it for a preset or file)."""
    with _BENCH_LOCK:
        if arg in _BENCHES:
            return _BENCHES[arg]
        from labspin.simulated_instruments.layout import bench_from_preset, bench_from_station

        if arg.lower().endswith((".yaml", ".yml")) or Path(arg).is_file():
            bench = bench_from_station(Path(arg))
        else:
            bench = bench_from_preset(arg)
        bench.follow_wall()  # opened by a script outside labspin: its waits are wall time
        _BENCHES[arg] = bench
        return bench


class BenchSession:
    """One open resource: a byte pipe to an instrument model."""

    def __init__(self, resource_name: str, instrument: SimulatedInstrument,
                 interface_type: int, bench: Any) -> None:
        self.resource_name = resource_name
        self.instrument = instrument
        self.bench = bench
        self.pending = b""
        self.output = b""
        self.attrs: dict[int, Any] = {
            constants.ResourceAttribute.resource_name: resource_name,
            constants.ResourceAttribute.interface_type: interface_type,
            constants.ResourceAttribute.timeout_value: 2000,
        }

    @property
    def faults(self) -> FaultState:
        """Looked up at every use, so a fault injected mid-run takes effect at once."""
        return self.bench.faults_for(self.instrument.name)

    def get_attribute(self, attribute: int) -> tuple[Any, constants.StatusCode]:
        if attribute in self.attrs:
            return self.attrs[attribute], constants.StatusCode.success
        attr = attributes.AttributesByID.get(attribute)
        if attr is None:
            return 0, constants.StatusCode.error_nonsupported_attribute
        return self.attrs.setdefault(attribute, attr.default), constants.StatusCode.success

    def set_attribute(self, attribute: int, value: Any) -> constants.StatusCode:
        self.attrs[attribute] = value
        return constants.StatusCode.success

    def write(self, data: bytes, lock: threading.RLock) -> tuple[int, constants.StatusCode]:
        if self.faults.connection_lost():
            return 0, constants.StatusCode.error_connection_lost
        messages, self.pending = split_messages(self.pending + data)
        for message in messages:
            with lock:
                self.bench.catch_up()  # a client outside labspin waits on the wall clock
                reply = self.instrument.process(message)
            faults = self.faults
            if reply is not None:
                reply = faults.filter_reply(reply)
            faults.count_message()
            if reply is not None:
                self.output += (reply + self.instrument.read_termination).encode("latin-1")
        return len(data), constants.StatusCode.success

    def read(self, count: int) -> tuple[bytes, constants.StatusCode]:
        if not self.output:
            if self.faults.connection_lost():
                return b"", constants.StatusCode.error_connection_lost
            return b"", constants.StatusCode.error_timeout
        chunk, self.output = self.output[:count], self.output[count:]
        if self.output:
            return chunk, constants.StatusCode.success_max_count_read
        return chunk, constants.StatusCode.success


class BenchVisaLibrary(highlevel.VisaLibraryBase):
    """The ``@labspin`` VISA library: every resource is an instrument on one bench."""

    @staticmethod
    def get_library_paths() -> tuple[highlevel.LibraryPath, ...]:
        return (highlevel.LibraryPath("py-nio"),)

    @staticmethod
    def get_debug_info() -> dict[str, str]:
        from labspin import __version__

        return OrderedDict(labspin=__version__)

    def _init(self) -> None:
        self.bench = bench_for(str(self.library_path))
        self.sessions: dict[int, Any] = {}
        self._next = 1000
        self._lock = getattr(self.bench, "lock", None) or threading.RLock()

    def _register(self, obj: Any) -> int:
        self._next += 1
        self.sessions[self._next] = obj
        return self._next

    def open_default_resource_manager(self) -> tuple[VISARMSession, constants.StatusCode]:
        return VISARMSession(self._register(self)), constants.StatusCode.success

    def list_resources(self, session: VISARMSession, query: str = "?*::INSTR",
                       ) -> tuple[str, ...]:
        resources = rname.filter(tuple(self.bench.instruments), query)
        if resources:
            return tuple(resources)
        raise errors.VisaIOError(errors.StatusCode.error_resource_not_found.value)

    def open(self, session: VISARMSession, resource_name: str,
             access_mode: constants.AccessModes = constants.AccessModes.no_lock,
             open_timeout: int = constants.VI_TMO_IMMEDIATE,
             ) -> tuple[VISASession, constants.StatusCode]:
        try:
            parsed = rname.parse_resource_name(resource_name)
        except rname.InvalidResourceName:
            return VISASession(0), self.handle_return_value(
                None, constants.StatusCode.error_invalid_resource_name)
        instrument = self._find(resource_name)
        if instrument is None:
            return VISASession(0), self.handle_return_value(
                None, constants.StatusCode.error_resource_not_found)
        sess = BenchSession(str(parsed), instrument, int(parsed.interface_type_const),
                            self.bench)
        return VISASession(self._register(sess)), constants.StatusCode.success

    def _find(self, resource_name: str) -> SimulatedInstrument | None:
        wanted = resource_name.upper()
        for name, instrument in self.bench.instruments.items():
            if name.upper() == wanted:
                return instrument
        try:
            wanted_norm = str(rname.parse_resource_name(resource_name)).upper()
        except rname.InvalidResourceName:
            return None
        for name, instrument in self.bench.instruments.items():
            try:
                if str(rname.parse_resource_name(name)).upper() == wanted_norm:
                    return instrument
            except rname.InvalidResourceName:
                continue
        return None

    def close(self, session: Any) -> constants.StatusCode:
        if self.sessions.pop(session, None) is None:
            return constants.StatusCode.error_invalid_object
        return constants.StatusCode.success

    def read(self, session: VISASession, count: int) -> tuple[bytes, constants.StatusCode]:
        sess = self.sessions.get(session)
        if not isinstance(sess, BenchSession):
            return b"", constants.StatusCode.error_invalid_object
        chunk, status = sess.read(count)
        if status == constants.StatusCode.error_timeout:
            raise errors.VisaIOError(constants.VI_ERROR_TMO)
        if status == constants.StatusCode.error_connection_lost:
            raise errors.VisaIOError(constants.VI_ERROR_CONN_LOST)
        return chunk, status

    def write(self, session: VISASession, data: bytes) -> tuple[int, constants.StatusCode]:
        sess = self.sessions.get(session)
        if not isinstance(sess, BenchSession):
            return 0, constants.StatusCode.error_invalid_object
        count, status = sess.write(data, self._lock)
        if status == constants.StatusCode.error_connection_lost:
            raise errors.VisaIOError(constants.VI_ERROR_CONN_LOST)
        return count, status

    def get_attribute(self, session: Any, attribute: Any) -> tuple[Any, constants.StatusCode]:
        sess = self.sessions.get(session)
        if isinstance(sess, BenchSession):
            return sess.get_attribute(attribute)
        return 0, constants.StatusCode.error_nonsupported_attribute

    def set_attribute(self, session: Any, attribute: Any, attribute_state: Any,
                      ) -> constants.StatusCode:
        sess = self.sessions.get(session)
        if isinstance(sess, BenchSession):
            return sess.set_attribute(attribute, attribute_state)
        return constants.StatusCode.error_nonsupported_attribute

    def clear(self, session: VISASession) -> constants.StatusCode:
        sess = self.sessions.get(session)
        if isinstance(sess, BenchSession):
            sess.output = b""
            sess.pending = b""
        return constants.StatusCode.success

    def flush(self, session: VISASession, mask: Any) -> constants.StatusCode:
        return self.clear(session)

    def disable_event(self, session: Any, event_type: Any, mechanism: Any,
                      ) -> constants.StatusCode:
        return constants.StatusCode.success

    def discard_events(self, session: Any, event_type: Any, mechanism: Any,
                       ) -> constants.StatusCode:
        return constants.StatusCode.success
