"""The runner against the database: stage order, resume, one active run, cancel, failures, usage, bad input."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from app.config import Settings
from app.llm.base import CallRecorder
from app.llm.local import InstructionPlan, LocalEngine
from app.models import (
    Feedback,
    HiddenChannel,
    LLMCall,
    PipelineRun,
    Recommendation,
    RunStageResult,
    Transcript,
    User,
    Video,
)
from app.models import (
    Interest as InterestRow,
)
from app.pipeline.engines import build_llm
from app.pipeline.executor import RunExecutor
from app.pipeline.runner import execute_run
from app.schemas import STAGES, Interest, Preferences, Segment, TranscriptData
from app.services.interest_controls import interests_overview
from app.services.preferences import instructions_set
from app.services.recommendations import feed_items, recommendations_save
from app.services.runs import run_cancel, run_create, run_summary
from app.sources.base import BLOCKED_NOTE, TranscriptBlocked, TranscriptUnavailable
from tests.fakes import (
    COST_USD,
    TOKENS_IN,
    FakeTranscriptSource,
    FakeVideo,
    FakeVideoSource,
    ScriptedLLM,
    add_tweets,
    fake_video,
    passage_clip,
)


class WorkerKilled(BaseException):
    """Stands for the worker process dying: nothing in the runner may catch it."""


@pytest.fixture
def sessions(session: Session) -> sessionmaker[Session]:
    """Sessions for the runner on the test's connection, so its commits are rolled back with the test."""
    return sessionmaker(bind=session.connection(), join_transaction_mode="create_savepoint", expire_on_commit=False)


def world() -> list[FakeVideo]:
    """Four beekeeping videos and four bonsai videos (scores: higher view_count = better clip)."""
    return [fake_video(f"bees{i}", "beekeeping", score=10 - i) for i in range(4)] + [
        fake_video(f"bonsai{i}", "bonsai", channel="Field Notes", score=5 - i) for i in range(4)
    ]


def two_interests(tweet_ids: list[str]) -> list[Interest]:
    return [
        Interest(name="beekeeping", description="Hive inspections", weight=1.0, evidence_tweet_ids=tweet_ids[:2]),
        Interest(name="bonsai", description="Pruning", weight=0.5, evidence_tweet_ids=tweet_ids[2:4]),
    ]


class Pipeline:
    """One user with tweets, fake sources and a scripted engine; `run()` starts and executes a run."""

    def __init__(self, session: Session, sessions: sessionmaker[Session], user: User, *, seeded: bool = True) -> None:
        self.session, self.sessions, self.user = session, sessions, user
        texts = ["beekeeping hive study", "varroa treatments", "junipers pruned", "nebari"] if seeded else []
        self.tweet_ids = add_tweets(session, user, texts)
        self.videos = world() if seeded else []
        self.video_source = FakeVideoSource(self.videos)
        self.transcript_source = FakeTranscriptSource(self.videos)
        self.llm = ScriptedLLM(interests=two_interests(self.tweet_ids))
        self.fallback: ScriptedLLM | None = None

    def start(self) -> int:
        run, created = run_create(self.session, user=self.user, trigger="cli")
        assert created
        self.session.flush()
        return run.id

    def execute(self, run_id: int, llm: Any = None) -> PipelineRun:
        execute_run(
            run_id,
            llm=llm or self.llm,
            fallback=self.fallback,
            video_source=self.video_source,
            transcript_source=self.transcript_source,
            sessions=self.sessions,
        )
        return self.reload(run_id)

    def run(self) -> PipelineRun:
        return self.execute(self.start())

    def reload(self, run_id: int) -> PipelineRun:
        self.session.expire_all()
        run = self.session.get(PipelineRun, run_id)
        assert run is not None
        return run

    def recommendations(self, run_id: int) -> list[Recommendation]:
        return list(
            self.session.scalars(
                select(Recommendation).where(Recommendation.run_id == run_id).order_by(Recommendation.position)
            )
        )


@pytest.fixture
def pipeline(session: Session, sessions: sessionmaker[Session], user: User) -> Pipeline:
    return Pipeline(session, sessions, user)


def skipped(run: PipelineRun, stage: str | None = None) -> dict[str, str]:
    return {e["item"]: e["message"] for e in run.log if e["kind"] == "skipped" and stage in (None, e["stage"])}


def notes(run: PipelineRun) -> list[str]:
    return [e["message"] for e in run.log if e["kind"] == "note"]


# -- a whole run ---------------------------------------------------------------------


