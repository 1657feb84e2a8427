"""The stages as plain functions: what each keeps, what it skips and why, and how bad engine output is handled."""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest

from app.llm.openai_client import LLMAuthError
from app.pipeline import stages
from app.pipeline.diversity import diversify, interest_cap
from app.pipeline.stages import Engines, StageError
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
from app.sources.base import (
    BLOCKED_NOTE,
    SourceError,
    TranscriptBlocked,
    TranscriptUnavailable,
    TranscriptUnreachable,
)
from tests.fakes import FakeTranscriptSource, FakeVideoSource, ScriptedLLM, fake_video, passage_clip

PREFS = Preferences()


@dataclass
class Recorder:
    skipped: list[tuple[str, str]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    steps: list[tuple[int, int]] = field(default_factory=list)

    def skip(self, item: str, reason: str) -> None:
        self.skipped.append((item, reason))

    def note(self, message: str) -> None:
        self.notes.append(message)

    def step(self, done: int, total: int) -> None:
        self.steps.append((done, total))

    def reason_for(self, item: str) -> str:
        return " | ".join(reason for skipped, reason in self.skipped if skipped == item)


def interest(name: str, evidence: list[str] | None = None, weight: float = 1.0) -> Interest:
    return Interest(name=name, description=f"about {name}", weight=weight, evidence_tweet_ids=evidence or ["t1", "t2"])


def engagement(*ids: str) -> list[Engagement]:
    return [Engagement(tweet_id=i, kind="tweet", text=f"post {i}") for i in ids]


@dataclass(frozen=True)
class Item:
    video_id: str
    interest: str


# -- diversity -----------------------------------------------------------------------


def test_diversity_caps_each_interest_at_three_in_the_top_ten_and_one_clip_per_video() -> None:
    ranked = [Item(f"{name}{i}", name) for name in "abc" for i in range(6)]
    ranked += [Item("a0", "d"), Item("d0", "d")]
    feed = diversify(ranked, limit=15, single_interest=False)
    assert [i.video_id for i in feed[:10]] == ["a0", "a1", "a2", "b0", "b1", "b2", "c0", "c1", "c2", "d0"]
    assert [i.video_id for i in feed[10:]] == ["a3", "a4", "a5", "b3", "b4"]


def test_diversity_keeps_the_rule_even_when_the_top_ten_stays_short() -> None:
    ranked = [Item(f"a{i}", "a") for i in range(8)] + [Item(f"b{i}", "b") for i in range(8)]
    feed = diversify(ranked, limit=10, single_interest=False)
    assert [i.video_id for i in feed] == ["a0", "a1", "a2", "b0", "b1", "b2"]


def test_a_longer_feed_goes_on_past_a_short_front_under_its_whole_feed_cap() -> None:
    """The first ten hold three of one interest; a feed of twenty goes on with what its own cap allows rather than
    stopping at the varied front."""
    ranked = [Item(f"a{i}", "a") for i in range(12)] + [Item(f"b{i}", "b") for i in range(2)]
    feed = diversify(ranked, limit=20, single_interest=False, per_feed=6)
    assert [i.video_id for i in feed] == ["a0", "a1", "a2", "b0", "b1", "a3", "a4", "a5"]


def test_diversity_does_not_cap_a_single_interest() -> None:
    ranked = [Item(f"a{i}", "a") for i in range(12)] + [Item("a3", "a")]
    feed = diversify(ranked, limit=10, single_interest=True)
    assert [i.video_id for i in feed] == [f"a{i}" for i in range(10)]


def test_diversity_tail_past_the_top_ten_is_uncapped() -> None:
    ranked = [Item(f"{name}{i}", name) for name in "abcd" for i in range(5)]
    feed = diversify(ranked, limit=14, single_interest=False)
    head, tail = feed[:10], feed[10:]
    assert all(sum(1 for i in head if i.interest == name) <= 3 for name in "abcd")
    assert len(tail) == 4
    assert {i.video_id for i in tail} <= {f"{name}{i}" for name in "abcd" for i in range(3, 5)}


# -- interests and queries -----------------------------------------------------------


def test_interests_keep_only_the_users_own_evidence_and_drop_interests_citing_none() -> None:
    answer = [
        interest("Pottery", ["t1", "invented", "t1", "t2"]),
        interest("Ghosts", ["invented-1", "invented-2"]),
        interest("pottery", ["t2"]),
    ]
    progress = Recorder()
    kept = stages.interests(
        Engines(ScriptedLLM(interests=answer)), engagement("t1", "t2"), PREFS, progress, user_tweet_ids={"t1", "t2"}
    )
    assert [(i.name, i.evidence_tweet_ids) for i in kept] == [("Pottery", ["t1", "t2"])]
    assert "cites none of your tweets" in progress.reason_for("Ghosts")
    assert "duplicate" in progress.reason_for("pottery")


def test_interests_of_no_engagement_ask_no_engine() -> None:
    llm = ScriptedLLM()
    assert stages.interests(Engines(llm), [], PREFS, Recorder(), user_tweet_ids=set()) == []
    assert llm.calls["interests"] == 0


def test_a_failing_engine_falls_back_for_a_whole_stage_and_says_so() -> None:
    primary = ScriptedLLM(name="model", interests=RuntimeError("server on fire"))
    fallback = ScriptedLLM(name="local", interests=[interest("Pottery", ["t1"])])
    progress = Recorder()
    kept = stages.interests(Engines(primary, fallback), engagement("t1"), PREFS, progress, user_tweet_ids={"t1"})
    assert [i.name for i in kept] == ["Pottery"]
    assert "server on fire" in progress.notes[0] and "local" in progress.notes[0]


def test_a_failing_engine_without_fallback_fails_the_stage() -> None:
    primary = ScriptedLLM(interests=RuntimeError("server on fire"))
    with pytest.raises(RuntimeError, match="server on fire"):
        stages.interests(Engines(primary), engagement("t1"), PREFS, Recorder(), user_tweet_ids={"t1"})


def test_queries_for_unknown_interests_repeats_and_surplus_are_dropped() -> None:
    answer = [SearchQuery(interest="Pottery", query=f"pottery q{i}") for i in range(6)]
    answer += [SearchQuery(interest="Pottery", query="  POTTERY   q0 "), SearchQuery(interest="Nope", query="x")]
    kept = stages.queries(Engines(ScriptedLLM(queries=answer)), [interest("Pottery")], PREFS, Recorder())
    assert [q.query for q in kept] == ["pottery q0", "pottery q1", "pottery q2", "pottery q3"]


# -- search --------------------------------------------------------------------------


def test_search_skips_a_failed_query_and_ties_each_video_to_the_first_interest_that_found_it() -> None:
    videos = [fake_video("v1", "pottery glazes"), fake_video("v2", "pottery wheels")]
    source = FakeVideoSource(videos, failures={"broken": SourceError("quota exceeded")})
    written = [
        SearchQuery(interest="Glazes", query="glazes"),
        SearchQuery(interest="Pottery", query="pottery"),
        SearchQuery(interest="Pottery", query="broken"),
    ]
    progress = Recorder()
    found = stages.search(source, written, progress)
    assert [(c.video_id, c.interest, c.query) for c in found] == [
        ("v1", "Glazes", "glazes"),
        ("v2", "Pottery", "pottery"),
    ]
    assert progress.skipped == [("query “broken”", "quota exceeded")]


def test_search_reads_past_the_results_already_shown_and_no_further() -> None:
    videos = [fake_video(f"v{i}", f"pottery lesson {i}") for i in range(1, 8)]
    source = FakeVideoSource(videos)
    written = [SearchQuery(interest="Pottery", query="pottery")]
    first = stages.search(source, written, Recorder(), per_query=3)
    assert [c.video_id for c in first] == ["v1", "v2", "v3"]
    again = stages.search(source, written, Recorder(), per_query=3, seen=["v1", "v3", "v9"])
    assert [c.video_id for c in again] == ["v1", "v2", "v3", "v4", "v5"]  # two of the first three were shown
    unseen = stages.search(source, written, Recorder(), per_query=3, seen=["v6"])
    assert [c.video_id for c in unseen] == ["v1", "v2", "v3"]  # none of the first page was shown: one search
    assert source.queries == ["pottery", "pottery", "pottery", "pottery"]


def test_search_fails_when_every_query_fails() -> None:
    source = FakeVideoSource([], failures={"a": SourceError("no key"), "b": SourceError("no key")})
    written = [SearchQuery(interest="X", query="a"), SearchQuery(interest="X", query="b")]
    with pytest.raises(StageError, match=r"^Every search failed: no key$"):
        stages.search(source, written, Recorder())


# -- screen --------------------------------------------------------------------------


def candidate(video_id: str, interest_name: str = "Pottery", **fields: object) -> Candidate:
    values: dict[str, object] = {"title": f"title {video_id}", "channel": "Chan", **fields}
    return Candidate.model_validate({"video_id": video_id, "interest": interest_name, **values})


def test_screen_rules_out_hidden_channels_seen_and_short_videos_before_the_engine_sees_them() -> None:
    seen_by_engine: list[str] = []

    def judge(cands: list[Candidate], _interests: object, _prefs: object) -> list[ScreenDecision]:
        seen_by_engine.extend(c.video_id for c in cands)
        return [
            ScreenDecision(video_id=c.video_id, keep=c.video_id != "drama", interest="Pottery", reason="drama video")
            for c in cands
        ]

    llm = ScriptedLLM(screen=judge)
    cands = [
        candidate("hidden", channel="Hidden Channel"),
        candidate("seen"),
        candidate("short", duration_s=20),
        candidate("drama"),
        candidate("good", duration_s=600),
    ]
    prefs = Preferences(hidden_channels=["hidden channel"], seen_video_ids=["seen"])
    progress = Recorder()
    kept = stages.screen(Engines(llm), cands, [interest("Pottery")], prefs, progress, max_kept=10)
    assert [c.video_id for c in kept] == ["good"]
    assert seen_by_engine == ["drama", "good"]
    assert "hidden" in progress.reason_for("hidden")
    assert "already shown" in progress.reason_for("seen")
    assert "too short" in progress.reason_for("short")
    assert progress.reason_for("drama") == "drama video"


@pytest.mark.parametrize(
    ("instructions", "kept_ids", "reason"),
    [
        ("no jigsaw puzzles, and nothing longer than 20 minutes", ["short", "unknown"], "longer than 20 minutes,"),
        ("only videos over half an hour please", ["long", "unknown"], "shorter than 30 minutes, which"),
        ("", ["short", "long", "unknown"], None),
    ],
)
def test_screen_keeps_to_the_video_lengths_the_instructions_allow(
    instructions: str, kept_ids: list[str], reason: str | None
) -> None:
    llm = ScriptedLLM(
        screen=lambda cands, _i, _p: [
            ScreenDecision(video_id=c.video_id, keep=True, interest="Bonsai", reason="") for c in cands
        ]
    )
    cands = [candidate("short", duration_s=600), candidate("long", duration_s=2400), candidate("unknown")]
    progress = Recorder()
    prefs = Preferences(instructions=instructions)
    kept = stages.screen(Engines(llm), cands, [interest("Bonsai")], prefs, progress, max_kept=10)
    assert [c.video_id for c in kept] == kept_ids
    left_out = next(c.video_id for c in cands if c.video_id not in kept_ids) if reason else None
    if left_out is not None:
        assert reason in progress.reason_for(left_out), progress.reason_for(left_out)


def test_screen_shares_the_kept_videos_out_between_interests_best_first() -> None:
    cands = [candidate(f"a{i}", "A") for i in range(6)] + [candidate(f"b{i}", "B") for i in range(2)]
    scores = {c.video_id: 10 - i for i, c in enumerate(cands)}
    llm = ScriptedLLM(
        screen=lambda cs, _i, _p: [
            ScreenDecision(video_id=c.video_id, keep=True, interest=c.interest, reason="ok", score=scores[c.video_id])
            for c in cs
        ]
    )
    progress = Recorder()
    kept = stages.screen(Engines(llm), cands, [interest("A"), interest("B")], PREFS, progress, max_kept=4)
    assert [c.video_id for c in kept] == ["a0", "a1", "b0", "b1"]
    assert "most promising" in progress.reason_for("a2")


def test_screen_gives_each_kept_video_its_score_relative_to_the_best_one() -> None:
    cands = [candidate("a", "A"), candidate("b", "A"), candidate("c", "A")]
    scores = {"a": 0.2, "b": 0.8, "c": 0.0}
    llm = ScriptedLLM(
        screen=lambda cs, _i, _p: [
            ScreenDecision(video_id=c.video_id, keep=True, interest="A", reason="ok", score=scores[c.video_id])
            for c in cs
        ]
    )
    kept = stages.screen(Engines(llm), cands, [interest("A")], PREFS, Recorder(), max_kept=5)
    assert [(c.video_id, c.fit) for c in kept] == [("b", 1.0), ("a", pytest.approx(0.25)), ("c", 0.0)]


def test_screen_drops_candidates_the_engine_forgot_or_tied_to_an_unknown_interest() -> None:
    llm = ScriptedLLM(
        screen=[ScreenDecision(video_id="x", keep=True, interest="Made up", reason="ok")],
    )
    progress = Recorder()
    kept = stages.screen(
        Engines(llm),
        [candidate("x", "Also made up"), candidate("y")],
        [interest("Pottery")],
        PREFS,
        progress,
        max_kept=5,
    )
    assert kept == []
    assert "not tied" in progress.reason_for("x")
    assert "no screening decision" in progress.reason_for("y")


# -- transcripts ---------------------------------------------------------------------


class MemoryCache:
    def __init__(self, entries: dict[str, TranscriptData | TranscriptUnavailable] | None = None) -> None:
        self.entries = dict(entries or {})

    def lookup(self, video_id: str) -> TranscriptData | TranscriptUnavailable | None:
        return self.entries.get(video_id)

    def store(self, video_id: str, outcome: TranscriptData | TranscriptUnavailable) -> None:
        self.entries[video_id] = outcome


def test_transcripts_come_from_the_cache_first_and_failures_become_skipped_items() -> None:
    cached = fake_video("cached", "pottery")
    fresh = fake_video("fresh", "pottery")
    disabled = fake_video("disabled", "pottery", transcript=TranscriptUnavailable("disabled", "subtitles are disabled"))
    broken = fake_video("broken", "pottery", transcript=ConnectionError("reset by peer"))
    source = FakeTranscriptSource([fresh, disabled, broken])
    assert isinstance(cached.transcript, TranscriptData)
    cache = MemoryCache({"cached": cached.transcript})
    progress = Recorder()
    kept = [v.candidate for v in (cached, fresh, disabled, broken)]
    got = stages.transcripts(kept, source, cache, progress, workers=3)
    assert [t.video_id for t in got] == ["cached", "fresh"]
    assert sorted(source.fetched) == ["broken", "disabled", "fresh"]
    assert "subtitles are disabled" in progress.reason_for("disabled")
    assert "reset by peer" in progress.reason_for("broken")
    assert isinstance(cache.entries["disabled"], TranscriptUnavailable)
    assert "broken" not in cache.entries  # an unexpected error is not remembered
    assert progress.steps[-1] == (4, 4)


def test_a_blocked_server_is_said_once_and_not_remembered_against_the_videos() -> None:
    videos = [fake_video(f"v{i}", "pottery") for i in range(4)]
    for video in videos[1:3]:
        video.transcript = TranscriptBlocked(video.candidate.video_id, "YouTube refused the request")
    videos[3].transcript = TranscriptUnreachable("v3", "the proxy refused or could not be reached")
    cache = MemoryCache()
    progress = Recorder()

    got = stages.transcripts([v.candidate for v in videos], FakeTranscriptSource(videos), cache, progress, workers=2)

    assert [t.video_id for t in got] == ["v0"]  # the run goes on with what it has
    assert progress.notes == [BLOCKED_NOTE]
    assert all("refused" in progress.reason_for(f"v{i}") for i in (1, 2, 3))
    assert list(cache.entries) == ["v0"]  # a proxy or another network may get the others next time


def test_an_empty_transcript_is_skipped() -> None:
    empty = fake_video("empty", "pottery")
    empty.transcript = TranscriptData(video_id="empty", language_code="en", is_generated=True, segments=[])
    progress = Recorder()
    got = stages.transcripts([empty.candidate], FakeTranscriptSource([empty]), MemoryCache(), progress, workers=1)
    assert got == []
    assert "empty" in progress.reason_for("empty")


# -- clips ---------------------------------------------------------------------------


def clip_inputs(*videos: str) -> tuple[list[Candidate], list[TranscriptData]]:
    made = [fake_video(v, "pottery") for v in videos]
    cands = [m.candidate.model_copy(update={"interest": "Pottery"}) for m in made]
    texts = [m.transcript for m in made if isinstance(m.transcript, TranscriptData)]
    return cands, texts


def bad_clip(**update: object) -> object:
    def answer(cand: Candidate, chosen: Interest, text: TranscriptData) -> Clip | None:
        clip = passage_clip(cand, chosen, text)
        return None if clip is None else clip.model_copy(update=update)

    return answer


def test_invalid_clips_are_repaired_by_the_fallback_engine_or_dropped() -> None:
    cands, texts = clip_inputs("late", "misquoted", "fine", "engine-error")
    primary = ScriptedLLM(
        clips={
            "late": bad_clip(start_s=250.0, end_s=320.0),  # ends after the 300 s video
            "misquoted": bad_clip(quote="words nobody said in this clip"),
            "engine-error": RuntimeError("timeout"),
        }
    )
    progress = Recorder()
    chosen = stages.clips(
        Engines(primary, ScriptedLLM(name="local")), cands, texts, [interest("Pottery")], [], PREFS, progress
    )
    assert [c.video_id for c in chosen] == ["late", "misquoted", "fine", "engine-error"]
    assert all((c.start_s, c.end_s) == (100.0, 140.0) for c in chosen)

    progress = Recorder()
    chosen = stages.clips(Engines(primary), cands, texts, [interest("Pottery")], [], PREFS, progress)
    assert [c.video_id for c in chosen] == ["fine"]
    assert "after the video" in progress.reason_for("late")
    assert "quote is not spoken inside the clip" in progress.reason_for("misquoted")
    assert "timeout" in progress.reason_for("engine-error")


def test_a_video_without_a_fitting_passage_is_skipped() -> None:
    cands, texts = clip_inputs("plain")
    one_segment = TranscriptData(
        video_id="plain", language_code="en", is_generated=True, segments=[Segment(text="hi", start=0, duration=4)]
    )
    progress = Recorder()
    assert stages.clips(Engines(ScriptedLLM()), cands, [one_segment], [interest("Pottery")], [], PREFS, progress) == []
    assert "no passage" in progress.reason_for("plain")
    assert texts  # the fake's own transcript would have had one


def test_a_rejected_api_key_is_not_papered_over_by_the_fallback() -> None:
    cands, texts = clip_inputs("v")
    primary = ScriptedLLM(clips={"v": LLMAuthError("the LLM rejected the API key")})
    with pytest.raises(LLMAuthError):
        stages.clips(
            Engines(primary, ScriptedLLM(name="local")), cands, texts, [interest("Pottery")], [], PREFS, Recorder()
        )


# -- rank & explain ------------------------------------------------------------------


def ranked_clips(spec: dict[str, tuple[str, float]]) -> tuple[list[Clip], list[Candidate]]:
    clips_, cands = [], []
    for video_id, (name, score) in spec.items():
        clips_.append(Clip(video_id=video_id, interest=name, start_s=0, end_s=40, quote="q", score=score))
        cands.append(candidate(video_id, name))
    return clips_, cands


def test_rank_orders_by_score_repairs_foreign_citations_and_replaces_unexplainable_clips() -> None:
    spec = {f"a{i}": ("A", 10 - i) for i in range(5)} | {"b0": ("B", 5.5)}
    chosen, cands = ranked_clips(spec)
    primary = ScriptedLLM(
        explanations={
            "a0": Explanation(text="Because you posted.", tweet_ids=["invented", "t1"]),
            "a1": Explanation(text="Because.", tweet_ids=["invented"]),
        }
    )
    progress = Recorder()
    feed = stages.rank(
        Engines(primary),
        chosen,
        cands,
        [interest("A"), interest("B")],
        [],
        PREFS,
        progress,
        user_tweet_ids={"t1", "t2"},
        feed_size=10,
    )
    # Two interests fill a feed of ten: each may take five clips.
    assert [i.video_id for i in feed] == ["a0", "a2", "a3", "a4", "b0"]
    assert feed[0].tweet_ids == ["t1"]
    assert "not the user's" in progress.reason_for("a1")
    assert all(set(i.tweet_ids) <= {"t1", "t2"} and i.tweet_ids for i in feed)


def test_an_interest_without_a_clip_takes_no_share_of_the_feed() -> None:
    """An interest that brought no clip (nothing found for it, or set aside by the user's votes) leaves its share to
    the others: two interests with six clips each fill a feed of ten, as they would alone."""
    spec = {f"a{i}": ("A", 5 - i / 10) for i in range(6)} | {f"b{i}": ("B", 4 - i / 10) for i in range(6)}
    chosen, cands = ranked_clips(spec)
    found = [interest("A"), interest("B"), interest("Set aside")]
    ranked = stages.rank(
        Engines(ScriptedLLM()), chosen, cands, found, [], PREFS, Recorder(), user_tweet_ids={"t1"}, feed_size=10
    )
    assert len(ranked) == 10
    assert sum(i.interest == "A" for i in ranked) == sum(i.interest == "B" for i in ranked) == 5


def test_a_feed_of_twenty_keeps_the_first_ten_as_varied_as_a_feed_of_ten() -> None:
    """The cap scales with the feed over the whole of it, but what a person sees first is the first ten: one
    interest whose clips all score highest does not take seven of them because the feed is longer."""
    spec = {f"a{i}": ("A", 10 - i / 10) for i in range(12)}
    spec |= {f"b{i}": ("B", 5 - i / 10) for i in range(8)} | {f"c{i}": ("C", 4 - i / 10) for i in range(8)}
    chosen, cands = ranked_clips(spec)
    found = [interest("A"), interest("B"), interest("C")]

    def feed(size: int) -> list[str]:
        ranked = stages.rank(
            Engines(ScriptedLLM()), chosen, cands, found, [], PREFS, Recorder(), user_tweet_ids={"t1"}, feed_size=size
        )
        return [i.interest for i in ranked]

    ten, twenty = feed(10), feed(20)
    assert twenty[:10] == ten
    assert ten.count("A") == interest_cap(10, 3)
    assert len(twenty) == 20 and twenty.count("A") == interest_cap(20, 3)


def test_rank_asks_the_fallback_for_an_explanation_the_engine_got_wrong() -> None:
    chosen, cands = ranked_clips({"a0": ("A", 1.0)})
    primary = ScriptedLLM(explanations={"a0": Explanation(text="Because.", tweet_ids=["invented"])})
    fallback = ScriptedLLM(name="local")
    feed = stages.rank(
        Engines(primary, fallback),
        chosen,
        cands,
        [interest("A")],
        [],
        PREFS,
        Recorder(),
        user_tweet_ids={"t1", "t2"},
        feed_size=10,
    )
    assert [(i.video_id, i.tweet_ids) for i in feed] == [("a0", ["t1", "t2"])]
    assert fallback.calls["explain"] == 1


def test_rank_explains_only_what_reaches_the_feed() -> None:
    chosen, cands = ranked_clips({f"a{i}": ("A", 10 - i) for i in range(8)})
    llm = ScriptedLLM()
    feed = stages.rank(
        Engines(llm, workers=3),
        chosen,
        cands,
        [interest("A")],
        [],
        PREFS,
        Recorder(),
        user_tweet_ids={"t1", "t2"},
        feed_size=5,
    )
    assert [i.video_id for i in feed] == ["a0", "a1", "a2", "a3", "a4"]
    assert llm.calls["explain"] == 5


def test_scores_of_different_engines_are_put_on_one_scale_before_ranking() -> None:
    """A model scores 0-1 and the local engine far lower: raw, every model clip would rank first."""
    model = [
        Clip(video_id=f"m{i}", interest="A", start_s=0, end_s=40, quote="q", score=s, scored_by="openai")
        for i, s in enumerate([0.95, 0.9, 0.2])
    ]
    local = [
        Clip(video_id=f"l{i}", interest="A", start_s=0, end_s=40, quote="q", score=s, scored_by="local")
        for i, s in enumerate([0.08, 0.03, 0.01])
    ]

    scores = stages.normalised([*model, *local])

    assert scores["m0"] == scores["l0"] == 1.0 and scores["m2"] == scores["l2"] == 0.0
    assert scores["l1"] == scores["m1"] == 0.5
    alone = Clip(video_id="x", interest="A", start_s=0, end_s=40, quote="q", score=7.0, scored_by="other")
    assert stages.normalised([alone]) == {"x": 0.5}
    tied = [c.model_copy(update={"score": 0.4}) for c in model]
    assert set(stages.normalised(tied).values()) == {0.5}
