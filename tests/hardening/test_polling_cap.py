"""Long-polling POSTs over CHORUS_MAX_PAYLOAD (1,000,000 bytes) are answered 413 at once, with a
Content-Length or chunked, straight to gunicorn (app/transport/polling_posts.py, a JSON
`too_large` body) and through Nginx (client_max_body_size, the same number); a POST within the
cap, however many packets it holds and however it is sent, is delivered whole; the session
survives a refusal."""

from __future__ import annotations

import socket
import time
import uuid
from urllib.parse import urlsplit

import pytest

from tests.hardening.checks import assert_worker_lived, healthy
from tests.hardening.rawpoll import SEPARATOR, RawPolling

CAP = 1_000_000
BIG = 20 << 20


@pytest.fixture
def session(base_url):
    made: list[RawPolling] = []

    def make() -> RawPolling:
        made.append(RawPolling(base_url))
        return made[-1]

    yield make
    for polling in made:
        polling.close()


def is_direct(base_url: str, server) -> bool:
    return base_url == server.url


def refusals(server) -> int:
    return server.log().count("polling POST refused (413)")


def assert_refused(reply, direct: bool, elapsed: float) -> None:
    assert reply.status_code == 413, (reply.status_code, reply.text[:300])
    assert elapsed < 1.0, f"413 after {elapsed:.2f} s"
    if direct:  # Nginx answers with its own page; the app's answer is the contract's JSON
        body = reply.json()
        assert body["ok"] is False and body["error"]["code"] == "too_large", body
        assert isinstance(body["error"]["message"], str) and body["error"]["message"]


def assert_logged(server, before: int, direct: bool) -> None:
    """Straight to gunicorn the app logs each refusal once; behind Nginx the app never sees
    the upload (Nginx refused it itself)."""
    deadline = time.monotonic() + 5
    wanted = before + 1 if direct else before
    while refusals(server) < wanted and time.monotonic() < deadline:
        time.sleep(0.05)
    assert refusals(server) == wanted, server.log()[-1500:]


def assert_still_usable(polling: RawPolling) -> None:
    room = "after-" + uuid.uuid4().hex[:8]
    assert polling.call("join", {"room": room})["ok"]
    assert polling.call("set", {"room": room, "key": "k", "value": "still here"})["ok"]


def chunks(total: int, size: int = 65536):
    sent = 0
    while sent < total:
        piece = min(size, total - sent)
        sent += piece
        yield b"4" * piece


def raw_status(base_url: str, head: str, body_start: bytes, timeout: float = 5.0) -> str:
    """Send a request head and the start of its body, never the rest; the status line of
    whatever the server answers meanwhile."""
    parts = urlsplit(base_url)
    with socket.create_connection((parts.hostname, parts.port), timeout=timeout) as sock:
        sock.sendall(head.encode() + body_start)
        answer = b""
        while b"\r\n" not in answer:
            data = sock.recv(4096)
            if not data:
                break
            answer += data
    return answer.split(b"\r\n", 1)[0].decode(errors="replace")


def test_20_mib_post_with_content_length_is_413_at_once(base_url, server, session):
    polling = session()
    before = refusals(server)
    started = time.monotonic()
    reply = polling.post(b"4" * BIG)
    assert_refused(reply, is_direct(base_url, server), time.monotonic() - started)
    assert_logged(server, before, is_direct(base_url, server))
    assert_still_usable(polling)


def test_20_mib_chunked_post_is_413_at_once(base_url, server, session):
    polling = session()
    before = refusals(server)
    started = time.monotonic()
    reply = polling.post(chunks(BIG))
    assert "Content-Length" not in reply.request.headers
    assert reply.request.headers.get("Transfer-Encoding") == "chunked"
    assert_refused(reply, is_direct(base_url, server), time.monotonic() - started)
    assert_logged(server, before, is_direct(base_url, server))
    assert_still_usable(polling)


def test_oversize_length_is_refused_before_the_body_arrives(base_url, session):
    """The head announces 20 MiB and only 64 KiB follow: the 413 comes without the rest."""
    polling = session()
    host = urlsplit(base_url).netloc
    head = (f"POST {urlsplit(polling.url).path}?{urlsplit(polling.url).query} HTTP/1.1\r\n"
            f"Host: {host}\r\nContent-Type: text/plain\r\nContent-Length: {BIG}\r\n\r\n")
    started = time.monotonic()
    status = raw_status(base_url, head, b"4" * 65536)
    assert status.split()[1:2] == ["413"], status
    assert time.monotonic() - started < 1.0
    assert_still_usable(polling)


