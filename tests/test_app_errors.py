"""Unknown routes, wrong methods and malformed input get 4xx pages or JSON, never a 500."""

from __future__ import annotations

import sqlite3

import psycopg
import pytest
from fastapi.testclient import TestClient
from sqlalchemy.exc import DBAPIError

from app.db import database_answers, make_engine
from tests.conftest import csrf_for


def test_unknown_page_is_an_html_404(client):
    response = client.get("/no-such-page")
    assert response.status_code == 404
    assert "text/html" in response.headers["content-type"]
    assert "Not found" in response.text
    assert "There is no page at this address" in response.text and "Not Found" not in response.text


def test_an_unknown_page_shows_the_menu_of_who_is_signed_in(app, signed_in):
    page = signed_in.get("/no-such-page").text
    assert "Sign out" in page and 'href="/login"' not in page and "Back to your feed" in page
    with TestClient(app) as visitor:
        page = visitor.get("/no-such-page").text
    assert 'href="/login"' in page and "Sign out" not in page and "Back to the start page" in page


def test_unknown_api_route_is_a_json_404(client):
    response = client.get("/api/no-such-thing")
    assert response.status_code == 404
    assert response.json()["detail"]


def test_wrong_method_is_405(client):
    response = client.put("/login", headers={"x-csrf-token": csrf_for(client)})
    assert response.status_code == 405


def test_api_without_credentials_is_401(client):
    response = client.get("/api/me")
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"


def test_malformed_json_body_is_422(signed_in):
    response = signed_in.post(
        "/api/tokens",
        content=b"{not json",
        headers={"content-type": "application/json", "x-csrf-token": csrf_for(signed_in)},
    )
    assert response.status_code == 422


def test_healthz_reports_database(client):
    assert client.get("/healthz").json() == {"status": "ok"}


@pytest.mark.parametrize(
    "url", ["postgresql+psycopg://postgres@127.0.0.1:9/nothing", "sqlite:////nonexistent-dir/openrec.sqlite3"]
)
def test_a_database_that_does_not_answer_is_reported(url):
    engine = make_engine(url)
    try:
        with pytest.raises((DBAPIError, sqlite3.Error, psycopg.Error)):  # the driver's own, raised by the pool
            database_answers(engine)
    finally:
        engine.dispose()


def test_security_headers_on_every_page(client):
    for path in ("/login", "/healthz", "/no-such-page"):
        headers = client.get(path).headers
        csp = headers["content-security-policy"]
        assert "script-src 'self'" in csp
        assert "frame-src https://www.youtube-nocookie.com" in csp
        assert "frame-ancestors 'none'" in csp
        assert "unsafe-inline" not in csp
        assert headers["x-content-type-options"] == "nosniff"
        assert headers["referrer-policy"]


def test_openapi_schema_is_served(client):
    schema = client.get("/api/openapi.json").json()
    assert "/api/me" in schema["paths"]
