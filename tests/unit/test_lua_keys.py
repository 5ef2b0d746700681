"""Every Lua script Chorus sends to Redis names its keys only through KEYS, never by building
one from ARGV or from what it reads: Redis Cluster routes a script by its declared keys, and a
key made inside the script may live on another node. (That the declared keys share one slot
is shown by running the store suite and the audience cluster tests on a Redis in cluster mode.)
"""

from __future__ import annotations

import re

from app.cluster import shared_presence
from app.state import redis_hashes
from tests.support import ROOT

CALL = re.compile(r"redis\.call\('(\w+)'(?:,\s*([^,)]+))?")
KEYLESS = {"TIME"}
# SUNION over a list that the script filled from KEYS alone (shared presence).
FROM_KEYS = re.compile(r"KEYS\[(\d+|i)\]$|unpack\(alive$")


def scripts() -> dict[str, str]:
    found = {path.name: path.read_text() for path in (ROOT / "app/state/lua").glob("*.lua")}
    found["redis_hashes.VOTE"] = redis_hashes.VOTE
    found["redis_hashes.COUNT_ONCE"] = redis_hashes.COUNT_ONCE
    found["shared_presence.COUNT"] = shared_presence.COUNT
    return found


def test_every_key_a_script_touches_comes_from_keys():
    calls = 0
    for name, text in scripts().items():
        code = "\n".join(line.split("--")[0] for line in text.splitlines())
        for command, first in CALL.findall(code):
            calls += 1
            if command in KEYLESS:
                continue
            assert FROM_KEYS.match(first.strip()), f"{name}: {command} on {first!r}"
        assert "alive[#alive + 1] = KEYS[" in code or "unpack(alive)" not in code
    assert calls > 30  # the scan saw the scripts' calls


def test_the_check_catches_a_built_key():
    built = "local k = 'chorus:' .. ARGV[1]\nredis.call('GET', k)"
    command, first = CALL.findall(built)[0]
    assert not FROM_KEYS.match(first.strip())
