"""The naive reference server: /sync written the way the Flask-SocketIO tutorial writes things.

One module, function handlers, Flask-SocketIO's normal dispatch (a request context per event,
``request.sid``), ``join_room``/``leave_room``, state in module-level dicts, and every change
emitted to its room at once, as a batch of exactly that change. No coalescing, no store layer,
no background tasks. It speaks the same wire contract as Chorus (docs/protocol.md, including its
choices where the contract is open), so both pass the same contract tests and the benchmark
compares like with like. The payload and write rules are Chorus's own functions
(``app.sync.payloads``, ``app.state.writes``), so validation costs and answers are the same.

Start it like Chorus, with the same gunicorn settings and worker:

    .venv/bin/gunicorn -c gunicorn.conf.py bench.naive.app:app -b 127.0.0.1:5001

bench/naive/README.md lists the few places where the tutorial style needed help to keep the
contract.
"""

from gevent import monkey

monkey.patch_all()

import logging  # noqa: E402  (everything follows the patching)
import os  # noqa: E402
import secrets  # noqa: E402
import time  # noqa: E402
import warnings  # noqa: E402
from collections import OrderedDict  # noqa: E402
from typing import Any  # noqa: E402

from engineio.payload import Payload  # noqa: E402
from flask import Flask, request  # noqa: E402
from flask_socketio import (  # noqa: E402
    ConnectionRefusedError,
    SocketIO,
    emit,
    join_room,
    leave_room,
)

