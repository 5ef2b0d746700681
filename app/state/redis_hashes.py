"""Hashes and sets in Redis, shared by every process; each call one atomic command or script.

A name of the form ``kind:room[:more]`` (every per-room name the audience uses: ``polls:R``,
``answers:R:P``, ``tally:R:P``...) is kept under ``chorus:h:kind:{room}:more``: the room is the
key's hash tag, so the two hashes a script touches at once (a poll's answers and its tally, a
question's voters and the room's vote counts) always share one slot, as Redis Cluster requires.
Room names cannot contain a colon (app/sync/payloads.py), so the room part is unambiguous.
"""

from __future__ import annotations

import redis

from app.state.errors import unavailable
from app.state.hashes import Hashes
from app.state.redis_connection import redis_client
from app.state.redis_store import PREFIX

VOTE = """
local old = redis.call('HGET', KEYS[1], ARGV[1])
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
if old then redis.call('HINCRBY', KEYS[2], old, -1) end
redis.call('HINCRBY', KEYS[2], ARGV[2], 1)
return old
"""
COUNT_ONCE = """
if redis.call('SADD', KEYS[1], ARGV[1]) == 0 then return false end
return redis.call('HINCRBY', KEYS[2], ARGV[2], 1)
"""


class RedisHashes(Hashes):
    """Keys under ``chorus:h:`` and ``chorus:s:``; short timeouts as for the rooms."""

    def __init__(self, url: str) -> None:
        self._redis = redis_client(url)
        self._vote = self._redis.register_script(VOTE)
        self._count_once = self._redis.register_script(COUNT_ONCE)

    def hget(self, name: str, field: str) -> str | None:
        value = self._call(self._redis.hget, self._h(name), field)
        return value.decode() if value is not None else None

    def hgetall(self, name: str) -> dict[str, str]:
        found = self._call(self._redis.hgetall, self._h(name))
        return {k.decode(): v.decode() for k, v in found.items()}

    def hset(self, name: str, field: str, value: str) -> None:
        self._call(self._redis.hset, self._h(name), field, value)

    def hsetnx(self, name: str, field: str, value: str) -> bool:
        return bool(self._call(self._redis.hsetnx, self._h(name), field, value))

    def vote(self, answers: str, tally: str, voter: str, choice: str) -> str | None:
        old = self._call(self._vote, keys=[self._h(answers), self._h(tally)],
                         args=[voter, choice])
        return old.decode() if old else None

    def count_once(self, voters: str, counts: str, field: str, voter: str) -> int | None:
        total = self._call(self._count_once, keys=[self._s(voters), self._h(counts)],
                           args=[voter, field])
        return int(total) if total is not None else None

    def hincr(self, name: str, field: str, by: int = 1) -> int:
        return int(self._call(self._redis.hincrby, self._h(name), field, by))

    def hdel(self, name: str, *fields: str) -> None:
        if fields:
            self._call(self._redis.hdel, self._h(name), *fields)

    def drop(self, *names: str) -> None:
        for start in range(0, len(names), 500):  # DEL takes keys by the hundred, not by the 100k
            part = names[start:start + 500]
            self._call(self._redis.delete, *(self._h(n) for n in part),
                       *(f"{PREFIX}:s:{n}" for n in part))

    def close(self) -> None:
        self._redis.close()
        self._redis.connection_pool.disconnect()

    @staticmethod
    def _h(name: str) -> str:
        return f"{PREFIX}:h:{tagged(name)}"

    @staticmethod
    def _s(name: str) -> str:
        return f"{PREFIX}:s:{tagged(name)}"

    @staticmethod
    def _call(command, *args, **kwargs):
        try:
            return command(*args, **kwargs)
        except redis.RedisError as exc:
            raise unavailable(f"Redis is unavailable: {exc}") from None


def tagged(name: str) -> str:
    """``kind:room:more`` as ``kind:{room}:more``: the room becomes the key's hash tag."""
    kind, colon, rest = name.partition(":")
    if not colon:
        return name
    room, colon, more = rest.partition(":")
    return f"{kind}:{{{room}}}{colon}{more}"
