"""Runs the local engine over an evaluation set in process and scores the feed with its scorer.

The stages run as the product runs them: engagement from the persona's archive,
interests, queries, catalog search, screening, transcripts, clip, explanation,
validation, then the feed (10 items, one clip per video, at most 3 per interest in
the top 10 unless there is only one interest, ordered by score). The scorer is the
evaluation set's own `score.py`, imported by path.
"""

from __future__ import annotations

import importlib.util
import json
import time
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from types import ModuleType
from typing import Any

from app.llm.local import LocalEngine
from app.pipeline.engagement import build_engagement
from app.schemas import Candidate, Clip, Explanation, FeedItem, Interest, Preferences
from app.sources.base import TranscriptUnavailable
from app.sources.catalog import CatalogSource
from app.sources.x_archive import ArchiveLimits, parse_archive
from app.validation import repair_explanation, validate_clip

SHARED = Path(__file__).resolve().parents[1].parent / "shared"
DEV_SET = SHARED / "eval" / "dev"
REAL_SET = Path(__file__).resolve().parents[1] / "eval" / "real"
SHARED_SCORER = SHARED / "eval" / "score.py"
FEED_SIZE = 10
PER_INTEREST = 3
SEARCH_LIMIT = 8
_LIMITS = ArchiveLimits(max_uncompressed_bytes=1 << 30, max_members=10_000)


@dataclass
class EvalRun:
    persona: str
    feed: list[FeedItem]
    metrics: dict[str, Any]
    seconds: float
    interests: list[Interest] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)


@cache
def scorer(eval_dir: Path = DEV_SET) -> ModuleType:
    """The evaluation set's score.py as a module (the shared scorer when the set has none beside it)."""
    path = eval_dir.parent / "score.py"
    if not path.is_file():
        path = SHARED_SCORER
    spec = importlib.util.spec_from_file_location("openrec_eval_score", path)
    if spec is None or spec.loader is None:
        raise FileNotFoundError(path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@cache
def labels(eval_dir: Path = DEV_SET) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((eval_dir / "labels.json").read_text(encoding="utf-8"))
    return data


def run_persona(persona: str, eval_dir: Path = DEV_SET) -> EvalRun:
    """One full run for one persona, timed from archive bytes to scored feed."""
    spec = labels(eval_dir)["personas"][persona]
    started = time.perf_counter()
    archive = parse_archive((eval_dir / spec["archive"]).read_bytes(), limits=_LIMITS)
    engagement = build_engagement(archive.items)
    prefs = Preferences(instructions=spec.get("instructions", ""))
    source = CatalogSource.from_path(eval_dir / "catalog.json")
    engine = LocalEngine()
    skipped: list[str] = []

    interests = engine.infer_interests(engagement, prefs)
    by_name = {i.name: i for i in interests}
    candidates: dict[str, Candidate] = {}
    for query in engine.write_queries(interests, prefs):
        for found in source.search(query.query, SEARCH_LIMIT):
            candidates.setdefault(found.video_id, found.model_copy(update={"interest": query.interest}))
    decisions = engine.screen(list(candidates.values()), interests, prefs)
    user_ids = {e.tweet_id for e in archive.items}
    items: list[FeedItem] = []
    for decision in decisions:
        if not decision.keep:
            skipped.append(f"screen {decision.video_id}: {decision.reason}")
            continue
        candidate, interest = candidates[decision.video_id], by_name[decision.interest]
        try:
            transcript = source.fetch(candidate.video_id)
        except TranscriptUnavailable as exc:
            skipped.append(f"transcript {exc.video_id}: {exc.reason}")
            continue
        clip = engine.choose_clip(candidate, interest, transcript, engagement, prefs)
        if clip is None or validate_clip(clip, transcript, duration_s=candidate.duration_s):
            skipped.append(f"clip {candidate.video_id}: none valid")
            continue
        explanation = repair_explanation(
            engine.explain(clip, candidate, interest, engagement, prefs), user_tweet_ids=user_ids
        )
        if explanation is None:
            skipped.append(f"explain {candidate.video_id}: no valid citation")
            continue
        items.append(_feed_item(candidate, clip, explanation))
    feed = arrange_feed(items, single_interest=len(interests) == 1)
    seconds = time.perf_counter() - started
    payload = [item.model_dump(mode="json") for item in feed]
    metrics = scorer(eval_dir).score(labels(eval_dir), persona, payload)
    return EvalRun(persona, feed, metrics, seconds, interests, skipped)


def arrange_feed(items: list[FeedItem], *, single_interest: bool) -> list[FeedItem]:
    """Best first, one clip per video, never more than PER_INTEREST clips of one interest (feed of FEED_SIZE)."""
    feed: list[FeedItem] = []
    videos: set[str] = set()
    per_interest: dict[str, int] = {}
    for item in sorted(items, key=lambda i: -i.score):
        if item.video_id in videos or (not single_interest and per_interest.get(item.interest, 0) >= PER_INTEREST):
            continue
        videos.add(item.video_id)
        per_interest[item.interest] = per_interest.get(item.interest, 0) + 1
        feed.append(item)
    return feed[:FEED_SIZE]


def _feed_item(candidate: Candidate, clip: Clip, explanation: Explanation) -> FeedItem:
    return FeedItem(
        video_id=candidate.video_id,
        title=candidate.title,
        channel=candidate.channel,
        start_s=clip.start_s,
        end_s=clip.end_s,
        explanation=explanation.text,
        quote=clip.quote,
        tweet_ids=explanation.tweet_ids,
        score=clip.score,
        interest=clip.interest,
    )
