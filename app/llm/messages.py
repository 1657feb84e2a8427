"""The user message of each stage: the data a model is shown, each record on one short line.

Posts lose their links and @-mentions (a model cannot follow them) and are cut at a word
boundary; records are JSON arrays under column names said once per block. A transcript is
never sent whole: a topic segment is shown as its span and its most telling sentence, a
chosen clip as the start of what it says. The benchmark builds the messages of designs
without pre-filters with these same functions (no caps), so they are compared in one format.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from app.llm.prompts import rows_block, user_message
from app.llm.segments import TopicSegment
from app.schemas import Candidate, Clip, Engagement, Interest, Preferences
from app.text import clean_text

MAX_POST_CHARS = 240
MAX_CLIP_POST_CHARS = 160
MAX_DESCRIPTION_CHARS = 160
MAX_SAYS_CHARS = 140  # the telling sentence of a topic segment
MAX_SPOKEN_CHARS = 320  # what a clip says, shown to write its explanation


def engagement_message(posts: Sequence[Engagement], prefs: Preferences, *, chars: int | None = MAX_POST_CHARS) -> str:
    rows = [(e.tweet_id, e.created_at.date().isoformat() if e.created_at else None, post_text(e, chars)) for e in posts]
    return user_message(prefs, rows_block("engagement", ("id", "date", "text"), rows))


def interests_message(
    posts: Sequence[Engagement],
    candidates: Sequence[Interest],
    prefs: Preferences,
    *,
    chars: int | None = MAX_POST_CHARS,
) -> str:
    """The posts, and the groupings the local engine found in them (names, keywords and evidence ids)."""
    rows = [(i.name, list(i.keywords)[:6], list(i.evidence_tweet_ids)) for i in candidates]
    found = rows_block("candidates", ("name", "keywords", "evidence"), rows)
    return f"{engagement_message(posts, prefs, chars=chars)}\n\n{found}"


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


def clips_message(
    videos: Sequence[tuple[Candidate, Interest, Sequence[tuple[TopicSegment, str]]]],
    interests: Sequence[Interest],
    prefs: Preferences,
) -> str:
    """Each video with the interest it is for, then its topic segments: number, span and telling sentence."""
    listed = rows_block(
        "videos", ("video_id", "title", "interest"), [(c.video_id, c.title, i.name) for c, i, _ in videos]
    )
    rows = [
        (c.video_id, segment.number, math.floor(segment.start), math.ceil(segment.end), _cut(says, MAX_SAYS_CHARS))
        for c, _, segments in videos
        for segment, says in segments
    ]
    segments_block = rows_block("segments", ("video_id", "segment", "start_s", "end_s", "says"), rows)
    return user_message(prefs, interests_block(interests), listed, segments_block)


def clips_block(clips: Sequence[tuple[Clip, Candidate, str, Sequence[str]]], *, with_score: bool) -> str:
    """The clips to rank or explain: what each says, and the ids of the posts it may cite."""
    columns = ["video_id", "title", "channel", "interest", "start_s", "end_s", "spoken", "post_ids"]
    if with_score:
        columns.insert(6, "score")
    rows = []
    for clip, candidate, spoken, post_ids in clips:
        row: list[object] = [
            clip.video_id,
            candidate.title,
            candidate.channel,
            clip.interest,
            math.floor(clip.start_s),
            math.ceil(clip.end_s),
            _cut(spoken, MAX_SPOKEN_CHARS),
            list(post_ids),
        ]
        if with_score:
            row.insert(6, round(clip.score, 2))
        rows.append(row)
    return rows_block("clips", columns, rows)


def written_message(
    clips: Sequence[tuple[Clip, Candidate, str, Sequence[str]]],
    posts: Sequence[Engagement],
    prefs: Preferences,
    *,
    with_score: bool,
) -> str:
    """The message of the rank call (`with_score`) and of the explain call."""
    return user_message(prefs, clips_block(clips, with_score=with_score), posts_block(posts, MAX_CLIP_POST_CHARS))


def interests_block(interests: Sequence[Interest]) -> str:
    rows = [(i.name, i.description, list(i.keywords)) for i in interests]
    return rows_block("interests", ("name", "description", "keywords"), rows)


def posts_block(posts: Sequence[Engagement], chars: int | None) -> str:
    return rows_block("posts", ("id", "text"), [(e.tweet_id, post_text(e, chars)) for e in posts])


def post_text(post: Engagement, chars: int | None) -> str:
    return _cut(clean_text(post.text), chars)


def _cut(text: str, chars: int | None) -> str:
    """The text, or its first `chars` characters ending at a word boundary, marked as cut."""
    if chars is None or len(text) <= chars:
        return text
    return text[:chars].rsplit(" ", 1)[0] + "…"
