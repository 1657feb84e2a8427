"""What the run pages show beyond the run row: clips per run, models and their use per stage, interests."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.models import Interest, LLMCall, PipelineRun, Recommendation, Tweet, User
from app.pipeline.stages import INSTRUCTIONS_APPLIED, SEEN_REASON
from app.services.runs import MODEL_OUTCOMES
from app.sources.tweet_records import is_tweet_id, status_url


@dataclass(frozen=True)
class EvidenceTweet:
    tweet_id: str
    kind: str
    text: str

    @property
    def url(self) -> str | None:
        """The post on X; None for pasted notes, which exist only here."""
        return status_url(self.tweet_id) if is_tweet_id(self.tweet_id) else None


@dataclass(frozen=True)
class InterestView:
    """An interest of a run and the user's own tweets that show it."""

    name: str
    description: str
    weight: float
    evidence: list[EvidenceTweet]


def run_clip_counts(session: Session, *, user: User, run_ids: Sequence[int]) -> dict[int, int]:
    """How many clips each of the user's runs put in the feed."""
    if not run_ids:
        return {}
    rows = session.execute(
        select(Recommendation.run_id, func.count(Recommendation.id))
        .where(Recommendation.user_id == user.id, Recommendation.run_id.in_(run_ids))
        .group_by(Recommendation.run_id)
    )
    return dict(rows.all())


# The pipeline stage an LLM stage's calls belong to (explanations are written while ranking).
PIPELINE_STAGE = {"explain": "rank"}


@dataclass(frozen=True)
class StageUsage:
    """What one pipeline stage's model calls used: "interests: model X, 1,240 tokens, $0.0004"."""

    models: list[str]
    calls: int
    tokens: int
    cost_usd: float

    @property
    def text(self) -> str:
        calls = f"{self.calls} call{'s' if self.calls != 1 else ''}"
        return f"{', '.join(self.models)}, {calls}, {self.tokens:,} tokens, ${self.cost_usd:.4f}"


def run_stage_usage(session: Session, *, run: PipelineRun) -> dict[str, StageUsage]:
    """Per pipeline stage, the models its requests reached, their calls, tokens (in and out) and cost.

    Cache hits and budget refusals cost nothing and reach no model: they are not counted.
    """
    rows = session.execute(
        select(
            LLMCall.stage,
            LLMCall.model,
            func.count(LLMCall.id),
            func.sum(LLMCall.tokens_in + LLMCall.tokens_out),
            func.sum(LLMCall.cost_usd),
        )
        .where(LLMCall.run_id == run.id, LLMCall.user_id == run.user_id, LLMCall.outcome.in_(MODEL_OUTCOMES))
        .group_by(LLMCall.stage, LLMCall.model)
        .order_by(LLMCall.stage, LLMCall.model)
    ).all()
    usage: dict[str, StageUsage] = {}
    for stage, model, calls, tokens, cost in rows:
        name = PIPELINE_STAGE.get(stage, stage)
        before = usage.get(name, StageUsage([], 0, 0, 0.0))
        models = before.models if model in before.models else [*before.models, model]
        usage[name] = StageUsage(
            models, before.calls + int(calls), before.tokens + int(tokens or 0), before.cost_usd + float(cost or 0)
        )
    return usage


def run_models(session: Session, *, run: PipelineRun) -> list[str]:
    """The model names a run called (empty when the local engine did everything)."""
    rows = session.scalars(
        select(LLMCall.model).where(LLMCall.run_id == run.id, LLMCall.user_id == run.user_id).distinct()
    ).all()
    return sorted(rows)


def run_interests(session: Session, *, run: PipelineRun) -> list[InterestView]:
    """The run's interests in order, each with the text of its evidence tweets (the user's own only)."""
    interests = session.scalars(
        select(Interest)
        .where(Interest.run_id == run.id, Interest.user_id == run.user_id)
        .order_by(Interest.position, Interest.id)
    ).all()
    wanted = {tweet_id for interest in interests for tweet_id in interest.evidence_tweet_ids}
    tweets: dict[str, EvidenceTweet] = {}
    if wanted:
        rows = session.execute(
            select(Tweet.tweet_id, Tweet.kind, Tweet.text).where(
                Tweet.user_id == run.user_id, Tweet.tweet_id.in_(wanted)
            )
        )
        tweets = {tweet_id: EvidenceTweet(tweet_id, kind, text) for tweet_id, kind, text in rows}
    return [
        InterestView(
            name=interest.name,
            description=interest.description,
            weight=interest.weight,
            evidence=[tweets[t] for t in interest.evidence_tweet_ids if t in tweets],
        )
        for interest in interests
    ]


def _plural(count: int, one: str, many: str) -> str:
    return f"{count} {one if count == 1 else many}"


def run_changes(session: Session, *, user: User, run_id: int) -> list[str]:
    """What one of the user's runs changed, in a few words each: its new clips (and how many an exclusion took out
    since), the instructions it applied, what it skipped as seen (empty for another user's run). One query: the
    feed asks on every visit."""
    of_run = (Recommendation.user_id == user.id, Recommendation.run_id == run_id)
    clips = select(func.count(Recommendation.id)).where(*of_run).scalar_subquery()
    withdrawn = (
        select(func.count(Recommendation.id)).where(*of_run, Recommendation.withdrawn_by.is_not(None)).scalar_subquery()
    )
    row = session.execute(
        select(PipelineRun.log, clips, withdrawn).where(PipelineRun.id == run_id, PipelineRun.user_id == user.id)
    ).one_or_none()
    if row is None:
        return []
    log: list[dict[str, object]] = row[0] or []
    changes = [_plural(row[1], "new clip", "new clips")]
    if row[2]:
        changes.append(f"{row[2]} since taken out by your instructions")
    for entry in log:
        message = str(entry.get("message", ""))
        if entry.get("kind") == "note" and message.startswith(INSTRUCTIONS_APPLIED):
            changes.append("applied: " + message.removeprefix(INSTRUCTIONS_APPLIED).rstrip(".").replace("; ", ", "))
    seen = sum(1 for e in log if e.get("kind") == "skipped" and e.get("message") == SEEN_REASON)
    if seen:
        changes.append(f"skipped {_plural(seen, 'video', 'videos')} you had seen")
    return changes
