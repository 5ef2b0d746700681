"""The Redis store: several gunicorn processes, on one box or many, sharing one truth.

Every write is one Lua script (lua/write.lua) and every read another (lua/read.lua): the check,
the version bumps, ``incr``, the change order and the op memory happen inside Redis, atomically,
whichever process sends them; nothing is read, changed in Python and written back. A Redis that
lost its data (flushed, restarted without persistence) has lost the epoch key as well, and the
next script makes a new one: clients see another epoch and take a fresh snapshot.

Timeouts are short and there are no retries, so a hung or unreachable Redis gives ``unavailable``
within about a second instead of a hung write; redis-py reconnects by itself when Redis is back.
Each write carries a deadline in Redis's own clock (the offset to ours is measured now and then):
a write that reaches a frozen Redis and runs after the caller gave up is refused by the script,
so ``unavailable`` means "not applied". Under Sentinel (app/state/redis_connection.py) a write
is acknowledged only once its replicas confirm it (``WAIT``), so no failover loses it; a write
they did not confirm in time answers ``unavailable`` too, and may have applied on the primary:
retried with the same ``op``, it is applied exactly once whichever Redis answers the retry.
Keys live under ``chorus:``; a room's keys share the hash tag ``{room}``.
"""

from __future__ import annotations

import json
import secrets
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import redis

from app.state.base import Applied, Batch, Limits, Store, Write
from app.state.errors import ChorusError, too_large, unavailable
from app.state.redis_connection import is_sentinel_url, min_replicas, redis_client
from app.state.values import MAX_SAFE_TOTAL
from app.state.writes import MAX_TOMBSTONES, Entry, change_of

LUA = Path(__file__).with_name("lua")
PREFIX = "chorus"


# A write script must start within this many seconds of being sent, or it refuses to apply:
# well before TIMEOUT, so the refusal reaches a caller still waiting, and a script that runs
# after the caller gave up (a frozen Redis thawed) can never apply.
START_WITHIN = 0.5
CLOCK_CHECK_EVERY = 30.0  # seconds between measurements of Redis's clock against ours
# How long a write waits for its replicas to confirm it (WAIT), inside TIMEOUT.
CONFIRM_WITHIN_MS = 500
REPLICAS_CHECK_EVERY = 1.0  # seconds between counts of the primary's online replicas


