"""The quiz: questions with a right answer and a timer, points for right and fast, a leaderboard.

Server time decides: a question opened at ``opened_at`` takes answers until ``closes_at``, and an
answer the server receives later is refused, whatever the phone's clock says. Each device
answers a question once (``Hashes.count_once``, atomic, so the tally is exact with any number of
processes); a right answer scores at once, more for a fast one, added with ``hincr`` to the
device's score for the room. Scores belong to the device id (the signed cookie), so a phone that
reloads or reconnects keeps its score. Nicknames are plain text, claimed per room with
``hsetnx`` on their folded form, so two phones can never hold the same one.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable
from typing import Any

from app.audience.spreadsheet import csv_text
from app.state.errors import BAD_REQUEST, CONFLICT, ChorusError, bad_request, too_large
from app.state.hashes import Hashes

BASE_POINTS = 500  # a right answer
SPEED_POINTS = 500  # and up to this much more, falling linearly to 0 at the timer's end
MAX_NICKNAME = 24
BOARD_TOP = 10


def points_for(right: bool, remaining: float, seconds: float) -> int:
    """The points of one answer: none when wrong, 500 to 1000 when right, more for faster."""
    if not right:
        return 0
    return BASE_POINTS + round(SPEED_POINTS * max(0.0, min(1.0, remaining / seconds)))


def clean_nickname(nickname: Any) -> str:
    """A nickname as kept: trimmed, inner spaces collapsed; refused when empty or too long."""
    if not isinstance(nickname, str) or not nickname.strip():
        raise bad_request("nickname must be non-empty text")
    nickname = re.sub(r"\s+", " ", nickname.strip())
    if len(nickname) > MAX_NICKNAME:
        raise too_large(f"a nickname is at most {MAX_NICKNAME} characters")
    return nickname


class Quiz:
    """Answers to quiz questions, scores, nicknames and the leaderboard of a room."""

    def __init__(self, hashes: Hashes, clock: Callable[[], float] = time.time) -> None:
        self._hashes = hashes
        self._clock = clock

    def answer(self, room: str, device: str, poll: dict, answer: Any) -> str:
        """Take a device's one answer to an open quiz question; returns the option as counted."""
        now = self._clock()
        if not poll["open"] or now >= poll["closes_at"]:
            raise ChorusError(BAD_REQUEST, "time is up: this question took answers until "
                              "its timer ended", closed=True)
        if isinstance(answer, bool) or not isinstance(answer, int) \
                or not 0 <= answer < len(poll["options"]):
            raise bad_request(f"answer must be an option number 0-{len(poll['options']) - 1}")
        key = f"{room}:{poll['id']}"
        if self._hashes.count_once(f"quiz_answered:{key}", f"tally:{key}", str(answer),
                                   device) is None:
            raise bad_request("you have answered this question already: a quiz answer is final")
        points = points_for(answer == poll["correct"], poll["closes_at"] - now, poll["seconds"])
        self._hashes.hset(f"answers:{key}", device, str(answer))
        self._hashes.hset(f"quiz_points:{key}", device, str(points))
        self._hashes.hincr(f"quiz_scores:{room}", device, points)
        return str(answer)

    def results(self, room: str, poll: dict) -> dict:
        """How many chose each option, and how many were right."""
        tally = self._hashes.hgetall(f"tally:{room}:{poll['id']}")
        counts = [int(tally.get(str(i), 0)) for i in range(len(poll["options"]))]
        return {"total": sum(counts), "counts": counts, "right": counts[poll["correct"]]}

    def set_nickname(self, room: str, device: str, nickname: Any) -> str:
        """Give the device a nickname in this room; ``conflict`` when another device has it."""
        nickname = clean_nickname(nickname)
        folded = nickname.casefold()
        owners = f"nick_owners:{room}"
        if not self._hashes.hsetnx(owners, folded, device) \
                and self._hashes.hget(owners, folded) != device:
            raise ChorusError(CONFLICT, f"the nickname “{nickname}” is taken: choose another",
                              taken=True)
        earlier = self._hashes.hget(f"nicknames:{room}", device)
        self._hashes.hset(f"nicknames:{room}", device, nickname)
        if earlier is not None and earlier.casefold() != folded:
            self._hashes.hdel(owners, earlier.casefold())
        self._hashes.hincr(f"quiz_scores:{room}", device, 0)  # on the board from now on
        return nickname

    def standings(self, room: str) -> list[dict]:
        """Every player by points (then nickname): rank, nickname (None if unnamed), points.
        Equal points share a rank."""
        names = self._hashes.hgetall(f"nicknames:{room}")
        scores = self._hashes.hgetall(f"quiz_scores:{room}")
        rows = sorted(((int(points), names.get(device), device)
                       for device, points in scores.items()),
                      key=lambda row: (-row[0], (row[1] or "\uffff").casefold()))
        board, rank = [], 0
        for place, (points, name, device) in enumerate(rows, start=1):
            if not board or points != board[-1]["points"]:
                rank = place
            board.append({"rank": rank, "nickname": name, "points": points, "device": device})
        return board

    def leaderboard(self, room: str) -> list[dict]:
        """The top of the standings, as screens show it (no device ids)."""
        return [{k: row[k] for k in ("rank", "nickname", "points")}
                for row in self.standings(room)[:BOARD_TOP]]

    def me(self, room: str, device: str | None, poll: dict | None) -> dict:
        """One device's nickname, points and rank, and its points for ``poll`` if a quiz."""
        found = next((row for row in self.standings(room) if row["device"] == device), None)
        mine: dict[str, Any] = {"nickname": None, "points": 0, "rank": None}
        if found is not None:
            mine.update(nickname=found["nickname"], points=found["points"], rank=found["rank"])
        if device is not None and poll is not None and poll["kind"] == "quiz":
            earned = self._hashes.hget(f"quiz_points:{room}:{poll['id']}", device)
            mine["earned"] = int(earned) if earned is not None else None
        return mine

    def reset_scores(self, room: str) -> None:
        """Every score back to 0 (nicknames stay)."""
        scores = self._hashes.hgetall(f"quiz_scores:{room}")
        for device in scores:
            self._hashes.hset(f"quiz_scores:{room}", device, "0")

    def export(self, room: str, questions: list[dict], fmt: str) -> str:
        """The quiz results so far, as CSV or JSON text: each question, then the standings."""
        rows = [{"poll": poll, "results": self.results(room, poll)} for poll in questions]
        board = [{k: row[k] for k in ("rank", "nickname", "points")}
                 for row in self.standings(room)]
        if fmt == "json":
            return json.dumps({"room": room, "questions": rows, "standings": board}, indent=2)
        lines: list[list[Any]] = [["question", "text", "correct", "answers", "right"]]
        lines += [[row["poll"]["id"], row["poll"]["question"],
                   row["poll"]["options"][row["poll"]["correct"]], row["results"]["total"],
                   row["results"]["right"]] for row in rows]
        lines += [[], ["rank", "nickname", "points"]]
        lines += [[row["rank"], row["nickname"] or "", row["points"]] for row in board]
        return csv_text(lines)
