"""Every Chorus setting: its environment variable, its default, and how its text is parsed.

The environment is read once, in ``create_app``, through ``settings_from_environ``. Each value
arrives as a string and is parsed here explicitly, so ``CHORUS_API_TOKEN=123`` stays the string
"123" (Flask's ``from_prefixed_env`` would parse it as JSON and hand back an int). gunicorn.conf.py
reads the few server settings it needs (``CHORUS_BIND``, ``CHORUS_WORKER_CONNECTIONS``...) itself,
since gunicorn imports it before any application code; they are listed here too so that the README
table, generated from ``SETTINGS``, names every variable in one place.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit, urlunsplit


def _text(raw: str) -> str:
    return raw


def _optional_text(raw: str) -> str | None:
    return raw or None


def _number(raw: str) -> float:
    value = float(raw)
    if value != value or value in (float("inf"), float("-inf")) or value < 0:
        raise ValueError("must be a finite number >= 0")
    return value


def _seconds(raw: str) -> float:
    value = _number(raw)
    if value <= 0:
        raise ValueError("must be a number of seconds > 0 (fractions allowed: 0.5)")
    return value


def _count(raw: str) -> int:
    value = int(raw)
    if value < 0:
        raise ValueError("must be an integer >= 0")
    return value


def _flag(raw: str) -> bool:
    lowered = raw.strip().lower()
    if lowered in ("1", "true", "yes", "on"):
        return True
    if lowered in ("0", "false", "no", "off", ""):
        return False
    raise ValueError("must be one of 1/0, true/false, yes/no, on/off")


def _list(raw: str) -> list[str]:
    return [item.strip() for item in raw.split(",") if item.strip()]


# One CSP source expression: a keyword ('self', 'none'), a scheme (https:) or a host source
# (https://slides.example.org, *.example.org:443). Nothing that could end the directive (; ,).
_SOURCE = re.compile(r"'(self|none)'|[a-z][a-z0-9+.-]*:|"
                     r"([a-z][a-z0-9+.-]*://)?(\*\.)?[A-Za-z0-9.-]+(:(\d+|\*))?(/[^\s;,']*)?",
                     re.IGNORECASE)


def _sources(raw: str) -> str:
    sources = raw.split()
    if not sources:
        raise ValueError("must name at least one source, e.g. 'self' or 'none'")
    for source in sources:
        if not _SOURCE.fullmatch(source):
            raise ValueError(f"{source!r} is not a CSP source ('self', 'none', "
                             "https://host.example, *.example.org)")
    if "'none'" in sources and len(sources) > 1:
        raise ValueError("'none' cannot be combined with other sources")
    return " ".join(sources)


@dataclass(frozen=True)
class Setting:
    """One configurable value: the Flask config key, its default and its parser."""

    key: str
    default: Any
    parse: Callable[[str], Any]
    help: str
    server_only: bool = False  # read by gunicorn.conf.py rather than by the app

    @property
    def env(self) -> str:
        return "CHORUS_" + self.key


SETTINGS: tuple[Setting, ...] = (
    Setting("BIND", "127.0.0.1:5000", _text,
            "Address gunicorn listens on; `0.0.0.0:5000` serves the local network.",
            server_only=True),
    Setting("WORKER_CONNECTIONS", 20000, _count,
            "Most simultaneous connections gunicorn's gevent worker accepts (a polling client "
            "may hold two).", server_only=True),
    Setting("GRACEFUL_TIMEOUT", 5, _count,
            "Seconds gunicorn waits for open connections on stop or restart.", server_only=True),
    Setting("CONTROL_SOCKET", "", _text,
            "Path of gunicorn's control socket; empty (the default) disables it, so several "
            "instances never remove each other's.", server_only=True),
    Setting("ACCESS_LOG", False, _flag,
            "Log every HTTP request (each long-poll is one) to stdout.", server_only=True),
    Setting("LOG_LEVEL", "info", _text, "debug, info, warning or error.", server_only=True),
    Setting("LOG_FORMAT", "text", _text,
            "`text` (one line per event) or `json` (one JSON object per line, the same fields, "
            "for a log shipper): the app's log, gunicorn's and the access log.",
            server_only=True),
    Setting("BLOCKING_WARN", 1.0, _number,
            "Seconds: log a warning when one greenlet keeps the event loop this long (blocking "
            "code makes every client's pings time out); 0 turns the watch off.",
            server_only=True),
    Setting("PROXIES", 0, _count,
            "How many reverse proxies (Nginx) stand in front and are trusted for "
            "X-Forwarded-For and X-Forwarded-Proto; 1 behind nginx/chorus.conf."),
    Setting("STORE", "sqlite:///var/chorus.db", _text,
            "Where room state lives: `sqlite:///relative/path`, `sqlite:////absolute/path`, "
            "`redis://host:6379/0` (several processes), "
            "`redis+sentinel://host:26379,host2:26379/mymaster/0` (the same, on the master Redis "
            "Sentinel names; docs/storage.md) or `memory://` (one process, lost on restart)."),
    Setting("MESSAGE_QUEUE", None, _optional_text,
            "Redis URL of Flask-SocketIO's message queue, shared by every instance "
            "(`redis://` or `redis+sentinel://`); defaults to CHORUS_STORE when that is a Redis "
            "URL. `none` turns it off."),
    Setting("API_TOKEN", None, _optional_text,
            "Bearer token for HTTP writes; unset, HTTP writes answer 403."),
    Setting("PUBLIC_URL", None, _optional_text,
            "Base URL shown to people for joining (e.g. `http://192.168.1.20:5000`); "
            "defaults to the address the page was loaded from."),
    Setting("SECRET_KEY", None, _optional_text,
            "Flask secret key; a random one per start when unset."),
    Setting("ASYNC_MODE", "gevent", _text,
            "Flask-SocketIO async mode; `gevent` under gunicorn, `threading` in unit tests."),
    Setting("ALLOWED_ORIGINS", [], _list,
            "Comma-separated origins allowed besides the page's own (e.g. "
            "`https://chorus.example.org`)."),
    Setting("TICK", 0.05, _number,
            "Seconds: the most a change waits to be batched with others in its room (a room "
            "whose batch is cheap to send is batched more often, down to a tenth of this)."),
    Setting("POLL_INTERVAL", 0.1, _number,
            "Seconds: the least time between two answers to one long-polling client; what "
            "arrives meanwhile goes out together (fewer requests for the client and the server). "
            "0 answers at once. Needs `CHORUS_LEAN_SOCKETS`."),
    Setting("PRESENCE_INTERVAL", 0.5, _number,
            "Seconds: the least time between two `presence` events of one room."),
    Setting("LOG_SIZE", 1000, _count,
            "Changes per room a reconnecting client can catch up on with `since`."),
    Setting("OP_TTL", 900, _count,
            "Seconds an `op` id is remembered, so a retried write is applied once."),
    Setting("MAX_KEYS", 256, _count, "Keys per room."),
    Setting("MAX_ROOMS", 10000, _count, "Rooms per store."),
    Setting("ROOM_TTL", 7 * 24 * 3600, _seconds,
            "Seconds a room may stay without any connection and without any write before it "
            "is removed, values, polls, questions and presenter claim with it (the `demo` room "
            "is kept); fractions allowed."),
    Setting("ROOM_RATE", 0.1, _number,
            "Rooms a second one client address may create (POST /rooms, or a socket write that "
            "creates a room), after its burst; past it the answer is 429 / `rate_limited` with "
            "`retry_after_ms`. Loopback is exempt; behind the trusted proxy the address is "
            "the client's. 0 turns the budget off."),
    Setting("ROOM_BURST", 20, _count,
            "Rooms one client address may create at once before CHORUS_ROOM_RATE applies."),
    Setting("FRAME_ANCESTORS", "'self'", _sources,
            "Space-separated pages allowed to frame Chorus (the CSP's `frame-ancestors`), e.g. "
            "`'self' https://slides.example.org` to embed the display screen in web slides; "
            "`'none'` forbids every frame."),
    Setting("MAX_ROOMS_PER_CONNECTION", 32, _count, "Rooms one connection may join at once."),
    Setting("MAX_PAYLOAD", 1000000, _count,
            "Bytes: the largest long-polling POST (advertised to clients as `maxPayload`); a "
            "larger one is answered 413 at once. Keep Nginx's `client_max_body_size` equal."),
    Setting("MAX_MESSAGE", 65536, _count,
            "Bytes: the largest websocket message; a larger one is refused from its frame "
            "header with close code 1009 (chorus_worker.py).", server_only=True),
    Setting("EVENT_RATE", 200.0, _number,
            "Events a second one connection may send, after its burst; past it the answer is "
            "`rate_limited` with `retry_after_ms`. 0 turns the limit off."),
    Setting("EVENT_BURST", 1200, _count,
            "Events one connection may send at once (an outbox replay, a polling POST of queued "
            "clicks) before EVENT_RATE applies."),
    Setting("BYTE_RATE", 1048576.0, _number,
            "Bytes a second one websocket connection may send, after its burst; past it the "
            "server reads that connection's frames later (the client waits in TCP) rather than "
            "refusing them, so a flood of large frames takes no more than its share of the CPU. "
            "0 turns the budget off."),
    Setting("BYTE_BURST", 1048576, _count,
            "Bytes one websocket connection may send at once before BYTE_RATE applies."),
    Setting("MAX_CONNECTIONS_PER_ADDRESS", 0, _count,
            "Open connections one client address may hold (429 past it); 0, the default, is "
            "no limit, since a hall of phones often shares one NAT address. Loopback is exempt."),
    Setting("METRICS_ALLOW", ["127.0.0.0/8", "::1/128"], _list,
            "Comma-separated networks that may read /metrics without a token."),
    Setting("METRICS_TOKEN", None, _optional_text,
            "Bearer token that lets any address read /metrics."),
    Setting("PING_INTERVAL", 25, _seconds,
            "Seconds between Engine.IO pings; fractions allowed (0.5)."),
    Setting("PING_TIMEOUT", 20, _seconds,
            "Seconds without a pong, after a ping, before a client is considered gone; "
            "fractions allowed."),
    Setting("SEED_DEMO", True, _flag, "Give the `demo` room starting values on first start."),
    Setting("LEAN_SOCKETS", True, _flag,
            "One greenlet per connection instead of Engine.IO's three "
            "(app/transport/lean_socket.py); gevent only."),
    Setting("MAX_BACKLOG", 1 << 20, _count,
            "Bytes waiting for one websocket client (or 20,000 packets for a polling client) "
            "before it is dropped as a client that stopped reading; an event stream is dropped "
            "when it missed this many bytes of batches while one write stayed blocked, or when "
            "that write stays blocked for CHORUS_PING_TIMEOUT."),
    Setting("MAX_STREAMS", 5000, _count,
            "Open Server-Sent Events streams (GET /api/rooms/<room>/events) one process "
            "serves; past it a new stream is answered 503."),
    Setting("STREAM_HEARTBEAT", 15, _seconds,
            "Seconds between the comment lines that keep a quiet event stream open through "
            "proxies."),
)

REDIS_SCHEMES = ("redis", "rediss", "redis+sentinel")
DEFAULTS: dict[str, Any] = {s.key: s.default for s in SETTINGS}


class SettingError(ValueError):
    """A CHORUS_* variable whose text could not be parsed."""


def settings_from_environ(environ: Mapping[str, str]) -> dict[str, Any]:
    """Parse the CHORUS_* variables present in ``environ`` into config values.

    Called by the factory; raises SettingError naming the variable on bad input, so a typo fails
    the start instead of running with a surprise.
    """
    parsed: dict[str, Any] = {}
    for setting in SETTINGS:
        raw = environ.get(setting.env)
        if raw is None:
            continue
        try:
            parsed[setting.key] = setting.parse(raw)
        except ValueError as exc:
            raise SettingError(f"{setting.env}={raw!r}: {exc}") from None
    return parsed


def default_secret_key() -> str:
    """A random key for one process's lifetime; used when CHORUS_SECRET_KEY is unset."""
    return os.urandom(24).hex()


def message_queue_url(config: Mapping[str, Any]) -> str | None:
    """CHORUS_MESSAGE_QUEUE, else the store's Redis when the store is Redis, else none."""
    url = config["MESSAGE_QUEUE"]
    if url and url.lower() == "none":
        return None
    if url is None and urlsplit(config["STORE"]).scheme in REDIS_SCHEMES:
        url = config["STORE"]
    if url and urlsplit(url).scheme not in REDIS_SCHEMES:
        raise SettingError(f"CHORUS_MESSAGE_QUEUE={redacted(url)!r}: only redis:// and "
                           "redis+sentinel:// URLs are supported")
    return url


def redacted(url: str) -> str:
    """A URL without its password, for logs and /healthz."""
    parts = urlsplit(url)
    if parts.password:
        netloc = parts.netloc.replace(f":{parts.password}@", ":***@")
        return urlunsplit(parts._replace(netloc=netloc))
    return url
