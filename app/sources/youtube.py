"""YouTube search providers: yt-dlp (no key, the default) and the YouTube Data API v3 (key and quota).

Both return long-form, playable videos in YouTube's relevance order. Live streams,
premieres and Shorts are left out here because they cannot hold a clip; whether a
video is long enough for one is decided by screening, the same way for every source.
"""

from __future__ import annotations

import hashlib
import html
import re
import socket
import threading
from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, Protocol
from zoneinfo import ZoneInfo

import httpx
import structlog
import yt_dlp
from tenacity import Retrying, retry_if_exception_type, stop_after_attempt, wait_exponential_jitter
from yt_dlp.networking.exceptions import HTTPError, ProxyError, TransportError
from yt_dlp.utils import YoutubeDLError

from app.schemas import Candidate
from app.sources.base import SourceError, SourceUnreachable

log = structlog.get_logger("openrec.sources")

DEFAULT_TIMEOUT_S = 20.0
PACIFIC = ZoneInfo("America/Los_Angeles")
LIVE_STATES = frozenset({"live", "upcoming", "is_live", "is_upcoming"})


class YoutubeDL(Protocol):
    """The part of `yt_dlp.YoutubeDL` a search uses."""

    def extract_info(self, url: str, download: bool = ...) -> Any: ...

    def close(self) -> None: ...


YoutubeDLFactory = Callable[[dict[str, Any]], YoutubeDL]


class _YtDlpLog:
    """Sends yt-dlp's console output to the structured log instead of stderr, without the search query: yt-dlp
    repeats it in its messages, and queries are made of the user's own words, which logs never carry."""

    def __init__(self, hidden: str = "") -> None:
        self._hidden = hidden.strip()

    def _clean(self, message: str) -> str:
        return message.replace(self._hidden, "…") if self._hidden else message

    def debug(self, message: str) -> None:
        log.debug("ytdlp", message=self._clean(message))

    def info(self, message: str) -> None:
        log.debug("ytdlp", message=self._clean(message))

    def warning(self, message: str) -> None:
        # Mostly retries ("Retrying (1/3)..."): what finally fails is raised and reported by the caller.
        log.info("ytdlp_warning", message=self._clean(message))

    def error(self, message: str) -> None:
        # The same failure is raised as DownloadError and reported by the caller.
        log.debug("ytdlp_error", message=self._clean(message))


BOT_CHECK_MESSAGE = (
    "YouTube asks yt-dlp to sign in to confirm it is not a bot: it is blocking this server's IP; "
    "set OPENREC_PROXY_URL (or OPENREC_YTDLP_COOKIES_FILE), see README"
)


def ytdlp_options(timeout_s: float, network: Mapping[str, Any]) -> dict[str, Any]:
    """yt-dlp parameters shared by search and subtitles: nothing downloaded, nothing printed, the proxy set."""
    return {
        "skip_download": True,
        "quiet": True,
        "no_warnings": True,
        "noprogress": True,
        "cachedir": False,
        "socket_timeout": timeout_s,
        "logger": _YtDlpLog(),
        **network,
    }


def ytdlp_failure(exc: Exception) -> str:
    """The first line of a yt-dlp error, without its `ERROR:` prefix, the exception it wraps or its bug-report plea."""
    lines = str(exc).removeprefix("ERROR: ").strip().splitlines()
    first = lines[0] if lines else type(exc).__name__
    return first.split("; please report this issue", 1)[0].split(" (caused by ", 1)[0]


PROXY_DOWN = "the proxy refused or could not be reached"
_UNRESOLVED = re.compile(r"resolve|name or service not known|getaddrinfo|nodename nor servname", re.IGNORECASE)


