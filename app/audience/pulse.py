"""The room's pulse: emoji reactions bursting on the presenter screen, and a pace meter.

Reactions are not kept: taps are counted per emoji on each process and sent as one
``reactions`` event per room every quarter second, through the message queue so the screens
connected to any process see them. Hundreds of phones tapping become four events a second.

The pace meter keeps each device's latest vote (too slow, just right, too fast) with its time;
a vote counts fully when cast and fades to nothing over a minute, so the meter shows the room's
mood now, not an hour ago.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable
from typing import Any

from app.state.errors import bad_request
from app.state.hashes import Hashes
from app.sync.coalescer import Coalescer

EMOJIS = ("👏", "❤️", "😂", "🎉", "🤯", "👍")
PACES = ("slow", "good", "fast")
FADE = 60.0  # seconds for a pace vote to fade out
BURST_INTERVAL = 0.25


class Pulse:
    """Count reactions into bursts; keep and weigh pace votes."""

    def __init__(self, hashes: Hashes, emit_everywhere: Callable[[str, dict, str], None],
                 coalescer_for: Callable[..., Coalescer],
                 clock: Callable[[], float] = time.time) -> None:
        self._hashes = hashes
        self._emit_everywhere = emit_everywhere
        self._clock = clock
        self._taps: dict[str, Counter] = {}
        self._bursts = coalescer_for(BURST_INTERVAL, self._send_burst)

    def react(self, room: str, emoji: Any) -> None:
        if emoji not in EMOJIS:
            raise bad_request(f"emoji must be one of {' '.join(EMOJIS)}")
        self._taps.setdefault(room, Counter())[emoji] += 1
        self._bursts.trigger(room)

    def vote_pace(self, room: str, device: str, value: Any) -> None:
        if value not in PACES:
            raise bad_request(f"pace must be one of {', '.join(PACES)}")
        self._hashes.hset(f"pace:{room}", device, f"{value} {self._clock():.3f}")

    def pace(self, room: str) -> dict:
        """Each pace's weight (a vote fades from 1 to 0 over a minute) and the live voters."""
        now = self._clock()
        weights = dict.fromkeys(PACES, 0.0)
        stale, voters = [], 0
        for device, entry in self._hashes.hgetall(f"pace:{room}").items():
            value, _, at = entry.partition(" ")
            age = now - float(at or 0)
            if age >= FADE or value not in weights:
                stale.append(device)
                continue
            weights[value] += 1 - age / FADE
            voters += 1
        if stale:
            self._hashes.hdel(f"pace:{room}", *stale)
        return {"room": room, **{k: round(v, 2) for k, v in weights.items()}, "voters": voters}

    def _send_burst(self, room: str) -> bool:
        taps = self._taps.pop(room, None)
        if not taps:
            return False
        self._emit_everywhere("reactions", {"room": room, "counts": dict(taps)}, room)
        return True


def forget_pace(hashes: Hashes, room: str) -> None:
    """Remove ``room``'s pace votes (an expired room; app/audience/expiry.py)."""
    hashes.drop(f"pace:{room}")
