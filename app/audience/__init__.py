"""Audience mode: presenter tokens, device identity, polls, questions, reactions and pace.

Each feature is a small service over the shared hashes (app/state/hashes.py), so its counts are
exact across processes; each has its own Socket.IO namespace in app/namespaces/. What changes is
sent to the room by a ``Feed`` (feed.py), rebuilt from the store, like the rooms' batches.
"""
