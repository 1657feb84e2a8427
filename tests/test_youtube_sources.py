"""YouTube search providers against recorded YouTube answers, and the choice of provider from settings."""

from __future__ import annotations

import copy
import json
import logging
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import httpx
import pytest
import responses
import respx
import structlog
import yt_dlp
from hypothesis import given
from hypothesis import strategies as st

from app.config import Settings
from app.sources.base import SourceError, SourceUnreachable
from app.sources.catalog import CatalogSource
from app.sources.providers import SourceNotConfigured, get_transcript_source, get_video_source
from app.sources.subtitles import FallbackTranscripts
from app.sources.youtube import PROXY_DOWN, QuotaGate, YouTubeApiSource, YtDlpSource, iso8601_duration_s
from tests.ytdlp_errors import proxy_down, refused, timed_out, unresolved

FIXTURES = Path(__file__).parent / "fixtures" / "youtube"
SEARCH_URL = "https://www.googleapis.com/youtube/v3/search"
VIDEOS_URL = "https://www.googleapis.com/youtube/v3/videos"
API_KEY = "AIza-test-key-0123456789"


def recorded(name: str) -> Any:
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))


# --- yt-dlp -----------------------------------------------------------------------------


class FakeYoutubeDL:
    """Stands in for yt_dlp.YoutubeDL: records what it was asked and answers with a recorded result."""

    def __init__(self, options: dict[str, Any], answer: Any = None, error: Exception | None = None) -> None:
        self.options = options
        self.answer = answer
        self.error = error
        self.calls: list[tuple[str, bool]] = []
        self.closed = False

    def extract_info(self, url: str, download: bool = True) -> Any:
        self.calls.append((url, download))
        if self.error is not None:
            raise self.error
        return self.answer

    def close(self) -> None:
        self.closed = True


def ytdlp_source(answer: Any = None, error: Exception | None = None) -> tuple[YtDlpSource, list[FakeYoutubeDL]]:
    made: list[FakeYoutubeDL] = []

    def factory(options: dict[str, Any]) -> FakeYoutubeDL:
        made.append(FakeYoutubeDL(options, answer, error))
        return made[-1]

    return YtDlpSource(ydl_factory=factory), made


def search_result(query: str, entries: list[Any]) -> dict[str, Any]:
    """The playlist dict yt-dlp returns for `ytsearchN:query` in flat mode."""
    return {"_type": "playlist", "id": query, "title": query, "extractor": "youtube:search", "entries": entries}


def test_flat_search_entry_becomes_a_candidate():
    entry = recorded("ytdlp_flat_playlist_entry.json")
    source, _ = ytdlp_source(search_result("puzzle games", [entry]))

    [candidate] = source.search("puzzle games", 5)

    assert candidate.video_id == entry["id"]
    assert candidate.title == entry["title"]
    assert candidate.channel == entry["channel"]
    assert candidate.duration_s == entry["duration"]
    assert candidate.view_count == entry["view_count"]
    assert candidate.description == ""  # null in flat entries more often than not
    assert candidate.published_at is None  # flat entries carry no upload date
    assert candidate.query == "puzzle games"


def test_search_asks_ytdlp_for_a_flat_search_of_limit_videos():
    source, made = ytdlp_source(search_result("rust ownership", []))

    assert source.search("rust ownership", 7) == []

    [ydl] = made
    assert ydl.calls == [("ytsearch7:rust ownership", False)]
    assert ydl.options["extract_flat"] == "in_playlist"
    assert ydl.options["skip_download"] is True
    assert ydl.options["quiet"] is True
    assert ydl.options["socket_timeout"] > 0
    assert ydl.closed


def test_live_streams_shorts_channels_and_repeats_are_left_out():
    entry = recorded("ytdlp_flat_playlist_entry.json")

    def variant(video_id: str, **changes: Any) -> dict[str, Any]:
        return {**entry, "id": video_id, "url": f"https://www.youtube.com/watch?v={video_id}", **changes}

    entries = [
        variant("live0000001", live_status="is_live", duration=None),
        variant("upcoming001", live_status="is_upcoming", duration=None),
        {**variant("short000001"), "url": "https://www.youtube.com/shorts/short000001", "duration": 41},
        variant("UCchannel01", ie_key="YoutubeTab"),
        None,
        variant("keep0000001"),
        variant("keep0000001"),
        variant("noduration1", duration=None, view_count=None, channel=None),
    ]
    source, _ = ytdlp_source(search_result("q", entries))

    found = source.search("q", 10)

    assert [c.video_id for c in found] == ["keep0000001", "noduration1"]
    no_duration = found[1]
    assert no_duration.duration_s is None  # kept: screening decides on length
    assert no_duration.view_count is None
    assert no_duration.channel == entry["uploader"]


