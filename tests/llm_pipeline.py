"""The oracle model for the LLM path's evaluation, and the stages run through the LLM engine.

`Oracle` is used by the end-to-end evaluation test (through the real runner) and by
`bench/llm_run.py`, which times `run_persona`: the pipeline's stages for one persona with
the LLM engine in front of the local engine, without the database. The server answers from
an ORACLE that knows the evaluation labels: it answers every stage as a perfect model
would, from what the request shows it (the posts, candidates and transcript windows that
were sent), so the score measures the plumbing, the pre-filters and the validation, not a
model's judgement. Nothing here touches the network beyond the loopback server.
"""

from __future__ import annotations

import json
import math
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from app.config import Settings
from app.llm.base import CallRecord
from app.llm.budget import PriceTable
from app.llm.engine import OpenAIEngine, screen_batches
from app.llm.local import LocalEngine
from app.llm.local.sentences import split_sentences
from app.llm.messages import clip_message, clip_posts, engagement_message, queries_message, screen_message
from app.llm.openai_client import ChatClient
from app.llm.prompts import load_prompt
from app.llm.windows import SLACK_S, Window
from app.pipeline import stages
from app.pipeline.engagement import build_engagement
from app.pipeline.stages import CLIP_CANDIDATES_PER_FEED_ITEM, Engines
from app.schemas import Candidate, Engagement, FeedItem, Interest, Preferences, TranscriptData
from app.sources.base import TranscriptUnavailable
from app.sources.catalog import CatalogSource
from app.sources.x_archive import ArchiveLimits, parse_archive
from app.text import terms
from tests.eval_harness import labels, scorer
from tests.fake_openai_server import ChatRequest, FakeOpenAI, Reply, data_blocks, structured

EVAL_DIR = Path(__file__).resolve().parents[1].parent / "shared" / "eval"
DEV_SET = EVAL_DIR / "dev"
FEED_SIZE = 10
LIMITS = ArchiveLimits(max_uncompressed_bytes=1 << 30, max_members=10_000)
ORACLE_EVIDENCE = 4
ORACLE_KEYWORDS = 6


