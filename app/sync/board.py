"""The controls on a room's board: the keys they write and where their values start.

The room template draws one control per entry, and ``seed_demo`` gives the demo room these
starting values. Any other key a client writes is kept and synced as well; it just has no control.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Control:
    """One control: its kind (slider, counter, toggle, text, color), key, label and start."""

    kind: str
    key: str
    label: str
    start: Any
    low: int = 0
    high: int = 100


def N_(label: str) -> str:
    """Marks a label for the message catalogue (babel.cfg); room.html translates it."""
    return label


BOARD: tuple[Control, ...] = (
    Control("slider", "volume", N_("Volume"), 50, 0, 100),
    Control("slider", "tempo", N_("Tempo"), 120, 40, 200),
    Control("counter", "count", N_("Counter"), 0),
    Control("toggle", "lights", N_("Lights"), False),
    Control("text", "message", N_("Message"), "Hello from Chorus", 0, 140),
    Control("color", "color", N_("Colour"), "#3b82f6"),
)