from app.state.errors import (  # noqa: E402
    NOT_JOINED,
    ChorusError,
    bad_request,
    too_large,
    unavailable,
)
from app.state.writes import (  # noqa: E402
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
from app.sync.payloads import parse_auth, parse_join, parse_leave, parse_write  # noqa: E402

MAX_PAYLOAD = 1_000_000
LOG_SIZE = 1000  # room versions a `since` can reach back
MAX_KEYS = 256  # live keys per room
MAX_ROOMS = 10000  # rooms in memory
MAX_ROOMS_PER_CONNECTION = 32
OP_TTL = 900.0  # seconds an op id is remembered
EVENTS = "delete, incr, join, leave, set"

log = logging.getLogger(__name__)

# gunicorn.conf.py turns on gevent's monitor thread, which says once that it cannot watch memory
# without psutil; wsgi.py silences the same line.
warnings.filterwarnings("ignore", message="Unable to monitor memory usage")

# Engine.IO drops a polling POST of more than 16 packets whole (while answering 200): let a POST
# within max_http_buffer_size carry as many packets as fit in it, as
# app/transport/polling_posts.py does.
Payload.max_decode_packets = max(Payload.max_decode_packets, MAX_PAYLOAD // 2 + 1)

app = Flask(__name__)
app.config["SECRET_KEY"] = os.environ.get("CHORUS_SECRET_KEY") or secrets.token_hex(16)
socketio = SocketIO(app, async_mode="gevent", max_http_buffer_size=MAX_PAYLOAD)


# --- state, in memory: lost on restart, hence a new epoch at every start ------------------------

EPOCH = secrets.token_urlsafe(9)


class Room:
    """One room's keys (Chorus's Entry records) and its version."""

    def __init__(self) -> None:
        self.version = 0
        self.floor = 0  # a `since` below this is answered with values (a tombstone was forgotten)
        self.key_floor = 0  # highest version among forgotten tombstones
        self.entries: dict[str, Entry] = {}
        self.live = 0
        self.dead = 0


rooms: dict[str, Room] = {}  # room name -> state, from its first applied write
ops: OrderedDict[tuple[str, str], tuple[dict, float]] = OrderedDict()  # (client, op) -> ack
clients: dict[str, str] = {}  # sid -> client id
joined: dict[str, set[str]] = {}  # sid -> rooms it has joined
members: dict[str, dict[str, set[str]]] = {}  # room -> client id -> sids


# --- HTTP --------------------------------------------------------------------------------------

@app.get("/healthz")
def healthz():
    return {"ok": True}


# --- connection --------------------------------------------------------------------------------

@socketio.on("connect", namespace="/sync")
def on_connect(auth=None):
    if not socketio.server.manager.is_pre_connected(request.sid, "/sync"):
        # A client sent an event named "connect": python-socketio routes it here.
        return bad_request("unknown event 'connect'; this namespace takes " + EVENTS).ack()
    try:
        client, _name = parse_auth(auth)
    except ChorusError as refusal:
        refused = ConnectionRefusedError(refusal.message)
        refused.error_args = {"code": refusal.code, "message": refusal.message}
        raise refused from None
    clients[request.sid] = client or "anon-" + secrets.token_urlsafe(12)
    joined[request.sid] = set()


@socketio.on("disconnect", namespace="/sync")
def on_disconnect(reason=None, *_extra):
    sid = request.sid
    if sid not in socketio.server.manager.pending_disconnect.get("/sync", ()):
        # A client sent an event named "disconnect": python-socketio routes it here too.
        return bad_request("unknown event 'disconnect'; this namespace takes " + EVENTS).ack()
    client = clients.pop(sid, None)
    for room in joined.pop(sid, ()):
        leave_room(room)
        depart(room, client, sid)


# --- events ------------------------------------------------------------------------------------

@socketio.on("join", namespace="/sync")
def on_join(*args):
    sid, client = who()
    want = parse_join(one_payload("join", args))
    room = want.room
    mine = joined[sid]
    fresh = room not in mine
    if fresh and len(mine) >= MAX_ROOMS_PER_CONNECTION:
        raise too_large(f"a connection may join at most {MAX_ROOMS_PER_CONNECTION} rooms")
    if fresh:
        join_room(room)
        mine.add(room)
    state = rooms.get(room) or Room()
    reaches = want.epoch in (None, EPOCH) and since_reaches(
        want.since, state.version, state.floor, LOG_SIZE)
    body = join_body(EPOCH, state.version, state.entries, want.since, reaches)
    count = arrive(room, client, sid)
    return {"ok": True, "room": room, **body, "members": count, "client": client}


@socketio.on("leave", namespace="/sync")
def on_leave(*args):
    sid, client = who()
    room = parse_leave(one_payload("leave", args))
    if room in joined[sid]:
        joined[sid].discard(room)
        leave_room(room)
        depart(room, client, sid)
    return {"ok": True}


@socketio.on("set", namespace="/sync")
def on_set(*args):
    return write("set", one_payload("set", args))


@socketio.on("incr", namespace="/sync")
def on_incr(*args):
    return write("incr", one_payload("incr", args))


@socketio.on("delete", namespace="/sync")
def on_delete(*args):
    return write("delete", one_payload("delete", args))


@socketio.on("*", namespace="/sync")
def on_unknown(event, *args):
    return bad_request(f"unknown event {repr(event)[:70]}; this namespace takes {EVENTS}").ack()


# Help the tutorial style cannot do without: python-socketio runs the "*" handler for an event
# literally named "*" without passing the name (Flask-SocketIO's wrapper then takes the payload
# for the sid and fails), and looks up an unhashable event name (a list, an object) in a dict
# (TypeError). Either way the event would go unanswered; send both to the catch-all, named.
_find_handler = socketio.server._get_event_handler


def _find_handler_any_name(event, namespace, args):
    if isinstance(event, str) and event != "*":
        return _find_handler(event, namespace, args)
    catch_all = socketio.server.handlers.get(namespace, {}).get("*")
    if catch_all is None:
        return _find_handler(event, namespace, args)
    return catch_all, (event, *args)


socketio.server._get_event_handler = _find_handler_any_name


@socketio.on_error("/sync")
def on_error(exc):
    """Every refusal becomes the failure ack; anything unexpected is logged and `unavailable`."""
    if isinstance(exc, ChorusError):
        return exc.ack()
    log.exception("/sync %s from %s failed", request.event["message"], request.sid)
    return unavailable("the server failed to handle this event").ack()


# --- helpers -----------------------------------------------------------------------------------

def who() -> tuple[str, str]:
    """This event's connection and client id; an event racing its own disconnect is refused."""
    sid = request.sid
    client = clients.get(sid)
    if client is None:
        raise unavailable("this connection is closing")
    return sid, client


def one_payload(event: str, args: tuple) -> Any:
    if len(args) != 1:
        raise bad_request(f"{event} takes one payload object, got {len(args)} arguments")
    return args[0]


def write(kind: str, data: Any) -> dict:
    """Validate, check membership, replay a known op, apply, remember, broadcast, answer."""
    sid, client = who()
    change = parse_write(kind, data, client)
    if change.room not in joined[sid]:
        raise ChorusError(NOT_JOINED, f"join {change.room} before writing to it")
    if change.op is not None:
        seen = ops.get((client, change.op))
        if seen is not None:
            return seen[0]
    try:
        ack, room, entry = apply(change)
    except Conflict as conflict:
        ack, entry = conflict.ack(), None
    if change.op is not None:
        remember(client, change.op, ack)
    if entry is not None:
        emit("changes", {"room": change.room, "epoch": EPOCH, "from": room.version - 1,
                         "version": room.version, "changes": [change_of(change.key, entry)]},
             to=change.room)
    return ack


def apply(change) -> tuple[dict, Room | None, Entry | None]:
    """Apply one write by Chorus's rules; the entry is None when nothing changed."""
    room = rooms.get(change.room)
    if room is None:
        if change.kind == "delete":
            return unchanged_ack(None), None, None
        if len(rooms) >= MAX_ROOMS:
            raise too_large(f"the server holds at most {MAX_ROOMS} rooms")
        room = Room()
    current = room.entries.get(change.key)
    entry = plan(change, current, room.live, MAX_KEYS, room.key_floor)
    if entry is None:
        return unchanged_ack(current), room, None
    rooms[change.room] = room
    room.version += 1
    entry.rversion = room.version
    room.live += (not entry.deleted) - (current is not None and not current.deleted)
    room.dead += entry.deleted - (current is not None and current.deleted)
    room.entries[change.key] = entry
    if room.dead > MAX_TOMBSTONES:  # forget the oldest deleted key (docs/protocol.md, choice 7)
        key, old = min(((k, e) for k, e in room.entries.items() if e.deleted),
                       key=lambda item: item[1].rversion)
        del room.entries[key]
        room.dead -= 1
        room.floor = max(room.floor, old.rversion)
        room.key_floor = max(room.key_floor, old.version)
    return ack_for(change, entry), room, entry


def remember(client: str, op: str, ack: dict) -> None:
    """Keep an ok or conflict answer for OP_TTL seconds, sweeping out the expired ones."""
    now = time.monotonic()
    ops[(client, op)] = (ack, now)
    horizon = now - OP_TTL
    while ops:
        _, (_, at) = next(iter(ops.items()))
        if at >= horizon:
            break
        ops.popitem(last=False)


def arrive(room: str, client: str, sid: str) -> int:
    """Count ``sid`` in ``room``; a new client changes the count, announced at once."""
    here = members.setdefault(room, {})
    sids = here.setdefault(client, set())
    new = not sids
    sids.add(sid)
    if new:
        emit("presence", {"room": room, "members": len(here)}, to=room)
    return len(here)


def depart(room: str, client: str | None, sid: str) -> None:
    """Forget ``sid`` in ``room``; a client's last connection leaving changes the count."""
    here = members.get(room)
    if here is None or client not in here:
        return
    sids = here[client]
    sids.discard(sid)
    if sids:
        return
    del here[client]
    if not here:
        del members[room]
        return
    emit("presence", {"room": room, "members": len(here)}, to=room)
