"""Change or watch a room from outside the browser: a script, a cron job, a shell, another machine.

By default every command talks to a running server, so it works from anywhere that reaches it:
``set``/``incr``/``delete``/``get`` over the HTTP API (docs/protocol.md), ``watch`` over the
/sync Socket.IO namespace. Writes need the server's CHORUS_API_TOKEN. From Python::

    from app.cli import send
    send("set", "demo", "banner", value={"text": "Doors open"}, url="http://10.0.0.5:5000",
         token="...")

From a shell (the ack is printed as JSON; exit status 1 when it is a refusal)::

    export CHORUS_URL=http://10.0.0.5:5000 CHORUS_API_TOKEN=...
    .venv/bin/python -m app.cli set demo banner '{"text": "hi"}'
    .venv/bin/python -m app.cli incr demo count 1
    .venv/bin/python -m app.cli get demo
    .venv/bin/python -m app.cli watch demo volume | jq .value     # one JSON line per change

``--url`` defaults to CHORUS_URL, then http://127.0.0.1:5000. A refusal is printed as the
server's failure ack (``forbidden`` for a missing or wrong token, with the HTTP status).

The direct store path is a separate option for programs beside the store with no server to
ask: ``--store redis://10.0.0.5/0`` (or ``send(..., store=...)``) writes to the store with the
same rules (versions, ``expect``, ``op``) and tells every process on the message queue
(``--queue``, default CHORUS_MESSAGE_QUEUE); no token is needed, since store access is the
credential. On a single SQLite process there is no queue: the server notices such a write
within its heartbeat (5 s), where an HTTP write reaches clients at once. ``watch`` always
needs a server: it uses the ``chorus_client`` package (clients/python), installed or from
this checkout.

``rooms`` lists every room the store holds with its last activity (a write, or a connection
still open at the last expiry sweep), and ``rooms delete NAME`` removes one at once, with its
polls, questions and presenter claim (app/audience/expiry.py). Both open the store directly
(``--store``, default CHORUS_STORE): a SQLite file or a Redis, not a server's memory store::

    .venv/bin/python -m app.cli rooms
    .venv/bin/python -m app.cli rooms delete squatted-name

``presenter-link ROOM`` prints the room's presenter link, for a presenter who lost it, and
``cohost-link ROOM`` its co-host link (moderation only; made at first ask). They read the token
from the store the same way (``--store``) and build the link on CHORUS_PUBLIC_URL, else the
address the server binds (CHORUS_BIND), as the server's own log lines do::

    .venv/bin/python -m app.cli presenter-link my-talk
    .venv/bin/python -m app.cli cohost-link my-talk
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from app.audience.expiry import Expiry
from app.config import DEFAULTS, message_queue_url, redacted, settings_from_environ
from app.state import open_hashes, open_store
from app.state.errors import FORBIDDEN, UNAVAILABLE, ChorusError
from app.sync.payloads import is_room_name, parse_write

SCRIPT_CLIENT = "script:cli"  # op ids of store writes are remembered apart from browsers' ids
DEFAULT_URL = "http://127.0.0.1:5000"
HTTP_TIMEOUT = 10.0  # seconds: a server that does not answer is an error, not a hang
CLIENT_CHECKOUT = Path(__file__).resolve().parent.parent / "clients" / "python"


def send(kind: str, room: str, key: str, *, value: Any = None, by: float = 1,
         expect: int | None = None, op: str | None = None, url: str | None = None,
         token: str | None = None, store: str | None = None,
         queue: str | None = None) -> dict[str, Any]:
    """Apply a set, incr or delete; returns the ack, raises ChorusError for a refusal.

    Over the HTTP API of ``url`` (CHORUS_URL) with ``token`` (CHORUS_API_TOKEN), unless
    ``store`` is given: then straight to that store and its message queue.
    """
    payload: dict[str, Any] = {}
    if kind == "set":
        payload["value"] = value
        if expect is not None:
            payload["expect"] = expect
    elif kind == "incr":
        payload["by"] = by
    elif kind != "delete":
        raise ChorusError("bad_request", f"kind must be set, incr or delete, not {kind!r}")
    if op:
        payload["op"] = op
    if store:
        return _send_to_store(kind, room, key, payload, store, queue)
    path = f"/api/rooms/{_quote(room)}/values/{_quote(key)}" + ("/incr" if kind == "incr" else "")
    method = {"set": "PUT", "incr": "POST", "delete": "DELETE"}[kind]
    return _http(method, url, path, payload, token)


def read(room: str, store: str | None = None, url: str | None = None) -> dict[str, Any]:
    """A room's current values: from the server's HTTP API, or straight from ``store``."""
    if not is_room_name(room):
        raise ChorusError("bad_request", "room must be 1-64 of A-Z a-z 0-9 _ -")
    if not store:
        return _http("GET", url, f"/api/rooms/{room}", None, None)
    target = open_store(_config(store, None)["STORE"])
    try:
        return {"ok": True, "room": room, **target.join_state(room)}
    finally:
        target.close()


def _http(method: str, url: str | None, path: str, body: dict[str, Any] | None,
          token: str | None) -> dict[str, Any]:
    """One HTTP API request; the JSON answer, or its failure body raised as ChorusError."""
    base = (url or os.environ.get("CHORUS_URL") or DEFAULT_URL).rstrip("/")
    if urllib.parse.urlsplit(base).scheme not in ("http", "https"):
        raise ChorusError("bad_request", f"server URL must start with http:// or https://: {base}")
    token = token if token is not None else os.environ.get("CHORUS_API_TOKEN")
    headers = {"Content-Type": "application/json", "Accept": "application/json"}
    if token and method != "GET":
        headers["Authorization"] = f"Bearer {token}"
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(base + path, data=data, method=method, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=HTTP_TIMEOUT) as reply:
            return json.loads(reply.read())
    except urllib.error.HTTPError as refusal:
        raise _refusal(refusal, bool(token)) from None
    except (urllib.error.URLError, OSError, ValueError) as failure:
        reason = getattr(failure, "reason", failure)
        raise ChorusError(UNAVAILABLE, f"cannot reach {base}: {reason}") from None


def _refusal(refusal: urllib.error.HTTPError, had_token: bool) -> ChorusError:
    """The server's failure body as ChorusError; a token refusal says which token to set."""
    try:
        ack = json.loads(refusal.read())
        error = ack["error"]
        code, message = error["code"], error["message"]
        extra = {k: v for k, v in ack.items() if k not in ("ok", "error")}
    except (ValueError, KeyError, TypeError):
        code, message, extra = "bad_request" if refusal.code < 500 else UNAVAILABLE, "", {}
    message = f"HTTP {refusal.code}: {message or refusal.reason}"
    if code == FORBIDDEN:
        hint = ("the token is not the server's CHORUS_API_TOKEN (403)" if had_token else
                "no token sent: set CHORUS_API_TOKEN to the server's (401 without one, "
                "403 when it is wrong)")
        message = f"{message}; {hint}"
    return ChorusError(code, message, **extra)


