"""What a run set on its instruments and knows still holds: send only what changed.

On hardware every GPIB exchange costs milliseconds, so a setting already in place is not
sent again and a state labspin itself put there is not asked for again. Knowing is
narrow on purpose:

* it lasts one run (a new ``Apparatus`` per run starts knowing nothing);
* it is void as soon as the station's exchange log starts a new epoch: any instrument
  fault, any error raised while talking to an instrument, a reset (``*RST``) and every
  ``make_safe`` (``labspin.instrument_io.ExchangeLog.invalidate``);
* an operation that changes an instrument behind labspin's back forgets what it touches
  (a pulse-delta test has the 6221 reconfigure the 2182A over their link, and leaves the
  6221's DC output in a state of its own).

Readings and the checks that guard them are never taken from here: the 6221's
compliance register is read after every reading it could affect, error queues where a
pulse must be confirmed, every coil current and field where a ramp needs it.
"""

from __future__ import annotations

from typing import Any

_UNKNOWN = object()


class KnownState:
    """Settings and states by (role, key), valid within one epoch of ``io``."""

    def __init__(self, io: Any) -> None:
        self._io = io
        self._epoch = io.epoch
        self._values: dict[tuple[str, str], Any] = {}

    def _valid(self) -> dict[tuple[str, str], Any]:
        if self._io.epoch != self._epoch:
            self._values.clear()
            self._epoch = self._io.epoch
        return self._values

    def get(self, role: str, key: str, default: Any = None) -> Any:
        return self._valid().get((role, key), default)

    def holds(self, role: str, key: str, value: Any) -> bool:
        """Whether ``key`` of ``role`` is known to be ``value``."""
        known = self._valid().get((role, key), _UNKNOWN)
        return known is not _UNKNOWN and type(known) is type(value) and known == value

    def put(self, role: str, key: str, value: Any) -> None:
        self._valid()[role, key] = value

    def forget(self, role: str, *keys: str) -> None:
        """Forget ``keys`` of ``role``, or all of it without keys."""
        values = self._valid()
        for known in [k for k in values if k[0] == role and (not keys or k[1] in keys)]:
            del values[known]

    def ensure(self, role: str, owner: Any, name: str, value: Any, key: str | None = None,
               ) -> bool:
        """Set property ``name`` of ``owner`` (the instrument of ``role`` or one of its
        channels; ``key`` names it in the record, default ``name``) to ``value`` unless it
        is known to be there. Returns whether anything was sent."""
        key = key or name
        if self.holds(role, key, value):
            return False
        setattr(owner, name, value)
        self.put(role, key, value)
        return True

    def once(self, role: str, key: str, command: Any, *args: Any) -> bool:
        """Call ``command(*args)`` unless ``key`` of ``role`` is known to be done; for
        settings made by a method (``waveform_duration_set_infinity``)."""
        if self.holds(role, key, True):
            return False
        command(*args)
        self.put(role, key, True)
        return True
