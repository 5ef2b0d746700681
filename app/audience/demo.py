"""The demo room exists from the first start, with the board's starting values and a presenter
link that the log shows at every start."""

from __future__ import annotations

import logging

from app.audience.presenters import Presenters
from app.state.errors import ChorusError
from app.sync.board import BOARD
from app.sync.rooms import Rooms

log = logging.getLogger(__name__)

DEMO_ROOM = "demo"
SEED_CLIENT = "server:seed"


def seed_demo(rooms: Rooms, presenters: Presenters, base_url: str) -> None:
    """Give each board key of ``demo`` its start value, only where it has never been set, and
    log the demo's presenter link."""
    try:
        token = presenters.ensure(DEMO_ROOM)
    except ChorusError as exc:
        log.warning("demo presenter link not made: %s", exc.message)
    else:
        # The token in the fragment, as on the presenter screen: opened, the link is traded for
        # the presenter cookie and no server ever sees the token in a URL.
        log.warning("demo room presenter link (keep it to yourself): %s/present/%s#token=%s",
                    base_url, DEMO_ROOM, token)
    for control in BOARD:
        try:
            rooms.write("set", {"room": DEMO_ROOM, "key": control.key, "value": control.start,
                                "expect": 0}, SEED_CLIENT)
        except ChorusError as exc:  # a full store must not stop the server from starting
            log.warning("demo room not seeded: %s", exc.message)
            return
