"""Benchmark: the feed over HTTP against /healthz, on SQLite and PostgreSQL.

Seeds one user with 10,000 recommendations (200 runs of 50 clips, each citing two of
the user's posts), starts a real uvicorn server on loopback, signs in, and drives it
with an async httpx load generator at 16 concurrent connections, one endpoint at a
time: /healthz, the feed's first page, a page deep in the cursor (as a full page and as
the htmx fragment infinite scroll fetches) and the same deep page from the JSON API.
Prints requests/s and p50/p99 latency of each, and the CPU time one request costs the
server process, read from /proc: on a busy machine throughput and latency move with
the neighbours' load much more than the CPU cost of a request does. (PostgreSQL's own
backends are not counted in it.)

    .venv/bin/python bench/feed_http.py [--seconds 3] [--rounds 3] [--postgres postgresql+psycopg://…/test]
    .venv/bin/python bench/feed_http.py --no-postgres

Goals: the feed serves at least 40% of /healthz's throughput, p99 under 50 ms, and a
deep page as fast as the first (keyset pagination).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import httpx
from sqlalchemy import create_engine, insert, select, text
from sqlalchemy.orm import Session

from app.db import make_engine
from app.models import PipelineRun, Recommendation, Tweet, Video
from app.services.feed import cursor_encode
from app.services.users import user_create

ROOT = Path(__file__).resolve().parents[1]
PASSWORD = "benchmark passphrase"
RUNS, PER_RUN, VIDEOS, TWEETS = 200, 50, 1000, 100
CONCURRENCY = 16
DEFAULT_PG = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


@dataclass
class Result:
    name: str
    requests: int
    seconds: float
    latencies_ms: list[float]
    errors: int
    cpu_ms: float  # server process CPU per request

    @property
    def rps(self) -> float:
        return self.requests / self.seconds

    def percentile(self, p: float) -> float:
        ordered = sorted(self.latencies_ms)
        return ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))]


def seed(database_url: str) -> tuple[str, str]:
    """The user's email and a cursor 9,000 clips deep."""
    engine = make_engine(database_url)
    email = f"bench-{uuid.uuid4().hex[:8]}@example.com"
    now = datetime.now(UTC)
    with Session(engine) as db:
        user = user_create(db, email=email, password=PASSWORD)
        db.execute(
            insert(Video),
            [
                {"id": f"v{i:010d}", "title": f"A lecture on query planning, part {i}", "channel": f"Channel {i % 40}"}
                | {"description": "", "duration_s": 3600, "updated_at": now}
                for i in range(VIDEOS)
            ],
        )
        tweet_ids = [str(1_700_000_000_000_000_000 + i) for i in range(TWEETS)]
        db.execute(
            insert(Tweet),
            [
                {"user_id": user.id, "tweet_id": t, "kind": "tweet", "text": f"Post {t} about join strategies"}
                | {"created_at": now, "source": "archive", "imported_at": now}
                for t in tweet_ids
            ],
        )
        runs = [PipelineRun(user_id=user.id, status="succeeded", created_at=now, finished_at=now) for _ in range(RUNS)]
        db.add_all(runs)
        db.flush()
        rows = []
        for r, run in enumerate(runs):
            for position in range(PER_RUN):
                n = r * PER_RUN + position
                rows.append(
                    {
                        "user_id": user.id,
                        "run_id": run.id,
                        "video_id": f"v{(r * 7 + position) % VIDEOS:010d}",
                        "interest": "query planning",
                        "start_s": 600.0 + position,
                        "end_s": 690.0 + position,
                        "quote": "the planner estimates the rows and picks a hash join because the inner side fits",
                        "explanation": "Picked for your interest in query planning. You posted about join strategies; "
                        "this clip explains how the planner chooses one.",
                        "tweet_ids": [tweet_ids[n % TWEETS], tweet_ids[(n + 1) % TWEETS]],
                        "score": 0.5,
                        "position": position,
                        "created_at": now,
                    }
                )
        db.execute(insert(Recommendation), rows)
        db.commit()
        if not database_url.startswith("sqlite"):
            db.execute(text("ANALYZE"))  # the statistics autovacuum would have gathered by now
            db.commit()
        ordered = db.execute(
            select(Recommendation.run_id, Recommendation.position)
            .where(Recommendation.user_id == user.id)
            .order_by(Recommendation.run_id.desc(), Recommendation.position)
            .offset(9000)
            .limit(1)
        ).one()
    engine.dispose()
    return email, cursor_encode(run_id=ordered.run_id, position=ordered.position)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Server:
    base: str
    pid: int
    database_url: str