def _quote(name: str) -> str:
    return urllib.parse.quote(name, safe="")


def _send_to_store(kind: str, room: str, key: str, payload: dict[str, Any], store: str,
                   queue: str | None) -> dict[str, Any]:
    """The direct path: apply to the store, then tell every server process on the queue."""
    config = _config(store, queue)
    target = open_store(config["STORE"])
    try:
        applied = target.apply(parse_write(kind, {"room": room, "key": key, **payload},
                                           SCRIPT_CLIENT))
    finally:
        target.close()
    queue_url = message_queue_url(config)
    if applied.version is not None and queue_url:
        from app.cluster.message_queue import ChorusRedisManager

        ChorusRedisManager(queue_url, write_only=True).notify("changes", room)
    return applied.ack


def _config(store: str | None, queue: str | None) -> dict[str, Any]:
    config = {**DEFAULTS, **settings_from_environ(os.environ)}
    if store:
        config["STORE"] = store
    if queue:
        config["MESSAGE_QUEUE"] = queue
    return config


def watch(room: str, key: str | None, url: str | None, seconds: float | None) -> int:
    """Print one JSON line per change of ``room`` (of ``key``, if given) until interrupted."""
    try:
        from chorus_client import ChorusError as ClientError
        from chorus_client import Room
    except ImportError:  # not installed: the copy in this checkout
        sys.path.insert(0, str(CLIENT_CHECKOUT))
        from chorus_client import ChorusError as ClientError
        from chorus_client import Room
    base = url or os.environ.get("CHORUS_URL") or DEFAULT_URL
    try:
        with Room(base, room) as joined:
            print(json.dumps({"watching": room, "key": key, "version": joined.version,
                              "epoch": joined.epoch}), flush=True)
            # Ctrl-C (or SIGTERM) closes the room from a thread, which ends the loop below. A
            # KeyboardInterrupt raised wherever the main thread happens to be could leave one of
            # the client's locks held, and closing would then wait on it forever.
            def interrupted(_signum: int, _frame: Any) -> None:
                threading.Thread(target=joined.close, daemon=True).start()
            kept = {sig: signal.signal(sig, interrupted) for sig in (signal.SIGINT, signal.SIGTERM)}
            try:
                for change in joined.changes(key, timeout=seconds):
                    print(json.dumps({"room": change.room, "key": change.key,
                                      "value": change.value, "version": change.version,
                                      "deleted": change.deleted}), flush=True)
            finally:
                for sig, handler in kept.items():
                    signal.signal(sig, handler)
    except ClientError as refusal:
        print(json.dumps({"ok": False, "error": {"code": refusal.code,
                                                 "message": refusal.message}}), flush=True)
        return 1
    except KeyboardInterrupt:
        pass
    return 0


