"""A YouTube Data API v3 double on loopback: scripted answers per resource, requests recorded.

Each resource (`search`, `videos`) answers from its queue of (status, body) pairs in
order and repeats the last one; a status of 0 closes the connection without an answer,
as a dropped network does. Bodies are the recorded answers in tests/fixtures/youtube.
"""

from __future__ import annotations

import json
import threading
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

Answer = tuple[int, Any]


@dataclass
class SeenRequest:
    resource: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    raw_path: str


@dataclass
class YouTubeApiDouble:
    base_url: str = ""
    answers: dict[str, list[Answer]] = field(default_factory=lambda: defaultdict(list))
    requests: list[SeenRequest] = field(default_factory=list)

    def script(self, resource: str, *answers: Answer) -> None:
        self.answers[resource] = list(answers)

    def count(self, resource: str) -> int:
        return sum(1 for seen in self.requests if seen.resource == resource)

    def next_answer(self, resource: str) -> Answer:
        queue = self.answers.get(resource) or [(404, {"error": {"code": 404, "message": "Not Found"}})]
        return queue.pop(0) if len(queue) > 1 else queue[0]


@contextmanager
def run_youtube_api() -> Iterator[YouTubeApiDouble]:
    double = YouTubeApiDouble()
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            url = urlsplit(self.path)
            resource = url.path.rstrip("/").rsplit("/", 1)[-1]
            with lock:
                double.requests.append(
                    SeenRequest(resource, parse_qs(url.query), dict(self.headers.items()), self.path)
                )
                status, body = double.next_answer(resource)
            if status == 0:
                self.close_connection = True
                self.connection.close()
                return
            payload = body.encode() if isinstance(body, str) else json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json; charset=UTF-8")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, format: str, *args: Any) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    double.base_url = f"http://127.0.0.1:{server.server_address[1]}/youtube/v3"
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield double
    finally:
        server.shutdown()
        server.server_close()