def _causes(exc: BaseException) -> Iterable[BaseException]:
    """The exception and what it wraps: yt-dlp keeps the network error in `exc_info` or `cause`."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        info = getattr(current, "exc_info", None)
        wrapped = info[1] if isinstance(info, tuple) and len(info) > 1 else getattr(current, "cause", None)
        current = wrapped if isinstance(wrapped, BaseException) else current.__cause__


def no_answer(exc: BaseException) -> str | None:
    """Why yt-dlp got no answer from YouTube at all, in words (no network, a proxy down, a timeout), or None when
    it got one."""
    for cause in _causes(exc):
        if isinstance(cause, ProxyError):
            return PROXY_DOWN
        if isinstance(cause, HTTPError):
            return None
        if isinstance(cause, TransportError | ConnectionError | TimeoutError | socket.gaierror):
            return unreachable(str(cause))
    return None


def unreachable(error: str) -> str:
    """Why a request got no answer from YouTube, in words, from the network error's text."""
    if _UNRESOLVED.search(error):
        return "YouTube could not be reached: this server could not look up its address (is it offline?)"
    if "timed out" in error.lower():
        return "YouTube could not be reached: it did not answer in time"
    return "YouTube could not be reached: the connection failed"


def http_status(exc: BaseException) -> int | None:
    """The HTTP status YouTube answered a yt-dlp request with, when it refused it."""
    return next((cause.status for cause in _causes(exc) if isinstance(cause, HTTPError)), None)


def is_bot_check(message: str) -> bool:
    """YouTube's answer to a blocked IP: "Sign in to confirm you're not a bot"."""
    return "confirm you're not a bot" in message.lower().replace("\u2019", "'")


class YtDlpSource:
    """Searches YouTube with yt-dlp's `ytsearchN:` in flat mode: one request per page, no key."""

    name = "ytdlp"

    def __init__(
        self,
        *,
        timeout_s: float = DEFAULT_TIMEOUT_S,
        network: Mapping[str, Any] | None = None,
        ydl_factory: YoutubeDLFactory = yt_dlp.YoutubeDL,
    ) -> None:
        self._timeout_s = timeout_s
        self._network = dict(network or {})
        self._ydl_factory = ydl_factory

    def _options(self) -> dict[str, Any]:
        """yt-dlp parameters: metadata of the search page only."""
        return {"extract_flat": "in_playlist", **ytdlp_options(self._timeout_s, self._network)}

    def search(self, query: str, limit: int) -> list[Candidate]:
        if limit < 1 or not query.strip():
            return []
        ydl = self._ydl_factory({**self._options(), "logger": _YtDlpLog(hidden=query)})
        try:
            info = ydl.extract_info(f"ytsearch{limit}:{query}", download=False)
        except (YoutubeDLError, OSError) as exc:
            raise search_failure(exc) from exc
        finally:
            ydl.close()
        entries = (info or {}).get("entries") or []
        return candidates_from_flat_entries(entries, query=query)[:limit]


def search_failure(exc: Exception) -> SourceError:
    """A failed yt-dlp search as the run log tells it (the query is named beside it): no answer at all, a refusal
    with its HTTP status, or yt-dlp's own first line."""
    failure = ytdlp_failure(exc)
    if is_bot_check(failure):
        return SourceError(BOT_CHECK_MESSAGE)
    if (reason := no_answer(exc)) is not None:
        return SourceUnreachable(reason)
    status = http_status(exc)
    if status == 429:
        return SourceError("YouTube is turning away this server's searches for now (HTTP 429, too many requests)")
    if status is not None:
        return SourceError(f"YouTube refused the search (HTTP {status})")
    return SourceError(f"the YouTube search failed: {failure}")


def candidates_from_flat_entries(entries: Iterable[Mapping[str, Any] | None], *, query: str) -> list[Candidate]:
    """Maps yt-dlp flat search entries to candidates, leaving out live streams, Shorts and non-videos."""
    seen: set[str] = set()
    found: list[Candidate] = []
    for entry in entries:
        if not entry or not _is_long_form_video(entry) or entry["id"] in seen:
            continue
        seen.add(entry["id"])
        duration = entry.get("duration")
        found.append(
            Candidate(
                video_id=entry["id"],
                title=entry.get("title") or "",
                channel=entry.get("channel") or entry.get("uploader") or "",
                description=entry.get("description") or "",
                duration_s=round(duration) if isinstance(duration, int | float) else None,
                view_count=_int_or_none(entry.get("view_count")),
                query=query,
            )
        )
    return found


