"""Which language a page speaks: ``?lang=`` (then its cookie), the room's language chosen by its
presenter, Accept-Language, English; and the page scripts' catalogue at /i18n/<locale>.json.

Flask's test client over a real app with the memory store: the locale is decided per request by
app/web/locale.py, with nothing of Socket.IO involved.
"""

from __future__ import annotations

import re

import pytest

from app import create_app


@pytest.fixture(scope="module")
def app():
    return create_app({"ASYNC_MODE": "threading", "STORE": "memory://", "SEED_DEMO": False})


@pytest.fixture
def client(app):
    return app.test_client()


def html_lang(response) -> str:
    return re.search(r'<html lang="([^"]+)"', response.get_data(as_text=True))[1]


def cookies_set(response) -> str:
    return " | ".join(response.headers.getlist("Set-Cookie"))


def presenter_token(client, room: str) -> str:
    created = client.post("/rooms", data={"room": room})
    return re.search(r"chorus_presenter=([^;]+)", cookies_set(created))[1]


def test_english_without_any_preference(client):
    page = client.get("/")
    assert html_lang(page) == "en"
    assert "Create room" in page.get_data(as_text=True)


def test_accept_language_chooses_german(client):
    page = client.get("/", headers={"Accept-Language": "fr;q=0.9, de;q=0.8, en;q=0.1"})
    assert html_lang(page) == "de"
    text = page.get_data(as_text=True)
    assert "Raum erstellen" in text and "Create room" not in text
    assert re.search(r'data-catalogue="/i18n/de\.json\?v=[0-9a-f]{16}"', text)


def test_switch_wins_and_is_remembered(client):
    german = {"Accept-Language": "de"}
    switched = client.get("/?lang=en", headers=german)
    assert html_lang(switched) == "en"
    assert "chorus_lang=en" in cookies_set(switched)
    assert html_lang(client.get("/", headers=german)) == "en"  # the cookie, not the browser
    forgot = client.get("/?lang=auto", headers=german)
    assert "chorus_lang=;" in cookies_set(forgot)
    client.delete_cookie("chorus_lang")
    assert html_lang(client.get("/", headers=german)) == "de"


def test_unknown_switch_is_ignored(client):
    page = client.get("/?lang=xx", headers={"Accept-Language": "de"})
    assert html_lang(page) == "de"
    assert "chorus_lang" not in cookies_set(page)


def test_room_language_set_by_presenter_beats_the_browser(client):
    token = presenter_token(client, "sprache")
    english = {"Accept-Language": "en"}
    assert html_lang(client.get("/r/sprache", headers=english)) == "en"
    done = client.put("/api/rooms/sprache/language", json={"locale": "de"},
                      headers={"Authorization": f"Bearer {token}"})
    assert done.status_code == 200 and done.json == {"ok": True, "room": "sprache",
                                                     "locale": "de"}
    assert html_lang(client.get("/r/sprache", headers=english)) == "de"
    assert html_lang(client.get("/display/sprache", headers=english)) == "de"
    assert html_lang(client.get("/r/other", headers=english)) == "en"  # that room only
    assert html_lang(client.get("/r/sprache?lang=en", headers=english)) == "en"  # the switch
    client.delete_cookie("chorus_lang")
    client.put("/api/rooms/sprache/language", json={"locale": None},
               headers={"Authorization": f"Bearer {token}"})
    assert html_lang(client.get("/r/sprache", headers=english)) == "en"


@pytest.fixture(scope="module")
def bad_room_token(app):
    return presenter_token(app.test_client(), "schlecht")


@pytest.mark.parametrize("body", [{"locale": "xx"}, {"locale": 3}, {}, ["de"], "de"])
def test_room_language_refuses_bad_locales(client, bad_room_token, body):
    refused = client.put("/api/rooms/schlecht/language", json=body,
                         headers={"Authorization": f"Bearer {bad_room_token}"})
    assert refused.status_code == 400
    assert refused.json["error"]["code"] == "bad_request"
    assert "locale must be one of en, de" in refused.json["error"]["message"]


def test_room_language_needs_the_presenter_token(client):
    presenter_token(client, "fremd")
    refused = client.put("/api/rooms/fremd/language", json={"locale": "de"},
                         headers={"Authorization": "Bearer wrong"})
    assert refused.status_code == 403 and refused.json["error"]["code"] == "forbidden"
    assert html_lang(client.get("/r/fremd", headers={"Accept-Language": "en"})) == "en"


def test_catalogue_for_page_scripts(client):
    catalogue = client.get("/i18n/de.json")
    assert catalogue.status_code == 200 and catalogue.mimetype == "application/json"
    assert catalogue.json["Create room"] == "Raum erstellen"
    assert "public" in catalogue.headers["Cache-Control"]
    again = client.get("/i18n/de.json", headers={"If-None-Match": catalogue.headers["ETag"]})
    assert again.status_code == 304
    assert "immutable" not in catalogue.headers["Cache-Control"]
    versioned = client.get(f"/i18n/de.json?v={catalogue.headers['ETag'].strip(chr(34))}")
    assert "immutable" in versioned.headers["Cache-Control"]  # that address never changes
    assert "max-age=31536000" in versioned.headers["Cache-Control"]
    assert client.get("/i18n/en.json").json == {}
    assert client.get("/i18n/xx.json").status_code == 404


def test_error_pages_speak_the_readers_language(client):
    missing = client.get("/r/no spaces", headers={"Accept-Language": "de"})
    assert missing.status_code == 404 and missing.mimetype == "text/html"
    assert html_lang(missing) == "de"
    assert "Diese Seite gibt es nicht" in missing.get_data(as_text=True)
    assert "Not Found" not in missing.get_data(as_text=True)
    wrong = client.put("/", headers={"Accept-Language": "en"})
    assert wrong.status_code == 405 and "GET" in wrong.headers["Allow"]
    assert "This address does not take that request" in wrong.get_data(as_text=True)
    api = client.get("/api/rooms/no spaces/nothing")
    assert api.status_code == 404 and api.json["error"]["code"] == "bad_request"
