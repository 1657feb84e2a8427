"""Benchmark: the feed over HTTP against /healthz and a bare FastAPI app, on SQLite and PostgreSQL.

Seeds one user with 10,000 recommendations (200 runs of 50 clips, each citing two of
the user's posts), starts `openrec serve` on loopback as the README does, and in the
same run a bare FastAPI app (one `def` JSON endpoint, the same uvicorn settings), signs
in, and drives them one endpoint at a time with wrk (or, without wrk on the PATH, an
async httpx load generator) sending `Accept-Encoding: gzip` as browsers do: the bare
endpoint, /healthz, the feed's first page, a page deep in the cursor (as a full page and
as the htmx fragment infinite scroll fetches) and the same deep page from the JSON API
at 16 connections; /healthz and the first page again at 64. Then 10,000 feed requests,
reading the server's resident memory after the first 1,000 and after all of them.

Prints requests/s, p50/p99 latency and the CPU time one request costs the server's
processes (read from /proc: on a busy machine throughput and latency move with the
neighbours' load much more than the CPU cost of a request does; PostgreSQL's own
backends are not counted), and the goals:

- /healthz serves at least half the bare endpoint's requests/s;
- every feed endpoint at least 40% of /healthz's, with p99 under 50 ms at 16 connections;
- a page 9,000 clips deep costs at most 1.2 times the first (keyset pagination);
- RSS after 10,000 feed requests within 10% of RSS after 1,000.

    .venv/bin/python bench/feed_http.py [--seconds 5] [--rounds 3] [--postgres postgresql+psycopg://…/test]
    .venv/bin/python bench/feed_http.py --no-postgres
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
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
CONCURRENCY, HIGH_CONCURRENCY = 16, 64
MEMORY_REQUESTS, MEMORY_BASELINE = 10_000, 1_000
DEFAULT_PG = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
GZIP = {"Accept-Encoding": "gzip"}


@dataclass
class Result:
    name: str
    connections: int
    requests: int
    seconds: float
    p50_ms: float
    p99_ms: float
    errors: int
    cpu_ms: float  # CPU of the server's processes per request

    @property
    def rps(self) -> float:
        return self.requests / self.seconds


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
                {"id": f"v{i:010d}", "title": f"A lecture on cheesemaking, part {i}", "channel": f"Channel {i % 40}"}
                | {"description": "", "duration_s": 3600, "updated_at": now}
                for i in range(VIDEOS)
            ],
        )
        tweet_ids = [str(1_700_000_000_000_000_000 + i) for i in range(TWEETS)]
        db.execute(
            insert(Tweet),
            [
                {"user_id": user.id, "tweet_id": t, "kind": "tweet", "text": f"Post {t} about brining cheeses"}
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
                        "interest": "cheesemaking",
                        "start_s": 600.0 + position,
                        "end_s": 690.0 + position,
                        "quote": "the cheesemaker cuts the curds and drains the whey because the rennet has set firm",
                        "explanation": "Picked for your interest in cheesemaking. You posted about brining cheeses; "
                        "this clip explains how the cheesemaker brines one.",
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


def process_tree(pid: int) -> list[int]:
    """The process and its descendants (uvicorn's worker processes)."""
    found, queue = [], [pid]
    while queue:
        current = queue.pop()
        found.append(current)
        for task in Path(f"/proc/{current}/task").glob("*/children"):
            queue.extend(int(child) for child in task.read_text().split())
    return found


def cpu_seconds(pid: int) -> float:
    """User + system CPU of the server's processes (all their threads), from /proc."""
    total = 0
    for member in process_tree(pid):
        fields = Path(f"/proc/{member}/stat").read_text().rsplit(")", 1)[1].split()
        total += int(fields[11]) + int(fields[12])
    return total / os.sysconf("SC_CLK_TCK")


def rss_mib(pid: int) -> float:
    """Resident memory of the server's processes, in MiB."""
    total_kib = 0
    for member in process_tree(pid):
        line = next(x for x in Path(f"/proc/{member}/status").read_text().splitlines() if x.startswith("VmRSS:"))
        total_kib += int(line.split()[1])
    return total_kib / 1024


def bench_env(database_url: str) -> dict[str, str]:
    return {
        **os.environ,
        "DATABASE_URL": database_url,
        "OPENREC_ENV": "test",
        "SECRET_KEY": "bench-secret",
        "REDIS_URL": "",
    }


@contextmanager
def started(command: list[str], env: dict[str, str], base: str, probe: str) -> Iterator[Server]:
    """A server process, once `probe` answers 200; its log goes to a temporary file (read on failure)."""
    with tempfile.TemporaryFile() as log:
        proc = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
        try:
            deadline = time.monotonic() + 180  # a busy machine starts a server slowly
            while True:
                try:
                    if httpx.get(f"{base}{probe}", timeout=1).status_code == 200:
                        break
                except httpx.TransportError:
                    time.sleep(0.2)
                if proc.poll() is not None or time.monotonic() > deadline:
                    log.seek(0)
                    raise RuntimeError(f"the server did not start: {log.read()[-2000:].decode(errors='replace')}")
            yield Server(base, proc.pid)
        finally:
            proc.terminate()
            proc.wait(timeout=20)


@contextmanager
def openrec_server(database_url: str, workers: int) -> Iterator[Server]:
    """`openrec serve`, with the default log level and everything else as the README starts it."""
    port = free_port()
    command = [sys.executable, "-m", "app.cli", "serve", "--no-migrate", "--port", str(port), "--workers", str(workers)]
    with started(command, bench_env(database_url), f"http://127.0.0.1:{port}", "/healthz") as server:
        yield server


@contextmanager
def bare_server(workers: int) -> Iterator[Server]:
    port = free_port()
    command = [sys.executable, str(ROOT / "bench" / "bare_app.py"), "--port", str(port), "--workers", str(workers)]
    with started(command, dict(os.environ), f"http://127.0.0.1:{port}", "/bare") as server:
        yield server


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
    expect: str  # a string every answer contains
    headers: dict[str, str] = field(default_factory=dict)
    server: str = "openrec"  # or "bare"


WRK_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0}


