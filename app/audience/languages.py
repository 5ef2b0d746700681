"""The language a room's presenter chose for its phones, kept in the shared hashes.

Kept in the store rather than in a process, so every instance behind the sticky upstream
serves a room's phones in the same language, and the choice survives a restart. The web
layer's locale selector (app/web/locale.py) reads it; the presenter screen sets it.
"""

from __future__ import annotations

from app.state.hashes import Hashes

ROOM_LANGUAGES = "room_languages"  # hash: room name -> locale ("de"), absent for "follow phones"


class RoomLanguages:
    """Each room's chosen locale, or None when phones follow their own browser."""

    def __init__(self, hashes: Hashes, locales: tuple[str, ...]) -> None:
        self.hashes = hashes
        self.locales = locales

    def get(self, room: str) -> str | None:
        """The room's locale, if the presenter chose one this server still offers."""
        chosen = self.hashes.hget(ROOM_LANGUAGES, room)
        return chosen if chosen in self.locales else None

    def set(self, room: str, locale: str | None) -> None:
        """Choose a locale for the room (one of ``locales``); None lets phones choose."""
        if locale is None:
            self.hashes.hdel(ROOM_LANGUAGES, room)
        elif locale in self.locales:
            self.hashes.hset(ROOM_LANGUAGES, room, locale)
        else:
            raise ValueError(f"unknown locale {locale!r}: one of {', '.join(self.locales)}")
