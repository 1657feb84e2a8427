"""One pipeline run: the stages in order, idempotent and resumable, with progress recorded as it goes.

The same `execute_run` serves the CLI, the in-process executor and the worker task.
Each finished stage's output is saved (`RunStageResult`, unique per run and stage),
so a redelivered run continues after the last finished stage; the feed is saved in
the same transaction as the last stage and is unique per run in the database.

Transactions are short and never span engine calls or network fetches: the run is
read, the stage computes with no session open, and its progress, log lines, model
calls and result are written in small commits. Cancellation is checked at each
checkpoint. Database errors propagate (the caller retries or fails the run); any
other error fails the run with a readable reason.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import structlog
from pydantic import TypeAdapter
from sqlalchemy import delete
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from app.config import Settings, get_settings
from app.db import get_sessionmaker
from app.demo import DEMO_TRIGGER
from app.llm.base import LLM, CallRecord, CallRecorder
from app.llm.local import LocalEngine
from app.models import Interest as InterestRow
from app.models import PipelineRun
from app.pipeline import stages
from app.pipeline.engines import KeepsNotes, PlansInstructions, build_llm
from app.pipeline.exclusions import excluded_topics
from app.pipeline.shortfall import SHORTFALL_ITEM, shortfall
from app.pipeline.stages import INSTRUCTIONS_APPLIED, SEEN_REASON, Engines, StageError
from app.schemas import (
    STAGES,
    Candidate,
    Clip,
    Engagement,
    FeedItem,
    Interest,
    Preferences,
    SearchQuery,
    TranscriptData,
)
from app.services.preferences import preferences_build
from app.services.recommendations import recommendations_save
from app.services.runs import (
    LogEntry,
    RunEnd,
    StoredTweet,
    run_finish,
    run_heartbeat,
    run_mark_running,
    run_progress,
    run_record_calls,
    run_stage_begin,
    run_stage_done,
    run_stage_replace,
    run_stage_results,
    run_tweets,
)
from app.services.videos import transcript_cached, transcript_save, videos_upsert
from app.sources.base import TranscriptSource, TranscriptUnavailable, VideoSource
from app.sources.offline import OFFLINE_NOTE, OfflineFallback
from app.sources.providers import RunSources, run_sources

log = structlog.get_logger("openrec.runs")
PROGRESS_INTERVAL_S = 0.5  # most frequent progress commit within a stage
TRANSCRIPT_WORKERS = 4

EMPTY_NOTES = {
    "interests": (
        "No interests could be inferred from your {n} posts and likes{because}. Import more of your archive, "
        "or add an interest in your own words on the Interests page."
    ),
    "queries": "No search queries could be written for your interests.",
    "search": "The video source found no videos for your interests.",
    "screen": "Every video found was screened out (the skipped items say why).",
    "transcripts": "None of the videos kept has a usable transcript.",
    "clip": "No passage in the videos kept matches your interests well enough for a clip.",
    "rank": "No clip could be explained with your own posts.",
}
# Screening that kept nothing because the search found only what the feed showed before is no fault: it says so.
ALL_SEEN_NOTE = (
    "All {n} videos found were shown to you before, so there is nothing new for your interests this time. "
    "Your feed keeps the clips it has."
)
SOME_SEEN_NOTE = (
    "Every video found was screened out: {seen} of the {n} were shown to you before, and the skipped items say "
    "why for the rest."
)

_ADAPTERS: dict[str, TypeAdapter[Any]] = {
    "engagement": TypeAdapter(list[Engagement]),
    "interests": TypeAdapter(list[Interest]),
    "queries": TypeAdapter(list[SearchQuery]),
    "search": TypeAdapter(list[Candidate]),
    "screen": TypeAdapter(list[Candidate]),
    "transcripts": TypeAdapter(list[TranscriptData]),
    "clip": TypeAdapter(list[Clip]),
    "rank": TypeAdapter(list[FeedItem]),
}


class RunCancelled(Exception):
    """The user cancelled the run; raised at a checkpoint."""


@dataclass
class StageOutputs:
    """Each stage's output, by stage name (the field names are the stage names)."""

    engagement: list[Engagement] = field(default_factory=list)
    interests: list[Interest] = field(default_factory=list)
    queries: list[SearchQuery] = field(default_factory=list)
    search: list[Candidate] = field(default_factory=list)
    screen: list[Candidate] = field(default_factory=list)
    transcripts: list[TranscriptData] = field(default_factory=list)
    clip: list[Clip] = field(default_factory=list)
    rank: list[FeedItem] = field(default_factory=list)

    def get(self, stage: str) -> list[Any]:
        value: list[Any] = getattr(self, stage)
        return value

    def set(self, stage: str, value: list[Any]) -> None:
        setattr(self, stage, value)

    def load(self, stage: str, payload: Any) -> None:
        setattr(self, stage, _ADAPTERS[stage].validate_python(payload))

    def dump(self, stage: str) -> Any:
        return _ADAPTERS[stage].dump_python(self.get(stage), mode="json")


