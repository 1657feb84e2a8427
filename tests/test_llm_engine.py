"""The LLM engine against the loopback server: what it sends, what it accepts, what it costs."""

from __future__ import annotations

import itertools
import json
import re
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from app.config import Settings
from app.db import get_sessionmaker
from app.llm.base import CallRecord
from app.llm.budget import PriceTable
from app.llm.cache import LLMCache
from app.llm.engine import MAX_ENGAGEMENT_SENT, MAX_SCREENED, SCREEN_BATCH, LLMAuthError, OpenAIEngine, screen_batches
from app.llm.local import LocalEngine
from app.llm.local.engine import clip_profile
from app.llm.local.sentences import split_sentences
from app.llm.openai_client import ChatClient
from app.llm.prompts import load_prompt
from app.llm.windows import MERGE_GAP_S, clip_passages
from app.schemas import Clip, Explanation, Preferences, Segment, TranscriptData
from app.validation import transcript_end, validate_clip
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


def clip() -> Clip:
    made = LOCAL.choose_clip(s.candidates()[0], s.interests()[0], s.transcript(), s.engagement(), s.PREFS)
    assert made is not None
    return made


def explain(engine: OpenAIEngine, the_clip: Clip | None = None) -> Explanation:
    evidence = s.engagement()[:4]
    return engine.explain(the_clip or clip(), s.candidates()[0], s.interests()[0], evidence, s.PREFS)


def local_explanation(the_clip: Clip | None = None) -> Explanation:
    evidence = s.engagement()[:4]
    return LOCAL.explain(the_clip or clip(), s.candidates()[0], s.interests()[0], evidence, s.PREFS)


def post_ids(request: ChatRequest, block: str = "posts") -> list[str]:
    return [item["id"] for b in data_blocks(request.user, block) for item in b.items()]


def good_explanation(request: ChatRequest) -> Reply:
    return structured(
        {"text": "You asked how hash joins spill; this clip shows it.", "tweet_ids": post_ids(request)[:2]}
    )


# -- interests and queries ------------------------------------------------------------


def test_interests_come_from_the_model_with_version_tokens_and_cost(fake: FakeOpenAI, records: Records) -> None:
    def answer(request: ChatRequest) -> Reply:
        ids = post_ids(request, "engagement")
        interest = {"name": "Hash joins", "description": "d", "weight": 0.8, "evidence_tweet_ids": ids[:3]}
        return structured({"interests": [{**interest, "keywords": ["hash join", "postgres"]}]})

    fake.answer(answer)
    engine = make_engine(fake, records)
    engagement = s.engagement() * 10  # more posts than are ever sent
    engagement = [e.model_copy(update={"tweet_id": f"{e.tweet_id}{i}"}) for i, e in enumerate(engagement)]

    interests = engine.infer_interests(engagement, s.PREFS)

    (request,) = fake.requests
    sent = data_blocks(request.user, "engagement")[0].items()
    heaviest = sorted(engagement, key=lambda e: -e.weight)[:MAX_ENGAGEMENT_SENT]
    assert [item["id"] for item in sent] == [e.tweet_id for e in heaviest]
    assert request.system == load_prompt("interests").system
    assert s.PREFS.instructions in request.user
    assert [i.name for i in interests] == ["Hash joins"]
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
    good = {"name": "Hash joins", "description": "d", "weight": 0.8, "evidence_tweet_ids": ids[:2], "keywords": []}
    fake.queue(structured({"interests": [bad]}), structured({"interests": [good]}))

    interests = make_engine(fake, records).infer_interests(s.engagement(), s.PREFS)

    assert [i.name for i in interests] == ["Hash joins"]
    assert records.outcomes() == ["invalid", "ok"]
    retry = fake.requests[1].messages
    assert retry[:2] == fake.requests[0].messages
    assert retry[2] == {"role": "assistant", "content": json.dumps({"interests": [bad]})}
    assert retry[3]["role"] == "user" and "999" in retry[3]["content"] and "rejected" in retry[3]["content"]


def test_queries_name_existing_interests_and_are_capped(fake: FakeOpenAI, records: Records) -> None:
    names = [i.name for i in s.interests()]
    many = [{"interest": names[0], "query": f"postgres planner talk {n}"} for n in range(6)]
    fake.queue(
        structured({"queries": [{"interest": "Crypto", "query": "bitcoin"}]}),
        structured({"queries": [*many, {"interest": names[1].upper(), "query": "bird migration lecture"}]}),
    )

    queries = make_engine(fake, records).write_queries(s.interests(), s.PREFS)

    assert records.outcomes() == ["invalid", "ok"]
    assert [q.query for q in queries if q.interest == names[0]] == [q["query"] for q in many[:4]]
    assert [(q.interest, q.query) for q in queries if q.interest != names[0]] == [(names[1], "bird migration lecture")]


