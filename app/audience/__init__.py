"""The audience layer: presenter tokens, device identity, polls, questions, reactions and pace.

Each feature is a small service over the shared hashes (app/state/hashes.py), so its counts are
exact across processes; what changes is sent to the room by a ``Feed`` (feed.py), rebuilt from
the store, like the rooms' batches. It may import sync, cluster and state, never Flask or the
namespaces above it (app/namespaces/poll.py, qa.py, pulse.py serve it over Socket.IO).
"""
