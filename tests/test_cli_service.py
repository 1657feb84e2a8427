"""Service-mode commands without a broker configured: a clear error, nothing started."""

from __future__ import annotations

import pytest

from app.cli import main
from app.config import Settings
from app.pipeline.dispatch import dispatch_run


@pytest.mark.parametrize("argv", [["worker"], ["worker", "--concurrency", "2"], ["beat"]])
def test_worker_and_beat_need_redis(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert f"openrec {argv[0]} needs REDIS_URL" in err
    assert "redis://" in err


def test_run_queue_needs_redis(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["run", "someone@example.com", "--queue"]) == 2
    captured = capsys.readouterr()
    assert "--queue needs REDIS_URL" in captured.err
    assert captured.out == ""


def test_an_unreachable_broker_is_reported_not_raised() -> None:
    settings = Settings(redis_url="redis://127.0.0.1:1/0")  # nothing listens on port 1
    assert dispatch_run(42, settings) is False
