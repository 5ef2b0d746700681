"""How log lines look: text by default, one JSON object per line with CHORUS_LOG_FORMAT=json.

gunicorn.conf.py builds its ``logconfig_dict`` from ``logging_config()``, so the app's loggers,
gunicorn's error log and its access log (CHORUS_ACCESS_LOG) all share one handler and one
format. Like chorus_worker.py, this module imports nothing from app/: gunicorn's master imports
it before the app exists.

In JSON, the fields of a text line are keys of their own: the app passes the room, client,
event and code of a line as ``extra`` (they are in the text message as well), and an access
line's parts (remote address, method, path, status, bytes, seconds) are fields too. Chorus's
worker serves requests through gevent-websocket's handler, which writes the access lines itself
(logger ``geventwebsocket.handler``, in the common log format); they are parsed back into fields
here, as are gunicorn's own access atoms should another worker write them.
"""

from __future__ import annotations

import re
from typing import Any

from pythonjsonlogger.json import JsonFormatter

TEXT = "%(asctime)s [%(process)d] %(levelname)s %(name)s: %(message)s"
JSON_FIELDS = "%(asctime)s %(process)d %(levelname)s %(name)s %(message)s"
# gunicorn's access atoms, by the names a log shipper would look for.
ACCESS_FIELDS = {"h": "remote", "m": "method", "U": "path", "q": "query", "H": "protocol",
                 "s": "status", "B": "bytes", "M": "duration_ms", "f": "referer",
                 "a": "user_agent"}


# gevent-websocket's access line: 127.0.0.1 - - [2026-12-07 11:28:30] "GET /p HTTP/1.1" 200 323 0.09
HANDLER_LINE = re.compile(r'(?P<remote>\S+) - - \[[^\]]*\] "(?P<method>\S+) (?P<path>\S+) '
                          r'(?P<protocol>[^"]+)" (?P<status>\d+) (?P<bytes>\S+) (?P<seconds>\S+)')


class JsonLines(JsonFormatter):
    """python-json-logger's formatter, with the parts of an access line as fields."""

    def add_fields(self, log_record: dict[str, Any], record, message_dict: dict) -> None:
        super().add_fields(log_record, record, message_dict)
        if record.name == "gunicorn.access" and isinstance(record.args, dict):
            for atom, name in ACCESS_FIELDS.items():
                value = record.args.get(atom)
                if value not in (None, "-", ""):
                    log_record[name] = value
        elif record.name == "geventwebsocket.handler":
            access = HANDLER_LINE.match(record.getMessage())
            if access:
                log_record.update(access.groupdict())


def logging_config(level: str, log_format: str, access: bool) -> dict[str, Any]:
    """The ``logconfig_dict`` for gunicorn: one stdout handler in ``log_format``."""
    if log_format not in ("text", "json"):
        raise ValueError(f"CHORUS_LOG_FORMAT={log_format!r}: must be text or json")
    formatter: dict[str, Any] = {"format": TEXT}
    if log_format == "json":
        formatter = {"()": JsonLines, "fmt": JSON_FIELDS,
                     "rename_fields": {"levelname": "level", "name": "logger",
                                       "process": "pid", "asctime": "time"}}
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"line": formatter},
        "handlers": {"stdout": {"class": "logging.StreamHandler", "formatter": "line",
                                "stream": "ext://sys.stdout"}},
        "root": {"level": level.upper(), "handlers": ["stdout"]},
        "loggers": {
            "gunicorn.error": {"level": level.upper(), "handlers": [], "propagate": True},
            "gunicorn.access": {"level": "INFO", "handlers": [], "propagate": True},
            # gevent-websocket's handler logs every request itself, outside gunicorn's access
            # log: it follows CHORUS_ACCESS_LOG too (every long-poll would otherwise be a line).
            "geventwebsocket.handler": {"level": "INFO" if access else "WARNING"},
            # python-socketio and python-engineio give a logger whose level is unset a handler
            # of their own, which writes bare text lines; with a level set here they keep to the
            # root handler and its format (ERROR is what they use when logging is off).
            "engineio.server": {"level": "ERROR"},
            "socketio.server": {"level": "ERROR"},
        },
    }
