"""The feed's diversity rule: one clip per video, and no more than three clips of one
interest among the first ten, unless the user has only one interest. The first ten are
what a person sees first, so the rule holds there whatever the feed size; a longer feed
also caps each interest over the whole feed, the rule scaled to its size (`interest_cap`).

The rule is kept even when it leaves a feed of ten short: a feed of nine varied clips
beats ten where one interest crowds out the rest. A longer feed goes on past a short
front with the clips the whole-feed cap allows: the front is still the most varied part.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from typing import Protocol, TypeVar

TOP = 10
PER_INTEREST = 3


class Placed(Protocol):
    @property
    def video_id(self) -> str: ...

    @property
    def interest(self) -> str: ...


ItemT = TypeVar("ItemT", bound=Placed)


def interest_cap(feed_size: int, interests: int) -> int:
    """The most clips of one interest in a feed of `feed_size`: the rule above scaled to the feed,
    raised where the interests are too few to fill the feed under it (three interests, ten clips)."""
    return max(math.ceil(PER_INTEREST * feed_size / TOP), math.ceil(feed_size / max(interests, 1)))


def diversify(
    ranked: Sequence[ItemT],
    *,
    limit: int,
    single_interest: bool,
    top: int = TOP,
    per_interest: int = PER_INTEREST,
    per_feed: int | None = None,
) -> list[ItemT]:
    """The feed from items ranked best first: at most `limit` items, `per_interest` of one interest among the
    first `top`, and `per_feed` in the whole feed (no cap past the top when None); the rule above applied."""
    unique: list[ItemT] = []
    videos: set[str] = set()
    for item in ranked:
        if item.video_id not in videos:
            videos.add(item.video_id)
            unique.append(item)
    if single_interest:
        return unique[:limit]
    head = _capped(unique, [], min(top, limit), per_interest)
    if len(head) < top and limit <= top:
        return head
    chosen = {id(item) for item in head}
    rest = [item for item in unique if id(item) not in chosen]
    if per_feed is None:
        return [*head, *rest][:limit]
    return _capped(rest, head, limit, per_feed)


def _capped(items: Sequence[ItemT], placed: list[ItemT], limit: int, cap: int) -> list[ItemT]:
    """`placed` followed by `items` in order, each while its interest holds fewer than `cap` of the feed, up to
    `limit` in all."""
    feed = list(placed)
    per = Counter(item.interest for item in feed)
    for item in items:
        if len(feed) >= limit:
            break
        if per[item.interest] < cap:
            feed.append(item)
            per[item.interest] += 1
    return feed
