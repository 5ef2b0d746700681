"""Hundreds of real voters at once: python-socketio's asyncio client, one device each."""

from __future__ import annotations

import asyncio
import random

import aiohttp
import socketio


async def _voter(base_url: str, room: str) -> tuple[socketio.AsyncClient, aiohttp.ClientSession]:
    # unsafe=True: accept cookies from an IP address (127.0.0.1), as a browser does.
    session = aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True))
    async with session.get(f"{base_url}/r/{room}") as page:  # the device cookie
        page.raise_for_status()
    client = socketio.AsyncClient(reconnection=False, http_session=session)
    await client.connect(base_url, namespaces=["/poll"], transports=["websocket"],
                         wait_timeout=30)
    ack = await client.call("join", {"room": room}, namespace="/poll", timeout=30)
    assert ack["ok"], ack
    return client, session


async def _vote_all(base_urls: list[str], room: str, poll: int, count: int,
                    options: int, first: int) -> list[int]:
    voters = []
    for start in range(0, count, 100):  # connect in waves, as a hall fills up
        voters += await asyncio.gather(*(_voter(base_urls[i % len(base_urls)], room)
                                         for i in range(start, min(start + 100, count))))
    choices = [first + random.randrange(options) for _ in voters]
    try:
        acks = await asyncio.gather(*(
            client.call("answer", {"room": room, "poll": poll, "answer": choice},
                        namespace="/poll", timeout=60)
            for (client, _), choice in zip(voters, choices, strict=True)))
        assert all(ack["ok"] for ack in acks), [a for a in acks if not a["ok"]][:3]
    finally:
        await asyncio.gather(*(client.disconnect() for client, _ in voters))
        await asyncio.gather(*(session.close() for _, session in voters))
    return choices


def vote_at_once(base_urls: list[str], room: str, poll: int, count: int,
                 options: int, first: int = 0) -> list[int]:
    """``count`` devices, spread over ``base_urls``, answer one poll at the same moment with
    answers from ``first`` to ``first + options - 1``; returns the answers they gave."""
    return asyncio.run(_vote_all(base_urls, room, poll, count, options, first))


async def _quiz_all(base_urls: list[str], room: str, poll: int, count: int,
                    options: int) -> list[tuple[str, int, int]]:
    voters = []
    for start in range(0, count, 100):
        voters += await asyncio.gather(*(_voter(base_urls[i % len(base_urls)], room)
                                         for i in range(start, min(start + 100, count))))
    names = [f"player-{n}" for n in range(len(voters))]
    choices = [random.randrange(options) for _ in voters]

    async def play(client: socketio.AsyncClient, name: str, choice: int) -> int:
        named = await client.call("nickname", {"room": room, "nickname": name},
                                  namespace="/poll", timeout=60)
        assert named["ok"], named
        ack = await client.call("answer", {"room": room, "poll": poll, "answer": choice},
                                namespace="/poll", timeout=60)
        assert ack["ok"], ack
        me = await client.call("me", {"room": room}, namespace="/poll", timeout=60)
        assert me["ok"] and me["nickname"] == name, me
        return me["earned"]

    try:
        earned = await asyncio.gather(*(play(client, name, choice) for (client, _), name, choice
                                        in zip(voters, names, choices, strict=True)))
    finally:
        await asyncio.gather(*(client.disconnect() for client, _ in voters))
        await asyncio.gather(*(session.close() for _, session in voters))
    return list(zip(names, choices, earned, strict=True))


def quiz_at_once(base_urls: list[str], room: str, poll: int, count: int,
                 options: int) -> list[tuple[str, int, int]]:
    """``count`` devices, spread over ``base_urls``, each take a nickname and answer one quiz
    question at the same moment; returns (nickname, answer, points earned) for each."""
    return asyncio.run(_quiz_all(base_urls, room, poll, count, options))
