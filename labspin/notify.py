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
from collections.abc import Mapping

from labspin.notify_settings import EVENTS, PLACEHOLDER, NotifySettings
from labspin.stationfile import StationFileError

log = logging.getLogger(__name__)
__all__ = ["EVENTS", "Notifier", "NotifyConfigError", "NotifySettings", "expand"]

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
    """Sends labspin's messages to every URL of one notify section."""

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

    def wants(self, event: str) -> bool:
        return event in self.settings.on

    def send(self, event: str, title: str, body: str) -> bool:
        """Send when ``event`` is enabled; True when every service took the message.
        Never raises: a notification must not stop a measurement."""
        if not self.wants(event):
            return False
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


def notifier_for(settings: NotifySettings | None, source: str) -> Notifier | None:
    """A notifier, or None when there is no notify section."""
    return None if settings is None else Notifier(settings, source)
