"""The X API v2 client against recorded responses: paging, kinds, 401, 429, timeouts, malformed pages."""

from __future__ import annotations

import html
import json
from collections import Counter
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
import respx

from app.sources.tweet_records import SKIP_DUPLICATE, snowflake_time
from app.sources.x_api import SKIP_API_ID, XApiClient, XApiError

FIXTURES = Path(__file__).parent / "fixtures" / "x_api"
BASE = "https://api.x.com"
USER_ID = "783214"  # the id in users_by_username_Twitter.json


def body(name: str) -> Any:
    return json.loads((FIXTURES / f"{name}.json").read_text())


def headers(name: str) -> dict[str, str]:
    return dict(body(name)["headers"])


class Sleeper:
    def __init__(self) -> None:
        self.calls: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.calls.append(seconds)


@pytest.fixture
def api() -> Iterator[respx.MockRouter]:
    with respx.mock(base_url=BASE, assert_all_called=False) as router:
        router.get("/2/users/by/username/Twitter", name="user").respond(json=body("users_by_username_Twitter"))
        yield router


def client(**kwargs: Any) -> XApiClient:
    return XApiClient(bearer_token="test-token", base_url=BASE, **kwargs)


def _serve_pages(api: respx.MockRouter, path: str, first: str, rest: str) -> respx.Route:
    """Page 1 without a token, the next page for page 1's next_token."""
    token = body(first)["meta"]["next_token"]

    def answer(request: httpx.Request) -> httpx.Response:
        given = request.url.params.get("pagination_token")
        return httpx.Response(200, json=body(rest if given == token else first))

    return api.get(path).mock(side_effect=answer)


def _expected_kind(tweet: dict[str, Any]) -> str:
    types = {ref["type"] for ref in tweet.get("referenced_tweets", [])}
    for ref, kind in (("retweeted", "retweet"), ("replied_to", "reply"), ("quoted", "quote")):
        if ref in types:
            return kind
    return "tweet"


def test_fetch_account_follows_pages_and_classifies(api: respx.MockRouter) -> None:
    tweets_route = _serve_pages(
        api, f"/2/users/{USER_ID}/tweets", "users_tweets_page1_next_token", "users_tweets_last_page_no_next_token"
    )
    likes_route = _serve_pages(
        api, f"/2/users/{USER_ID}/liked_tweets", "liked_tweets_page1_with_errors", "liked_tweets_page2_empty"
    )
    posts = body("users_tweets_page1_next_token")["data"] + body("users_tweets_last_page_no_next_token")["data"]
    liked = body("liked_tweets_page1_with_errors")["data"]

    with client(max_pages=5) as x:
        result = x.fetch_account("@Twitter")

    assert (result.user.id, result.user.username, result.user.name) == (USER_ID, "Twitter", "Twitter")
    own_ids = {tweet["id"] for tweet in posts}
    expected = Counter(_expected_kind(tweet) for tweet in posts)
    expected["like"] = sum(1 for tweet in liked if tweet["id"] not in own_ids)
    assert Counter(result.batch.counts()) == expected
    assert result.notes == []
    assert tweets_route.call_count == 2 and likes_route.call_count == 2
    second = tweets_route.calls[1].request
    assert second.url.params["pagination_token"] == body("users_tweets_page1_next_token")["meta"]["next_token"]
    assert second.url.params["max_results"] == "100"
    assert "referenced_tweets" in second.url.params["tweet.fields"]
    assert second.headers["authorization"] == "Bearer test-token"

    items = {item.tweet_id: item for item in result.batch.items}
    for tweet in posts:
        item = items[tweet["id"]]
        assert item.created_at == datetime.fromisoformat(tweet["created_at"])
        assert item.url == f"https://x.com/i/status/{tweet['id']}"
        if "&amp;" in tweet["text"] and not tweet.get("entities", {}).get("urls"):
            assert item.text == html.unescape(tweet["text"])
    likes = [item for item in result.batch.items if item.kind == "like"]
    assert [item.like_order for item in likes] == list(range(len(likes)))


