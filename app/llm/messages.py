"""The user message of each stage: the data a model is shown, each record on one short line.

Posts lose their links and @-mentions (a model cannot follow them) and are cut at a word
boundary; records are JSON arrays under column names said once per block; transcript
passages are one line per sentence after its start second. The benchmark builds the
messages of a design without pre-filters with these same functions (no caps, whole
transcripts), so the two are compared in one format.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from app.llm.local.engine import cite
from app.llm.prompts import data_block, rows_block, transcript_lines, user_message
from app.llm.windows import Window
from app.schemas import Candidate, Clip, Engagement, Interest, Preferences
from app.text import clean_text

MAX_POST_CHARS = 240
MAX_CLIP_POST_CHARS = 160
MAX_DESCRIPTION_CHARS = 160


def engagement_message(posts: Sequence[Engagement], prefs: Preferences, *, chars: int | None = MAX_POST_CHARS) -> str:
    rows = [(e.tweet_id, e.created_at.date().isoformat() if e.created_at else None, post_text(e, chars)) for e in posts]
    return user_message(prefs, rows_block("engagement", ("id", "date", "text"), rows))


def queries_message(interests: Sequence[Interest], prefs: Preferences) -> str:
    return user_message(prefs, interests_block(interests))


def screen_message(
    batch: Sequence[Candidate],
    interests: Sequence[Interest],
    prefs: Preferences,
    *,
    chars: int | None = MAX_DESCRIPTION_CHARS,
) -> str:
    columns = ("video_id", "title", "channel", "published", "duration_s", "views", "description")
    rows = [
        (
            c.video_id,
            c.title,
            c.channel,
            c.published_at.isoformat() if c.published_at else None,
            c.duration_s,
            c.view_count,
            _cut(c.description, chars),
        )
        for c in batch
    ]
    return user_message(prefs, interests_block(interests), rows_block("candidates", columns, rows))


def clip_message(
    candidate: Candidate,
    interest: Interest,
    posts: Sequence[Engagement],
    windows: Sequence[Window],
    prefs: Preferences,
) -> str:
    video = rows_block(
        "video", ("title", "interest", "interest_description"), [(candidate.title, interest.name, interest.description)]
    )
    blocks = [window_block(w) for w in windows]
    return user_message(prefs, video, posts_block(posts, MAX_CLIP_POST_CHARS), *blocks)


def explain_message(
    clip: Clip, candidate: Candidate, interest: Interest, posts: Sequence[Engagement], prefs: Preferences
) -> str:
    columns = ("title", "interest", "clip_start_s", "clip_end_s", "quote")
    about = rows_block("clip", columns, [(candidate.title, interest.name, clip.start_s, clip.end_s, clip.quote)])
    return user_message(prefs, about, posts_block(posts, MAX_CLIP_POST_CHARS))


def interests_block(interests: Sequence[Interest]) -> str:
    rows = [(i.name, i.description, list(i.keywords)) for i in interests]
    return rows_block("interests", ("name", "description", "keywords"), rows)


def posts_block(posts: Sequence[Engagement], chars: int | None) -> str:
    return rows_block("posts", ("id", "text"), [(e.tweet_id, post_text(e, chars)) for e in posts])


def window_block(window: Window) -> str:
    lines = transcript_lines((s.start, s.text) for s in window.sentences)
    return data_block("window", lines, start=math.floor(window.start), end=math.ceil(window.end))


def post_text(post: Engagement, chars: int | None) -> str:
    return _cut(clean_text(post.text), chars)


def _cut(text: str, chars: int | None) -> str:
    """The text, or its first `chars` characters ending at a word boundary, marked as cut."""
    if chars is None or len(text) <= chars:
        return text
    return text[:chars].rsplit(" ", 1)[0] + "…"


def clip_posts(
    engagement: Sequence[Engagement], interest: Interest, candidate: Candidate, windows: Sequence[Window]
) -> list[Engagement]:
    """The 1-3 posts about the interest closest to what the passages say (any post if none is its evidence)."""
    by_id = {e.tweet_id: e for e in engagement}
    pool = [by_id[i] for i in interest.evidence_tweet_ids if i in by_id] or list(engagement)
    said = " ".join(s.text for w in windows for s in w.sentences)
    return cite(pool, f"{candidate.title} {said}", interest)
