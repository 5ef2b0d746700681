"""The websocket reader's cost: server CPU per 60 KB frame, and a /sync client's round trip while
another client floods the largest frames the server takes.

    .venv/bin/python -m bench.frames              # about 40 seconds
    .venv/bin/python -m bench.frames --frames 500 --seconds 10

Each part starts Chorus afresh (gunicorn, one worker, in-memory store) on a free loopback port,
as bench/run.py does, and reads the worker's CPU time from /proc:

* cpu: one client sends ``--frames`` masked text frames of 60 KB, then an event whose ack says
  they have all been read; the worker's CPU over that, divided by the frames. Twice: frames
  holding an Engine.IO NOOP packet (the reader and Engine.IO's decoding only), then frames
  holding a /sync `set` whose 60 KB value is answered `too_large` (the whole way to the ack).
  The byte budget is off here (CHORUS_BYTE_RATE=0): this measures work, not waiting.
* flood: a hostile client, in a process of its own, sends frames of 65,000 bytes (just under
  CHORUS_MAX_MESSAGE) as fast as TCP takes them for ``--seconds``, while a well-behaved client
  times one `set` round trip every 20 ms. With the byte budget at its default, then without it.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import statistics
import tempfile
import threading
import time
from pathlib import Path

import websocket
from websocket import ABNF

from bench.run import ServerUnderTest, machine

FRAME = 60_000
FLOOD_FRAME = 65_000


def ws_connect(url: str) -> websocket.WebSocket:
    """A websocket to /sync, its namespace connected."""
    ws = websocket.create_connection(url.replace("http://", "ws://") +
                                     "/socket.io/?EIO=4&transport=websocket", timeout=30)
    assert ws.recv().startswith("0{")
    ws.send("40/sync,")
    wait_for(ws, "40/sync,")
    return ws


def wait_for(ws: websocket.WebSocket, prefix: str) -> str:
    """Read until a text message starting with ``prefix``; answers Engine.IO pings."""
    while True:
        text = ws.recv()
        if text == "2":
            ws.send("3")
        elif isinstance(text, str) and text.startswith(prefix):
            return text


def masked(text: str) -> bytes:
    """One masked text frame, built once and sent many times (the client's masking is not what
    is measured)."""
    return ABNF.create_frame(text, ABNF.OPCODE_TEXT).format()


def cpu_per_frame(server: ServerUnderTest, body: str, frames: int) -> float:
    """Milliseconds of the worker's CPU per frame of ``body``."""
    ws = ws_connect(server.url)
    data = masked(body)
    ws.send('42/sync,1["join",{"room":"bench"}]')
    wait_for(ws, "43/sync,1[")
    before = server.cpu_seconds()
    for _ in range(frames):
        ws.sock.sendall(data)
    ws.send('42/sync,2["join",{"room":"bench"}]')  # answered once every frame before was read
    wait_for(ws, "43/sync,2[")
    spent = server.cpu_seconds() - before
    ws.close()
    return spent / frames * 1000


def flood(url: str, seconds: float, sent: multiprocessing.Value) -> None:
    """The hostile client: max-size `set` frames, back to back, until ``seconds`` are up."""
    ws = ws_connect(url)
    head = '42/sync,["set",{"room":"bench","key":"big","value":"'
    tail = '"}]'
    data = masked(head + "z" * (FLOOD_FRAME - len(head) - len(tail)) + tail)
    ws.sock.settimeout(seconds + 30)
    # its acks are read and dropped, so it is not cut off as a client that stopped reading
    threading.Thread(target=drain, args=(ws.sock,), daemon=True).start()
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        ws.sock.sendall(data)
        sent.value += 1
    ws.sock.close()


def drain(sock) -> None:
    try:
        while sock.recv(65536):
            pass
    except OSError:
        pass


def round_trips(url: str, seconds: float) -> list[float]:
    """A `set` round trip every 20 ms for ``seconds``; their times in milliseconds."""
    ws = ws_connect(url)
    ws.send('42/sync,1["join",{"room":"bench"}]')
    wait_for(ws, "43/sync,1[")
    times: list[float] = []
    deadline = time.monotonic() + seconds
    ack = 2
    while time.monotonic() < deadline:
        started = time.perf_counter()
        ws.send(f'42/sync,{ack}["set",{{"room":"bench","key":"n","value":{ack}}}]')
        wait_for(ws, f"43/sync,{ack}[")
        times.append((time.perf_counter() - started) * 1000)
        ack += 1
        time.sleep(max(0.0, 0.02 - times[-1] / 1000))
    ws.close()
    return times


def flood_part(workdir: Path, seconds: float, byte_rate: str | None) -> dict:
    """A normal client's round trips while the hostile client floods; the flood's figures."""
    if byte_rate is None:
        os.environ.pop("CHORUS_BYTE_RATE", None)
    else:
        os.environ["CHORUS_BYTE_RATE"] = byte_rate
    server = ServerUnderTest("chorus", workdir, "frames")
    try:
        sent = multiprocessing.Value("q", 0)
        hostile = multiprocessing.Process(target=flood, args=(server.url, seconds, sent))
        cpu_before = server.cpu_seconds()
        hostile.start()
        times = round_trips(server.url, seconds)
        cpu = server.cpu_seconds() - cpu_before
        hostile.join(seconds + 30)
        times.sort()
        return {"round_trips": len(times), "p50_ms": statistics.median(times),
                "p99_ms": times[int(len(times) * 0.99)], "max_ms": times[-1],
                "flood_mib_s": sent.value * FLOOD_FRAME / seconds / 1048576,
                "server_cpu_percent": cpu / seconds * 100}
    finally:
        server.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--frames", type=int, default=1000, help="frames per CPU measurement")
    parser.add_argument("--seconds", type=float, default=8, help="length of each flood")
    args = parser.parse_args()
    print(f"Machine: {machine()}")
    with tempfile.TemporaryDirectory(prefix="chorus-frames-") as tmp:
        workdir = Path(tmp)
        os.environ["CHORUS_BYTE_RATE"] = "0"
        server = ServerUnderTest("chorus", workdir, "frames")
        try:
            noop = cpu_per_frame(server, "6" + "n" * (FRAME - 1), args.frames)
            value = "é" * ((FRAME - 60) // 2)
            event = cpu_per_frame(server, '42/sync,["set",' + json.dumps(
                {"room": "bench", "key": "big", "value": value}, ensure_ascii=False) + "]",
                args.frames)
        finally:
            server.stop()
        print(f"cpu: {args.frames} frames of 60 KB each: {noop:.3f} ms of server CPU per frame "
              f"(Engine.IO NOOP), {event:.3f} ms per frame (/sync `set`, answered too_large)")
        for label, rate in (("byte budget on (default)", None), ("byte budget off", "0")):
            result = flood_part(workdir, args.seconds, rate)
            print(f"flood, {label}: hostile client sent {result['flood_mib_s']:.1f} MiB/s; "
                  f"normal client's round trip p50 {result['p50_ms']:.1f} ms, p99 "
                  f"{result['p99_ms']:.1f} ms, max {result['max_ms']:.1f} ms over "
                  f"{result['round_trips']} round trips; server CPU "
                  f"{result['server_cpu_percent']:.0f}% of one core")


if __name__ == "__main__":
    main()