class Oracle:
    """Answers each stage from the labels, like a model that knows the right answer."""

    def __init__(self, persona: str, eval_dir: Path = DEV_SET) -> None:
        truth = labels(eval_dir)
        catalog = json.loads((eval_dir / "catalog.json").read_text(encoding="utf-8"))["videos"]
        self.videos: dict[str, dict[str, Any]] = truth["videos"]
        self.topics: list[str] = truth["personas"][persona]["relevant_topics"]
        self.by_title = {v["title"]: v["id"] for v in catalog}
        assert len(self.by_title) == len(catalog), "the oracle finds videos by title"
        self.titles: dict[str, list[str]] = {t: [] for t in self.topics}
        self.profiles: dict[str, Counter[str]] = {t: Counter() for t in self.topics}
        for video in catalog:
            label = self.videos[video["id"]]
            if label["topic"] in self.topics and label["kind"] == "learning":
                g0, g1 = label["golden"]
                golden = " ".join(s["text"] for s in video["transcript"] if g0 <= s["start"] < g1)
                self.profiles[label["topic"]].update(terms(golden))
                self.titles[label["topic"]].append(video["title"])

    def name(self, topic: str) -> str:
        return topic.replace("_", " ")

    def topic(self, name: str) -> str | None:
        return next((t for t in self.topics if self.name(t) == name), None)

    def __call__(self, request: ChatRequest) -> Reply:
        answer = {
            "InterestsOutput": self.interests,
            "QueriesOutput": self.queries,
            "ScreenOutput": self.screen,
            "ClipOutput": self.clip,
            "ExplainOutput": self.explain,
        }[request.schema_name]
        return structured(answer(request))

    def interests(self, request: ChatRequest) -> dict[str, Any]:
        posts = data_blocks(request.user, "engagement")[0].items()
        scored: dict[str, list[tuple[float, str]]] = {t: [] for t in self.topics}
        for post in posts:
            words = Counter(terms(post["text"]))
            fits = {t: _cosine(words, self.profiles[t]) for t in self.topics}
            best = max(fits, key=lambda t: fits[t])
            if fits[best] > 0:
                scored[best].append((fits[best], post["id"]))
        out = []
        for topic, fits in scored.items():
            evidence = [tweet for _, tweet in sorted(fits, reverse=True)[:ORACLE_EVIDENCE]]
            if not evidence:
                continue
            said = Counter(w for p in posts if p["id"] in evidence for w in terms(p["text"]))
            keywords = [w for w, _ in self.profiles[topic].most_common() if w in said][:ORACLE_KEYWORDS]
            out.append(
                {
                    "name": self.name(topic),
                    "description": f"What you keep writing about {self.name(topic)}.",
                    "weight": 0.9,
                    "evidence_tweet_ids": evidence,
                    "keywords": keywords,
                }
            )
        return {"interests": out}

    def queries(self, request: ChatRequest) -> dict[str, Any]:
        out = []
        for interest in data_blocks(request.user, "interests")[0].items():
            topic = self.topic(interest["name"])
            for title in self.titles.get(topic or "", [])[:4]:
                out.append({"interest": interest["name"], "query": title})
        return {"queries": out}

    def screen(self, request: ChatRequest) -> dict[str, Any]:
        out = []
        for candidate in data_blocks(request.user, "candidates")[0].items():
            label = self.videos.get(candidate["video_id"], {})
            keep = label.get("kind") == "learning" and label.get("topic") in self.topics
            name = self.name(label["topic"]) if keep else ""
            out.append({"video_id": candidate["video_id"], "keep": keep, "interest": name, "reason": "r", "score": 1.0})
        return {"decisions": out}

    def clip(self, request: ChatRequest) -> dict[str, Any]:
        """The longest 30-180 s stretch of the golden passage that one shown window holds
        (its lines start at whole seconds, so a boundary may be up to a second off)."""
        video = data_blocks(request.user, "video")[0].items()[0]
        golden = self.videos[self.by_title[video["title"]]]["golden"] or [0.0, 0.0]
        best: tuple[float, float, str] | None = None
        for window in data_blocks(request.user, "window"):
            starts = [float(line[1 : line.index("]")]) for line in window.lines]
            bounds = [*starts, float(window.attrs["end"])]
            inside = [b for b in bounds if golden[0] - SLACK_S <= b <= golden[1] + SLACK_S]
            while len(inside) > 2 and inside[-1] - inside[0] > 180:
                inside.pop()
            if (
                len(inside) >= 2
                and inside[-1] - inside[0] >= 30
                and (best is None or inside[-1] - inside[0] > best[1] - best[0])
            ):
                line = window.lines[starts.index(inside[0])]
                best = (inside[0], inside[-1], " ".join(line[line.index("]") + 2 :].split()[:12]))
        ids = [p["id"] for p in data_blocks(request.user, "posts")[0].items()][:2]
        if best is None:
            return {
                "has_clip": False,
                "start_s": 0,
                "end_s": 0,
                "quote": "",
                "score": 0,
                "explanation": "",
                "tweet_ids": [],
            }
        text = f"You keep writing about {video['interest']}; this clip explains it."
        return {
            "has_clip": True,
            "start_s": best[0],
            "end_s": best[1],
            "quote": best[2],
            "score": 0.9,
            "explanation": text,
            "tweet_ids": ids,
        }

    def explain(self, request: ChatRequest) -> dict[str, Any]:
        ids = [p["id"] for p in data_blocks(request.user, "posts")[0].items()][:2]
        about = data_blocks(request.user, "clip")[0].items()[0]
        return {"text": f"You keep writing about {about['interest']}; this clip explains it.", "tweet_ids": ids}


def _cosine(a: Counter[str], b: Counter[str]) -> float:
    dot = sum(v * b[k] for k, v in a.items() if k in b)
    if not dot:
        return 0.0
    return dot / (math.sqrt(sum(v * v for v in a.values())) * math.sqrt(sum(v * v for v in b.values())))


@dataclass
class Progress:
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
    stored: dict[str, TranscriptData | TranscriptUnavailable] = field(default_factory=dict)

    def lookup(self, video_id: str) -> TranscriptData | TranscriptUnavailable | None:
        return self.stored.get(video_id)

    def store(self, video_id: str, outcome: TranscriptData | TranscriptUnavailable) -> None:
        self.stored[video_id] = outcome