def test_results_are_cut_to_the_limit():
    entry = recorded("ytdlp_flat_playlist_entry.json")
    entries = [{**entry, "id": f"video{n:06d}"} for n in range(5)]
    source, _ = ytdlp_source(search_result("q", entries))

    assert [c.video_id for c in source.search("q", 3)] == ["video000000", "video000001", "video000002"]


def test_a_refusal_is_a_source_error_with_its_http_status():
    source, made = ytdlp_source(error=refused(429, "Too Many Requests"))

    with pytest.raises(SourceError) as raised:
        source.search("rust", 5)
    assert not isinstance(raised.value, SourceUnreachable)  # YouTube answered: the way there works
    assert str(raised.value) == "YouTube is turning away this server's searches for now (HTTP 429, too many requests)"
    assert made[0].closed

    source, _ = ytdlp_source(error=refused(503, "Service Unavailable"))
    with pytest.raises(SourceError, match=r"^YouTube refused the search \(HTTP 503\)$"):
        source.search("rust", 5)


@pytest.mark.parametrize(
    ("error", "reason"),
    [
        (unresolved(), "YouTube could not be reached: this server could not look up its address (is it offline?)"),
        (timed_out(), "YouTube could not be reached: it did not answer in time"),
        (proxy_down(), PROXY_DOWN),
    ],
)
def test_no_answer_at_all_is_said_in_words_without_ytdlps_internals(error, reason):
    source, _ = ytdlp_source(error=error)

    with pytest.raises(SourceUnreachable) as raised:
        source.search("rust", 5)
    assert str(raised.value) == reason


def test_any_other_ytdlp_failure_keeps_its_first_line():
    error = yt_dlp.utils.DownloadError(
        "ERROR: [youtube:search] Unable to extract yt initial data; please report this issue"
    )
    source, _ = ytdlp_source(error=error)

    with pytest.raises(
        SourceError, match=r"^the YouTube search failed: \[youtube:search\] Unable to extract yt initial data$"
    ):
        source.search("rust", 5)


def test_real_ytdlp_searches_youtube_for_videos_and_reports_a_network_failure():
    """The real yt-dlp, with `responses` refusing every connection: the search request is made, nothing leaves."""

    def real_ydl(options: dict[str, Any]) -> Any:
        # Belt and braces: a dead proxy for any HTTP handler that `responses` would not intercept.
        return yt_dlp.YoutubeDL({**options, "proxy": "http://127.0.0.1:9"})

    source = YtDlpSource(ydl_factory=real_ydl)
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        with pytest.raises(SourceUnreachable, match=r"^YouTube could not be reached: the connection failed$"):
            source.search("rust ownership", 3)
        searches = [call.request for call in mock.calls if "/youtubei/v1/search" in call.request.url]

    assert searches
    body = json.loads(searches[0].body)
    assert body["query"] == "rust ownership"
    assert body["params"] == yt_dlp.extractor.youtube.YoutubeSearchIE._SEARCH_PARAMS  # videos only


def test_empty_query_or_limit_searches_nothing():
    source, made = ytdlp_source(search_result("q", []))
    assert source.search("  ", 5) == []
    assert source.search("q", 0) == []
    assert made == []


# --- YouTube Data API v3 ----------------------------------------------------------------


def search_ids(body: dict[str, Any]) -> list[str]:
    return [item["id"]["videoId"] for item in body["items"]]


def videos_answer(ids: list[str], **changes: Any) -> dict[str, Any]:
    """A videos.list answer for `ids`, each item the recorded video with its id (and `changes`) swapped in."""
    answer = recorded("videos_list_contentdetails_statistics.json")
    template = answer["items"][0]
    answer["items"] = [{**copy.deepcopy(template), "id": video_id, **changes} for video_id in ids]
    answer["pageInfo"] = {"totalResults": len(ids), "resultsPerPage": len(ids)}
    return answer


def api_source() -> YouTubeApiSource:
    return YouTubeApiSource(API_KEY, timeout_s=5, backoff_s=0, quota=QuotaGate())


