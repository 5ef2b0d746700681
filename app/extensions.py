"""Extension instances, unbound: ``create_app`` binds them with ``init_app``.

Kept apart from the factory so any module can import ``socketio`` or ``babel`` without importing
an app.
"""

from flask_babel import Babel
from flask_socketio import SocketIO

socketio = SocketIO()
babel = Babel()  # gettext catalogues in app/translations/, one locale per request (web/locale.py)