class CallBuffer:
    """The run's CallRecorder: engines may call it from several threads; the runner drains it into the database."""

    def __init__(self) -> None:
        self._records: list[CallRecord] = []
        self._lock = threading.Lock()

    def __call__(self, record: CallRecord) -> None:
        with self._lock:
            self._records.append(record)

    def drain(self) -> list[CallRecord]:
        with self._lock:
            records, self._records = self._records, []
        return records


def execute_run(
    run_id: int,
    *,
    llm: LLM | Callable[[CallRecorder], LLM] | None = None,
    fallback: LLM | None = None,
    video_source: VideoSource | None = None,
    transcript_source: TranscriptSource | None = None,
    settings: Settings | None = None,
    sessions: sessionmaker[Session] | None = None,
) -> None:
    """Run (or resume) one pipeline run to its end: succeeded, failed with a reason, or cancelled.

    Without `llm` the engine comes from the settings (`build_llm`), with the local
    engine as fallback behind a model; a given `llm` (an engine, or a function that
    builds one around the run's call recorder) gets only the given `fallback`.
    Without sources, they come from the settings (`run_sources`; the run `openrec demo`
    starts reads the bundled sample catalog unless a catalog or API source is configured).
    """
    settings = settings or get_settings()
    sessions = sessions or get_sessionmaker()
    with sessions.begin() as session:
        run = run_mark_running(session, run_id=run_id)
        if run is None:
            return
        if run.cancel_requested:
            run_finish(session, run=run, status="cancelled")
            return
        if run.attempts > settings.openrec_run_max_attempts:
            reason = f"The run was started {run.attempts - 1} times without finishing; it was given up."
            run_finish(session, run=run, status="failed", error=reason)
            return
        sample_only = run.trigger == DEMO_TRIGGER
        prefs = preferences_build(session, user_id=run.user_id, run_id=run_id)
        tweets = run_tweets(session, user_id=run.user_id)
        saved = run_stage_results(session, run_id=run_id)
    execution = _Execution(run_id, settings, sessions, prefs, tweets)
    try:
        execution.engines = _engines(settings, sessions, execution.calls, llm, fallback)
        execution.sources = run_sources(settings, video_source, transcript_source, sample_only=sample_only)
    except Exception as exc:
        execution.finish("failed", error=f"The run could not start: {exc}")
        return
    with _Heartbeat(run_id, sessions, interval_s=settings.openrec_run_heartbeat_s / 3):
        execution.run(saved)


def fail_run(run_id: int, reason: str, *, sessions: sessionmaker[Session] | None = None) -> None:
    """Mark a run that is still active as failed (its execution died with an error outside the stages)."""
    with (sessions or get_sessionmaker()).begin() as session:
        run = session.get(PipelineRun, run_id)
        if run is not None and run.status in ("queued", "running"):
            run_finish(session, run=run, status="failed", error=reason)


def _engines(
    settings: Settings,
    sessions: sessionmaker[Session],
    calls: CallBuffer,
    llm: LLM | Callable[[CallRecorder], LLM] | None,
    fallback: LLM | None,
) -> Engines:
    if callable(llm):
        llm = llm(calls)
    if llm is None:
        llm = build_llm(settings, recorder=calls, sessions=sessions)
        fallback = None if llm.name == "local" else LocalEngine()
    workers = 1 if llm.name == "local" else settings.openrec_llm_concurrency
    return Engines(primary=llm, fallback=fallback, workers=workers)


