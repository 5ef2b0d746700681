"""Live polls: multiple choice, word cloud, a 1-5 scale, ranking, open text, or a quiz question.

Answers and tallies live in the shared hashes, moved together by ``Hashes.vote``: a device that
changes its answer takes one from the old choice and gives one to the new, atomically, so the
tally is exact under any load and across processes. A ranking's answer is the whole order, so
its tally counts orders and the average rank is worked out from them. Open text answers
(texts.py) and quiz questions (quiz.py) keep their own answers; this module opens, closes and
reveals every kind. Results stay hidden from the audience until the presenter reveals them; the
presenter always sees them. A quiz question's right answer is sent to the audience only then.
Words kept off a cloud or masked in open answers sit in ``removed:R:P`` (word -> who: "filter"
for a listed swear word, held as it arrives, or "presenter" for one removed by hand), so every
process and every view leaves them out.
"""

from __future__ import annotations

import json
import re
import time
from typing import Any

from app.audience.deck_schema import parse_item
from app.audience.quiz import Quiz
from app.audience.spreadsheet import csv_text
from app.audience.texts import Texts
from app.state.errors import ChorusError, bad_request
from app.state.hashes import Hashes

MAX_WORD = 40
MAX_POLLS = 100  # per room
CLOUD_TOP = 60  # words shown


def normalized_word(text: str) -> str:
    """Equal answers count together: case, surrounding punctuation and spacing do not matter."""
    text = re.sub(r"\s+", " ", text.strip().lower())
    return text.strip(".,;:!?\"'()[]{}")


