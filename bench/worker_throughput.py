"""Prints runs per minute and run latency of `openrec worker` processes: 1 worker, then 2.

    .venv/bin/python bench/worker_throughput.py [--users 200] [--workers 1 2]

For each worker count: a fresh PostgreSQL schema, N users whose archives are the dev
personas' (about a hundred posts and likes each, taken in turn), the local engine and
the catalog source; the workers (`openrec worker --concurrency 1` each) are started
and ready before all N runs are committed and enqueued at once. `runs/min` counts
from the first enqueue to the last run's end; `latency` is enqueue to end (it
includes waiting in the queue), `exec` is a run's own start to end. Needs the
PostgreSQL and Redis of the fault tests (tests/service/harness.py).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import insert, select, text

from app.models import PipelineRun, User
from app.pipeline.dispatch import dispatch_run
from tests.service.harness import CATALOG, World, wait_until, world

PERSONAS = ("lena", "omar", "rosa")


def add_users(service: World, count: int) -> list[int]:
    """`count` users, each with a copy of one persona's imported archive (password hashing skipped)."""
    templates = [service.add_user(persona) for persona in PERSONAS]
    with service.sessions.begin() as session:
        hash_ = session.scalar(select(User.password_hash).where(User.id == templates[0]))
        ids = list(
            session.scalars(
                insert(User).returning(User.id),
                [{"email": f"bench-{i}@example.com", "password_hash": hash_} for i in range(count)],
            )
        )
        for i, user_id in enumerate(ids):
            session.execute(
                text(
                    "INSERT INTO tweets (user_id, tweet_id, kind, text, created_at, url, like_order, lang, source, "
                    "imported_at) SELECT :user_id, tweet_id, kind, text, created_at, url, like_order, lang, source, "
                    "imported_at FROM tweets WHERE user_id = :template"
                ),
                {"user_id": user_id, "template": templates[i % len(templates)]},
            )
    return ids


def percentile(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[int(q) - 1] if len(values) > 1 else values[0]


def measure(workers: int, users: int, timeout_s: float) -> dict[str, float]:
    with tempfile.TemporaryDirectory(prefix="openrec-bench-") as tmp, world(Path(tmp)) as service:
        user_ids = add_users(service, users)
        for i in range(workers):
            service.start_worker(f"w{i + 1}", product=True, OPENREC_RUN_HEARTBEAT_S="120")
        run_ids = [service.create_run(user_id) for user_id in user_ids]
        settings = service.settings()
        started = time.time()
        for run_id in run_ids:
            dispatch_run(run_id, settings)

        def ended() -> list[PipelineRun] | None:
            with service.sessions() as session:
                runs = list(session.scalars(select(PipelineRun).where(PipelineRun.id.in_(run_ids))))
            return runs if all(run.finished_at is not None for run in runs) else None

        runs: list[PipelineRun] = wait_until(
            ended, what=f"{users} runs on {workers} workers", timeout=timeout_s, every=1
        )
        last = max(run.finished_at.timestamp() for run in runs if run.finished_at)
        latency = [run.finished_at.timestamp() - started for run in runs if run.finished_at]
        execution = [
            (run.finished_at - run.started_at).total_seconds() for run in runs if run.finished_at and run.started_at
        ]
        return {
            "workers": workers,
            "runs": len(runs),
            "failed": sum(run.status != "succeeded" for run in runs),
            "runs_per_min": len(runs) / (last - started) * 60,
            "latency_p50": percentile(latency, 50),
            "latency_p95": percentile(latency, 95),
            "exec_p50": percentile(execution, 50),
            "exec_p95": percentile(execution, 95),
        }


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=200, help="users, one run each (default 200)")
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2], help="worker counts to measure")
    parser.add_argument("--timeout", type=float, default=1800, help="most seconds to wait for one measurement")
    args = parser.parse_args(argv)
    if not CATALOG.is_file():
        print(f"the dev catalog is not at {CATALOG}", file=sys.stderr)
        return 2
    rows = []
    header = ("workers", "runs", "failed", "runs/min", "latency p50", "latency p95", "exec p50", "exec p95")
    print(" ".join(f"{h:>11}" for h in header))
    for workers in args.workers:
        row = measure(workers, args.users, args.timeout)
        rows.append(row)
        print(
            f"{row['workers']:>11} {row['runs']:>11} {row['failed']:>11} {row['runs_per_min']:>11.1f} "
            f"{row['latency_p50']:>10.1f}s {row['latency_p95']:>10.1f}s {row['exec_p50']:>10.2f}s "
            f"{row['exec_p95']:>10.2f}s",
            flush=True,
        )
    if len(rows) > 1:
        print(f"speed-up of {rows[-1]['workers']} workers over {rows[0]['workers']}: "
              f"{rows[-1]['runs_per_min'] / rows[0]['runs_per_min']:.2f}x (goal for 2 over 1: 1.7x)")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