class _Execution:
    """The state of one execution of a run: its inputs, the outputs so far and how it reports."""

    engines: Engines
    sources: RunSources

    def __init__(
        self,
        run_id: int,
        settings: Settings,
        sessions: sessionmaker[Session],
        prefs: Preferences,
        tweets: list[StoredTweet],
    ) -> None:
        self.run_id = run_id
        self.settings = settings
        self.sessions = sessions
        self.prefs = prefs
        self.tweets = tweets
        self.user_tweet_ids = frozenset(t.tweet_id for t in tweets)
        self.topics = excluded_topics(prefs)
        self.outputs = StageOutputs()
        self.calls = CallBuffer()
        self._noted: set[str] = set()
        self._renamed_interests = False

    def run(self, saved: dict[str, Any]) -> None:
        stage = ""
        try:
            for stage in STAGES:
                if stage in saved:
                    self.outputs.load(stage, saved[stage])
                else:
                    self._stage(stage)
                if stage == "engagement" and not self.outputs.engagement:
                    raise StageError(
                        "There is nothing to learn from yet: import your X archive or paste some posts first."
                    )
        except RunCancelled:
            self.finish("cancelled", notes=self._engine_notes(stage))
        except SQLAlchemyError:
            raise
        except StageError as exc:
            self.finish("failed", error=str(exc), notes=self._engine_notes(stage))
        except Exception as exc:
            error = f"The {stage} stage failed: {type(exc).__name__}: {exc}"
            self.finish("failed", error=error, notes=self._engine_notes(stage))
        else:
            self.finish("succeeded", notes=self._closing_notes())

    def _stage(self, stage: str) -> None:
        with self.sessions.begin() as session:
            run = self._run(session)
            if run.cancel_requested:
                raise RunCancelled
            run_stage_begin(session, run=run, stage=stage)
            run.engine = self.engines.primary.name[:20]
        progress = _StageProgress(self, stage)
        started = time.perf_counter()
        self.outputs.set(stage, self._compute(stage, progress))
        for entry in self._engine_notes(stage):
            progress.note(entry["message"])
        consumed = len(self.tweets) if stage == STAGES[0] else len(self.outputs.get(STAGES[STAGES.index(stage) - 1]))
        produced = len(self.outputs.get(stage))
        if consumed and not produced and stage in EMPTY_NOTES:
            progress.note(self._empty_note(stage, consumed, progress.reasons[SEEN_REASON]))
        counts = {"in": consumed, "out": produced, "skipped": progress.skipped}
        self._save(stage, time.perf_counter() - started, counts, progress)

    def _empty_note(self, stage: str, consumed: int, seen: int) -> str:
        """Why a stage that was given items kept none, in the user's terms."""
        if stage == "screen" and seen:
            return (ALL_SEEN_NOTE if seen == consumed else SOME_SEEN_NOTE).format(n=consumed, seen=seen)
        because = " with your custom instructions" if self.prefs.instructions else ""
        return EMPTY_NOTES[stage].format(n=consumed, because=because)

    def _compute(self, stage: str, progress: _StageProgress) -> list[Any]:
        out, engines, prefs = self.outputs, self.engines, self.prefs
        match stage:
            case "engagement":
                return stages.engagement(self.tweets)
            case "interests":
                for message in self._instruction_notes():
                    progress.note(message)
                return stages.interests(
                    engines, out.engagement, prefs, progress, user_tweet_ids=self.user_tweet_ids, topics=self.topics
                )
            case "queries":
                depth = self._depth(progress)
                return stages.queries(engines, out.interests, prefs, progress, depth=depth)
            case "search":
                if self.sources.note:
                    progress.note(self.sources.note)
                per_query = stages.search_depth(prefs.feed_size, len(out.interests)).results_per_query
                found = stages.search(
                    self.sources.videos, out.queries, progress, per_query=per_query, seen=prefs.seen_video_ids
                )
                if isinstance(self.sources.videos, OfflineFallback) and self.sources.videos.offline:
                    progress.note(OFFLINE_NOTE)
                return found
            case "screen":
                max_kept = prefs.feed_size * stages.CLIP_CANDIDATES_PER_FEED_ITEM
                kept = stages.screen(
                    engines, out.search, out.interests, prefs, progress, max_kept=max_kept, topics=self.topics
                )
                named, kept = stages.name_interests(
                    engines, out.interests, kept, out.search, prefs, progress, topics=self.topics
                )
                named, kept = stages.set_aside_voted_down(named, kept, prefs, progress)
                self._renamed_interests = named != out.interests
                out.interests = named
                return kept
            case "transcripts":
                cache = _TranscriptCache(self.sessions)
                return stages.transcripts(
                    out.screen, self.sources.transcripts, cache, progress, workers=TRANSCRIPT_WORKERS
                )
            case "clip":
                return stages.clips(
                    engines,
                    out.screen,
                    out.transcripts,
                    out.interests,
                    out.engagement,
                    prefs,
                    progress,
                    topics=self.topics,
                )
            case "rank":
                return stages.rank(
                    engines,
                    out.clip,
                    out.screen,
                    out.interests,
                    out.engagement,
                    prefs,
                    progress,
                    user_tweet_ids=self.user_tweet_ids,
                    feed_size=prefs.feed_size,
                )
        raise ValueError(f"unknown stage {stage}")

    def _save(self, stage: str, seconds: float, counts: dict[str, int], progress: _StageProgress) -> None:
        """Write the stage's result with its side tables in one transaction; a concurrent twin's result wins."""
        try:
            with self.sessions.begin() as session:
                run = self._run(session)
                progress.flush_into(session, run)
                run_stage_done(
                    session, run=run, stage=stage, payload=self.outputs.dump(stage), seconds=seconds, counts=counts
                )
                if stage == "interests":
                    _save_interests(session, run, self.outputs.interests)
                elif stage == "screen":
                    if self._renamed_interests:  # screening named the interests after their videos
                        run_stage_replace(session, run=run, stage="interests", payload=self.outputs.dump("interests"))
                        _save_interests(session, run, self.outputs.interests)
                    videos_upsert(session, candidates=self.outputs.screen)
                elif stage == "rank":
                    recommendations_save(session, run=run, items=self.outputs.rank)
        except IntegrityError:
            with self.sessions() as session:
                saved = run_stage_results(session, run_id=self.run_id)
            if stage not in saved:
                raise
            self.outputs.load(stage, saved[stage])

    def _depth(self, progress: _StageProgress) -> stages.SearchDepth:
        """How deep to search for this feed size and these interests; the log says when it goes deeper."""
        count = len(self.outputs.interests)
        depth = stages.search_depth(self.prefs.feed_size, count)
        if depth.deeper and count:  # with no interest there is nothing to search for, deeper or not
            progress.note(
                f"With {count} interest{'s' if count != 1 else ''} for a feed of {self.prefs.feed_size} clips, "
                f"the search goes deeper: up to {depth.queries_per_interest} queries per interest "
                f"and {depth.results_per_query} results per query."
            )
        return depth

    def _instruction_notes(self) -> list[str]:
        if not self.prefs.instructions:
            return []
        engine = self.engines.primary
        if not isinstance(engine, PlansInstructions):
            return [f"Your custom instructions were given to the {engine.name} engine at every stage."]
        plan = engine.plan(self.prefs)
        notes = [f"{INSTRUCTIONS_APPLIED}{'; '.join(plan.applied)}."] if plan.applied else []
        if plan.unsupported:
            notes.append(f"Instructions the {engine.name} engine could not apply: {'; '.join(plan.unsupported)}.")
        return notes

    def _engine_notes(self, stage: str) -> list[LogEntry]:
        """What the engine noted (a model error, the budget reached) since the last stage, logged at this one."""
        said = self.engines.primary.notes if isinstance(self.engines.primary, KeepsNotes) else []
        fresh = [message for message in dict.fromkeys(said) if message not in self._noted]
        self._noted.update(fresh)
        return [_note(stage, message) for message in fresh]

    def _closing_notes(self) -> list[LogEntry]:
        notes = self._engine_notes("rank")
        size, wanted = len(self.outputs.rank), self.prefs.feed_size
        if 0 < size < wanted:
            outs = {stage: len(self.outputs.get(stage)) for stage in ("search", "screen", "transcripts", "clip")}
            with self.sessions.begin() as session:
                log = list(self._run(session).log or [])
            message = shortfall(size, wanted, outs, log)
            notes.append({"kind": "note", "stage": "rank", "item": SHORTFALL_ITEM, "message": message})
        return notes

    def _run(self, session: Session) -> PipelineRun:
        run = session.get(PipelineRun, self.run_id)
        if run is None:
            raise RunCancelled  # deleted with its user meanwhile
        return run

    def finish(self, status: RunEnd, *, error: str | None = None, notes: Sequence[LogEntry] = ()) -> None:
        with self.sessions.begin() as session:
            run = session.get(PipelineRun, self.run_id)
            if run is None:
                return
            run_record_calls(session, run=run, records=self.calls.drain())
            run_finish(session, run=run, status=status, error=error, notes=notes)