# -- screening ------------------------------------------------------------------------


def test_the_model_screens_only_the_local_shortlist(fake: FakeOpenAI, records: Records) -> None:
    interest = s.interests()[0].name

    def answer(request: ChatRequest) -> Reply:
        items = data_blocks(request.user, "candidates")[0].items()
        decisions = [
            {"video_id": c["video_id"], "keep": i % 2 == 0, "interest": interest, "reason": "r", "score": 0.5}
            for i, c in enumerate(items[:-1])  # the last one is left out
        ]
        return structured({"decisions": decisions})

    fake.answer(answer)
    candidates = s.candidates()
    local = {d.video_id: d for d in LOCAL.screen(candidates, s.interests(), s.PREFS)}
    shortlist = [d.video_id for d in sorted((d for d in local.values() if d.keep), key=lambda d: -d.score)]
    assert len(shortlist) > MAX_SCREENED  # the data makes the cut matter

    decisions = make_engine(fake, records).screen(candidates, s.interests(), s.PREFS)

    sent = [c["video_id"] for r in fake.requests for c in data_blocks(r.user, "candidates")[0].items()]
    assert sorted(sent) == sorted(shortlist[:MAX_SCREENED])
    assert [len(data_blocks(r.user, "candidates")[0].items()) for r in fake.requests] == [10, 10]  # even batches
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
    assert records.outcomes() == ["ok", "ok"]


@pytest.mark.parametrize(("listed", "sizes"), [(0, []), (11, [11]), (SCREEN_BATCH + 1, [7, 6]), (20, [10, 10])])
def test_screen_calls_are_as_few_and_as_even_as_the_batch_limit_allows(listed: int, sizes: list[int]) -> None:
    batches = screen_batches(s.candidates()[:listed])

    assert [len(b) for b in batches] == sizes
    assert [c for b in batches for c in b] == s.candidates()[:listed]


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
    assert records.outcomes() == ["invalid", "ok", "invalid", "ok"]
    assert calls["n"] == 4


# -- clips ----------------------------------------------------------------------------


NO_CLIP = {"has_clip": False, "start_s": 0, "end_s": 0, "quote": "", "score": 0, "explanation": "", "tweet_ids": []}


def window_answer(request: ChatRequest, *, length_s: float = 60.0, explanation: str = "It answers you.") -> Reply:
    window = data_blocks(request.user, "window")[0]
    start = float(window.attrs["start"])
    words = re.sub(r"^\[[\d.]+\] ", "", window.lines[1]).split()[:10]
    quote = " ".join(words).capitalize() + "."  # the model "tidies" the caption text
    return structured(
        {
            "has_clip": True,
            "start_s": start + 0.4,
            "end_s": start + length_s,
            "quote": quote,
            "score": 0.9,
            "explanation": explanation,
            "tweet_ids": post_ids(request)[:1],
        }
    )


def test_a_close_call_shows_the_model_both_passages_never_the_whole_transcript(
    fake: FakeOpenAI, records: Records
) -> None:
    fake.answer(window_answer)
    transcript = s.transcript(rival=True)
    args = (s.candidates()[0], s.interests()[0], transcript, s.engagement(), s.PREFS)

    chosen = make_engine(fake, records).choose_clip(*args)

    (request,) = fake.requests
    windows = data_blocks(request.user, "window")
    assert len(windows) == 2
    local = LOCAL.choose_clip(*args)
    assert local is not None  # the local engine's passage, with a sentence of margin, is the first window
    assert int(windows[0].attrs["start"]) < local.start_s < local.end_s < int(windows[0].attrs["end"])
    sentences = split_sentences(transcript.segments)
    shown = [line for w in windows for line in w.lines]
    assert all(re.fullmatch(r"\[\d+\] \S.*", line) for line in shown)  # one sentence a line, whole seconds
    assert len({line.split("]")[0] for line in shown}) == len(shown) < len(sentences) / 2  # none twice
    sent_seconds = sum(float(w.attrs["end"]) - float(w.attrs["start"]) for w in windows)
    assert sent_seconds <= transcript_end(transcript) / 2
    assert "the hash table spills to disk in batches" in "\n".join(windows[0].lines)  # the dense passage
    assert chosen is not None
    assert validate_clip(chosen, transcript) == []
    assert chosen.start_s in {round(x.start, 2) for x in sentences}  # snapped to sentence boundaries
    assert chosen.end_s in {round(x.end, 2) for x in sentences}
    assert chosen.quote in " ".join(seg.text for seg in transcript.segments)  # the transcript's own words
    assert records.outcomes() == ["ok"]