def test_a_run_executes_every_stage_in_order_and_stores_the_feed(pipeline: Pipeline) -> None:
    order: list[str] = []
    pipeline.llm.hook = lambda stage: order.append(stage) if stage not in order else None
    run = pipeline.run()

    assert run.status == "succeeded", run.error
    assert run.attempts == 1 and run.finished_at is not None and run.heartbeat_at is not None
    assert order == ["interests", "queries", "screen", "clip", "explain"]
    assert list(run_summary(pipeline.session, run=run)["timings"]) == list(STAGES)
    assert run.counts["search"] == {"in": 2, "out": 8, "skipped": 0}
    # two interests in a feed of 20: the per-interest cap (ten) lets every clip in, best first
    assert run.counts["rank"]["out"] == 8
    recs = pipeline.recommendations(run.id)
    assert [r.score for r in recs] == sorted((r.score for r in recs), reverse=True)
    assert {r.video_id for r in recs} == {f"{name}{i}" for name in ("bees", "bonsai") for i in range(4)}
    assert all(r.start_s == 100.0 and r.end_s == 140.0 and r.tweet_ids for r in recs)
    assert all(set(r.tweet_ids) <= set(pipeline.tweet_ids) for r in recs)
    stored = pipeline.session.scalar(
        select(func.count()).select_from(RunStageResult).where(RunStageResult.run_id == run.id)
    )
    assert stored == len(STAGES)
    interests = pipeline.session.scalars(
        select(InterestRow).where(InterestRow.run_id == run.id).order_by(InterestRow.position)
    ).all()
    assert [i.name for i in interests] == ["beekeeping", "bonsai"]
    assert pipeline.session.get(Video, "bonsai0") is not None
    assert (
        pipeline.session.scalar(select(func.count()).select_from(Transcript).where(Transcript.video_id == "bees0")) == 1
    )
    feed = feed_items(pipeline.session, user=pipeline.user)
    assert [(i.video_id, i.title, i.channel) for i in feed][:1] == [
        ("bees0", "A lecture on beekeeping", "Lecture Hall")
    ]


def test_a_killed_run_resumes_after_its_last_finished_stage_without_redoing_work(pipeline: Pipeline) -> None:
    def die_at_screen(stage: str) -> None:
        if stage == "screen" and pipeline.llm.calls["screen"] == 1:
            raise WorkerKilled

    pipeline.llm.hook = die_at_screen
    run_id = pipeline.start()
    with pytest.raises(WorkerKilled):
        pipeline.execute(run_id)
    run = pipeline.reload(run_id)
    assert run.status == "running"
    assert set(run.timings) == {"engagement", "interests", "queries", "search"}
    searches = len(pipeline.video_source.queries)

    run = pipeline.execute(run_id)
    assert run.status == "succeeded", run.error
    assert run.attempts == 2
    assert pipeline.llm.calls["interests"] == 1 and pipeline.llm.calls["queries"] == 1
    assert len(pipeline.video_source.queries) == searches
    assert pipeline.llm.calls["screen"] == 2
    assert len(pipeline.recommendations(run_id)) == 8


def test_redelivering_a_run_never_stores_its_feed_twice(pipeline: Pipeline) -> None:
    run = pipeline.run()
    calls = sum(pipeline.llm.calls.values())
    pipeline.execute(run.id)  # a late redelivery of a finished run does nothing
    run.status = "running"  # a worker that died after saving the feed but before marking the run done
    pipeline.session.flush()
    run = pipeline.execute(run.id)
    assert run.status == "succeeded"
    assert sum(pipeline.llm.calls.values()) == calls
    assert len(pipeline.recommendations(run.id)) == 8
    assert recommendations_save(pipeline.session, run=run, items=feed_items(pipeline.session, user=pipeline.user)) == 0


def test_the_database_refuses_a_second_copy_of_a_recommendation(pipeline: Pipeline) -> None:
    run = pipeline.run()
    first = pipeline.recommendations(run.id)[0]
    with pytest.raises(IntegrityError), pipeline.session.begin_nested():
        pipeline.session.add(
            Recommendation(
                user_id=run.user_id,
                run_id=run.id,
                video_id=first.video_id,
                start_s=0,
                end_s=40,
                quote="q",
                explanation="e",
                score=1,
                position=99,
            )
        )


# -- one active run, cancel ----------------------------------------------------------


