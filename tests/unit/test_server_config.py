"""gunicorn.conf.py and the self-check, read as plain Python."""

from __future__ import annotations

import logging
import runpy

import pytest

from app.config import settings_from_environ
from app.ops.blocked_loop import _report_blocked
from app.ops.selfcheck import WEBSOCKET_WORKER, check_serving
from tests.support import ROOT


def load_conf(monkeypatch, **env) -> dict:
    for name in ("CHORUS_BIND", "CHORUS_WORKER_CONNECTIONS", "CHORUS_CONTROL_SOCKET",
                 "CHORUS_GRACEFUL_TIMEOUT"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return runpy.run_path(str(ROOT / "gunicorn.conf.py"))


def test_defaults_hold_ten_thousand_clients_on_one_websocket_worker(monkeypatch):
    conf = load_conf(monkeypatch)
    assert conf["worker_class"] == WEBSOCKET_WORKER
    assert conf["workers"] == 1
    assert conf["worker_connections"] >= 20000  # 10,000 polling clients x 2 connections
    assert conf["bind"] == "127.0.0.1:5000"
    assert conf["graceful_timeout"] <= 10
    assert conf["control_socket_disable"] is True
    assert "control_socket" not in conf


def test_environment_overrides(monkeypatch):
    conf = load_conf(monkeypatch, CHORUS_BIND="0.0.0.0:8000", CHORUS_WORKER_CONNECTIONS="500",
                     CHORUS_CONTROL_SOCKET="/run/chorus/a.ctl")
    assert conf["bind"] == "0.0.0.0:8000"
    assert conf["worker_connections"] == 500
    assert conf["control_socket"] == "/run/chorus/a.ctl"
    assert "control_socket_disable" not in conf


@pytest.mark.parametrize("env,problem", [
    ({"GUNICORN_WORKER_CLASS": WEBSOCKET_WORKER, "GUNICORN_WORKERS": "3"}, "runs 3 workers"),
    ({"GUNICORN_WORKER_CLASS": "gunicorn.workers.ggevent.GeventWorker", "GUNICORN_WORKERS": "1"},
     "cannot upgrade"),
    ({"GUNICORN_WORKER_CLASS": "gunicorn.workers.sync.SyncWorker", "GUNICORN_WORKERS": "1"},
     "cannot upgrade"),
])
def test_self_check_names_each_problem(env, problem):
    report = check_serving(env, "gevent", driver_websocket=True, message_queue=None)
    assert len(report.problems) == 1 and problem in report.problems[0]


def test_self_check_passes_the_intended_setup():
    report = check_serving({"GUNICORN_WORKER_CLASS": WEBSOCKET_WORKER, "GUNICORN_WORKERS": "1"},
                           "gevent", driver_websocket=True, message_queue=None)
    assert report.problems == [] and report.websocket is True and report.workers == 1


def test_blocked_event_loop_is_one_log_line(caplog):
    from gevent.events import EventLoopBlocked

    info = ["Greenlet <x> appears to be blocked", '  File "/srv/app/slow.py", line 3, in work',
            "    time.sleep(5)"]
    with caplog.at_level(logging.WARNING, logger="app.ops.blocked_loop"):
        _report_blocked(EventLoopBlocked(object(), 1.0, info))
    assert len(caplog.records) == 1
    message = caplog.records[0].getMessage()
    assert "\n" not in message and "slow.py" in message and "blocked" in message


@pytest.mark.parametrize("name", ["CHORUS_PING_INTERVAL", "CHORUS_PING_TIMEOUT"])
def test_ping_settings_take_fractions_of_a_second(name):
    key = name.removeprefix("CHORUS_")
    assert settings_from_environ({name: "0.5"})[key] == 0.5
    for bad in ("0", "-1", "nan", "soon"):
        with pytest.raises(ValueError, match=name):
            settings_from_environ({name: bad})