class Polls:
    """Open, answer, close and reveal polls of a room; build their views and exports."""

    def __init__(self, hashes: Hashes, quiz: Quiz, texts: Texts) -> None:
        self._hashes = hashes
        self.quiz = quiz
        self.texts = texts

    def open(self, room: str, spec: dict) -> dict:
        """Open a new poll from ``spec`` (a deck item's fields: kind, question, options,
        correct, seconds, hidden), closing the current one; returns it."""
        # A field sent as null is a field left out (a scale poll with "options": null).
        item = parse_item({k: v for k, v in spec.items() if k != "room" and v is not None}, "")
        kind, question = item["kind"], item["question"]
        options = item.get("options") or ([str(n) for n in range(1, 6)] if kind == "scale"
                                          else [])
        number = self._hashes.hincr("ids", f"poll:{room}")
        if number > MAX_POLLS:
            raise ChorusError("too_large", f"a room holds at most {MAX_POLLS} polls")
        current = self.current(room)
        if current is not None and current["open"]:
            self._update(room, current, open=False)
        now = time.time()
        poll = {"id": number, "kind": kind, "question": question, "options": options,
                "open": True, "revealed": not item.get("hidden") and kind != "quiz",
                "opened_at": now}
        if kind == "quiz":
            poll.update(correct=item["correct"], seconds=item["seconds"],
                        closes_at=now + item["seconds"])
        self._hashes.hset(f"polls:{room}", str(number), json.dumps(poll))
        self._hashes.hset(f"polls:{room}", "current", str(number))
        self._hashes.hdel(f"polls:{room}", "finale")
        return poll

    def finish(self, room: str) -> None:
        """The deck has ended: close the current poll and show the final leaderboard."""
        current = self.current(room)
        if current is not None and current["open"]:
            self._update(room, current, open=False)
        self._hashes.hset(f"polls:{room}", "finale", "1")

    def answer(self, room: str, device: str, poll_id: Any, answer: Any) -> Any:
        """Record a device's answer to the open poll (replacing its earlier one, except in a
        quiz, where the first answer is final); returns the answer as counted."""
        poll = self._get(room, poll_id)
        if poll["kind"] == "quiz":
            return self.quiz.answer(room, device, poll, answer)
        if not poll["open"]:
            raise bad_request("this poll is closed")
        if poll["kind"] == "text":
            return self.texts.write(room, device, poll, answer)
        choice = self._choice(poll, answer)
        if poll["kind"] == "cloud" and self.texts.words.flagged(choice):
            self._hashes.hsetnx(f"removed:{room}:{poll['id']}", choice, "filter")
        self._hashes.vote(f"answers:{room}:{poll['id']}", f"tally:{room}:{poll['id']}",
                          device, choice)
        return choice

    def close(self, room: str, poll_id: Any) -> dict:
        return self._update(room, self._get(room, poll_id), open=False)

    def reveal(self, room: str, poll_id: Any, shown: Any) -> dict:
        """Show or hide the results; revealing a quiz question also ends its answers."""
        if not isinstance(shown, bool):
            raise bad_request("revealed must be true or false")
        poll = self._get(room, poll_id)
        if poll["kind"] == "quiz" and shown:
            return self._update(room, poll, revealed=True, open=False)
        return self._update(room, poll, revealed=shown)

    def moderate(self, room: str, poll_id: Any, entry_id: Any, shown: Any) -> dict:
        """Presenter: show or reject one answer of a text poll."""
        poll = self._get(room, poll_id)
        if poll["kind"] != "text":
            raise bad_request("only the answers of a text poll are moderated")
        return self.texts.moderate(room, poll, entry_id, shown)

    def remove_word(self, room: str, poll_id: Any, word: Any) -> list[str]:
        """Presenter or co-host: take a word off a cloud, or mask it in a text poll's answers,
        for everyone; returns the words removed by hand so far."""
        poll = self._get(room, poll_id)
        if poll["kind"] not in ("cloud", "text"):
            raise bad_request("words are removed from a word cloud or open answers only")
        cleaned = normalized_word(_text(word, "word", MAX_WORD))
        if not cleaned:
            raise bad_request("word must have a letter or digit in it")
        key = f"removed:{room}:{poll['id']}"
        self._hashes.hset(key, cleaned, "presenter")
        return sorted(w for w, by in self._hashes.hgetall(key).items() if by == "presenter")

    def every(self, room: str) -> list[dict]:
        """Every poll of the room, in order."""
        polls = self._hashes.hgetall(f"polls:{room}")
        return sorted((json.loads(text) for field, text in polls.items() if field.isdigit()),
                      key=lambda poll: poll["id"])

    def forget(self, room: str) -> None:
        """Remove every poll of ``room`` with what each kind kept beside it (answers, tallies,
        quiz points and scores, nicknames, text answers): an expired room."""
        count = int(self._hashes.hget("ids", f"poll:{room}") or 0)
        per_poll = ("answers", "tally", "quiz_answered", "quiz_points", "text_writers", "texts",
                    "removed")
        self._hashes.drop(f"polls:{room}", f"quiz_scores:{room}", f"nicknames:{room}",
                          f"nick_owners:{room}",
                          *(f"{kind}:{room}:{n}" for n in range(1, count + 1) for kind in per_poll))
        self._hashes.hdel("ids", f"poll:{room}", *(f"text:{room}:{n}" for n in range(1, count + 1)))

    def current(self, room: str) -> dict | None:
        number = self._hashes.hget(f"polls:{room}", "current")
        found = self._hashes.hget(f"polls:{room}", number) if number else None
        return json.loads(found) if found else None

    def mine(self, room: str, poll: dict | None, device: str | None) -> str | None:
        """A device's current answer to a poll, to show it selected."""
        if poll is None or device is None:
            return None
        return self._hashes.hget(f"answers:{room}:{poll['id']}", device)

    def results(self, room: str, poll: dict, presenter: bool = True) -> dict:
        """Counts for the poll's kind: per option, per word (top ones), per 1-5 with mean, the
        average rank of each option, the moderated text answers, or a quiz question's tally."""
        if poll["kind"] == "quiz":
            return self.quiz.results(room, poll)
        if poll["kind"] == "text":
            return self.texts.results(room, poll, presenter)
        tally = {k: int(v) for k, v in self._hashes.hgetall(f"tally:{room}:{poll['id']}").items()
                 if int(v) > 0}
        total = sum(tally.values())
        if poll["kind"] == "cloud":
            removed = self._hashes.hgetall(f"removed:{room}:{poll['id']}")
            kept = {w: n for w, n in tally.items() if w not in removed}
            words = sorted(kept.items(), key=lambda item: (-item[1], item[0]))[:CLOUD_TOP]
            body = {"total": sum(kept.values()), "words": [[w, n] for w, n in words]}
            if total > body["total"]:  # only then, so a cloud with nothing kept off is as before
                body["removed"] = total - body["total"]
            return body
        if poll["kind"] == "ranking":
            return _average_ranks(len(poll["options"]), tally, total)
        counts = [tally.get(str(i), 0) for i in range(len(poll["options"]))] \
            if poll["kind"] == "choice" else [tally.get(str(n), 0) for n in range(1, 6)]
        body: dict[str, Any] = {"total": total, "counts": counts}
        if poll["kind"] == "scale":
            body["mean"] = round(sum(n * c for n, c in zip(range(1, 6), counts, strict=True))
                                 / total, 2) if total else None
        return body

    def view(self, room: str, presenter: bool) -> dict:
        """The current poll as one audience sees it: results only when revealed (or presenter)."""
        poll = self.current(room)
        view: dict[str, Any] = {"room": room, "poll": None, "results": None, "now": time.time()}
        finale = self._hashes.hget(f"polls:{room}", "finale") is not None
        if poll is not None:
            shown = presenter or poll["revealed"]
            if poll["kind"] == "quiz":
                poll = {**poll, "open": poll["open"] and view["now"] < poll["closes_at"]}
                if not shown:
                    poll.pop("correct")
            view.update(poll=poll, results=self.results(room, poll, presenter) if shown else None)
            finale = finale or (poll["kind"] == "quiz" and poll["revealed"])
        if finale:
            view["leaderboard"] = self.quiz.leaderboard(room)
            view["finale"] = self._hashes.hget(f"polls:{room}", "finale") is not None
        return view

    def export(self, room: str, poll_id: Any, fmt: str) -> str:
        """A poll's results as CSV or JSON text, at any time."""
        poll = self._get(room, poll_id)
        results = self.results(room, poll)
        if fmt == "json":
            return json.dumps({"poll": poll, "results": results}, indent=2)
        rows: list[list[Any]] = [["poll", poll["id"], poll["question"]], ["answer", "count"]]
        if poll["kind"] == "text":
            rows[1].append("shown")
            rows += [[e["text"], 1, "yes" if e["shown"] else "no"]
                     for e in self.texts.every(room, poll)]
            return csv_text(rows)
        if poll["kind"] == "ranking":
            rows[1] = ["option", "average rank"]
            rows += [list(pair) for pair in zip(poll["options"], results["ranks"], strict=True)]
            rows.append(["total", results["total"]])
            return csv_text(rows)
        if poll["kind"] == "cloud":
            rows += [list(word) for word in results["words"]]
        else:
            rows += [list(pair) for pair in zip(poll["options"], results["counts"], strict=True)]
        rows.append(["total", results["total"]])
        if poll["kind"] == "scale":
            rows.append(["mean", results["mean"]])
        return csv_text(rows)

    def _choice(self, poll: dict, answer: Any) -> str:
        if poll["kind"] == "choice":
            if isinstance(answer, bool) or not isinstance(answer, int) \
                    or not 0 <= answer < len(poll["options"]):
                raise bad_request(f"answer must be an option number 0-{len(poll['options']) - 1}")
            return str(answer)
        if poll["kind"] == "scale":
            if isinstance(answer, bool) or not isinstance(answer, int) or not 1 <= answer <= 5:
                raise bad_request("answer must be a whole number from 1 to 5")
            return str(answer)
        if poll["kind"] == "ranking":
            size = len(poll["options"])
            if not isinstance(answer, list) or len(answer) != size \
                    or sorted(a for a in answer if type(a) is int) != list(range(size)):
                raise bad_request(f"answer must list every option number 0-{size - 1} once, "
                                  "best first")
            return ",".join(map(str, answer))
        word = normalized_word(_text(answer, "answer", MAX_WORD))
        if not word:
            raise bad_request("answer must have a word in it")
        return word

    def find(self, room: str, poll_id: int) -> dict | None:
        """Poll ``poll_id`` of ``room``, or None: an export tells a missing poll (404) from a
        malformed number (400, ``_get``)."""
        found = self._hashes.hget(f"polls:{room}", str(poll_id))
        return json.loads(found) if found is not None else None

    def _get(self, room: str, poll_id: Any) -> dict:
        if isinstance(poll_id, bool) or not isinstance(poll_id, int):
            raise bad_request("poll must be a poll number")
        found = self._hashes.hget(f"polls:{room}", str(poll_id))
        if found is None:
            raise bad_request(f"no poll {poll_id} in this room")
        return json.loads(found)

    def _update(self, room: str, poll: dict, **fields: Any) -> dict:
        poll = {**poll, **fields}
        self._hashes.hset(f"polls:{room}", str(poll["id"]), json.dumps(poll))
        return poll


def _average_ranks(size: int, orders: dict[str, int], total: int) -> dict:
    """Each option's average place (1 = first) over every device's order, and the options
    from best to worst by it."""
    sums = [0] * size
    for order, count in orders.items():
        for place, option in enumerate(order.split(","), start=1):
            sums[int(option)] += place * count
    ranks = [round(s / total, 2) if total else None for s in sums]
    best = sorted(range(size), key=lambda n: (ranks[n] or 0, n))
    return {"total": total, "ranks": ranks, "order": best}


def _text(value: Any, name: str, limit: int) -> str:
    if not isinstance(value, str) or not value.strip():
        raise bad_request(f"{name} must be non-empty text")
    if len(value) > limit:
        raise ChorusError("too_large", f"{name} is over {limit} characters")
    return value.strip()