class _StageProgress:
    """A stage's `Progress`: log lines and model calls are written with progress, at most every half second."""

    def __init__(self, execution: _Execution, stage: str) -> None:
        self._execution = execution
        self._stage = stage
        self._pending: list[LogEntry] = []
        self._last_commit = time.monotonic()
        self.skipped = 0
        self.reasons: Counter[str] = Counter()

    def skip(self, item: str, reason: str) -> None:
        self.skipped += 1
        self.reasons[reason] += 1
        self._pending.append({"kind": "skipped", "stage": self._stage, "item": item, "message": reason})

    def note(self, message: str) -> None:
        self._pending.append(_note(self._stage, message))

    def step(self, done: int, total: int) -> None:
        if done < total and time.monotonic() - self._last_commit < PROGRESS_INTERVAL_S:
            return
        with self._execution.sessions.begin() as session:
            run = self._execution._run(session)
            run_progress(session, run=run, done=done, total=total)
            self.flush_into(session, run)
            cancelled = run.cancel_requested
        self._last_commit = time.monotonic()
        if cancelled:
            raise RunCancelled

    def flush_into(self, session: Session, run: PipelineRun) -> None:
        """Write pending log lines and model calls in the caller's transaction."""
        if self._pending:
            run_progress(session, run=run, done=run.progress_done, total=run.progress_total, log=self._pending)
            self._pending = []
        run_record_calls(session, run=run, records=self._execution.calls.drain())