def test_links_are_expanded_in_api_text(api: respx.MockRouter) -> None:
    page = body("liked_tweets_page1_with_errors")
    linked = next(tweet for tweet in page["data"] if tweet.get("entities", {}).get("urls"))
    api.get(f"/2/users/{USER_ID}/tweets").respond(json={"meta": {"result_count": 0}})
    api.get(f"/2/users/{USER_ID}/liked_tweets").respond(json={"data": [linked], "meta": {"result_count": 1}})
    with client() as x:
        [item] = x.fetch_account("Twitter").batch.items
    for url in linked["entities"]["urls"]:
        assert url["url"] not in item.text
        assert url["expanded_url"] in item.text


def test_paging_stops_at_the_page_cap(api: respx.MockRouter) -> None:
    tweets_route = _serve_pages(
        api, f"/2/users/{USER_ID}/tweets", "users_tweets_page1_next_token", "users_tweets_last_page_no_next_token"
    )
    api.get(f"/2/users/{USER_ID}/liked_tweets").respond(json=body("liked_tweets_page2_empty"))
    with client(max_pages=1) as x:
        result = x.fetch_account("Twitter")
    assert tweets_route.call_count == 1
    assert len(result.batch.items) == len(body("users_tweets_page1_next_token")["data"])
    assert result.notes and "stopped after 1 pages" in result.notes[0]


def test_default_field_pages_are_read(api: respx.MockRouter) -> None:
    page = body("users_tweets_tweepy_2022")
    page["meta"].pop("next_token")
    api.get(f"/2/users/{USER_ID}/tweets").respond(json=page)
    api.get(f"/2/users/{USER_ID}/liked_tweets").respond(json=body("liked_tweets_page2_empty"))
    with client() as x:
        items = x.fetch_account("Twitter").batch.items
    assert [(item.tweet_id, item.kind) for item in items] == [(tweet["id"], "tweet") for tweet in page["data"]]
    assert all(item.created_at == snowflake_time(item.tweet_id) for item in items)


def test_bad_posts_in_a_page_are_skipped(api: respx.MockRouter) -> None:
    good = body("users_tweets_last_page_no_next_token")["data"][:2]
    page = {"data": [good[0], {"text": "no id"}, good[1], good[0]], "meta": {"result_count": 4}}
    api.get(f"/2/users/{USER_ID}/tweets").respond(json=page)
    api.get(f"/2/users/{USER_ID}/liked_tweets").respond(json=body("liked_tweets_page2_empty"))
    with client() as x:
        batch = x.fetch_account("Twitter").batch
    assert [item.tweet_id for item in batch.items] == [good[0]["id"], good[1]["id"]]
    assert batch.skipped == {SKIP_API_ID: 1, SKIP_DUPLICATE: 1}


def test_unauthorized_says_the_token_is_wrong(api: respx.MockRouter) -> None:
    api.routes["user"].respond(
        401, json=body("error_401_unauthorized"), headers=headers("error_401_unauthorized.headers")
    )
    with client() as x, pytest.raises(XApiError, match="rejected the bearer token"):
        x.fetch_account("Twitter")


def test_likes_refused_by_the_api_plan_keep_the_posts(api: respx.MockRouter) -> None:
    api.get(f"/2/users/{USER_ID}/tweets").respond(json=body("users_tweets_last_page_no_next_token"))
    forbidden = {"title": "Forbidden", "detail": "Your plan does not include this endpoint.", "status": 403}
    api.get(f"/2/users/{USER_ID}/liked_tweets").respond(403, json=forbidden)
    with client() as x:
        result = x.fetch_account("Twitter")
    assert len(result.batch.items) == len(body("users_tweets_last_page_no_next_token")["data"])
    assert len(result.notes) == 1
    assert "liked posts (403 Forbidden: Your plan does not include this endpoint.)" in result.notes[0]


