"""CSV cells safe from formulas; the device cookie read whatever else the Cookie header holds."""

from __future__ import annotations

import csv
import io

import pytest

from app.audience.identity import DEVICE_COOKIE, DeviceIds
from app.audience.spreadsheet import csv_text, safe_cell


@pytest.mark.parametrize("text", ["=1+1", "+cmd", "-2+3", "@SUM(A1)", "\t=1", "\r=1"])
def test_text_that_could_start_a_formula_is_quoted(text):
    assert safe_cell(text) == "'" + text


@pytest.mark.parametrize("value", ["plain", "a=b", "", " =1", 3, -2, 2.5, None])
def test_other_cells_are_left_alone(value):
    assert safe_cell(value) == value


def test_csv_text_makes_every_cell_safe_and_stays_csv():
    text = csv_text([["answer", "count"], ["=1+1", 2], ['say "hi", @you', -1]])
    assert list(csv.reader(io.StringIO(text))) == [
        ["answer", "count"], ["'=1+1", "2"], ['say "hi", @you', "-1"]]


@pytest.mark.parametrize("others", ["theme=dark mode", 'prefs={"a":1}', "a=b; c", "bad\\cookie",
                                    "x=\"unterminated"])
def test_the_device_cookie_survives_other_cookies_that_are_not_rfc_clean(others):
    devices = DeviceIds("secret")
    cookie = devices.new_cookie()
    device = devices.read(cookie)
    for header in (f"{others}; {DEVICE_COOKIE}={cookie}", f"{DEVICE_COOKIE}={cookie}; {others}"):
        assert devices.from_environ({"HTTP_COOKIE": header}) == device, header


def test_no_or_forged_device_cookie_is_no_device():
    devices = DeviceIds("secret")
    assert devices.from_environ({}) is None
    assert devices.from_environ({"HTTP_COOKIE": f"{DEVICE_COOKIE}=made.up"}) is None
