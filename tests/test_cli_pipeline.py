"""The pipeline commands as a user runs them: run, feed, instructions, runs, demo, and the dev-set evaluation.

Commands commit to the test database, so every test uses fresh email addresses.
"""

from __future__ import annotations

import json
import subprocess
import sys
import zipfile
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import structlog
from rich.console import Console
from sqlalchemy import func, select

from app.cli import main
from app.cli_runs import print_runs, print_summary
from app.db import session_scope, utcnow
from app.demo import DEMO_EMAIL, SAMPLE_ARCHIVE, SAMPLE_CATALOG
from app.models import ImportJob, PipelineRun, Tweet, User
from app.schemas import STAGES
from app.services.runs import run_create
from app.services.users import user_by_email
from tests.conftest import PASSWORD, SHARED, reset_caches, unique_email

EVAL = SHARED / "eval"
FEED_KEYS = {
    *("video_id", "title", "channel", "start_s", "end_s"),
    *("explanation", "quote", "quote_s", "tweet_ids", "score", "interest"),
}
THRESHOLDS = {"p@10": 0.8, "clip_hit": 0.7, "grounded": 1.0}


@pytest.fixture
def catalog(monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Point the video source at a catalog file (the sample catalog unless a test switches it)."""
    monkeypatch.setenv("OPENREC_VIDEO_SOURCE", "catalog")
    monkeypatch.setenv("OPENREC_CATALOG", str(SAMPLE_CATALOG))
    reset_caches()
    yield SAMPLE_CATALOG
    reset_caches()


def archive_ids(path: Path) -> set[str]:
    """Every tweet and liked tweet id in an archive, read straight from its files."""
    ids: set[str] = set()
    with zipfile.ZipFile(path) as archive:
        for name in archive.namelist():
            if name in ("data/tweets.js", "data/like.js") or name.startswith("data/tweets-part"):
                text = archive.read(name).decode()
                for entry in json.loads(text[text.index("=") + 1 :]):
                    ids.add(entry["tweet"]["id_str"] if "tweet" in entry else entry["like"]["tweetId"])
    return ids


def cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def new_user(capsys: pytest.CaptureFixture[str], archive: Path | None = None) -> str:
    email = unique_email("cli")
    assert cli(capsys, "create-user", email, "--password", PASSWORD)[0] == 0
    if archive is not None:
        assert cli(capsys, "import-archive", email, str(archive))[0] == 0
    return email


def test_run_feed_instructions_and_runs_on_the_sample_data(catalog: Path, capsys: pytest.CaptureFixture[str]) -> None:
    email = new_user(capsys, SAMPLE_ARCHIVE)
    code, out, _ = cli(capsys, "instructions", email, "No more videos about sourdough. Make it purple.")
    assert code == 0
    assert 'will apply: excluding videos about "sourdough"' in out
    assert "cannot apply: Make it purple" in out

    code, out, _ = cli(capsys, "run", email)
    assert code == 0, out
    assert "succeeded" in out
    assert all(stage in out for stage in STAGES)

    code, out, _ = cli(capsys, "feed", email, "--json")
    assert code == 0
    feed = json.loads(out)
    assert feed, "the sample data should give a feed"
    catalog_videos = {v["id"]: v for v in json.loads(catalog.read_text())["videos"]}
    ids = archive_ids(SAMPLE_ARCHIVE)
    for item in feed:
        assert set(item) == FEED_KEYS
        video = catalog_videos[item["video_id"]]
        assert "sourdough" not in (video["title"] + video["description"]).lower()
        assert 0 <= item["start_s"] < item["end_s"] <= video["duration_s"]
        assert item["start_s"] <= item["quote_s"] <= item["end_s"]
        assert item["tweet_ids"] and set(item["tweet_ids"]) <= ids
        assert item["title"] == video["title"] and item["channel"] == video["channel"]
    assert len({item["video_id"] for item in feed}) == len(feed)
    code, out, _ = cli(capsys, "interests", email, "--json")
    assert code == 0
    assert {item["interest"] for item in feed} <= {interest["name"] for interest in json.loads(out)}, feed

    code, out, _ = cli(capsys, "feed", email)
    assert code == 0
    assert catalog_videos[feed[0]["video_id"]]["title"] in out

    code, out, _ = cli(capsys, "runs", email, "--json")
    assert code == 0
    [run] = json.loads(out)
    assert run["status"] == "succeeded" and run["engine"] == "local"
    assert list(run["timings"]) == list(STAGES)
    assert run["counts"]["rank"]["out"] == len(feed)
    assert run["llm_calls"] == {} and run["tokens_in"] == 0 and run["cost_usd"] == 0
    assert any("Instructions applied" in entry["message"] for entry in run["log"])


def test_an_empty_feed_says_whether_a_run_finished(catalog: Path, capsys: pytest.CaptureFixture[str]) -> None:
    email = new_user(capsys, SAMPLE_ARCHIVE)
    code, out, _ = cli(capsys, "feed", email)
    assert code == 0 and "no run has finished yet" in out, out

    assert cli(capsys, "run", email)[0] == 0
    assert cli(capsys, "run", email)[0] == 0  # finds only the videos the first run showed
    [latest, _] = json.loads(cli(capsys, "runs", email, "--json")[1])
    code, out, _ = cli(capsys, "feed", email)
    assert code == 0 and f"run #{latest['id']}, the latest to finish, holds no clips" in out, out


def run_shown(engine: str, usage: dict[str, Any]) -> dict[str, Any]:
    """A finished run as `run_summary` gives it, with the model calls of its interests stage (`usage`)."""
    spent = usage.get("interests", {"tokens_in": 0, "tokens_out": 0, "cost_usd": 0.0})
    return {
        "id": 7,
        "engine": engine,
        "status": "succeeded",
        "error": None,
        "created_at": "2026-12-01T09:00:00+00:00",
        "counts": {stage: {"in": 4, "out": 3, "skipped": 1} for stage in STAGES},
        "timings": dict.fromkeys(STAGES, 0.25),
        "llm_calls": usage,
        "tokens_in": spent["tokens_in"],
        "tokens_out": spent["tokens_out"],
        "cost_usd": spent["cost_usd"],
        "log": [],
    }


def test_a_run_without_a_model_shows_no_model_columns_nor_a_cost() -> None:
    local = run_shown("local", {})
    called = run_shown("openai", {"interests": {"calls": 2, "tokens_in": 900, "tokens_out": 100, "cost_usd": 0.0012}})
    shown = {}
    for summary in (local, called):
        console = Console(record=True, width=160)
        print_summary(console, summary)
        print_runs(console, [summary])
        shown[summary["engine"]] = console.export_text()
    assert "LLM calls" not in shown["local"] and "0.0000" not in shown["local"]
    assert "LLM calls" in shown["openai"] and "0.0012" in shown["openai"] and "1000" in shown["openai"]


def test_an_exclusion_saved_after_a_run_takes_its_clips_out_of_the_feed(
    catalog: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    email = new_user(capsys, SAMPLE_ARCHIVE)
    assert cli(capsys, "run", email)[0] == 0
    feed = json.loads(cli(capsys, "feed", email, "--json")[1])
    interest = feed[0]["interest"]
    on_it = [item for item in feed if item["interest"] == interest]

    code, out, _ = cli(capsys, "instructions", email, f"no more {interest}")
    assert code == 0
    assert f"{len(on_it)} clip" in out and "about what you excluded" in out, out
    left = json.loads(cli(capsys, "feed", email, "--json")[1])
    assert left and all(item["interest"] != interest for item in left)
    assert len(left) <= len(feed) - len(on_it)

    code, out, _ = cli(capsys, "instructions", email, "")
    assert code == 0 and "cleared" in out and "back in your feed" in out, out
    assert json.loads(cli(capsys, "feed", email, "--json")[1]) == feed


def test_a_run_that_fails_exits_non_zero_with_its_reason(catalog: Path, capsys: pytest.CaptureFixture[str]) -> None:
    email = new_user(capsys)
    code, out, _ = cli(capsys, "run", email)
    assert code == 1
    assert "failed" in out and "import your X archive" in out
    assert cli(capsys, "feed", email, "--json")[1].strip() == "[]"


def test_commands_refuse_unknown_users_and_a_second_active_run(
    catalog: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    for argv in (["run", "nobody@example.com"], ["feed", "nobody@example.com"], ["runs", "nobody@example.com"]):
        code, _, err = cli(capsys, *argv)
        assert code == 2 and "no user with email nobody@example.com" in err
    email = new_user(capsys)
    with session_scope() as session:
        user = user_by_email(session, email=email)
        assert user is not None
        run, _ = run_create(session, user=user)
        run.status = "running"
        run.heartbeat_at = utcnow()
    code, _, err = cli(capsys, "run", email)
    assert code == 2 and "already running" in err
    code, _, err = cli(capsys, "instructions", email, "x" * 2001)
    assert code == 2 and "2000 characters" in err


def test_run_resumes_a_run_whose_process_vanished(catalog: Path, capsys: pytest.CaptureFixture[str]) -> None:
    email = new_user(capsys, SAMPLE_ARCHIVE)
    with session_scope() as session:
        user = user_by_email(session, email=email)
        assert user is not None
        run, _ = run_create(session, user=user)
        run.status, run.heartbeat_at = "running", utcnow() - timedelta(hours=1)
        stale_id = run.id
    code, out, _ = cli(capsys, "run", email)
    assert code == 0, out
    assert f"resuming run #{stale_id}" in out and f"run #{stale_id} succeeded" in out


@pytest.fixture
def other_catalog(monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A server set up with its own catalog, on other topics than the demo archive's."""
    path = EVAL / "dev" / "catalog.json"
    monkeypatch.setenv("OPENREC_VIDEO_SOURCE", "catalog")
    monkeypatch.setenv("OPENREC_CATALOG", str(path))
    reset_caches()
    yield path
    reset_caches()


def test_demo_sets_up_an_account_once_and_runs_offline(capsys: pytest.CaptureFixture[str], other_catalog: Path) -> None:
    code, out, _ = cli(capsys, "demo", "--password", PASSWORD)
    assert code == 0, out
    assert DEMO_EMAIL in out

    def state() -> tuple[int | None, ...]:
        with session_scope() as session:
            users = session.scalars(select(User.id).where(User.email == DEMO_EMAIL)).all()
            assert len(users) == 1
            return tuple(
                session.scalar(select(func.count()).select_from(model).where(model.user_id == users[0]))
                for model in (Tweet, ImportJob, PipelineRun)
            )

    before = state()
    assert before[0] == len(archive_ids(SAMPLE_ARCHIVE)) and before[2] == 1
    code, out, _ = cli(capsys, "demo")
    assert code == 0
    assert state() == before
    code, out, _ = cli(capsys, "demo", "--once")
    assert code == 0 and "already set up" in out
    code, out, _ = cli(capsys, "feed", DEMO_EMAIL, "--json")
    feed = json.loads(out)
    sample_ids = {v["id"] for v in json.loads(SAMPLE_CATALOG.read_text())["videos"]}
    assert len(feed) >= 8 and {item["video_id"] for item in feed} <= sample_ids
    code, out, _ = cli(capsys, "runs", DEMO_EMAIL, "--json")
    assert any("sample catalog" in entry["message"] for entry in json.loads(out)[0]["log"])


def test_the_dev_evaluation_set_through_the_cli_meets_the_quality_bar(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """Every dev persona, as the evaluation README runs it, scored by the set's own scorer."""
    dev = EVAL / "dev"
    assert (EVAL / "score.py").is_file() and (dev / "labels.json").is_file(), f"evaluation set missing at {EVAL}"
    monkeypatch.setenv("OPENREC_VIDEO_SOURCE", "catalog")
    monkeypatch.setenv("OPENREC_CATALOG", str(dev / "catalog.json"))
    reset_caches()
    try:
        labels = json.loads((dev / "labels.json").read_text())
        results = {}
        for persona, spec in labels["personas"].items():
            email = new_user(capsys, dev / spec["archive"])
            if spec["instructions"]:
                assert cli(capsys, "instructions", email, spec["instructions"])[0] == 0
            code, out, _ = cli(capsys, "run", email)
            assert code == 0, out
            code, out, _ = cli(capsys, "feed", email, "--json")
            feed_path = tmp_path / f"{persona}.json"
            feed_path.write_text(out)
            scored = subprocess.run(
                [sys.executable, str(EVAL / "score.py"), str(dev / "labels.json"), persona, str(feed_path)],
                capture_output=True,
                text=True,
                check=True,
            )
            results[persona] = dict(pair.split("=") for pair in scored.stdout.split())
    finally:
        reset_caches()
    for persona, metrics in results.items():
        for key, bar in THRESHOLDS.items():
            assert float(metrics[key]) >= bar, (persona, metrics)
        assert int(metrics["excluded"]) == 0, (persona, metrics)
        assert int(metrics["stale"]) <= 1, (persona, metrics)


def test_a_command_logs_only_problems_next_to_its_own_report(catalog: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = cli(capsys, "feed", "nobody@example.org", "--json")
    assert code == 2 and "nobody@example.org" in err
    log = structlog.get_logger("openrec.test")
    log.debug("a_detail")
    log.info("a_step")
    log.warning("a_problem")
    out, err = capsys.readouterr()
    assert "a_problem" in err and "a_detail" not in out + err and "a_step" not in out + err