@respx.mock
def test_search_then_videos_gives_durations_counts_and_plain_titles():
    search = recorded("search_list_page1.json")
    ids = search_ids(search)
    returned = [ids[0], ids[1], ids[6], ids[9]]  # the others went private since the search
    search_route = respx.get(SEARCH_URL).respond(json=search)
    videos_route = respx.get(VIDEOS_URL).respond(json=videos_answer(returned))
    video = recorded("videos_list_contentdetails_statistics.json")["items"][0]

    found = api_source().search("surfing", 25)

    assert [c.video_id for c in found] == returned  # search order kept, missing videos dropped
    assert {c.duration_s for c in found} == {21 * 60 + 7}  # PT21M7S
    assert {c.view_count for c in found} == {int(video["statistics"]["viewCount"])}
    assert {c.like_count for c in found} == {int(video["statistics"]["likeCount"])}
    assert {c.published_at for c in found} == {date(2019, 3, 21)}
    assert {c.description for c in found} == {video["snippet"]["description"]}  # the full one, not the snippet
    by_id = {c.video_id: c for c in found}
    assert by_id["i2hewkFijuY"].title == "SURFING PERFECT PIPE & BACKDOOR || SUNRISE SHACK!"
    assert by_id["i2hewkFijuY"].channel == "Koa Rothman"
    assert by_id["nkhpGC10OVw"].title == "World's best surfing 2017"
    assert all(c.query == "surfing" for c in found)

    sent = search_route.calls.last.request
    assert dict(sent.url.params) == {
        "part": "snippet",
        "type": "video",
        "q": "surfing",
        "maxResults": "25",
        "safeSearch": "moderate",
        "videoEmbeddable": "true",
        "relevanceLanguage": "en",
    }
    details = videos_route.calls.last.request
    assert details.url.params["id"] == ",".join(ids)
    assert set(details.url.params["part"].split(",")) == {"contentDetails", "statistics", "snippet"}
    for request in (sent, details):
        assert request.headers["X-Goog-Api-Key"] == API_KEY
        assert API_KEY not in str(request.url)


@respx.mock
def test_live_search_results_are_skipped_without_asking_for_details():
    respx.get(SEARCH_URL).respond(json=recorded("search_list_live_events.json"))
    videos_route = respx.get(VIDEOS_URL).respond(json=videos_answer([]))

    assert api_source().search("live music", 10) == []
    assert not videos_route.called


@respx.mock
def test_upcoming_and_zero_length_videos_are_skipped():
    search = recorded("search_list_page1.json")
    ids = search_ids(search)
    answer = videos_answer(ids[:3])
    answer["items"][0]["snippet"]["liveBroadcastContent"] = "upcoming"
    answer["items"][1]["contentDetails"]["duration"] = "P0D"
    respx.get(SEARCH_URL).respond(json=search)
    respx.get(VIDEOS_URL).respond(json=answer)

    assert [c.video_id for c in api_source().search("surfing", 25)] == [ids[2]]


@respx.mock
def test_videos_without_content_details_or_statistics_keep_unknown_counts():
    videos = recorded("videos_list_snippet_player_page1.json")
    search = recorded("search_list_page1.json")
    search["items"] = [
        {**item, "id": {"kind": "youtube#video", "videoId": video["id"]}}
        for item, video in zip(search["items"], videos["items"], strict=False)
    ]
    respx.get(SEARCH_URL).respond(json=search)
    respx.get(VIDEOS_URL).respond(json=videos)

    found = api_source().search("anything", 10)

    assert [c.video_id for c in found] == [video["id"] for video in videos["items"]]
    for candidate, video in zip(found, videos["items"], strict=True):
        assert (candidate.duration_s, candidate.view_count, candidate.like_count) == (None, None, None)
        assert candidate.description == video["snippet"]["description"]
        assert candidate.published_at == date.fromisoformat(video["snippet"]["publishedAt"][:10])


@pytest.mark.parametrize("failing", [SEARCH_URL, VIDEOS_URL])
@pytest.mark.parametrize(
    ("capture", "status", "message"),
    [
        ("error_403_quota_exceeded.json", 403, r"quota exceeded.*OPENREC_VIDEO_SOURCE=ytdlp"),
        ("error_400_key_invalid.json", 400, r"rejected YOUTUBE_API_KEY"),
    ],
)
@respx.mock
def test_quota_and_key_errors_are_source_errors_that_say_what_to_do(failing, capture, status, message):
    search = recorded("search_list_page1.json")
    respx.get(SEARCH_URL).respond(json=search)
    respx.get(VIDEOS_URL).respond(json=videos_answer(search_ids(search)))
    respx.get(failing).respond(status, json=recorded(capture))

    with pytest.raises(SourceError, match=message) as raised:
        api_source().search("surfing", 25)
    assert API_KEY not in str(raised.value)


@pytest.mark.parametrize(
    ("answer", "message"),
    [
        (httpx.ReadTimeout("timed out"), r"search\.list timed out after 5 s"),
        (httpx.ConnectError("refused"), r"could not reach the YouTube Data API \(ConnectError\)"),
        (httpx.Response(500, text="<html>backend error</html>"), r"search\.list failed with HTTP 500$"),
        (
            httpx.Response(
                403,
                json={"error": {"code": 403, "message": "<b>Access</b> denied", "errors": [{"reason": "forbidden"}]}},
            ),
            r"failed with HTTP 403 \(forbidden: Access denied\)",
        ),
        (httpx.Response(200, text="not json"), r"body that is not JSON"),
    ],
)
@respx.mock
def test_network_and_server_failures_are_source_errors(answer, message):
    route = respx.get(SEARCH_URL)
    if isinstance(answer, Exception):
        route.side_effect = answer
    else:
        route.return_value = answer

    with pytest.raises(SourceError, match=message) as raised:
        api_source().search("surfing", 5)
    # Only a request that got no answer at all says nothing of YouTube, and lets a server offline use the catalog.
    assert isinstance(raised.value, SourceUnreachable) is isinstance(answer, Exception)


