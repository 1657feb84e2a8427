"""Fixtures of the fault tests: a world (schema, queue, workers) per test, and a Redis of our own."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.service.harness import CATALOG, RedisServer, World, free_port, world


@pytest.fixture
def service(tmp_path: Path) -> Iterator[World]:
    assert CATALOG.is_file(), f"the fault tests need the dev catalog at {CATALOG}"
    with world(tmp_path) as w:
        yield w


@pytest.fixture
def own_redis() -> Iterator[RedisServer]:
    server = RedisServer(free_port())
    server.start()
    try:
        yield server
    finally:
        server.kill()
