"""Captions through yt-dlp: choosing a track, reading real WebVTT, and the fallback behind youtube-transcript-api."""

from __future__ import annotations

import io
import re
from pathlib import Path
from typing import Any

import pytest
import webvtt
from yt_dlp.utils import DownloadError

from app.config import Settings
from app.schemas import Segment, TranscriptData
from app.sources.base import CaptionsAbsent, TranscriptBlocked, TranscriptUnavailable, TranscriptUnreachable
from app.sources.subtitles import FallbackTranscripts, YtDlpSubtitles, english_vtt_track, parse_vtt
from app.sources.youtube_network import ytdlp_network_options
from tests.ytdlp_errors import proxy_down, refused, unresolved

FIXTURES = Path(__file__).parent / "fixtures" / "subtitles"
AUTO_VTT = (FIXTURES / "0tD4bm2Rax4.en.vtt").read_text(encoding="utf-8")
VIDEO = "0tD4bm2Rax4"
TAG = re.compile(r"<[^>]+>")


def first_appearances(vtt: str) -> list[str]:
    """The lines of roll-up captions where they first appear: those carrying word timings, or alone in a cue."""
    found: list[str] = []
    for caption in webvtt.from_string(vtt).captions:
        lines = [line.strip() for line in caption.raw_text.splitlines() if line.strip()]
        timed = [TAG.sub("", line) for line in lines if "<" in line]
        if timed:
            found.extend(timed)
        elif len(lines) == 1 and caption.end_time.in_milliseconds() - caption.start_time.in_milliseconds() > 10:
            found.append(lines[0])
    return found


def test_rolling_duplicates_of_real_auto_captions_are_removed():
    segments = parse_vtt(AUTO_VTT, rolling=True)

    assert [s.text for s in segments] == first_appearances(AUTO_VTT)
    texts = [s.text for s in segments]
    assert len(texts) == len(set(texts))  # no line twice
    starts = [s.start for s in segments]
    assert starts == sorted(starts)
    assert all(s.duration > 0.01 for s in segments)  # the 10 ms cues in between left no segment
    assert not any("<" in s.text or "\n" in s.text for s in segments)


def test_without_rolling_every_cue_is_kept():
    segments = parse_vtt(AUTO_VTT, rolling=False)
    cues = [c for c in webvtt.from_string(AUTO_VTT).captions if c.text.strip()]

    assert len(segments) == len(cues)
    assert len(segments) > len(parse_vtt(AUTO_VTT, rolling=True))


def info(**tracks: Any) -> dict[str, Any]:
    return {"id": VIDEO, **tracks}


def vtt_track(url: str) -> list[dict[str, str]]:
    return [{"ext": "json3", "url": url + "&fmt=json3"}, {"ext": "vtt", "url": url}]


def test_english_subtitles_written_by_a_person_come_before_automatic_ones():
    both = info(
        subtitles={"de": vtt_track("https://x/de"), "en-GB": vtt_track("https://x/en-GB")},
        automatic_captions={"en": vtt_track("https://x/auto-en"), "en-orig": vtt_track("https://x/auto-orig")},
    )
    assert english_vtt_track(both) == ("en-GB", False, "https://x/en-GB")

    auto_only = info(automatic_captions={"en": vtt_track("https://x/auto-en"), "en-orig": vtt_track("https://x/o")})
    assert english_vtt_track(auto_only) == ("en", True, "https://x/o")  # the recognised speech, not a translation

    assert english_vtt_track(info(subtitles={"fr": vtt_track("https://x/fr")})) is None
    assert english_vtt_track(info(subtitles={"en": [{"ext": "srv3", "url": "https://x/srv3"}]})) is None


class FakeYoutubeDL:
    """yt_dlp.YoutubeDL's listing and download, answering with a recorded info dict and caption file."""

    def __init__(self, options: dict[str, Any], answer: dict[str, Any], body: str, error: Exception | None) -> None:
        self.options = options
        self.answer = answer
        self.body = body
        self.error = error
        self.opened: list[str] = []
        self.closed = False

    def extract_info(self, url: str, download: bool = True) -> Any:
        assert not download
        if self.error is not None:
            raise self.error
        return self.answer

    def urlopen(self, req: Any) -> io.BytesIO:
        self.opened.append(req)
        return io.BytesIO(self.body.encode())

    def close(self) -> None:
        self.closed = True


def subtitles(
    answer: dict[str, Any], body: str = AUTO_VTT, error: Exception | None = None, **settings: Any
) -> tuple[YtDlpSubtitles, list[FakeYoutubeDL]]:
    made: list[FakeYoutubeDL] = []

    def factory(options: dict[str, Any]) -> FakeYoutubeDL:
        made.append(FakeYoutubeDL(options, answer, body, error))
        return made[-1]

    network = ytdlp_network_options(Settings(_env_file=None, **settings))
    return YtDlpSubtitles(network=network, ydl_factory=factory), made


