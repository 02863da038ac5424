"""Notifications when nobody is at the probe station: on failure, safety trip and end.

A station file or a queue file may carry one ``notify:`` section::

    notify:
      urls:                       # apprise URLs: e-mail, Slack, Matrix, ntfy, ...
        - "mailtos://lab:${LABSPIN_SMTP_PASSWORD}@smtp.example.org?to=me@example.org"
        - "${LABSPIN_NTFY_URL}"
      on: [failure, safety, end]  # which events send a message (default: all three)
      max_failure_messages: 10    # per queue; later failures are summed up at the end

Secrets come from the environment: ``${NAME}`` is replaced by the variable ``NAME``
when the message is sent, so files, run headers, the catalog and logs only ever hold
the placeholder. A password, token or key written literally in a URL is refused.
Sending goes through apprise (https://github.com/caronc/apprise); a message that
cannot be sent is logged and never stops a run or a queue.
"""

from __future__ import annotations

import logging
import os
import re
import weakref
from collections.abc import Mapping
from concurrent.futures import Future, ThreadPoolExecutor, wait

from labspin.notify_settings import EVENTS, PLACEHOLDER, NotifySettings
from labspin.stationfile import StationFileError

log = logging.getLogger(__name__)
__all__ = ["EVENTS", "Notifier", "NotifyConfigError", "NotifySettings", "expand", "flush_all"]

class NotifyConfigError(StationFileError):
    """A notify section that cannot be used (a secret in the file, a variable not set,
    a URL apprise does not know); the message names the file, the key and the fix."""


def expand(url: str, where: str, env: Mapping[str, str] | None = None) -> str:
    """``url`` with every ``${NAME}`` replaced from the environment."""
    env = os.environ if env is None else env

    def value(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in env or not env[name]:
            raise NotifyConfigError(
                f"{where} needs the environment variable {name}, which is not set. Set it "
                f"where labspin runs (export {name}=...) or remove the URL")
        return env[name]

    return PLACEHOLDER.sub(value, url)


class Notifier:
    """Sends labspin's messages to every URL of one notify section.

    Messages go out in order from one background thread, so a slow or unreachable
    service never holds up the bench; :meth:`flush` waits for them (a queue's end does,
    and the interpreter does at exit).
    """

    def __init__(self, settings: NotifySettings, source: str,
                 env: Mapping[str, str] | None = None) -> None:
        import apprise

        self.settings = settings
        self.source = source
        self._apprise = apprise.Apprise()
        for i, template in enumerate(settings.urls):
            where = f"{source}: notify.urls[{i}]"
            if not self._apprise.add(expand(template, where, env)):
                raise NotifyConfigError(
                    f"{where} ({template}) is not a notification URL apprise knows; see "
                    "the apprise wiki for the URL of your service (mailto://, ntfy://, ...)")
        self.sent = 0
        self.failures_sent = 0
        self._pending: list[Future[bool]] = []
        self._sender = ThreadPoolExecutor(max_workers=1, thread_name_prefix="labspin-notify")
        _notifiers.add(self)

    def wants(self, event: str) -> bool:
        return event in self.settings.on

    def send(self, event: str, title: str, body: str) -> bool:
        """Queue the message when ``event`` is enabled (True when queued). Never raises:
        a notification must not stop a measurement."""
        if not self.wants(event):
            return False
        self._pending = [f for f in self._pending if not f.done()]
        self._pending.append(self._sender.submit(self._deliver, event, title, body))
        return True

    def _deliver(self, event: str, title: str, body: str) -> bool:
        import apprise

        try:
            ok = bool(self._apprise.notify(title=title, body=body,
                                           body_format=apprise.NotifyFormat.TEXT))
        except Exception as exc:  # any plugin error: log it, carry on measuring
            log.warning("notification '%s' from %s not sent: %s", title, self.source,
                        type(exc).__name__)
            return False
        if ok:
            self.sent += 1
            log.info("notification sent (%s): %s", event, title)
        else:
            log.warning("notification '%s' from %s was not accepted by every service "
                        "(see the messages above)", title, self.source)
        return ok

    def flush(self, timeout: float | None = 120.0) -> bool:
        """Wait until every queued message has been sent or has failed (True), at most
        ``timeout`` seconds."""
        _, waiting = wait(self._pending, timeout=timeout)
        if waiting:
            log.warning("%d notification(s) from %s still being sent after %.0f s",
                        len(waiting), self.source, timeout or 0)
        return not waiting


_notifiers: weakref.WeakSet[Notifier] = weakref.WeakSet()


def flush_all(timeout: float | None = 120.0) -> bool:
    """Wait for the messages of every notifier of this process."""
    return all([n.flush(timeout) for n in list(_notifiers)])


def notifier_for(settings: NotifySettings | None, source: str) -> Notifier | None:
    """A notifier, or None when there is no notify section."""
    return None if settings is None else Notifier(settings, source)
