"""The server entry point: ``gunicorn -c gunicorn.conf.py wsgi:app``.

Monkey patching comes first, before anything else is imported, so that every module (Flask,
sqlite3's callers, redis, the socket and threading modules) sees gevent's cooperative versions.
This is the only place in Chorus that patches; ``app/`` never does, so unit tests can import it
unpatched. gunicorn's gevent worker patches too as it starts; doing it here as well keeps the
order right whatever starts this module.
"""

from gevent import monkey

monkey.patch_all()

import logging  # noqa: E402  (everything follows the patching)
import warnings  # noqa: E402

from app import create_app  # noqa: E402
from app.config import SettingError  # noqa: E402

# gevent's monitor thread (enabled in gunicorn.conf.py to catch blocking calls) would also watch
# memory if psutil were installed, and says so once at start; the blocking watch is what we use.
warnings.filterwarnings("ignore", message="Unable to monitor memory usage")

try:
    app = create_app()
except SettingError as exc:
    # A setting that can never work: one line naming it, then gunicorn stops (exit code 3 is
    # its "worker failed to boot", which halts the master instead of restarting the worker).
    logging.getLogger("chorus").critical("cannot start: %s", exc)
    raise SystemExit(3) from None
