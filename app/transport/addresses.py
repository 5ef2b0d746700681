"""Client addresses: which requests come from this machine, and budgets kept per address.

The address is REMOTE_ADDR as ProxyFix left it, so behind the trusted proxy (CHORUS_PROXIES) it
is the client's, taken from X-Forwarded-For, while a client reaching gunicorn's port directly
cannot claim one there. Loopback is exempt from per-address limits (the connection cap in
connections.py, the room budget here): it is the operator's own scripts and tests, and only when
both the address ProxyFix gave and the real peer are loopback, so an X-Forwarded-For of
127.0.0.1 from outside buys nothing.
"""

from __future__ import annotations

import ipaddress

from app.transport.ratelimit import RateLimit


def is_local(environ: dict) -> bool:
    """A loopback client: both the address ProxyFix gave and the real peer."""
    peer = environ.get("werkzeug.proxy_fix.orig", {}).get("REMOTE_ADDR")
    return all(is_loopback(a) for a in {environ.get("REMOTE_ADDR", ""), peer or ""} if a) \
        and bool(environ.get("REMOTE_ADDR"))


def is_loopback(address: str) -> bool:
    """Whether ``address`` is an IP address of this machine's loopback interface."""
    try:
        return ipaddress.ip_address(address).is_loopback
    except ValueError:
        return False


def budget_key(environ: dict) -> str | None:
    """The key a per-address budget charges for this request; None for an exempt (loopback)
    client."""
    return None if is_local(environ) else environ.get("REMOTE_ADDR", "?")


class AddressBudget:
    """``burst`` actions at once, then ``rate`` a second, per client address; ``rate`` 0 is no
    budget. Used for creating rooms (POST /rooms and socket writes that make a room)."""

    def __init__(self, rate: float, burst: int, what: str) -> None:
        self._limit = RateLimit(rate, max(burst, 1), what) if rate > 0 else None

    def take(self, key: str | None) -> None:
        """Charge one action to ``key`` (from ``budget_key``), or raise RateLimited."""
        if self._limit is not None and key is not None:
            self._limit.take(key)
