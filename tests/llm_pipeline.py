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
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from app.config import Settings
from app.llm.base import CallRecord
from app.llm.budget import PriceTable
from app.llm.engine import OpenAIEngine, screen_batches
from app.llm.local import LocalEngine
from app.llm.local.engine import cite
from app.llm.local.sentences import split_sentences
from app.llm.messages import MAX_CLIP_POST_CHARS, engagement_message, posts_block, queries_message, screen_message
from app.llm.openai_client import ChatClient
from app.llm.prompts import data_block, load_prompt, rows_block, transcript_lines, user_message
from app.pipeline.stages import Engines
from app.schemas import Candidate, Engagement, FeedItem, Interest, Preferences, TranscriptData
from app.sources.base import TranscriptUnavailable
from app.sources.catalog import CatalogSource
from app.sources.x_archive import ArchiveLimits
from app.text import terms
from tests.eval_harness import Progress, labels, run_stages, scorer
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
            "ClipsOutput": self.clips,
            "RankOutput": self.rank,
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

    def clips(self, request: ChatRequest) -> dict[str, Any]:
        """For each video, the shown topic segment that holds most of the golden passage (0 when none does)."""
        segments = data_blocks(request.user, "segments")[0].items()
        choices = []
        for video in data_blocks(request.user, "videos")[0].items():
            golden = self.videos.get(video["video_id"], {}).get("golden") or [0.0, 0.0]
            overlap = {
                s["segment"]: min(s["end_s"], golden[1]) - max(s["start_s"], golden[0])
                for s in segments
                if s["video_id"] == video["video_id"]
            }
            best = max(overlap, key=lambda n: overlap[n], default=0)
            chosen = best if overlap.get(best, 0) > 0 else 0
            choices.append({"video_id": video["video_id"], "segment": chosen, "score": 0.9 if chosen else 0.0})
        return {"choices": choices}

    def rank(self, request: ChatRequest) -> dict[str, Any]:
        """Learning clips of the persona's topics first, each explained."""
        clips = data_blocks(request.user, "clips")[0].items()
        relevant = [c for c in clips if self.videos.get(c["video_id"], {}).get("topic") in self.topics]
        ordered = relevant + [c for c in clips if c not in relevant]
        return {"ranked": [written(c, i) for i, c in enumerate(ordered)]}

    def explain(self, request: ChatRequest) -> dict[str, Any]:
        clips = data_blocks(request.user, "clips")[0].items()
        return {"explanations": [written(c, i) for i, c in enumerate(clips)]}


OPENINGS = (
    "You keep coming back to {interest}",
    "Your posts on {interest} ask for this",
    "Since you wrote about {interest}",
    "This is for the {interest} side of your feed",
    "Worth your time on {interest}",
)


def written(clip: dict[str, Any], index: int) -> dict[str, Any]:
    """An explanation as a good model writes one: a varied opening, a phrase quoted from the clip, two citations."""
    phrase = " ".join(clip["spoken"].split()[:6]).strip("…,.;:!? ")
    opening = OPENINGS[index % len(OPENINGS)].format(interest=clip["interest"])
    if index >= len(OPENINGS):
        opening = f"Clip {index + 1}: {opening[0].lower()}{opening[1:]}"
    text = f'{opening}, and here the speaker says "{phrase}".'
    return {"video_id": clip["video_id"], "text": text, "tweet_ids": clip["post_ids"][:2]}


def _cosine(a: Counter[str], b: Counter[str]) -> float:
    dot = sum(v * b[k] for k, v in a.items() if k in b)
    if not dot:
        return 0.0
    return dot / (math.sqrt(sum(v * v for v in a.values())) * math.sqrt(sum(v * v for v in b.values())))


