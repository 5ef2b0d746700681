"""How Chorus decodes Socket.IO packets (given to Flask-SocketIO as ``serializer=``).

python-socketio's own decoding drops an event, logging a "message handler error" and sending
no ack, when its JSON cannot be decoded (nested a few thousand levels deep, a number of more
than 4,300 digits, broken text) or when the event's data is not a non-empty array (``[]``, an
object, a number). The client then waits for an ack that never comes. Here every such event
decodes as an event named UNDECODABLE, which every namespace answers with ``bad_request``
under the packet's own ack id (app/namespaces/base.py).
"""

from __future__ import annotations

import json
from typing import Any

from socketio import packet

UNDECODABLE = "\x00undecodable"  # no client can send this name: it is not valid JSON text


class _Codec:
    """The standard library's JSON, with a decoding failure turned into UNDECODABLE."""

    @staticmethod
    def loads(text: str | bytes, **kwargs: Any) -> Any:
        try:
            return json.loads(text, **kwargs)
        except (RecursionError, ValueError):
            return [UNDECODABLE]

    @staticmethod
    def dumps(obj: Any, **kwargs: Any) -> str:
        return json.dumps(obj, **kwargs)


class ChorusPacket(packet.Packet):
    """python-socketio's packet, whose events always carry ``[name, *args]``."""

    json = _Codec

    def decode(self, encoded_packet: str | bytes) -> int:
        attachments = super().decode(encoded_packet)
        if self.packet_type in (packet.EVENT, packet.BINARY_EVENT) and \
                not (isinstance(self.data, list) and self.data):
            self.data = [UNDECODABLE]
        return attachments
