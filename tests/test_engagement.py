"""Recency weighting of engagement, measured against the user's own newest item."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from app.pipeline.engagement import HALF_LIFE_DAYS, build_engagement, recency_weight
from app.sources.tweet_records import SNOWFLAKE_EPOCH_MS, TweetRecord

NEWEST = datetime(2021, 6, 1, tzinfo=UTC)  # long ago: the wall clock must not matter


def row(tweet_id: str, *, days_ago: float | None, kind: str = "tweet", text: str = "some words here") -> TweetRecord:
    created = None if days_ago is None else NEWEST - timedelta(days=days_ago)
    return TweetRecord(tweet_id=tweet_id, kind=kind, text=text, created_at=created, url=None)  # type: ignore[arg-type]


def snowflake(moment: datetime) -> str:
    return str((int(moment.timestamp() * 1000) - SNOWFLAKE_EPOCH_MS) << 22)


def test_recent_items_outweigh_old_ones_relative_to_the_newest_item() -> None:
    values = build_engagement([row("1", days_ago=0), row("2", days_ago=59), row("3", days_ago=366)])
    weights = {v.tweet_id: v.weight for v in values}
    assert weights["1"] == 1.0
    assert weights["2"] >= 0.5
    assert weights["3"] < 0.05
    assert weights["2"] > 10 * weights["3"]


def test_most_recent_first_and_empty_texts_left_out() -> None:
    values = build_engagement(
        [row("old", days_ago=30), row("empty", days_ago=1, kind="like", text="  "), row("new", days_ago=2)]
    )
    assert [v.tweet_id for v in values] == ["new", "old"]


def test_likes_count_and_get_their_time_from_the_snowflake_id() -> None:
    liked_at = NEWEST - timedelta(days=HALF_LIFE_DAYS)
    like = TweetRecord(tweet_id=snowflake(liked_at), kind="like", text="a liked post", created_at=None, url=None)
    values = build_engagement([row("1", days_ago=0), like])
    by_kind = {v.kind: v for v in values}
    assert by_kind["like"].created_at is not None
    assert abs((by_kind["like"].created_at - liked_at).total_seconds()) < 1
    assert 0.2 < by_kind["like"].weight < by_kind["tweet"].weight


def test_explicit_reference_time_and_undated_items() -> None:
    later = NEWEST + timedelta(days=HALF_LIFE_DAYS)
    values = build_engagement([row("1", days_ago=0), row("note", days_ago=None, kind="note")], now=later)
    weights = {v.tweet_id: v.weight for v in values}
    assert abs(weights["1"] - 0.5) < 1e-9
    assert weights["note"] == 1.0  # a pasted note has no date: it counts as current


def test_unknown_kinds_count_as_posts() -> None:
    values = build_engagement([row("1", days_ago=0, kind="bookmark")])
    assert values[0].kind == "tweet"


def test_recency_weight_halves_every_half_life() -> None:
    assert recency_weight(NEWEST - timedelta(days=2 * HALF_LIFE_DAYS), NEWEST) == 0.25
    assert recency_weight(NEWEST + timedelta(days=3), NEWEST) == 1.0  # never above one
    assert recency_weight(None, NEWEST) == 1.0