def _wrk_ms(value: str) -> float:
    number, unit = re.fullmatch(r"([\d.]+)(us|ms|s)", value).groups()  # type: ignore[union-attr]
    return float(number) * WRK_UNITS[unit]


def wrk_load(server: Server, endpoint: Endpoint, headers: dict[str, str], seconds: float, connections: int) -> Result:
    """wrk at `connections` connections for `seconds`."""
    command = ["wrk", f"-t{min(2, connections)}", f"-c{connections}", f"-d{max(1, round(seconds))}s", "--latency"]
    command += ["--timeout", "30s"]  # wrk's default (2 s) would count slow answers as errors
    for name, value in headers.items():
        command += ["-H", f"{name}: {value}"]
    cpu_before = cpu_seconds(server.pid)
    out = subprocess.run([*command, server.base + endpoint.url], capture_output=True, text=True, check=True).stdout
    cpu = cpu_seconds(server.pid) - cpu_before
    done = re.search(r"(\d+) requests in ([\d.]+)(us|ms|s)", out)
    p50 = re.search(r"^\s+50%\s+(\S+)", out, re.M)
    p99 = re.search(r"^\s+99%\s+(\S+)", out, re.M)
    assert done and p50 and p99, out
    requests = int(done[1])
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    socket_errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    errors = (int(non_2xx[1]) if non_2xx else 0) + (sum(map(int, socket_errors.groups())) if socket_errors else 0)
    return Result(
        endpoint.name,
        connections,
        requests,
        _wrk_ms(done[2] + done[3]) / 1000,
        _wrk_ms(p50[1]),
        _wrk_ms(p99[1]),
        errors,
        cpu * 1000 / max(1, requests),
    )


async def httpx_load(
    server: Server, endpoint: Endpoint, cookies: dict[str, str], seconds: float, connections: int
) -> Result:
    """`connections` workers request the endpoint back to back for `seconds` (when wrk is not installed), on
    connections of their own: one the server closed while idle between two measurements would count as its error.
    A request that fails on the wire counts as an error, as wrk counts it."""
    latencies: list[float] = []
    errors = 0
    stop = time.perf_counter() + seconds
    limits = httpx.Limits(max_connections=connections, max_keepalive_connections=connections)

    async def worker(client: httpx.AsyncClient) -> None:
        nonlocal errors
        while time.perf_counter() < stop:
            started_at = time.perf_counter()
            try:
                response = await client.get(server.base + endpoint.url, headers={**GZIP, **endpoint.headers})
            except httpx.TransportError:
                errors += 1
                continue
            latencies.append((time.perf_counter() - started_at) * 1000)
            errors += response.status_code != 200

    cpu_before = cpu_seconds(server.pid)
    began = time.perf_counter()
    async with httpx.AsyncClient(cookies=cookies, limits=limits, timeout=30) as client:
        await asyncio.gather(*(worker(client) for _ in range(connections)))
    elapsed = time.perf_counter() - began
    cpu = (cpu_seconds(server.pid) - cpu_before) * 1000 / max(1, len(latencies))
    ordered = sorted(latencies) or [float("nan")]
    p50, p99 = (ordered[min(len(ordered) - 1, int(p * len(ordered)))] for p in (0.5, 0.99))
    return Result(endpoint.name, connections, len(latencies), elapsed, p50, p99, errors, cpu)


