"""The event-stream reader's rules as function calls: a batch that continues the reader's place
is taken as it is, anything else (a gap, a batch while a write is blocked) marks it behind so it
reads the store once; a reader that misses too much while blocked is dropped."""

from __future__ import annotations

from app.sync.streams import HEARTBEAT, Reader, Streams, event_text


def batch(start: int, version: int, epoch: str = "e1") -> dict:
    return {"room": "r", "epoch": epoch, "from": start, "version": version,
            "changes": [{"key": "k", "value": version, "version": version, "deleted": False}]}


def reader_at(version: int) -> Reader:
    reader = Reader("r", abort=lambda: None)
    reader.place("e1", version)
    return reader


def no_catch_up(reader: Reader) -> str:
    raise AssertionError("the store was read")


def test_a_batch_that_continues_the_reader_is_written_as_it_is():
    reader = reader_at(3)
    text = event_text("changes", batch(3, 5))
    reader.offer(batch(3, 5), text, max_backlog=10_000)
    assert reader.next_event(0.01, no_catch_up) == text
    assert reader.version == 5
    assert "id: e1:5\n" in text


def test_an_old_batch_is_ignored_and_a_gap_reads_the_store():
    reader = reader_at(5)
    reader.offer(batch(2, 4), "old", max_backlog=10_000)
    assert reader.next_event(0.01, no_catch_up) is HEARTBEAT
    reader.offer(batch(6, 8), "gap", max_backlog=10_000)
    assert reader.next_event(0.01, lambda r: "caught up") == "caught up"


def test_batches_while_a_write_is_blocked_are_not_held_and_too_many_drop_it():
    aborted = []
    reader = Reader("r", abort=lambda: aborted.append(True))
    reader.place("e1", 1)
    reader.writing()
    reader.offer(batch(1, 2), "x" * 600, max_backlog=1000)
    assert reader.behind and not aborted
    reader.offer(batch(2, 3), "x" * 600, max_backlog=1000)
    assert reader.dropped and aborted == [True]


def test_the_cap_and_the_last_reader_of_a_room():
    streams = Streams(max_streams=1, max_backlog=1000, stall_timeout=5,
                      start_task=lambda fn: None, sleep=lambda s: None)
    first = streams.open("r", abort=lambda: None)
    try:
        streams.open("r", abort=lambda: None)
    except Exception as exc:  # noqa: BLE001
        assert getattr(exc, "code", None) == "unavailable"
    else:
        raise AssertionError("the cap did not hold")
    assert streams.watched("r")
    assert streams.close(first) is True
    assert not streams.watched("r") and streams.count() == 0