def test_one_active_run_per_user(session: Session, make_user: Callable[..., User]) -> None:
    user, other = make_user(), make_user()
    first, created = run_create(session, user=user)
    again, created_again = run_create(session, user=user)
    assert created and not created_again and again.id == first.id
    assert run_create(session, user=other)[1]
    with pytest.raises(IntegrityError), session.begin_nested():
        session.add(PipelineRun(user_id=user.id, status="running"))
    first.status = "succeeded"
    session.flush()
    assert run_create(session, user=user)[0].id != first.id


def test_cancelling_a_queued_run_ends_it_before_any_work(pipeline: Pipeline) -> None:
    run_id = pipeline.start()
    cancelled = run_cancel(pipeline.session, user=pipeline.user, run_id=run_id)
    assert cancelled is not None and cancelled.status == "cancelled"
    run = pipeline.execute(run_id)
    assert run.status == "cancelled"
    assert sum(pipeline.llm.calls.values()) == 0


def test_cancelling_a_running_run_stops_it_at_the_next_checkpoint(pipeline: Pipeline) -> None:
    run_id = pipeline.start()

    def cancel_during_clips(stage: str) -> None:
        if stage == "clip" and pipeline.llm.calls["clip"] == 1:
            with pipeline.sessions.begin() as other:
                run = other.get(PipelineRun, run_id)
                assert run is not None
                run_cancel(other, user=other.get(User, run.user_id), run_id=run_id)  # type: ignore[arg-type]

    pipeline.llm.hook = cancel_during_clips
    run = pipeline.execute(run_id)
    assert run.status == "cancelled"
    assert "clip" not in run.timings  # stopped inside the stage, not only before the next one
    assert pipeline.llm.calls["explain"] == 0
    assert pipeline.recommendations(run_id) == []
    assert run_cancel(pipeline.session, user=pipeline.user, run_id=run_id) is not None
    assert pipeline.reload(run_id).status == "cancelled"


# -- failures ------------------------------------------------------------------------


def test_a_failing_stage_fails_the_run_with_a_readable_reason(pipeline: Pipeline) -> None:
    pipeline.llm.queries = RuntimeError("the model is down")
    run = pipeline.run()
    assert run.status == "failed"
    assert run.error is not None and "queries" in run.error and "the model is down" in run.error
    assert "search" not in run.timings
    assert feed_items(pipeline.session, user=pipeline.user) == []


def test_a_video_source_that_is_not_set_up_fails_the_run_with_what_to_set(pipeline: Pipeline) -> None:
    run_id = pipeline.start()
    execute_run(run_id, llm=pipeline.llm, settings=Settings(openrec_video_source="api"), sessions=pipeline.sessions)
    run = pipeline.reload(run_id)
    assert run.status == "failed"
    assert run.error is not None and "YOUTUBE_API_KEY" in run.error


def test_a_run_delivered_too_often_is_given_up(pipeline: Pipeline) -> None:
    run_id = pipeline.start()
    pipeline.reload(run_id).attempts = Settings().openrec_run_max_attempts
    pipeline.session.flush()
    run = pipeline.execute(run_id)
    assert run.status == "failed" and run.error is not None and "given up" in run.error
    assert sum(pipeline.llm.calls.values()) == 0


def test_failed_items_are_skipped_and_logged_and_the_run_goes_on(pipeline: Pipeline) -> None:
    pipeline.videos[0].transcript = TranscriptUnavailable("bees0", "subtitles are disabled for this video")
    pipeline.llm.clips["bees1"] = RuntimeError("timeout")
    pipeline.llm.explanations["bonsai0"] = {"text": "Because.", "tweet_ids": ["999"]}
    run = pipeline.run()
    assert run.status == "succeeded", run.error
    assert "subtitles are disabled" in skipped(run, "transcripts")["bees0"]
    assert "timeout" in skipped(run, "clip")["bees1"]
    assert "not the user's" in skipped(run, "rank")["bonsai0"]
    assert [r.video_id for r in pipeline.recommendations(run.id)] == ["bees2", "bees3", "bonsai1", "bonsai2", "bonsai3"]
    assert run.counts["transcripts"]["skipped"] == 1
    cached = pipeline.session.scalar(select(Transcript).where(Transcript.video_id == "bees0"))
    assert cached is not None and cached.error is not None and "disabled" in cached.error


