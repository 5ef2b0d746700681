"""HTTP errors of the pages (a mistyped room address, a wrong method) as a page in the reader's
language, instead of Werkzeug's English one. Errors under /api stay JSON (web/api.py)."""

from __future__ import annotations

from flask import Response, make_response, render_template
from flask_babel import gettext as _
from werkzeug.exceptions import HTTPException


def error_page(error: HTTPException) -> Response:
    """The error's page, with its status and headers (a 405's Allow)."""
    status = error.code or 500
    if status == 404:
        title = _("This page does not exist")
        explanation = _("Check the address: a room's page is /r/ followed by its name, "
                        "1-64 letters, digits, - or _.")
    elif status == 405:
        title = _("This address does not take that request")
        explanation = _("Open it in the browser, or use the form on its page.")
    elif status == 413:
        title = _("That is too large")
        explanation = _("The server takes smaller requests: send less at once.")
    else:
        title = _("The request could not be served")
        explanation = _("The server answered %(status)s. Try again, or start over.",
                        status=status)
    body = render_template("error.html", title=title, explanation=explanation)
    response = make_response(body, status)
    for name, value in error.get_headers():
        if name.lower() != "content-type":
            response.headers[name] = value
    return response
