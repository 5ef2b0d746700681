"""The SQLite store, Chorus's default: one file on one box, surviving restarts.

WAL mode with ``synchronous=NORMAL``: a commit is durable against a killed process (the write-ahead
log is in the OS's hands), but not against power loss, which can take the last commits with it.
Every write is one short ``BEGIN IMMEDIATE`` transaction, so writers from several processes on
one box serialise on SQLite's lock, and the ack is sent only after ``COMMIT`` returns.

SQLite calls are C calls that gevent cannot interrupt: keep each transaction small (a few rows),
since the whole worker waits while one runs. A connection is shared by the greenlets of the
worker; no greenlet switch can happen inside a transaction because nothing in it does Python I/O.
"""

from __future__ import annotations

import json
import os
import secrets
import sqlite3
import threading
import time
from collections.abc import Iterable
from typing import Any

from app.state.base import Applied, Batch, Limits, Store, Write
from app.state.errors import too_large, unavailable
from app.state.writes import (
    MAX_TOMBSTONES,
    Conflict,
    Entry,
    ack_for,
    change_of,
    join_body,
    plan,
    since_reaches,
    unchanged_ack,
)

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS rooms (
    room TEXT PRIMARY KEY,
    version INTEGER NOT NULL,
    floor INTEGER NOT NULL DEFAULT 0,
    key_floor INTEGER NOT NULL DEFAULT 0,
    live INTEGER NOT NULL DEFAULT 0,
    dead INTEGER NOT NULL DEFAULT 0,
    active_at REAL NOT NULL DEFAULT 0
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS entries (
    room TEXT NOT NULL,
    key TEXT NOT NULL,
    value TEXT NOT NULL,
    version INTEGER NOT NULL,
    rversion INTEGER NOT NULL,
    deleted INTEGER NOT NULL,
    PRIMARY KEY (room, key)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS entries_by_rversion ON entries (room, rversion);
CREATE TABLE IF NOT EXISTS ops (
    client TEXT NOT NULL,
    op TEXT NOT NULL,
    ack TEXT NOT NULL,
    at REAL NOT NULL,
    PRIMARY KEY (client, op)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS ops_by_age ON ops (at);
"""

# Forgotten ops are swept at most this often, from inside a write (no timer to manage).
SWEEP_EVERY = 60.0


class SqliteStore(Store):
    """Rooms in one SQLite file; the epoch is made with the file and lives in it."""

    def __init__(self, path: str, limits: Limits | None = None, clock=time.time) -> None:
        super().__init__(limits)
        self.path = path
        if path != ":memory:":
            os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
        self._db = sqlite3.connect(path, isolation_level=None, check_same_thread=False,
                                   timeout=2.0)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.executescript(SCHEMA)
        self._lock = threading.Lock()
        self._clock = clock
        self._last_sweep = clock()
        with self._transaction() as db:
            self._add_activity(db)
            db.execute("INSERT OR IGNORE INTO meta VALUES ('epoch', ?)",
                       (secrets.token_urlsafe(9),))
            self._epoch = db.execute("SELECT value FROM meta WHERE name='epoch'").fetchone()[0]

    @property
    def epoch(self) -> str:
        return self._epoch

    def join_state(self, room: str, since: int | None = None,
                   epoch: str | None = None) -> dict[str, Any]:
        with self._read() as db:
            version, floor = self._room_row(db, room)[:2]
            reaches = epoch in (None, self._epoch) and since_reaches(
                since, version, floor, self.limits.log_size)
            after = since if reaches else 0
            entries = self._entries(db, room, after, include_deleted=reaches)
        return join_body(self._epoch, version, entries, since, reaches)

    def changes_after(self, room: str, version: int) -> Batch:
        with self._read() as db:
            current = self._room_row(db, room)[0]
            entries = self._entries(db, room, version, include_deleted=True)
        changes = [change_of(key, e) for key, e in entries.items()]
        return Batch(self._epoch, version, current, changes)

    def apply(self, write: Write) -> Applied:
        with self._transaction() as db:
            if write.op is not None:
                row = db.execute("SELECT ack FROM ops WHERE client=? AND op=?",
                                 (write.client, write.op)).fetchone()
                if row:
                    return Applied(json.loads(row[0]), None)
            try:
                ack, version = self._apply(db, write)
            except Conflict as conflict:
                ack, version = conflict.ack(), None
            if write.op is not None:
                db.execute("INSERT INTO ops VALUES (?, ?, ?, ?)",
                           (write.client, write.op, json.dumps(ack), self._clock()))
            self._sweep_ops(db)
        return Applied(ack, version)

    def touch(self, rooms: Iterable[str], create: bool = False) -> None:
        names = list(rooms)
        if not names:
            return
        now = self._clock()
        with self._transaction() as db:
            if create:
                held = {row[0] for row in db.execute(
                    f"SELECT room FROM rooms WHERE room IN ({','.join('?' * len(names))})",
                    names)}
                new = [name for name in dict.fromkeys(names) if name not in held]
                count = db.execute("SELECT count(*) FROM rooms").fetchone()[0]
                if new and count + len(new) > self.limits.max_rooms:
                    raise too_large(f"the store holds at most {self.limits.max_rooms} rooms")
                db.executemany("INSERT INTO rooms (room, version) VALUES (?, 0)",
                               [(name,) for name in new])
            db.executemany("UPDATE rooms SET active_at=? WHERE room=?",
                           [(now, name) for name in names])

    def activity(self) -> dict[str, float]:
        with self._read() as db:
            return dict(db.execute("SELECT room, active_at FROM rooms").fetchall())

    def remove(self, room: str, idle_since: float | None = None) -> bool:
        with self._transaction() as db:
            removed = db.execute("DELETE FROM rooms WHERE room=? AND active_at<=?",
                                 (room, float("inf") if idle_since is None else idle_since)
                                 ).rowcount
            if removed:
                db.execute("DELETE FROM entries WHERE room=?", (room,))
        return bool(removed)

    def check(self) -> None:
        with self._read() as db:
            db.execute("SELECT 1").fetchone()

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def _apply(self, db: sqlite3.Connection, write: Write) -> tuple[dict, int | None]:
        row = db.execute("SELECT version, floor, key_floor, live, dead FROM rooms WHERE room=?",
                         (write.room,)).fetchone()
        if row is None:
            if write.kind == "delete":
                return unchanged_ack(None), None
            count = db.execute("SELECT count(*) FROM rooms").fetchone()[0]
            if count >= self.limits.max_rooms:
                raise too_large(f"the store holds at most {self.limits.max_rooms} rooms")
            row = (0, 0, 0, 0, 0)
        version, floor, key_floor, live, dead = row
        current = self._entry(db, write.room, write.key)
        entry = plan(write, current, live, self.limits.max_keys, key_floor)
        if entry is None:
            return unchanged_ack(current), None
        version += 1
        entry.rversion = version
        live += (not entry.deleted) - (current is not None and not current.deleted)
        dead += entry.deleted - (current is not None and current.deleted)
        db.execute("INSERT OR REPLACE INTO entries VALUES (?, ?, ?, ?, ?, ?)",
                   (write.room, write.key, entry.value_json, entry.version, version,
                    int(entry.deleted)))
        if dead > MAX_TOMBSTONES:
            floor, key_floor = self._forget_oldest_tombstone(db, write.room, floor, key_floor)
            dead -= 1
        db.execute("INSERT OR REPLACE INTO rooms VALUES (?, ?, ?, ?, ?, ?, ?)",
                   (write.room, version, floor, key_floor, live, dead, self._clock()))
        return ack_for(write, entry), version

    def _add_activity(self, db) -> None:
        """A file from before rooms expired has no ``active_at``: add it, every room active
        now, so an upgrade never removes a room at its first sweep."""
        columns = {row[1] for row in db.execute("PRAGMA table_info(rooms)")}
        if "active_at" not in columns:
            db.execute("ALTER TABLE rooms ADD COLUMN active_at REAL NOT NULL DEFAULT 0")
            db.execute("UPDATE rooms SET active_at=?", (self._clock(),))

    @staticmethod
    def _forget_oldest_tombstone(db, room: str, floor: int, key_floor: int) -> tuple[int, int]:
        key, version, rversion = db.execute(
            "SELECT key, version, rversion FROM entries WHERE room=? AND deleted=1 "
            "ORDER BY rversion LIMIT 1", (room,)).fetchone()
        db.execute("DELETE FROM entries WHERE room=? AND key=?", (room, key))
        return max(floor, rversion), max(key_floor, version)

    @staticmethod
    def _room_row(db, room: str) -> tuple[int, int]:
        row = db.execute("SELECT version, floor FROM rooms WHERE room=?", (room,)).fetchone()
        return row or (0, 0)

    @staticmethod
    def _entry(db, room: str, key: str) -> Entry | None:
        row = db.execute("SELECT value, version, rversion, deleted FROM entries "
                         "WHERE room=? AND key=?", (room, key)).fetchone()
        if row is None:
            return None
        return Entry(json.loads(row[0]), row[0], row[1], row[2], bool(row[3]))

    @staticmethod
    def _entries(db, room: str, after: int, include_deleted: bool) -> dict[str, Entry]:
        rows = db.execute(
            "SELECT key, value, version, rversion, deleted FROM entries "
            "WHERE room=? AND rversion>? ORDER BY rversion", (room, after)).fetchall()
        return {key: Entry(json.loads(value), value, version, rversion, bool(deleted))
                for key, value, version, rversion, deleted in rows
                if include_deleted or not deleted}

    def _sweep_ops(self, db) -> None:
        now = self._clock()
        if now - self._last_sweep < SWEEP_EVERY:
            return
        self._last_sweep = now
        db.execute("DELETE FROM ops WHERE at < ?", (now - self.limits.op_ttl,))

    def _transaction(self):
        return _Transaction(self._db, self._lock, "BEGIN IMMEDIATE")

    def _read(self):
        return _Transaction(self._db, self._lock, "BEGIN")


class _Transaction:
    """``with``: one SQLite transaction under the store's lock; errors become ``unavailable``."""

    def __init__(self, db: sqlite3.Connection, lock: threading.Lock, begin: str) -> None:
        self._db, self._lock, self._begin = db, lock, begin

    def __enter__(self) -> sqlite3.Connection:
        self._lock.acquire()
        try:
            self._db.execute(self._begin)
        except sqlite3.Error as exc:
            self._lock.release()
            raise unavailable(f"the store is unavailable: {exc}") from None
        return self._db

    def __exit__(self, exc_type, exc, tb) -> bool:
        try:
            if exc_type is None:
                try:
                    self._db.execute("COMMIT")
                except sqlite3.Error as error:
                    self._db.execute("ROLLBACK")
                    raise unavailable(f"the store could not commit: {error}") from None
            else:
                self._db.execute("ROLLBACK")
                if issubclass(exc_type, sqlite3.Error):
                    raise unavailable(f"the store is unavailable: {exc}") from None
        finally:
            self._lock.release()
        return False
