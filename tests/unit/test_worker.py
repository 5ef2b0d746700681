"""chorus_worker.py's request-header reader agrees with http.client's on what pywsgi asks of it;
its unmasking agrees with RFC 6455's byte-by-byte definition, and it knows which close codes a
peer may send."""

from __future__ import annotations

import io
import os
from http import client

import pytest

from chorus_worker import RequestHeaders, unmask, valid_close_code

REQUESTS = [
    b"Host: 127.0.0.1:5000\r\nContent-Length: 12\r\nContent-Type: text/plain;charset=UTF-8\r\n\r\n",
    b"Host: a\r\nTransfer-Encoding: chunked\r\nConnection: keep-alive\r\nX-Forwarded-For: 1.2.3.4"
    b"\r\n\r\nbody after the blank line",
    b"Host: a\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\n\r\n",
    b"host: lower\r\nX-Other: one\r\nHOST: second\r\n\r\n",
    b"\r\n",
]


def read(cls, raw: bytes):
    stream = io.BufferedReader(io.BytesIO(raw))
    return cls(stream) if cls is RequestHeaders else client.parse_headers(stream), stream


@pytest.mark.parametrize("raw", REQUESTS)
def test_same_answers_as_http_client(raw):
    ours, our_stream = read(RequestHeaders, raw)
    theirs, their_stream = read(client.parse_headers, raw)
    for name in ("host", "HOST", "content-length", "content-type", "transfer-encoding",
                 "connection", "upgrade", "x-forwarded-for", "missing"):
        expected = theirs.get(name)
        expected = " ".join(expected.split()) if expected else expected
        assert ours.get(name) == expected
    assert ours.typeheader == theirs.get("content-type")
    assert ours.status == ""
    assert our_stream.read() == their_stream.read()  # both stop at the blank line


def test_deleting_a_header_removes_every_line_of_it():
    headers, _ = read(RequestHeaders, REQUESTS[1])
    del headers["transfer-encoding"]
    assert headers.get("transfer-encoding") is None
    assert headers.get("connection") == "keep-alive"
    assert all("Transfer-Encoding" not in line for line in headers.headers)


@pytest.mark.parametrize("raw, status", [
    (b"Host: a\r\nno colon here\r\n\r\n", "Invalid header line"),
    # request smuggling shapes: a proxy and this server would frame the body differently
    (b"Transfer-Encoding : chunked\r\nContent-Length: 38\r\n\r\n", "Invalid header line"),
    (b"Host: a\r\nX-Folded: one\r\n two\r\n\r\n", "Invalid header line"),
    (b" leading: space\r\n\r\n", "Invalid header line"),
    (b"Content-Length: 5\r\nContent-Length: 6\r\n\r\n", "Repeated Content-Length or "
                                                         "Transfer-Encoding"),
    (b"Transfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n",
     "Both Content-Length and Transfer-Encoding"),
    (b"Transfer-Encoding: gzip, chunked\r\n\r\n", "Unsupported Transfer-Encoding"),
    (b"X: " + b"y" * 70000 + b"\r\n\r\n", "Line too long"),
    (b"".join(b"X-%d: y\r\n" % i for i in range(101)) + b"\r\n", "Too many headers"),
])
def test_malformed_headers_set_a_status_pywsgi_answers_400(raw, status):
    headers, _ = read(RequestHeaders, raw)
    assert headers.status == status


@pytest.mark.parametrize("size", [1, 3, 4, 5, 125, 4096, 60_001])
def test_unmask_is_xor_with_the_repeated_mask(size):
    payload, mask = os.urandom(size), os.urandom(4)
    expected = bytes(byte ^ mask[i % 4] for i, byte in enumerate(payload))
    assert unmask(payload, mask) == expected
    assert unmask(b"\x00" * size, b"\x00\x00\x00\x00") == b"\x00" * size  # leading zeros kept


def test_close_codes_a_peer_may_send():
    allowed = [code for code in range(70000) if valid_close_code(code)]
    assert allowed == [*range(1000, 1004), *range(1007, 1015), *range(3000, 5000)]
