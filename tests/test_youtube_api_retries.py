"""The YouTube Data API source against a loopback double answering with recorded bodies.

Transient failures (429, 5xx, a dropped connection) are retried with backoff; an
exhausted daily quota stops every later call until midnight Pacific time; the key
travels only in a header and never reaches a log line or an error.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import structlog

from app.config import Settings
from app.sources.base import SourceError
from app.sources.providers import get_video_source
from app.sources.youtube import PACIFIC, QUOTA_MESSAGE, QuotaGate, YouTubeApiSource
from tests.youtube_api_server import YouTubeApiDouble, run_youtube_api

FIXTURES = Path(__file__).parent / "fixtures" / "youtube"
API_KEY = "AIzaSy-test-key-never-logged-0123456789"


def recorded(name: str) -> Any:
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))


SEARCH = recorded("search_list_page1.json")
IDS = [item["id"]["videoId"] for item in SEARCH["items"]]
QUOTA = recorded("error_403_quota_exceeded.json")
SERVER_ERROR = {"error": {"code": 503, "message": "The service is currently unavailable.", "errors": []}}


def videos_answer(ids: list[str]) -> dict[str, Any]:
    answer = recorded("videos_list_contentdetails_statistics.json")
    template = answer["items"][0]
    answer["items"] = [{**copy.deepcopy(template), "id": video_id} for video_id in ids]
    return answer


@pytest.fixture
def api() -> Iterator[YouTubeApiDouble]:
    with run_youtube_api() as double:
        yield double


def source(api: YouTubeApiDouble, quota: QuotaGate | None = None, key: str = API_KEY, retries: int = 3) -> Any:
    return YouTubeApiSource(
        key, base_url=api.base_url, timeout_s=5, max_retries=retries, backoff_s=0.01, quota=quota or QuotaGate()
    )


def test_server_errors_and_rate_limits_are_retried_until_an_answer(api):
    api.script("search", (503, SERVER_ERROR), (429, SERVER_ERROR), (200, SEARCH))
    api.script("videos", (500, "<html>backend error</html>"), (200, videos_answer(IDS)))

    with structlog.testing.capture_logs() as logs:
        found = source(api).search("surfing", 25)

    assert [c.video_id for c in found] == IDS
    assert (api.count("search"), api.count("videos")) == (3, 2)
    retries = [entry for entry in logs if entry["event"] == "youtube_api_retry"]
    assert [entry["resource"] for entry in retries] == ["search", "search", "videos"]


def test_a_dropped_connection_is_retried(api):
    api.script("search", (0, ""), (200, SEARCH))
    api.script("videos", (200, videos_answer(IDS[:2])))

    assert [c.video_id for c in source(api).search("surfing", 25)] == IDS[:2]
    assert api.count("search") == 2


def test_retries_end_with_a_source_error_that_says_what_failed(api):
    api.script("search", (503, SERVER_ERROR))

    with pytest.raises(SourceError, match=r"search\.list failed with HTTP 503"):
        source(api, retries=2).search("surfing", 25)
    assert api.count("search") == 3  # the first try and two retries


def test_client_errors_are_not_retried(api):
    api.script("search", (400, recorded("error_400_key_invalid.json")))

    with pytest.raises(SourceError, match="rejected YOUTUBE_API_KEY"):
        source(api).search("surfing", 25)
    assert api.count("search") == 1


def test_an_exhausted_quota_stops_every_call_until_midnight_pacific(api):
    now = [datetime(2026, 12, 3, 15, 30, tzinfo=UTC)]
    gate = QuotaGate(clock=lambda: now[0])
    api.script("search", (403, QUOTA))

    with pytest.raises(SourceError, match="quota exceeded") as first:
        source(api, gate).search("surfing", 25)
    assert str(first.value) == QUOTA_MESSAGE
    assert api.count("search") == 1  # a quota answer is not retried

    with pytest.raises(SourceError, match=r"quota exceeded.*resets at"):
        source(api, gate).search("knitting", 25)  # a new source, the same day: no request at all
    assert api.count("search") == 1

    api.script("search", (200, SEARCH))
    api.script("videos", (200, videos_answer(IDS[:1])))
    assert len(source(api, gate, key="another-key").search("surfing", 25)) == 1  # another key has its own quota

    local = now[0].astimezone(PACIFIC)
    next_midnight = datetime.combine(local.date() + timedelta(days=1), datetime.min.time(), tzinfo=PACIFIC)
    now[0] = next_midnight.astimezone(UTC) - timedelta(seconds=1)
    with pytest.raises(SourceError, match="quota exceeded"):
        source(api, gate).search("surfing", 25)
    now[0] = next_midnight.astimezone(UTC) + timedelta(seconds=1)
    assert len(source(api, gate).search("surfing", 25)) == 1


def test_the_key_travels_in_a_header_and_never_reaches_a_url_log_or_error(api, capsys):
    api.script("search", (503, SERVER_ERROR), (403, QUOTA))

    with structlog.testing.capture_logs() as logs, pytest.raises(SourceError) as raised:
        source(api).search("surfing", 25)

    assert all(seen.headers.get("X-Goog-Api-Key") == API_KEY for seen in api.requests)
    assert all(API_KEY not in seen.raw_path for seen in api.requests)
    assert API_KEY not in str(raised.value)
    assert API_KEY not in repr(logs)
    captured = capsys.readouterr()
    assert API_KEY not in captured.out + captured.err


def test_settings_point_the_source_at_the_configured_base_url_and_retries(api):
    api.script("search", (503, SERVER_ERROR))
    chosen = Settings(
        _env_file=None,
        openrec_video_source="api",
        youtube_api_key="settings-key",
        youtube_api_base_url=api.base_url,
        youtube_api_max_retries=1,
    )
    videos = get_video_source(chosen)

    with pytest.raises(SourceError, match="HTTP 503"):
        videos.search("surfing", 5)
    assert api.count("search") == 2  # one retry, after the default backoff (about a second)
