"""Echo servers on Chorus's own transport, for the Engine.IO v4 and Socket.IO v5 protocol rules.

Served by gunicorn with Chorus's worker (chorus_worker.py), and with the lean sockets
(app/transport/lean_socket.py) or Engine.IO's own (CHORUS_LEAN_SOCKETS=0), so the protocol
tests in this folder judge the transport the app runs on, not a stand-in:

    gunicorn -c /dev/null -k chorus_worker.GeventWebSocketWorker -b 127.0.0.1:3000 \\
        tests.conformance.echo_app:engineio_app      # or :socketio_app

``engineio_app`` echoes every Engine.IO message at /engine.io/; ``socketio_app`` serves "/" and
"/custom" at /socket.io/, answering ``auth`` at connect, ``message`` with ``message-back`` and
``message-with-ack`` with an ack of the same arguments. Pings every 0.3 s, 0.2 s timeout, as the
protocol suites expect.
"""

from gevent import monkey

monkey.patch_all()

import os  # noqa: E402

import engineio  # noqa: E402
import socketio  # noqa: E402

from app.transport import engineio_rules  # noqa: E402

PING_INTERVAL = float(os.environ.get("ECHO_PING_INTERVAL", "0.3"))
PING_TIMEOUT = float(os.environ.get("ECHO_PING_TIMEOUT", "0.2"))
OPTIONS = {"async_mode": "gevent", "ping_interval": PING_INTERVAL, "ping_timeout": PING_TIMEOUT,
           "max_http_buffer_size": 1_000_000, "cors_allowed_origins": "*"}

if os.environ.get("CHORUS_LEAN_SOCKETS", "1") != "0":
    from app.transport import lean_socket

    lean_socket.install()
else:
    engineio_rules.install()


def _engineio_echo():
    server = engineio.Server(**OPTIONS)
    engineio_rules.strict_requests(server)

    @server.on("message")
    def echo(sid, data):
        server.send(sid, data)

    return engineio.WSGIApp(server, engineio_path="engine.io")


def _socketio_echo():
    # always_connect: the CONNECT answer goes out before the handler's first emit
    server = socketio.Server(always_connect=True, **OPTIONS)
    engineio_rules.strict_requests(server.eio)
    for namespace in ("/", "/custom"):
        def connect(sid, environ, auth, namespace=namespace):
            server.emit("auth", auth if auth is not None else {}, to=sid, namespace=namespace)

        def message(sid, *args, namespace=namespace):
            server.emit("message-back", args, to=sid, namespace=namespace)

        def message_with_ack(sid, *args):
            return args

        server.on("connect", connect, namespace=namespace)
        server.on("message", message, namespace=namespace)
        server.on("message-with-ack", message_with_ack, namespace=namespace)
    return socketio.WSGIApp(server)


engineio_app = _engineio_echo()
socketio_app = _socketio_echo()
