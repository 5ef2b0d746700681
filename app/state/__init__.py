"""Room state: ``open_store`` picks a backend from the scheme of a URL.

``memory://``                 memory_store: one process, gone on restart
``sqlite:///var/chorus.db``   sqlite_store: the default; a path relative to the working directory
``sqlite:////srv/chorus.db``  the same with an absolute path
``redis://host:6379/0``       redis_store: several processes, on one box or many
Each backend's driver is imported only when its scheme is asked for.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from app.state.base import Applied, Batch, Limits, Store

__all__ = ["Applied", "Batch", "Limits", "Store", "open_store", "store_kind"]


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

        path = url[len("sqlite:///"):] if url.startswith("sqlite:///") else ""
        if not path:
            raise ValueError(f"{url!r}: a SQLite URL looks like sqlite:///var/chorus.db")
        return SqliteStore(path, limits)
    if scheme in ("redis", "rediss"):
        from app.state.redis_store import RedisStore

        return RedisStore(url, limits)
    raise ValueError(f"{url!r}: CHORUS_STORE must start with memory://, sqlite:/// or redis://")