def test_automatic_captions_are_fetched_through_ytdlp_with_the_proxy_and_cookies(tmp_path):
    cookies = tmp_path / "cookies.txt"
    source, made = subtitles(
        info(automatic_captions={"en-orig": vtt_track("https://captions.example/auto")}),
        openrec_proxy_url="http://127.0.0.1:3128",
        openrec_ytdlp_cookies_file=str(cookies),
    )

    found = source.fetch(VIDEO)

    assert found == TranscriptData(
        video_id=VIDEO, language_code="en", is_generated=True, segments=parse_vtt(AUTO_VTT, rolling=True)
    )
    [ydl] = made
    assert ydl.opened == ["https://captions.example/auto"]
    assert ydl.options["proxy"] == "http://127.0.0.1:3128"
    assert ydl.options["cookiefile"] == str(cookies)
    assert ydl.closed


def test_ytdlp_has_its_own_proxy_when_set():
    options = ytdlp_network_options(
        Settings(_env_file=None, openrec_proxy_url="http://shared:1", openrec_ytdlp_proxy_url="socks5://own:2")
    )
    assert options == {"proxy": "socks5://own:2"}
    assert ytdlp_network_options(Settings(_env_file=None)) == {}


@pytest.mark.parametrize(
    ("error", "kind", "reason"),
    [
        (
            DownloadError("ERROR: [youtube] abc: Sign in to confirm you\u2019re not a bot. Use --cookies"),
            TranscriptBlocked,
            "this server's IP",
        ),
        (DownloadError("ERROR: [youtube] abc: Video unavailable"), TranscriptUnavailable, "Video unavailable"),
        (refused(429, "Too Many Requests"), TranscriptBlocked, "too many requests"),
        (unresolved(), TranscriptUnreachable, "could not look up its address"),
        (proxy_down(), TranscriptUnreachable, "the proxy refused or could not be reached"),
    ],
)
def test_ytdlp_refusals_become_reasons(error, kind, reason):
    source, made = subtitles(info(), error=error)

    with pytest.raises(kind) as raised:
        source.fetch(VIDEO)
    assert type(raised.value) is kind
    assert reason in raised.value.reason
    assert made[0].closed


def test_no_english_track_and_invalid_files_are_reasons():
    source, _ = subtitles(info(subtitles={"fr": vtt_track("https://x/fr")}))
    with pytest.raises(TranscriptUnavailable, match="no English subtitles"):
        source.fetch(VIDEO)

    source, _ = subtitles(info(subtitles={"en": vtt_track("https://x/en")}), body="<html>not captions</html>")
    with pytest.raises(TranscriptUnavailable, match="not valid WebVTT"):
        source.fetch(VIDEO)


class Scripted:
    """A TranscriptSource answering from a script and counting calls."""

    def __init__(self, outcome: TranscriptData | TranscriptUnavailable) -> None:
        self.outcome = outcome
        self.calls = 0

    def fetch(self, video_id: str) -> TranscriptData:
        self.calls += 1
        if isinstance(self.outcome, TranscriptUnavailable):
            raise self.outcome
        return self.outcome


TRANSCRIPT = TranscriptData(
    video_id=VIDEO, language_code="en", is_generated=False, segments=[Segment(text="hello", start=0.0, duration=1.0)]
)


def test_ytdlp_subtitles_stand_in_when_youtube_transcript_api_fails():
    primary, secondary = Scripted(TranscriptBlocked(VIDEO, "blocked")), Scripted(TRANSCRIPT)
    assert FallbackTranscripts(primary, secondary).fetch(VIDEO) == TRANSCRIPT
    assert (primary.calls, secondary.calls) == (1, 1)

    primary, secondary = Scripted(TRANSCRIPT), Scripted(TRANSCRIPT)
    FallbackTranscripts(primary, secondary).fetch(VIDEO)
    assert secondary.calls == 0


def test_captions_found_absent_are_not_asked_for_again() -> None:
    absent = CaptionsAbsent(VIDEO, "captions are disabled for this video")
    primary, secondary = Scripted(absent), Scripted(TRANSCRIPT)
    with pytest.raises(CaptionsAbsent):
        FallbackTranscripts(primary, secondary).fetch(VIDEO)
    assert secondary.calls == 0


@pytest.mark.parametrize(
    ("first", "second", "raised"),
    [
        (TranscriptUnavailable(VIDEO, "captions are disabled"), TranscriptUnavailable(VIDEO, "none listed"), 0),
        (TranscriptBlocked(VIDEO, "blocked"), TranscriptUnavailable(VIDEO, "none listed"), 0),
        (TranscriptUnavailable(VIDEO, "po token"), TranscriptBlocked(VIDEO, "bot check"), 1),
        # yt-dlp got no answer: nothing is known of the video, so nothing may be remembered of it.
        (TranscriptUnavailable(VIDEO, "po token"), TranscriptUnreachable(VIDEO, "offline"), 1),
        (TranscriptUnreachable(VIDEO, "offline"), TranscriptUnreachable(VIDEO, "offline"), 0),
    ],
)
def test_when_both_fail_the_reason_that_matters_is_kept(first, second, raised):
    with pytest.raises(TranscriptUnavailable) as caught:
        FallbackTranscripts(Scripted(first), Scripted(second)).fetch(VIDEO)
    assert caught.value is (first, second)[raised]
