"""The worker's Celery configuration: what beat sends exists, messages are JSON, a live run is never redelivered."""

from __future__ import annotations

from app.config import get_settings
from app.pipeline.dispatch import REAP_TASK, RUN_TASK, SCHEDULE_TASK
from worker.celery_app import celery_app, is_transient
from worker.tasks import run_pipeline


def test_beat_sends_registered_tasks_that_expire_before_the_next_send() -> None:
    schedule = celery_app.conf.beat_schedule
    assert {entry["task"] for entry in schedule.values()} == {REAP_TASK, SCHEDULE_TASK}
    for entry in schedule.values():
        assert entry["task"] in celery_app.tasks
        assert entry["options"]["expires"] <= entry["schedule"]
    assert run_pipeline.name == RUN_TASK


def test_runs_are_acknowledged_late_one_at_a_time_as_json() -> None:
    conf = celery_app.conf
    assert conf.task_acks_late and conf.task_reject_on_worker_lost
    assert conf.worker_prefetch_multiplier == 1
    assert conf.task_serializer == "json" and list(conf.accept_content) == ["json"]
    assert conf.task_ignore_result and not conf.result_backend
    assert conf.task_default_queue == get_settings().openrec_queue


def test_a_message_outlives_the_longest_task_before_redis_hands_it_to_another_worker() -> None:
    conf = celery_app.conf
    assert conf.task_soft_time_limit == get_settings().openrec_task_soft_time_limit_s
    assert conf.task_soft_time_limit < conf.task_time_limit < conf.broker_transport_options["visibility_timeout"]


def test_only_connection_failures_are_transient() -> None:
    from kombu.exceptions import OperationalError as BrokerUnreachable
    from redis.exceptions import ConnectionError as RedisConnectionError
    from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError

    assert is_transient(OperationalError("SELECT 1", {}, Exception("server closed the connection")))
    assert is_transient(DBAPIError("SELECT 1", {}, Exception("gone"), connection_invalidated=True))
    assert is_transient(RedisConnectionError("refused"))
    assert is_transient(BrokerUnreachable("refused"))
    assert not is_transient(IntegrityError("INSERT", {}, Exception("duplicate key")))
    assert not is_transient(DBAPIError("SELECT 1", {}, Exception("syntax error")))
    assert not is_transient(ValueError("bad"))


def test_a_database_error_is_reported_without_its_statement_or_parameters() -> None:
    from sqlalchemy.exc import OperationalError

    from worker.tasks import _reason

    error = OperationalError(
        "UPDATE runs SET log = %(log)s", {"log": "my private tweet"}, ConnectionError("lost\nmore")
    )
    assert _reason(error) == "ConnectionError: lost"
    assert _reason(ValueError("bad value")) == "ValueError: bad value"
