"""Talks about what a person posted long ago rather than what they post now.

A person's subjects change: posts older than a year before their newest (`STALE_AFTER`, the
line the local engine draws between current and past subjects) say what they followed then. A
talk whose words are closer to those posts than to the recent ones is about a subject they have
moved on from, however well it matches the words of a current interest (one shared word such
as "key" or "track" is enough for that): the run leaves it out, so a refresh that has already
shown the best of the current subjects does not fill up with the old ones. The comparison is
lexical: the content terms of each post once, of the talk by how many caption segments say them.
A talk whose title says more words of the old posts than of the recent ones is about the old
subject too, however much of the field's vocabulary its talk shares with what they post now.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from app.llm.local.interests import STALE_AFTER
from app.llm.local.vectors import cosine
from app.schemas import Engagement, TranscriptData
from app.text import terms

MOVED_ON_REASON = "closer to what you posted over a year ago than to what you post now"
OLD_SUBJECT = "a subject you have not posted about for long"  # how the run log names an interest of long ago
MIN_TITLE_WORDS = 2  # a title's words of the old posts that can say it is about them


@dataclass(frozen=True)
class PastAndPresent:
    """The terms of a person's posts of long ago and of their recent ones, each post counted once per term."""

    past: Counter[str]
    present: Counter[str]

    @classmethod
    def of(cls, engagement: Sequence[Engagement]) -> PastAndPresent:
        dated = [(e.created_at, e.text) for e in engagement if e.created_at is not None]
        newest = max((at for at, _ in dated), default=None)
        past: Counter[str] = Counter()
        present: Counter[str] = Counter()
        for at, text in dated:
            (past if newest is not None and newest - at > STALE_AFTER else present).update(set(terms(text)))
        return cls(past, present)

    def moved_on(self, transcript: TranscriptData, title: str = "") -> bool:
        """Whether the talk is closer to the posts of long ago than to the recent ones (never, without both), or its
        title says more words of those posts than of the recent ones, MIN_TITLE_WORDS at least: a talk that shares
        the field's everyday vocabulary with what the person posts now ("training", "update", "layer") can still
        be named, in its title, after what they left behind."""
        if not self.past or not self.present:
            return False
        named = set(terms(title))
        then, now = sum(1 for t in named if t in self.past), sum(1 for t in named if t in self.present)
        if then >= MIN_TITLE_WORDS and then > now:
            return True
        said = Counter(t for segment in transcript.segments for t in set(terms(segment.text)))
        return cosine(self.past, said) > cosine(self.present, said)


def old_subject_reason(interest: str) -> str:
    """Why a talk tied to an interest of long ago has no clip, and what brings its clips back."""
    return f"for “{interest}”, {OLD_SUBJECT}: pin it on the interests page to see its clips"
