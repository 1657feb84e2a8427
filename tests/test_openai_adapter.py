"""Contract tests of the OpenAI-compatible adapter against a real loopback server."""

from __future__ import annotations

import json
import math
from collections.abc import Iterator

import pytest

from app.config import Settings
from app.llm.openai_client import (
    PLACEHOLDER_API_KEY,
    ChatClient,
    LLMAuthError,
    LLMReplyError,
    LLMRequestError,
    LLMUnavailable,
    Usage,
)
from app.llm.output_schemas import STAGE_OUTPUTS, ExplainOutput, WrittenOut, strict_json_schema
from tests.fake_openai_server import (
    FakeOpenAI,
    Reply,
    fixture,
    load_fixture,
    malformed,
    rate_limited,
    run_fake_openai,
    server_error,
    strict_schema_problems,
    structured,
)

MESSAGES = [{"role": "system", "content": "You explain."}, {"role": "user", "content": "Why this clip?"}]
WRITTEN = {
    "video_id": "abcdefghijk",
    "text": 'You wrote about cheese brine; here "the wheel soaks in brine for a day".',
    "tweet_ids": ["1850000000000000001"],
}
ANSWER = {"explanations": [WRITTEN]}


@pytest.fixture(scope="module")
def server() -> Iterator[FakeOpenAI]:
    with run_fake_openai() as fake:
        yield fake


@pytest.fixture
def fake(server: FakeOpenAI) -> Iterator[FakeOpenAI]:
    server.reset()
    yield server
    assert server.problems == []


class Sleeps(list[float]):
    def __call__(self, seconds: float) -> None:
        self.append(seconds)


@pytest.fixture
def sleeps() -> Sleeps:
    return Sleeps()


def make_client(fake: FakeOpenAI, sleeps: Sleeps, **kwargs: object) -> ChatClient:
    options: dict[str, object] = {"api_key": "sk-test", "base_url": fake.base_url, "max_retries": 2}
    options.update(kwargs)
    return ChatClient(sleep=sleeps, jitter=lambda: 0.5, **options)  # type: ignore[arg-type]


def ask(client: ChatClient) -> object:
    return client.complete(model="gpt-4o-mini", messages=MESSAGES, output=ExplainOutput, max_tokens=200)


def test_sends_a_strict_json_schema_chat_completion(fake: FakeOpenAI, sleeps: Sleeps) -> None:
    fake.models = {"gpt-4o-mini"}
    fake.queue(structured(ANSWER))

    completion = ask(make_client(fake, sleeps))

    (request,) = fake.requests
    assert request.headers["authorization"] == "Bearer sk-test"
    assert request.body["model"] == "gpt-4o-mini"
    assert request.body["messages"] == MESSAGES
    assert request.body["max_tokens"] == 200
    assert completion.model == "gpt-4o-mini"
    fmt = request.body["response_format"]
    assert fmt["type"] == "json_schema"
    assert fmt["json_schema"]["name"] == "ExplainOutput"
    assert fmt["json_schema"]["strict"] is True
    assert fmt["json_schema"]["schema"] == strict_json_schema(ExplainOutput)
    assert completion.value == ExplainOutput(**ANSWER)
    assert json.loads(completion.content) == ANSWER


def test_usage_is_read_from_the_reply(fake: FakeOpenAI, sleeps: Sleeps) -> None:
    fake.queue(structured(ANSWER))

    completion = ask(make_client(fake, sleeps))

    sent = fake.requests[0].estimated_prompt_tokens()
    assert completion.usage == Usage(tokens_in=sent, tokens_out=math.ceil(len(completion.content) / 4), tokens_cached=0)


def test_cached_tokens_are_reported(fake: FakeOpenAI, sleeps: Sleeps) -> None:
    usage = load_fixture("chat_completion_cached_tokens.json")["usage"]
    fake.queue(structured(ANSWER, usage=usage))

    completion = ask(make_client(fake, sleeps))

    details = usage["prompt_tokens_details"]
    assert completion.usage == Usage(usage["prompt_tokens"], usage["completion_tokens"], details["cached_tokens"])


def test_usage_without_prompt_token_details_counts_no_cached_tokens(fake: FakeOpenAI, sleeps: Sleeps) -> None:
    usage = load_fixture("chat_completion_no_details.json")["usage"]
    assert "prompt_tokens_details" not in usage
    fake.queue(structured(ANSWER, usage=usage))

    completion = ask(make_client(fake, sleeps))

    assert completion.usage == Usage(usage["prompt_tokens"], usage["completion_tokens"], 0)


def test_a_429_waits_what_retry_after_says_then_succeeds(fake: FakeOpenAI, sleeps: Sleeps) -> None:
    fake.queue(rate_limited(), structured(ANSWER))

    completion = ask(make_client(fake, sleeps))

    retry_after = float(load_fixture("error_429_rate_limit.headers.json")["headers"]["retry-after"])
    assert sleeps == [retry_after]
    assert len(fake.requests) == 2
    assert completion.value.explanations == [WrittenOut(**WRITTEN)]


def test_retry_after_in_milliseconds_is_honoured(fake: FakeOpenAI, sleeps: Sleeps) -> None:
    reply = rate_limited()
    reply.headers = {"retry-after-ms": "1500"}
    fake.queue(reply, structured(ANSWER))

    ask(make_client(fake, sleeps))

    assert sleeps == [1.5]