def test_a_blocked_server_is_said_once_and_the_run_finishes_with_what_it_has(pipeline: Pipeline) -> None:
    for video in pipeline.videos[1:]:
        video.transcript = TranscriptBlocked(video.candidate.video_id, "YouTube refused the request from this IP")
    run = pipeline.run()
    assert run.status == "succeeded", run.error
    assert notes(run).count(BLOCKED_NOTE) == 1
    assert len(skipped(run, "transcripts")) == len(pipeline.videos) - 1
    assert [r.video_id for r in pipeline.recommendations(run.id)] == [pipeline.videos[0].candidate.video_id]
    remembered = pipeline.session.scalars(select(Transcript.video_id).where(Transcript.error.is_not(None))).all()
    assert remembered == []


def scripted_clip(**update: Any) -> Callable[..., Any]:
    """A clip answer: the right passage with `update` applied (to make it invalid)."""

    def answer(cand: Any, interest: Any, text: Any) -> Any:
        clip = passage_clip(cand, interest, text)
        assert clip is not None
        return clip.model_copy(update=update)

    return answer


BAD_CLIPS = {
    "bees0": scripted_clip(end_s=400.0),  # past the end of the 300 s video
    "bees1": scripted_clip(quote="never said"),
    "bonsai0": scripted_clip(start_s=-5.0),
}
INVENTED_CITATIONS = {"bees2": {"text": "Because.", "tweet_ids": ["123", "456"]}}


def test_bad_engine_output_is_repaired_by_the_fallback_engine(pipeline: Pipeline) -> None:
    pipeline.llm.clips, pipeline.llm.explanations = dict(BAD_CLIPS), dict(INVENTED_CITATIONS)
    pipeline.fallback = ScriptedLLM(name="local")
    run = pipeline.run()
    recs = pipeline.recommendations(run.id)
    # Repaired clips compete for the feed: the fallback's scores are on its own scale, ranked within it.
    ids = [r.video_id for r in recs]
    assert len(ids) == 8 and {"bees0", "bonsai0"} <= set(ids)
    assert sum(i.startswith("bees") for i in ids) == sum(i.startswith("bonsai") for i in ids) == 4
    assert pipeline.fallback.calls["clip"] == 3 and pipeline.fallback.calls["explain"] == 1
    assert all(r.start_s == 100.0 and r.end_s == 140.0 and set(r.tweet_ids) <= set(pipeline.tweet_ids) for r in recs)


def test_bad_engine_output_without_a_fallback_is_dropped_never_stored(pipeline: Pipeline) -> None:
    pipeline.llm.clips, pipeline.llm.explanations = dict(BAD_CLIPS), dict(INVENTED_CITATIONS)
    run = pipeline.run()
    assert [r.video_id for r in pipeline.recommendations(run.id)] == ["bees3", "bonsai1", "bonsai2", "bonsai3"]
    assert set(skipped(run, "clip")) == {"bees0", "bees1", "bonsai0"}
    assert "not the user's" in skipped(run, "rank")["bees2"]


# -- usage, preferences, instructions ------------------------------------------------


def test_every_model_call_is_recorded_and_summed_into_the_run(pipeline: Pipeline) -> None:
    scripted = pipeline.llm

    def with_recorder(recorder: CallRecorder) -> ScriptedLLM:
        scripted.recorder = recorder
        return scripted

    run = pipeline.execute(pipeline.start(), llm=with_recorder)
    calls = sum(scripted.calls.values())
    stored = pipeline.session.scalars(select(LLMCall).where(LLMCall.run_id == run.id)).all()
    assert len(stored) == calls
    assert run.tokens_in == TOKENS_IN * calls
    assert run.cost_usd == pytest.approx(COST_USD * calls)
    summary = run_summary(pipeline.session, run=run)
    assert summary["llm_calls"]["explain"]["calls"] == scripted.calls["explain"]
    assert summary["engine"] == "scripted"


def test_feedback_hidden_channels_and_seen_videos_shape_the_next_run(pipeline: Pipeline) -> None:
    first = pipeline.run()
    recs = pipeline.recommendations(first.id)
    pipeline.session.add(Feedback(user_id=pipeline.user.id, recommendation_id=recs[0].id, vote=-1, reason="too_basic"))
    pipeline.session.add(HiddenChannel(user_id=pipeline.user.id, channel="Field Notes"))
    pipeline.session.flush()
    seen_prefs: list[Preferences] = []
    pipeline.llm.interests = lambda engagement, prefs: seen_prefs.append(prefs) or two_interests(pipeline.tweet_ids)

    second = pipeline.run()
    assert second.status == "succeeded"
    assert pipeline.recommendations(second.id) == []  # the first run showed every video
    assert seen_prefs[0].feedback[0].video_id == "bees0" and seen_prefs[0].feedback[0].reason == "too_basic"
    assert "already shown" in skipped(second, "screen")["bees0"]
    assert "hidden" in skipped(second, "screen")["bonsai3"]
    shown = sum(1 for reason in skipped(second, "screen").values() if "already shown" in reason)
    found = len(skipped(second, "screen"))
    assert 0 < shown < found
    assert (
        f"Every video found was screened out: {shown} of the {found} were shown to you before, and the skipped "
        "items say why for the rest." in notes(second)
    )


