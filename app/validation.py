"""Checks every clip and explanation passes before it is stored, whichever engine made it.

A clip lies inside the video (0 <= start < end <= duration), lasts 30-180 s and its
quote is spoken inside it (literally part of the transcript text of the segments it
overlaps, whitespace aside). An explanation cites 1-3 tweet ids, all of them the
user's own, and has text. Each check returns the problems found (empty = valid), so
the caller can log them; `repair_explanation` keeps what can be kept.
"""

from __future__ import annotations

import re
from collections.abc import Collection

from app.schemas import Clip, Explanation, TranscriptData
from app.verbatim import spoken_words

MAX_INTERESTS = 8
MAX_EVIDENCE = 5  # tweets cited as one interest's evidence
MIN_CLIP_S = 30.0
MAX_CLIP_S = 180.0
MAX_CITED = 3
_TOLERANCE_S = 0.01  # rounding of stored times
MIN_QUOTED_WORDS = 3
_QUOTED = re.compile(r'"([^"]+)"|“([^”]+)”')
_WORD = re.compile(r"[^\W_]+(?:'[^\W_]+)*")


def transcript_end(transcript: TranscriptData) -> float:
    """When the last segment ends (0.0 for an empty transcript)."""
    return max((s.start + s.duration for s in transcript.segments), default=0.0)


def spoken_between(transcript: TranscriptData, start: float, end: float) -> str:
    """The transcript text of every segment overlapping [start, end], in time order, joined by single spaces.

    A caption too short to overlap anything (zero length) counts when its moment falls inside
    the clip, ends included, allowing for the rounding of stored times.
    """
    parts = [
        s.text
        for s in sorted(transcript.segments, key=lambda s: s.start)
        if (
            s.start < end and s.start + s.duration > start
            if s.duration > _TOLERANCE_S
            else start - _TOLERANCE_S <= s.start <= end + _TOLERANCE_S
        )
    ]
    return " ".join(" ".join(parts).split())


def validate_clip(clip: Clip, transcript: TranscriptData, *, duration_s: float | None = None) -> list[str]:
    """Problems with a clip's bounds and quote; `duration_s` defaults to the transcript's end."""
    problems = []
    duration = float(duration_s) if duration_s else transcript_end(transcript)
    if transcript.video_id != clip.video_id:
        problems.append(f"transcript is of video {transcript.video_id}, clip of {clip.video_id}")
    if clip.start_s < 0 or clip.end_s <= clip.start_s:
        problems.append(f"clip bounds {clip.start_s}-{clip.end_s} are not an interval from 0 on")
    if clip.end_s > duration + _TOLERANCE_S:
        problems.append(f"clip ends at {clip.end_s} s, after the video ({duration} s)")
    length = clip.end_s - clip.start_s
    if not MIN_CLIP_S - _TOLERANCE_S <= length <= MAX_CLIP_S + _TOLERANCE_S:
        problems.append(f"clip lasts {length:.1f} s, outside {MIN_CLIP_S:.0f}-{MAX_CLIP_S:.0f} s")
    quote = " ".join(clip.quote.split())
    spoken = spoken_between(transcript, clip.start_s, clip.end_s)
    if not quote:
        problems.append("clip has no quote")
    elif quote not in spoken and f" {words_of(quote)} " not in f" {words_of(spoken)} ":  # or in clean verbatim
        problems.append("quote is not spoken inside the clip")
    return problems


def validate_explanation(explanation: Explanation, *, user_tweet_ids: Collection[str]) -> list[str]:
    """Problems with an explanation: no text, no citation, too many, or ids that are not the user's."""
    problems = []
    if not explanation.text.strip():
        problems.append("explanation has no text")
    if not explanation.tweet_ids:
        problems.append("explanation cites no tweet")
    if len(explanation.tweet_ids) > MAX_CITED:
        problems.append(f"explanation cites {len(explanation.tweet_ids)} tweets, more than {MAX_CITED}")
    foreign = [t for t in explanation.tweet_ids if t not in user_tweet_ids]
    if foreign:
        problems.append(f"explanation cites tweets that are not the user's: {', '.join(foreign)}")
    return problems


def repair_explanation(explanation: Explanation, *, user_tweet_ids: Collection[str]) -> Explanation | None:
    """The explanation with foreign and surplus ids removed (duplicates too), or None if nothing valid is left."""
    kept = list(dict.fromkeys(t for t in explanation.tweet_ids if t in user_tweet_ids))[:MAX_CITED]
    repaired = explanation.model_copy(update={"tweet_ids": kept})
    return None if validate_explanation(repaired, user_tweet_ids=user_tweet_ids) else repaired


def quoted_phrases(text: str) -> list[str]:
    """The phrases an explanation puts in double quotes (straight or curly)."""
    return [a or b for a, b in _QUOTED.findall(text)]


def words_of(text: str) -> str:
    """The words of a text, lower case, one space apart, hesitations and stutters left out: what two quotes of
    one phrase share (one may be clean verbatim)."""
    return " ".join(spoken_words([w.lower() for w in _WORD.findall(text)]))


def quote_problems(text: str, spoken: str, *, posts: Collection[str] = ()) -> list[str]:
    """An explanation must quote a phrase spoken in its clip, and every phrase it quotes must be
    said there or in one of the cited posts (case, punctuation, hesitations and stutters aside)."""
    phrases = quoted_phrases(text)
    said = f" {words_of(spoken)} "
    written = [f" {words_of(p)} " for p in posts]
    problems = []
    if not any(len(words_of(p).split()) >= MIN_QUOTED_WORDS and f" {words_of(p)} " in said for p in phrases):
        problems.append(f"the explanation quotes no phrase of {MIN_QUOTED_WORDS} or more words spoken in the clip")
    invented = [
        p for p in phrases if f" {words_of(p)} " not in said and not any(f" {words_of(p)} " in w for w in written)
    ]
    if invented:
        problems.append(f"the explanation quotes words said neither in the clip nor in the posts: {invented[0]!r}")
    return problems