def cpu_seconds(pid: int) -> float:
    """User + system CPU of a process (all its threads), from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@contextmanager
def server(database_url: str) -> Iterator[Server]:
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "OPENREC_ENV": "test",
        "SECRET_KEY": "bench-secret",
        "REDIS_URL": "",
        "OPENREC_LOG_LEVEL": "WARNING",
    }
    port = free_port()
    with tempfile.TemporaryFile() as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "app.cli", "serve", "--no-migrate", "--host", "127.0.0.1", "--port", str(port)],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        base = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 60
            while True:
                try:
                    if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                        break
                except httpx.TransportError:
                    time.sleep(0.2)
                if proc.poll() is not None or time.monotonic() > deadline:
                    log.seek(0)
                    raise RuntimeError(f"the server did not start: {log.read()[-2000:].decode(errors='replace')}")
            yield Server(base, proc.pid, database_url)
        finally:
            proc.terminate()
            proc.wait(timeout=10)


async def sign_in(client: httpx.AsyncClient, email: str) -> None:
    page = await client.get("/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert token is not None
    response = await client.post("/login", data={"email": email, "password": PASSWORD, "csrf_token": token[1]})
    assert response.status_code == 303, response.status_code


@dataclass(frozen=True)
class Endpoint:
    name: str
    url: str
    headers: dict[str, str]
    expect: str  # a string every answer contains


async def load(client: httpx.AsyncClient, server: Server, endpoint: Endpoint, seconds: float) -> Result:
    """CONCURRENCY workers request the endpoint back to back for `seconds`."""
    check = await client.get(endpoint.url, headers=endpoint.headers)
    assert check.status_code == 200 and endpoint.expect in check.text, (endpoint.name, check.status_code)
    latencies: list[float] = []
    errors = 0
    stop = time.perf_counter() + seconds

    async def worker() -> None:
        nonlocal errors
        while time.perf_counter() < stop:
            started = time.perf_counter()
            response = await client.get(endpoint.url, headers=endpoint.headers)
            latencies.append((time.perf_counter() - started) * 1000)
            errors += response.status_code != 200

    cpu_before = cpu_seconds(server.pid)
    began = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(CONCURRENCY)))
    elapsed = time.perf_counter() - began
    cpu = (cpu_seconds(server.pid) - cpu_before) * 1000 / len(latencies)
    return Result(endpoint.name, len(latencies), elapsed, latencies, errors, cpu)


async def measure(server: Server, email: str, deep: str, seconds: float, rounds: int) -> list[Result]:
    """A warm-up round over every endpoint, then `rounds` rounds; per endpoint, the round of median throughput."""
    cards = 'class="clip" id="clip-'
    endpoints = [
        Endpoint("/healthz", "/healthz", {}, "ok"),
        Endpoint("feed, first page", "/", {}, cards),
        Endpoint("feed, 9,000 deep", f"/?cursor={deep}", {}, cards),
        Endpoint("feed fragment, 9,000 deep", f"/?cursor={deep}", {"HX-Request": "true"}, cards),
        Endpoint("/api/feed, 9,000 deep", f"/api/feed?limit=6&cursor={deep}", {}, '"items"'),
    ]
    limits = httpx.Limits(max_connections=CONCURRENCY, max_keepalive_connections=CONCURRENCY)
    async with httpx.AsyncClient(base_url=server.base, limits=limits, timeout=30) as client:
        await sign_in(client, email)
        for endpoint in endpoints:
            await load(client, server, endpoint, 1.0)
        runs: dict[str, list[Result]] = {e.name: [] for e in endpoints}
        for _ in range(rounds):
            for endpoint in endpoints:
                runs[endpoint.name].append(await load(client, server, endpoint, seconds))
    return [sorted(results, key=lambda r: r.rps)[len(results) // 2] for results in runs.values()]


def report(backend: str, results: list[Result]) -> bool:
    health = results[0]
    print(f"\n{backend}: {CONCURRENCY} connections, {RUNS * PER_RUN:,} recommendations, load average {load_average()}")
    print(
        f"  {'endpoint':<28}{'req/s':>8}{'p50 ms':>8}{'p99 ms':>8}{'vs healthz':>11}"
        f"{'CPU ms/req':>11}{'req per CPU s vs healthz':>26}"
    )
    for r in results:
        print(
            f"  {r.name:<28}{r.rps:>8.0f}{r.percentile(50):>8.1f}{r.percentile(99):>8.1f}{r.rps / health.rps:>11.0%}"
            f"{r.cpu_ms:>11.2f}{health.cpu_ms / r.cpu_ms:>26.0%}"
        )
    first, deep = results[1], results[2]
    feed = results[1:4]
    goals = {
        "feed >= 40% of /healthz throughput": min(r.rps for r in feed) >= 0.4 * health.rps,
        "feed >= 40% of /healthz per CPU second of the server": max(r.cpu_ms for r in feed) <= health.cpu_ms / 0.4,
        "feed p99 < 50 ms": max(r.percentile(99) for r in feed) < 50,
        "deep page as fast as the first (within 15%)": deep.rps >= 0.85 * first.rps,
        "no errors": not any(r.errors for r in results),
    }
    for goal, met in goals.items():
        print(f"  {'met   ' if met else 'MISSED'} {goal}")
    print(
        f"  deep/first: throughput {deep.rps / first.rps:.2f}, "
        f"p50 {statistics.median(deep.latencies_ms) / statistics.median(first.latencies_ms):.2f}, "
        f"CPU {deep.cpu_ms / first.cpu_ms:.2f}"
    )
    return all(goals.values())


def load_average() -> str:
    return " ".join(f"{value:.1f}" for value in os.getloadavg())


def run_backend(backend: str, database_url: str, seconds: float, rounds: int) -> bool:
    email, deep = seed_after_migrate(database_url)
    with server(database_url) as running:
        return report(backend, asyncio.run(measure(running, email, deep, seconds, rounds)))


def seed_after_migrate(database_url: str) -> tuple[str, str]:
    env = {**os.environ, "DATABASE_URL": database_url, "OPENREC_ENV": "test", "SECRET_KEY": "bench-secret"}
    subprocess.run([sys.executable, "-m", "app.cli", "migrate"], cwd=ROOT, env=env, check=True)
    started = time.perf_counter()
    seeded = seed(database_url)
    print(f"seeded {RUNS * PER_RUN:,} recommendations in {time.perf_counter() - started:.1f} s")
    return seeded


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=3.0, help="measured seconds per endpoint and round")
    parser.add_argument("--rounds", type=int, default=3, help="measured rounds (the median round is shown)")
    parser.add_argument("--postgres", default=DEFAULT_PG, help="PostgreSQL URL (a temporary schema is used)")
    parser.add_argument("--no-postgres", action="store_true", help="SQLite only")
    args = parser.parse_args()

    ok = True
    tmp = Path(tempfile.mkdtemp(prefix="openrec-bench-"))
    try:
        ok &= run_backend("SQLite", f"sqlite:///{tmp / 'bench.sqlite3'}", args.seconds, args.rounds)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    if not args.no_postgres:
        schema = f"bench_feed_{uuid.uuid4().hex[:10]}"
        admin = create_engine(args.postgres, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
        try:
            separator = "&" if "?" in args.postgres else "?"
            ok &= run_backend(
                "PostgreSQL", f"{args.postgres}{separator}options=-csearch_path%3D{schema}", args.seconds, args.rounds
            )
        finally:
            with admin.connect() as conn:
                conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
            admin.dispose()
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