class _Heartbeat:
    """Keeps the heartbeat fresh while one engine call or fetch takes long, so the run is not taken for dead."""

    def __init__(self, run_id: int, sessions: sessionmaker[Session], *, interval_s: float) -> None:
        self._run_id = run_id
        self._sessions = sessions
        self._interval_s = interval_s
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._beat, name=f"run-{run_id}-heartbeat", daemon=True)

    def __enter__(self) -> None:
        self._thread.start()

    def __exit__(self, *_exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def _beat(self) -> None:
        while not self._stop.wait(self._interval_s):
            try:
                with self._sessions.begin() as session:
                    run_heartbeat(session, run_id=self._run_id)
            except SQLAlchemyError:
                log.warning("run_heartbeat_failed", run_id=self._run_id)


class _TranscriptCache:
    """The shared transcript cache, each lookup and store in a short transaction of its own."""

    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self._sessions = sessions

    def lookup(self, video_id: str) -> TranscriptData | TranscriptUnavailable | None:
        with self._sessions() as session:
            return transcript_cached(session, video_id=video_id)

    def store(self, video_id: str, outcome: TranscriptData | TranscriptUnavailable) -> None:
        with self._sessions.begin() as session:
            transcript_save(session, video_id=video_id, outcome=outcome)


def _save_interests(session: Session, run: PipelineRun, found: Sequence[Interest]) -> None:
    session.execute(delete(InterestRow).where(InterestRow.run_id == run.id))
    for position, interest in enumerate(found):
        session.add(
            InterestRow(
                user_id=run.user_id,
                run_id=run.id,
                name=interest.name[:120],
                description=interest.description,
                weight=interest.weight,
                evidence_tweet_ids=list(interest.evidence_tweet_ids),
                keywords=list(interest.keywords),
                position=position,
            )
        )


def _note(stage: str, message: str) -> LogEntry:
    return {"kind": "note", "stage": stage, "item": "", "message": message}
