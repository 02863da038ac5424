"""The read-only HTTP server of ``labspin watch`` (standard library only).

It answers GET and HEAD, nothing else: there is no route that acts on the bench, a
queue or the catalog, and the catalog is opened read-only. It binds the loopback by
default; bound to any other address it requires an access token, random per start,
printed once, taken from the ``token`` query parameter of the first visit and kept in
a cookie so the page's own requests carry it.
"""

from __future__ import annotations

import hmac
import ipaddress
import json
import logging
import secrets
import socket
import threading
from dataclasses import dataclass
from http import HTTPStatus
from http.cookies import SimpleCookie
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from labspin.watch.page import CSS, JS, render_main, render_page
from labspin.watch.status import StatusSource, WatchError

log = logging.getLogger(__name__)

COOKIE = "labspin_watch_token"
_SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; img-src 'self'; style-src 'self'; "
                               "script-src 'self'; form-action 'none'; frame-ancestors 'none'",
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False  # a host name: it may resolve to anything


@dataclass
class WatchServer:
    """A started server: where it listens and the URL to open (with the token)."""

    httpd: ThreadingHTTPServer
    host: str
    port: int
    token: str | None
    thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        """The page's address; bound to every interface (0.0.0.0, ::) it names this
        machine, which is what a browser elsewhere needs."""
        host = self.host
        if host in ("0.0.0.0", "::", ""):
            host = socket.gethostname()  # no DNS lookup: it may hang offline
        host = f"[{host}]" if ":" in host else host
        return f"http://{host}:{self.port}/" + (f"?token={self.token}" if self.token else "")

    def serve_in_thread(self) -> WatchServer:
        self.thread = threading.Thread(target=self.httpd.serve_forever, name="labspin-watch",
                                       daemon=True)
        self.thread.start()
        return self

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        if self.thread is not None:
            self.thread.join(timeout=5)


def _handler(source: StatusSource, token: str | None) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        server_version = "labspin-watch"
        sys_version = ""

        def log_message(self, format: str, *args: Any) -> None:
            log.debug("%s %s", self.address_string(), format % args)

        # -- access ------------------------------------------------------------------------
        def _authorised(self, query: dict[str, list[str]]) -> tuple[bool, bool]:
            """(allowed, set the cookie)."""
            if token is None:
                return True, False
            given = query.get("token", [""])[0]
            if given and hmac.compare_digest(given, token):
                return True, True
            cookie = SimpleCookie(self.headers.get("Cookie", ""))
            kept = cookie[COOKIE].value if COOKIE in cookie else ""
            return bool(kept) and hmac.compare_digest(kept, token), False

        def _send(self, status: int, body: bytes, content_type: str,
                  extra: dict[str, str] | None = None) -> None:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            for key, value in {**_SECURITY_HEADERS, **(extra or {})}.items():
                self.send_header(key, value)
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(body)

        def _text(self, status: int, text: str, extra: dict[str, str] | None = None) -> None:
            self._send(status, text.encode(), "text/plain; charset=utf-8", extra)

        # -- methods -----------------------------------------------------------------------
        def do_GET(self) -> None:
            parts = urlsplit(self.path)
            query = parse_qs(parts.query)
            allowed, set_cookie = self._authorised(query)
            if not allowed:
                self._text(HTTPStatus.FORBIDDEN, "labspin watch: this page needs the access "
                           "token that 'labspin watch' printed when it started (open the URL "
                           "it printed).")
                return
            extra = {}
            if set_cookie:
                extra["Set-Cookie"] = (f"{COOKIE}={token}; HttpOnly; SameSite=Strict; "
                                       "Path=/")
            try:
                self._route(parts.path, query, extra)
            except WatchError as exc:
                self._text(HTTPStatus.SERVICE_UNAVAILABLE, str(exc))
            except (BrokenPipeError, ConnectionResetError):
                pass

        def _route(self, path: str, query: dict[str, list[str]], extra: dict[str, str]) -> None:
            if path in ("/", "/index.html"):
                self._send(HTTPStatus.OK, render_page(source.status()).encode(),
                           "text/html; charset=utf-8", extra)
            elif path == "/fragment":
                self._send(HTTPStatus.OK, render_main(source.status()).encode(),
                           "text/html; charset=utf-8", extra)
            elif path == "/app.js":
                self._send(HTTPStatus.OK, JS.encode(), "text/javascript; charset=utf-8", extra)
            elif path == "/style.css":
                self._send(HTTPStatus.OK, CSS.encode(), "text/css; charset=utf-8", extra)
            elif path == "/api/status":
                body = json.dumps(source.status(), default=str, allow_nan=False).encode()
                self._send(HTTPStatus.OK, body, "application/json", extra)
            elif path == "/plot.png":
                self._plot(query, extra)
            else:
                self._text(HTTPStatus.NOT_FOUND, "labspin watch: no such page", extra)

        def _plot(self, query: dict[str, list[str]], extra: dict[str, str]) -> None:
            from labspin.watch.plot import run_plot_png

            run = query.get("run", [""])[0]
            if not run.isdigit():
                self._text(HTTPStatus.BAD_REQUEST, "plot.png needs run=<run id>", extra)
                return
            rows = source._query("SELECT id, file, procedure FROM runs WHERE id=?", (int(run),))
            if not rows or not rows[0]["file"]:
                self._text(HTTPStatus.NOT_FOUND, f"no run {run} with a file", extra)
                return
            png = run_plot_png(rows[0]["file"], f"run {run}: {rows[0]['procedure']}")
            # the URL names the rows drawn: the same URL is the same picture
            self._send(HTTPStatus.OK, png, "image/png",
                       {**extra, "Cache-Control": "private, max-age=600"})

        do_HEAD = do_GET

        def _refuse(self) -> None:
            self._text(HTTPStatus.METHOD_NOT_ALLOWED, "labspin watch is read-only",
                       {"Allow": "GET, HEAD"})

        do_POST = do_PUT = do_DELETE = do_PATCH = do_OPTIONS = _refuse

    return Handler


def start(data_dir: str | Path, host: str = "127.0.0.1", port: int = 8765) -> WatchServer:
    """Bind and return the server (not yet serving: call ``serve_forever`` or
    ``serve_in_thread``). Raises WatchError without a catalog, OSError if the port is
    taken."""
    source = StatusSource(data_dir)
    token = None if is_loopback(host) else secrets.token_urlsafe(24)
    httpd = ThreadingHTTPServer((host, port), _handler(source, token))
    httpd.daemon_threads = True
    bound_host, bound_port = httpd.server_address[:2]
    return WatchServer(httpd, str(bound_host), int(bound_port), token)
