"""The real youtube-transcript-api against recorded YouTube answers, replayed with `responses`.

A fetch makes three calls: the watch page (for the innertube key), the innertube player
API (caption tracks and playability) and the chosen track's timedtext XML.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
import responses
from youtube_transcript_api.proxies import WebshareProxyConfig

from app.config import Settings
from app.schemas import Segment
from app.sources.base import CaptionsAbsent, TranscriptBlocked, TranscriptUnavailable
from app.sources.transcripts import BLOCKED_REASON, YouTubeTranscripts
from app.sources.youtube_network import describe_transcript_proxy, redacted, transcript_proxy

FIXTURES = Path(__file__).parent / "fixtures" / "youtube_transcript"
WATCH_URL = "https://www.youtube.com/watch"
PLAYER_URL = "https://www.youtube.com/youtubei/v1/player"
TIMEDTEXT_URL = "https://www.youtube.com/api/timedtext"
MAIN_VIDEO = "GJLlxj_dtq8"
WW1_VIDEO = "F1xioXWb8CY"

# transcript.xml.static: its empty element is dropped and its <i> tags are stripped.
RECORDED_SEGMENTS = [
    Segment(text="Hey, this is just a test", start=0.0, duration=1.54),
    Segment(text="this is not the original transcript", start=1.54, duration=4.16),
    Segment(text="just something shorter, I made up for testing", start=5.7, duration=3.239),
]


@cache
def asset(name: str) -> str:
    return (FIXTURES / name).read_text(encoding="utf-8")


def player(name: str) -> dict[str, Any]:
    return json.loads(asset(name))


def tracks_of(answer: dict[str, Any]) -> list[dict[str, Any]]:
    return answer["captions"]["playerCaptionsTracklistRenderer"]["captionTracks"]


@pytest.fixture
def youtube() -> Iterator[responses.RequestsMock]:
    """YouTube answering as for the main recorded video; a test replaces one answer to change the outcome."""
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        mock.add(responses.GET, WATCH_URL, body=asset("youtube.html.static"))
        mock.add(
            responses.POST, PLAYER_URL, body=asset("youtube.innertube.json.static"), content_type="application/json"
        )
        mock.add(responses.GET, TIMEDTEXT_URL, body=asset("transcript.xml.static"))
        yield mock


def answer_player(mock: responses.RequestsMock, answer: dict[str, Any]) -> None:
    mock.replace(responses.POST, PLAYER_URL, json=answer)


def timedtext_query(mock: responses.RequestsMock) -> dict[str, list[str]]:
    [request] = [call.request for call in mock.calls if call.request.url.startswith(TIMEDTEXT_URL)]
    return parse_qs(urlsplit(request.url).query)


def track_query(track: dict[str, Any]) -> dict[str, list[str]]:
    """What the library requests for a track: its baseUrl without the srv3 format."""
    return parse_qs(urlsplit(track["baseUrl"].replace("&fmt=srv3", "")).query)


def unavailable(video_id: str = MAIN_VIDEO) -> str:
    with pytest.raises(TranscriptUnavailable) as raised:
        YouTubeTranscripts().fetch(video_id)
    assert raised.value.video_id == video_id
    return raised.value.reason


# --- which captions -----------------------------------------------------------------------


def test_manual_english_captions_are_fetched(youtube):
    transcript = YouTubeTranscripts().fetch(MAIN_VIDEO)

    assert transcript.video_id == MAIN_VIDEO
    assert transcript.segments == RECORDED_SEGMENTS
    assert transcript.language_code == "en"
    assert transcript.is_generated is False
    assert len(youtube.calls) == 3
    [manual_english] = [t for t in tracks_of(player("youtube.innertube.json.static")) if t["vssId"] == ".en"]
    assert timedtext_query(youtube) == track_query(manual_english)


def test_every_request_has_a_timeout(youtube):
    YouTubeTranscripts(timeout_s=7).fetch(MAIN_VIDEO)

    assert [call.request.req_kwargs["timeout"] for call in youtube.calls] == [7, 7, 7]


def test_manual_english_is_preferred_over_generated_english(youtube):
    answer = player("youtube_ww1_nl_en.innertube.json.static")
    answer_player(youtube, answer)

    transcript = YouTubeTranscripts().fetch(WW1_VIDEO)

    [manual] = [t for t in tracks_of(answer) if t.get("kind") != "asr"]
    assert timedtext_query(youtube) == track_query(manual)
    assert (transcript.language_code, transcript.is_generated) == ("en", False)


def test_generated_english_is_used_when_no_one_wrote_captions(youtube):
    answer = player("youtube_ww1_nl_en.innertube.json.static")
    tracks_of(answer)[:] = [t for t in tracks_of(answer) if t.get("kind") == "asr"]
    answer_player(youtube, answer)

    transcript = YouTubeTranscripts().fetch(WW1_VIDEO)

    [generated] = tracks_of(answer)
    assert timedtext_query(youtube) == track_query(generated)
    assert (transcript.language_code, transcript.is_generated) == ("en", True)
    assert transcript.segments == RECORDED_SEGMENTS


def test_regional_english_counts_as_english(youtube):
    answer = player("youtube_ww1_nl_en.innertube.json.static")
    manual = next(t for t in tracks_of(answer) if t.get("kind") != "asr")
    manual["languageCode"] = "en-GB"
    answer_player(youtube, answer)

    transcript = YouTubeTranscripts().fetch(WW1_VIDEO)

    assert timedtext_query(youtube) == track_query(manual)
    assert (transcript.language_code, transcript.is_generated) == ("en-GB", False)


def test_other_languages_are_translated_to_english(youtube):
    answer = player("youtube.innertube.json.static")
    tracks_of(answer)[:] = [t for t in tracks_of(answer) if t["languageCode"] != "en"]
    answer_player(youtube, answer)

    transcript = YouTubeTranscripts().fetch(MAIN_VIDEO)

    first_manual = tracks_of(answer)[0]
    assert "kind" not in first_manual
    assert timedtext_query(youtube) == {**track_query(first_manual), "tlang": ["en"]}
    assert (transcript.language_code, transcript.is_generated) == ("en", True)  # a machine translation
    assert transcript.segments == RECORDED_SEGMENTS


def test_no_english_and_nothing_translatable_is_unavailable(youtube):
    answer = player("youtube.innertube.json.static")
    tracks_of(answer)[:] = [{**t, "isTranslatable": False} for t in tracks_of(answer) if t["languageCode"] != "en"]
    answer_player(youtube, answer)

    assert unavailable() == "no English captions, and none that YouTube can translate to English"


def test_consent_wall_once_is_passed_with_a_consent_cookie(youtube):
    youtube.replace(responses.GET, WATCH_URL, body=asset("youtube_consent_page.html.static"))
    youtube.add(responses.GET, WATCH_URL, body=asset("youtube.html.static"))

    assert YouTubeTranscripts().fetch(MAIN_VIDEO).segments == RECORDED_SEGMENTS
    assert len(youtube.calls) == 4
    assert "CONSENT=YES+" in youtube.calls[1].request.headers["Cookie"]


def test_empty_captions_are_unavailable(youtube):
    youtube.replace(
        responses.GET,
        TIMEDTEXT_URL,
        body='<?xml version="1.0" ?><transcript><text start="1" dur="2">\n</text></transcript>',
    )

    assert unavailable() == "the captions are empty"


def test_caption_lines_are_joined_into_one_line_of_text(youtube):
    youtube.replace(
        responses.GET,
        TIMEDTEXT_URL,
        body='<?xml version="1.0" ?><transcript><text start="1" dur="2">so the\nborrow  checker</text></transcript>',
    )

    assert YouTubeTranscripts().fetch(MAIN_VIDEO).segments == [
        Segment(text="so the borrow checker", start=1.0, duration=2.0)
    ]


# --- every refusal is a reason, never a crash -----------------------------------------------


@pytest.mark.parametrize(
    ("capture", "reason"),
    [
        ("youtube_transcripts_disabled2.innertube.json.static", "captions are disabled for this video"),
        ("youtube_video_unavailable.innertube.json.static", "the video is no longer available"),
        (
            "youtube_age_restricted.innertube.json.static",
            "the video is age-restricted; its captions need a signed-in account",
        ),
        ("youtube_request_blocked.innertube.json.static", BLOCKED_REASON),
        ("youtube_unplayable.innertube.json.static", "the video cannot be played: Custom Reason"),
    ],
)
def test_player_refusals_become_reasons(youtube, capture, reason):
    youtube.replace(responses.POST, PLAYER_URL, body=asset(capture))

    assert unavailable() == reason


@pytest.mark.parametrize(
    "capture",
    ["youtube_transcripts_disabled2.innertube.json.static", "youtube_video_unavailable.innertube.json.static"],
)
def test_captions_that_no_client_could_get_are_marked_absent(youtube, capture):
    youtube.replace(responses.POST, PLAYER_URL, body=asset(capture))

    with pytest.raises(CaptionsAbsent):
        YouTubeTranscripts().fetch(MAIN_VIDEO)


def test_a_blocked_server_is_its_own_state_not_the_videos_fault(youtube):
    youtube.replace(responses.POST, PLAYER_URL, body=asset("youtube_request_blocked.innertube.json.static"))

    with pytest.raises(TranscriptBlocked) as raised:
        YouTubeTranscripts().fetch(MAIN_VIDEO)
    assert "this server's IP" in raised.value.reason


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        ({"openrec_proxy_url": "http://user:secret@127.0.0.1:3128"}, "http://user:secret@127.0.0.1:3128"),
        (
            {"openrec_proxy_url": "http://127.0.0.1:1", "openrec_transcript_proxy_url": "socks5://127.0.0.1:1080"},
            "socks5://127.0.0.1:1080",
        ),
    ],
)
def test_every_caption_request_goes_through_the_configured_proxy(youtube, values, expected):
    proxy = transcript_proxy(Settings(_env_file=None, **values))

    YouTubeTranscripts(proxy=proxy).fetch(MAIN_VIDEO)

    assert len(youtube.calls) == 3
    for call in youtube.calls:
        assert call.request.req_kwargs["proxies"] == {"http": expected, "https": expected}


def test_webshare_credentials_choose_the_rotating_residential_proxy():
    chosen = Settings(
        _env_file=None,
        openrec_proxy_url="http://127.0.0.1:3128",
        openrec_webshare_proxy_username="alice",
        openrec_webshare_proxy_password="s3cret",
        openrec_webshare_proxy_locations="us, ca",
    )
    proxy = transcript_proxy(chosen)

    assert isinstance(proxy, WebshareProxyConfig)
    assert proxy.retries_when_blocked > 0  # a retry rotates to another residential IP
    assert proxy.proxy_username == "alice"
    assert "-us-ca-" in proxy.url.lower()  # the locations the operator chose
    assert "s3cret" not in describe_transcript_proxy(chosen)


def test_no_proxy_is_used_unless_configured(youtube):
    assert transcript_proxy(Settings(_env_file=None)) is None
    YouTubeTranscripts().fetch(MAIN_VIDEO)
    assert all(not call.request.req_kwargs.get("proxies") for call in youtube.calls)


def test_proxy_urls_are_shown_without_their_password():
    assert redacted("http://user:secret@proxy.example:8080") == "http://***@proxy.example:8080"
    assert redacted("http://proxy.example:8080") == "http://proxy.example:8080"


def test_a_url_instead_of_an_id_is_not_a_video_id(youtube):
    youtube.replace(responses.POST, PLAYER_URL, body=asset("youtube_video_unavailable.innertube.json.static"))

    assert unavailable("https://www.youtube.com/watch?v=GJLlxj_dtq8") == "not a YouTube video id"


def test_po_token_requirement_is_a_reason_without_fetching_the_track(youtube):
    answer = player("youtube.innertube.json.static")
    manual_english = next(t for t in tracks_of(answer) if t["vssId"] == ".en")
    manual_english["baseUrl"] = manual_english["baseUrl"].replace("&xoaf=", "&exp=xpe&xoaf=")
    answer_player(youtube, answer)

    assert unavailable() == "YouTube requires a proof-of-origin token for these captions"
    assert not any(call.request.url.startswith(TIMEDTEXT_URL) for call in youtube.calls)


@pytest.mark.parametrize(
    ("watch_page", "reason"),
    [
        ("youtube_too_many_requests.html.static", BLOCKED_REASON),
        ("youtube_consent_page.html.static", "YouTube's cookie consent page could not be passed"),
        ("youtube_consent_page_invalid.html.static", "YouTube's cookie consent page could not be passed"),
    ],
)
def test_watch_page_refusals_become_reasons(youtube, watch_page, reason):
    youtube.replace(responses.GET, WATCH_URL, body=asset(watch_page))

    assert unavailable() == reason


def test_watch_page_without_a_key_is_unreadable(youtube):
    youtube.replace(responses.GET, WATCH_URL, body="<html><body>nothing here</body></html>")

    assert unavailable() == "YouTube's page could not be read (its format may have changed)"


@pytest.mark.parametrize(
    ("method", "url", "status", "reason"),
    [
        (responses.GET, TIMEDTEXT_URL, 429, BLOCKED_REASON),
        (responses.GET, WATCH_URL, 429, BLOCKED_REASON),
        (responses.POST, PLAYER_URL, 500, "a request to YouTube failed (HTTP 500)"),
        (responses.GET, TIMEDTEXT_URL, 404, "a request to YouTube failed (HTTP 404)"),
    ],
)
def test_http_errors_become_reasons(youtube, method, url, status, reason):
    youtube.replace(method, url, status=status, body="")

    assert unavailable() == reason


@pytest.mark.parametrize(
    ("error", "reason"),
    [
        (requests.ConnectionError("refused"), "YouTube could not be reached: the connection failed"),
        (
            requests.ConnectionError("HTTPSConnection(host='www.youtube.com', port=443): Failed to resolve"),
            "YouTube could not be reached: this server could not look up its address (is it offline?)",
        ),
        (
            requests.ReadTimeout("HTTPSConnectionPool(host='www.youtube.com', port=443): Read timed out."),
            "YouTube could not be reached: it did not answer in time",
        ),
        (requests.TooManyRedirects("30 redirects"), "could not reach YouTube (TooManyRedirects)"),
    ],
)
def test_network_failures_become_reasons(youtube, error, reason):
    youtube.replace(responses.POST, PLAYER_URL, body=error)

    assert unavailable() == reason


@pytest.mark.parametrize(
    ("method", "url", "body"),
    [
        (responses.GET, TIMEDTEXT_URL, "<transcript><text start="),
        (responses.POST, PLAYER_URL, "{not json"),
        (
            responses.POST,
            PLAYER_URL,
            json.dumps(
                {
                    "playabilityStatus": {"status": "OK"},
                    "captions": {"playerCaptionsTracklistRenderer": {"captionTracks": [{}]}},
                }
            ),
        ),
    ],
)
def test_unreadable_answers_become_reasons(youtube, method, url, body):
    youtube.replace(method, url, body=body)

    assert unavailable() == "YouTube sent caption data that could not be read"
