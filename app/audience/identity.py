"""The device id: one signed cookie per browser, so a vote or an upvote counts once per device.

The first page a browser loads sets ``chorus_device`` to a random id signed with the app's
secret key. Socket.IO connections carry the cookie, and the audience namespaces read the id from
it at connect; a client cannot choose its id (a made-up one fails the signature), so a script
cannot vote many times by inventing client ids. What it does not stop: a browser that clears its
cookies (or opens a private window) is a new device. See docs/audience.md.
"""

from __future__ import annotations

import secrets

from itsdangerous import BadSignature, URLSafeSerializer
from werkzeug.http import parse_cookie

DEVICE_COOKIE = "chorus_device"
DEVICE_MAX_AGE = 365 * 24 * 3600
_SALT = "chorus-device"


class DeviceIds:
    """Makes and checks signed device ids with one secret."""

    def __init__(self, secret: str) -> None:
        self._signer = URLSafeSerializer(secret, salt=_SALT)

    def new_cookie(self) -> str:
        """A fresh signed device id, for the cookie."""
        return self._signer.dumps(secrets.token_urlsafe(12))

    def read(self, cookie_value: str | None) -> str | None:
        """The device id in a cookie value, or None when absent or forged."""
        if not cookie_value:
            return None
        try:
            device = self._signer.loads(cookie_value)
        except BadSignature:
            return None
        return device if isinstance(device, str) else None

    def from_environ(self, environ: dict) -> str | None:
        """The device id of the request that opened a Socket.IO connection.

        Read as browsers send cookies (werkzeug's parser, Flask's own): the standard library's
        SimpleCookie gives up on the whole header when any other cookie of the site is not
        RFC-clean (``theme=dark mode``), and that browser could never vote again."""
        return self.read(parse_cookie(environ).get(DEVICE_COOKIE))
