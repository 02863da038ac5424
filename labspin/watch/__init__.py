"""``labspin watch``: a read-only status page of a data directory, for the night.

:mod:`status` gathers what to show (catalog, running queue and run, bench state, fits),
:mod:`plot` draws the running run, :mod:`page` is the page, :mod:`server` serves it.
"""

from labspin.watch.server import WatchServer, is_loopback, start
from labspin.watch.status import StatusSource, WatchError

__all__ = ["StatusSource", "WatchError", "WatchServer", "is_loopback", "start"]
