"""The transport layer: everything between a client's socket and Engine.IO's packets.

The lean websocket and polling socket with its pinger, caps on polling POSTs, Socket.IO packet
decoding that never drops an event, origin checks, connection admission and counting, and the
per-connection event budget. It imports nothing else from app/ (gevent, python-engineio and
python-socketio only), so it can be read, tested and replaced on its own; its refusals are its
own exceptions, which the namespaces answer in the contract's words.
"""
