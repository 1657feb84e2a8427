"""Why a run's feed is shorter than the user asked for, in one sentence built from its stage counts."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from typing import Any

from app.pipeline.moved_on import MOVED_ON_REASON, OLD_SUBJECT
from app.pipeline.talk_style import NOT_A_LESSON

SHORTFALL_ITEM = "feed size"  # the `item` of the run-log note that says why the feed is short
# How the clip stage ends the reason it logs for a talk about an exclusion (by name or in all but name).
ASKED_NOT_TO_SEE = "which you asked to see no more of"
EXCLUDED, MOVED_ON, NO_LESSON = "excluded", "moved on", "no lesson"


def shortfall(size: int, wanted: int, outs: Mapping[str, int], log: Sequence[Mapping[str, Any]] = ()) -> str:
    """“7 of 20 clips met the bar this time: …” with where the candidates fell away; empty when the feed is full.

    Talks the clip stage left out before looking for a passage (about an exclusion, about what the person
    posted long ago, or no lesson at all: read from the run's `log`) are said apart from those with no close
    passage; clips the diversity rule held back (more clips with a close passage than the feed shows, none of
    them without an explanation) are said last.
    """
    if size >= wanted:
        return ""
    left_out = Counter(_left_out(e) for e in log if e.get("kind") == "skipped" and e.get("stage") == "clip")
    steps = [
        ("search", "the search found {n} new video{s}"),
        ("screen", "{n} passed screening"),
        ("transcripts", "{n} had a usable transcript"),
        (EXCLUDED, "{n} of those {was} about what you asked to see no more of"),
        (MOVED_ON, "{n} {was} closer to what you posted long ago than to what you post now"),
        (NO_LESSON, "{n} {was} chat or hardly any speech rather than a lesson"),
        ("clip", "{n} {rest}had a passage close enough to your posts"),
    ]
    counts = {**outs, **{k: v for k, v in left_out.items() if k and v}}
    rest = "of the rest " if any(counts.get(k) for k in (EXCLUDED, MOVED_ON, NO_LESSON)) else ""
    said = [
        text.format(
            n=counts[stage], s="" if counts[stage] == 1 else "s", was="was" if counts[stage] == 1 else "were", rest=rest
        )
        for stage, text in steps
        if stage in counts
    ]
    if not said:
        return f"{size} of {wanted} clips met the bar this time."
    unexplained = sum(1 for e in log if e.get("kind") == "skipped" and e.get("stage") == "rank")
    held = counts.get("clip", 0) - size - unexplained
    if held > 0:
        said.append(
            f"{held} of those {'was' if held == 1 else 'were'} held back so that no one interest crowds out the others"
        )
    listed = said[0] if len(said) == 1 else f"{', '.join(said[:-1])} and {said[-1]}"
    return f"{size} of {wanted} clips met the bar this time: {listed}."


def _left_out(entry: Mapping[str, Any]) -> str:
    """EXCLUDED, MOVED_ON or NO_LESSON for a clip-stage skip that set a talk aside before its passages were read,
    else ""."""
    message = str(entry.get("message", ""))
    if message == MOVED_ON_REASON or OLD_SUBJECT in message:
        return MOVED_ON
    if NOT_A_LESSON in message:
        return NO_LESSON
    return EXCLUDED if message.endswith(ASKED_NOT_TO_SEE) else ""


def logged_shortfall(log: Sequence[Mapping[str, Any]]) -> str:
    """The sentence a finished run logged about its short feed, or an empty string."""
    return next((str(e.get("message", "")) for e in log if e.get("item") == SHORTFALL_ITEM), "")