def test_posts_refused_by_the_api_plan_stop_the_import(api: respx.MockRouter) -> None:
    api.get(f"/2/users/{USER_ID}/tweets").respond(403, json={"detail": "Forbidden"})
    with client() as x, pytest.raises(XApiError, match="403 Forbidden"):
        x.fetch_account("Twitter")


def test_a_short_rate_limit_is_waited_out(api: respx.MockRouter) -> None:
    limited = headers("error_429_too_many_requests.headers")
    reset = int(limited["x-rate-limit-reset"])
    api.routes["user"].side_effect = [
        httpx.Response(429, json=body("error_429_too_many_requests"), headers=limited),
        httpx.Response(200, json=body("users_by_username_Twitter")),
    ]
    sleep = Sleeper()
    with client(sleep=sleep, clock=lambda: reset - 30.0) as x:
        assert x.user_by_username("Twitter").id == USER_ID
    assert sleep.calls == [31.0]


def test_a_long_rate_limit_stops_with_the_time_to_retry(api: respx.MockRouter) -> None:
    limited = headers("error_429_too_many_requests.headers")
    reset = int(limited["x-rate-limit-reset"])
    api.routes["user"].respond(429, json=body("error_429_too_many_requests"), headers=limited)
    sleep = Sleeper()
    with client(sleep=sleep, clock=lambda: reset - 3600.0) as x, pytest.raises(XApiError) as caught:
        x.user_by_username("Twitter")
    assert "rate limit" in str(caught.value)
    assert "2022-10-07 22:53 UTC" in str(caught.value)
    assert sleep.calls == []


def test_a_rate_limit_that_persists_after_waiting_stops(api: respx.MockRouter) -> None:
    limited = headers("error_429_too_many_requests.headers")
    reset = int(limited["x-rate-limit-reset"])
    api.routes["user"].respond(429, json=body("error_429_too_many_requests"), headers=limited)
    sleep = Sleeper()
    with client(sleep=sleep, clock=lambda: reset - 5.0) as x, pytest.raises(XApiError, match="rate limit"):
        x.user_by_username("Twitter")
    assert sleep.calls == [6.0]


def test_a_timeout_is_reported(api: respx.MockRouter) -> None:
    api.routes["user"].side_effect = httpx.ReadTimeout("slow")
    with client(timeout_s=2.5) as x, pytest.raises(XApiError, match=r"did not answer within 2\.5 s"):
        x.user_by_username("Twitter")


@pytest.mark.parametrize(
    "response",
    [
        httpx.Response(200, text="<html>upstream error</html>"),
        httpx.Response(200, json={"data": {"id": "1"}, "meta": {}}),
        httpx.Response(200, json={"data": [], "meta": {"next_token": 7}}),
        httpx.Response(200, json=[1, 2, 3]),
    ],
)
def test_a_malformed_page_is_reported(api: respx.MockRouter, response: httpx.Response) -> None:
    api.get(f"/2/users/{USER_ID}/tweets").mock(return_value=response)
    with client() as x, pytest.raises(XApiError, match="unexpected"):
        x.fetch_account("Twitter")


def test_a_missing_user_is_reported(api: respx.MockRouter) -> None:
    api.get(f"/2/users/{USER_ID}/tweets").respond(json=body("users_tweets_user_not_found"))
    with client() as x, pytest.raises(XApiError, match="Could not find user with id"):
        x.fetch_account("Twitter")
    api.get("/2/users/by/username/nobody_here").respond(json={"errors": [{"detail": "Could not find user"}]})
    with client() as x, pytest.raises(XApiError, match="X has no user @nobody_here"):
        x.user_by_username("nobody_here")


def test_a_bad_username_never_reaches_x(api: respx.MockRouter) -> None:
    with client() as x, pytest.raises(XApiError, match="not an X username"):
        x.user_by_username("../2/users/1")
    assert not api.calls


def test_no_token_is_a_clear_error() -> None:
    with pytest.raises(XApiError, match="X_BEARER_TOKEN"):
        XApiClient(bearer_token="")
