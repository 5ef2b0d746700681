"""A long-polling client is answered at most every CHORUS_POLL_INTERVAL (0.1 s by default):
the batches of two ticks go out in one answer instead of two, and nothing is lost on the way."""

from __future__ import annotations

import json
import threading
import time
import uuid

from tests.hardening.rawpoll import RawPolling
from tests.support import SyncClient

INTERVAL = 0.1  # the default of CHORUS_POLL_INTERVAL
CHANGES = 60


def test_a_polling_client_is_answered_at_most_every_poll_interval(server):
    room = f"pace-{uuid.uuid4().hex[:8]}"
    reader = RawPolling(server.url)
    writer = SyncClient(server.url, "websocket").connect()
    try:
        assert reader.call("join", {"room": room})["ok"]
        writer.join(room)

        def write() -> None:  # 60 changes a second: more than one per 50 ms tick
            for value in range(CHANGES):
                writer.emit("set", {"room": room, "key": "n", "value": value})
                time.sleep(1 / CHANGES)

        threading.Thread(target=write, daemon=True).start()
        answers: list[float] = []  # when each answer carrying changes arrived
        latest = None
        deadline = time.monotonic() + 15
        while latest != CHANGES - 1 and time.monotonic() < deadline:
            packets = reader.poll()
            batches = [json.loads(p[p.index("[") :])[1] for p in packets
                       if p.startswith('42/sync,["changes"')]
            if batches:
                answers.append(time.monotonic())
            for batch in batches:
                for change in batch["changes"]:
                    if change["key"] == "n":
                        latest = change["value"]
        assert latest == CHANGES - 1, f"the last change never arrived (latest: {latest})"
        gaps = [b - a for a, b in zip(answers, answers[1:], strict=False)]
        assert gaps and min(gaps) >= INTERVAL * 0.8, \
            f"answers {min(gaps) * 1000:.0f} ms apart, expected at least {INTERVAL * 1000:.0f}"
        # a second of changes at 20 ticks a second took about 10 answers, not 20
        assert len(answers) <= 15, f"{len(answers)} answers for {CHANGES} changes"
    finally:
        writer.disconnect()
        reader.close()
