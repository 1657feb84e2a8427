"""The quote a clip shows: whole spoken sentences, and the moment the first of them is said.

Engines pick a quote as a span of caption text, which often starts or stops mid-sentence
(captions are cut every few words). Here the span grows to the sentences it touches, as
long as they stay inside the clip and short enough to read; otherwise it stays as chosen
and is marked as an excerpt with "…" where it cuts a sentence. Auto captions carry no
punctuation, so where their sentences start and end is a guess: their quotes are always
marked as excerpts. An excerpt starts past the words that only linked it to what was cut
("…so the yeast…" reads "…the yeast…"). `quote_s` is when the
quote's first word is spoken, in seconds into the video (inside the clip's range). The
quote shown is clean verbatim: without the "uh"s and stutters automatic captions keep.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from app.llm.local.sentences import Sentence, is_punctuated, split_sentences
from app.schemas import Clip, TranscriptData
from app.text import word_set
from app.verbatim import clean_verbatim

MAX_QUOTE_CHARS = 320
ELLIPSIS = "…"
_TOLERANCE_S = 0.01
# Words that tie a sentence to the one before it: at the start of an excerpt, what they tied it to is cut away.
_LINKING = word_set("so and but now well okay ok alright yeah")
MIN_EXCERPT_WORDS = 6  # an excerpt keeps its linking words rather than shrink below this
_FIRST_WORD = re.compile(r"([A-Za-z]+)[,;:]?\s+")


@dataclass(frozen=True)
class _Placed:
    """A sentence of the clip and where its text sits in the clip's text."""

    sentence: Sentence
    begin: int  # character offsets in the clip's text
    end: int


def _clip_sentences(transcript: TranscriptData, start_s: float, end_s: float) -> list[_Placed]:
    """The spoken sentences that lie inside the clip, placed in their joined text."""
    placed: list[_Placed] = []
    offset = 0
    for sentence in split_sentences(transcript.segments):
        if not sentence.speech or sentence.end <= start_s or sentence.start >= end_s:
            continue
        placed.append(_Placed(sentence, offset, offset + len(sentence.text)))
        offset += len(sentence.text) + 1
    return placed


def _time_at(placed: _Placed, char: int) -> float:
    """When the character `char` (an offset in the clip's text) is spoken, spread over its sentence by length."""
    sentence = placed.sentence
    share = (char - placed.begin) / max(1, placed.end - placed.begin)
    return sentence.start + (sentence.end - sentence.start) * min(1.0, max(0.0, share))


def whole_quote(quote: str, transcript: TranscriptData, start_s: float, end_s: float) -> tuple[str, float | None]:
    """The quote as whole sentences (or an excerpt marked with "…") and when it is spoken.

    A quote that is not found in the clip's sentences is returned as it is, with no time.
    """
    text = " ".join(quote.split())
    placed = _clip_sentences(transcript, start_s, end_s)
    joined = " ".join(p.sentence.text for p in placed)
    at = joined.find(text) if text else -1
    if at < 0:
        at = joined.lower().find(text.lower()) if text else -1
    if at < 0:
        return text, None
    touched: Sequence[_Placed] = [p for p in placed if p.begin < at + len(text) and p.end > at]
    whole = " ".join(p.sentence.text for p in touched)
    first, last = touched[0], touched[-1]
    punctuated = is_punctuated(transcript.segments)
    inside = first.sentence.start >= start_s - _TOLERANCE_S and last.sentence.end <= end_s + _TOLERANCE_S
    if punctuated and inside and len(whole) <= MAX_QUOTE_CHARS:
        return whole, round(max(start_s, first.sentence.start), 2)
    end = at + len(text)
    opens_cut = at > first.begin or not punctuated
    if opens_cut:
        at = _past_linking_words(joined, at, end)
        first = next(p for p in touched if p.end > at)
    excerpt = (ELLIPSIS if opens_cut else "") + joined[at:end]
    if end < last.end or not punctuated:
        excerpt += ELLIPSIS
    return excerpt, round(min(end_s, max(start_s, _time_at(first, at))), 2)


def _past_linking_words(text: str, at: int, end: int) -> int:
    """Where the excerpt text[at:end] starts once the linking words it opens with ("so", "and", "okay") are left
    out, never leaving it fewer than MIN_EXCERPT_WORDS."""
    while (found := _FIRST_WORD.match(text, at, end)) is not None:
        if found.group(1).lower() not in _LINKING or len(text[found.end() : end].split()) < MIN_EXCERPT_WORDS:
            break
        at = found.end()
    return at


def with_whole_quote(clip: Clip, transcript: TranscriptData) -> Clip:
    """The clip with its quote made whole sentences, timed (see `whole_quote`) and clean verbatim."""
    quote, quote_s = whole_quote(clip.quote, transcript, clip.start_s, clip.end_s)
    return clip.model_copy(update={"quote": clean_verbatim(quote) or quote, "quote_s": quote_s})