def _is_long_form_video(entry: Mapping[str, Any]) -> bool:
    video_id = entry.get("id")
    return (
        isinstance(video_id, str)
        and bool(video_id)
        and entry.get("ie_key", "Youtube") == "Youtube"
        and entry.get("live_status") not in LIVE_STATES
        and "/shorts/" not in (entry.get("url") or "")
    )


class QuotaGate:
    """Remembers that a key's daily quota ran out, so that no further call spends time on it until the reset.

    The Data API's quota resets at midnight Pacific time. Keys are remembered by a
    digest, never as text.
    """

    def __init__(self, clock: Callable[[], datetime] = lambda: datetime.now(UTC)) -> None:
        self._clock = clock
        self._closed_until: dict[str, datetime] = {}
        self._lock = threading.Lock()

    def check(self, api_key: str) -> None:
        """Raise SourceError while the key's quota is used up."""
        with self._lock:
            until = self._closed_until.get(_digest(api_key))
        if until is not None and self._clock() < until:
            raise SourceError(QUOTA_MESSAGE + f" (resets at {until:%H:%M} UTC)")

    def close(self, api_key: str) -> None:
        """Stop calls with this key until the next midnight Pacific time."""
        now = self._clock().astimezone(PACIFIC)
        midnight = datetime.combine(now.date() + timedelta(days=1), time(0), tzinfo=PACIFIC)
        with self._lock:
            self._closed_until[_digest(api_key)] = midnight.astimezone(UTC)


DAILY_QUOTA = QuotaGate()


class _Transient(Exception):
    """A failure worth another try: 429, a 5xx, a timeout or a connection error."""


class _NoAnswer(_Transient):
    """A timeout or a connection error: the API never answered."""


