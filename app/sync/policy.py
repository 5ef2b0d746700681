"""Who may write what: the interface the write path asks before a write reaches the store.

Sync knows nothing of boards, presenters or devices (those are audience mode's), yet each write
must be checked where it is applied, whoever sends it. So sync defines this small interface,
``Rooms.write`` calls it, and the app factory injects audience mode's implementation
(app/audience/board_policy.py). Without one every write is admitted unchanged, as the contract
has it for a room without a board.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from app.state.base import Write


@dataclass(frozen=True, slots=True)
class Writer:
    """Who sends a write: the room's presenter or not, and the device it comes from (the signed
    device cookie, else the client id)."""

    presenter: bool
    device: str


class WritePolicy(Protocol):
    """What the write path asks; each call is made once per event, on the caller's greenlet."""

    def presents(self, room: str, token: Any) -> bool:
        """Whether ``token`` is ``room``'s presenter token."""

    def device(self, environ: dict) -> str | None:
        """The device id in a connection's environ (its signed cookie), or None."""

    def admit(self, write: Write, writer: Writer) -> Write | dict[str, Any]:
        """The write to apply (``write`` itself, or one standing for it), or an ack to answer
        without applying anything; raises ChorusError (``forbidden``, ``bad_request``) to
        refuse it."""


class OpenPolicy:
    """Every write admitted as sent; no token runs a room. The default of ``Rooms``."""

    def presents(self, room: str, token: Any) -> bool:
        return False

    def device(self, environ: dict) -> str | None:
        return None

    def admit(self, write: Write, writer: Writer) -> Write | dict[str, Any]:
        return write