def rooms(store: str | None, delete: str | None = None) -> int:
    """Print each room and its last activity, oldest first; or remove the room ``delete``."""
    url = _config(store, None)["STORE"]
    target, hashes = open_store(url), open_hashes(url)
    expiry = Expiry(target, hashes, ttl=DEFAULTS["ROOM_TTL"])
    try:
        if delete is not None:
            removed = expiry.remove(delete)
            print(json.dumps({"ok": removed, "room": delete, "removed": removed}))
            return 0 if removed else 1
        now = time.time()
        claimed = set(expiry.presenters.rooms())
        for name, at in sorted(target.activity().items(), key=lambda item: item[1]):
            stamp = datetime.fromtimestamp(at, UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
            print(f"{name}\t{stamp}\tidle {_duration(now - at)}"
                  f"{chr(9) + 'presenter' if name in claimed else ''}")
    finally:
        target.close()
        hashes.close()
    return 0


def link(room: str, store: str | None, cohost: bool = False) -> int:
    """Print ``room``'s presenter (or co-host) link; 1 with a message for a room not there."""
    if not is_room_name(room):
        print("room must be 1-64 of A-Z a-z 0-9 _ -", file=sys.stderr)
        return 2
    from app import base_url
    from app.audience.presenters import Presenters

    config = _config(store, None)
    hashes = open_hashes(config["STORE"])
    try:
        presenters = Presenters(hashes)
        token = presenters.cohost(room) if cohost else presenters.token(room)
    finally:
        hashes.close()
    if not token:
        print(f"no room {room} in the store {redacted(config['STORE'])}: it was never created, "
              "or it expired (`rooms` lists the rooms)", file=sys.stderr)
        return 1
    page = "moderate" if cohost else "present"
    print(f"{base_url(config)}/{page}/{room}#token={token}")
    return 0


def _duration(seconds: float) -> str:
    seconds = max(0, int(seconds))
    for unit, size in (("d", 86400), ("h", 3600), ("min", 60)):
        if seconds >= size:
            return f"{seconds // size} {unit}"
    return f"{seconds} s"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m app.cli", description=__doc__.split("\n")[0])
    parser.add_argument("--url", help=f"server URL (default: CHORUS_URL, then {DEFAULT_URL}); "
                                      "the token comes from CHORUS_API_TOKEN")
    parser.add_argument("--store", help="write to this store URL directly instead of a server")
    parser.add_argument("--queue", help="with --store: message queue URL "
                                        "(default: CHORUS_MESSAGE_QUEUE)")
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
    watch_ = commands.add_parser("watch", help="print one JSON line per change, until Ctrl-C")
    watch_.add_argument("room")
    watch_.add_argument("key", nargs="?", help="only this key's changes")
    watch_.add_argument("--seconds", type=float, help="stop after this many seconds")
    rooms_ = commands.add_parser("rooms", help="list rooms and their last activity; "
                                               "`rooms delete NAME` removes one")
    rooms_.add_argument("action", nargs="?", choices=["delete"])
    rooms_.add_argument("name", nargs="?")
    for name, what in (("presenter-link", "presenter"), ("cohost-link", "co-host")):
        link_ = commands.add_parser(name, help=f"print a room's {what} link (keep it secret)")
        link_.add_argument("room")
    args = parser.parse_args(argv)
    if args.command in ("presenter-link", "cohost-link"):
        return link(args.room, args.store, cohost=args.command == "cohost-link")
    if args.command == "rooms":
        if args.action == "delete" and not args.name:
            parser.error("rooms delete needs the room's name")
        if args.action is None and args.name:
            parser.error("rooms takes no name; to remove one: rooms delete NAME")
        return rooms(args.store, args.name if args.action == "delete" else None)
    if args.command == "watch":
        if args.store:
            parser.error("watch follows a server: give --url, not --store")
        return watch(args.room, args.key, args.url, args.seconds)
    try:
        if args.command == "get":
            ack = read(args.room, args.store, args.url)
        else:
            fields: dict[str, Any] = {"op": args.op, "store": args.store, "queue": args.queue,
                                      "url": args.url}
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
