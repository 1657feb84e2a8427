"""The feed's diversity rule: one clip per video, and no more than three clips of one
interest among the first ten, unless the user has only one interest. A run applies it
scaled to the user's feed size (`interest_cap`), over the whole feed.

The rule is kept even when it leaves the top ten short: a feed of nine varied clips
beats ten where one interest crowds out the rest. Past the top ten there is no cap.
An interest the user has not written about for long (a "light" one, kept only to fill
the list of interests) takes one clip of the top: the feed is about what they follow now.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Collection, Sequence
from typing import Protocol, TypeVar

TOP = 10
PER_INTEREST = 3


class Placed(Protocol):
    @property
    def video_id(self) -> str: ...

    @property
    def interest(self) -> str: ...


ItemT = TypeVar("ItemT", bound=Placed)


def interest_cap(feed_size: int, interests: int, light: int = 0) -> int:
    """The most clips of one interest in a feed of `feed_size`: the rule above scaled to the feed,
    raised where the interests are too few to fill the feed under it (three interests, ten clips).
    `light` interests take one clip each and leave the rest of the feed to the others."""
    full = max(interests - light, 1)
    return max(math.ceil(PER_INTEREST * feed_size / TOP), math.ceil((feed_size - light) / full))


def diversify(
    ranked: Sequence[ItemT],
    *,
    limit: int,
    single_interest: bool,
    top: int = TOP,
    per_interest: int = PER_INTEREST,
    light: Collection[str] = (),
) -> list[ItemT]:
    """The feed from items ranked best first: at most `limit` items, the rule above applied."""
    unique: list[ItemT] = []
    videos: set[str] = set()
    for item in ranked:
        if item.video_id not in videos:
            videos.add(item.video_id)
            unique.append(item)
    head: list[ItemT] = []
    per: Counter[str] = Counter()
    for item in unique:
        if len(head) >= min(top, limit):
            break
        if single_interest or per[item.interest] < (1 if item.interest in light else per_interest):
            head.append(item)
            per[item.interest] += 1
    if len(head) < top:
        return head
    chosen = {id(item) for item in head}
    tail = [item for item in unique if id(item) not in chosen]
    return [*head, *tail][:limit]