def test_5xx_backs_off_exponentially_with_jitter(fake: FakeOpenAI, sleeps: Sleeps) -> None:
    fake.queue(server_error(), server_error(), structured(ANSWER))
    client = make_client(fake, sleeps)

    ask(client)

    assert len(fake.requests) == 3
    assert sleeps == [client.backoff(0), client.backoff(1)]
    assert sleeps[1] == 2 * sleeps[0] > 0


def test_backoff_stays_within_half_and_whole_step() -> None:
    low = ChatClient(api_key="k", jitter=lambda: 0.0)
    high = ChatClient(api_key="k", jitter=lambda: 1.0)
    for attempt in range(4):
        assert high.backoff(attempt) == 2 * low.backoff(attempt)
        assert low.backoff(attempt + 1) == 2 * low.backoff(attempt)


def test_gives_up_after_max_retries(fake: FakeOpenAI, sleeps: Sleeps) -> None:
    fake.queue(server_error(), server_error(), server_error())

    with pytest.raises(LLMUnavailable, match="500"):
        ask(make_client(fake, sleeps, max_retries=2))

    assert len(fake.requests) == 3
    assert len(sleeps) == 2


def test_insufficient_quota_is_not_retried(fake: FakeOpenAI, sleeps: Sleeps) -> None:
    fake.queue(fixture("error_429_insufficient_quota.json", status=429), structured(ANSWER))

    with pytest.raises(LLMRequestError, match="quota") as raised:
        ask(make_client(fake, sleeps))

    assert raised.value.quota
    assert len(fake.requests) == 1
    assert sleeps == []
    fake.reset()  # the unused scripted reply


def test_an_invalid_key_is_a_clear_error(fake: FakeOpenAI, sleeps: Sleeps) -> None:
    fake.queue(fixture("error_401_invalid_api_key.json", status=401))

    with pytest.raises(LLMAuthError, match="rejected the API key: Incorrect API key provided"):
        ask(make_client(fake, sleeps))

    assert len(fake.requests) == 1


def test_a_rejected_schema_is_surfaced_without_retry(fake: FakeOpenAI, sleeps: Sleeps) -> None:
    fake.queue(fixture("error_400_invalid_schema.json", status=400))

    with pytest.raises(LLMRequestError, match="Invalid schema for response_format") as raised:
        ask(make_client(fake, sleeps))

    assert not raised.value.quota
    assert len(fake.requests) == 1
    assert sleeps == []


def test_a_malformed_body_is_retried(fake: FakeOpenAI, sleeps: Sleeps) -> None:
    fake.queue(malformed(), structured(ANSWER))

    completion = ask(make_client(fake, sleeps))

    assert len(fake.requests) == 2
    assert len(sleeps) == 1
    assert completion.value.explanations[0].text == WRITTEN["text"]


def test_a_timeout_is_retried(fake: FakeOpenAI, sleeps: Sleeps) -> None:
    slow = structured(ANSWER, delay_s=1.0)
    fake.queue(slow, structured(ANSWER))

    completion = ask(make_client(fake, sleeps, timeout_s=0.2))

    assert len(fake.requests) == 2
    assert len(sleeps) == 1
    assert completion.value.explanations[0].text == WRITTEN["text"]


def test_a_refusal_is_an_invalid_reply_with_its_usage(fake: FakeOpenAI, sleeps: Sleeps) -> None:
    body = load_fixture("structured_output_refusal.json")
    fake.queue(Reply(body=body))

    with pytest.raises(LLMReplyError, match="refused") as raised:
        ask(make_client(fake, sleeps))

    assert raised.value.usage == Usage(body["usage"]["prompt_tokens"], body["usage"]["completion_tokens"], 0)
    assert len(fake.requests) == 1


def test_a_reply_cut_at_the_token_limit_is_invalid(fake: FakeOpenAI, sleeps: Sleeps) -> None:
    body = load_fixture("structured_output_length_truncated.json")
    fake.queue(Reply(body=body))

    with pytest.raises(LLMReplyError, match="token limit") as raised:
        ask(make_client(fake, sleeps))

    assert raised.value.content == body["choices"][0]["message"]["content"]


def test_a_reply_that_violates_the_schema_is_invalid(fake: FakeOpenAI, sleeps: Sleeps) -> None:
    fake.queue(structured({"explanations": [{"text": "no ids", "extra": 1}]}))

    with pytest.raises(LLMReplyError, match="does not match the schema") as raised:
        ask(make_client(fake, sleeps))

    assert "tweet_ids" in str(raised.value)
    assert len(fake.requests) == 1


def test_content_that_is_not_json_is_invalid(fake: FakeOpenAI, sleeps: Sleeps) -> None:
    fake.queue(structured("Sure! Here is the JSON you asked for."))

    with pytest.raises(LLMReplyError, match="does not match the schema"):
        ask(make_client(fake, sleeps))


def test_a_base_url_alone_sends_a_placeholder_key(fake: FakeOpenAI) -> None:
    settings = Settings(openai_api_key="", openai_base_url=fake.base_url, openrec_llm_max_retries=0)
    fake.queue(structured(ANSWER))

    ask(ChatClient.from_settings(settings))

    assert fake.requests[0].headers["authorization"] == f"Bearer {PLACEHOLDER_API_KEY}"


@pytest.mark.parametrize("stage", sorted(STAGE_OUTPUTS))
def test_every_stage_schema_is_strict(stage: str) -> None:
    schema = strict_json_schema(STAGE_OUTPUTS[stage])

    assert schema["type"] == "object"
    assert strict_schema_problems(schema) == []
