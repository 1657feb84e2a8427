"""The records an evaluation set is written in: a video of the catalog, a persona and the items of its archive.

Shared by the sets built with `eval/real/build.py` (this folder's set and the others that reuse its builder).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Video:
    id: str
    raw: str
    title: str
    channel: str
    description: str
    published_at: str
    view_count: int
    like_count: int
    style: str
    topic: str | None = None
    kind: str = "learning"
    golden: tuple[float, float] | None = None


@dataclass(frozen=True)
class Post:
    """One item of an archive: a tweet (reply, retweet, quote, link) or, with `like`, a liked tweet."""

    at: str
    text: str | None
    reply_to: str | None = None
    link: str | None = None
    quote: str | None = None
    like: bool = False
    lang: str = "en"


@dataclass(frozen=True)
class Persona:
    name: str
    email: str
    username: str
    display_name: str
    account_id: str
    created_at: str
    seed: int
    instructions: str
    relevant: tuple[str, ...]
    stale: tuple[str, ...]
    excluded: tuple[str, ...]
    posts: tuple[Post, ...]


def like(at: str, text: str | None) -> Post:
    return Post(at, text, like=True)
