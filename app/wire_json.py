"""The JSON codec of Chorus's Socket.IO packets (passed to Flask-SocketIO as ``json=``).

The standard library's, with one failure turned into an answer. A payload nested a few thousand
levels deep makes ``json.loads`` raise RecursionError inside python-socketio's packet decoding,
where the error is logged and the event dropped: the client waits for an ack that never comes.
Here such a packet decodes as an event named UNDECODABLE, which every namespace answers with
``bad_request`` under the packet's own ack id.
"""

from __future__ import annotations

import json
from typing import Any

UNDECODABLE = "\x00undecodable"  # no client can send this name: it is not valid in a room


def loads(text: str | bytes, **kwargs: Any) -> Any:
    try:
        return json.loads(text, **kwargs)
    except RecursionError:
        return [UNDECODABLE]


def dumps(obj: Any, **kwargs: Any) -> str:
    return json.dumps(obj, **kwargs)
