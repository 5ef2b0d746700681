"""Change a value from outside the server: a script, a cron job, a Celery task.

The write goes to the store with the same rules as a click (versions, ``expect``, ``op``), and a
notice on the message queue tells every Chorus process to send it to its members. No Flask app
is built and no client is served. From Python::

    from app.cli import send
    send("set", "demo", "banner", value={"text": "Doors open"}, store="redis://10.0.0.5/0")

From a shell (the ack is printed as JSON; exit status 1 when it is a refusal)::

    .venv/bin/python -m app.cli --store redis://10.0.0.5/0 set demo banner '{"text": "hi"}'
    .venv/bin/python -m app.cli incr demo count 1
    .venv/bin/python -m app.cli get demo

``--store`` and ``--queue`` default to CHORUS_STORE and CHORUS_MESSAGE_QUEUE, as for the
server. On a single SQLite process there is no queue: the server notices the write within its
heartbeat (5 s); the HTTP API (docs/protocol.md) reaches clients at once.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from typing import Any

from app.config import DEFAULTS, message_queue_url, settings_from_environ
from app.state import open_store
from app.state.errors import ChorusError
from app.sync.payloads import is_room_name, parse_write

SCRIPT_CLIENT = "script:cli"  # op ids of scripts are remembered apart from browsers' ids


def send(kind: str, room: str, key: str, *, value: Any = None, by: float = 1,
         expect: int | None = None, op: str | None = None, store: str | None = None,
         queue: str | None = None) -> dict[str, Any]:
    """Apply a set, incr or delete and tell every server process; returns the ack."""
    config = _config(store, queue)
    payload: dict[str, Any] = {"room": room, "key": key}
    if kind == "set":
        payload["value"] = value
        if expect is not None:
            payload["expect"] = expect
    elif kind == "incr":
        payload["by"] = by
    if op:
        payload["op"] = op
    target = open_store(config["STORE"])
    try:
        applied = target.apply(parse_write(kind, payload, SCRIPT_CLIENT))
    finally:
        target.close()
    queue_url = message_queue_url(config)
    if applied.version is not None and queue_url:
        from app.cluster.message_queue import ChorusRedisManager

        ChorusRedisManager(queue_url, write_only=True).notify("changes", room)
    return applied.ack


def read(room: str, store: str | None = None) -> dict[str, Any]:
    """A room's current values, straight from the store."""
    if not is_room_name(room):
        raise ChorusError("bad_request", "room must be 1-64 of A-Z a-z 0-9 _ -")
    target = open_store(_config(store, None)["STORE"])
    try:
        return {"ok": True, "room": room, **target.join_state(room)}
    finally:
        target.close()


def _config(store: str | None, queue: str | None) -> dict[str, Any]:
    config = {**DEFAULTS, **settings_from_environ(os.environ)}
    if store:
        config["STORE"] = store
    if queue:
        config["MESSAGE_QUEUE"] = queue
    return config


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m app.cli", description=__doc__.split("\n")[0])
    parser.add_argument("--store", help="store URL (default: CHORUS_STORE)")
    parser.add_argument("--queue", help="message queue URL (default: CHORUS_MESSAGE_QUEUE)")
    parser.add_argument("--op", help="op id, so that running the command twice applies once")
    commands = parser.add_subparsers(dest="command", required=True)
    set_ = commands.add_parser("set", help="set a key to a JSON value")
    set_.add_argument("room")
    set_.add_argument("key")
    set_.add_argument("value", help="JSON, e.g. 42, '\"text\"', '{\"a\": 1}'")
    set_.add_argument("--expect", type=int)
    incr = commands.add_parser("incr", help="add a number to a key")
    incr.add_argument("room")
    incr.add_argument("key")
    incr.add_argument("by", type=float)
    delete = commands.add_parser("delete", help="delete a key")
    delete.add_argument("room")
    delete.add_argument("key")
    get = commands.add_parser("get", help="print a room's values")
    get.add_argument("room")
    args = parser.parse_args(argv)
    try:
        if args.command == "get":
            ack = read(args.room, args.store)
        else:
            fields: dict[str, Any] = {"op": args.op, "store": args.store, "queue": args.queue}
            if args.command == "set":
                fields.update(value=_json_arg(parser, args.value), expect=args.expect)
            if args.command == "incr":
                fields["by"] = int(args.by) if args.by.is_integer() else args.by
            ack = send(args.command, args.room, args.key, **fields)
    except ChorusError as refusal:
        ack = refusal.ack()
    print(json.dumps(ack))
    return 0 if ack.get("ok") else 1


def _json_arg(parser: argparse.ArgumentParser, text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError:
        parser.error(f"value must be JSON (quote strings: '\"{text}\"')")


if __name__ == "__main__":
    sys.exit(main())
