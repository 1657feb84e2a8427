"""Interests in the user's own words, and more queries for an interest when the search must go deeper."""

from __future__ import annotations

from collections.abc import Sequence

from app.schemas import Engagement, Interest
from app.text import common, terms, words

MAX_EVIDENCE = 5
MIN_OVERLAP = 0.5  # share of the interest's terms a post must name to show it (all of them for one or two terms)


def interest_from_text(text: str, engagement: Sequence[Engagement]) -> Interest:
    """The interest as written, shown by the user's posts that name most of its terms, searched by its words."""
    wanted = set(terms(text))
    needed = len(wanted) if len(wanted) <= 2 else MIN_OVERLAP * len(wanted)
    scored = []
    for item in engagement:
        overlap = len(wanted & set(terms(item.text)))
        if wanted and overlap >= needed:
            scored.append((overlap, item.weight, item.tweet_id))
    scored.sort(reverse=True)
    content = [w for w in dict.fromkeys(words(text)) if terms(w)]
    return Interest(
        name=text,
        description=f"Added in your own words: {text}",
        weight=1.0,
        evidence_tweet_ids=[tweet_id for _, _, tweet_id in scored[:MAX_EVIDENCE]],
        keywords=[text, *content],
    )


def more_queries(interest: Interest, written: Sequence[str], count: int) -> list[str]:
    """Up to `count` further queries: the interest's name with each of its keywords, then pairs of keywords.

    A keyword of words every text uses ("need", "right") takes no part: a query made of them finds
    anything at all, chatter included, once the good videos have been shown."""
    seen = {" ".join(q.split()).casefold() for q in written}
    keywords = [k for k in interest.keywords if terms(k) and not all(common(w) for w in words(k))]
    pairs = [f"{a} {b}" for i, a in enumerate(keywords) for b in keywords[i + 1 :]]
    extra: list[str] = []
    for query in [*(f"{interest.name} {k}" for k in keywords), *pairs]:
        query = " ".join(query.replace("&", " ").split())
        repeated = len(set(terms(query))) < len(terms(query))
        if query.casefold() not in seen and not repeated and len(extra) < count:
            seen.add(query.casefold())
            extra.append(query)
    return extra