def test_oversize_chunked_upload_is_refused_before_it_ends(base_url, session):
    """Chunks past the cap are sent and then nothing more (no last chunk): the 413 comes
    anyway, from the byte count alone."""
    polling = session()
    host = urlsplit(base_url).netloc
    head = (f"POST {urlsplit(polling.url).path}?{urlsplit(polling.url).query} HTTP/1.1\r\n"
            f"Host: {host}\r\nContent-Type: text/plain\r\nTransfer-Encoding: chunked\r\n\r\n")
    body = b"".join(b"%x\r\n" % len(piece) + piece + b"\r\n" for piece in chunks(CAP + 70_000))
    started = time.monotonic()
    status = raw_status(base_url, head, body)
    assert status.split()[1:2] == ["413"], status
    assert time.monotonic() - started < 1.0
    assert_still_usable(polling)


def packets_of_exactly(polling: RawPolling, room: str, total: int) -> tuple[list[int], str]:
    """`set` packets of about 1 KB each, the last one padded so the body is ``total`` bytes."""
    ids, texts = [], []
    size = 0
    i = 0
    while True:
        ack_id, text = polling.packet("set", {"room": room, "key": f"k{i % 200}",
                                              "value": f"{i}:" + "v" * 900})
        if size + len(text) + 1 + 1100 > total:
            break
        ids.append(ack_id)
        texts.append(text)
        size += len(text) + 1
        i += 1
    ack_id, text = polling.packet("set", {"room": room, "key": "last", "value": ""})
    pad = total - size - len(text)
    ack_id, text = polling.packet("set", {"room": room, "key": "last", "value": "p" * pad})
    ids.append(ack_id)
    texts.append(text)
    body = SEPARATOR.join(texts)
    assert len(body.encode()) == total
    return ids, body


def test_post_of_exactly_the_cap_with_900_packets_is_delivered_whole(base_url, session):
    polling = session()
    room = "burst-" + uuid.uuid4().hex[:8]
    assert polling.call("join", {"room": room})["ok"]
    ids, body = packets_of_exactly(polling, room, CAP)
    assert len(ids) > 900
    reply = polling.post(body)
    assert reply.status_code == 200 and reply.text == "ok", reply.text[:200]
    acks = polling.acks(ids, timeout=30)
    assert all(ack["ok"] for ack in acks.values()), [a for a in acks.values() if not a["ok"]][:3]
    values = polling.call("join", {"room": room})["values"]
    assert len(values["last"]["value"]) > 0 and values["k0"]["value"].split(":")[0].isdigit()
    assert len(values) == 201


def test_post_one_byte_over_the_cap_is_refused(base_url, server, session):
    polling = session()
    room = "over-" + uuid.uuid4().hex[:8]
    assert polling.call("join", {"room": room})["ok"]
    _, body = packets_of_exactly(polling, room, CAP + 1)
    before = refusals(server)
    started = time.monotonic()
    reply = polling.post(body)
    assert_refused(reply, is_direct(base_url, server), time.monotonic() - started)
    assert_logged(server, before, is_direct(base_url, server))
    # none of it was applied
    assert polling.call("join", {"room": room})["values"] == {}


def test_chunked_post_within_the_cap_is_delivered(base_url, session):
    polling = session()
    room = "chunked-" + uuid.uuid4().hex[:8]
    join_id, join = polling.packet("join", {"room": room})
    reply = polling.post(iter([join.encode()]))
    assert reply.request.headers.get("Transfer-Encoding") == "chunked"
    assert reply.status_code == 200 and reply.text == "ok"
    ack = polling.acks([join_id])[join_id]
    assert ack["ok"] and ack["room"] == room
    # many packets, split into chunks anywhere (inside packets too)
    ids, texts = [], []
    for _ in range(300):
        ack_id, text = polling.packet("incr", {"room": room, "key": "n", "by": 1})
        ids.append(ack_id)
        texts.append(text)
    body = SEPARATOR.join(texts).encode()
    reply = polling.post(body[i:i + 777] for i in range(0, len(body), 777))
    assert reply.status_code == 200 and reply.text == "ok"
    acks = polling.acks(ids)
    assert sorted(ack["value"] for ack in acks.values()) == list(range(1, 301))


def test_server_is_healthy_after_the_refusals(base_url, server):
    assert healthy(base_url)
    assert_worker_lived(server)
