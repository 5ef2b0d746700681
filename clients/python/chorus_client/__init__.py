"""A Python client for Chorus rooms over the /sync Socket.IO namespace.

``Room`` joins one room, keeps ``values`` current from the room's changes, calls back on every
change and sends acknowledged writes that are applied once even when resent after a cut.
"""

from chorus_client.errors import (
    BadRequest,
    ChorusError,
    Closed,
    Conflict,
    ConnectionFailed,
    Forbidden,
    NotJoined,
    RateLimited,
    Timeout,
    TooLarge,
    Unavailable,
)
from chorus_client.room import Room
from chorus_client.state import Change

__all__ = [
    "BadRequest", "Change", "ChorusError", "Closed", "Conflict", "ConnectionFailed", "Forbidden",
    "NotJoined", "RateLimited", "Room", "Timeout", "TooLarge", "Unavailable",
]
__version__ = "0.1.0"
