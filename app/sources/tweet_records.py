"""The record every engagement source (archive, X API, paste) produces, and the rules they share."""

from __future__ import annotations

import html
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TypeGuard

from app.schemas import TweetKind

SNOWFLAKE_EPOCH_MS = 1288834974657
MAX_TWEET_ID_DIGITS = 20  # snowflake ids fit in 64 bits
_ONE_DAY_MS = 86_400_000
_STATUS_URL = re.compile(
    r"^https?://(?:www\.|mobile\.)?(?:twitter|x)\.com/(?:[A-Za-z0-9_]{1,50}|i/web|i)/status(?:es)?/(\d{1,20})\b",
    re.IGNORECASE,
)
_RETWEET_PREFIX = re.compile(r"^RT @[A-Za-z0-9_]{1,50}:")

SKIP_DUPLICATE = "item read twice (same post id)"


class ImportInputError(Exception):
    """What was given to import (archive, X account, pasted text) is refused; the message is for the user."""


@dataclass(frozen=True, slots=True)
class TweetRecord:
    """One tweet, retweet, quote, reply, like or note, ready to be stored for a user."""

    tweet_id: str
    kind: TweetKind
    text: str
    created_at: datetime | None
    url: str | None
    like_order: int | None = None
    lang: str | None = None


@dataclass(slots=True)
class RecordBatch:
    """Records read from one source, each post id once, with the number skipped per reason."""

    items: list[TweetRecord] = field(default_factory=list)
    skipped: Counter[str] = field(default_factory=Counter)
    _seen: set[str] = field(default_factory=set, repr=False)

    def add(self, record: TweetRecord | str) -> bool:
        """Keep a record, or count a skip reason (a string) or a post id already read; True when kept."""
        if isinstance(record, str):
            self.skipped[record] += 1
            return False
        if record.tweet_id in self._seen:
            self.skipped[SKIP_DUPLICATE] += 1
            return False
        self._seen.add(record.tweet_id)
        self.items.append(record)
        return True

    def counts(self) -> dict[str, int]:
        """Items kept per kind."""
        return dict(Counter(item.kind for item in self.items))


def is_tweet_id(value: object) -> TypeGuard[str]:
    """Tweet ids are decimal strings; anything else would break links and de-duplication."""
    return isinstance(value, str) and 0 < len(value) <= MAX_TWEET_ID_DIGITS and value.isascii() and value.isdigit()


def status_url(tweet_id: str) -> str:
    """The public link of a post, built from its id (never from untrusted URL text)."""
    return f"https://x.com/i/status/{tweet_id}"


def is_status_url(url: object) -> bool:
    """Whether a link points at a post on twitter.com or x.com (that is how quotes are recognised)."""
    return isinstance(url, str) and _STATUS_URL.match(url) is not None


def snowflake_time(tweet_id: str, *, now: datetime | None = None) -> datetime | None:
    """The creation time encoded in a snowflake id, or None for ids that are not plausible snowflakes.

    Ids from before November 2010 were sequential and carry no time; they decode to the
    first day after the snowflake epoch, which is how they are told apart.
    """
    if not is_tweet_id(tweet_id):
        return None
    offset_ms = int(tweet_id) >> 22
    if offset_ms < _ONE_DAY_MS:
        return None
    moment = datetime.fromtimestamp((offset_ms + SNOWFLAKE_EPOCH_MS) / 1000, tz=UTC)
    if moment > (now or datetime.now(UTC)) + timedelta(days=1):
        return None
    return moment


def classify(text: str, *, is_reply: bool, links: Iterable[object]) -> TweetKind:
    """Kind of an own post: retweet (`RT @user:`), then reply, then quote (links to a post), else tweet."""
    if _RETWEET_PREFIX.match(text):
        return "retweet"
    if is_reply:
        return "reply"
    if any(is_status_url(link) for link in links):
        return "quote"
    return "tweet"


def entity_links(entities: object, key: str) -> list[tuple[object, object]]:
    """(t.co link, expanded URL) pairs of one entity list (`urls`, `media`), tolerating odd entries."""
    found = entities.get(key) if isinstance(entities, dict) else None
    if not isinstance(found, list):
        return []
    return [(link.get("url"), link.get("expanded_url")) for link in found if isinstance(link, dict)]


def readable_text(text: str, links: Iterable[tuple[object, object]]) -> str:
    """Unescape X's HTML entities, then show each t.co link as the URL it stands for.

    Unescaping comes first so that an expanded URL containing `&lt` is not turned into `<`.
    Pairs whose expanded URL is not an http(s) URL are left alone; an empty expansion removes
    the short link (media links, whose target is a picture the product never reads).
    """
    text = html.unescape(text)
    for short, expanded in links:
        if not isinstance(short, str) or not short.startswith("https://t.co/"):
            continue
        if expanded == "":
            text = text.replace(short, "").strip()
        elif isinstance(expanded, str) and expanded.startswith(("https://", "http://")):
            text = text.replace(short, expanded)
    return text
