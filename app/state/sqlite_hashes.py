"""Hashes and sets in the SQLite file of sqlite_store: one short transaction per call."""

from __future__ import annotations

import os
import sqlite3
import threading

from app.state.errors import unavailable
from app.state.hashes import Hashes

SCHEMA = """
CREATE TABLE IF NOT EXISTS hashes (
    name TEXT NOT NULL, field TEXT NOT NULL, value TEXT NOT NULL, PRIMARY KEY (name, field)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS sets (
    name TEXT NOT NULL, member TEXT NOT NULL, PRIMARY KEY (name, member)
) WITHOUT ROWID;
"""


# Add to an integer field, creating it: (name, field, start text, by).
INCR = ("INSERT INTO hashes VALUES (?, ?, ?) ON CONFLICT (name, field) DO UPDATE SET "
        "value = CAST(CAST(value AS INTEGER) + ? AS TEXT)")


class SqliteHashes(Hashes):
    """Two tables beside the rooms; its own connection to the same file, in WAL mode."""

    def __init__(self, path: str) -> None:
        if path != ":memory:":
            os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
        self._db = sqlite3.connect(path, isolation_level=None, check_same_thread=False,
                                   timeout=2.0)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.executescript(SCHEMA)
        self._lock = threading.Lock()

    def hget(self, name: str, field: str) -> str | None:
        row = self._one("SELECT value FROM hashes WHERE name=? AND field=?", name, field)
        return row[0] if row else None

    def hgetall(self, name: str) -> dict[str, str]:
        return dict(self._all("SELECT field, value FROM hashes WHERE name=?", name))

    def hset(self, name: str, field: str, value: str) -> None:
        self._one("INSERT OR REPLACE INTO hashes VALUES (?, ?, ?)", name, field, value)

    def hsetnx(self, name: str, field: str, value: str) -> bool:
        row = self._one("INSERT OR IGNORE INTO hashes VALUES (?, ?, ?) RETURNING 1",
                        name, field, value)
        return row is not None

    def hincr(self, name: str, field: str, by: int = 1) -> int:
        return int(self._one(INCR + " RETURNING value", name, field, str(by), by)[0])

    def hdel(self, name: str, *fields: str) -> None:
        with self._lock:
            try:
                self._db.executemany("DELETE FROM hashes WHERE name=? AND field=?",
                                     [(name, f) for f in fields])
            except sqlite3.Error as exc:
                raise unavailable(f"the store is unavailable: {exc}") from None

    def drop(self, *names: str) -> None:
        def apply(db):
            db.executemany("DELETE FROM hashes WHERE name=?", [(n,) for n in names])
            db.executemany("DELETE FROM sets WHERE name=?", [(n,) for n in names])
        if names:
            self._transaction(apply)

    def vote(self, answers: str, tally: str, voter: str, choice: str) -> str | None:
        def apply(db):
            row = db.execute("SELECT value FROM hashes WHERE name=? AND field=?",
                             (answers, voter)).fetchone()
            db.execute("INSERT OR REPLACE INTO hashes VALUES (?, ?, ?)", (answers, voter, choice))
            if row is not None:
                db.execute(INCR, (tally, row[0], "-1", -1))
            db.execute(INCR, (tally, choice, "1", 1))
            return row[0] if row else None
        return self._transaction(apply)

    def count_once(self, voters: str, counts: str, field: str, voter: str) -> int | None:
        def apply(db):
            if db.execute("INSERT OR IGNORE INTO sets VALUES (?, ?) RETURNING 1",
                          (voters, voter)).fetchone() is None:
                return None
            return int(db.execute(INCR + " RETURNING value", (counts, field, "1", 1)).fetchone()[0])
        return self._transaction(apply)

    def _transaction(self, apply):
        with self._lock:
            try:
                self._db.execute("BEGIN IMMEDIATE")
                result = apply(self._db)
                self._db.execute("COMMIT")
                return result
            except sqlite3.Error as exc:
                if self._db.in_transaction:
                    self._db.execute("ROLLBACK")
                raise unavailable(f"the store is unavailable: {exc}") from None

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def _one(self, sql: str, *args):
        with self._lock:
            try:
                return self._db.execute(sql, args).fetchone()
            except sqlite3.Error as exc:
                raise unavailable(f"the store is unavailable: {exc}") from None

    def _all(self, sql: str, *args):
        with self._lock:
            try:
                return self._db.execute(sql, args).fetchall()
            except sqlite3.Error as exc:
                raise unavailable(f"the store is unavailable: {exc}") from None
