"""What the app puts on the queue: a task by name, JSON only, on the configured queue."""

from __future__ import annotations

import base64
import json
import uuid

import pytest
import redis

from app.config import Settings
from app.pipeline.dispatch import RUN_TASK, dispatch_run
from tests.service.harness import REDIS_URL, forget_queue

pytestmark = pytest.mark.service


def test_a_dispatched_run_is_a_json_message_naming_the_task_on_the_runs_queue() -> None:
    broker = redis.Redis.from_url(REDIS_URL)
    queue = f"openrec-test-{uuid.uuid4().hex[:10]}"
    try:
        assert dispatch_run(31337, Settings(redis_url=REDIS_URL, openrec_queue=queue))
        raw = broker.lpop(queue)
        assert raw is not None, "the message is on the queue named by OPENREC_QUEUE"
        message = json.loads(raw)
        assert message["content-type"] == "application/json"
        assert message["headers"]["task"] == RUN_TASK
        args, kwargs, _embed = json.loads(base64.b64decode(message["body"]))
        assert (args, kwargs) == ([31337], {})
    finally:
        forget_queue(broker, queue)
        broker.close()
