"""What a store may hold: JSON values of at most 4 KiB, and numbers that stay exact.

These are the store's rules, not one transport's: a value set by a click, the HTTP API or a
script is held to the same bounds, and the Redis store's Lua checks the same total. The payload
parsers (app/sync/payloads.py) call ``encode_value`` so a refusal names the field early; the
write rules (writes.py) call it for any value they were given unencoded.
"""

from __future__ import annotations

import json
from typing import Any

from app.state.errors import bad_request, too_large

MAX_VALUE_BYTES = 4096
# Totals beyond this stop being exact in a browser's doubles; incr refuses to go past it.
MAX_SAFE_TOTAL = 2**53 - 1


def encode_value(value: Any) -> str:
    """Return ``value`` as compact JSON, refusing NaN, Infinity and anything over 4 KiB."""
    try:
        text = json.dumps(value, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
    except ValueError:
        raise bad_request("value must be JSON: NaN and Infinity are not allowed") from None
    except RecursionError:
        raise too_large("value is nested too deeply") from None
    except TypeError as exc:  # pragma: no cover - JSON decoding only yields JSON types
        raise bad_request(f"value is not JSON: {exc}") from None
    if len(text) > MAX_VALUE_BYTES:
        raise too_large(f"value is over {MAX_VALUE_BYTES} bytes as compact UTF-8 JSON")
    try:
        size = len(text.encode("utf-8"))
    except UnicodeEncodeError:  # a lone surrogate such as "\ud800": valid JSON, not UTF-8
        raise bad_request("value holds a string that is not valid Unicode (a lone surrogate)") \
            from None
    if size > MAX_VALUE_BYTES:
        raise too_large(f"value is over {MAX_VALUE_BYTES} bytes as compact UTF-8 JSON")
    return text


def is_number(value: Any) -> bool:
    """True for JSON numbers; booleans are not numbers here, whatever Python thinks."""
    return isinstance(value, (int, float)) and not isinstance(value, bool)