def test_a_clearly_best_passage_is_left_to_the_local_engine(fake: FakeOpenAI, records: Records) -> None:
    args = (s.candidates()[0], s.interests()[0], s.transcript(), s.engagement(), s.PREFS)
    engine = make_engine(fake, records)

    chosen = engine.choose_clip(*args)
    assert chosen is not None
    explanation = engine.explain(chosen, s.candidates()[0], s.interests()[0], s.engagement()[:4], s.PREFS)

    assert fake.requests == []
    assert chosen == LOCAL.choose_clip(*args)
    assert explanation == local_explanation(chosen)
    (record,) = records
    assert (record.stage, record.outcome, record.tokens_in, record.cost_usd) == ("clip", "local", 0, 0.0)
    assert record.prompt_version == load_prompt("clip").version
    assert engine.notes == [
        "The local engine chose 1 clip without a model call: in each video one passage clearly outscored every other."
    ]


def test_a_clear_passage_the_local_engine_refuses_is_judged_by_the_model(fake: FakeOpenAI, records: Records) -> None:
    fake.queue(structured(NO_CLIP))
    prefs = Preferences(instructions="no hash joins please")
    args = (s.candidates()[0], s.interests()[0], s.transcript(), s.engagement(), prefs)
    assert LOCAL.choose_clip(*args) is None

    chosen = make_engine(fake, records).choose_clip(*args)

    assert chosen is None
    (request,) = fake.requests
    assert len(data_blocks(request.user, "window")) == 1
    assert "no hash joins please" in request.user
    assert records.outcomes() == ["ok"]


def close_rivals() -> TranscriptData:
    """The dense passage, then 50 s of filler and a shorter second pass."""
    texts = s.FILLER * 10 + s.DENSE * 4 + s.FILLER * 2 + s.DENSE * 2
    segments = [Segment(text=text, start=i * 5.0, duration=5.0) for i, text in enumerate(texts)]
    return TranscriptData(video_id="pg000000000", language_code="en", is_generated=False, segments=segments)


@pytest.mark.parametrize(
    ("transcript", "contested"),
    [(s.transcript(), False), (s.transcript(rival=True), True), (close_rivals(), True)],
)
def test_passages_hold_the_local_clip_with_a_sentence_of_margin_and_never_overlap(
    transcript: TranscriptData, contested: bool
) -> None:
    local = LOCAL.choose_clip(s.candidates()[0], s.interests()[0], transcript, s.engagement(), s.PREFS)
    assert local is not None

    passages = clip_passages(transcript.segments, clip_profile(s.interests()[0], s.engagement()), length=None)

    assert passages.contested == contested
    holding = [w for w in passages.windows if w.start <= local.start_s < local.end_s <= w.end]
    assert len(holding) == 1
    sentences = split_sentences(transcript.segments)
    first = next(i for i, x in enumerate(sentences) if round(x.start, 2) == local.start_s)
    last = next(i for i, x in enumerate(sentences) if round(x.end, 2) == local.end_s)
    assert {sentences[first - 1], sentences[last + 1]} <= set(holding[0].sentences)  # a sentence each side
    if not contested:
        assert holding[0].sentences == tuple(sentences[first - 1 : last + 2])
    for before, after in itertools.pairwise(passages.windows):
        assert after.start - before.end > MERGE_GAP_S  # closer windows are shown as one
    assert len(passages.windows) == (2 if transcript == s.transcript(rival=True) else 1)


def test_a_clip_outside_the_windows_is_sent_back(fake: FakeOpenAI, records: Records) -> None:
    fake.queue(structured(NO_CLIP | {"has_clip": True, "end_s": 45, "quote": "welcome back everyone", "score": 1}))
    fake.answer(window_answer)

    chosen = make_engine(fake, records).choose_clip(
        s.candidates()[0], s.interests()[0], s.transcript(rival=True), s.engagement(), s.PREFS
    )

    assert chosen is not None and chosen.start_s > 0
    assert records.outcomes() == ["invalid", "ok"]
    assert "not inside one window" in (records[0].error or "")


def test_a_too_short_clip_twice_falls_back_to_the_local_engine(fake: FakeOpenAI, records: Records) -> None:
    fake.answer(lambda request: window_answer(request, length_s=10))
    args = (s.candidates()[0], s.interests()[0], s.transcript(rival=True), s.engagement(), s.PREFS)

    chosen = make_engine(fake, records).choose_clip(*args)

    assert chosen == LOCAL.choose_clip(*args)
    assert records.outcomes() == ["invalid", "invalid"]
    assert "outside 30-180 s" in (records[0].error or "")


