"""Load: signed-in users scroll the feed, vote and start runs against the service mode, on loopback.

    .venv/bin/python bench/load.py [--users 100] [--duration 300] [--web-workers 1] [--workers 2]
                                   [--think 0.5] [--run-every 120] [--drain 180]

The service mode as deployed, on 127.0.0.1: a PostgreSQL schema of its own, a Redis queue
of its own, `openrec worker` processes (`--workers`, one run each at a time) and the web
app (`openrec serve`, or uvicorn with `--web-workers` processes). The users are created
with the dev personas' archives and a first feed of ten clips from the dev catalog
(which is also the video source of their runs), then each signs in through the login
form like a browser. For `--duration` seconds every user, in its own async httpx client:
opens the feed page, scrolls 1-3 pages (the JSON API or the fragment htmx fetches),
votes on some clips (the API, or the form the page posts; up, down with a reason, or
taking a vote back), pauses about `--think` seconds between steps, starts a run about
every `--run-every` seconds and polls its status fragment while it is going. Every
loop is bounded by the deadline. Afterwards the runs started are given `--drain`
seconds to end, and every user's feed is read back to check each vote's last state.

Prints requests/s, p50/p99 latency (all requests, and per endpoint), errors (any
answer other than the expected status, or a failed request: the goal is 0), runs
started/completed, and votes written/read back. Exits 1 on any error or lost vote.
Needs the PostgreSQL and Redis the fault tests use (tests/service/harness.py).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import re
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter, defaultdict
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))  # worker_throughput: its users and percentiles
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import httpx
from sqlalchemy import func, insert, select
from worker_throughput import add_users, percentile

from app.models import PipelineRun, Recommendation, Tweet, Video
from tests.service.harness import CATALOG, PASSWORD, REPO, World, free_port, wait_until, world

FIRST_FEED = 10  # clips each user's first feed holds
PAGE = 6  # what the feed page and its fragments show at a time
REASONS = ("too_basic", "too_advanced", "off_topic", "clickbait", "seen_it")
TERMINAL = ("succeeded", "failed", "cancelled")


# -- the service -------------------------------------------------------------------------------


def seed_first_feeds(service: World, user_ids: list[int]) -> None:
    """The catalog's videos, and for every user a finished run of ten clips citing the user's own posts."""
    videos = json.loads(CATALOG.read_text(encoding="utf-8"))["videos"]
    now = datetime.now(UTC)
    with service.sessions.begin() as session:
        session.execute(
            insert(Video),
            [
                {
                    "id": v["id"],
                    "title": v["title"],
                    "channel": v["channel"],
                    "description": v["description"],
                    "published_at": date.fromisoformat(v["published_at"]),
                    "duration_s": v["duration_s"],
                    "view_count": v["view_count"],
                    "like_count": v["like_count"],
                    "updated_at": now,
                }
                for v in videos
            ],
        )
        runs = list(
            session.scalars(
                insert(PipelineRun).returning(PipelineRun.id),
                [
                    {"user_id": u, "status": "succeeded", "stage": "rank", "created_at": now, "finished_at": now}
                    for u in user_ids
                ],
            )
        )
        rows = []
        for user_id, run_id in zip(user_ids, runs, strict=True):
            cited = session.scalars(select(Tweet.tweet_id).where(Tweet.user_id == user_id).limit(3)).all()
            for position in range(FIRST_FEED):
                video = videos[(user_id + position) % len(videos)]
                segment = video["transcript"][len(video["transcript"]) // 3]
                rows.append(
                    {
                        "user_id": user_id,
                        "run_id": run_id,
                        "video_id": video["id"],
                        "interest": "cheesemaking",
                        "start_s": segment["start"],
                        "end_s": segment["start"] + 60.0,
                        "quote": segment["text"],
                        "explanation": f"Picked for your interest in cheesemaking. In this clip: {segment['text']}",
                        "tweet_ids": list(cited[:1]),
                        "score": 1.0 - position / 100,
                        "position": position,
                        "created_at": now,
                    }
                )
        session.execute(insert(Recommendation), rows)


@contextmanager
def web_server(service: World, processes: int, log_path: Path) -> Iterator[str]:
    """The web app of the service mode on a free loopback port; its process group is killed afterwards."""
    port = free_port()
    env = service.env(OPENREC_LOG_LEVEL="WARNING", SECRET_KEY="load-bench-secret", OPENREC_RUN_HEARTBEAT_S="120")
    if processes == 1:
        command = [sys.executable, "-m", "app.cli", "serve", "--no-migrate", "--host", "127.0.0.1", "--port", str(port)]
    else:
        command = [
            sys.executable, "-m", "uvicorn", "app.main:create_app", "--factory", "--host", "127.0.0.1",
            "--port", str(port), "--workers", str(processes), "--no-access-log",
        ]  # fmt: skip
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            command, cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
    base = f"http://127.0.0.1:{port}"
    try:

        def healthy() -> bool:
            if process.poll() is not None:
                raise RuntimeError(f"the web app exited:\n{log_path.read_text(errors='replace')[-3000:]}")
            try:
                return httpx.get(f"{base}/healthz", timeout=1).status_code == 200
            except httpx.TransportError:
                return False

        wait_until(healthy, what="the web app to answer /healthz", timeout=60, every=0.2)
        yield base
    finally:
        with suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)


# -- the users ---------------------------------------------------------------------------------------


@dataclass
class Tally:
    """Everything measured: latencies and errors per endpoint (in the window only), votes, runs."""

    window_open: bool = False
    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    errors: Counter[str] = field(default_factory=Counter)
    votes: dict[int, str | None] = field(default_factory=dict)  # recommendation id -> the last vote written
    votes_written: int = 0
    runs_started: dict[int, float] = field(default_factory=dict)  # run id -> when it was started
    runs_already_active: int = 0


@dataclass
class User:
    email: str
    client: httpx.AsyncClient
    csrf: str = ""


async def request(
    tally: Tally, user: User, name: str, method: str, url: str, *, expect: tuple[int, ...] = (200,), **kwargs: Any
) -> httpx.Response | None:
    """One request, timed and checked; None (and an error counted) when it failed or answered unexpectedly."""
    started = time.perf_counter()
    try:
        response = await user.client.request(method, url, **kwargs)
    except httpx.HTTPError as exc:
        tally.errors[f"{name}: {type(exc).__name__}"] += 1
        return None
    if tally.window_open:
        tally.latencies[name].append((time.perf_counter() - started) * 1000)
    if response.status_code not in expect:
        tally.errors[f"{name}: HTTP {response.status_code}"] += 1
        return None
    return response


async def form_token(tally: Tally, user: User, name: str, path: str) -> str:
    """The CSRF token a page's forms carry for this user's cookie."""
    page = await request(tally, user, name, "GET", path)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text if page else "")
    if token is None:
        raise RuntimeError(f"no form with a CSRF token on {path} for {user.email}")
    return token[1]


async def sign_in(tally: Tally, user: User) -> None:
    form = {
        "email": user.email,
        "password": PASSWORD,
        "csrf_token": await form_token(tally, user, "GET /login", "/login"),
    }
    if await request(tally, user, "POST /login", "POST", "/login", data=form, expect=(303,)) is None:
        raise RuntimeError(f"{user.email} could not sign in: {dict(tally.errors)}")
    # Signing in rotates the CSRF cookie (a token seen before it must not work after it): the feed page it leads
    # to carries the token of the new one, as the browser's htmx requests send it.
    user.csrf = await form_token(tally, user, "GET / (feed page)", "/")


async def vote(tally: Tally, user: User, rec_id: int, rng: random.Random) -> None:
    """Up, down with a reason, or take it back; through the API or the form the feed page posts."""
    choice = rng.choice(["up", "up", "down", "down", "clear"])
    reason = rng.choice(REASONS) if choice == "down" and rng.random() < 0.5 else None
    headers = {"x-csrf-token": user.csrf}
    if rng.random() < 0.5:
        if choice == "clear":
            done = await request(
                tally, user, "DELETE /api/feedback", "DELETE", f"/api/feedback/{rec_id}", headers=headers, expect=(204,)
            )
        else:
            body = {"vote": choice, "reason": reason}
            done = await request(
                tally, user, "PUT /api/feedback", "PUT", f"/api/feedback/{rec_id}", json=body, headers=headers
            )
    else:
        form = {"vote": choice, "reason": reason or ""}
        done = await request(
            tally, user, "POST /clips/vote (htmx)", "POST", f"/clips/{rec_id}/vote", data=form,
            headers={**headers, "hx-request": "true"},
        )  # fmt: skip
    if done is not None:
        tally.votes[rec_id] = None if choice == "clear" else choice
        tally.votes_written += 1


async def browse(tally: Tally, user: User, deadline: float, args: argparse.Namespace, rng: random.Random) -> None:
    """One user's session until the deadline: scroll, vote, start a run now and then and watch it."""

    async def pause() -> None:
        await asyncio.sleep(min(max(0.0, deadline - time.monotonic()), rng.uniform(0.5, 1.5) * args.think))

    next_run = time.monotonic() + rng.uniform(0, args.run_every)
    active: int | None = None
    while time.monotonic() < deadline:
        await request(tally, user, "GET / (feed page)", "GET", "/")
        cursor: str | None = None
        for _ in range(rng.randint(1, 3)):
            if time.monotonic() >= deadline:
                break
            if rng.random() < 0.5 or cursor is None:
                params = {"limit": PAGE, **({"cursor": cursor} if cursor else {})}
                page = await request(tally, user, "GET /api/feed", "GET", "/api/feed", params=params)
                if page is None:
                    break
                items = [item["recommendation_id"] for item in page.json()["items"]]
                cursor = page.json()["next_cursor"]
            else:
                fragment = await request(
                    tally,
                    user,
                    "GET /?cursor (htmx)",
                    "GET",
                    "/",
                    params={"cursor": cursor},
                    headers={"hx-request": "true"},
                )
                if fragment is None:
                    break
                items = [int(i) for i in re.findall(r'<article class="clip" id="clip-(\d+)"', fragment.text)]
                found = re.search(r'hx-get="/\?cursor=([^"&]+)"', fragment.text)
                cursor = found[1] if found else None
            for rec_id in rng.sample(items, k=min(len(items), rng.randint(0, 2))):
                await vote(tally, user, rec_id, rng)
            await pause()
            if cursor is None:
                break
        if active is not None:
            status = await request(tally, user, "GET /runs/{id}/status (htmx)", "GET", f"/runs/{active}/status")
            if status is not None and "hx-trigger" not in status.text:  # the fragment stops polling when it ends
                active = None
        elif time.monotonic() >= next_run:
            started = await request(
                tally,
                user,
                "POST /api/runs",
                "POST",
                "/api/runs",
                headers={"x-csrf-token": user.csrf},
                expect=(201, 200),
            )
            if started is not None:
                active = started.json()["id"]
                if started.status_code == 201:
                    tally.runs_started[active] = time.monotonic()
                else:
                    tally.runs_already_active += 1
            next_run = time.monotonic() + rng.uniform(0.5, 1.5) * args.run_every
        await pause()