def test_a_run_that_finds_only_what_the_feed_showed_says_there_is_nothing_new(pipeline: Pipeline) -> None:
    first = pipeline.run()
    shown = len(pipeline.recommendations(first.id))

    second = pipeline.run()
    assert second.status == "succeeded" and pipeline.recommendations(second.id) == []
    said = notes(second)
    assert (
        f"All {shown} videos found were shown to you before, so there is nothing new for your interests this "
        "time. Your feed keeps the clips it has." in said
    )
    assert not any(line.startswith("Every video found was screened out") for line in said)


def test_an_interest_voted_down_again_and_again_is_set_aside_by_the_next_run(pipeline: Pipeline) -> None:
    first = pipeline.run()
    bees = [r for r in pipeline.recommendations(first.id) if r.video_id.startswith("bees")]
    for rec, reason in zip(bees, [None, "off_topic", None, "too_basic"], strict=False):
        pipeline.session.add(Feedback(user_id=pipeline.user.id, recommendation_id=rec.id, vote=-1, reason=reason))
    pipeline.session.flush()

    second = pipeline.run()
    assert second.status == "succeeded"
    said = notes(second)
    assert (
        "Set “beekeeping” aside: you voted down 3 of its clips. Pin it on the Interests page to see it again." in said
    )
    assert not any("“bonsai” aside" in line for line in said)
    # the interests page still lists it, saying why the run showed none of it
    listed = {s.name: s.description for s in interests_overview(pipeline.session, user=pipeline.user)}
    assert listed["beekeeping"].startswith("Set aside: you voted down 3 of its clips. Pin it to see it again.")
    assert not listed["bonsai"].startswith("Set aside")


class PlanningLLM(ScriptedLLM):
    def plan(self, prefs: Preferences) -> InstructionPlan:
        return InstructionPlan(applied=['excluding videos about "beekeeping"'], unsupported=["make it purple"])


def test_the_run_log_says_which_instructions_were_applied_and_which_not(pipeline: Pipeline) -> None:
    instructions_set(pipeline.session, user=pipeline.user, text="No beekeeping. Make it purple.")
    planning = PlanningLLM(interests=two_interests(pipeline.tweet_ids))
    run = pipeline.execute(pipeline.start(), llm=planning)
    said = notes(run)
    assert 'Instructions applied: excluding videos about "beekeeping".' in said
    assert "Instructions the scripted engine could not apply: make it purple." in said

    run = pipeline.run()  # an engine that takes instructions as they are
    assert "Your custom instructions were given to the scripted engine at every stage." in notes(run)


# -- bad input -----------------------------------------------------------------------


def test_a_user_with_nothing_imported_gets_a_failed_run_that_says_what_to_do(bare: Pipeline) -> None:
    run = bare.run()
    assert run.status == "failed"
    assert run.error is not None and "import your X archive" in run.error
    assert sum(bare.llm.calls.values()) == 0


def local_run(pipeline: Pipeline, texts: list[str] | None = None, videos: list[FakeVideo] | None = None) -> PipelineRun:
    """A run with the real local engine (as with no key) over fake sources."""
    if texts is not None:
        add_tweets(pipeline.session, pipeline.user, texts)
    if videos is not None:
        pipeline.video_source.videos[:] = videos
        pipeline.transcript_source.videos[:] = videos
    return pipeline.execute(pipeline.start(), llm=LocalEngine())


@pytest.fixture
def bare(session: Session, sessions: sessionmaker[Session], user: User) -> Pipeline:
    """A pipeline whose user has no tweets yet and whose source has no videos."""
    return Pipeline(session, sessions, user, seeded=False)


BEEKEEPING_POSTS = [
    "Studying varroa mites tonight, the alcohol wash finally clicked",
    "Oxalic dribble for varroa mites is such an elegant winter treatment",
    "Brood breaks and drone trapping against hive mites",
    "Varroa mite technique: break the brood cycle with a caged queen",
    "Another evening of mite counts, varroa on the sticky board again",
]


