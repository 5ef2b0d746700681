"""The demo room exists from the first start, with a defined board of six familiar controls,
their starting values stored, and a presenter link that the log shows at every start."""

from __future__ import annotations

import logging

from app.audience.board import Boards
from app.audience.presenters import Presenters
from app.state.errors import ChorusError

log = logging.getLogger(__name__)

DEMO_ROOM = "demo"


def N_(label: str) -> str:
    """Marks a label for the message catalogue (babel.cfg); the page scripts translate it."""
    return label


DEMO_BOARD = {"controls": [
    {"key": "volume", "kind": "slider", "label": N_("Volume"), "start": 50, "min": 0, "max": 100},
    {"key": "tempo", "kind": "slider", "label": N_("Tempo"), "start": 120, "min": 40,
     "max": 200},
    {"key": "count", "kind": "counter", "label": N_("Counter"), "start": 0},
    {"key": "lights", "kind": "toggle", "label": N_("Lights"), "start": False},
    {"key": "message", "kind": "text", "label": N_("Message"), "start": "Hello from Chorus",
     "max_length": 140},
    {"key": "color", "kind": "color", "label": N_("Colour"), "start": "#3b82f6"},
]}


def seed_demo(boards: Boards, presenters: Presenters, base_url: str) -> None:
    """Give ``demo`` its board where it has none, each key its start value where it was never
    set, and log the demo's presenter link."""
    try:
        token = presenters.ensure(DEMO_ROOM)
    except ChorusError as exc:
        log.warning("demo presenter link not made: %s", exc.message)
    else:
        # The token in the fragment, as on the presenter screen: opened, the link is traded for
        # the presenter cookie and no server ever sees the token in a URL.
        log.warning("demo room presenter link (keep it to yourself): %s/present/%s#token=%s",
                    base_url, DEMO_ROOM, token)
    try:
        board = boards.get(DEMO_ROOM)
        if not board["controls"]:
            board = boards.save(DEMO_ROOM, DEMO_BOARD, seed=False)
        boards.seed(DEMO_ROOM, board)
    except ChorusError as exc:  # a full store must not stop the server from starting
        log.warning("demo room not seeded: %s", exc.message)
