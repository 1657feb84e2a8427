"""The one module that speaks to an OpenAI-compatible server, through the official client.

It sends Chat Completions with a strict JSON-schema `response_format` (understood by
OpenAI, Ollama, vLLM, llama.cpp and LM Studio) and turns every outcome into either a
parsed, schema-valid reply with its token usage, or one of the errors below. Retries are
done here (with tenacity), explicitly, instead of by the client library, because the library retries every
429, including "insufficient quota", which never succeeds on retry:

- 429 rate limit, 5xx, timeouts, dropped connections and unreadable bodies are retried up to
  `max_retries` times, waiting `retry-after` when the server sends it (at most
  `MAX_RETRY_WAIT_S`) and otherwise an exponential backoff with jitter;
- 401 raises `LLMAuthError`, which fails the run with a readable reason;
- 429 insufficient quota, 400 (for example a schema the server rejects) and other 4xx raise
  `LLMRequestError` at once;
- a refusal, a reply cut at the token limit, or content that is not JSON of the schema
  raises `LLMReplyError`, which carries the tokens the reply cost.
"""

from __future__ import annotations

import json
import random
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar, cast

import openai
import tenacity
from pydantic import BaseModel, ValidationError

from app.config import Settings
from app.llm.output_schemas import strict_json_schema

PLACEHOLDER_API_KEY = "not-needed"  # local servers ignore the key, the client requires one
BACKOFF_BASE_S = 0.5
BACKOFF_CAP_S = 20.0
MAX_RETRY_WAIT_S = 60.0

T = TypeVar("T", bound=BaseModel)
Message = dict[str, str]


class LLMError(Exception):
    """Base of every failure of a model call."""


class LLMAuthError(LLMError):
    """The server rejected the API key: nothing will work until the settings change."""


class LLMRequestError(LLMError):
    """The server refused the request itself; sending it again would not help."""

    def __init__(self, message: str, *, quota: bool = False) -> None:
        super().__init__(message)
        self.quota = quota


class LLMUnavailable(LLMError):
    """The server kept failing (429, 5xx, timeouts) after every retry."""


class _Transient(Exception):
    """A failure worth another try, with the wait the server asked for (if any)."""

    def __init__(self, failure: openai.OpenAIError, wait: float | None) -> None:
        super().__init__(str(failure))
        self.failure = failure
        self.wait = wait


@dataclass(frozen=True)
class Usage:
    tokens_in: int = 0
    tokens_out: int = 0
    tokens_cached: int = 0


class LLMReplyError(LLMError):
    """The server answered, but not with JSON of the schema; the tokens were spent anyway."""

    def __init__(self, message: str, *, usage: Usage, content: str | None) -> None:
        super().__init__(message)
        self.usage = usage
        self.content = content


@dataclass(frozen=True)
class Completion(Generic[T]):
    value: T
    content: str  # the raw JSON text, echoed back when the engine re-asks
    usage: Usage
    model: str


