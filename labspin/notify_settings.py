"""The ``notify:`` section of station and queue files (validation only; sending is in
``labspin.notify``). Pure pydantic, so the file formats can import it."""

from __future__ import annotations

import re
from typing import Any, Literal
from urllib.parse import parse_qsl, urlsplit

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

EVENTS = ("failure", "safety", "end")
PLACEHOLDER = re.compile(r"\$\{([^}]*)\}")
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
#: query keys of apprise URLs that hold secrets
_SECRET_KEYS = {"pass", "password", "pwd", "token", "apikey", "api_key", "key", "secret",
                "access_token", "webhook", "auth"}


class NotifySettings(BaseModel):
    """The ``notify:`` section of a station or queue file."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    urls: list[str] = Field(min_length=1)
    on: list[Literal["failure", "safety", "end"]] = Field(default_factory=lambda: [*EVENTS])
    max_failure_messages: int = Field(default=10, ge=0)

    @model_validator(mode="before")
    @classmethod
    def _one_url(cls, data: Any) -> Any:
        """``url: ...`` for one service, or ``urls:`` as a single string."""
        if isinstance(data, dict):
            data = dict(data)
            if "url" in data and "urls" not in data:
                data["urls"] = data.pop("url")
            if isinstance(data.get("urls"), str):
                data["urls"] = [data["urls"]]
            if isinstance(data.get("on"), str):
                data["on"] = [data["on"]]
        elif isinstance(data, str | list):
            data = {"urls": [data] if isinstance(data, str) else data}
        return data

    @field_validator("urls")
    @classmethod
    def _no_literal_secrets(cls, urls: list[str]) -> list[str]:
        for i, url in enumerate(urls):
            for name in PLACEHOLDER.findall(url):
                if not _NAME.fullmatch(name):
                    raise ValueError(f"urls[{i}]: ${{{name}}} is not an environment variable "
                                     "name (letters, digits and _)")
            problem = literal_secret(url)
            if problem:
                raise ValueError(
                    f"urls[{i}] holds a literal {problem}: secrets never go into a file. Put "
                    "it in an environment variable and write ${NAME} instead, e.g. "
                    "mailtos://lab:${LABSPIN_SMTP_PASSWORD}@smtp.example.org")
        return urls


def literal_secret(url: str) -> str:
    """What secret ``url`` spells out literally ('' when none): a password in the
    user part, or a query value such as ``token=...``."""
    if PLACEHOLDER.fullmatch(url.strip()):
        return ""
    try:
        parts = urlsplit(url)
    except ValueError:
        return ""
    userinfo = parts.netloc.rpartition("@")[0]
    if ":" in userinfo:
        password = userinfo.split(":", 1)[1]
        if password and not PLACEHOLDER.fullmatch(password):
            return "password"
    for key, value in parse_qsl(parts.query, keep_blank_values=False):
        if key.lower() in _SECRET_KEYS and not PLACEHOLDER.fullmatch(value):
            return f"{key}= value"
    return ""
