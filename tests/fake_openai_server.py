"""A small OpenAI-compatible server on loopback, for tests and benchmarks of the LLM path.

The openai client speaks HTTP through httpx2, which respx cannot intercept, so the adapter
is tested against this real server instead. It checks every request the way a strict
server would (model, messages, a strict `json_schema` response format, max_tokens, a bearer
key) and answers with bodies built from captured OpenAI replies in `tests/fixtures/openai/`:
scripted replies are served first, in order, then the `answer` function (if any) answers.
Token usage is estimated as one token per four characters of the messages unless a reply
sets it, so usage figures grow with what is really sent.
"""

from __future__ import annotations

import asyncio
import copy
import json
import math
import re
import socket
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "openai"
SCHEMA_NAME = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


_BLOCK = re.compile(r'<data name="(?P<name>[^"]+)"(?P<attrs>[^>]*)>\n(?P<body>.*?)\n</data>', re.DOTALL)
_ATTR = re.compile(r'(\w+)="([^"]*)"')


@dataclass(frozen=True)
class DataBlock:
    name: str
    attrs: dict[str, str]
    lines: list[str]

    def items(self) -> list[dict[str, Any]]:
        """The block's records, each line a JSON array under the block's `columns`."""
        columns = self.attrs["columns"].split(",")
        return [dict(zip(columns, json.loads(line), strict=True)) for line in self.lines if line]


def data_blocks(text: str, name: str) -> list[DataBlock]:
    """Every `<data name=...>` block of that name in a prompt, as the model would read it."""
    return [
        DataBlock(name=m["name"], attrs=dict(_ATTR.findall(m["attrs"])), lines=m["body"].split("\n"))
        for m in _BLOCK.finditer(text)
        if m["name"] == name
    ]


def load_fixture(name: str) -> Any:
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))


@dataclass
class ChatRequest:
    """One request as the server received it."""

    body: dict[str, Any]
    headers: dict[str, str]

    @property
    def model(self) -> str:
        return str(self.body.get("model", ""))

    @property
    def messages(self) -> list[dict[str, Any]]:
        return list(self.body.get("messages", []))

    @property
    def schema_name(self) -> str:
        return str(self.body.get("response_format", {}).get("json_schema", {}).get("name", ""))

    @property
    def schema(self) -> dict[str, Any]:
        return dict(self.body.get("response_format", {}).get("json_schema", {}).get("schema", {}))

    @property
    def system(self) -> str:
        return str(self.messages[0]["content"]) if self.messages else ""

    @property
    def user(self) -> str:
        """The first user message: the one that carries the stage's data."""
        return next((str(m["content"]) for m in self.messages if m.get("role") == "user"), "")

    @property
    def text(self) -> str:
        return "\n".join(str(m.get("content", "")) for m in self.messages)

    def estimated_prompt_tokens(self) -> int:
        return math.ceil(len(self.text) / 4)


@dataclass
class Reply:
    """What the server sends back; a structured reply without `usage` gets an estimated one."""

    status: int = 200
    body: Any = None  # a JSON value, or bytes sent as they are
    headers: dict[str, str] = field(default_factory=dict)
    delay_s: float = 0.0
    usage: dict[str, Any] | None = None
    estimate_usage: bool = False


def structured(
    data: Any, *, usage: dict[str, Any] | None = None, finish_reason: str = "stop", delay_s: float = 0.0
) -> Reply:
    """A 200 structured-output reply whose content is `data` as JSON (or a raw string)."""
    body = load_fixture("structured_output_response.json")
    message = body["choices"][0]["message"]
    message["content"] = data if isinstance(data, str) else json.dumps(data)
    body["choices"][0]["finish_reason"] = finish_reason
    return Reply(body=body, usage=usage, delay_s=delay_s, estimate_usage=usage is None)


def fixture(name: str, *, status: int = 200, headers: str | None = None) -> Reply:
    """A captured body served as is, with the headers of a captured header file."""
    sent_headers = load_fixture(headers)["headers"] if headers else {}
    sent_headers = {k: v for k, v in sent_headers.items() if k.lower() not in {"content-type", "content-length"}}
    return Reply(status=status, body=load_fixture(name), headers=sent_headers)


def malformed() -> Reply:
    """A 200 whose JSON body is cut short, as a broken proxy might send."""
    return Reply(body=b'{"id": "chatcmpl-broken", "object": "chat.completion", "choices": [{"ind')


def rate_limited() -> Reply:
    return fixture("error_429_rate_limit.json", status=429, headers="error_429_rate_limit.headers.json")


def server_error() -> Reply:
    return fixture("error_500_server_error.json", status=500)


def strict_schema_problems(node: Any, path: str = "schema") -> list[str]:
    """What a strict structured-output server would reject in a JSON schema."""
    problems: list[str] = []
    if isinstance(node, dict):
        if node.get("type") == "object":
            props = node.get("properties", {})
            if node.get("additionalProperties") is not False:
                problems.append(f"{path}: additionalProperties must be false")
            if set(node.get("required", [])) != set(props):
                problems.append(f"{path}: every property must be required")
        for key, value in node.items():
            problems += strict_schema_problems(value, f"{path}.{key}")
    elif isinstance(node, list):
        for i, item in enumerate(node):
            problems += strict_schema_problems(item, f"{path}[{i}]")
    return problems


