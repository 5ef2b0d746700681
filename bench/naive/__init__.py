"""A naive Flask-SocketIO server in the tutorial style, speaking the /sync contract."""
