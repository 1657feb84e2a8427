"""Fakes of the LLM and source Protocols for pipeline tests: scripted answers, counted calls.

`ScriptedLLM` answers every stage from what it is given unless a test scripts an
answer (a value, an exception to raise, or a function of the call's arguments), so a
test states only what it cares about. `fake_video` builds a candidate with a timed
transcript whose one passage about the topic can be found and quoted.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from app.llm.base import CallRecord, CallRecorder
from app.models import Tweet, User
from app.schemas import (
    Candidate,
    Clip,
    Engagement,
    Explanation,
    Interest,
    Preferences,
    ScreenDecision,
    SearchQuery,
    Segment,
    TranscriptData,
)
from app.sources.base import TranscriptUnavailable

SEGMENT_S = 5.0
TOKENS_IN, TOKENS_OUT, COST_USD = 100, 20, 0.0005  # what a ScriptedLLM with a recorder records per call


class ScriptedLLM:
    """An LLM whose answers are scripted per stage (and per video for clips and explanations).

    A scripted answer that is an exception is raised; a callable is called with the
    stage's arguments. `calls` counts every call per stage; `hook(stage)` runs first;
    with a `recorder`, each call is recorded with fixed token counts and cost.
    """

    def __init__(
        self,
        *,
        name: str = "scripted",
        interests: Any = None,
        queries: Any = None,
        screen: Any = None,
        clips: dict[str, Any] | None = None,
        explanations: dict[str, Any] | None = None,
        hook: Callable[[str], None] | None = None,
        recorder: CallRecorder | None = None,
    ) -> None:
        self.name = name
        self.interests = interests
        self.queries = queries
        self.screen_answer = screen
        self.clips = clips or {}
        self.explanations = explanations or {}
        self.hook = hook
        self.recorder = recorder
        self.calls: Counter[str] = Counter()
        self._lock = threading.Lock()

    def _enter(self, stage: str) -> None:
        with self._lock:
            self.calls[stage] += 1
        if self.recorder is not None:
            self.recorder(CallRecord(stage, f"{self.name}-model", "v1", TOKENS_IN, TOKENS_OUT, 0, 3, COST_USD, "ok"))
        if self.hook is not None:
            self.hook(stage)

    @staticmethod
    def _scripted(answer: Any, *args: Any) -> Any:
        if isinstance(answer, BaseException):
            raise answer
        return answer(*args) if callable(answer) else answer

    def infer_interests(self, engagement: Sequence[Engagement], prefs: Preferences) -> list[Interest]:
        self._enter("interests")
        if self.interests is not None:
            return list(self._scripted(self.interests, engagement, prefs))
        return [Interest(name="everything", description="", weight=1.0, evidence_tweet_ids=[engagement[0].tweet_id])]

    def write_queries(self, interests: Sequence[Interest], prefs: Preferences) -> list[SearchQuery]:
        self._enter("queries")
        if self.queries is not None:
            return list(self._scripted(self.queries, interests, prefs))
        return [SearchQuery(interest=i.name, query=i.name) for i in interests]

    def screen(
        self, candidates: Sequence[Candidate], interests: Sequence[Interest], prefs: Preferences
    ) -> list[ScreenDecision]:
        self._enter("screen")
        if self.screen_answer is not None:
            return list(self._scripted(self.screen_answer, candidates, interests, prefs))
        return [
            ScreenDecision(video_id=c.video_id, keep=True, interest=c.interest, reason="scripted", score=1.0)
            for c in candidates
        ]

    def choose_clip(
        self,
        candidate: Candidate,
        interest: Interest,
        transcript: TranscriptData,
        engagement: Sequence[Engagement],
        prefs: Preferences,
    ) -> Clip | None:
        self._enter("clip")
        if candidate.video_id in self.clips:
            answer = self._scripted(self.clips[candidate.video_id], candidate, interest, transcript)
            return answer if answer is None else Clip.model_validate(answer)
        return passage_clip(candidate, interest, transcript)

    def explain(
        self,
        clip: Clip,
        candidate: Candidate,
        interest: Interest,
        evidence: Sequence[Engagement],
        prefs: Preferences,
    ) -> Explanation:
        self._enter("explain")
        if clip.video_id in self.explanations:
            return Explanation.model_validate(self._scripted(self.explanations[clip.video_id], clip, interest))
        return Explanation(
            text=f"Picked for your interest in {interest.name}. In this clip: “{clip.quote}”",
            tweet_ids=interest.evidence_tweet_ids[:2],
        )


def passage_clip(candidate: Candidate, interest: Interest, transcript: TranscriptData) -> Clip | None:
    """The clip `fake_video` put its topic passage in, scored by the video's `view_count` (a test's knob)."""
    passage = [s for s in transcript.segments if "[passage]" in s.text]
    if not passage:
        return None
    return Clip(
        video_id=candidate.video_id,
        interest=interest.name,
        start_s=passage[0].start,
        end_s=passage[-1].start + passage[-1].duration,
        quote=passage[0].text,
        score=float(candidate.view_count or 1),
    )


@dataclass
class FakeVideo:
    candidate: Candidate
    transcript: TranscriptData | TranscriptUnavailable | Exception


def fake_video(
    video_id: str,
    topic: str,
    *,
    channel: str = "Lecture Hall",
    duration_s: int = 300,
    score: int = 1,
    title: str | None = None,
    transcript: TranscriptUnavailable | Exception | None = None,
) -> FakeVideo:
    """A video about `topic` whose transcript holds a 40 s passage (marked `[passage]`) from 100 s on."""
    segments = []
    for i in range(int(duration_s / SEGMENT_S)):
        start = i * SEGMENT_S
        inside = 100 <= start < 140
        text = f"[passage] {topic} idea number {i} explained." if inside else f"filler sentence {i} of the talk."
        segments.append(Segment(text=text, start=start, duration=SEGMENT_S))
    candidate = Candidate(
        video_id=video_id,
        title=title or f"A lecture on {topic}",
        channel=channel,
        description=f"An explainer about {topic}.",
        published_at=date(2020, 1, 1),
        duration_s=duration_s,
        view_count=score,
    )
    data = transcript or TranscriptData(video_id=video_id, language_code="en", is_generated=False, segments=segments)
    return FakeVideo(candidate, data)


@dataclass
class FakeVideoSource:
    """Answers a query with the videos whose title contains it (case-insensitive), in the order given."""

    videos: list[FakeVideo]
    name: str = "fake"
    failures: dict[str, Exception] = field(default_factory=dict)
    queries: list[str] = field(default_factory=list)

    def search(self, query: str, limit: int) -> list[Candidate]:
        self.queries.append(query)
        if query in self.failures:
            raise self.failures[query]
        found = [v.candidate for v in self.videos if query.casefold() in v.candidate.title.casefold()]
        return found[:limit]


@dataclass
class FakeTranscriptSource:
    videos: list[FakeVideo]
    fetched: list[str] = field(default_factory=list)

    def fetch(self, video_id: str) -> TranscriptData:
        self.fetched.append(video_id)
        for video in self.videos:
            if video.candidate.video_id == video_id:
                if isinstance(video.transcript, BaseException):
                    raise video.transcript
                return video.transcript
        raise TranscriptUnavailable(video_id, "video unavailable")


def add_tweets(session: Session, user: User, texts: Sequence[str], *, newest: datetime | None = None) -> list[str]:
    """Store one tweet per text, a day apart, newest first; returns their ids."""
    newest = newest or datetime(2026, 11, 1, tzinfo=UTC)
    ids = []
    for i, text in enumerate(texts):
        tweet_id = str(1_800_000_000_000_000_000 + user.id * 1000 + i)
        session.add(
            Tweet(user_id=user.id, tweet_id=tweet_id, kind="tweet", text=text, created_at=newest - timedelta(days=i))
        )
        ids.append(tweet_id)
    session.flush()
    return ids