def request_problems(request: ChatRequest, models: set[str] | None) -> list[str]:
    body = request.body
    problems: list[str] = []
    if not re.match(r"^Bearer \S+$", request.headers.get("authorization", "")):
        problems.append("no bearer API key")
    if not isinstance(body.get("model"), str) or not body["model"]:
        problems.append("model missing")
    elif models is not None and body["model"] not in models:
        problems.append(f"unexpected model {body['model']!r}")
    messages = body.get("messages")
    if not isinstance(messages, list) or not messages:
        problems.append("messages missing")
    else:
        for m in messages:
            if m.get("role") not in {"system", "user", "assistant"} or not isinstance(m.get("content"), str):
                problems.append(f"bad message {str(m)[:80]}")
        if messages[0].get("role") != "system":
            problems.append("the first message must be the system prompt")
    fmt = body.get("response_format", {})
    spec = fmt.get("json_schema", {}) if isinstance(fmt, dict) else {}
    if fmt.get("type") != "json_schema":
        problems.append("response_format.type must be json_schema")
    elif spec.get("strict") is not True or not SCHEMA_NAME.match(str(spec.get("name", ""))):
        problems.append("json_schema needs a name and strict: true")
    elif spec.get("schema", {}).get("type") != "object":
        problems.append("the root schema must be an object")
    else:
        problems += strict_schema_problems(spec["schema"])
    if not isinstance(body.get("max_tokens"), int) or body["max_tokens"] <= 0:
        problems.append("max_tokens must be a positive integer")
    return problems


class FakeOpenAI:
    """The server's state: what was received, what to answer, and what was wrong."""

    def __init__(self) -> None:
        self.requests: list[ChatRequest] = []
        self.problems: list[str] = []
        self.latency_s = 0.0
        self.models: set[str] | None = None
        self.base_url = ""
        self.max_in_flight = 0
        self._in_flight = 0
        self._script: deque[Reply] = deque()
        self._answer: Callable[[ChatRequest], Reply] | None = None
        self._lock = threading.Lock()
        self.app = Starlette(routes=[Route("/v1/chat/completions", self._chat, methods=["POST"])])

    def queue(self, *replies: Reply) -> None:
        with self._lock:
            self._script.extend(replies)

    def answer(self, responder: Callable[[ChatRequest], Reply] | None) -> None:
        self._answer = responder

    def reset(self) -> None:
        with self._lock:
            self.requests.clear()
            self.problems.clear()
            self._script.clear()
        self._answer = None
        self.latency_s = 0.0
        self.models = None
        self.max_in_flight = 0

    def _next_reply(self, request: ChatRequest) -> Reply:
        with self._lock:
            self.requests.append(request)
            problems = request_problems(request, self.models)
            self.problems += problems
            scripted = self._script.popleft() if self._script else None
        if problems:
            body = load_fixture("error_400_invalid_schema.json")
            body["error"]["message"] = "; ".join(problems)
            return Reply(status=400, body=body)
        if scripted is not None:
            return scripted
        if self._answer is not None:
            return self._answer(request)
        with self._lock:
            self.problems.append("no scripted reply left")
        return server_error()

    async def _chat(self, http: Request) -> Response:
        started = time.monotonic()
        with self._lock:
            self._in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self._in_flight)
        try:
            request = ChatRequest(body=await http.json(), headers=dict(http.headers))
            reply = await asyncio.to_thread(self._next_reply, request)
            remaining = self.latency_s + reply.delay_s - (time.monotonic() - started)
            if remaining > 0:
                await asyncio.sleep(remaining)
        finally:
            with self._lock:
                self._in_flight -= 1
        return Response(
            content=self._encode(reply, request),
            status_code=reply.status,
            headers=reply.headers,
            media_type="application/json",
        )

    @staticmethod
    def _encode(reply: Reply, request: ChatRequest) -> bytes:
        if isinstance(reply.body, bytes):
            return reply.body
        body = copy.deepcopy(reply.body)
        if reply.status == 200 and isinstance(body, dict) and body.get("object") == "chat.completion":
            body["model"] = request.model
            if reply.usage is not None:
                body["usage"] = reply.usage
            elif reply.estimate_usage:
                content = body["choices"][0]["message"].get("content") or ""
                prompt, completion = request.estimated_prompt_tokens(), math.ceil(len(content) / 4)
                body["usage"] = {
                    "prompt_tokens": prompt,
                    "completion_tokens": completion,
                    "total_tokens": prompt + completion,
                    "prompt_tokens_details": {"cached_tokens": 0, "audio_tokens": 0},
                }
        return json.dumps(body).encode()


@contextmanager
def run_fake_openai() -> Iterator[FakeOpenAI]:
    """Serve a FakeOpenAI on a free loopback port for the duration of the block."""
    fake = FakeOpenAI()
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(fake.app, log_level="warning", lifespan="off", access_log=False))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the fake OpenAI server did not start")
        time.sleep(0.01)
    fake.base_url = f"http://127.0.0.1:{port}/v1"
    try:
        yield fake
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()
