"""Extension instances, unbound: ``create_app`` binds them with ``init_app``.

Kept apart from the factory so any module can import ``socketio`` without importing an app.
"""

from flask_socketio import SocketIO

socketio = SocketIO()