@dataclass
class LLMRun:
    persona: str
    feed: list[FeedItem]
    metrics: dict[str, Any]
    records: list[CallRecord]
    candidates: list[Candidate]
    seconds: float
    naive: dict[str, int]  # prompt tokens per stage, whole transcripts of every candidate (and "clip_calls")
    seed: dict[str, int]  # the same, one call per screened candidate with its whole transcript
    engine: OpenAIEngine
    progress: Progress

    @property
    def naive_tokens(self) -> int:
        return sum(v for k, v in self.naive.items() if k != "clip_calls")

    @property
    def seed_tokens(self) -> int:
        return sum(v for k, v in self.seed.items() if k != "clip_calls")

    @property
    def model_explained_share(self) -> float:
        return sum(item.video_id in self.engine.explained for item in self.feed) / max(len(self.feed), 1)


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
    run = run_stages(engines, persona, eval_dir, progress)
    client.close()
    prefs = Preferences(instructions=spec.get("instructions", ""))
    source = CatalogSource.from_path(eval_dir / "catalog.json")
    payload = [item.model_dump(mode="json") for item in run.feed]
    metrics = scorer(eval_dir).score(labels(eval_dir), persona, payload)
    naive = naive_prompt_tokens(run.items, run.found, run.candidates, source, prefs, transcripts_of=run.candidates)
    seed = naive_prompt_tokens(run.items, run.found, run.candidates, source, prefs, transcripts_of=run.kept)
    return LLMRun(persona, run.feed, metrics, records, run.candidates, run.seconds, naive, seed, engine, progress)


def naive_prompt_tokens(
    items: list[Engagement],
    found: list[Interest],
    candidates: list[Candidate],
    source: CatalogSource,
    prefs: Preferences,
    *,
    transcripts_of: list[Candidate],
) -> dict[str, int]:
    """The prompt tokens, counted as the server counts them, of the same stages without pre-filters
    or batching, in the same prompts and format: every post and every candidate whole, then one
    call per video of `transcripts_of` with its whole transcript (which would write the clip and
    its explanation). With every candidate that is the all-transcripts design; with the screened
    ones, the design of one model call per screened candidate."""
    by_name = {i.name: i for i in found}
    heaviest = sorted(items, key=lambda e: -e.weight)
    calls = [("interests", engagement_message(heaviest, prefs, chars=None)), ("queries", queries_message(found, prefs))]
    calls += [("screen", screen_message(batch, found, prefs, chars=None)) for batch in screen_batches(candidates)]
    for candidate in transcripts_of:
        try:
            transcript = source.fetch(candidate.video_id)
        except TranscriptUnavailable:
            continue
        calls.append(
            ("clip", whole_transcript_message(candidate, by_name[candidate.interest], items, transcript, prefs))
        )
    tokens: dict[str, int] = {}
    for stage, user in calls:
        request = ChatRequest(body={"messages": load_prompt(stage).messages(user)}, headers={})
        tokens[stage] = tokens.get(stage, 0) + request.estimated_prompt_tokens()
    tokens["clip_calls"] = sum(stage == "clip" for stage, _ in calls)
    return tokens


def whole_transcript_message(
    candidate: Candidate, interest: Interest, items: list[Engagement], transcript: TranscriptData, prefs: Preferences
) -> str:
    """A clip call that reads the whole transcript, one line per sentence, with the posts closest to it."""
    sentences = split_sentences(transcript.segments)
    by_id = {e.tweet_id: e for e in items}
    pool = [by_id[i] for i in interest.evidence_tweet_ids if i in by_id] or items
    posts = cite(pool, f"{candidate.title} {' '.join(s.text for s in sentences)}", interest)
    video = rows_block(
        "video", ("title", "interest", "interest_description"), [(candidate.title, interest.name, interest.description)]
    )
    lines = data_block("transcript", transcript_lines((s.start, s.text) for s in sentences))
    return user_message(prefs, video, posts_block(posts, MAX_CLIP_POST_CHARS), lines)


def run_cost(records: list[CallRecord], prices: PriceTable, model: str) -> float:
    return sum(prices.cost(model, tokens_in=r.tokens_in, tokens_out=r.tokens_out) for r in records)
