"""Audience mode's answer to sync's write policy (app/sync/policy.py): each control's mode.

``open`` keys (and every key of a room without a board, or not on its board) take any write, as
the contract says. The audience may not write a ``presenter`` key, nor a locked one: that is
``forbidden``. A ``moderated`` text from the audience is held for the presenter and acked
``{"ok": true, "pending": true, "id": I}``. An ``average`` slider records the device's value and
applies ``{"mean": m, "count": n}`` to the key in its place. The presenter's writes (joined with
the token, or through the HTTP API) always apply as sent.
"""

from __future__ import annotations

from typing import Any

from app.audience.board import Boards
from app.audience.identity import DeviceIds
from app.audience.presenters import Presenters
from app.state.base import Write
from app.state.errors import FORBIDDEN, ChorusError, bad_request
from app.state.values import encode_value
from app.sync.policy import Writer


class BoardPolicy:
    """The write policy of rooms with a defined board."""

    def __init__(self, boards: Boards, presenters: Presenters, devices: DeviceIds) -> None:
        self.boards = boards
        self.presenters = presenters
        self.devices = devices

    def presents(self, room: str, token: Any) -> bool:
        return self.presenters.verify(room, token)

    def device(self, environ: dict) -> str | None:
        return self.devices.from_environ(environ)

    def admit(self, write: Write, writer: Writer) -> Write | dict[str, Any]:
        controls = self.boards.controls(write.room)
        control = controls.get(write.key) if controls else None
        if control is None or writer.presenter:
            return write
        mode = control["mode"]
        if control["locked"]:
            raise ChorusError(FORBIDDEN, "this control is locked by the presenter")
        if mode == "presenter":
            raise ChorusError(FORBIDDEN, "only the presenter can change this control")
        if mode == "open":
            return write
        if write.kind != "set":
            raise ChorusError(FORBIDDEN, "only the presenter can do that to this control")
        if mode == "moderated":
            if not isinstance(write.value, str) or len(write.value) > control["max_length"]:
                longest = control["max_length"]
                raise bad_request(f"value must be text of at most {longest} characters")
            return self.boards.hold(write.room, write.key, write.value, write.client, write.op)
        value = write.value
        if (isinstance(value, bool) or not isinstance(value, (int, float))
                or not control["min"] <= value <= control["max"]):
            raise bad_request(f"value must be a number from {control['min']} to "
                              f"{control['max']}")
        mean = self.boards.average(write.room, write.key, writer.device, value)
        return Write("set", write.room, write.key, write.client, write.op, value=mean,
                     value_json=encode_value(mean))
