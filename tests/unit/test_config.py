"""CHORUS_* variables are parsed explicitly: text stays text, numbers are checked."""

from __future__ import annotations

import pytest

from app import create_app
from app.config import SettingError, settings_from_environ


def test_numeric_token_stays_a_string():
    assert settings_from_environ({"CHORUS_API_TOKEN": "123"})["API_TOKEN"] == "123"


def test_values_are_parsed_by_type():
    parsed = settings_from_environ({"CHORUS_TICK": "0.02", "CHORUS_MAX_KEYS": "10",
                                    "CHORUS_SEED_DEMO": "no",
                                    "CHORUS_ALLOWED_ORIGINS": "https://a.example, https://b.example",
                                    "UNRELATED": "x"})
    assert parsed == {"TICK": 0.02, "MAX_KEYS": 10, "SEED_DEMO": False,
                      "ALLOWED_ORIGINS": ["https://a.example", "https://b.example"]}


@pytest.mark.parametrize("name,raw", [("CHORUS_TICK", "fast"), ("CHORUS_TICK", "nan"),
                                      ("CHORUS_MAX_KEYS", "-1"), ("CHORUS_SEED_DEMO", "maybe"),
                                      ("CHORUS_LOG_SIZE", "1.5")])
def test_bad_values_name_the_variable(name, raw):
    with pytest.raises(SettingError, match=name):
        settings_from_environ({name: raw})


def test_empty_token_means_unset():
    assert settings_from_environ({"CHORUS_API_TOKEN": ""})["API_TOKEN"] is None


def test_factory_reads_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("CHORUS_API_TOKEN", "007")
    monkeypatch.setenv("CHORUS_STORE", "memory://")
    app = create_app({"ASYNC_MODE": "threading"})
    assert app.config["API_TOKEN"] == "007"
    assert app.config["STORE"] == "memory://"


def test_unknown_store_scheme_fails_the_start():
    with pytest.raises(ValueError, match="CHORUS_STORE"):
        create_app({"ASYNC_MODE": "threading", "STORE": "postgres://db"})