@respx.mock
def test_api_asks_for_at_most_one_page_and_nothing_for_an_empty_request():
    route = respx.get(SEARCH_URL).respond(json={"items": []})
    source = api_source()

    assert source.search("surfing", 0) == []
    assert not route.called
    assert source.search("surfing", 200) == []
    assert route.calls.last.request.url.params["maxResults"] == "50"


@pytest.mark.parametrize(
    ("value", "seconds"),
    [("PT21M7S", 1267), ("PT1H", 3600), ("PT45S", 45), ("P1DT2H3M4S", 93784), ("P1W", 604800), ("P0D", 0)],
)
def test_iso8601_durations(value, seconds):
    assert iso8601_duration_s(value) == seconds


@pytest.mark.parametrize("value", [None, "", "P", "PT", "21:07", "PT5X", "1267", 1267])
def test_unreadable_durations_are_unknown(value):
    assert iso8601_duration_s(value) is None


@given(st.integers(0, 30), st.integers(0, 23), st.integers(0, 59), st.integers(0, 59))
def test_iso8601_duration_round_trip(days, hours, minutes, seconds):
    text = f"P{days}DT{hours}H{minutes}M{seconds}S"
    assert iso8601_duration_s(text) == ((days * 24 + hours) * 60 + minutes) * 60 + seconds


# --- choosing a provider ----------------------------------------------------------------


def settings(**values: Any) -> Settings:
    return Settings(_env_file=None, **values)


def test_ytdlp_is_the_default_with_youtube_captions_then_ytdlp_subtitles():
    assert isinstance(get_video_source(settings()), YtDlpSource)
    assert isinstance(get_transcript_source(settings()), FallbackTranscripts)


def test_api_source_needs_a_key():
    with pytest.raises(SourceNotConfigured, match="YOUTUBE_API_KEY"):
        get_video_source(settings(openrec_video_source="api", youtube_api_key=""))
    source = get_video_source(settings(openrec_video_source="api", youtube_api_key=API_KEY))
    assert isinstance(source, YouTubeApiSource)
    assert isinstance(get_transcript_source(settings(openrec_video_source="api")), FallbackTranscripts)


def test_catalog_source_needs_a_file():
    with pytest.raises(SourceNotConfigured, match="OPENREC_CATALOG"):
        get_video_source(settings(openrec_video_source="catalog", openrec_catalog=""))
    with pytest.raises(SourceNotConfigured, match="OPENREC_CATALOG"):
        get_transcript_source(settings(openrec_video_source="catalog", openrec_catalog=""))


def test_catalog_is_both_the_video_and_the_transcript_source(tmp_path):
    catalog = tmp_path / "catalog.json"
    transcript = [{"text": "Borrowing lets code use a value without owning it.", "start": 0.0, "duration": 4.0}]
    video = {"id": "vid00000001", "title": "Rust ownership explained", "channel": "Talks", "transcript": transcript}
    catalog.write_text(json.dumps({"videos": [video]}), encoding="utf-8")
    chosen = settings(openrec_video_source="catalog", openrec_catalog=str(catalog))

    videos, transcripts = get_video_source(chosen), get_transcript_source(chosen)

    assert isinstance(videos, CatalogSource)
    assert isinstance(transcripts, CatalogSource)
    assert transcripts.fetch("vid00000001").segments[0].text == transcript[0]["text"]


@pytest.fixture
def every_level() -> Iterator[None]:
    """structlog passing every level, whatever an earlier test configured; restored afterwards."""
    saved = structlog.get_config()
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.DEBUG))
    yield
    structlog.configure(**saved)


def test_ytdlp_messages_reach_the_log_without_the_users_query_and_retries_are_no_warnings(every_level):
    source, made = ytdlp_source(search_result("sourdough levain hydration", []))
    with structlog.testing.capture_logs() as logs:
        source.search("sourdough levain hydration", 8)
        logger = made[0].options["logger"]  # what yt-dlp writes to while it searches
        logger.warning('[youtube:search] query "sourdough levain hydration": Unable to download. Retrying (1/3)...')
        logger.debug("[youtube:search] Extracting URL: ytsearch8:sourdough levain hydration")
    assert [entry["log_level"] for entry in logs] == ["info", "debug"]
    assert all("sourdough" not in entry["message"] for entry in logs)
    assert "Retrying (1/3)" in logs[0]["message"]
