"""X API v2 client: a user's recent posts and liked posts, for "connect by username".

Only three endpoints are used, with an app bearer token: user lookup by username, the
user's timeline and their liked posts. Pages are followed through `meta.next_token` up
to a cap; a 429 is waited out when its `x-rate-limit-reset` is near, otherwise the
import stops with the time to come back. Every failure becomes an XApiError whose
message is meant for the user.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import httpx

from app.config import Settings
from app.schemas import TweetKind
from app.sources.tweet_records import (
    ImportInputError,
    RecordBatch,
    TweetRecord,
    entity_links,
    is_tweet_id,
    readable_text,
    snowflake_time,
    status_url,
)

DEFAULT_TIMEOUT_S = 15.0
DEFAULT_MAX_WAIT_S = 90.0
PAGE_SIZE = 100
_USERNAME = re.compile(r"^[A-Za-z0-9_]{1,15}$")
_TWEET_FIELDS = "created_at,referenced_tweets,entities,lang"
_REFERENCE_KINDS: tuple[tuple[str, TweetKind], ...] = (
    ("retweeted", "retweet"),
    ("replied_to", "reply"),
    ("quoted", "quote"),
)
SKIP_API_SHAPE = "post from X that is not an object"
SKIP_API_ID = "post from X without a valid id"
SKIP_API_TEXT = "post from X without text"


class XApiError(ImportInputError):
    """The X API could not be used; the message says why and what to do."""

    def __init__(self, message: str, *, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


@dataclass(frozen=True, slots=True)
class XUser:
    id: str
    username: str
    name: str


@dataclass(slots=True)
class XApiResult:
    """Posts and likes fetched for one X user, with skip reasons and where fetching stopped early."""

    user: XUser
    batch: RecordBatch = field(default_factory=RecordBatch)
    notes: list[str] = field(default_factory=list)


class XApiClient:
    """A small synchronous X API v2 client; `sleep` and `clock` are injectable so waits can be tested."""

    def __init__(
        self,
        *,
        bearer_token: str,
        base_url: str = "https://api.x.com",
        max_pages: int = 5,
        timeout_s: float = DEFAULT_TIMEOUT_S,
        max_wait_s: float = DEFAULT_MAX_WAIT_S,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if not bearer_token:
            raise XApiError("No X API bearer token is configured (set X_BEARER_TOKEN).")
        self._http = httpx.Client(
            base_url=base_url.rstrip("/"),
            headers={"Authorization": f"Bearer {bearer_token}", "User-Agent": "openrec"},
            timeout=timeout_s,
        )
        self._max_pages = max_pages
        self._timeout_s = timeout_s
        self._max_wait_s = max_wait_s
        self._sleep = sleep
        self._clock = clock

    @classmethod
    def from_settings(cls, settings: Settings, **kwargs: Any) -> XApiClient:
        return cls(
            bearer_token=settings.x_bearer_token,
            base_url=settings.x_api_base_url,
            max_pages=settings.x_api_max_pages,
            **kwargs,
        )

    def __enter__(self) -> XApiClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        self._http.close()

    def fetch_account(self, username: str) -> XApiResult:
        """Resolve a username, then fetch the user's recent posts and liked posts."""
        user = self.user_by_username(username)
        result = XApiResult(user=user)
        self._timeline(result, f"/2/users/{user.id}/tweets", "posts", likes=False)
        try:
            self._timeline(result, f"/2/users/{user.id}/liked_tweets", "liked posts", likes=True)
        except XApiError as exc:
            if exc.status != 403:  # several API plans include timelines but not likes: keep the posts
                raise
            result.notes.append(str(exc))
        return result

    def user_by_username(self, username: str) -> XUser:
        name = username.strip().removeprefix("@")
        if not _USERNAME.match(name):
            raise XApiError(f"{username!r} is not an X username (letters, digits and _; at most 15).")
        body = self._get(f"/2/users/by/username/{name}", {}, what="the user lookup")
        data = body.get("data")
        if not isinstance(data, dict):
            raise XApiError(f"X has no user @{name}{_problem(body)}.")
        user_id, handle, display = data.get("id"), data.get("username"), data.get("name")
        if not is_tweet_id(user_id) or not isinstance(handle, str):
            raise XApiError("X sent an unexpected answer to the user lookup (no user id).")
        return XUser(id=user_id, username=handle[:64], name=display[:128] if isinstance(display, str) else "")

    def _timeline(self, result: XApiResult, path: str, what: str, *, likes: bool) -> None:
        params = {"max_results": str(PAGE_SIZE), "tweet.fields": _TWEET_FIELDS}
        token: str | None = None
        like_order = 0
        for page in range(1, self._max_pages + 1):
            body = self._get(path, {**params, **({"pagination_token": token} if token else {})}, what=what)
            data = body.get("data", [])
            meta = body.get("meta", {})
            if "data" not in body and "meta" not in body:
                raise XApiError(f"X could not list the {what}{_problem(body)}.")
            if not isinstance(data, list) or not isinstance(meta, dict):
                raise XApiError(f"X sent an unexpected page of {what} (page {page}: no list of posts).")
            for tweet in data:
                if result.batch.add(_api_record(tweet, like_order if likes else None)) and likes:
                    like_order += 1
            next_token = meta.get("next_token")
            if not next_token:
                return
            if not isinstance(next_token, str):
                raise XApiError(f"X sent an unexpected page of {what} (page {page}: odd next_token).")
            token = next_token
        result.notes.append(f"{what}: stopped after {self._max_pages} pages (X_API_MAX_PAGES); older ones not fetched")

    def _get(self, path: str, params: dict[str, str], *, what: str) -> dict[str, Any]:
        waited = False
        while True:
            try:
                response = self._http.get(path, params=params)
            except httpx.TimeoutException as exc:
                raise XApiError(f"X did not answer within {self._timeout_s:g} s ({what}); try again later.") from exc
            except httpx.HTTPError as exc:
                raise XApiError(f"Could not reach the X API ({what}: {exc.__class__.__name__}).") from exc
            if response.status_code == 429:
                wait = self._rate_limit_wait(response)
                if wait is None or waited:
                    raise XApiError(f"X's rate limit is used up ({what}); {self._retry_hint(response)}.")
                self._sleep(wait)
                waited = True
                continue
            return _json_body(response, what)

    def _rate_limit_wait(self, response: httpx.Response) -> float | None:
        """Seconds until the limit resets, when that is short enough to wait for."""
        reset = _reset_epoch(response)
        if reset is None:
            return None
        wait = max(reset - self._clock(), 0.0) + 1.0
        return wait if wait <= self._max_wait_s else None

    def _retry_hint(self, response: httpx.Response) -> str:
        reset = _reset_epoch(response)
        if reset is None:
            return "try again in 15 minutes"
        return f"try again after {datetime.fromtimestamp(reset, tz=UTC):%Y-%m-%d %H:%M} UTC"


