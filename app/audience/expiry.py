"""Idle rooms expire: a room without any connection and without any write for CHORUS_ROOM_TTL
is removed, so no one can fill the store's cap (CHORUS_MAX_ROOMS) for good or sit on a name.

Every process sweeps now and then (a tenth of the TTL, at most hourly). A sweep first marks
the rooms this process has connections in as active (``occupied``: every namespace's rooms,
from Socket.IO), so a room kept open for a week by one screen stays; writes mark their room
themselves, in the store. Then each room idle since before the cutoff is removed from the
store, in one atomic step that re-checks its activity (a write racing the sweep keeps its
room), and after it the room's polls, questions, pace votes and presenter claim, so its name
can be created again. ``keep`` (the demo room) never expires. A claimed room the store does
not know yet (claimed before rooms expired) is adopted as active now.

What a room holds in the shared hashes is listed by the services that write it (``forget``
in polls.py, questions.py, pulse.py, board.py) and in ``forgetters`` here (its deck, its
language): a new kind of room data adds its own line.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable

from app.audience.board import Boards
from app.audience.languages import ROOM_LANGUAGES
from app.audience.polls import Polls
from app.audience.presenters import Presenters
from app.audience.pulse import forget_pace
from app.audience.questions import Questions
from app.audience.quiz import Quiz
from app.audience.texts import Texts
from app.state import Hashes, Store
from app.state.errors import ChorusError

log = logging.getLogger(__name__)

MAX_SWEEP_INTERVAL = 3600.0


class Expiry:
    """Finds and removes idle rooms; ``start`` runs ``sweep`` every ``interval`` seconds."""

    def __init__(self, store: Store, hashes: Hashes, ttl: float,
                 occupied: Callable[[], Iterable[str]] = tuple, keep: Iterable[str] = (),
                 clock: Callable[[], float] = time.time) -> None:
        self.store = store
        self.presenters = Presenters(hashes)
        self.forgetters = (
            Polls(hashes, Quiz(hashes), Texts(hashes)).forget, Questions(hashes).forget,
            lambda room: forget_pace(hashes, room), lambda room: hashes.drop(f"deck:{room}"),
            lambda room: hashes.hdel(ROOM_LANGUAGES, room), Boards(hashes).forget,
            self.presenters.release)
        self.ttl = ttl
        self.interval = min(ttl / 10, MAX_SWEEP_INTERVAL)
        self.occupied = occupied
        self.keep = set(keep)
        self.clock = clock
        self._started = False

    def sweep(self) -> list[str]:
        """Remove every room idle for the TTL; returns their names."""
        busy = set(self.occupied())
        self.store.touch(busy)
        activity = self.store.activity()
        self._adopt(set(self.presenters.rooms()) - set(activity))
        cutoff = self.clock() - self.ttl
        removed = []
        for room, at in sorted(activity.items(), key=lambda item: item[1]):
            if at > cutoff or room in busy or room in self.keep:
                continue
            if self.store.remove(room, idle_since=cutoff):
                self.forget(room)
                removed.append(room)
        if removed:
            log.info("expired %d room(s) idle for %.0f s: %s", len(removed), self.ttl,
                     ", ".join(removed[:20]) + (" ..." if len(removed) > 20 else ""))
        return removed

    def remove(self, room: str) -> bool:
        """Remove one room now, whatever its activity (``python -m app.cli rooms delete``).
        True when the store held it or it had a presenter."""
        claimed = self.presenters.token(room) is not None
        held = self.store.remove(room)
        self.forget(room)
        return held or claimed

    def forget(self, room: str) -> None:
        """Everything of ``room`` outside the store's rooms: polls, questions, pace, deck,
        language, claim."""
        for forget in self.forgetters:
            forget(room)

    def start(self, start_background_task: Callable, sleep: Callable[[float], None]) -> None:
        """Sweep every ``interval`` seconds from now on; idempotent."""
        if self._started:
            return
        self._started = True
        start_background_task(self._run, sleep)

    def _run(self, sleep: Callable[[float], None]) -> None:
        while True:
            sleep(self.interval)
            try:
                self.sweep()
            except ChorusError as exc:  # the store is away: try again at the next sweep
                log.warning("idle rooms not swept: %s", exc.message)
            except Exception:  # a sweep that fails must not end the sweeping
                log.exception("idle rooms not swept")

    def _adopt(self, rooms: set[str]) -> None:
        for room in rooms:
            try:
                self.store.touch([room], create=True)
            except ChorusError as exc:
                log.warning("claimed room %s not adopted for expiry: %s", room, exc.message)
                return
