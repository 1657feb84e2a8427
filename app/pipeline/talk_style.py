"""Talks made to entertain, told by how they are said rather than by what their titles say.

A title can say "the physics of a free kick" over two hosts swapping stories about last night's
match, and screening reads titles. The talk itself gives it away. Spoken registers differ in a few
frequent words that say nothing of the subject (Biber, *Variation across Speech and Writing*, 1988):
conversation is full of interjections and backchannels ("yeah", "oh", "wow"), of the discourse
markers "you know" and "I mean", and of swearing. A lecture or an explainer has a few of them in a
thousand words, a chat several in a hundred. A talk that sounds like a chat is left out, as is one
with hardly any speech at all (music, slime, "satisfying" footage): neither is a lesson, whatever
its title promises.

Unless the user asks for podcasts, interviews or conversations: then chat is what they want.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from itertools import pairwise

from app.schemas import Segment, TranscriptData
from app.text import word_set, words

NOT_A_LESSON = "not a lesson"  # said in every reason given here
# Per word of the talk. Lectures and explainers on real captions stay under 0.5 in a hundred, podcast chat
# runs from 1 to 5 in a hundred.
MAX_CHAT_SHARE = 0.01
MIN_WORDS_PER_MINUTE = 40  # explainers speak 100 to 200 words a minute, even with pauses to show things
MIN_WORDS = 300  # fewer words say too little of how the talk is told
MIN_MINUTES = 2.0  # ... and a shorter stretch of captions too little of how much is said
CHAT_WORDS = word_set(
    """
    yeah yep yup yea nah oh ooh wow whoa dude bro lol
    fuck fucking fucked fucker shit shitty bullshit goddamn damn crap asshole bitch
    """
)  # interjections and backchannels, then oaths
CHAT_PAIRS = frozenset({("you", "know"), ("i", "mean")})
ASKS_FOR_CHAT = re.compile(r"\b(?:podcasts?|interviews?|conversations?|chats?|banter)\b", re.IGNORECASE)
_TAG = re.compile(r"\[[^\]]*\]|\([^)]*\)")  # "[Music]", "(laughs)": captions' notes, not speech


def not_a_lesson(transcript: TranscriptData, preferred: Sequence[str] = ()) -> str | None:
    """Why the talk is no lesson (it sounds like a chat, or has hardly any speech), or None. `preferred` are the
    formats and subjects the user's instructions ask for: a user who asks for podcasts gets them."""
    if any(ASKS_FOR_CHAT.search(phrase) for phrase in preferred):
        return None
    said = [w for segment in transcript.segments for w in words(_TAG.sub(" ", segment.text))]
    minutes = _span(transcript.segments) / 60
    if minutes >= MIN_MINUTES and len(said) / minutes < MIN_WORDS_PER_MINUTE:
        return f"has hardly any speech ({len(said) / minutes:.0f} words a minute), so it is {NOT_A_LESSON}"
    if len(said) < MIN_WORDS:
        return None
    chat = sum(1 for w in said if w in CHAT_WORDS) + sum(1 for pair in pairwise(said) if pair in CHAT_PAIRS)
    per_hundred = 100 * chat / len(said)
    if per_hundred <= 100 * MAX_CHAT_SHARE:
        return None
    share = f"“yeah”, “oh”, “you know” and oaths are {per_hundred:.1f} of every 100 words"
    return f"sounds like a chat, {NOT_A_LESSON} ({share})"


def _span(segments: Sequence[Segment]) -> float:
    """Seconds from the first caption to the end of the last."""
    if not segments:
        return 0.0
    return max(s.start + s.duration for s in segments) - min(s.start for s in segments)
