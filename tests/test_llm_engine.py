"""The LLM engine against the loopback server: what it sends, what it accepts, what it costs."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from app.config import Settings
from app.db import get_sessionmaker
from app.llm.base import CallRecord, ClipJob
from app.llm.budget import PriceTable
from app.llm.cache import LLMCache
from app.llm.engine import (
    CLIP_BATCH,
    MAX_BORDERLINE,
    MAX_CLIP_VIDEOS,
    MAX_ENGAGEMENT_SENT,
    MAX_SCREENED,
    SCREEN_BATCH,
    SEGMENTS_SHOWN,
    ExplanationUnavailable,
    LLMAuthError,
    OpenAIEngine,
    screen_batches,
)
from app.llm.local import LocalEngine
from app.llm.openai_client import ChatClient
from app.llm.prompts import load_prompt
from app.llm.segments import topic_segments
from app.schemas import Candidate, Clip, Explanation
from app.validation import validate_clip
from tests import llm_samples as s
from tests.fake_openai_server import (
    ChatRequest,
    FakeOpenAI,
    Reply,
    data_blocks,
    fixture,
    load_fixture,
    run_fake_openai,
    server_error,
    structured,
)

LOCAL = LocalEngine()


@pytest.fixture(scope="module")
def server() -> Iterator[FakeOpenAI]:
    with run_fake_openai() as fake:
        yield fake


@pytest.fixture
def fake(server: FakeOpenAI) -> Iterator[FakeOpenAI]:
    server.reset()
    yield server
    assert server.problems == []


class Records(list[CallRecord]):
    def __call__(self, record: CallRecord) -> None:
        self.append(record)

    def outcomes(self) -> list[str]:
        return [r.outcome for r in self]


@pytest.fixture
def records() -> Records:
    return Records()


def make_engine(fake: FakeOpenAI, records: Records, *, cache: LLMCache | None = None, **settings: Any) -> OpenAIEngine:
    options: dict[str, Any] = {
        "openai_api_key": "sk-test",
        "openai_base_url": fake.base_url,
        "openrec_llm_max_retries": 0,
    }
    options.update(settings)
    config = Settings(**options)
    client = ChatClient(
        api_key=config.openai_api_key, base_url=config.openai_base_url, max_retries=0, sleep=lambda _s: None
    )
    return OpenAIEngine(client=client, local=LOCAL, settings=config, recorder=records, cache=cache)


def post_ids(request: ChatRequest, block: str = "posts") -> list[str]:
    return [item["id"] for b in data_blocks(request.user, block) for item in b.items()]


# -- interests and queries ------------------------------------------------------------


def test_interests_come_from_the_model_with_version_tokens_and_cost(fake: FakeOpenAI, records: Records) -> None:
    def answer(request: ChatRequest) -> Reply:
        ids = post_ids(request, "engagement")
        interest = {"name": "Cheddaring", "description": "d", "weight": 0.8, "evidence_tweet_ids": ids[:3]}
        return structured({"interests": [{**interest, "keywords": ["cheddaring", "curd"]}]})

    fake.answer(answer)
    engine = make_engine(fake, records)
    engagement = s.engagement() * 10  # more posts than are ever sent
    engagement = [e.model_copy(update={"tweet_id": f"{e.tweet_id}{i}"}) for i, e in enumerate(engagement)]

    interests = engine.infer_interests(engagement, s.PREFS)

    (request,) = fake.requests
    sent = data_blocks(request.user, "engagement")[0].items()
    heaviest = sorted(engagement, key=lambda e: -e.weight)[:MAX_ENGAGEMENT_SENT]
    assert [item["id"] for item in sent[:MAX_ENGAGEMENT_SENT]] == [e.tweet_id for e in heaviest]
    # The local engine's groupings are shown to be named, with every post they cite.
    found = LOCAL.infer_interests(engagement, s.PREFS)
    shown = data_blocks(request.user, "candidates")[0].items()
    assert [c["name"] for c in shown] == [i.name for i in found] and found
    assert {t for i in found for t in i.evidence_tweet_ids} <= {item["id"] for item in sent}
    assert engine.named_by_model
    assert request.system == load_prompt("interests").system
    assert s.PREFS.instructions in request.user
    assert [i.name for i in interests] == ["Cheddaring"]
    assert interests[0].evidence_tweet_ids == [item["id"] for item in sent[:3]]
    (record,) = records
    assert record.outcome == "ok"
    assert record.stage == "interests"
    assert record.prompt_version == load_prompt("interests").version
    assert record.tokens_in == request.estimated_prompt_tokens()
    prices = PriceTable(Settings().openrec_llm_prices)
    assert record.cost_usd == prices.cost("gpt-4o-mini", tokens_in=record.tokens_in, tokens_out=record.tokens_out)
    assert record.cost_usd > 0


def test_invented_evidence_is_sent_back_once_with_the_reason(fake: FakeOpenAI, records: Records) -> None:
    ids = [e.tweet_id for e in s.engagement()]
    bad = {"name": "Crypto", "description": "d", "weight": 1.0, "evidence_tweet_ids": ["999"], "keywords": []}
    good = {"name": "Cheddaring", "description": "d", "weight": 0.8, "evidence_tweet_ids": ids[:2], "keywords": []}
    fake.queue(structured({"interests": [bad]}), structured({"interests": [good]}))

    interests = make_engine(fake, records).infer_interests(s.engagement(), s.PREFS)

    assert [i.name for i in interests] == ["Cheddaring"]
    assert records.outcomes() == ["invalid", "ok"]
    retry = fake.requests[1].messages
    assert retry[:2] == fake.requests[0].messages
    assert retry[2] == {"role": "assistant", "content": json.dumps({"interests": [bad]})}
    assert retry[3]["role"] == "user" and "999" in retry[3]["content"] and "rejected" in retry[3]["content"]


def test_queries_name_existing_interests_and_are_capped(fake: FakeOpenAI, records: Records) -> None:
    names = [i.name for i in s.interests()]
    many = [{"interest": names[0], "query": f"cheddar making talk {n}"} for n in range(6)]
    fake.queue(
        structured({"queries": [{"interest": "Crypto", "query": "bitcoin"}]}),
        structured({"queries": [*many, {"interest": names[1].upper(), "query": "mushroom foraging walk"}]}),
    )

    queries = make_engine(fake, records).write_queries(s.interests(), s.PREFS)

    assert records.outcomes() == ["invalid", "ok"]
    assert [q.query for q in queries if q.interest == names[0]] == [q["query"] for q in many[:4]]
    assert [(q.interest, q.query) for q in queries if q.interest != names[0]] == [(names[1], "mushroom foraging walk")]


# -- screening ------------------------------------------------------------------------


def test_the_model_screens_the_local_shortlist_and_the_borderline_drops(fake: FakeOpenAI, records: Records) -> None:
    interest = s.interests()[0].name

    def answer(request: ChatRequest) -> Reply:
        items = data_blocks(request.user, "candidates")[0].items()
        decisions = [
            {"video_id": c["video_id"], "keep": i % 2 == 0, "interest": interest, "reason": "r", "score": 0.5}
            for i, c in enumerate(items[:-1])  # the last one is left out
        ]
        return structured({"decisions": decisions})

    fake.answer(answer)
    loud = Candidate(
        video_id="bl000000000",
        title="REACTING to the worst cheddar curd cheddaring fails!!",
        channel="Fun",
        description="prank reaction compilation",
        duration_s=600,
    )
    candidates = [*s.candidates(), loud]
    local = {d.video_id: d for d in LOCAL.screen(candidates, s.interests(), s.PREFS)}
    shortlist = [d.video_id for d in sorted((d for d in local.values() if d.keep), key=lambda d: -d.score)]
    assert len(shortlist) > MAX_SCREENED  # the data makes the cut matter

    decisions = make_engine(fake, records).screen(candidates, s.interests(), s.PREFS)

    sent = [c["video_id"] for r in fake.requests for c in data_blocks(r.user, "candidates")[0].items()]
    borderline = [v for v in sent if v not in shortlist[:MAX_SCREENED]]
    assert set(shortlist[:MAX_SCREENED]) <= set(sent) and 0 < len(borderline) <= MAX_BORDERLINE
    assert borderline == [loud.video_id]  # dropped by the local screen on its words, judged again by the model
    assert len(fake.requests) == 1
    assert [d.video_id for d in decisions] == [c.video_id for c in candidates]
    by_id = {d.video_id: d for d in decisions}
    for request in fake.requests:
        items = data_blocks(request.user, "candidates")[0].items()
        for i, item in enumerate(items[:-1]):
            assert by_id[item["video_id"]].keep == (i % 2 == 0)
        assert by_id[items[-1]["video_id"]] == local[items[-1]["video_id"]]
    for video_id in shortlist[MAX_SCREENED:]:
        assert not by_id[video_id].keep
        assert "most promising" in by_id[video_id].reason
    assert records.outcomes() == ["ok"]


@pytest.mark.parametrize(("listed", "sizes"), [(0, []), (11, [11]), (SCREEN_BATCH + 1, [16, 15]), (28, [28])])
def test_screen_calls_are_as_few_and_as_even_as_the_batch_limit_allows(listed: int, sizes: list[int]) -> None:
    pool = [c.model_copy(update={"video_id": f"v{i:010d}"}) for i, c in enumerate(s.candidates() * 2)][:listed]
    batches = screen_batches(pool)

    assert [len(b) for b in batches] == sizes
    assert [c for b in batches for c in b] == pool


def test_a_decision_for_an_unknown_video_is_sent_back(fake: FakeOpenAI, records: Records) -> None:
    interest = s.interests()[0].name
    calls = {"n": 0}

    def answer(request: ChatRequest) -> Reply:
        calls["n"] += 1
        items = data_blocks(request.user, "candidates")[0].items()
        ids = [c["video_id"] for c in items] + (["dQw4w9WgXcQ"] if len(request.messages) == 2 else [])
        return structured(
            {"decisions": [{"video_id": v, "keep": True, "interest": interest, "reason": "r", "score": 1} for v in ids]}
        )

    fake.answer(answer)
    decisions = make_engine(fake, records, openrec_llm_concurrency=1).screen(s.candidates(), s.interests(), s.PREFS)

    assert "dQw4w9WgXcQ" not in {d.video_id for d in decisions}
    assert records.outcomes() == ["invalid", "ok"]
    assert calls["n"] == 2


# -- clips ----------------------------------------------------------------------------


def jobs(count: int = 1) -> list[ClipJob]:
    """`count` videos about the first interest, each with the test transcript under its own id."""
    return [(c, s.interests()[0], s.transcript(c.video_id)) for c in s.candidates()[:count]]


def choose(engine: OpenAIEngine, job: ClipJob) -> Clip | None:
    return engine.choose_clip(*job, s.engagement(), s.PREFS)


def segment_answer(pick: Callable[[list[dict[str, Any]]], int]) -> Callable[[ChatRequest], Reply]:
    """A model that picks, for each video shown, the segment `pick` says among the rows shown for it."""

    def answer(request: ChatRequest) -> Reply:
        rows = data_blocks(request.user, "segments")[0].items()
        choices = []
        for video in data_blocks(request.user, "videos")[0].items():
            shown = [r for r in rows if r["video_id"] == video["video_id"]]
            choices.append({"video_id": video["video_id"], "segment": pick(shown), "score": 0.8})
        return structured({"choices": choices})

    return answer


def densest(shown: list[dict[str, Any]]) -> int:
    """The segment whose telling sentence is about cheddaring (the dense passage of the test transcript)."""
    return next(r["segment"] for r in shown if "curd" in r["says"])


def test_the_model_chooses_among_topic_segments_never_reading_the_whole_transcript(
    fake: FakeOpenAI, records: Records
) -> None:
    fake.answer(segment_answer(densest))
    engine = make_engine(fake, records)
    (job,) = jobs()

    engine.prepare_clips([job], s.engagement(), s.PREFS)
    chosen = choose(engine, job)

    (request,) = fake.requests
    assert request.schema_name == "ClipsOutput" and request.system == load_prompt("clip").system
    rows = data_blocks(request.user, "segments")[0].items()
    segments = {t.number: t for t in topic_segments(job[2].segments)}
    assert 1 < len(rows) <= SEGMENTS_SHOWN < len(segments)
    assert sum(len(t.text) for t in segments.values()) > 2 * len(request.user)  # never the whole transcript
    for row in rows:
        said = segments[row["segment"]].text
        assert row["says"].rstrip("…").rsplit(" ", 1)[0] in said
    picked = segments[densest(rows)]
    assert chosen is not None and chosen.scored_by == "openai" and chosen.score == 0.8
    assert (chosen.start_s, chosen.end_s) == (round(picked.start, 2), round(picked.end, 2))
    assert validate_clip(chosen, job[2], duration_s=job[0].duration_s) == []
    assert records.outcomes() == ["ok"]


def test_a_segment_that_was_not_shown_is_clipped_by_the_local_engine_and_logged(
    fake: FakeOpenAI, records: Records
) -> None:
    fake.answer(segment_answer(lambda shown: 99))
    engine = make_engine(fake, records)
    (job,) = jobs()

    engine.prepare_clips([job], s.engagement(), s.PREFS)
    chosen = choose(engine, job)

    expected = LOCAL.choose_clip(*job, s.engagement(), s.PREFS)
    assert expected is not None and chosen == expected.model_copy(update={"scored_by": "local"})
    assert any("segment 99" in note and job[0].video_id in note for note in engine.notes)


def test_the_model_may_find_no_clip(fake: FakeOpenAI, records: Records) -> None:
    fake.answer(segment_answer(lambda shown: 0))
    engine = make_engine(fake, records)
    (job,) = jobs()

    engine.prepare_clips([job], s.engagement(), s.PREFS)

    assert choose(engine, job) is None


def test_clip_batches_run_in_parallel_within_the_concurrency_limit(fake: FakeOpenAI, records: Records) -> None:
    fake.answer(segment_answer(densest))
    fake.latency_s = 0.2
    engine = make_engine(fake, records, openrec_llm_concurrency=2)
    many = jobs(MAX_CLIP_VIDEOS + 2)

    engine.prepare_clips(many, s.engagement(), s.PREFS)

    shown = [v["video_id"] for r in fake.requests for v in data_blocks(r.user, "videos")[0].items()]
    assert sorted(shown) == sorted(c.video_id for c, _, _ in many[:MAX_CLIP_VIDEOS])
    assert len(fake.requests) == MAX_CLIP_VIDEOS // CLIP_BATCH and fake.max_in_flight == 2
    assert all(choose(engine, job).scored_by == "openai" for job in many[:MAX_CLIP_VIDEOS])  # type: ignore[union-attr]
    assert all(choose(engine, job).scored_by == "local" for job in many[MAX_CLIP_VIDEOS:])  # type: ignore[union-attr]
    assert any("2 videos" in note for note in engine.notes)


def test_a_per_stage_model_is_used_and_priced(fake: FakeOpenAI, records: Records) -> None:
    fake.models = {"gpt-4o"}
    fake.answer(segment_answer(densest))

    make_engine(fake, records, openrec_llm_models={"clip": "gpt-4o"}).prepare_clips(jobs(), s.engagement(), s.PREFS)

    (record,) = records
    assert record.model == "gpt-4o"
    prices = PriceTable(Settings().openrec_llm_prices)
    assert record.cost_usd == prices.cost("gpt-4o", tokens_in=record.tokens_in, tokens_out=record.tokens_out)


# -- ranking and explanations ---------------------------------------------------------


def feed_clips(count: int = 3) -> list[Clip]:
    """Local clips of `count` videos, as the rank stage receives them."""
    out = []
    for job in jobs(count):
        made = LOCAL.choose_clip(*job, s.engagement(), s.PREFS)
        assert made is not None
        out.append(made)
    return out


def rerank(engine: OpenAIEngine, clips: list[Clip]) -> list[str]:
    return engine.rerank(clips, s.candidates(), s.interests(), s.engagement(), s.PREFS)


def explain(engine: OpenAIEngine, the_clip: Clip) -> Explanation:
    candidate = next(c for c in s.candidates() if c.video_id == the_clip.video_id)
    return engine.explain(the_clip, candidate, s.interests()[0], s.engagement(), s.PREFS)


def prepare(engine: OpenAIEngine, clips: list[Clip]) -> None:
    engine.prepare_explanations(clips, s.candidates(), s.interests(), s.engagement(), s.PREFS)


OPENINGS = ["Since you keep asking about", "Your question about", "For the puzzle you posted on"]


def well_written(row: dict[str, Any], index: int) -> dict[str, Any]:
    phrase = " ".join(row["spoken"].split()[:5])
    text = f'{OPENINGS[index % 3]} {row["interest"]}, the speaker says "{phrase}".'
    return {"video_id": row["video_id"], "text": text, "tweet_ids": row["post_ids"][:2]}


def ranked_answer(request: ChatRequest) -> Reply:
    """A good model: the clips in reverse order, each explained."""
    rows = data_blocks(request.user, "clips")[0].items()[::-1]
    key = "ranked" if request.schema_name == "RankOutput" else "explanations"
    return structured({key: [well_written(row, i) for i, row in enumerate(rows)]})


def test_one_call_orders_the_clips_and_writes_every_explanation(fake: FakeOpenAI, records: Records) -> None:
    fake.answer(ranked_answer)
    engine = make_engine(fake, records)
    clips = feed_clips()

    order = rerank(engine, clips)
    explanations = [explain(engine, c) for c in clips]

    (request,) = fake.requests
    assert request.schema_name == "RankOutput" and request.system == load_prompt("rank").system
    assert order == [c.video_id for c in clips][::-1]
    rows = {r["video_id"]: r for r in data_blocks(request.user, "clips")[0].items()}
    for clip, explanation in zip(clips, explanations, strict=True):
        assert f'"{" ".join(rows[clip.video_id]["spoken"].split()[:5])}"' in explanation.text
        assert explanation.tweet_ids == rows[clip.video_id]["post_ids"][:2]
        assert set(explanation.tweet_ids) <= {e.tweet_id for e in s.engagement()}
    assert engine.explained == {c.video_id for c in clips}
    assert records.outcomes() == ["ok"]


def test_reranking_cannot_add_a_video(fake: FakeOpenAI, records: Records) -> None:
    def answer(request: ChatRequest) -> Reply:
        rows = data_blocks(request.user, "clips")[0].items()
        intruder = {"video_id": "dQw4w9WgXcQ", "text": 'Watch "this".', "tweet_ids": rows[0]["post_ids"][:1]}
        return structured({"ranked": [intruder, *(well_written(r, i) for i, r in enumerate(rows))]})

    fake.answer(answer)
    clips = feed_clips()

    assert rerank(make_engine(fake, records), clips) == [c.video_id for c in clips]


HOSTILE = {
    "an invented tweet id": lambda row: {"tweet_ids": ["1234567890123456789"]},
    "a quote not in the clip": lambda row: {"text": 'You will love this: "a phrase nobody ever said here".'},
    "markup": lambda row: {"text": f'<img src=x onerror=alert(1)> "{" ".join(row["spoken"].split()[:4])}".'},
    "a link": lambda row: {"text": f'See https://evil.example "{" ".join(row["spoken"].split()[:4])}".'},
    "four sentences": lambda row: {"text": f'One. Two. Three. "{" ".join(row["spoken"].split()[:4])}".'},
    "no quote": lambda row: {"text": "This clip is great for you."},
}


@pytest.mark.parametrize("flaw", sorted(HOSTILE))
def test_a_bad_explanation_is_refused_alone_and_the_log_says_why(fake: FakeOpenAI, records: Records, flaw: str) -> None:
    def answer(request: ChatRequest) -> Reply:
        rows = data_blocks(request.user, "clips")[0].items()
        items = [well_written(r, i) for i, r in enumerate(rows)]
        items[0] = {**items[0], **HOSTILE[flaw](rows[0])}
        return structured({"ranked": items})

    fake.answer(answer)
    engine = make_engine(fake, records)
    clips = feed_clips()

    rerank(engine, clips)

    with pytest.raises(ExplanationUnavailable) as refused:
        explain(engine, clips[0])
    assert all(explain(engine, c).text.startswith(tuple(OPENINGS)) for c in clips[1:])
    assert str(refused.value) and any(str(refused.value) in note for note in engine.notes)
    assert engine.explained == {c.video_id for c in clips[1:]}


def test_a_repeated_opening_is_refused(fake: FakeOpenAI, records: Records) -> None:
    def answer(request: ChatRequest) -> Reply:
        rows = data_blocks(request.user, "clips")[0].items()
        return structured({"ranked": [well_written(r, 0) for r in rows]})

    fake.answer(answer)
    engine = make_engine(fake, records)
    clips = feed_clips()
    rerank(engine, clips)

    assert explain(engine, clips[0]).text.startswith(OPENINGS[0])
    for clip in clips[1:]:
        with pytest.raises(ExplanationUnavailable, match="opens like another"):
            explain(engine, clip)


def test_explanations_missing_after_ranking_are_written_in_one_more_call(fake: FakeOpenAI, records: Records) -> None:
    def answer(request: ChatRequest) -> Reply:
        if request.schema_name == "RankOutput":
            rows = data_blocks(request.user, "clips")[0].items()
            return structured({"ranked": [well_written(rows[0], 0)]})
        return ranked_answer(request)

    fake.answer(answer)
    engine = make_engine(fake, records)
    clips = feed_clips()
    rerank(engine, clips)

    prepare(engine, clips)

    assert [r.schema_name for r in fake.requests] == ["RankOutput", "ExplainOutput"]
    again = [r["video_id"] for r in data_blocks(fake.requests[1].user, "clips")[0].items()]
    assert again == [c.video_id for c in clips[1:]]
    assert engine.explained == set() and all(explain(engine, c) for c in clips)
    assert engine.explained == {c.video_id for c in clips}


def test_truncated_json_is_asked_again_then_left_to_the_local_writer(fake: FakeOpenAI, records: Records) -> None:
    truncated = Reply(body=load_fixture("structured_output_length_truncated.json"))
    fake.queue(truncated, truncated)
    engine = make_engine(fake, records)
    clips = feed_clips()

    prepare(engine, clips)

    assert records.outcomes() == ["invalid", "invalid"]
    with pytest.raises(ExplanationUnavailable):
        explain(engine, clips[0])


def test_a_refusal_is_asked_again(fake: FakeOpenAI, records: Records) -> None:
    fake.queue(Reply(body=load_fixture("structured_output_refusal.json")))
    fake.answer(ranked_answer)

    prepare(make_engine(fake, records), feed_clips())

    assert records.outcomes() == ["invalid", "ok"]
    assert records[0].tokens_in > 0  # a refused reply still costs its tokens
    assert len(fake.requests[1].messages) == 3  # no assistant turn to echo: just the reason


# -- budget, cache, failures ----------------------------------------------------------


def test_no_call_is_made_beyond_the_budget(fake: FakeOpenAI, records: Records) -> None:
    engine = make_engine(fake, records, openrec_run_budget_usd=0.000001)

    prepare(engine, feed_clips())

    assert fake.requests == []
    assert records.outcomes() == ["budget"]
    assert engine.budget_exhausted
    assert any("budget" in note for note in engine.notes)


def test_the_budget_stops_the_model_mid_run(fake: FakeOpenAI, records: Records) -> None:
    # Output at $1000/M makes one call's projection (its 1600-token allowance) $1.60 while a
    # short reply costs about $0.15: the first call fits in $1.65, the second no longer does.
    fake.answer(ranked_answer)
    prices = {"gpt-4o-mini": (0.0, 1000.0)}
    engine = make_engine(fake, records, openrec_llm_prices=prices, openrec_run_budget_usd=1.65)
    clips = feed_clips(4)

    prepare(engine, clips[:2])
    prepare(engine, clips[2:])

    assert len(fake.requests) == 1
    assert records.outcomes() == ["ok", "budget"]
    assert engine.budget_exhausted
    assert engine.budget.spent_usd == records[0].cost_usd <= 1.65


def test_an_identical_request_is_answered_from_the_cache(fake: FakeOpenAI, records: Records) -> None:
    fake.answer(ranked_answer)
    unique = [c.model_copy(update={"quote": f"{c.quote} {uuid.uuid4().hex}"}) for c in feed_clips()]
    cache = LLMCache(get_sessionmaker())
    first, second = make_engine(fake, records, cache=cache), make_engine(fake, records, cache=cache)

    prepare(first, unique)
    prepare(second, unique)

    assert [explain(first, c) for c in unique] == [explain(second, c) for c in unique]
    assert len(fake.requests) == 1
    assert records.outcomes() == ["ok", "cached"]
    assert records[1].cost_usd == 0


def test_a_rejected_key_stops_the_run(fake: FakeOpenAI, records: Records) -> None:
    fake.answer(lambda request: fixture("error_401_invalid_api_key.json", status=401))
    with pytest.raises(LLMAuthError, match="rejected the API key"):
        prepare(make_engine(fake, records), feed_clips())

    assert records.outcomes() == ["error"]


def test_no_quota_hands_the_rest_of_the_run_to_the_local_engine(fake: FakeOpenAI, records: Records) -> None:
    fake.queue(fixture("error_429_insufficient_quota.json", status=429))
    engine = make_engine(fake, records)

    engine.prepare_clips(jobs(), s.engagement(), s.PREFS)
    prepare(engine, feed_clips())

    assert len(fake.requests) == 1
    assert records.outcomes() == ["error"]
    assert any("quota" in note for note in engine.notes)


def test_a_rejected_schema_is_surfaced_and_the_items_done_locally(fake: FakeOpenAI, records: Records) -> None:
    fake.queue(fixture("error_400_invalid_schema.json", status=400))
    engine = make_engine(fake, records)
    (job,) = jobs()

    engine.prepare_clips([job], s.engagement(), s.PREFS)

    assert choose(engine, job) == LOCAL.choose_clip(*job, s.engagement(), s.PREFS).model_copy(  # type: ignore[union-attr]
        update={"scored_by": "local"}
    )
    assert len(fake.requests) == 1
    assert records.outcomes() == ["error"]
    message = load_fixture("error_400_invalid_schema.json")["error"]["message"]
    assert message in (records[0].error or "")
    assert any(message in note for note in engine.notes)


def test_repeated_outages_hand_the_rest_of_the_run_to_the_local_engine(fake: FakeOpenAI, records: Records) -> None:
    fake.answer(lambda request: server_error())
    engine = make_engine(fake, records)

    for _ in range(4):
        prepare(engine, feed_clips())

    assert len(fake.requests) == 3
    assert records.outcomes() == ["error", "error", "error"]
    assert any("local engine" in note for note in engine.notes)


# -- prices ---------------------------------------------------------------------------


def test_prices_follow_the_model_family_and_discount_cached_input() -> None:
    prices = PriceTable({"gpt-4o": (2.5, 10.0), "gpt-4o-mini": (0.15, 0.6)})

    assert prices.for_model("gpt-4o-mini-2024-07-18") == (0.15, 0.6)
    assert prices.for_model("gpt-4o-2024-08-06") == (2.5, 10.0)
    assert prices.for_model("llama3.1:8b") == (0.0, 0.0)
    full = prices.cost("gpt-4o-mini", tokens_in=2006, tokens_out=300)
    cached = prices.cost("gpt-4o-mini", tokens_in=2006, tokens_out=300, tokens_cached=1920)
    assert full - cached == pytest.approx(1920 * 0.15 / 2 / 1_000_000)
