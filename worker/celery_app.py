"""The Celery application of `openrec worker` and `openrec beat`, configured from Settings.

A run is acknowledged only when its task has ended (`acks_late`), and handed back if
the worker process running it dies (`task_reject_on_worker_lost`); each worker
process reserves one message at a time, so a long run never holds another one
hostage. A redelivered run resumes from its saved stages (app.pipeline.runner), and
app.services.run_leases decides which delivery executes it. Nothing reads task
results, so there is no result backend.

Beat sends the stale-run reaper every minute and the scheduled-refresh check every
five minutes; each message expires before the next one is due, so a stopped worker
pool does not come back to a pile of them.
"""

from __future__ import annotations

import logging
import tempfile
from pathlib import Path
from typing import Any

from celery import Celery, signals
from kombu.exceptions import OperationalError as BrokerUnreachable
from redis.exceptions import ConnectionError as RedisConnectionError
from sqlalchemy.exc import DBAPIError, OperationalError

from app.config import get_settings
from app.db import forget_engines, get_engine
from app.logs import configure_logging
from app.pipeline.dispatch import REAP_TASK, SCHEDULE_TASK, broker_settings, hard_time_limit_s
from app.services.schedule import CHECK_EVERY

REAP_EVERY_S = 60
SCHEDULE_EVERY_S = int(CHECK_EVERY.total_seconds())
RETRY_BACKOFF_S = 1  # first retry within a second, then doubling…
RETRY_BACKOFF_MAX_S = 60  # …up to a minute, each one a random wait up to that bound (full jitter)
RETRY_MAX = 8
BEAT_SCHEDULE_FILE = Path(tempfile.gettempdir()) / "openrec-beat-schedule"


def is_transient(exc: BaseException) -> bool:
    """An error worth retrying: the database or the broker went away for a moment."""
    if isinstance(exc, OperationalError | RedisConnectionError | BrokerUnreachable):
        return True
    return isinstance(exc, DBAPIError) and exc.connection_invalidated


def celery_config() -> dict[str, Any]:
    settings = get_settings()
    return {
        **broker_settings(settings),
        "task_acks_late": True,
        "task_reject_on_worker_lost": True,
        "worker_prefetch_multiplier": 1,
        "task_soft_time_limit": settings.openrec_task_soft_time_limit_s,
        "task_time_limit": hard_time_limit_s(settings),
        # a run keeps going while the broker restarts: its results go to the database, not the broker
        "worker_cancel_long_running_tasks_on_connection_loss": False,
        "broker_connection_max_retries": None,
        "beat_schedule_filename": str(BEAT_SCHEDULE_FILE),
        "beat_schedule": {
            "reap-stale-runs": {"task": REAP_TASK, "schedule": REAP_EVERY_S, "options": {"expires": REAP_EVERY_S}},
            "schedule-refresh": {
                "task": SCHEDULE_TASK,
                "schedule": SCHEDULE_EVERY_S,
                "options": {"expires": SCHEDULE_EVERY_S},
            },
        },
    }


celery_app = Celery("openrec", include=["worker.tasks"])
celery_app.conf.update(celery_config())


@signals.setup_logging.connect
def _setup_logging(loglevel: int | str | None = None, **_: Any) -> None:
    """Log like the rest of openrec (key=value or JSON lines), at the level the command line gives."""
    settings = get_settings()
    if loglevel:
        level = logging.getLevelName(loglevel) if isinstance(loglevel, int) else loglevel
        settings = settings.model_copy(update={"openrec_log_level": level})
    configure_logging(settings)


@signals.worker_process_init.connect
def _fresh_database_pool(**_: Any) -> None:
    """A forked pool process must not share the parent's database connections."""
    if get_engine.cache_info().currsize:
        get_engine().dispose(close=False)
    forget_engines()
