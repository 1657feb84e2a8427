"""The /import page and /api/imports: uploads with limits, paste, X username, escaping, CSRF."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest
import respx
from fastapi.testclient import TestClient

from app.config import get_settings
from app.main import create_app
from app.web.static import static_url
from tests.archive_factory import raw_archive_counts
from tests.conftest import SHARED, csrf_for, signup
from tests.test_x_api import BASE, USER_ID, body

LENA = SHARED / "eval" / "dev" / "personas" / "lena.zip"


def _upload(client: TestClient, content: bytes, filename: str = "archive.zip", **kwargs: Any) -> Any:
    return client.post(
        f"/import/archive?csrf_token={csrf_for(client)}",
        files={"archive": (filename, content, "application/zip")},
        follow_redirects=False,
        **kwargs,
    )


@pytest.fixture
def client_with(request: pytest.FixtureRequest) -> Iterator[Any]:
    """A signed-in client of an app built with changed settings."""
    clients: list[TestClient] = []

    def make(**changes: Any) -> TestClient:
        app = create_app(get_settings().model_copy(update=changes))
        client = TestClient(app)
        client.__enter__()
        clients.append(client)
        client.get("/login")
        signup(client)
        return client

    yield make
    for client in clients:
        client.__exit__(None, None, None)


def test_the_page_needs_a_sign_in(client: TestClient) -> None:
    response = client.get("/import", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"].startswith("/login")


def test_the_page_offers_upload_and_paste_but_no_x_without_a_token(signed_in: TestClient) -> None:
    page = signed_in.get("/import").text
    assert 'id="archive-form"' in page and 'name="archive"' in page
    assert f'action="/import/archive?csrf_token={csrf_for(signed_in)}"' in page
    assert 'action="/import/paste"' in page
    assert 'action="/import/x"' not in page
    assert f'<script src="{static_url("import.js")}">' in page
    assert signed_in.get(static_url("import.js")).status_code == 200


def test_an_archive_upload_imports_and_shows_counts(signed_in: TestClient) -> None:
    expected, _ = raw_archive_counts(LENA)
    response = _upload(signed_in, LENA.read_bytes(), "lena.zip")
    assert response.status_code == 303
    target = response.headers["location"]
    assert re.fullmatch(r"/import\?job=\d+", target)
    page = signed_in.get(target).text
    assert f"Imported {sum(expected.values())} new items" in page
    assert f'<span class="count">{expected["like"]}</span> likes' in page
    [job] = signed_in.get("/api/imports").json()
    assert Counter(job["counts"]) == expected
    assert (job["status"], job["filename"]) == ("succeeded", "lena.zip")

    again = _upload(signed_in, LENA.read_bytes(), "lena.zip", headers={"HX-Request": "true"})
    assert again.status_code == 200
    assert re.fullmatch(r"/import\?job=\d+", again.headers["hx-redirect"])
    latest = signed_in.get("/api/imports").json()[0]
    assert sum(latest["counts"].values()) == 0
    assert latest["skipped"] == {"already imported before": sum(expected.values())}


def test_a_refused_archive_shows_why_and_is_in_the_history(signed_in: TestClient) -> None:
    response = _upload(signed_in, b"definitely not a zip", "<img src=x onerror=alert(1)>.zip")
    assert response.status_code == 400
    assert "not a ZIP archive" in response.text
    page = signed_in.get("/import").text
    assert "&lt;img src=x onerror=alert(1)&gt;.zip" in page
    assert "<img src=x" not in page
    [job] = signed_in.get("/api/imports").json()
    assert job["status"] == "failed" and "not a ZIP archive" in job["error"]


def test_a_refused_archive_as_a_fragment(signed_in: TestClient) -> None:
    response = _upload(signed_in, LENA.read_bytes()[:5000], headers={"HX-Request": "true"})
    assert response.status_code == 400
    assert response.text.lstrip().startswith('<div id="import-result"')
    assert "truncated or damaged" in response.text


def test_an_upload_without_a_file_is_refused(signed_in: TestClient) -> None:
    response = signed_in.post(
        f"/import/archive?csrf_token={csrf_for(signed_in)}", files={"other": ("a.txt", b"x", "text/plain")}
    )
    assert response.status_code == 400
    assert "Choose your X archive" in response.text


def test_an_empty_file_is_named_refused_and_listed_in_recent_imports(signed_in: TestClient) -> None:
    response = signed_in.post(
        f"/import/archive?csrf_token={csrf_for(signed_in)}",
        files={"archive": ("twitter-archive.zip", b"", "application/zip")},
    )
    assert response.status_code == 400
    assert "“twitter-archive.zip” is empty (0 bytes)" in response.text
    assert "Choose your X archive" not in response.text
    (job,) = signed_in.get("/api/imports").json()
    assert job["status"] == "failed" and job["filename"] == "twitter-archive.zip" and "empty" in job["error"]
    assert "twitter-archive.zip" in signed_in.get("/import").text


def test_an_upload_without_the_csrf_token_is_refused(signed_in: TestClient) -> None:
    response = signed_in.post("/import/archive", files={"archive": ("a.zip", LENA.read_bytes(), "application/zip")})
    assert response.status_code == 403
    assert signed_in.get("/api/imports").json() == []


def test_an_upload_over_the_limit_is_refused_with_413(client_with: Any) -> None:
    client = client_with(openrec_max_upload_mb=1)
    big = b"PK\x03\x04" + b"\x00" * (3 * 1024 * 1024)
    response = _upload(client, big)
    assert response.status_code == 413
    assert "larger than the 1 MiB allowed" in response.text

    token = csrf_for(client)
    boundary = "bench-boundary"
    head = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="archive"; filename="a.zip"\r\n'
        "Content-Type: application/zip\r\n\r\n"
    ).encode()

    def chunked() -> Iterator[bytes]:  # no Content-Length: the limit must hold while streaming
        yield head
        for _ in range(12):
            yield b"\x00" * (256 * 1024)
        yield f"\r\n--{boundary}--\r\n".encode()

    response = client.post(
        f"/api/imports/archive?csrf_token={token}",
        content=chunked(),
        headers={"content-type": f"multipart/form-data; boundary={boundary}"},
    )
    assert response.status_code == 413
    assert "larger than the 1 MiB allowed" in response.json()["detail"]


def test_paste_imports_notes_and_refuses_empty_text(signed_in: TestClient) -> None:
    token = csrf_for(signed_in)
    response = signed_in.post(
        "/import/paste", data={"text": "Rust lifetimes\nsourdough", "csrf_token": token}, follow_redirects=False
    )
    assert response.status_code == 303
    assert "2</span> notes" in signed_in.get(response.headers["location"]).text
    empty = signed_in.post("/import/paste", data={"text": "  \n ", "csrf_token": token})
    assert empty.status_code == 400
    assert "nothing to import" in empty.text


def test_another_users_import_is_not_shown(client_with: Any, signed_in: TestClient) -> None:
    other = client_with()
    response = _upload(other, LENA.read_bytes(), "secret-name.zip")
    job_id = response.headers["location"].split("=")[1]
    assert "secret-name.zip" not in signed_in.get(f"/import?job={job_id}").text


def test_the_json_api(signed_in: TestClient) -> None:
    headers = {"x-csrf-token": csrf_for(signed_in)}
    created = signed_in.post(
        "/api/imports/archive", files={"archive": ("lena.zip", LENA.read_bytes(), "application/zip")}, headers=headers
    )
    assert created.status_code == 201
    assert Counter(created.json()["counts"]) == raw_archive_counts(LENA)[0]
    pasted = signed_in.post("/api/imports/paste", json={"text": "one\ntwo\nthree"}, headers=headers)
    assert (pasted.status_code, pasted.json()["counts"]) == (201, {"note": 3})
    refused = signed_in.post(
        "/api/imports/archive", files={"archive": ("x.zip", b"nope", "application/zip")}, headers=headers
    )
    assert refused.status_code == 400
    assert "not a ZIP archive" in refused.json()["detail"]
    no_x = signed_in.post("/api/imports/x", json={"username": "Twitter"}, headers=headers)
    assert no_x.status_code == 400 and "X_BEARER_TOKEN" in no_x.json()["detail"]
    listed = signed_in.get("/api/imports").json()
    assert [(job["source"], job["status"]) for job in listed] == [
        ("archive", "failed"),
        ("paste", "succeeded"),
        ("archive", "succeeded"),
    ]
    assert signed_in.get("/api/openapi.json").json()["paths"]["/api/imports/archive"]["post"]


def test_connect_by_x_username(client_with: Any) -> None:
    client = client_with(x_bearer_token="test-token", x_api_base_url=BASE, x_api_max_pages=1)
    assert 'action="/import/x"' in client.get("/import").text
    token = csrf_for(client)
    with respx.mock(base_url=BASE) as x:
        x.get("/2/users/by/username/Twitter").respond(json=body("users_by_username_Twitter"))
        x.get(f"/2/users/{USER_ID}/tweets").respond(json=body("users_tweets_last_page_no_next_token"))
        x.get(f"/2/users/{USER_ID}/liked_tweets").respond(json=body("liked_tweets_page1_with_errors"))
        page = client.post("/import/x", data={"username": "@Twitter", "csrf_token": token})
        api = client.post("/api/imports/x", json={"username": "Twitter"}, headers={"x-csrf-token": token})
    assert page.status_code == 200
    assert "liked posts: stopped after 1 pages" in page.text
    assert api.status_code == 201
    assert sum(api.json()["counts"].values()) == 0  # the page import stored them already
    assert api.json()["notes"] == ["liked posts: stopped after 1 pages (X_API_MAX_PAGES); older ones not fetched"]
    first = client.get("/api/imports").json()[1]
    fetched = body("users_tweets_last_page_no_next_token")["data"] + body("liked_tweets_page1_with_errors")["data"]
    assert first["account_username"] == "Twitter"
    assert sum(first["counts"].values()) == len({tweet["id"] for tweet in fetched})


def test_a_rejected_x_token_is_shown(client_with: Any) -> None:
    client = client_with(x_bearer_token="wrong", x_api_base_url=BASE)
    with respx.mock(base_url=BASE) as x:
        x.get("/2/users/by/username/Twitter").respond(401, json=body("error_401_unauthorized"))
        response = client.post("/import/x", data={"username": "Twitter", "csrf_token": csrf_for(client)})
    assert response.status_code == 400
    assert "rejected the bearer token" in response.text
