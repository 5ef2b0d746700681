"""Clients for the audience namespaces, each with the device cookie a page load gives."""

from __future__ import annotations

import threading
import time
from collections import Counter
from typing import Any
from urllib.parse import urlsplit

import requests
import socketio


def create_room(base_url: str, room: str) -> str:
    """Create a room through the landing page's form; returns its presenter token, which the
    answer gives only as the presenter cookie (never in the redirect's URL)."""
    reply = requests.post(base_url + "/rooms", data={"room": room}, allow_redirects=False)
    location = reply.headers["Location"]
    assert urlsplit(location).path == f"/present/{room}", location
    token = reply.cookies["chorus_presenter"]
    assert token not in location, location
    return token


def device_session(base_url: str, room: str) -> requests.Session:
    """A browser-like session that has loaded the room page (and so holds a device cookie)."""
    session = requests.Session()
    session.get(f"{base_url}/r/{room}").raise_for_status()
    assert "chorus_device" in session.cookies
    return session


class AudienceClient:
    """One connection to /poll, /qa or /pulse that records the events it receives."""

    def __init__(self, base_url: str, namespace: str, session: requests.Session | None = None,
                 transport: str = "websocket", client: str | None = None) -> None:
        self.namespace = namespace
        self.session = session or requests.Session()
        self.sio = socketio.Client(reconnection=False, http_session=self.session)
        self.events: list[tuple[str, Any]] = []
        self.cond = threading.Condition()
        for event in ("poll", "questions", "reactions", "pace"):
            self.sio.on(event, self._recorder(event), namespace=namespace)
        self.sio.connect(base_url, namespaces=[namespace], transports=[transport],
                         auth={"client": client} if client else None, wait_timeout=10)

    def _recorder(self, event: str):
        def record(data: Any) -> None:
            with self.cond:
                self.events.append((event, data))
                self.cond.notify_all()
        return record

    def call(self, event: str, data: Any, timeout: float = 15) -> Any:
        return self.sio.call(event, data, namespace=self.namespace, timeout=timeout)

    def received(self, event: str) -> list[Any]:
        with self.cond:
            return [data for name, data in self.events if name == event]

    def wait_for(self, predicate, timeout: float = 10.0, what: str = "a condition") -> Any:
        deadline = time.monotonic() + timeout
        with self.cond:
            while not (value := predicate()):
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"timed out waiting for {what}: {self.events[-3:]}")
                self.cond.wait(min(left, 0.5))
            return value

    def close(self) -> None:
        try:
            self.sio.disconnect()
        except Exception:
            pass
        self.session.close()


def assert_quiz_exact(base_url: str, room: str, token: str, host: AudienceClient,
                      played: list[tuple[str, int, int]], correct: int) -> None:
    """The tally, the right answers and every player's score, as the players were told."""
    expected = Counter(choice for _, choice, _ in played)
    for name, choice, earned in played:
        assert (500 < earned <= 1000) if choice == correct else earned == 0, (name, earned)
    results = host.call("join", {"room": room, "token": token})["results"]
    assert results["total"] == 500
    assert results["counts"] == [expected[i] for i in range(4)]
    assert results["right"] == expected[correct]
    export = requests.get(f"{base_url}/api/rooms/{room}/quiz.json",
                          headers={"Authorization": f"Bearer {token}"}).json()
    points = {row["nickname"]: row["points"] for row in export["standings"]}
    assert points == {name: earned for name, _, earned in played}
    ranked = [row["points"] for row in export["standings"]]
    assert ranked == sorted(ranked, reverse=True)


def define_board(base_url: str, room: str, board: dict | None = None) -> str:
    """Create ``room`` and define its board (the demo room's six controls unless ``board``),
    as a presenter would before the talk; returns the presenter token."""
    from app.audience.demo import DEMO_BOARD

    token = create_room(base_url, room)
    reply = requests.put(f"{base_url}/api/rooms/{room}/board", json=board or DEMO_BOARD,
                         headers={"Authorization": f"Bearer {token}"})
    assert reply.status_code == 200, reply.text
    return token