def test_the_model_may_find_no_clip(fake: FakeOpenAI, records: Records) -> None:
    fake.queue(structured(NO_CLIP))

    chosen = make_engine(fake, records).choose_clip(
        s.candidates()[0], s.interests()[0], s.transcript(rival=True), s.engagement(), s.PREFS
    )

    assert chosen is None
    assert records.outcomes() == ["ok"]


def test_a_per_stage_model_is_used_and_priced(fake: FakeOpenAI, records: Records) -> None:
    fake.models = {"gpt-4o"}
    fake.answer(window_answer)

    make_engine(fake, records, openrec_llm_models={"clip": "gpt-4o"}).choose_clip(
        s.candidates()[0], s.interests()[0], s.transcript(rival=True), s.engagement(), s.PREFS
    )

    (record,) = records
    assert record.model == "gpt-4o"
    prices = PriceTable(Settings().openrec_llm_prices)
    assert record.cost_usd == prices.cost("gpt-4o", tokens_in=record.tokens_in, tokens_out=record.tokens_out)


def test_the_clip_call_writes_the_explanation(fake: FakeOpenAI, records: Records) -> None:
    fake.answer(window_answer)
    engine = make_engine(fake, records)
    chosen = engine.choose_clip(s.candidates()[0], s.interests()[0], s.transcript(rival=True), s.engagement(), s.PREFS)
    assert chosen is not None

    explanation = explain(engine, chosen)

    assert len(fake.requests) == 1
    assert explanation == Explanation(text="It answers you.", tweet_ids=post_ids(fake.requests[0])[:1])
    assert records.outcomes() == ["ok"]


def test_a_written_explanation_that_breaks_the_rules_is_asked_for_again(fake: FakeOpenAI, records: Records) -> None:
    def answer(request: ChatRequest) -> Reply:
        if request.schema_name == "ClipOutput":
            return window_answer(request, explanation="<b>Watch</b> this")
        return good_explanation(request)

    fake.answer(answer)
    engine = make_engine(fake, records)
    chosen = engine.choose_clip(s.candidates()[0], s.interests()[0], s.transcript(rival=True), s.engagement(), s.PREFS)
    assert chosen is not None

    explanation = explain(engine, chosen)

    assert [r.schema_name for r in fake.requests] == ["ClipOutput", "ExplainOutput"]
    assert explanation.text.startswith("You asked")


# -- explanations ---------------------------------------------------------------------


def test_an_explanation_cites_posts_that_were_sent(fake: FakeOpenAI, records: Records) -> None:
    fake.answer(good_explanation)

    explanation = explain(make_engine(fake, records))

    assert explanation.tweet_ids == post_ids(fake.requests[0])[:2]
    assert explanation.text.startswith("You asked")
    assert records.outcomes() == ["ok"]


def test_an_invented_citation_twice_falls_back_to_the_local_engine(fake: FakeOpenAI, records: Records) -> None:
    fake.answer(lambda request: structured({"text": "Because.", "tweet_ids": ["1234"]}))

    explanation = explain(make_engine(fake, records))

    assert explanation == local_explanation()
    assert records.outcomes() == ["invalid", "invalid"]


def test_a_refusal_is_asked_again(fake: FakeOpenAI, records: Records) -> None:
    fake.queue(Reply(body=load_fixture("structured_output_refusal.json")))
    fake.answer(good_explanation)

    explain(make_engine(fake, records))

    assert records.outcomes() == ["invalid", "ok"]
    assert records[0].tokens_in > 0  # a refused reply still costs its tokens
    assert len(fake.requests[1].messages) == 3  # no assistant turn to echo: just the reason


# -- budget, cache, failures ----------------------------------------------------------


def test_no_call_is_made_beyond_the_budget(fake: FakeOpenAI, records: Records) -> None:
    engine = make_engine(fake, records, openrec_run_budget_usd=0.000001)

    explanation = explain(engine)

    assert fake.requests == []
    assert explanation == local_explanation()
    assert records.outcomes() == ["budget"]
    assert engine.budget_exhausted
    assert any("budget" in note for note in engine.notes)