def _reset_epoch(response: httpx.Response) -> float | None:
    value = response.headers.get("x-rate-limit-reset", "")
    return float(value) if value.isdigit() else None


def _json_body(response: httpx.Response, what: str) -> dict[str, Any]:
    status = response.status_code
    if status == 401:
        raise XApiError("X rejected the bearer token (401 Unauthorized): check X_BEARER_TOKEN.")
    try:
        body = response.json()
    except ValueError:
        body = None
    if status == 403:
        raise XApiError(
            f"X refused access to the {what} (403 Forbidden{_problem(body)}); "
            "the bearer token's API plan may not include this endpoint.",
            status=403,
        )
    if status >= 400:
        raise XApiError(f"X answered {status} for the {what}{_problem(body)}.")
    if not isinstance(body, dict):
        raise XApiError(f"X sent an unexpected answer for the {what} (not a JSON object).")
    return body


def _problem(body: object) -> str:
    """The first error detail X gave, as `: detail`, or nothing."""
    errors = body.get("errors") if isinstance(body, dict) else None
    first = errors[0] if isinstance(errors, list) and errors and isinstance(errors[0], dict) else body
    detail = first.get("detail") if isinstance(first, dict) else None
    return f": {detail[:200]}" if isinstance(detail, str) and detail else ""


def _api_record(tweet: object, like_order: int | None) -> TweetRecord | str:
    """A post from the X API, or the reason it is skipped."""
    if not isinstance(tweet, dict):
        return SKIP_API_SHAPE
    tweet_id, raw_text = tweet.get("id"), tweet.get("text")
    if not is_tweet_id(tweet_id):
        return SKIP_API_ID
    if not isinstance(raw_text, str):
        return SKIP_API_TEXT
    links = entity_links(tweet.get("entities"), "urls")
    text = readable_text(raw_text, links)
    lang = tweet.get("lang")
    return TweetRecord(
        tweet_id=tweet_id,
        kind="like" if like_order is not None else _kind(tweet),
        text=text,
        created_at=_iso_time(tweet.get("created_at")) or snowflake_time(tweet_id),
        url=status_url(tweet_id),
        like_order=like_order,
        lang=lang if isinstance(lang, str) and len(lang) <= 8 else None,
    )


def _kind(tweet: dict[str, Any]) -> TweetKind:
    """The kind named by `referenced_tweets` (a link to a post without a `quoted` reference is not a quote)."""
    references = tweet.get("referenced_tweets")
    types = {r.get("type") for r in references if isinstance(r, dict)} if isinstance(references, list) else set()
    for reference, kind in _REFERENCE_KINDS:
        if reference in types:
            return kind
    return "tweet"


def _iso_time(value: object) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    return moment.astimezone(UTC) if moment.tzinfo else moment.replace(tzinfo=UTC)
