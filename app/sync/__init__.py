"""The sync layer: the /sync model of docs/protocol.md, without Flask or Socket.IO.

Payload rules (payloads.py), joins, leaves and writes (rooms.py), the batches of ``changes``
built from the store once per tick (broadcast.py, coalescer.py) and presence (presence.py). It
imports only app/state/, and talks to storage only through its store interface; everything else
(emit, timers, the cluster's tellers) is given to it as plain callables, so every rule tests as
a function call.
"""