async def read_back(tally: Tally, users: list[User]) -> tuple[int, int]:
    """Every vote's last state as the feed shows it (a clip it leaves out was voted down): (votes checked, votes
    that differ)."""
    shown: dict[int, str | None] = {}
    for user in users:
        cursor: str | None = None
        for _ in range(200):  # bounded: a feed of 200 pages of 50 is far more than a run makes
            params = {"limit": 50, **({"cursor": cursor} if cursor else {})}
            page = await request(tally, user, "read back /api/feed", "GET", "/api/feed", params=params)
            if page is None:
                break
            shown.update({item["recommendation_id"]: item["vote"] for item in page.json()["items"]})
            cursor = page.json()["next_cursor"]
            if cursor is None:
                break
    # The feed leaves out a clip voted down once a newer run has come (it stays in view only in the newest run, so
    # the vote can change): a clip it no longer shows reads back as voted down.
    differ = sum(1 for rec_id, vote_ in tally.votes.items() if shown.get(rec_id, "down") != vote_)
    return len(tally.votes), differ


async def drive(base: str, emails: list[str], args: argparse.Namespace, tally: Tally) -> dict[str, float]:
    limits = httpx.Limits(max_connections=2, max_keepalive_connections=2)
    users = [User(email, httpx.AsyncClient(base_url=base, timeout=30, limits=limits)) for email in emails]
    try:
        began = time.perf_counter()
        gate = asyncio.Semaphore(8)

        async def guarded(user: User) -> None:
            async with gate:
                await sign_in(tally, user)

        await asyncio.gather(*(guarded(u) for u in users))
        signed_in_s = time.perf_counter() - began

        rng = random.Random(args.seed)
        tally.window_open = True
        window_began = time.perf_counter()
        deadline = time.monotonic() + args.duration
        await asyncio.gather(*(browse(tally, u, deadline, args, random.Random(rng.random())) for u in users))
        window_s = time.perf_counter() - window_began
        tally.window_open = False
        checked, differ = await read_back(tally, users)
        return {"signed_in_s": signed_in_s, "window_s": window_s, "votes_checked": checked, "votes_lost": differ}
    finally:
        await asyncio.gather(*(u.client.aclose() for u in users))


