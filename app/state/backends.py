"""Which backend a CHORUS_STORE URL names: the one place that knows every backend.

``memory://``                 memory_store + memory_hashes: one process, gone on restart
``sqlite:///var/chorus.db``   sqlite_store + sqlite_hashes: the default; a relative path
``sqlite:////srv/chorus.db``  the same with an absolute path
``redis://host:6379/0``       redis_store + redis_hashes: several processes, one box or many
``redis+sentinel://h:26379,h2:26379/mymaster/0``  the same, on the master Sentinel names

The rooms' store and the audience's hashes open from the same URL, so they always live in the
same place. Each backend's driver is imported only when its scheme is asked for, and no backend
imports this module: the interfaces (base.py, hashes.py) sit below the backends, this above.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from app.state.base import Limits, Store
from app.state.hashes import Hashes

REDIS_SCHEMES = ("redis", "rediss", "redis+sentinel")


def store_kind(url: str) -> str:
    """The backend name for a store URL: memory, sqlite (or redis)."""
    return urlsplit(url).scheme


def open_store(url: str, limits: Limits | None = None) -> Store:
    """Open the store a CHORUS_STORE URL names; raises ValueError for an unknown scheme."""
    scheme = store_kind(url)
    if scheme == "memory":
        from app.state.memory_store import MemoryStore

        return MemoryStore(limits)
    if scheme == "sqlite":
        from app.state.sqlite_store import SqliteStore

        return SqliteStore(sqlite_path(url), limits)
    if scheme in REDIS_SCHEMES:
        from app.state.redis_store import RedisStore

        return RedisStore(url, limits)
    raise ValueError(f"{url!r}: CHORUS_STORE must start with memory://, sqlite:///, redis:// "
                     "or redis+sentinel://")


def open_hashes(url: str) -> Hashes:
    """The hashes backend for a CHORUS_STORE URL (the same place as the rooms)."""
    scheme = store_kind(url)
    if scheme == "memory":
        from app.state.memory_hashes import MemoryHashes

        return MemoryHashes()
    if scheme == "sqlite":
        from app.state.sqlite_hashes import SqliteHashes

        return SqliteHashes(sqlite_path(url))
    if scheme in REDIS_SCHEMES:
        from app.state.redis_hashes import RedisHashes

        return RedisHashes(url)
    raise ValueError(f"{url!r}: no hashes backend for this scheme")


def sqlite_path(url: str) -> str:
    """The file of a ``sqlite:///`` URL; raises ValueError when there is none."""
    path = url[len("sqlite:///"):] if url.startswith("sqlite:///") else ""
    if not path:
        raise ValueError(f"{url!r}: a SQLite URL looks like sqlite:///var/chorus.db")
    return path
