"""The objects one app is made of, kept on ``app.extensions["chorus"]`` for views to reach."""

from __future__ import annotations

from dataclasses import dataclass

from flask import current_app

from app.audience.wiring import Audience
from app.namespaces.sync import SyncNamespace
from app.rooms import Rooms
from app.state import Store
from app.state.hashes import Hashes


@dataclass
class Services:
    """The store, the room operations, audience mode and the /sync namespace of one app."""

    store: Store
    hashes: Hashes
    rooms: Rooms
    sync: SyncNamespace
    audience: Audience


def services() -> Services:
    """The current app's services; for views and health checks."""
    return current_app.extensions["chorus"]
