"""Where Redis is: a plain ``redis://`` URL, or a master that Redis Sentinel watches.

``redis://[:password@]host:6379/0`` (or ``rediss://``) names one Redis.
``redis+sentinel://[[user]:password@]host:26379,host2:26379/mymaster/0`` names the master
``mymaster`` that those Sentinels watch, database 0. The password is the data nodes';
``?sentinel_password=`` gives the Sentinels' own if they require one. Under Sentinel every
write is confirmed by each replica the primary has online before it is acknowledged (``WAIT``,
app/state/redis_store.py), so a failover never promotes a replica that lacks an acknowledged
write; ``?replicas=N`` also refuses writes while fewer than N replicas are online (default 0:
a primary left alone keeps taking writes). docs/storage.md says what this guarantees.

Every client the store, the hashes, presence and the message queue use is built here, so they
all follow a failover the same way: redis-py's Sentinel pool asks the Sentinels for the master
on every new connection, and drops its connections to a master that was demoted.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import parse_qs, unquote, urlsplit

import redis
from redis.backoff import NoBackoff
from redis.retry import Retry
from redis.sentinel import Sentinel

SENTINEL_SCHEME = "redis+sentinel"
SCHEMES = ("redis", "rediss", SENTINEL_SCHEME)
TIMEOUT = 1.0  # seconds for a connect, a command, a reply
SENTINEL_FORM = "redis+sentinel://host:26379,host2:26379/mymaster/0"


@dataclass(frozen=True)
class SentinelAddress:
    """A parsed ``redis+sentinel://`` URL."""

    sentinels: list[tuple[str, int]]
    master: str
    db: int = 0
    username: str | None = None
    password: str | None = None
    sentinel_password: str | None = None
    replicas: int = 0


def is_redis_url(url: str) -> bool:
    """Whether ``url`` names a Redis (plain or under Sentinel)."""
    return urlsplit(url).scheme in SCHEMES


def parse_sentinel_url(url: str) -> SentinelAddress:
    """The Sentinels, master name and database of a ``redis+sentinel://`` URL; raises
    ValueError saying what is wrong and what the URL should look like."""
    parts = urlsplit(url)
    if parts.scheme != SENTINEL_SCHEME:
        raise ValueError(f"a Sentinel URL starts with {SENTINEL_SCHEME}://")
    userinfo, _, hosts = parts.netloc.rpartition("@")
    sentinels = []
    for item in hosts.split(","):
        host, colon, port = item.strip().rpartition(":")
        if not colon or not host or not port.isdigit() or not 0 < int(port) < 65536:
            raise ValueError(f"{item.strip() or '(nothing)'!r} is not a Sentinel host:port; "
                             f"expected {SENTINEL_FORM}")
        sentinels.append((host.strip("[]"), int(port)))
    path = [unquote(p) for p in parts.path.split("/")[1:]]
    if not path or not path[0]:
        raise ValueError(f"no master name after the Sentinels; expected {SENTINEL_FORM}")
    if len(path) > 2 or (len(path) == 2 and not path[1].isdigit()):
        raise ValueError(f"{parts.path!r}: after the Sentinels comes /master or /master/db "
                         f"(a database number); expected {SENTINEL_FORM}")
    query = {key: values[-1] for key, values in parse_qs(parts.query).items()}
    unknown = set(query) - {"replicas", "sentinel_password"}
    if unknown:
        raise ValueError(f"unknown option {sorted(unknown)[0]!r}; known: replicas, "
                         "sentinel_password")
    replicas = query.get("replicas", "0")
    if not replicas.isdigit():
        raise ValueError(f"replicas={replicas!r}: must be a whole number >= 0")
    username, _, password = userinfo.partition(":")
    return SentinelAddress(sentinels, path[0], int(path[1]) if len(path) == 2 else 0,
                           unquote(username) or None, unquote(password) or None,
                           query.get("sentinel_password"), int(replicas))


def check_url(url: str) -> None:
    """Raise ValueError when a Redis URL cannot be used (a malformed Sentinel URL)."""
    if urlsplit(url).scheme == SENTINEL_SCHEME:
        parse_sentinel_url(url)


def is_sentinel_url(url: str) -> bool:
    """Whether ``url`` names a master watched by Redis Sentinel."""
    return urlsplit(url).scheme == SENTINEL_SCHEME


def min_replicas(url: str) -> int:
    """The fewest replicas that must confirm a write (``?replicas=``), 0 for a plain URL."""
    return parse_sentinel_url(url).replicas if is_sentinel_url(url) else 0


def redis_client(url: str, timeout: float | None = TIMEOUT, pool_size: int = 64,
                 **options) -> redis.Redis:
    """A client with short timeouts, no retries and a bounded pool: fail fast, never pile up.
    ``timeout=None`` waits on reads for as long as it takes (a pub/sub subscriber)."""
    kwargs = {"socket_connect_timeout": TIMEOUT if timeout is None else timeout,
              "socket_timeout": timeout, "retry": Retry(NoBackoff(), 0),
              "health_check_interval": 30, **options}
    if urlsplit(url).scheme != SENTINEL_SCHEME:
        pool = redis.BlockingConnectionPool.from_url(
            url, max_connections=pool_size, timeout=(timeout or TIMEOUT) * 2, **kwargs)
        return redis.Redis(connection_pool=pool)
    address = parse_sentinel_url(url)
    return _sentinel(address).master_for(
        address.master, db=address.db, username=address.username, password=address.password,
        max_connections=pool_size, **kwargs)


def _sentinel(address: SentinelAddress) -> Sentinel:
    return Sentinel(address.sentinels, sentinel_kwargs={
        "socket_timeout": TIMEOUT, "socket_connect_timeout": TIMEOUT,
        "password": address.sentinel_password, "retry": Retry(NoBackoff(), 0)})


def probe_sentinels(url: str) -> str | None:
    """Ask the Sentinels of ``url`` for its master, at start: None when one knows it, a
    problem to report when none answers; raises ValueError when those that answer know no
    master of that name (a typo that waiting would never fix)."""
    if urlsplit(url).scheme != SENTINEL_SCHEME:
        return None
    address = parse_sentinel_url(url)
    known: set[str] = set()
    answered = False
    for sentinel in _sentinel(address).sentinels:
        try:
            masters = sentinel.sentinel_masters()
        except redis.RedisError:
            continue
        finally:
            sentinel.close()
        answered = True
        if address.master in masters:
            return None
        known.update(masters)
    places = ", ".join(f"{host}:{port}" for host, port in address.sentinels)
    if answered:
        raise ValueError(f"no Sentinel at {places} watches a master named {address.master!r} "
                         f"(they watch: {', '.join(sorted(known)) or 'none'})")
    return (f"no Redis Sentinel answers at {places}: writes answer unavailable until one "
            "does and names a master")
