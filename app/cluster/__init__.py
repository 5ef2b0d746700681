"""The cluster layer: several Chorus processes sharing one Redis.

Flask-SocketIO's Redis message queue carrying "room R moved" notices (message_queue.py), the
heartbeat that catches up on notices lost on the way (notices.py), and presence counted across
processes (shared_presence.py). It imports only app/state/ (for the Redis client's settings);
the layers above give it their callbacks.
"""
