"""Runs survive faults: real Celery workers (prefork), real Redis, real PostgreSQL, no eager mode.

Each test has a PostgreSQL schema and a Redis queue of its own (tests/service/harness.py);
the worker app slows transcript fetches so that a run can be interrupted in a known
stage. The stale-run reaper is sent by name, as beat would send it, once the run's
heartbeat is old enough (5 s here).
"""

from __future__ import annotations

import json
import time
from datetime import timedelta

import pytest
from sqlalchemy import create_engine, text

from app.db import utcnow
from app.pipeline.dispatch import REAP_TASK, dispatch_run
from app.schemas import STAGES
from tests.service.harness import HEARTBEAT_S, PG_URL, RedisServer, World, wait_until
from tests.service.slow_worker import CRASH_MARKER, CRASH_MESSAGE

pytestmark = pytest.mark.service


def in_transcripts(run) -> bool:  # type: ignore[no-untyped-def]
    return run.stage == "transcripts" and run.progress_done >= 1


def reap_once_stale(service: World, *run_ids: int) -> None:
    """Send the reaper once each run has shown no sign of life for longer than the heartbeat limit."""
    limit = timedelta(seconds=HEARTBEAT_S)

    def stale() -> bool:
        now = utcnow()
        return all(now - ((run := service.run(i)).heartbeat_at or run.created_at) > limit for i in run_ids)

    wait_until(stale, what=f"runs {run_ids} to go stale", timeout=HEARTBEAT_S * 4)
    service.send(REAP_TASK)


def assert_one_feed(service: World, run_id: int) -> list[tuple[object, ...]]:
    """The run succeeded with exactly one saved result per stage and a feed without repeats."""
    run = service.run(run_id)
    assert run.status == "succeeded", run.error
    assert sorted(service.stage_results(run_id)) == sorted(STAGES)
    feed = service.recommendations(run_id)
    assert feed, "the run produced no clips"
    assert len(feed) == run.counts["rank"]["out"]
    assert len({item[1] for item in feed}) == len(feed)
    assert [item[0] for item in feed] == list(range(len(feed)))
    return feed


def test_a_killed_worker_is_replaced_and_the_run_resumes_to_a_clean_runs_feed(service: World) -> None:
    interrupted_user, clean_user = service.add_user("lena"), service.add_user("lena")
    first = service.start_worker("w1")
    run_id = service.start_run(interrupted_user)
    service.wait_run(run_id, in_transcripts, "to be reading transcripts")

    first.kill()
    before = service.run(run_id)
    assert before.status == "running" and before.attempts == 1
    service.start_worker("w2", product=True)  # `openrec worker` itself
    reap_once_stale(service, run_id)
    resumed = service.wait_ended(run_id)

    assert resumed.status == "succeeded", resumed.error
    assert resumed.attempts == 2
    assert resumed.timings["screen"] == before.timings["screen"], "finished stages must not run again"
    clean_id = service.start_run(clean_user)
    assert service.wait_ended(clean_id).status == "succeeded"
    assert assert_one_feed(service, run_id) == assert_one_feed(service, clean_id)


def test_a_redis_restart_loses_nothing(service: World, own_redis: RedisServer) -> None:
    service.redis_url = own_redis.url
    users = [service.add_user(persona) for persona in ("lena", "omar", "rosa", "lena")]
    worker = service.start_worker("w1")
    running, *waiting = [service.start_run(user) for user in users[:3]]
    service.wait_run(running, in_transcripts, "to be reading transcripts")

    own_redis.kill()  # with no persistence: the queued messages are gone
    during_outage = service.create_run(users[3])
    assert not dispatch_run(during_outage, service.settings()), "dispatch must report the unreachable broker"
    own_redis.start()

    assert service.wait_ended(running).status == "succeeded", "the run in progress finishes through the outage"
    assert worker.process.poll() is None
    reap_once_stale(service, *waiting, during_outage)
    for run_id in [running, *waiting, during_outage]:
        run = service.wait_ended(run_id)
        assert run.status == "succeeded", run.error
        assert run.attempts == 1
        assert_one_feed(service, run_id)


def test_a_dropped_database_connection_is_retried_and_the_run_completes(service: World) -> None:
    user, clean_user = service.add_user("rosa"), service.add_user("rosa")
    worker = service.start_worker("w1")
    run_id = service.start_run(user)
    service.wait_run(run_id, in_transcripts, "to be reading transcripts")

    # Lock the run's row so that the worker's next write waits inside its transaction, then cut that connection
    # (from a second connection: pg_stat_activity is a snapshot within a transaction).
    admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    terminated = 0
    try:
        with admin.connect() as locker, admin.connect() as killer:
            locker.execute(text("BEGIN"))
            locker.execute(
                text(f'SELECT id FROM "{service.schema}".pipeline_runs WHERE id = :id FOR UPDATE'), {"id": run_id}
            )
            deadline = time.monotonic() + 30
            while "run_retry" not in worker.log():
                assert time.monotonic() < deadline, f"the worker never retried:\n{worker.log()[-3000:]}"
                waiting = killer.execute(
                    text(
                        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                        "WHERE application_name = :app AND wait_event_type = 'Lock'"
                    ),
                    {"app": service.app_name},
                ).all()
                terminated += len(waiting)
                time.sleep(0.05)
            locker.execute(text("ROLLBACK"))
    finally:
        admin.dispose()

    assert terminated >= 1
    run = service.wait_ended(run_id)
    assert run.status == "succeeded", run.error
    assert run.attempts >= 2
    clean_id = service.start_run(clean_user)
    assert service.wait_ended(clean_id).status == "succeeded"
    assert assert_one_feed(service, run_id) == assert_one_feed(service, clean_id)


def test_a_run_delivered_to_two_workers_executes_once(service: World) -> None:
    user = service.add_user("omar")
    workers = [service.start_worker("w1"), service.start_worker("w2")]
    run_id = service.start_run(user)
    assert dispatch_run(run_id, service.settings())  # the same run, sent a second time

    run = service.wait_ended(run_id)
    assert run.status == "succeeded", run.error
    assert run.attempts == 1
    assert_one_feed(service, run_id)
    refused = wait_until(
        lambda: [w for w in workers if "run_not_claimed" in (log := w.log()) and "outcome='busy'" in log] or None,
        what="the second delivery to be refused",
        timeout=10,
    )
    assert len(refused) == 1, "one worker executed the run, the other refused it while it ran"


def test_a_failing_stage_fails_its_run_with_the_reason_and_other_runs_go_on(service: World) -> None:
    broken = service.add_user("omar", note=f"{CRASH_MARKER}: this post makes the engine crash")
    others = [service.add_user("lena"), service.add_user("rosa")]
    service.start_worker("w1", OPENREC_TEST_TRANSCRIPT_DELAY_S="0")
    email = service.email(broken)
    queued = service.cli("run", email, "--queue")
    assert queued.returncode == 0, queued.stderr
    broken_run = int(queued.stdout)
    other_runs = [service.start_run(user) for user in others]

    failed = service.wait_ended(broken_run)
    assert failed.status == "failed"
    assert failed.error == f"The interests stage failed: RuntimeError: {CRASH_MESSAGE}"
    assert failed.attempts == 1
    for run_id in other_runs:
        assert service.wait_ended(run_id).status == "succeeded"
        assert_one_feed(service, run_id)

    shown = service.cli("runs", email, "--json")
    assert shown.returncode == 0, shown.stderr
    assert json.loads(shown.stdout)[0]["error"] == failed.error