@dataclass
class LLMRun:
    persona: str
    feed: list[FeedItem]
    metrics: dict[str, Any]
    records: list[CallRecord]
    candidates: list[Candidate]
    seconds: float
    naive: dict[str, int]  # prompt tokens per stage of the design without pre-filters
    engine: OpenAIEngine
    progress: Progress

    @property
    def naive_tokens(self) -> int:
        return sum(self.naive.values())


def run_persona(persona: str, fake: FakeOpenAI, *, concurrency: int = 4, eval_dir: Path = DEV_SET) -> LLMRun:
    """One run of the stages for one persona through the LLM engine, scored by the set's scorer."""
    spec = labels(eval_dir)["personas"][persona]
    records: list[CallRecord] = []
    settings = Settings(openai_api_key="sk-test", openai_base_url=fake.base_url, openrec_llm_concurrency=concurrency)
    client = ChatClient(api_key="sk-test", base_url=fake.base_url, max_retries=0)
    local = LocalEngine()
    engine = OpenAIEngine(client=client, local=local, settings=settings, recorder=records.append)
    engines = Engines(primary=engine, fallback=local, workers=concurrency)
    progress = Progress()
    source = CatalogSource.from_path(eval_dir / "catalog.json")

    started = time.perf_counter()
    archive = parse_archive((eval_dir / spec["archive"]).read_bytes(), limits=LIMITS)
    items = build_engagement(archive.items)
    user_ids = {e.tweet_id for e in items}
    prefs = Preferences(instructions=spec.get("instructions", ""))
    found = stages.interests(engines, items, prefs, progress, user_tweet_ids=user_ids)
    written = stages.queries(engines, found, prefs, progress)
    candidates = stages.search(source, written, progress)
    kept = stages.screen(
        engines, candidates, found, prefs, progress, max_kept=FEED_SIZE * CLIP_CANDIDATES_PER_FEED_ITEM
    )
    texts = stages.transcripts(kept, source, MemoryTranscripts(), progress, workers=concurrency)
    chosen = stages.clips(engines, kept, texts, found, items, prefs, progress)
    feed = stages.rank(
        engines, chosen, kept, found, items, prefs, progress, user_tweet_ids=user_ids, feed_size=FEED_SIZE
    )
    seconds = time.perf_counter() - started
    client.close()

    payload = [item.model_dump(mode="json") for item in feed]
    metrics = scorer(eval_dir).score(labels(eval_dir), persona, payload)
    naive = naive_prompt_tokens(items, found, candidates, source, prefs)
    return LLMRun(persona, feed, metrics, records, candidates, seconds, naive, engine, progress)


def naive_prompt_tokens(
    items: list[Engagement],
    found: list[Interest],
    candidates: list[Candidate],
    source: CatalogSource,
    prefs: Preferences,
) -> dict[str, int]:
    """The prompt tokens, counted as the server counts them, of the same stages with no pre-filter,
    in the same prompts and format: every post and every candidate whole, and one clip call
    per candidate (each one the screen received, for the interest that found it) with its
    whole transcript as the window. Its clip calls write the explanations, as ours do."""
    by_name = {i.name: i for i in found}
    heaviest = sorted(items, key=lambda e: -e.weight)
    calls = [("interests", engagement_message(heaviest, prefs, chars=None)), ("queries", queries_message(found, prefs))]
    calls += [("screen", screen_message(batch, found, prefs, chars=None)) for batch in screen_batches(candidates)]
    for candidate in candidates:
        try:
            transcript = source.fetch(candidate.video_id)
        except TranscriptUnavailable:
            continue
        interest = by_name[candidate.interest]
        whole = [Window(tuple(split_sentences(transcript.segments)))]
        posts = clip_posts(items, interest, candidate, whole)
        calls.append(("clip", clip_message(candidate, interest, posts, whole, prefs)))
    tokens: dict[str, int] = {}
    for stage, user in calls:
        request = ChatRequest(body={"messages": load_prompt(stage).messages(user)}, headers={})
        tokens[stage] = tokens.get(stage, 0) + request.estimated_prompt_tokens()
    return tokens


def run_cost(records: list[CallRecord], prices: PriceTable, model: str) -> float:
    return sum(prices.cost(model, tokens_in=r.tokens_in, tokens_out=r.tokens_out) for r in records)
