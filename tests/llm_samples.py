"""Small, realistic inputs for the LLM engine tests: posts, interests, candidates, a transcript."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from app.schemas import Candidate, Engagement, Interest, Preferences, Segment, TranscriptData

NOW = datetime(2026, 11, 20, 12, tzinfo=UTC)

POSTS = [
    "hash join vs merge join in the postgres planner, the cost model finally makes sense",
    "EXPLAIN ANALYZE showed the planner misestimating rows for a hash join again",
    "postgres planner statistics: n_distinct and correlation drive the join order",
    "reading about how the query planner picks between nested loop and hash join",
    "watched the swifts leave for africa, bird migration is wild",
    "bird migration: how do warblers navigate at night with the stars",
    "warblers use the earth's magnetic field to navigate during migration, incredible",
    "lol monday",
]

PG_TOPICS = [
    "hash joins explained",
    "merge join internals",
    "nested loop joins and indexes",
    "row estimates and statistics",
    "EXPLAIN ANALYZE walkthrough",
    "join order search",
    "cost model constants",
    "extended statistics for correlated columns",
    "parallel hash join",
    "partition pruning in the planner",
    "generic vs custom plans",
    "the genetic query optimizer",
    "index only scans and the visibility map",
    "bitmap heap scans",
]
BIRD_TOPICS = [
    "how warblers navigate at night",
    "magnetic compass of migrating birds",
    "star compass experiments with buntings",
    "swift migration to africa",
    "stopover ecology of songbirds",
    "radar ornithology and nocturnal migration",
    "geolocators on tiny birds",
    "why birds migrate at night",
    "the arctic tern's record migration",
    "bar-tailed godwit nonstop flight",
]
OFF_TOPIC = ["best pizza in naples", "10 hours of rain sounds", "celebrity gossip roundup", "minecraft speedrun"]


def engagement() -> list[Engagement]:
    return [
        Engagement(
            tweet_id=str(1_860_000_000_000_000_000 + i),
            kind="tweet",
            text=text,
            created_at=NOW - timedelta(days=2 * i),
            weight=round(1.0 - 0.05 * i, 2),
        )
        for i, text in enumerate(POSTS)
    ]


def interests() -> list[Interest]:
    ids = [e.tweet_id for e in engagement()]
    return [
        Interest(
            name="PostgreSQL query planning",
            description="How the Postgres planner chooses joins and estimates rows.",
            weight=0.9,
            evidence_tweet_ids=ids[:4],
            keywords=["postgres", "planner", "hash join", "explain analyze", "statistics"],
        ),
        Interest(
            name="Bird migration",
            description="How migrating birds navigate.",
            weight=0.6,
            evidence_tweet_ids=ids[4:7],
            keywords=["bird migration", "warblers", "navigate", "magnetic field"],
        ),
    ]


def candidates() -> list[Candidate]:
    out = []
    for i, topic in enumerate(PG_TOPICS):
        out.append(
            Candidate(
                video_id=f"pg{i:09d}",
                title=f"Postgres planner: {topic}",
                channel=f"Database Talks {i % 3}",
                description=f"A conference talk on {topic} in the PostgreSQL query planner.",
                published_at=date(2019 + i % 6, 3, 1),
                duration_s=900 + 10 * i,
                view_count=1000 * (i + 1),
            )
        )
    for i, topic in enumerate(BIRD_TOPICS):
        out.append(
            Candidate(
                video_id=f"bd{i:09d}",
                title=f"Bird migration lecture: {topic}",
                channel="Ornithology Lectures",
                description=f"An explainer on {topic} and how migrating birds navigate.",
                published_at=date(2016 + i % 8, 5, 1),
                duration_s=700 + 10 * i,
                view_count=500 * (i + 1),
            )
        )
    for i, topic in enumerate(OFF_TOPIC):
        out.append(Candidate(video_id=f"ot{i:09d}", title=topic.title(), channel="Fun", duration_s=600))
    return out


FILLER = [
    "welcome back everyone and thanks for joining this session on databases",
    "before we start please like and subscribe it really helps the channel",
    "today's episode is brought to you by our sponsor who makes great keyboards",
    "so a little about me i have been working with databases for a long time",
    "let's take a question from the chat about what got me into this field",
]
DENSE = [
    "a hash join builds a hash table on the smaller input keyed by the join column",
    "then it probes that table with every row of the larger input to find matches",
    "the planner picks a hash join when the estimated rows make the build side fit in work_mem",
    "if the row estimate is wrong the hash table spills to disk in batches and the join slows down",
    "that is why explain analyze shows actual rows next to the estimate so you can spot the misestimate",
    "extended statistics on correlated columns fix many of these row estimates for the planner",
]


def transcript(video_id: str = "pg000000000", *, rival: bool = False) -> TranscriptData:
    """A talk of filler, then one dense passage about hash joins (4:10-6:10); with `rival`, more
    filler and a shorter second pass over it (7:50-8:50) make the choice of passage a close one."""
    texts = FILLER * 10 + DENSE * 4
    if rival:
        texts += FILLER * 4 + DENSE * 2
    segments = [Segment(text=text, start=round(i * 5.0, 2), duration=5.0) for i, text in enumerate(texts)]
    return TranscriptData(video_id=video_id, language_code="en", is_generated=True, segments=segments)


PREFS = Preferences(instructions="I'm comfortable with SQL; prefer talks over podcasts.")
