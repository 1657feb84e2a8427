"""`openrec doctor` against loopback doubles: what works, what fails, what to set, and the exit code."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from app.cli import main
from app.config import Settings
from app.db import make_engine
from app.doctor import (
    NO_ROUTE_FIX,
    Check,
    check_captions,
    check_database,
    check_local_engine,
    check_search,
    report,
    run_checks,
)
from app.llm.local import encoder
from app.migrate import upgrade_to_head
from app.schemas import Candidate, Segment, TranscriptData
from app.sources.base import BLOCKED_NOTE, SourceUnreachable, TranscriptBlocked, TranscriptUnreachable
from tests.conftest import reset_caches
from tests.fake_openai_server import FakeOpenAI, fixture, run_fake_openai, structured
from tests.loopback_doubles import closed_port, fake_redis, refusing_proxy

OPENAI_KEY = "sk-doctor-secret-key-123"


@pytest.fixture
def database(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'doctor.sqlite3'}"
    engine = make_engine(url)
    with engine.begin() as connection:
        upgrade_to_head(connection)
    engine.dispose()
    return url


@pytest.fixture
def model() -> Iterator[FakeOpenAI]:
    with run_fake_openai() as fake:
        yield fake


class WorkingSearch:
    name = "ytdlp"

    def search(self, query: str, limit: int) -> list[Candidate]:
        return [Candidate(video_id="abcdefghijk", title="How bicycles work", query=query)][:limit]


class Captions:
    def __init__(self, error: Exception | None = None) -> None:
        self.error = error

    def fetch(self, video_id: str) -> TranscriptData:
        if self.error is not None:
            raise self.error
        return TranscriptData(
            video_id=video_id,
            language_code="en",
            is_generated=True,
            segments=[Segment(text="All right, so here we are", start=0.0, duration=2.0)],
        )


def by_name(checks: list[Check]) -> dict[str, Check]:
    return {check.name: check for check in checks}


def test_every_check_passes_against_working_services(database: str, model: FakeOpenAI) -> None:
    model.queue(structured({"ok": True}))
    with fake_redis() as redis_url:
        settings = Settings(
            _env_file=None,
            database_url=database,
            redis_url=redis_url,
            openai_api_key=OPENAI_KEY,
            openai_base_url=model.base_url,
        )
        checks = run_checks(settings, search=WorkingSearch(), captions=Captions())

    assert [check.name for check in checks] == ["database", "redis", "model", "local engine", "search", "captions"]
    assert all(check.ok for check in checks), report(checks)
    assert len(model.requests) == 1 and not model.problems  # one valid structured request
    assert report(checks).endswith("Everything works.")


def test_doctor_exits_non_zero_and_says_what_to_set(
    database: str, model: FakeOpenAI, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    model.queue(fixture("error_401_invalid_api_key.json", status=401))
    with refusing_proxy() as (proxy_url, seen):
        for name, value in {
            "DATABASE_URL": database,
            "REDIS_URL": f"redis://127.0.0.1:{closed_port()}/0",
            "OPENAI_API_KEY": OPENAI_KEY,
            "OPENAI_BASE_URL": model.base_url,
            "OPENREC_PROXY_URL": proxy_url,
        }.items():
            monkeypatch.setenv(name, value)
        reset_caches()
        try:
            code = main(["doctor"])
        finally:
            monkeypatch.undo()
            reset_caches()

    out = capsys.readouterr().out
    assert code == 1
    lines = {line.split()[1]: line for line in out.splitlines() if line.startswith(("ok ", "FAIL "))}
    assert lines["database"].startswith("ok")
    for failed in ("redis", "model", "search", "captions"):
        assert lines[failed].startswith("FAIL"), out
    assert "What to set:" in out
    assert "REDIS_URL" in out and "OPENAI_API_KEY" in out and "OPENREC_PROXY_URL" in out
    # both YouTube clients went through the configured proxy, and its password is never shown
    assert any("youtube.com" in request for request in seen), seen
    assert len(seen) >= 2
    assert "proxy-secret-pw" not in out and OPENAI_KEY not in out
    assert "***@127.0.0.1" in out


def test_a_blocked_caption_fetch_names_the_setting() -> None:
    check = check_captions(
        Settings(_env_file=None), Captions(TranscriptBlocked("jNQXAC9IVRw", "YouTube refused the request"))
    )
    assert not check.ok
    assert BLOCKED_NOTE in check.detail
    assert "OPENREC_PROXY_URL" in check.fix


class Unreachable:
    """A search that gets no answer at all, as on a server with no network."""

    name = "ytdlp"

    def search(self, query: str, limit: int) -> list[Candidate]:
        raise SourceUnreachable("YouTube could not be reached: this server could not look up its address")


def test_no_answer_at_all_points_to_the_network_before_a_proxy() -> None:
    plain = Settings(_env_file=None)
    search = check_search(plain, Unreachable())
    captions = check_captions(plain, Captions(TranscriptUnreachable("jNQXAC9IVRw", "YouTube could not be reached")))
    for check in (search, captions):
        assert not check.ok
        assert "could not be reached" in check.detail
        assert check.fix == NO_ROUTE_FIX
    # With a proxy set, the proxy is what to check first.
    proxied = Settings(_env_file=None, openrec_proxy_url="http://127.0.0.1:3128")
    assert check_search(proxied, Unreachable()).fix.startswith("check OPENREC_YTDLP_PROXY_URL")
    assert check_captions(proxied, Captions(TranscriptUnreachable("x", "down"))).fix.startswith(
        "check OPENREC_TRANSCRIPT_PROXY_URL"
    )


@pytest.mark.parametrize(
    ("url", "problem"),
    [
        ("postgresql+psycopg://openrec:db-secret-pw@127.0.0.1:{port}/openrec", "DATABASE_URL"),
        ("sqlite:///{tmp}/missing.sqlite3", "openrec migrate"),
    ],
)
def test_a_database_that_cannot_be_used_fails_with_the_fix(tmp_path: Path, url: str, problem: str) -> None:
    check = check_database(Settings(_env_file=None, database_url=url.format(port=closed_port(), tmp=tmp_path)))
    assert not check.ok
    assert problem in check.fix
    assert "db-secret-pw" not in check.detail


def test_an_old_schema_is_reported(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'empty.sqlite3'}"
    make_engine(url).connect().close()  # the file exists, no migration ran
    check = check_database(Settings(_env_file=None, database_url=url))
    assert not check.ok and "openrec migrate" in check.fix


def test_missing_local_models_are_reported_with_the_fix(monkeypatch: pytest.MonkeyPatch) -> None:
    assert check_local_engine().ok
    monkeypatch.setattr(encoder, "_PACKAGE", "no_such_model_package")
    encoder._model.cache_clear()
    encoder._cache.clear()
    try:
        check = check_local_engine()
    finally:
        monkeypatch.undo()
        encoder._model.cache_clear()
    assert not check.ok and "not installed" in check.detail and "pip install" in check.fix


def test_the_catalog_source_needs_no_youtube(database: str) -> None:
    settings: Any = Settings(_env_file=None, database_url=database, openrec_video_source="catalog")
    checks = by_name(run_checks(settings))
    assert checks["search"].ok and "catalog" in checks["search"].detail
    assert checks["captions"].ok and "catalog" in checks["captions"].detail