class ChatClient:
    """Structured Chat Completions with explicit retries; thread-safe (one HTTP pool)."""

    def __init__(
        self,
        *,
        api_key: str,
        base_url: str = "",
        timeout_s: float = 60.0,
        max_retries: int = 3,
        sleep: Callable[[float], None] = time.sleep,
        jitter: Callable[[], float] = random.random,
    ) -> None:
        self._client = openai.OpenAI(
            api_key=api_key or PLACEHOLDER_API_KEY,
            base_url=base_url or None,
            timeout=timeout_s,
            max_retries=0,
        )
        self._max_retries = max_retries
        self._sleep = sleep
        self._jitter = jitter

    @classmethod
    def from_settings(cls, settings: Settings) -> ChatClient:
        return cls(
            api_key=settings.openai_api_key,
            base_url=settings.openai_base_url,
            timeout_s=settings.openrec_llm_timeout_s,
            max_retries=settings.openrec_llm_max_retries,
        )

    def close(self) -> None:
        self._client.close()

    def complete(self, *, model: str, messages: Sequence[Message], output: type[T], max_tokens: int) -> Completion[T]:
        """One structured reply of type `output`, retried as the module docstring says."""
        response_format = {
            "type": "json_schema",
            "json_schema": {"name": output.__name__, "strict": True, "schema": strict_json_schema(output)},
        }
        retrying = tenacity.Retrying(
            stop=tenacity.stop_after_attempt(self._max_retries + 1),
            wait=self._wait,
            retry=tenacity.retry_if_exception_type(_Transient),
            sleep=self._sleep,
            reraise=True,
        )
        try:
            return retrying(self._complete_once, model, messages, output, max_tokens, response_format)
        except _Transient as exc:  # every attempt failed
            tries = self._max_retries + 1
            raise LLMUnavailable(f"the LLM failed {tries} times: {_describe(exc.failure)}") from exc.failure

    def _complete_once(
        self, model: str, messages: Sequence[Message], output: type[T], max_tokens: int, response_format: Any
    ) -> Completion[T]:
        """One request; a failure worth retrying is raised as `_Transient`."""
        try:
            reply = self._client.chat.completions.create(
                model=model,
                messages=cast(Any, list(messages)),
                response_format=cast(Any, response_format),
                max_tokens=max_tokens,
            )
            return _parse(reply, output)
        except openai.AuthenticationError as exc:
            raise LLMAuthError(f"the LLM rejected the API key: {_message(exc)}") from exc
        except openai.RateLimitError as exc:
            if _is_quota(exc):
                raise LLMRequestError(f"the LLM account has no quota left: {_message(exc)}", quota=True) from exc
            raise _Transient(exc, _retry_after(exc.response.headers)) from exc
        except (openai.InternalServerError, openai.APIConnectionError, openai.APIResponseValidationError) as exc:
            raise _Transient(exc, None) from exc
        except json.JSONDecodeError as exc:  # a 200 whose body is not JSON (a broken proxy)
            raise _Transient(openai.OpenAIError(f"unreadable response body: {exc}"), None) from exc
        except openai.APIStatusError as exc:
            raise LLMRequestError(f"the LLM refused the request ({exc.status_code}): {_message(exc)}") from exc

    def _wait(self, state: tenacity.RetryCallState) -> float:
        """What the server asked for, else the backoff of this attempt."""
        failure = state.outcome.exception() if state.outcome is not None else None
        if isinstance(failure, _Transient) and failure.wait is not None:
            return failure.wait
        return self.backoff(state.attempt_number - 1)

    def backoff(self, attempt: int) -> float:
        """Exponential backoff with "equal jitter": half the step fixed, half random."""
        step = min(BACKOFF_CAP_S, BACKOFF_BASE_S * 2.0**attempt)
        return step / 2 + self._jitter() * step / 2


def _parse(reply: Any, output: type[T]) -> Completion[T]:
    usage = _usage(reply)
    if not reply.choices:
        raise LLMReplyError("the reply has no choices", usage=usage, content=None)
    choice = reply.choices[0]
    content = choice.message.content
    refusal = getattr(choice.message, "refusal", None)
    if refusal:
        raise LLMReplyError(f"the model refused: {refusal}", usage=usage, content=None)
    if choice.finish_reason == "length":
        raise LLMReplyError("the reply was cut at the token limit", usage=usage, content=content)
    if not content:
        raise LLMReplyError("the reply is empty", usage=usage, content=None)
    try:
        value = output.model_validate_json(content)
    except ValidationError as exc:
        problem = f"the reply does not match the schema: {_errors(exc)}"
        raise LLMReplyError(problem, usage=usage, content=content) from exc
    return Completion(value=value, content=content, usage=usage, model=str(reply.model or ""))


def _usage(reply: Any) -> Usage:
    usage = getattr(reply, "usage", None)
    if usage is None:
        return Usage()
    details = getattr(usage, "prompt_tokens_details", None)
    cached = getattr(details, "cached_tokens", None) if details is not None else None
    return Usage(
        tokens_in=int(usage.prompt_tokens or 0),
        tokens_out=int(usage.completion_tokens or 0),
        tokens_cached=int(cached or 0),
    )


def _errors(exc: ValidationError) -> str:
    parts = [f"{'.'.join(str(p) for p in err['loc']) or 'reply'}: {err['msg']}" for err in exc.errors()[:5]]
    return "; ".join(parts)


def _is_quota(exc: openai.APIStatusError) -> bool:
    return "insufficient_quota" in (exc.code or "", exc.type or "")


def _retry_after(headers: Any) -> float | None:
    """Seconds the server asked us to wait (`retry-after-ms` or `retry-after`), capped."""
    for name, scale in (("retry-after-ms", 0.001), ("retry-after", 1.0)):
        raw = headers.get(name)
        if raw is None:
            continue
        try:
            seconds = float(raw) * scale
        except ValueError:
            continue
        if seconds >= 0:
            return min(seconds, MAX_RETRY_WAIT_S)
    return None


def _message(exc: openai.APIError) -> str:
    body = exc.body
    if isinstance(body, dict) and isinstance(body.get("message"), str):
        return str(body["message"])
    return exc.message


def _describe(exc: openai.OpenAIError) -> str:
    if isinstance(exc, openai.APIStatusError):
        return f"{exc.status_code} {_message(exc)}"
    if isinstance(exc, openai.APITimeoutError):
        return "the request timed out"
    return str(exc)