def test_a_user_with_three_tweets_gets_a_short_feed_that_says_so(bare: Pipeline) -> None:
    run = local_run(bare, BEEKEEPING_POSTS[:3], [fake_video("v1", "varroa mites", title="Varroa mites lecture")])
    assert run.status == "succeeded", run.error
    feed = feed_items(bare.session, user=bare.user)
    assert [item.video_id for item in feed] == ["v1"]
    assert any(n.startswith("1 of 20 clips met the bar this time: the search found") for n in notes(run)), notes(run)
    assert any("the search goes deeper" in n for n in notes(run))


def test_posts_without_a_common_subject_finish_with_a_note_and_no_talk_of_searching(bare: Pipeline) -> None:
    posts = ["Varroa mites are hard", "Sourdough crumb looked great today", "Cycling to work in the rain"]
    run = local_run(bare, posts, [fake_video("v1", "varroa mites", title="Varroa mites lecture")])
    assert run.status == "succeeded", run.error
    said = [n for n in notes(run) if n.startswith("No interests could be inferred from your 3 posts and likes.")]
    assert said and "add an interest in your own words" in said[0], notes(run)
    assert not any("search" in n for n in notes(run)), notes(run)


def test_a_catalog_without_a_match_finishes_with_a_note(bare: Pipeline) -> None:
    run = local_run(bare, BEEKEEPING_POSTS, [fake_video("v1", "sourdough baking")])
    assert run.status == "succeeded"
    assert any("found no videos" in n for n in notes(run))
    assert feed_items(bare.session, user=bare.user) == []


def test_a_one_segment_transcript_and_a_missing_transcript_are_skipped_with_reasons(bare: Pipeline) -> None:
    short = fake_video("one", "varroa mites", title="Varroa mites lecture")
    short.transcript = TranscriptData(
        video_id="one",
        language_code="en",
        is_generated=True,
        segments=[Segment(text="varroa mites are about timing", start=0, duration=600)],
    )
    missing = fake_video(
        "none", "varroa mites", title="Varroa mites talk", transcript=TranscriptUnavailable("none", "no captions")
    )
    run = local_run(bare, BEEKEEPING_POSTS, [short, missing])
    assert run.status == "succeeded", run.error
    assert "no captions" in skipped(run, "transcripts")["none"]
    assert "one" in skipped(run, "clip")
    assert any("well enough" in n for n in notes(run))


def test_instructions_that_exclude_everything_finish_with_a_note(bare: Pipeline) -> None:
    instructions_set(bare.session, user=bare.user, text="No more videos about varroa mites. Nothing about mites.")
    run = local_run(bare, BEEKEEPING_POSTS, [fake_video("v1", "varroa mites", title="Varroa mites lecture")])
    assert run.status == "succeeded", run.error
    assert feed_items(bare.session, user=bare.user) == []
    assert any("Instructions applied" in n for n in notes(run))
    assert any(
        n.startswith("No interests could be inferred from your 5 posts and likes with your custom instructions. ")
        for n in notes(run)
    ), notes(run)


def test_the_engine_is_the_local_one_without_a_key_and_the_model_with_one(sessions: sessionmaker[Session]) -> None:
    assert build_llm(Settings(), recorder=print, sessions=sessions).name == "local"
    engine = build_llm(Settings(openai_api_key="sk-test"), recorder=print, sessions=sessions)
    assert engine.name == "openai"
    assert engine.local.name == "local"  # type: ignore[attr-defined]


# -- the in-process executor ---------------------------------------------------------


def test_the_executor_runs_a_run_in_the_background_and_fails_it_on_an_unexpected_error(pipeline: Pipeline) -> None:
    executor = RunExecutor(
        execute=lambda run_id: execute_run(
            run_id,
            llm=pipeline.llm,
            video_source=pipeline.video_source,
            transcript_source=pipeline.transcript_source,
            sessions=pipeline.sessions,
        ),
        sessions=pipeline.sessions,
    )
    try:
        run_id = pipeline.start()
        executor.submit(run_id).result(timeout=30)
        assert pipeline.reload(run_id).status == "succeeded"

        def explode(run_id: int) -> None:
            raise OSError("disk full")

        broken = RunExecutor(execute=explode, sessions=pipeline.sessions)
        run_id = pipeline.start()
        broken.submit(run_id).result(timeout=30)
        run = pipeline.reload(run_id)
        assert run.status == "failed" and run.error is not None and "disk full" in run.error
        broken.shutdown()
    finally:
        executor.shutdown()
