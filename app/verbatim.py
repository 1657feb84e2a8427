"""Clean verbatim: what a speaker said, written as transcribers write it for readers.

Automatic captions keep every "uh" and "um" and every stutter ("we we we measure"): a
quoted line full of them is hard to read, and they add nothing to what it says. The clean
verbatim style of transcription leaves them out and changes nothing else: no word is
added, moved or replaced. A word said twice in a row with nothing between is a stutter
("the the tide"), except the few words English doubles on purpose ("that that", "had had").
Automatic captions without casing write the pronoun "i"; a transcriber writes "I".
"""

from __future__ import annotations

import re

HESITATIONS = frozenset({"uh", "uhh", "uhm", "um", "umm", "erm", "hmm", "mhm"})  # not "er" or "mm": "the ER", "5 mm"
DOUBLED_ON_PURPOSE = frozenset({"that", "had"})
_EDGES = re.compile(r"^(\W*)(.*?)(\W*)$", re.S)
_PAUSE = ",;:"
SHORT_WORD = 3  # letters: "a, a" and "the, the" are stutters, "very, very" is emphasis
_PRONOUN_I = re.compile(r"i(?:['’](?:m|d|ve|ll))?")  # "i", "i'm", "i'd", "i've", "i'll"


def is_hesitation(word: str) -> bool:
    return word.lower() in HESITATIONS


def _edges(token: str) -> tuple[str, str, str]:
    """What a token opens with, its word, and what it closes with ("…the," -> "…", "the", ",")."""
    lead, word, trail = _EDGES.match(token).groups()  # type: ignore[union-attr]
    return lead, word, trail


def _stutter(previous: str, lead: str, word: str) -> bool:
    """The word repeats the one before it: right after it, or after a comma for a short word ("a, a big one")."""
    said = word.lower()
    if lead or not previous or _edges(previous)[1].lower() != said or said in DOUBLED_ON_PURPOSE:
        return False
    return previous[-1:].isalnum() or (previous.endswith(",") and len(said) <= SHORT_WORD and said != "no")


def clean_verbatim(text: str) -> str:
    """The text without hesitation sounds and stutters, its punctuation and capitals kept where they belong.

    "So, uh, the tide" reads "So the tide" (the commas only marked the pause); "Um, it rises" reads "It
    rises"; "the moon uh pulls" reads "the moon pulls"; "it it it rises" and "it, it rises" read "it rises".
    """
    kept: list[str] = []
    carry = ""  # what a dropped token opened with ("…", a quote mark), for the next kept word
    capital = False  # the dropped token started a sentence: so does the next kept word
    for token in text.split():
        lead, word, trail = _edges(token)
        previous = kept[-1] if kept else ""
        if is_hesitation(word) or _stutter(previous, lead, word):
            carry += lead
            capital = capital or (word[:1].isupper() and (not previous or previous[-1:] in ".?!"))
            if kept:
                ending = trail if trail and trail[0] not in _PAUSE else ""  # "the far side, uh." ends the sentence
                kept[-1] = kept[-1].rstrip(_PAUSE) + ending
            continue
        if (capital and word[:1].islower()) or _PRONOUN_I.fullmatch(word):
            word = word[:1].upper() + word[1:]
        kept.append(carry + lead + word + trail)
        carry, capital = "", False
    return " ".join(kept)


def spoken_words(words: list[str]) -> list[str]:
    """Lower-case words without hesitations and stutters: what two renderings of one utterance share."""
    out: list[str] = []
    for word in words:
        if is_hesitation(word) or (out and out[-1] == word and word not in DOUBLED_ON_PURPOSE):
            continue
        out.append(word)
    return out
