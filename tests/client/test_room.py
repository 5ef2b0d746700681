"""chorus_client.Room against a real server: a browser's writes, callbacks, a cut connection."""

from __future__ import annotations

import threading
import uuid

import pytest
from chorus_client import BadRequest, Conflict, ConnectionFailed, Forbidden, Room
from playwright.sync_api import expect

from tests.audience_support import define_board
from tests.client.conftest import API_TOKEN
from tests.tcp_proxy import TcpProxy


def room_name(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


@pytest.mark.browser
def test_values_follow_a_browsers_writes(server, page, recorder):
    name = room_name("py-browser")
    define_board(server.url, name)
    with Room(server.url, name) as room:
        seen = recorder()
        room.on_change(None, seen.add)
        page.goto(f"{server.url}/r/{name}")
        expect(page.locator("#badge")).to_have_attribute("data-status", "live")

        page.locator("#c-volume").fill("73")
        seen.wait_for(lambda items: any(c.key == "volume" and c.value == 73 for c in items),
                      what="the slider's 73")
        assert room.values["volume"] == 73
        for _ in range(3):
            page.get_by_role("button", name="+1", exact=True).click()
        seen.wait_for(lambda items: any(c.key == "count" and c.value == 3 for c in items),
                      what="the counter at 3")
        assert room.get("count") == 3

        # and the other way: the page shows what Python writes
        room.set("volume", 12)
        expect(page.locator("#o-volume")).to_have_text("12")


def test_on_change_fires_once_per_change(server, recorder):
    name = room_name("py-once")
    with Room(server.url, name) as listener, Room(server.url, name) as writer:
        heard, own = recorder(), recorder()
        listener.on_change("n", heard.add)
        writer.on_change("n", own.add)
        everything = recorder()
        listener.on_change("*", everything.add)
        for i in range(1, 21):
            assert writer.incr("n")["value"] == i
            # one at a time, so no two changes of n fall in one batch (which may coalesce)
            heard.wait_for(lambda items, i=i: len(items) >= i, what=f"change {i}")
        writer.set("done", True)  # batches arrive in room order: after this, nothing is due
        everything.wait_for(lambda items: any(c.key == "done" for c in items), what="done")
        own_done = recorder()
        writer.on_change("done", own_done.add)
        writer.set("done", False)
        own_done.wait_for(lambda items: items, what="the writer's own batch")
        assert [c.value for c in heard.items] == list(range(1, 21))
        assert [c.version for c in heard.items] == list(range(1, 21))
        assert [c.value for c in own.items] == list(range(1, 21))  # its acks, not again
        assert listener.values["n"] == writer.values["n"] == 20


def test_incr_retried_after_a_cut_connection_is_applied_once(server, recorder):
    """The connection is cut after the server applied the incr and before its ack came back:
    the client resends the same op after reconnecting and gets the first answer back."""
    name = room_name("py-cut")
    proxy = TcpProxy(server.port)
    try:
        with Room(server.url, name) as observer, \
                Room(proxy.url, name, transports=["websocket"]) as room:
            changes = recorder()
            observer.on_change("hits", changes.add)
            sent = recorder()
            emit = room._sio.emit

            def lose_first_incr_ack(event, data=None, namespace=None, callback=None):
                if event == "incr" and not sent.items:
                    sent.add(data)
                    return emit(event, data, namespace=namespace, callback=lambda *a: None)
                if event == "incr":
                    sent.add(data)
                return emit(event, data, namespace=namespace, callback=callback)

            room._sio.emit = lose_first_incr_ack
            result = {}

            def cut_once_applied(change):
                if change.value == 1 and not result:
                    result["cut"] = True
                    proxy.cut()
            observer.on_change("hits", cut_once_applied)

            writing = threading.Thread(
                target=lambda: result.update(ack=room.incr("hits", 1, timeout=30)))
            writing.start()
            with room._cond:  # the client noticed the cut
                assert room._cond.wait_for(lambda: result.get("cut") and not room._connected, 20)
            proxy.restore()
            writing.join(30)
            assert result["ack"] == {"ok": True, "value": 1, "version": 1}
            assert len(sent.items) == 2 and sent.items[0]["op"] == sent.items[1]["op"]
            assert room.incr("hits", 1)["value"] == 2  # the connection is back and counting
            changes.wait_for(lambda items: any(c.value == 2 for c in items), what="hits at 2")
            assert [c.value for c in changes.items] == [1, 2]
            assert observer.values["hits"] == room.values["hits"] == 2
    finally:
        proxy.close()


def test_refusals_raise_their_own_exception(server):
    with Room(server.url, room_name("py-errors")) as room:
        room.set("k", "a")
        with pytest.raises(Conflict) as conflict:
            room.set("k", "b", expect=0)
        assert conflict.value.code == "conflict"
        assert conflict.value.current == {"value": "a", "version": 1}
        with pytest.raises(BadRequest) as bad:
            room.incr("k", 1)
        assert bad.value.code == "bad_request" and bad.value.message
    with pytest.raises(BadRequest):
        Room(server.url, "no spaces allowed")


def test_a_wrong_token_fails_the_first_write_naming_the_403(server):
    with Room(server.url, room_name("py-token"), token="not-the-token") as room:
        with pytest.raises(Forbidden) as refused:
            room.set("k", 1)
        assert "403" in str(refused.value) and refused.value.code == "forbidden"
        assert "k" not in room.values
    with Room(server.url, room_name("py-token"), token=API_TOKEN) as room:
        assert room.set("k", 1)["ok"]


def test_batches_handled_out_of_order_are_applied_in_from_order(server, recorder):
    """python-socketio runs each packet on its own thread: the later batch may come first."""
    with Room(server.url, room_name("py-order")) as room:
        seen = recorder()
        room.on_change(None, seen.add)
        epoch, start = room.epoch, room.version
        second = {"room": room.room, "epoch": epoch, "from": start + 1, "version": start + 2,
                  "changes": [{"key": "k", "value": 2, "version": 2, "deleted": False}]}
        first = {"room": room.room, "epoch": epoch, "from": start, "version": start + 1,
                 "changes": [{"key": "k", "value": 1, "version": 1, "deleted": False}]}
        room._on_changes(second)
        assert room.get("k") is None  # held until the one before it arrives
        room._on_changes(first)
        seen.wait_for(lambda items: len(items) == 2, what="both batches")
        assert [c.value for c in seen.items] == [1, 2] and room.version == start + 2


def test_bad_addresses_fail_at_once_with_a_clear_error(server):
    with pytest.raises(BadRequest, match="http://"):
        Room("ftp://127.0.0.1", "demo")
    with pytest.raises(ConnectionFailed, match="could not connect"):
        Room("http://127.0.0.1:9", "demo", timeout=5)
