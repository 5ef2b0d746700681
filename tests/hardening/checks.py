"""Checks shared by the hardening tests: what a well-formed ack is, and the worker's memory."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import requests

from tests.support import Server

CODES = {"bad_request", "not_joined", "conflict", "too_large", "rate_limited", "forbidden",
         "unavailable"}


def ack_problem(ack: Any) -> str | None:
    """What is wrong with an ack by the contract's rules, or None when it is well formed."""
    if not isinstance(ack, dict):
        return f"not an object: {ack!r:.200}"
    if not isinstance(ack.get("ok"), bool):
        return f"no boolean ok: {ack!r:.200}"
    if ack["ok"]:
        return None
    error = ack.get("error")
    if not isinstance(error, dict):
        return f"failure without an error object: {ack!r:.200}"
    if error.get("code") not in CODES:
        return f"unknown error code: {ack!r:.200}"
    if not isinstance(error.get("message"), str) or not error["message"]:
        return f"no message: {ack!r:.200}"
    if error["code"] == "rate_limited":
        wait = retry_after_ms(ack)
        if not isinstance(wait, int) or isinstance(wait, bool) or wait <= 0:
            return f"rate_limited without a positive int retry_after_ms: {ack!r:.200}"
    return None


def retry_after_ms(ack: dict) -> Any:
    """``retry_after_ms`` of a rate_limited ack: in ``error`` or beside it (the contract says a
    rate_limited error "carries" it; the server puts it beside ``error``, where static/chorus.js
    reads it)."""
    error = ack.get("error") or {}
    return error.get("retry_after_ms", ack.get("retry_after_ms"))


def worker_pid(server: Server) -> int:
    """gunicorn's one worker process (the master only supervises it)."""
    pid = server.proc.pid
    return int(Path(f"/proc/{pid}/task/{pid}/children").read_text().split()[0])


def rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise AssertionError(f"no VmRSS for {pid}")


def healthy(url: str) -> bool:
    reply = requests.get(url + "/healthz", timeout=5, headers={"Connection": "close"})
    return reply.status_code == 200 and reply.json().get("ok", True) is not False


def assert_worker_lived(server: Server) -> None:
    """The one worker gunicorn booted is still the one serving: it never died and was never
    replaced (a crashed worker is restarted by gunicorn at once, so /healthz alone would not
    tell; every connection and, with the memory store, every room died with it)."""
    log = server.log()
    deaths = [line for line in log.splitlines()
              if "was sent SIG" in line or "Assertion" in line or "exited with code" in line
              or "Worker failed to boot" in line]
    boots = log.count("Booting worker with pid")
    assert boots == 1 and not deaths, f"the worker died ({boots} boots): {deaths[:5]}"
