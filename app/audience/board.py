"""A room's board: the controls the presenter defines, texts held for approval, and the inputs
of averaged sliders, all kept with the room in the shared hashes.

The definition (``board_schema.py``) lives in ``board:<room>``; every process keeps a copy for
``CACHE_TTL`` seconds, so the write path (``board_policy.py``) asks the store nothing for a room
without a board, or for one whose board it read lately. A process that saves a board drops its
copy at once and tells the others (the ``board`` cluster notice), which drop theirs when they
hear it; without a message queue, or if a notice is lost, a copy is at most ``CACHE_TTL`` old.

Held texts sit in ``board_pending:<room>`` (id -> JSON) until the presenter approves (the text
is then written to its key as a normal /sync change) or rejects them. An averaged slider keeps
each device's latest value in ``board_avg:<room>`` (field ``<key> <device>``), and its key
holds ``{"mean": m, "count": n}``.
"""

from __future__ import annotations

import hashlib
import json
import secrets
import time
from collections.abc import Callable
from typing import Any

from app.audience.board_schema import parse_board
from app.state.errors import ChorusError, bad_request, too_large
from app.state.hashes import Hashes
from app.sync.rooms import Rooms

CACHE_TTL = 2.0  # seconds another process may act on a board it read before a change
MAX_PENDING = 100
BOARD_CLIENT = "server:board"  # the client id of writes the board makes (approvals, resets)


class Boards:
    """Define, read (cached), hold and average the controls of rooms."""

    def __init__(self, hashes: Hashes, clock: Callable[[], float] = time.monotonic) -> None:
        self._hashes = hashes
        self._clock = clock
        self._cache: dict[str, tuple[float, dict[str, dict] | None]] = {}
        self.rooms: Rooms | None = None  # set by the factory's wiring, once rooms exist
        self.changed: Callable[[str], None] = lambda room: None  # the board feed's trigger

    def save(self, room: str, document: Any, seed: bool = True) -> dict:
        """Check ``document`` and keep it as ``room``'s board; each key not set yet gets its
        start value. A bad document raises a refusal naming the first bad field."""
        board = parse_board(document)
        self._hashes.hset(f"board:{room}", "board", json.dumps(board))
        self.forget_cached(room)
        if seed:
            self.seed(room, board)
        self.changed(room)
        return board

    def seed(self, room: str, board: dict) -> None:
        """Give each control's key its start value where the key was never set."""
        for control in board["controls"]:
            try:
                self._write(room, control["key"], control["start"], expect=0)
            except ChorusError as exc:
                if exc.code != "conflict":
                    raise

    def get(self, room: str) -> dict:
        """The room's board as its JSON document (no controls when none was defined)."""
        saved = self._hashes.hget(f"board:{room}", "board")
        return json.loads(saved) if saved else {"controls": []}

    def controls(self, room: str) -> dict[str, dict] | None:
        """The room's controls by key, from this process's copy; None for a room without a
        board."""
        now = self._clock()
        cached = self._cache.get(room)
        if cached is not None and cached[0] > now:
            return cached[1]
        controls = {c["key"]: c for c in self.get(room)["controls"]} or None
        if len(self._cache) > 10000:
            self._cache.clear()
        self._cache[room] = (now + CACHE_TTL, controls)
        return controls

    def forget_cached(self, room: str) -> None:
        """Drop this process's copy of a room's board (it changed, here or elsewhere)."""
        self._cache.pop(room, None)

    def hold(self, room: str, key: str, value: str, client: str, op: str | None) -> dict:
        """Keep an audience text for the presenter; returns the ack. The same ``op`` again
        holds it once."""
        pending = self._hashes.hgetall(f"board_pending:{room}")
        held = (hashlib.sha256(f"{client} {op}".encode()).hexdigest()[:16] if op
                else secrets.token_hex(8))
        if held not in pending and len(pending) >= MAX_PENDING:
            raise too_large(f"{MAX_PENDING} texts already wait for the presenter")
        entry = {"id": held, "key": key, "value": value, "at": round(time.time(), 3)}
        self._hashes.hset(f"board_pending:{room}", held, json.dumps(entry))
        self.changed(room)
        return {"ok": True, "pending": True, "id": held}

    def pending(self, room: str) -> list[dict]:
        """The texts waiting for the presenter, oldest first."""
        entries = [json.loads(e) for e in self._hashes.hgetall(f"board_pending:{room}").values()]
        return sorted(entries, key=lambda e: (e["at"], e["id"]))

    def decide(self, room: str, held: Any, approve: bool) -> dict:
        """Approve (write it to its key) or reject a held text; returns the ack."""
        if not isinstance(held, str):
            raise bad_request("id must be the id of a held text")
        entry = self._hashes.hget(f"board_pending:{room}", held)
        if entry is None:
            raise bad_request("no such text waits for approval")
        self._hashes.hdel(f"board_pending:{room}", held)
        ack: dict = {"ok": True}
        if approve:
            entry = json.loads(entry)
            ack["version"] = self._write(room, entry["key"], entry["value"])["version"]
        self.changed(room)
        return ack

    def average(self, room: str, key: str, device: str, value: float) -> dict:
        """Record ``device``'s value of an averaged key; returns the key's new value."""
        self._hashes.hset(f"board_avg:{room}", f"{key} {device}", json.dumps(value))
        values = [json.loads(v) for f, v in self._hashes.hgetall(f"board_avg:{room}").items()
                  if f.partition(" ")[0] == key]
        return {"mean": round(sum(values) / len(values), 2), "count": len(values)}

    def reset(self, room: str, key: Any) -> dict:
        """Put a control back to its start value; an averaged one also forgets its inputs."""
        control = (self.controls(room) or {}).get(key) if isinstance(key, str) else None
        if control is None:
            raise bad_request("key must be a control of this room's board")
        inputs = [f for f in self._hashes.hgetall(f"board_avg:{room}")
                  if f.partition(" ")[0] == key]
        if inputs:
            self._hashes.hdel(f"board_avg:{room}", *inputs)
        return {"ok": True, "version": self._write(room, key, control["start"])["version"]}

    def view(self, room: str, presenter: bool) -> dict:
        """What the ``board`` event carries: the controls; for the presenter, held texts too."""
        view: dict = {"room": room, "controls": self.get(room)["controls"]}
        if presenter:
            view["pending"] = self.pending(room)
        return view

    def forget(self, room: str) -> None:
        """Remove everything of ``room``'s board (an expired room; app/audience/expiry.py)."""
        self._hashes.drop(f"board:{room}", f"board_pending:{room}", f"board_avg:{room}")
        self.forget_cached(room)

    def _write(self, room: str, key: str, value: Any, expect: int | None = None) -> dict:
        if self.rooms is None:
            raise ChorusError("unavailable", "the board is not wired to the rooms")
        data = {"room": room, "key": key, "value": value}
        if expect is not None:
            data["expect"] = expect
        return self.rooms.write("set", data, BOARD_CLIENT)
