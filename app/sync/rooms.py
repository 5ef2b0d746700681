"""The operations of /sync, the same whoever asks: a socket connection or the HTTP API.

Validate, ask the store, tell the broadcaster, answer. The socket namespace adds membership (a
connection must join a room before writing to it); the HTTP API writes without joining. Both get
the same acks, codes and broadcasts because both come through here.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from app.state import Store
from app.state.errors import NOT_FOUND, NOT_JOINED, ChorusError, too_large
from app.sync.broadcast import Broadcaster
from app.sync.payloads import Join, parse_write
from app.sync.policy import OpenPolicy, WritePolicy, Writer
from app.sync.presence import Presence
from app.sync.streams import Reader, Streams, state_event
from app.transport.addresses import AddressBudget


@dataclass
class Member:
    """One socket connection: who it says it is, and the rooms it has joined."""

    sid: str
    client: str
    name: str | None = None
    rooms: set[str] = field(default_factory=set)
    budget_key: str | None = None  # its address for per-address budgets; None when exempt
    device: str | None = None  # its signed device cookie, when it brought one
    presenting: set[str] = field(default_factory=set)  # rooms joined with the presenter token

    def writer(self, room: str) -> Writer:
        """Who this connection is for a write to ``room``."""
        return Writer(room in self.presenting, self.device or self.client)


class Rooms:
    """Joins, leaves and writes on the store, with batches and presence kept in step."""

    def __init__(self, store: Store, broadcaster: Broadcaster, presence: Presence,
                 max_rooms_per_member: int = 32,
                 start_heartbeat: Callable[[], None] = lambda: None,
                 streams: Streams | None = None,
                 room_budget: AddressBudget | None = None,
                 policy: WritePolicy | None = None) -> None:
        self.store = store
        self.policy: WritePolicy = policy or OpenPolicy()  # who may write what (policy.py)
        self.room_budget = room_budget  # charged for socket writes that may create a room
        self._written: set[str] = set()  # followed rooms that a write here has made exist
        self.broadcaster = broadcaster
        self.presence = presence
        self.streams = streams
        self.max_rooms_per_member = max_rooms_per_member
        self.start_heartbeat = start_heartbeat  # the cluster's catch-up beat; idempotent

    def join(self, member: Member, request: Join, enter: Callable[[str], None],
             exit_: Callable[[str], None]) -> dict[str, Any]:
        """Join ``member`` to a room (again, if already there) and answer with its state.

        The connection enters the Socket.IO room before the state is read, so any batch sent
        after the read reaches it; a batch it receives that it already holds is ignored by
        version, while one it could miss cannot exist.
        """
        room = request.room
        fresh = room not in member.rooms
        if fresh and len(member.rooms) >= self.max_rooms_per_member:
            raise too_large(f"a connection may join at most {self.max_rooms_per_member} rooms")
        if fresh:
            enter(room)
        try:
            state = self.store.join_state(room, request.since, request.epoch)
        except ChorusError:
            if fresh:
                exit_(room)
            raise
        member.rooms.add(room)
        self.start_heartbeat()
        self.broadcaster.follow(room, state["epoch"], state["version"])
        members = self.presence.add(room, member.client, member.sid)
        return {"ok": True, "room": room, **state, "members": members, "client": member.client}

    def leave(self, member: Member, room: str, exit_: Callable[[str], None]) -> dict[str, Any]:
        """Take ``member`` out of ``room``; leaving a room not joined is fine."""
        if room in member.rooms:
            member.rooms.discard(room)
            member.presenting.discard(room)
            exit_(room)
            if (self.presence.discard(room, member.client, member.sid) == 0
                    and not (self.streams and self.streams.watched(room))):
                self.broadcaster.unfollow(room)
                self._written.discard(room)
                self._mark_active(room)
        return {"ok": True}

    def leave_all(self, member: Member) -> None:
        """Forget a connection that is gone (Socket.IO removes it from its rooms itself)."""
        for room in list(member.rooms):
            self.leave(member, room, lambda _room: None)

    def watch(self, room: str, since: int | None, epoch: str | None,
              abort: Callable[[], None]) -> tuple[Reader, str]:
        """Open a stream reader of ``room`` and its first event: the changes after ``since``
        in ``epoch`` where the store can still say them, else a snapshot. A room that was never
        written to is not found (a typo in a URL should not wait forever on silence)."""
        if self.streams is None:
            raise ChorusError(NOT_FOUND, "this server has no event streams")
        reader = self.streams.open(room, abort)
        try:
            state = self.store.join_state(room, since, epoch)
            if state["version"] == 0:
                raise ChorusError(NOT_FOUND, f"room {room} has never been written to")
        except ChorusError:
            self.unwatch(reader)
            raise
        reader.place(state["epoch"], state["version"])
        self.start_heartbeat()
        self.broadcaster.follow(room, state["epoch"], state["version"])
        return reader, state_event(room, state, since)

    def catch_up(self, reader: Reader) -> str | None:
        """What a reader that fell behind missed, as one event; None when it missed nothing."""
        state = self.store.join_state(reader.room, reader.version, reader.epoch)
        if "changes" in state and state["version"] <= reader.version:
            return None
        since = reader.version
        reader.place(state["epoch"], state["version"])
        return state_event(reader.room, state, since)

    def unwatch(self, reader: Reader) -> None:
        """Close a stream reader; the room is no longer followed once nobody here holds it."""
        if self.streams and self.streams.close(reader) and not self.presence.here(reader.room):
            self.broadcaster.unfollow(reader.room)

    def write(self, kind: str, data: Any, client: str, joined: set[str] | None = None,
              budget_key: str | None = None, writer: Writer | None = None) -> dict[str, Any]:
        """Apply a set, incr or delete; ``joined`` is the writer's rooms (None for HTTP).

        A socket write to a room that its members see empty may create the room: it is charged
        to the writer's address (``budget_key``) first, and refused with RateLimited past the
        budget, as POST /rooms is. HTTP writes carry the API token and are not charged.

        The policy sees every write first (``writer``: who sends it; None counts as the
        presenter, as the HTTP API and the server's own writes are): it may refuse it, answer
        it without applying (a held text), or apply another write in its place (an average)."""
        write = parse_write(kind, data, client)
        if joined is not None and write.room not in joined:
            raise ChorusError(NOT_JOINED, f"join {write.room} before writing to it")
        admitted = self.policy.admit(write, writer or Writer(True, client))
        if isinstance(admitted, dict):
            return admitted
        replaced = admitted is not write
        write = admitted
        if self.room_budget is not None and joined is not None and \
                self._may_create(write.room) and write.kind != "delete":
            self.room_budget.take(budget_key)
        applied = self.store.apply(write)
        if applied.version is not None:
            if joined is not None:
                self._written.add(write.room)
            self.broadcaster.changed(write.room)
        if replaced and applied.ack.get("ok") and write.kind == "set":
            return {**applied.ack, "value": write.value}  # what the key now holds
        return applied.ack

    def _mark_active(self, room: str) -> None:
        """The last member here left: the room's idle time (app/audience/expiry.py) counts
        from now, not from its last write."""
        try:
            self.store.touch([room])
        except ChorusError:  # a store away: the next expiry sweep marks occupied rooms anyway
            pass

    def _may_create(self, room: str) -> bool:
        """Whether a write may bring ``room`` into the store: nobody here has seen it hold
        anything."""
        return room not in self._written and not self.broadcaster.holds(room)

    def snapshot(self, room: str) -> dict[str, Any]:
        """A room's full state and member count, as the HTTP API shows it."""
        state = self.store.join_state(room)
        return {"ok": True, "room": room, **state, "members": self.presence.count(room)}
