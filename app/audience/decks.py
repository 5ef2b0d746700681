"""Prepared decks: the questions of a talk, written before it and launched one by one on stage.

A deck is an ordered list of items (any poll kind, or a quiz question), saved with the room in
the shared hashes, so it survives a restart and every process agrees on it. The presenter
imports it as JSON (the schema is in docs/audience.md and checked by ``deck_schema.py``), or
builds it on the presenter screen, and exports it again, so a deck can live in the talk's git
repository. "next" moves an atomic position counter: two presenter screens pressing "next" at
once launch two different items, never the same one twice.
"""

from __future__ import annotations

import json
from typing import Any

from app.audience.deck_schema import parse_deck
from app.state.hashes import Hashes


class Decks:
    """Save, read and step through a room's deck."""

    def __init__(self, hashes: Hashes) -> None:
        self._hashes = hashes

    def save(self, room: str, document: Any) -> dict:
        """Check ``document`` against the schema and keep it, back at its start; returns it.
        A bad document raises ``bad_request`` naming the first bad field, and nothing is kept."""
        deck = parse_deck(document)
        self._hashes.hset(f"deck:{room}", "deck", json.dumps(deck))
        self._hashes.hset(f"deck:{room}", "position", "0")
        return deck

    def get(self, room: str) -> dict:
        """The room's deck as its JSON export (an empty deck when none was saved)."""
        saved = self._hashes.hget(f"deck:{room}", "deck")
        return json.loads(saved) if saved else {"version": 1, "title": "", "items": []}

    def advance(self, room: str) -> tuple[int, dict | None]:
        """Move to the next item: its 0-based place and the item, or None past the last one."""
        items = self.get(room)["items"]
        position = self._hashes.hincr(f"deck:{room}", "position")
        return position - 1, items[position - 1] if position <= len(items) else None

    def status(self, room: str) -> dict:
        """Where the deck stands, for the presenter: items, how many launched, the next one."""
        deck = self.get(room)
        launched = min(int(self._hashes.hget(f"deck:{room}", "position") or 0),
                       len(deck["items"]))
        upcoming = deck["items"][launched] if launched < len(deck["items"]) else None
        return {"title": deck["title"], "count": len(deck["items"]), "launched": launched,
                "next": upcoming, "items": deck["items"]}

    def rewind(self, room: str) -> None:
        """Start the deck again from its first item."""
        self._hashes.hset(f"deck:{room}", "position", "0")