def run_outcomes(service: World, tally: Tally, drain_s: float) -> tuple[Counter[str], list[float]]:
    """Statuses of the runs started (after waiting up to `drain_s` for them to end) and their durations."""
    ids = list(tally.runs_started)

    def ended() -> bool:
        with service.sessions() as session:
            active = select(func.count()).where(PipelineRun.id.in_(ids), PipelineRun.status.not_in(TERMINAL))
            return not session.scalar(active)

    if ids:
        with suppress(AssertionError):
            wait_until(ended, what="the runs started to end", timeout=drain_s, every=1)
    with service.sessions() as session:
        runs = session.scalars(select(PipelineRun).where(PipelineRun.id.in_(ids))).all() if ids else []
        statuses = Counter(run.status if run.status in TERMINAL else "unfinished" for run in runs)
        durations = [
            (run.finished_at - run.created_at).total_seconds() for run in runs if run.finished_at and run.created_at
        ]
    return statuses, durations


def report(
    args: argparse.Namespace, tally: Tally, figures: dict[str, float], statuses: Counter[str], durations: list[float]
) -> bool:
    every = [ms for values in tally.latencies.values() for ms in values]
    requests = len(every)
    errors = sum(tally.errors.values())
    print(f"\nload: {args.users} users for {figures['window_s']:.0f} s, web {args.web_workers} process(es), "
          f"{args.workers} worker(s), think {args.think} s, a run every ~{args.run_every:.0f} s per user, "
          f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")  # fmt: skip
    print(f"sign-in of {args.users} users through the form: {figures['signed_in_s']:.1f} s")
    if requests:
        print(f"requests: {requests} = {requests / figures['window_s']:.1f} req/s, "
              f"p50 {percentile(every, 50):.1f} ms, p99 {percentile(every, 99):.1f} ms, errors {errors}")  # fmt: skip
    print(f"{'endpoint':<32}{'requests':>9}{'p50 ms':>9}{'p99 ms':>9}")
    for name, values in sorted(tally.latencies.items()):
        print(f"{name:<32}{len(values):>9}{percentile(values, 50):>9.1f}{percentile(values, 99):>9.1f}")
    for what, count in sorted(tally.errors.items()):
        print(f"  error {what}: {count}")
    started = len(tally.runs_started)
    print(f"runs: {started} started ({tally.runs_already_active} starts answered with the run already going), "
          f"{statuses['succeeded']} completed, {statuses['failed']} failed, {statuses['cancelled']} cancelled, "
          f"{statuses['unfinished']} unfinished after {args.drain:.0f} s of drain")  # fmt: skip
    if durations:
        print(
            f"run time from start to end: p50 {percentile(durations, 50):.1f} s, p99 {percentile(durations, 99):.1f} s"
        )
    print(f"votes: {tally.votes_written} written on {int(figures['votes_checked'])} clips, "
          f"{int(figures['votes_checked'] - figures['votes_lost'])} read back as last written, "
          f"{int(figures['votes_lost'])} lost")  # fmt: skip
    return errors == 0 and figures["votes_lost"] == 0 and statuses["failed"] == 0


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=100, help="signed-in users (default 100)")
    parser.add_argument("--duration", type=float, default=300, help="seconds of load (default 300)")
    parser.add_argument("--web-workers", type=int, default=1, help="web processes (default 1: `openrec serve`)")
    parser.add_argument("--workers", type=int, default=2, help="`openrec worker` processes (default 2)")
    parser.add_argument("--think", type=float, default=0.5, help="mean pause between a user's steps, s (default 0.5)")
    parser.add_argument("--run-every", type=float, default=120, help="mean seconds between a user's runs (default 120)")
    parser.add_argument("--drain", type=float, default=180, help="most seconds to wait for started runs to end")
    parser.add_argument("--seed", type=int, default=1, help="random seed of the users' behaviour")
    args = parser.parse_args(argv)
    if not CATALOG.is_file():
        print(f"the dev catalog is not at {CATALOG}", file=sys.stderr)
        return 2
    tally = Tally()
    with tempfile.TemporaryDirectory(prefix="openrec-load-") as tmp, world(Path(tmp)) as service:
        print(f"setting up {args.users} users, {args.workers} worker(s) and the web app…", flush=True)
        user_ids = add_users(service, args.users)
        seed_first_feeds(service, user_ids)
        emails = [service.email(user_id) for user_id in user_ids]
        for i in range(args.workers):
            service.start_worker(f"w{i + 1}", product=True, OPENREC_RUN_HEARTBEAT_S="120")
        with web_server(service, args.web_workers, Path(tmp) / "web.log") as base:
            print(f"driving {base} for {args.duration:.0f} s…", flush=True)
            figures = asyncio.run(drive(base, emails, args, tally))
        statuses, durations = run_outcomes(service, tally, args.drain)
    return 0 if report(args, tally, figures, statuses, durations) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
