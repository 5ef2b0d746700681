"""The word filter's lists (English and German) and the masking of words removed by hand."""

from __future__ import annotations

from app.audience.wordfilter import MASK, WordFilter, mask_words

WORDS = WordFilter()


def test_both_locales_lists_are_checked():
    for text in ("what the fuck", "Scheiße", "du Arschloch"):
        assert WORDS.flagged(text), text
    for text in ("hello world", "Classic grass", "Schön, dass ihr da seid", ""):
        assert not WORDS.flagged(text), text


def test_listed_words_are_masked_and_the_rest_kept():
    assert WORDS.masked("that is shit, really") == (f"that is {MASK}, really", True)
    assert WORDS.masked("alles gut") == ("alles gut", False)


def test_removed_words_are_masked_whole_and_in_any_case():
    assert mask_words("Bob, bobby and BOB.", ["bob"]) == f"{MASK}, bobby and {MASK}."
    assert mask_words("a.b c", ["a.b"]) == f"{MASK} c"
    assert mask_words("unchanged", []) == "unchanged"
