"""The deck file's schema, checked field by field so a refusal names the first bad one.

A deck is ``{"version": 1, "title"?: text, "items": [item, ...]}`` and an item is
``{"kind", "question", "options"?, "correct"?, "seconds"?, "hidden"?}`` (docs/audience.md). A
file that breaks any rule is refused as a whole with the path of the first bad field
(``items[2].options[0]``), so a half-imported deck never exists. Unknown fields are refused too:
a typo (``"corect"``) should not silently lose the answer.
"""

from __future__ import annotations

from typing import Any

from app.state.errors import BAD_REQUEST, TOO_LARGE, ChorusError

DECK_VERSION = 1
KINDS = ("choice", "cloud", "scale", "text", "ranking", "quiz")
WITH_OPTIONS = ("choice", "ranking", "quiz")
MAX_ITEMS = 50
MAX_TITLE = 200
MAX_QUESTION = 200
MAX_OPTION = 80
MIN_OPTIONS, MAX_OPTIONS = 2, 8
MIN_SECONDS, MAX_SECONDS, DEFAULT_SECONDS = 5, 300, 20
ITEM_FIELDS = {"kind", "question", "options", "correct", "seconds", "hidden"}


def deck_error(path: str, message: str, code: str = BAD_REQUEST) -> ChorusError:
    """A refusal that names the bad field."""
    return ChorusError(code, f"{path}: {message}", path=path)


def parse_deck(document: Any) -> dict:
    """The deck in ``document``, normalised; raises ``deck_error`` at the first bad field."""
    if not isinstance(document, dict):
        raise deck_error("$", "a deck is a JSON object")
    unknown = sorted(set(document) - {"version", "title", "items"})
    if unknown:
        raise deck_error(unknown[0], "unknown field (a deck has version, title, items)")
    if document.get("version") != DECK_VERSION or isinstance(document.get("version"), bool):
        raise deck_error("version", f"must be {DECK_VERSION}")
    title = document.get("title", "")
    if not isinstance(title, str) or len(title) > MAX_TITLE:
        raise deck_error("title", f"must be text of at most {MAX_TITLE} characters")
    items = document.get("items")
    if not isinstance(items, list):
        raise deck_error("items", "must be a list of questions")
    if len(items) > MAX_ITEMS:
        raise deck_error("items", f"a deck holds at most {MAX_ITEMS} questions", TOO_LARGE)
    return {"version": DECK_VERSION, "title": title.strip(),
            "items": [parse_item(item, f"items[{n}]") for n, item in enumerate(items)]}


def parse_item(item: Any, path: str) -> dict:
    """One deck item, normalised; ``path`` says where it is, for the refusal."""
    if not isinstance(item, dict):
        raise deck_error(path, "a question is a JSON object")
    unknown = sorted(set(item) - ITEM_FIELDS)
    if unknown:
        raise deck_error(f"{_at(path)}{unknown[0]}", "unknown field")
    kind = item.get("kind")
    if kind not in KINDS:
        raise deck_error(f"{_at(path)}kind", f"must be one of {', '.join(KINDS)}")
    parsed: dict[str, Any] = {"kind": kind,
                              "question": _text(item.get("question"), f"{_at(path)}question",
                                                MAX_QUESTION)}
    if kind in WITH_OPTIONS:
        parsed["options"] = _options(item.get("options"), f"{_at(path)}options")
    elif "options" in item:
        raise deck_error(f"{_at(path)}options", f"a {kind} question has no options")
    if kind == "quiz":
        correct = item.get("correct")
        if isinstance(correct, bool) or not isinstance(correct, int) \
                or not 0 <= correct < len(parsed["options"]):
            raise deck_error(f"{_at(path)}correct",
                             f"must be the right option's number, 0-{len(parsed['options']) - 1}")
        seconds = item.get("seconds", DEFAULT_SECONDS)
        if isinstance(seconds, bool) or not isinstance(seconds, int) \
                or not MIN_SECONDS <= seconds <= MAX_SECONDS:
            raise deck_error(f"{_at(path)}seconds",
                             f"must be a whole number of seconds, {MIN_SECONDS}-{MAX_SECONDS}")
        parsed.update(correct=correct, seconds=seconds)
    else:
        for field in ("correct", "seconds"):
            if field in item:
                raise deck_error(f"{_at(path)}{field}", "only a quiz question has it")
    hidden = item.get("hidden", False)
    if not isinstance(hidden, bool):
        raise deck_error(f"{_at(path)}hidden", "must be true or false")
    if hidden:
        parsed["hidden"] = True
    return parsed


def _at(path: str) -> str:
    """The prefix of a field inside ``path`` (a live poll has no path: its fields stand alone)."""
    return f"{path}." if path else ""


def _options(options: Any, path: str) -> list[str]:
    if not isinstance(options, list):
        raise deck_error(path, f"must be a list of {MIN_OPTIONS}-{MAX_OPTIONS} texts")
    if len(options) > MAX_OPTIONS:
        raise deck_error(path, f"at most {MAX_OPTIONS} options", TOO_LARGE)
    if len(options) < MIN_OPTIONS:
        raise deck_error(path, f"at least {MIN_OPTIONS} options")
    return [_text(option, f"{path}[{n}]", MAX_OPTION) for n, option in enumerate(options)]


def _text(value: Any, path: str, limit: int) -> str:
    if not isinstance(value, str) or not value.strip():
        raise deck_error(path, "must be non-empty text")
    if len(value) > limit:
        raise deck_error(path, f"at most {limit} characters", TOO_LARGE)
    return value.strip()
