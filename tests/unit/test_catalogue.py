"""Every locale is complete: each message the code, the templates and the page scripts use
(what `make messages` extracts with babel.cfg) has a translation in every catalogue of
app/translations/, with the same placeholders, so no page falls back to English."""

from __future__ import annotations

import re

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po

from tests.support import ROOT

TRANSLATIONS = ROOT / "app" / "translations"
LOCALES = sorted(p.parent.parent.name for p in TRANSLATIONS.glob("*/LC_MESSAGES/messages.po"))
KEYWORDS = {"_": None, "gettext": None, "N_": None, "t": None, "bad_request": None}
PLACEHOLDER = re.compile(r"\{\w+\}|%\(\w+\)s")


@pytest.fixture(scope="module")
def used() -> set[str]:
    """The message ids in use, extracted as `make messages` does (see the Makefile)."""
    with (ROOT / "babel.cfg").open() as config:
        method_map, options_map = parse_mapping_cfg(config)
    found = set()
    for _, _, message, _, _ in extract_from_dir(str(ROOT), method_map, options_map,
                                                keywords=KEYWORDS):
        if isinstance(message, str) and message:
            found.add(message)
    assert len(found) > 100
    return found


def test_there_is_a_second_locale():
    assert "de" in LOCALES


@pytest.mark.parametrize("locale", LOCALES)
def test_every_message_is_translated(used, locale):
    with (TRANSLATIONS / locale / "LC_MESSAGES" / "messages.po").open("rb") as handle:
        catalogue = read_po(handle)
    translated = {m.id: m.string for m in catalogue if m.id and m.string and not m.fuzzy}
    missing = sorted(used - translated.keys())
    assert not missing, f"{locale}: translate these (make messages, then edit the .po): {missing}"
    wrong = [(message, translated[message]) for message in used
             if sorted(PLACEHOLDER.findall(message)) != sorted(PLACEHOLDER.findall(
                 translated[message]))]
    assert not wrong, f"{locale}: placeholders differ: {wrong}"
