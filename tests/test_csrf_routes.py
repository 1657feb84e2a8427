"""CSRF on every state-changing route, enumerated from the app itself.

A route added later without protection makes this test fail, because the check lives in
middleware that sees every request before routing.
"""

from __future__ import annotations

import re

from tests.conftest import unique_email
from tests.routes import app_routes

UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}


def unsafe_routes(app) -> list[tuple[str, str]]:  # type: ignore[no-untyped-def]
    return [(method, re.sub(r"\{[^}]+\}", "1", path)) for method, path in app_routes(app) if method in UNSAFE]


def test_there_are_state_changing_routes_to_check(app):
    paths = {path for _, path in unsafe_routes(app)}
    assert {"/signup", "/login", "/logout", "/api/tokens"} <= paths


def test_every_state_changing_route_refuses_a_request_without_token(signed_in, app):
    for method, path in unsafe_routes(app):
        for kwargs in ({"data": {"email": unique_email()}}, {"json": {}}, {}):
            response = signed_in.request(method, path, **kwargs)
            assert response.status_code == 403, (method, path, kwargs, response.status_code)


def test_every_state_changing_route_refuses_a_forged_token(signed_in, app):
    for method, path in unsafe_routes(app):
        response = signed_in.request(method, path, headers={"x-csrf-token": "0" * 64})
        assert response.status_code == 403, (method, path)
