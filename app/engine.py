"""Engine.IO settings that must be set process-wide, before the first request.

python-engineio decodes a long-polling POST with ``Payload``, whose class attribute
``max_decode_packets`` defaults to 16: a POST carrying a 17th packet is dropped whole, while the
client is told 200. A browser that queued 100 clicks while its poll was in flight sends them in
one POST, so the cap is raised to what ``maxPayload`` allows (a packet is at least one byte and a
separator). python-socketio's client reads polls with the same class, so tests that poll raise it
on their side too.
"""

from engineio.payload import Payload


def allow_full_polling_posts(max_payload: int) -> None:
    """Let a POST within ``max_payload`` bytes carry as many packets as fit in it."""
    Payload.max_decode_packets = max(Payload.max_decode_packets, max_payload // 2 + 1)
