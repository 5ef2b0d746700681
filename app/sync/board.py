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


BOARD: tuple[Control, ...] = (
    Control("slider", "volume", "Volume", 50, 0, 100),
    Control("slider", "tempo", "Tempo", 120, 40, 200),
    Control("counter", "count", "Counter", 0),
    Control("toggle", "lights", "Lights", False),
    Control("text", "message", "Message", "Hello from Chorus", 0, 140),
    Control("color", "color", "Colour", "#3b82f6"),
)
