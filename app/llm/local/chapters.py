"""The chapters an author marked in a video's description: where they say the talk moves on, and what to.

A description line that opens or ends with a timestamp ("0:00 Intro", "3:05 - Why a mortise?",
"(12:40) The proof", "Recap 1:02:03") marks a chapter. YouTube shows them as chapters only when
the first is at 0:00, there are at least three, they rise and each lasts at least ten seconds
(YouTube Help, "Video chapters"), and so do we: timestamps that break those rules are a list of
moments ("the joke at 4:12"), not the talk's outline. Chapters are untrusted text like the rest
of the description: their titles are only matched against, never shown.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from app.llm.local.sentences import Sentence

MIN_CHAPTERS = 3
MIN_CHAPTER_S = 10.0
_TIME = r"(?:(?P<{p}h>\d{{1,2}}):)?(?P<{p}m>\d{{1,2}}):(?P<{p}s>[0-5]\d)"
_SEPARATORS = " \t-–—:|•·*>)]"
MAX_LINE = 200  # a longer line of a description is prose, never a chapter
# A timestamp at the start of a line (after a bullet or an opening bracket) or at its end. Both match in time
# linear in the line: descriptions are anyone's text.
_LEADING = re.compile(r"^[\s\-–—•·*>]*[(\[]?" + _TIME.format(p="a") + r"[)\]]?(?=\s|$|[-–—:|])(?P<rest>.*)$")
_TRAILING = re.compile(r"(?<![\w:])[(\[]?" + _TIME.format(p="b") + r"[)\]]?\s*$")
# Chapters that hold no content, whatever the channel: ad reads, thanks to supporters, credits, bloopers.
HOUSEKEEPING = re.compile(
    r"\b(?:sponsor\w*|ad\s+(?:break|read|spot)|advert\w*|outro|end\s*screen|credits|patreon|patrons|supporters|"
    r"thank\s+you|thanks(?!-)|merch|shout\s*-?\s*outs?|bloopers|announcements?)\b",
    re.IGNORECASE,
)


@dataclass(frozen=True, slots=True)
class Chapter:
    """A stretch of the video the author titled: from `start` (seconds) to the next chapter's start."""

    start: float
    title: str

    @property
    def housekeeping(self) -> bool:
        """Whether the author titled it as something around the content (a sponsor, thanks, credits)."""
        return HOUSEKEEPING.search(self.title) is not None


def chapters(description: str, duration_s: float | None = None) -> list[Chapter]:
    """The description's chapters in time order, or none when its timestamps are not an outline of the video."""
    found: list[Chapter] = []
    for line in description.splitlines():
        parsed = _timestamped(line.strip())
        if parsed is not None:
            found.append(Chapter(*parsed))
    if len(found) < MIN_CHAPTERS or found[0].start != 0:
        return []
    ends = [c.start for c in found[1:]] + ([float(duration_s)] if duration_s else [])
    if any(end - chapter.start < MIN_CHAPTER_S for chapter, end in zip(found, ends, strict=False)):
        return []
    return found


def openings(sentences: Sequence[Sentence], found: Sequence[Chapter]) -> set[int]:
    """The sentences that open the chapters after the first: for each, the sentence starting nearest it."""
    starts = [c.start for c in found[1:] if sentences and c.start < sentences[-1].end]
    if not starts:
        return set()
    begins = np.array([s.start for s in sentences])
    nearest = np.abs(np.subtract.outer(np.array(starts), begins)).argmin(axis=1)
    return {int(i) for i in nearest} - {0}


def in_housekeeping(sentences: Sequence[Sentence], found: Sequence[Chapter]) -> list[bool]:
    """For each sentence, whether it starts in a chapter titled as housekeeping."""
    ends = [c.start for c in found[1:]] + [math.inf]
    marked = [(c.start, end) for c, end in zip(found, ends, strict=False) if c.housekeeping]
    return [any(a <= s.start < b for a, b in marked) for s in sentences]


def _timestamped(line: str) -> tuple[float, str] | None:
    """(seconds, title) of a line that opens or ends with a timestamp, or None."""
    if len(line) > MAX_LINE:
        return None
    match, p = _LEADING.match(line), "a"
    if match is not None:
        title = match["rest"]
    else:
        match, p = _TRAILING.search(line), "b"
        if match is None or not line[: match.start()].strip(_SEPARATORS):
            return None
        title = line[: match.start()]
    hours, minutes = int(match[f"{p}h"] or 0), int(match[f"{p}m"])
    if hours and minutes >= 60:
        return None
    return float(hours * 3600 + minutes * 60 + int(match[f"{p}s"])), title.strip(_SEPARATORS)
