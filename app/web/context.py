"""The objects a view needs, kept on ``app.extensions["chorus"]`` by the factory.

Views reach them through ``services()`` in the request's app, never through a module-level
object, so tests can build as many apps as they like in one process.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import current_app

from app.audience.wiring import Audience
from app.state import Store
from app.state.hashes import Hashes
from app.sync.rooms import Rooms
from app.transport.addresses import AddressBudget


@dataclass
class Services:
    """The store, the shared hashes, the room operations and audience mode of one app, and the
    per-address budget for creating rooms."""

    store: Store
    hashes: Hashes
    rooms: Rooms
    audience: Audience
    room_budget: AddressBudget


def services() -> Services:
    """The current app's services; for views and health checks."""
    return current_app.extensions["chorus"]
