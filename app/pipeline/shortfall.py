"""Why a run's feed is shorter than the user asked for, in one sentence built from its stage counts."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

SHORTFALL_ITEM = "feed size"  # the `item` of the run-log note that says why the feed is short


def shortfall(size: int, wanted: int, outs: Mapping[str, int]) -> str:
    """“7 of 20 clips met the bar this time: …” with where the candidates fell away; empty when the feed is full."""
    if size >= wanted:
        return ""
    steps = [
        ("search", "the search found {n} new video{s}"),
        ("screen", "{n} passed screening"),
        ("transcripts", "{n} had a usable transcript"),
        ("clip", "{n} had a passage close enough to your posts"),
    ]
    said = [text.format(n=outs[stage], s="" if outs[stage] == 1 else "s") for stage, text in steps if stage in outs]
    if not said:
        return f"{size} of {wanted} clips met the bar this time."
    listed = said[0] if len(said) == 1 else f"{', '.join(said[:-1])} and {said[-1]}"
    return f"{size} of {wanted} clips met the bar this time: {listed}."


def logged_shortfall(log: Sequence[Mapping[str, Any]]) -> str:
    """The sentence a finished run logged about its short feed, or an empty string."""
    return next((str(e.get("message", "")) for e in log if e.get("item") == SHORTFALL_ITEM), "")
