"""The Engine.IO handshake, announcing the ping interval the server really uses.

python-engineio 4.15 writes the OPEN packet's ``pingInterval`` as ``int(seconds) * 1000``: the
interval is truncated to whole seconds before it becomes milliseconds, so 0.5 s is announced as
0 ms and 2.5 s as 2000 ms. A client then expects pings at the wrong pace (socket.io-client
allows pingInterval + pingTimeout before it gives up, so a late announcement makes it drop
healthy connections). The sockets correct the packet as it is sent; the rest of the handshake is
Engine.IO's own.
"""

from __future__ import annotations

import engineio.socket
from engineio import packet


def exact_ping_interval(server, pkt: packet.Packet) -> None:
    """Set an OPEN packet's pingInterval to the server's interval, in whole milliseconds."""
    if pkt.packet_type == packet.OPEN and isinstance(pkt.data, dict):
        seconds = server.ping_interval + getattr(server, "ping_interval_grace_period", 0)
        pkt.data["pingInterval"] = round(seconds * 1000)


class ExactHandshakeSocket(engineio.socket.Socket):
    """Engine.IO's own socket, with the handshake's interval corrected."""

    def send(self, pkt):
        exact_ping_interval(self.server, pkt)
        return super().send(pkt)


def install() -> None:
    """Make python-engineio create these sockets (process-wide), where the lean ones are off."""
    engineio.socket.Socket = ExactHandshakeSocket
