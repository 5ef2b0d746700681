"""The word filter: swear words of the room's languages never reach the projector.

The lists are glin-profanity's (one dictionary per language, maintained upstream); Chorus
checks English and German, its two locales, together, since a room's audience writes in
either whatever the page's language. What the audience writes is filtered when it arrives: an
open answer or a question is kept with each such word masked (``***``), so the original is
never stored; a word-cloud answer that is such a word is held (counted for nobody, shown
nowhere). The presenter can remove any other word by hand (polls.py ``remove_word``).

The glin filter is built at first use: services that only forget rooms never load the lists.
"""

from __future__ import annotations

import re
from typing import Any

MASK = "***"
LANGUAGES = ("english", "german")  # the project's locales, en and de


class WordFilter:
    """Check and mask text against the word lists of ``languages``."""

    def __init__(self, languages: tuple[str, ...] = LANGUAGES) -> None:
        self.languages = languages
        self._filter: Any = None

    def _glin(self) -> Any:
        if self._filter is None:
            from glin_profanity import Filter

            self._filter = Filter({"languages": list(self.languages), "replace_with": MASK})
        return self._filter

    def flagged(self, text: str) -> bool:
        """Whether ``text`` holds a listed word."""
        return bool(text.strip()) and bool(self._glin().is_profane(text))

    def masked(self, text: str) -> tuple[str, bool]:
        """``text`` with each listed word replaced by ``***``, and whether any was."""
        if not self.flagged(text):
            return text, False
        return self._glin().check_profanity(text)["processed_text"], True


def mask_words(text: str, words: list[str]) -> str:
    """``text`` with each of ``words`` (removed by the presenter) masked, whole words only,
    in any case."""
    if not words:
        return text
    pattern = r"(?<!\w)(?:" + "|".join(re.escape(w) for w in sorted(words, key=len,
                                                                        reverse=True)) + r")(?!\w)"
    return re.sub(pattern, MASK, text, flags=re.IGNORECASE)
