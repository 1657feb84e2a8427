"""Hand a committed run to whatever executes runs: the Celery workers (service mode) or this process.

The web app, the CLI and the scheduler call `dispatch_run` after committing a new
run. In service mode the run goes to the queue by task name through a minimal Celery
client, so the app never imports the worker package; the broker settings both sides
must agree on live here (`broker_settings`) and the worker adds its own on top.
Without REDIS_URL the run goes to the in-process executor.

A broker that cannot be reached does not lose the run: it stays queued in the
database and the stale-run reaper sends it once the broker is back.
"""

from __future__ import annotations

import threading
from typing import Any

import structlog
from celery import Celery
from kombu.exceptions import OperationalError as BrokerUnreachable
from redis.exceptions import RedisError

from app.config import Settings
from app.pipeline.executor import submit_run

RUN_TASK = "openrec.run_pipeline"
REAP_TASK = "openrec.reap_stale_runs"
SCHEDULE_TASK = "openrec.schedule_refresh"
HARD_LIMIT_GRACE_S = 60  # the hard time limit follows the soft one by this much
VISIBILITY_MARGIN_S = 300  # a message unacknowledged this long after the hard limit is delivered again
PUBLISH_RETRY = {"max_retries": 2, "interval_start": 0, "interval_step": 0.5, "interval_max": 1}

log = structlog.get_logger("openrec.runs")
_clients: dict[tuple[str, str, int], Celery] = {}
_clients_lock = threading.Lock()


def hard_time_limit_s(settings: Settings) -> int:
    return settings.openrec_task_soft_time_limit_s + HARD_LIMIT_GRACE_S


def broker_settings(settings: Settings) -> dict[str, Any]:
    """Celery settings the sender and the workers share: broker, queue, JSON only, no results.

    With late acknowledgement on Redis, a message not acknowledged within the
    visibility timeout is delivered again: it must outlast the longest task (its hard
    time limit) so that a live run is never handed to a second worker.
    """
    return {
        "broker_url": settings.redis_url,
        "broker_connection_retry_on_startup": True,
        "broker_connection_timeout": 4,
        "broker_transport_options": {"visibility_timeout": hard_time_limit_s(settings) + VISIBILITY_MARGIN_S},
        "task_default_queue": settings.openrec_queue,
        "task_serializer": "json",
        "result_serializer": "json",
        "accept_content": ["json"],
        "task_ignore_result": True,
        "result_backend": None,
        "timezone": "UTC",
        "enable_utc": True,
    }


def queue_client(settings: Settings) -> Celery:
    """The Celery client that sends tasks by name to the workers of these settings (one per broker and queue)."""
    key = (settings.redis_url, settings.openrec_queue, settings.openrec_task_soft_time_limit_s)
    with _clients_lock:
        client = _clients.get(key)
        if client is None:
            client = Celery("openrec-dispatch", set_as_current=False)
            client.conf.update(broker_settings(settings))
            _clients[key] = client
    return client


def dispatch_run(run_id: int, settings: Settings) -> bool:
    """Start executing a committed run; False when the broker was unreachable (the reaper sends it later)."""
    if not settings.service_mode:
        submit_run(run_id)
        return True
    try:
        queue_client(settings).send_task(RUN_TASK, args=[run_id], retry=True, retry_policy=PUBLISH_RETRY)
    except (BrokerUnreachable, RedisError, OSError) as exc:
        log.warning("run_dispatch_failed", run_id=run_id, error=str(exc))
        return False
    return True
