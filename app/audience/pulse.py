"""The room's pulse: emoji reactions bursting on the presenter screen, and a pace meter.

Taps are counted per emoji on each process and sent as one ``reactions`` event per room every
quarter second, through the message queue so the screens connected to any process see them.
Hundreds of phones tapping become four events a second. Each burst also adds its taps to the
room's totals in the store (one ``hincr`` per emoji per burst, not per tap), and carries the
totals, as does the /pulse join ack: a reloaded screen shows the room's count, not zero, and
screens on every process agree.

The pace meter keeps each device's latest vote (too slow, just right, too fast) with its time;
a vote counts fully when cast and fades to nothing over a minute, so the meter shows the room's
mood now, not an hour ago.

The screens' focus (the presenter shows the poll, or one question, full screen) is kept here
too, since it goes to the same screens: one field per room in the store, sent to every screen
as ``focus`` and in the join ack, so a display that joins late or reloads shows the same.
"""

from __future__ import annotations

import re
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
QUESTION_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")  # as questions.py's ids


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

    def focus(self, room: str) -> dict | None:
        """What the screens of ``room`` show full screen: the poll, one question, or nothing."""
        kept = self._hashes.hget(f"focus:{room}", "target") or ""
        if kept == "poll":
            return {"poll": True}
        return {"question": kept[2:]} if kept.startswith("q:") else None

    def set_focus(self, room: str, focus: Any) -> dict | None:
        """Show the poll (``{"poll": true}``), one question (``{"question": id}``) or nothing
        (``null``) full screen on every screen of ``room``; returns it."""
        if focus is None:
            self._hashes.hdel(f"focus:{room}", "target")
        elif isinstance(focus, dict) and focus == {"poll": True}:
            self._hashes.hset(f"focus:{room}", "target", "poll")
        elif (isinstance(focus, dict) and set(focus) == {"question"}
              and isinstance(focus["question"], str) and QUESTION_ID.fullmatch(focus["question"])):
            self._hashes.hset(f"focus:{room}", "target", "q:" + focus["question"])
        else:
            raise bad_request('focus must be null, {"poll": true} or {"question": "<id>"}')
        shown = self.focus(room)
        self._emit_everywhere("focus", {"room": room, "focus": shown}, room)
        return shown

    def totals(self, room: str) -> dict[str, int]:
        """Every emoji's taps in ``room`` so far (the join ack of a screen)."""
        kept = self._hashes.hgetall(f"reactions:{room}")
        return {emoji: int(kept.get(emoji) or 0) for emoji in EMOJIS}

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
        totals = {emoji: self._hashes.hincr(f"reactions:{room}", emoji, n)
                  for emoji, n in taps.items()}
        self._emit_everywhere("reactions", {"room": room, "counts": dict(taps),
                                            "totals": totals}, room)
        return True


def forget_pace(hashes: Hashes, room: str) -> None:
    """Remove ``room``'s pace votes, reaction totals and focus (an expired room; expiry.py)."""
    hashes.drop(f"pace:{room}", f"reactions:{room}", f"focus:{room}")