class YouTubeApiSource:
    """YouTube Data API v3: search.list (100 quota units) then videos.list (1 unit) for durations and counts.

    One search.list with any duration, filtered afterwards, rather than one per duration
    band: `videoDuration=medium|long` would drop 1–4 minute explainers that hold a clip,
    and each extra search.list costs 100 of the default 10,000 daily units. Requests are
    retried with exponential backoff and jitter on 429, 5xx and network errors; an
    exhausted quota stops every call until it resets.
    """

    name = "api"
    base_url = "https://www.googleapis.com/youtube/v3"
    max_results = 50  # the most search.list returns in one page

    def __init__(
        self,
        api_key: str,
        *,
        timeout_s: float = DEFAULT_TIMEOUT_S,
        relevance_language: str | None = "en",
        base_url: str | None = None,
        max_retries: int = 3,
        backoff_s: float = 1.0,
        quota: QuotaGate = DAILY_QUOTA,
    ) -> None:
        if not api_key:
            raise ValueError("the YouTube Data API source needs an API key")
        self._api_key = api_key
        self._timeout_s = timeout_s
        self._relevance_language = relevance_language
        self._base_url = base_url or self.base_url
        self._max_retries = max_retries
        self._backoff_s = backoff_s
        self._quota = quota

    def search(self, query: str, limit: int) -> list[Candidate]:
        if limit < 1 or not query.strip():
            return []
        self._quota.check(self._api_key)
        params: dict[str, str | int] = {
            "part": "snippet",
            "type": "video",
            "q": query,
            "maxResults": min(limit, self.max_results),
            "safeSearch": "moderate",
            "videoEmbeddable": "true",  # clips play in the embedded player
        }
        if self._relevance_language:
            params["relevanceLanguage"] = self._relevance_language
        # The key travels in a header so that it never appears in a URL, a log line or an error.
        headers = {"X-Goog-Api-Key": self._api_key}
        with httpx.Client(base_url=self._base_url, timeout=self._timeout_s, headers=headers) as client:
            hits = _search_hits(self._get(client, "search", params))
            if not hits:
                return []
            details = self._get(client, "videos", {"part": "contentDetails,statistics,snippet", "id": ",".join(hits)})
        by_id = {item.get("id"): item for item in details.get("items") or [] if isinstance(item, dict)}
        found = []
        for video_id, snippet in hits.items():
            # A video missing from videos.list went private or was removed since the search.
            candidate = _candidate(video_id, snippet, by_id[video_id], query) if video_id in by_id else None
            if candidate is not None:
                found.append(candidate)
        return found

    def _get(self, client: httpx.Client, resource: str, params: Mapping[str, str | int]) -> dict[str, Any]:
        retrying = Retrying(
            stop=stop_after_attempt(self._max_retries + 1),
            wait=wait_exponential_jitter(multiplier=self._backoff_s, max=30 * self._backoff_s, jitter=self._backoff_s),
            retry=retry_if_exception_type(_Transient),
            before_sleep=lambda state: log.warning(
                "youtube_api_retry",
                resource=resource,
                attempt=state.attempt_number,
                error=str(state.outcome.exception()) if state.outcome else "",
            ),
            reraise=True,
        )
        try:
            response = retrying(self._send, client, resource, params)
        except _NoAnswer as exc:
            raise SourceUnreachable(str(exc)) from exc
        except _Transient as exc:
            raise SourceError(str(exc)) from exc
        if response.is_error:
            if error_reasons(response) & QUOTA_REASONS:
                self._quota.close(self._api_key)
                log.warning("youtube_api_quota_exceeded", resource=resource)
            raise SourceError(api_error_message(resource, response))
        try:
            body = response.json()
        except ValueError as exc:
            raise SourceError(f"YouTube Data API {resource}.list answered with a body that is not JSON") from exc
        if not isinstance(body, dict):
            raise SourceError(f"YouTube Data API {resource}.list answered with an unexpected body")
        return body

    def _send(self, client: httpx.Client, resource: str, params: Mapping[str, str | int]) -> httpx.Response:
        try:
            response = client.get(f"/{resource}", params=params)
        except httpx.TimeoutException as exc:
            raise _NoAnswer(f"YouTube Data API {resource}.list timed out after {self._timeout_s:g} s") from exc
        except httpx.TransportError as exc:
            raise _NoAnswer(f"could not reach the YouTube Data API ({type(exc).__name__})") from exc
        if response.status_code == 429 or response.status_code >= 500:
            raise _Transient(api_error_message(resource, response))
        return response


QUOTA_REASONS = frozenset({"quotaExceeded", "dailyLimitExceeded"})
KEY_REASONS = frozenset({"keyInvalid", "keyExpired", "API_KEY_INVALID"})
QUOTA_MESSAGE = (
    "YouTube Data API quota exceeded: no more searches until the daily quota resets "
    "(midnight Pacific time); set OPENREC_VIDEO_SOURCE=ytdlp to search without the API"
)


def error_reasons(response: httpx.Response) -> set[str]:
    """The `reason` values of a Data API error body (both of Google's error shapes)."""
    error = _error_object(response)
    return {
        item["reason"]
        for item in [*(error.get("errors") or []), *(error.get("details") or [])]
        if isinstance(item, dict) and isinstance(item.get("reason"), str)
    }


def _error_object(response: httpx.Response) -> dict[str, Any]:
    try:
        error = response.json().get("error") or {}
    except (ValueError, AttributeError):
        error = {}
    return error if isinstance(error, dict) else {}


