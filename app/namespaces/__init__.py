"""The Socket.IO namespaces: one class per namespace, with thin ``on_<event>`` handlers.

base.py dispatches every event to a contract answer; sync.py serves /sync over app/sync/;
audience.py is the base of /poll, /qa and /pulse over app/audience/. Handlers validate, call the
layer below and return the ack. Namespaces may import every layer but web/, and are registered
by the factory after ``socketio.init_app``.
"""