@dataclass
class Measured:
    results: list[Result]
    rss_after_baseline: float
    rss_after_all: float


async def measure(servers: dict[str, Server], email: str, deep: str, seconds: float, rounds: int) -> Measured:
    """A warm-up round over every endpoint, then `rounds` rounds; per endpoint, the round of median throughput."""
    cards = 'class="clip" id="clip-'
    fragment = {"HX-Request": "true"}
    endpoints = [
        (Endpoint("bare FastAPI `def` endpoint", "/bare", '"ok"', server="bare"), CONCURRENCY),
        (Endpoint("/healthz", "/healthz", "ok"), CONCURRENCY),
        (Endpoint("feed, first page", "/", cards), CONCURRENCY),
        (Endpoint("feed, 9,000 deep", f"/?cursor={deep}", cards), CONCURRENCY),
        (Endpoint("feed fragment, 9,000 deep", f"/?cursor={deep}", cards, fragment), CONCURRENCY),
        (Endpoint("/api/feed, 9,000 deep", f"/api/feed?limit=6&cursor={deep}", '"items"'), CONCURRENCY),
        (Endpoint("/healthz", "/healthz", "ok"), HIGH_CONCURRENCY),
        (Endpoint("feed, first page", "/", cards), HIGH_CONCURRENCY),
    ]
    use_wrk = shutil.which("wrk") is not None
    limits = httpx.Limits(max_connections=HIGH_CONCURRENCY, max_keepalive_connections=HIGH_CONCURRENCY)
    async with httpx.AsyncClient(base_url=servers["openrec"].base, limits=limits, timeout=30) as client:
        await sign_in(client, email)
        cookies = dict(client.cookies.items())
        cookie = "; ".join(f"{name}={value}" for name, value in cookies.items())

        async def once(endpoint: Endpoint, connections: int, duration: float) -> Result:
            server = servers[endpoint.server]
            check = await client.get(server.base + endpoint.url, headers=endpoint.headers)
            assert check.status_code == 200 and endpoint.expect in check.text, (endpoint.name, check.status_code)
            if use_wrk:
                headers = {**GZIP, "Cookie": cookie, **endpoint.headers}
                return await asyncio.to_thread(wrk_load, server, endpoint, headers, duration, connections)
            return await httpx_load(server, endpoint, cookies, duration, connections)

        for endpoint, connections in endpoints:
            await once(endpoint, connections, 1.0)
        runs: list[list[Result]] = [[] for _ in endpoints]
        for _ in range(rounds):
            for index, (endpoint, connections) in enumerate(endpoints):
                runs[index].append(await once(endpoint, connections, seconds))
        results = [sorted(results, key=lambda r: r.rps)[len(results) // 2] for results in runs]

    # A client of its own: connections left idle while wrk ran may have been closed by the server.
    server = servers["openrec"]
    async with httpx.AsyncClient(base_url=server.base, cookies=cookies, limits=limits, timeout=30) as fresh:
        sent = 0

        async def feed_requests(count: int) -> None:
            nonlocal sent
            target = sent + count

            async def worker() -> None:
                nonlocal sent
                while sent < target:
                    sent += 1
                    response = await fresh.get("/", headers=GZIP)
                    assert response.status_code == 200, response.status_code

            await asyncio.gather(*(worker() for _ in range(CONCURRENCY)))

        await feed_requests(MEMORY_BASELINE)
        baseline = rss_mib(server.pid)
        await feed_requests(MEMORY_REQUESTS - MEMORY_BASELINE)
        return Measured(results, baseline, rss_mib(server.pid))


def report(backend: str, measured: Measured, generator: str) -> bool:
    results = measured.results
    bare, health, first, deep, fragment, api, health_64, first_64 = results
    print(f"\n{backend}: {RUNS * PER_RUN:,} recommendations, {generator}, load average {load_average()}")
    print(
        f"  {'endpoint':<30}{'conns':>6}{'req/s':>8}{'p50 ms':>8}{'p99 ms':>8}{'vs healthz':>11}{'CPU ms/req':>11}"
        f"{'errors':>7}"
    )
    for r in results:
        print(
            f"  {r.name:<30}{r.connections:>6}{r.rps:>8.0f}{r.p50_ms:>8.1f}{r.p99_ms:>8.1f}"
            f"{r.rps / health.rps:>11.0%}{r.cpu_ms:>11.2f}{r.errors:>7}"
        )
    feed = [first, deep, fragment, api]
    slowest = min(r.rps for r in feed)
    worst_p99 = max(r.p99_ms for r in feed)
    growth = measured.rss_after_all / measured.rss_after_baseline - 1
    deep_cost = first.rps / deep.rps  # time per request, deep over first
    rss = f"RSS {measured.rss_after_baseline:.0f} MiB after {MEMORY_BASELINE:,} feed requests, "
    rss += f"{measured.rss_after_all:.0f} MiB after {MEMORY_REQUESTS:,}: {growth:+.1%}, within 10%"
    goals = {
        f"/healthz / bare = {health.rps / bare.rps:.2f} >= 0.5": health.rps >= 0.5 * bare.rps,
        f"slowest feed endpoint / /healthz = {slowest / health.rps:.2f} >= 0.4": slowest >= 0.4 * health.rps,
        f"feed p99 = {worst_p99:.1f} ms < 50 ms at {CONCURRENCY} connections": worst_p99 < 50,
        f"deep page / first page = {deep_cost:.2f} <= 1.2 (time per request)": deep_cost <= 1.2,
        rss: abs(growth) <= 0.10,
        "no errors": not any(r.errors for r in results),
    }
    for goal, met in goals.items():
        print(f"  {'met   ' if met else 'MISSED'} {goal}")
    print(
        f"  at {HIGH_CONCURRENCY} connections: /healthz {health_64.rps:.0f} req/s, p99 {health_64.p99_ms:.1f} ms; "
        f"feed {first_64.rps:.0f} req/s, p99 {first_64.p99_ms:.1f} ms"
    )
    print(
        f"  CPU per request: deep/first {deep.cpu_ms / first.cpu_ms:.2f}, "
        f"feed/healthz {first.cpu_ms / health.cpu_ms:.1f}, healthz/bare {health.cpu_ms / bare.cpu_ms:.1f}"
    )
    return all(goals.values())


def load_average() -> str:
    return " ".join(f"{value:.1f}" for value in os.getloadavg())


def run_backend(backend: str, database_url: str, seconds: float, rounds: int, workers: int) -> bool:
    email, deep = seed_after_migrate(database_url)
    generator = "wrk" if shutil.which("wrk") else "httpx (wrk not installed)"
    with openrec_server(database_url, workers) as openrec, bare_server(workers) as bare:
        measured = asyncio.run(measure({"openrec": openrec, "bare": bare}, email, deep, seconds, rounds))
    return report(backend, measured, generator)


def seed_after_migrate(database_url: str) -> tuple[str, str]:
    subprocess.run([sys.executable, "-m", "app.cli", "migrate"], cwd=ROOT, env=bench_env(database_url), check=True)
    started_at = time.perf_counter()
    seeded = seed(database_url)
    print(f"seeded {RUNS * PER_RUN:,} recommendations in {time.perf_counter() - started_at:.1f} s")
    return seeded


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=5.0, help="measured seconds per endpoint and round")
    parser.add_argument("--rounds", type=int, default=3, help="measured rounds (the median round is shown)")
    parser.add_argument("--workers", type=int, default=1, help="server processes of both servers")
    parser.add_argument("--postgres", default=DEFAULT_PG, help="PostgreSQL URL (a temporary schema is used)")
    parser.add_argument("--no-postgres", action="store_true", help="SQLite only")
    args = parser.parse_args()

    ok = True
    tmp = Path(tempfile.mkdtemp(prefix="openrec-bench-"))
    try:
        ok &= run_backend("SQLite", f"sqlite:///{tmp / 'bench.sqlite3'}", args.seconds, args.rounds, args.workers)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    if not args.no_postgres:
        schema = f"bench_feed_{uuid.uuid4().hex[:10]}"
        admin = create_engine(args.postgres, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
        try:
            separator = "&" if "?" in args.postgres else "?"
            url = f"{args.postgres}{separator}options=-csearch_path%3D{schema}"
            ok &= run_backend("PostgreSQL", url, args.seconds, args.rounds, args.workers)
        finally:
            with admin.connect() as conn:
                conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
            admin.dispose()
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