def test_the_budget_stops_the_model_mid_run(fake: FakeOpenAI, records: Records) -> None:
    # Output at $1000/M makes one call's projection (its 300-token allowance) $0.30 while a
    # short reply costs about $0.02: the first call fits in $0.305, the second no longer does.
    fake.answer(good_explanation)
    prices = {"gpt-4o-mini": (0.0, 1000.0)}
    engine = make_engine(fake, records, openrec_llm_prices=prices, openrec_run_budget_usd=0.305)
    second = clip().model_copy(update={"start_s": 250.0})

    explain(engine)
    explanation = explain(engine, second)

    assert len(fake.requests) == 1
    assert records.outcomes() == ["ok", "budget"]
    assert explanation == local_explanation(second)
    assert engine.budget_exhausted
    assert engine.budget.spent_usd == records[0].cost_usd <= 0.305


def test_an_identical_request_is_answered_from_the_cache(fake: FakeOpenAI, records: Records) -> None:
    fake.answer(good_explanation)
    unique = clip().model_copy(update={"quote": f"{clip().quote} {uuid.uuid4().hex}"})
    cache = LLMCache(get_sessionmaker())

    first = explain(make_engine(fake, records, cache=cache), unique)
    second = explain(make_engine(fake, records, cache=cache), unique)

    assert first == second
    assert len(fake.requests) == 1
    assert records.outcomes() == ["ok", "cached"]
    assert records[1].cost_usd == 0


def test_a_rejected_key_stops_the_run(fake: FakeOpenAI, records: Records) -> None:
    fake.answer(lambda request: fixture("error_401_invalid_api_key.json", status=401))
    with pytest.raises(LLMAuthError, match="rejected the API key"):
        explain(make_engine(fake, records))

    assert records.outcomes() == ["error"]


def test_no_quota_hands_the_rest_of_the_run_to_the_local_engine(fake: FakeOpenAI, records: Records) -> None:
    fake.queue(fixture("error_429_insufficient_quota.json", status=429))
    engine = make_engine(fake, records)

    assert explain(engine) == local_explanation()
    assert explain(engine) == local_explanation()

    assert len(fake.requests) == 1
    assert records.outcomes() == ["error"]
    assert any("quota" in note for note in engine.notes)


def test_a_rejected_schema_is_surfaced_and_the_item_done_locally(fake: FakeOpenAI, records: Records) -> None:
    fake.queue(fixture("error_400_invalid_schema.json", status=400))
    engine = make_engine(fake, records)

    assert explain(engine) == local_explanation()

    assert len(fake.requests) == 1
    assert records.outcomes() == ["error"]
    message = load_fixture("error_400_invalid_schema.json")["error"]["message"]
    assert message in (records[0].error or "")
    assert any(message in note for note in engine.notes)


def test_repeated_outages_hand_the_rest_of_the_run_to_the_local_engine(fake: FakeOpenAI, records: Records) -> None:
    fake.answer(lambda request: server_error())
    engine = make_engine(fake, records)

    for _ in range(4):
        assert explain(engine) == local_explanation()

    assert len(fake.requests) == 3
    assert records.outcomes() == ["error", "error", "error"]
    assert any("local engine" in note for note in engine.notes)


def test_concurrent_callers_share_the_concurrency_limit(fake: FakeOpenAI, records: Records) -> None:
    def answer(request: ChatRequest) -> Reply:
        start = data_blocks(request.user, "clip")[0].items()[0]["clip_start_s"]
        return structured({"text": f"Clip at {start}.", "tweet_ids": post_ids(request)[:1]})

    fake.answer(answer)
    fake.latency_s = 0.2
    engine = make_engine(fake, records, openrec_llm_concurrency=2)
    clips = [clip().model_copy(update={"start_s": float(start)}) for start in (10, 20, 30, 40)]

    with ThreadPoolExecutor(max_workers=4) as pool:  # the pipeline calls from more threads than allowed
        explanations = list(pool.map(lambda c: explain(engine, c), clips))

    assert [e.text for e in explanations] == [f"Clip at {c.start_s}." for c in clips]
    assert fake.max_in_flight == 2
    assert records.outcomes() == ["ok"] * 4


# -- prices ---------------------------------------------------------------------------


def test_prices_follow_the_model_family_and_discount_cached_input() -> None:
    prices = PriceTable({"gpt-4o": (2.5, 10.0), "gpt-4o-mini": (0.15, 0.6)})

    assert prices.for_model("gpt-4o-mini-2024-07-18") == (0.15, 0.6)
    assert prices.for_model("gpt-4o-2024-08-06") == (2.5, 10.0)
    assert prices.for_model("llama3.1:8b") == (0.0, 0.0)
    full = prices.cost("gpt-4o-mini", tokens_in=2006, tokens_out=300)
    cached = prices.cost("gpt-4o-mini", tokens_in=2006, tokens_out=300, tokens_cached=1920)
    assert full - cached == pytest.approx(1920 * 0.15 / 2 / 1_000_000)