class RedisStore(Store):
    """Rooms in Redis, shared by every process that points at the same URL."""

    def __init__(self, url: str, limits: Limits | None = None) -> None:
        super().__init__(limits)
        self.url = url
        self._redis = redis_client(url)
        self._write = self._redis.register_script((LUA / "write.lua").read_text())
        self._read = self._redis.register_script((LUA / "read.lua").read_text())
        self._admit = self._redis.register_script((LUA / "admit.lua").read_text())
        self._touch = self._redis.register_script((LUA / "touch.lua").read_text())
        self._remove = self._redis.register_script((LUA / "remove.lua").read_text())
        self._confirm = is_sentinel_url(url)  # replicas confirm each write (WAIT)
        self._min_replicas = min_replicas(url)
        self._online: int | None = None  # the primary's online replicas, last counted
        self._online_at = 0.0
        self._offset: float | None = None  # Redis's clock minus ours, in seconds
        self._offset_at = 0.0

    @property
    def epoch(self) -> str:
        key = f"{PREFIX}:epoch"
        try:
            self._redis.set(key, self._new_epoch(), nx=True)
            return self._redis.get(key).decode()
        except redis.RedisError as exc:
            raise unavailable(f"Redis is unavailable: {exc}") from None

    def join_state(self, room: str, since: int | None = None,
                   epoch: str | None = None) -> dict[str, Any]:
        found, version, mode, entries = self._read_room(room, since, epoch, force=False)
        body: dict[str, Any] = {"epoch": found, "version": version}
        if mode == "changes":
            body["changes"] = [change_of(key, e) for key, e in entries]
        else:
            body["values"] = {key: {"value": e.value, "version": e.version} for key, e in entries}
        return body

    def changes_after(self, room: str, version: int) -> Batch:
        found, current, _, entries = self._read_room(room, version, None, force=True)
        return Batch(found, version, current, [change_of(key, e) for key, e in entries])

    def apply(self, write: Write) -> Applied:
        room = write.room
        keys = [self._epoch_key(room), f"{PREFIX}:{{{room}}}:op:{write.client}:{write.op or ''}",
                *self._room_keys(room)[:5]]
        by = write.by
        args = ["", room, write.kind, write.key, write.value_json or "",
                "" if write.expect is None else write.expect, json.dumps(by),
                "1" if isinstance(by, int) else "0", "1" if write.op else "0",
                int(self.limits.op_ttl), self.limits.max_keys, "0",
                MAX_TOMBSTONES, MAX_SAFE_TOTAL, self._deadline()]
        result = self._confirmed_write(keys, args)
        if result[0] == b"need":  # a room's first write: its epoch and a place in the store
            args[0] = self.epoch
            if not self._call(self._admit, [f"{PREFIX}:rooms"], [room, self.limits.max_rooms]):
                raise too_large(f"the store holds at most {self.limits.max_rooms} rooms")
            args[11], args[14] = "1", self._deadline()
            result = self._confirmed_write(keys, args)
        status = result[0].decode()
        if status == "err":
            raise ChorusError(result[1].decode(), result[2].decode())
        version = int(result[3]) if status == "ok" and int(result[3]) else None
        return Applied(json.loads(result[1]), version)

    def _confirmed_write(self, keys: list, args: list) -> list:
        """Run the write script; under Sentinel, also WAIT for its replicas in the same round
        trip. An answer the replicas did not confirm is not given: the caller hears
        ``unavailable`` and retries with its op, which then replays (or applies, if the write
        died with a primary that never passed it on)."""
        if not self._confirm:
            return self._call(self._write, keys, args)
        wanted = self._replicas_online()
        if wanted < self._min_replicas:
            raise unavailable(f"the primary has {wanted} replicas online and writes need "
                              f"{self._min_replicas} (replicas= in CHORUS_STORE)")
        if not wanted:
            return self._call(self._write, keys, args)
        pipe = self._redis.pipeline(transaction=False)
        self._write(keys=keys, args=args, client=pipe)
        pipe.execute_command("WAIT", wanted, CONFIRM_WITHIN_MS)
        try:
            result, confirmed = pipe.execute()
        except redis.RedisError as exc:
            self._forget_server()
            raise unavailable(f"Redis is unavailable: {exc}") from None
        if result[0] not in (b"err", b"need") and int(confirmed) < wanted:
            self._online = None  # count again: a replica may have gone
            raise unavailable(f"the write reached {int(confirmed)} of {wanted} replicas in "
                              "time; retry it with the same op")
        return result

    def _replicas_online(self) -> int:
        """How many replicas the primary streams to right now (counted once a second)."""
        now = time.monotonic()
        if self._online is None or now - self._online_at > REPLICAS_CHECK_EVERY:
            try:
                info = self._redis.info("replication")
            except redis.RedisError as exc:
                self._forget_server()
                raise unavailable(f"Redis is unavailable: {exc}") from None
            self._online = sum(1 for name, replica in info.items() if name.startswith("slave")
                               and isinstance(replica, dict) and replica.get("state") == "online")
            self._online_at = now
        return self._online

    def _forget_server(self) -> None:
        """After an error the next call may reach another Redis (a failover): measure its
        clock and count its replicas afresh."""
        self._offset = None
        self._online = None

    def _deadline(self) -> int:
        """The latest start for a write script, in Redis's clock (microseconds)."""
        now = time.time()
        if self._offset is None or now - self._offset_at > CLOCK_CHECK_EVERY:
            try:
                seconds, micros = self._redis.time()
            except redis.RedisError as exc:
                raise unavailable(f"Redis is unavailable: {exc}") from None
            after = time.time()
            self._offset = seconds + micros / 1e6 - (now + after) / 2
            self._offset_at = after
            now = after
        return int((now + self._offset + START_WITHIN) * 1e6)

    def touch(self, rooms: Iterable[str], create: bool = False) -> None:
        names = list(dict.fromkeys(rooms))
        if not names:
            return
        if create:  # a place in the store first, as a first write takes one
            for room in names:
                if not self._call(self._admit, [f"{PREFIX}:rooms"],
                                  [room, self.limits.max_rooms]):
                    raise too_large(f"the store holds at most {self.limits.max_rooms} rooms")
        try:
            pipe = self._redis.pipeline(transaction=False)
            for room in names:
                self._touch(keys=[self._room_keys(room)[0]], args=["1" if create else "0"],
                            client=pipe)
            pipe.execute()
        except redis.RedisError as exc:
            raise unavailable(f"Redis is unavailable: {exc}") from None

    def activity(self) -> dict[str, float]:
        """Rooms from before rooms expired have no activity yet: marked active now."""
        try:
            rooms = sorted(member.decode() for member in
                           self._redis.smembers(f"{PREFIX}:rooms"))
            pipe = self._redis.pipeline(transaction=False)
            for room in rooms:
                pipe.hget(self._room_keys(room)[0], "active_at")
            found = dict(zip(rooms, pipe.execute(), strict=True))
        except redis.RedisError as exc:
            raise unavailable(f"Redis is unavailable: {exc}") from None
        unmarked = [room for room, at in found.items() if at is None]
        if unmarked:
            self.touch(unmarked)
            now = time.time() + (self._offset or 0.0)
            found.update(dict.fromkeys(unmarked, now))
        return {room: float(at) for room, at in found.items()}

    def remove(self, room: str, idle_since: float | None = None) -> bool:
        """``idle_since`` is in Redis's clock: on one box, or with NTP, time.time() is it.

        Out of the rooms set first, then the room's keys if still idle, then back into the set
        if they stay: a write between the two steps finds its room and marks it active, so the
        removal refuses, and no room ever exists uncounted."""
        rooms = f"{PREFIX}:rooms"
        since = "" if idle_since is None else repr(float(idle_since))
        self._command(self._redis.srem, rooms, room)
        removed = self._call(self._remove, [*self._room_keys(room), self._epoch_key(room)],
                             [since])
        if not removed and self._command(self._redis.exists, self._room_keys(room)[0]):
            self._command(self._redis.sadd, rooms, room)
        return bool(removed)

    def check(self) -> None:
        try:
            self._redis.ping()
        except redis.RedisError as exc:
            raise unavailable(f"Redis is unavailable: {exc}") from None

    def close(self) -> None:
        self._redis.close()
        self._redis.connection_pool.disconnect()

    def _read_room(self, room: str, since: int | None, epoch: str | None,
                   force: bool) -> tuple[str, int, str, list[tuple[str, Entry]]]:
        args = ["", -1 if since is None else since, epoch or "", self.limits.log_size,
                "1" if force else "0"]
        result = self._call(self._read, self._read_keys(room), args)
        if result[0] == b"need":  # a room never read or written: it takes the store's epoch
            args[0] = self.epoch
            result = self._call(self._read, self._read_keys(room), args)
        entries = []
        for i in range(3, len(result), 5):
            key, text, version, rversion, deleted = result[i:i + 5]
            text = text.decode()
            entries.append((key.decode(), Entry(json.loads(text), text, int(version),
                                                int(float(rversion)), bool(deleted))))
        return result[0].decode(), int(result[1]), result[2].decode(), entries

    @staticmethod
    def _room_keys(room: str) -> list[str]:
        base = f"{PREFIX}:{{{room}}}"
        return [f"{base}:meta", f"{base}:val", f"{base}:ver", f"{base}:log", f"{base}:dead"]

    def _read_keys(self, room: str) -> list[str]:
        return [self._epoch_key(room), *self._room_keys(room)]

    @staticmethod
    def _epoch_key(room: str) -> str:
        """The room's epoch: set from the store's (``chorus:epoch``) when the room is first
        read or written, and lost with the room's history, whatever takes it."""
        return f"{PREFIX}:{{{room}}}:epoch"

    @staticmethod
    def _new_epoch() -> str:
        return secrets.token_urlsafe(9)

    def _command(self, command, *args):
        try:
            return command(*args)
        except redis.RedisError as exc:
            self._forget_server()
            raise unavailable(f"Redis is unavailable: {exc}") from None

    def _call(self, script, keys: list, args: list) -> list:
        try:
            return script(keys=keys, args=args)
        except redis.RedisError as exc:
            self._forget_server()
            raise unavailable(f"Redis is unavailable: {exc}") from None
