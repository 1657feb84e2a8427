"""Runs the local engine over an evaluation set in process and scores the feed with its scorer.

The stages run as the runner runs them (`app.pipeline.stages`, with the search depth
and screening share of a 10-item feed): engagement from the persona's archive,
interests, queries, catalog search, screening and naming, transcripts, clip, then the
ranked, explained feed. The scorer is the evaluation set's own `score.py`, imported by
path.
"""

from __future__ import annotations

import importlib.util
import json
import random
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from types import ModuleType
from typing import Any

from app.llm.local import LocalEngine
from app.pipeline import stages
from app.pipeline.engagement import build_engagement
from app.pipeline.exclusions import excluded_topics
from app.pipeline.stages import Engines
from app.schemas import (
    Candidate,
    Engagement,
    FeedbackSignal,
    FeedItem,
    Interest,
    InterestControls,
    Preferences,
    TranscriptData,
)
from app.sources.base import TranscriptUnavailable
from app.sources.catalog import CatalogSource
from app.sources.x_archive import ArchiveLimits, parse_archive

SHARED = Path(__file__).resolve().parents[1].parent / "shared"
DEV_SET = SHARED / "eval" / "dev"
REAL_SET = Path(__file__).resolve().parents[1] / "eval" / "real"
WIDE_SET = Path(__file__).resolve().parents[1] / "eval" / "wide"
SHARED_SCORER = SHARED / "eval" / "score.py"
FEED_SIZE = 10
_LIMITS = ArchiveLimits(max_uncompressed_bytes=1 << 30, max_members=10_000)


@dataclass
class EvalRun:
    persona: str
    feed: list[FeedItem]
    metrics: dict[str, Any]
    seconds: float
    interests: list[Interest] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


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


@dataclass
class Progress:
    """Collects what the stages skip and note, as the run log would."""

    skipped: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def skip(self, item: str, reason: str) -> None:
        self.skipped.append(f"{item}: {reason}")

    def note(self, message: str) -> None:
        self.notes.append(message)

    def step(self, done: int, total: int) -> None:
        pass


@dataclass
class MemoryTranscripts:
    """The transcript cache, in memory."""

    stored: dict[str, TranscriptData | TranscriptUnavailable] = field(default_factory=dict)

    def lookup(self, video_id: str) -> TranscriptData | TranscriptUnavailable | None:
        return self.stored.get(video_id)

    def store(self, video_id: str, outcome: TranscriptData | TranscriptUnavailable) -> None:
        self.stored[video_id] = outcome


@dataclass
class StageRun:
    """What each stage of one persona's run gave."""

    items: list[Engagement]
    found: list[Interest]
    candidates: list[Candidate]
    kept: list[Candidate]
    feed: list[FeedItem]
    seconds: float


def run_stages(
    engines: Engines,
    persona: str,
    eval_dir: Path,
    progress: Progress,
    *,
    keep: float = 1.0,
    seed: int = 0,
    seen: Sequence[str] = (),
    previous: Sequence[Interest] = (),
    feedback: Sequence[FeedbackSignal] = (),
    instructions: str | None = None,
    feed_size: int = FEED_SIZE,
) -> StageRun:
    """The pipeline's stages for one persona, as the runner calls them, without the database. With `keep` below
    1, a random share of the archive's items (drawn with `seed`): the same person on another day, or a person
    who posts less, for the spread of the figures. `seen` are videos an earlier feed showed and `previous` the
    interests that run gave (the next day's run); `instructions`, when given, replace the persona's own. Tests run
    feeds of FEED_SIZE, the fewest a user can ask for: the same rules, and quicker."""
    spec = labels(eval_dir)["personas"][persona]
    source = CatalogSource.from_path(eval_dir / "catalog.json")
    started = time.perf_counter()
    archive = parse_archive((eval_dir / spec["archive"]).read_bytes(), limits=_LIMITS)
    rows = list(archive.items)
    if keep < 1:
        draw = random.Random(seed)
        rows = [row for row in rows if draw.random() < keep]
    items = build_engagement(rows)
    user_ids = {e.tweet_id for e in items}
    prefs = Preferences(
        instructions=spec.get("instructions", "") if instructions is None else instructions,
        feed_size=feed_size,
        seen_video_ids=list(seen),
        feedback=list(feedback),
        interests=InterestControls(previous=list(previous)),
    )
    topics = excluded_topics(prefs)  # as the runner fixes them when the run starts
    found = stages.interests(engines, items, prefs, progress, user_tweet_ids=user_ids, topics=topics)
    depth = stages.search_depth(feed_size, len(found))
    written = stages.queries(engines, found, prefs, progress, depth=depth)
    candidates = stages.search(source, written, progress, per_query=depth.results_per_query, seen=seen)
    kept = stages.screen(
        engines,
        candidates,
        found,
        prefs,
        progress,
        max_kept=feed_size * stages.CLIP_CANDIDATES_PER_FEED_ITEM,
        topics=topics,
    )
    found, kept = stages.name_interests(engines, found, kept, candidates, prefs, progress, topics=topics)
    found, kept = stages.set_aside_voted_down(found, kept, prefs, progress)
    texts = stages.transcripts(kept, source, MemoryTranscripts(), progress, workers=engines.workers)
    chosen = stages.clips(engines, kept, texts, found, items, prefs, progress, topics=topics)
    feed = stages.rank(
        engines, chosen, kept, found, items, prefs, progress, user_tweet_ids=user_ids, feed_size=feed_size
    )
    return StageRun(items, found, candidates, kept, feed, time.perf_counter() - started)


def run_persona(
    persona: str,
    eval_dir: Path = DEV_SET,
    *,
    keep: float = 1.0,
    seed: int = 0,
    seen: Sequence[str] = (),
    previous: Sequence[Interest] = (),
    feed_size: int = FEED_SIZE,
) -> EvalRun:
    """One full run of the local engine for one persona, timed from archive bytes to scored feed."""
    progress = Progress()
    engines = Engines(primary=LocalEngine())
    run = run_stages(
        engines, persona, eval_dir, progress, keep=keep, seed=seed, seen=seen, previous=previous, feed_size=feed_size
    )
    payload = [item.model_dump(mode="json") for item in run.feed]
    metrics = scorer(eval_dir).score(labels(eval_dir), persona, payload)
    return EvalRun(persona, run.feed, metrics, run.seconds, run.found, progress.skipped, progress.notes)
