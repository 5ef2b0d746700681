"""The board definition's schema, checked field by field so a refusal names the first bad one.

A board is ``{"controls": [control, ...]}`` and a control is ``{"key", "kind", "label",
"start"?, "min"?, "max"?, "step"?, "max_length"?, "mode"?, "locked"?}`` (docs/audience.md,
"Defined boards"). A document that breaks any rule is refused whole with the path of the first
bad field (``controls[1].max``), and nothing is kept; unknown fields are refused too.
"""

from __future__ import annotations

import math
import re
from typing import Any

from app.audience.deck_schema import deck_error as field_error
from app.state.errors import TOO_LARGE
from app.sync.payloads import KEY

KINDS = ("slider", "counter", "toggle", "text", "color")
MODES = ("open", "presenter", "moderated", "average")
MODE_KINDS = {"moderated": ("text",), "average": ("slider",)}  # modes only some kinds have
MAX_CONTROLS = 24
MAX_LABEL = 40
MAX_TEXT = 1000  # a text's value stays well inside the contract's 4 KiB
MAX_NUMBER = 1e9
COLOR = re.compile(r"#[0-9a-fA-F]{6}")
FIELDS = {"key", "kind", "label", "start", "min", "max", "step", "max_length", "mode", "locked"}
DEFAULT_START = {"slider": None, "counter": 0, "toggle": False, "text": "", "color": "#3b82f6"}


def parse_board(document: Any) -> dict:
    """The board in ``document``, normalised; raises a refusal naming the first bad field."""
    if not isinstance(document, dict):
        raise field_error("$", "a board is a JSON object")
    unknown = sorted(set(document) - {"controls"})
    if unknown:
        raise field_error(unknown[0], "unknown field (a board has controls)")
    controls = document.get("controls")
    if not isinstance(controls, list):
        raise field_error("controls", "must be a list of controls")
    if len(controls) > MAX_CONTROLS:
        raise field_error("controls", f"a board holds at most {MAX_CONTROLS} controls", TOO_LARGE)
    parsed, keys = [], set()
    for n, control in enumerate(controls):
        one = parse_control(control, f"controls[{n}]")
        if one["key"] in keys:
            raise field_error(f"controls[{n}].key", f"{one['key']} is on the board already")
        keys.add(one["key"])
        parsed.append(one)
    return {"controls": parsed}


def parse_control(control: Any, path: str) -> dict:
    """One control, normalised; ``path`` says where it is, for the refusal."""
    if not isinstance(control, dict):
        raise field_error(path, "a control is a JSON object")
    unknown = sorted(set(control) - FIELDS)
    if unknown:
        raise field_error(f"{path}.{unknown[0]}", "unknown field")
    key = control.get("key")
    if not isinstance(key, str) or not KEY.fullmatch(key):
        raise field_error(f"{path}.key", "must be 1-64 of A-Z a-z 0-9 _ . -")
    kind = control.get("kind")
    if kind not in KINDS:
        raise field_error(f"{path}.kind", f"must be one of {', '.join(KINDS)}")
    label = control.get("label", key)
    if not isinstance(label, str) or not label.strip() or len(label) > MAX_LABEL:
        raise field_error(f"{path}.label", f"must be text of 1-{MAX_LABEL} characters")
    mode = control.get("mode", "open")
    if mode not in MODES:
        raise field_error(f"{path}.mode", f"must be one of {', '.join(MODES)}")
    if mode in MODE_KINDS and kind not in MODE_KINDS[mode]:
        raise field_error(f"{path}.mode", f"{mode} is for a {' or '.join(MODE_KINDS[mode])} only")
    locked = control.get("locked", False)
    if not isinstance(locked, bool):
        raise field_error(f"{path}.locked", "must be true or false")
    parsed = {"key": key, "kind": kind, "label": label.strip(), "mode": mode, "locked": locked}
    parsed.update(_ranges(control, kind, path))
    parsed["start"] = _start(control, parsed, path)
    return parsed


def _ranges(control: dict, kind: str, path: str) -> dict:
    """The fields only some kinds have: a slider's min/max/step, a text's max_length."""
    allowed = {"slider": {"min", "max", "step"}, "text": {"max_length"}}.get(kind, set())
    for name in ("min", "max", "step", "max_length"):
        if name in control and name not in allowed:
            raise field_error(f"{path}.{name}", f"a {kind} has no {name}")
    if kind == "slider":
        low, high = _number(control, "min", 0, path), _number(control, "max", 100, path)
        step = _number(control, "step", 1, path)
        if high <= low:
            raise field_error(f"{path}.max", "must be above min")
        if step <= 0 or step > high - low:
            raise field_error(f"{path}.step", "must be above 0 and at most max - min")
        return {"min": low, "max": high, "step": step}
    if kind == "text":
        length = control.get("max_length", 140)
        if not _is_int(length) or not 1 <= length <= MAX_TEXT:
            raise field_error(f"{path}.max_length", f"must be a whole number of 1-{MAX_TEXT}")
        return {"max_length": length}
    return {}


def _start(control: dict, parsed: dict, path: str) -> Any:
    kind = parsed["kind"]
    start = control.get("start", DEFAULT_START[kind])
    where = f"{path}.start"
    if kind == "slider":
        if start is None:
            start = parsed["min"]
        if not _is_number(start) or not parsed["min"] <= start <= parsed["max"]:
            raise field_error(where, "must be a number from min to max")
    elif kind == "counter" and not _is_number(start):
        raise field_error(where, "must be a number")
    elif kind == "toggle" and not isinstance(start, bool):
        raise field_error(where, "must be true or false")
    elif kind == "text" and (not isinstance(start, str) or len(start) > parsed["max_length"]):
        raise field_error(where, "must be text no longer than max_length")
    elif kind == "color" and (not isinstance(start, str) or not COLOR.fullmatch(start)):
        raise field_error(where, "must be a colour written #rrggbb")
    return start


def _number(control: dict, name: str, default: float, path: str) -> float:
    value = control.get(name, default)
    if not _is_number(value):
        raise field_error(f"{path}.{name}", "must be a number")
    return value


def _is_number(value: Any) -> bool:
    return (isinstance(value, (int, float)) and not isinstance(value, bool)
            and math.isfinite(value) and abs(value) <= MAX_NUMBER)


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)
