"""Which language a page speaks, and the page scripts' copy of the message catalogue.

The locale of a request, first match wins: an explicit switch (``?lang=de``, then remembered in
the ``chorus_lang`` cookie), the language the room's presenter chose (app/audience/languages.py,
in the store, so every instance agrees), the browser's ``Accept-Language``, then English.
Templates translate with ``_()``; page scripts fetch ``/i18n/<locale>.json``, built from the
same compiled catalogue, through static/i18n.js.
"""

from __future__ import annotations

import hashlib
import json
import os
from urllib.parse import urlencode

from babel import Locale
from babel.support import Translations
from flask import Blueprint, Flask, Response, abort, current_app, g, request, url_for
from flask_babel import get_locale

from app.audience.languages import RoomLanguages
from app.extensions import socketio
from app.state.errors import BAD_REQUEST, FORBIDDEN, ChorusError
from app.sync.payloads import is_room_name
from app.web.context import services
from app.web.presenter_cookie import presented_token

DEFAULT_LOCALE = "en"  # the message ids are English: no catalogue needed
LANG_COOKIE = "chorus_lang"
LANG_MAX_AGE = 365 * 24 * 3600
CATALOGUE_MAX_AGE = 3600  # seconds a browser may reuse /i18n/<locale>.json unasked
# The pages ask for /i18n/<locale>.json?v=<its hash>: that address can never hold other text,
# so a browser keeps it for a year, and a new catalogue (another hash) is fetched at once.
VERSIONED_MAX_AGE = 365 * 24 * 3600

bp = Blueprint("locale", __name__)


def available_locales(app: Flask) -> tuple[str, ...]:
    """English, then every locale with a catalogue in app/translations/ (sorted)."""
    folder = os.path.join(app.root_path, "translations")
    found = sorted(name for name in os.listdir(folder)
                   if os.path.isfile(os.path.join(folder, name, "LC_MESSAGES", "messages.po")))
    return (DEFAULT_LOCALE, *[name for name in found if name != DEFAULT_LOCALE])


def locales() -> tuple[str, ...]:
    """The locales this app serves."""
    return current_app.extensions["chorus.locales"]


def room_languages() -> RoomLanguages:
    """Each room's chosen language, over this app's shared hashes."""
    return RoomLanguages(services().hashes, locales())


def select_locale() -> str:
    """Flask-Babel's locale selector: switch, cookie, room, Accept-Language, English. Where the
    choice came from is kept in ``g.locale_source`` for the page (``<html data-locale-source>``):
    only a page that did not choose for itself follows the room's language live."""
    offered = locales()
    for asked in (request.args.get("lang"), request.cookies.get(LANG_COOKIE)):
        if asked in offered:
            g.locale_source = "switch"
            return asked
    chosen = page_room_language()
    if chosen:
        g.locale_source = "room"
        return chosen
    g.locale_source = "browser"
    return request.accept_languages.best_match(offered) or DEFAULT_LOCALE


def remember_switch(response: Response) -> Response:
    """after_request of every page: a ``?lang=`` switch is kept in a cookie; ``?lang=auto``
    forgets it, so the room's or the browser's language applies again."""
    asked = request.args.get("lang")
    if asked in locales():
        response.set_cookie(LANG_COOKIE, asked, max_age=LANG_MAX_AGE, httponly=True,
                            samesite="Lax", secure=request.is_secure)
    elif asked == "auto":
        response.delete_cookie(LANG_COOKIE)
    return response


def locale_context() -> dict:
    """Template globals: the page's locale (``<html lang>``) and the language switch's links,
    each named in its own language."""
    names = {code: Locale.parse(code).get_display_name(code).capitalize() for code in locales()}
    page_locale = str(get_locale() or DEFAULT_LOCALE)  # runs select_locale once per request
    return {"page_locale": page_locale, "locale_source": g.get("locale_source", "browser"),
            "language_links": [(code, names[code], switch_url(code)) for code in locales()],
            "language_names": names,
            "catalogue_url": url_for("locale.catalogue", locale=page_locale,
                                     v=_catalogue(page_locale)[1]),
            "room_language": page_room_language()}


def page_room_language() -> str | None:
    """The language chosen for the room this page is about (None: no room, or no choice),
    read from the store once per request: the selector and the page's template both ask."""
    if "room_language" not in g:
        room = (request.view_args or {}).get("room")
        g.room_language = room_languages().get(room) if room and is_room_name(room) else None
    return g.room_language


def switch_url(code: str) -> str:
    """This page's address (its query kept) in locale ``code``."""
    if request.endpoint is None:
        return "?" + urlencode({"lang": code})
    query = request.args.to_dict()
    query["lang"] = code
    return url_for(request.endpoint, **(request.view_args or {}), **query)


@bp.get("/i18n/<locale>.json")
def catalogue(locale: str):
    """Every translated message of ``locale``, English id -> text, for static/i18n.js."""
    if locale not in locales():
        abort(404)
    body, version = _catalogue(locale)
    response = Response(body, mimetype="application/json")
    response.set_etag(version)
    response.cache_control.public = True
    if request.args.get("v") == version:
        response.cache_control.max_age = VERSIONED_MAX_AGE
        response.cache_control.immutable = True
    else:
        response.cache_control.max_age = CATALOGUE_MAX_AGE
    return response.make_conditional(request)


def _catalogue(locale: str) -> tuple[str, str]:
    """The locale's messages as JSON, and their hash; read once per process (`make install`
    compiles the catalogues before a server starts)."""
    made = current_app.extensions.setdefault("chorus.catalogues", {})
    if locale not in made:
        body = json.dumps(_messages(locale), ensure_ascii=False, sort_keys=True)
        made[locale] = (body, hashlib.sha256(body.encode()).hexdigest()[:16])
    return made[locale]


def _messages(locale: str) -> dict[str, str]:
    if locale == DEFAULT_LOCALE:
        return {}
    folder = os.path.join(current_app.root_path, "translations")
    loaded = Translations.load(folder, [locale])
    return {key: text for key, text in getattr(loaded, "_catalog", {}).items()
            if isinstance(key, str) and key and text}


@bp.put("/api/rooms/<room>/language")
def set_room_language(room: str):
    """The presenter chooses the language of the room's pages (token), or ``null`` to let each
    phone follow its browser. Pages load in it from then on; the open ones hear a ``language``
    event on /pulse (through the message queue, on every instance) and reload when they can."""
    if not is_room_name(room):
        abort(404)
    if not services().audience.presenters.verify(room, presented_token()):
        return ChorusError(FORBIDDEN, "the room's language needs its presenter token").ack(), 403
    body = request.get_json(silent=True)
    chosen = body.get("locale", "") if isinstance(body, dict) else ""
    if chosen is not None and chosen not in locales():
        message = f"locale must be one of {', '.join(locales())}, or null"
        return ChorusError(BAD_REQUEST, message).ack(), 400
    room_languages().set(room, chosen)
    socketio.emit("language", {"room": room, "locale": chosen}, to=room, namespace="/pulse")
    return {"ok": True, "room": room, "locale": chosen}