def api_error_message(resource: str, response: httpx.Response) -> str:
    """A readable message for a YouTube Data API error body, naming what the operator can do."""
    reasons = error_reasons(response)
    if reasons & QUOTA_REASONS:
        return QUOTA_MESSAGE
    if reasons & KEY_REASONS:
        return (
            "YouTube Data API rejected YOUTUBE_API_KEY (invalid key): "
            "check the key and that YouTube Data API v3 is enabled for it"
        )
    detail = re.sub(r"<[^>]+>", "", str(_error_object(response).get("message") or "")).strip()
    reason = ", ".join(sorted(reasons))
    extra = ": ".join(part for part in (reason, detail) if part)
    return f"YouTube Data API {resource}.list failed with HTTP {response.status_code}" + (
        f" ({extra})" if extra else ""
    )


def _digest(api_key: str) -> str:
    return hashlib.sha256(api_key.encode()).hexdigest()


def _search_hits(body: Mapping[str, Any]) -> dict[str, Mapping[str, Any]]:
    """Video ids of a search.list answer, in order, with their snippets; live and upcoming left out."""
    hits: dict[str, Mapping[str, Any]] = {}
    for item in body.get("items") or []:
        ids = item.get("id") if isinstance(item, dict) else None
        video_id = ids.get("videoId") if isinstance(ids, dict) else None
        snippet = item.get("snippet") or {}
        if isinstance(video_id, str) and video_id and snippet.get("liveBroadcastContent") not in LIVE_STATES:
            hits.setdefault(video_id, snippet)
    return hits


def _candidate(video_id: str, found: Mapping[str, Any], video: Mapping[str, Any], query: str) -> Candidate | None:
    """Joins a search snippet (HTML-escaped) with the videos.list resource (plain text, full description)."""
    snippet = video.get("snippet") or {}
    if snippet.get("liveBroadcastContent") in LIVE_STATES:
        return None
    duration = iso8601_duration_s((video.get("contentDetails") or {}).get("duration"))
    if duration == 0:  # "P0D": a live stream or a premiere that has not aired
        return None
    statistics = video.get("statistics") or {}
    return Candidate(
        video_id=video_id,
        title=html.unescape(found.get("title") or snippet.get("title") or ""),
        channel=html.unescape(found.get("channelTitle") or snippet.get("channelTitle") or ""),
        description=snippet.get("description") or html.unescape(found.get("description") or ""),
        published_at=_date_or_none(snippet.get("publishedAt") or found.get("publishedAt")),
        duration_s=duration,
        view_count=_int_or_none(statistics.get("viewCount")),
        like_count=_int_or_none(statistics.get("likeCount")),
        query=query,
    )


_ISO_DURATION = re.compile(
    r"P(?:(?P<weeks>\d+)W)?(?:(?P<days>\d+)D)?"
    r"(?:T(?:(?P<hours>\d+)H)?(?:(?P<minutes>\d+)M)?(?:(?P<seconds>\d+(?:\.\d+)?)S)?)?"
)
_SECONDS_PER = {"weeks": 604_800, "days": 86_400, "hours": 3_600, "minutes": 60, "seconds": 1}


def iso8601_duration_s(value: object) -> int | None:
    """Seconds of an ISO 8601 duration as the Data API writes it (`PT21M7S`, `P1DT2H`, `P0D`); None if unreadable."""
    match = _ISO_DURATION.fullmatch(value) if isinstance(value, str) and not value.endswith("T") else None
    amounts = {unit: float(amount) for unit, amount in match.groupdict().items() if amount} if match else {}
    if not amounts:
        return None
    return round(sum(amount * _SECONDS_PER[unit] for unit, amount in amounts.items()))


def _int_or_none(value: object) -> int | None:
    """Counts arrive as ints (yt-dlp) or digit strings (Data API); anything else is unknown."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return round(value)
    if isinstance(value, str) and value.isdigit():
        return int(value)
    return None


def _date_or_none(value: object) -> date | None:
    if not isinstance(value, str):
        return None
    try:
        return datetime.fromisoformat(value).date()
    except ValueError:
        return None
