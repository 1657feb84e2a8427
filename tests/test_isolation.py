"""Cross-user isolation over every route of the app.

Users A and B each have rows in every user-owned table. Signed in as B, the test calls
every route the app declares (enumerated from the app itself, so routes added later
are covered), every method, with A's ids in every path parameter, query parameter
and body field, as an HTML page, a JSON request and a form post. No response may show
any of A's strings, none may be a server error, and A's rows must be exactly as they
were before.
"""

from __future__ import annotations

import itertools
import re
import types
import typing
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from fastapi.testclient import TestClient
from pydantic import BaseModel
from sqlalchemy import delete

from app.db import session_scope
from app.models import User
from app.services.users import user_by_email, user_create
from tests.conftest import csrf_for, unique_email
from tests.user_data import Seeded, owned_snapshot, seed_user_data

A_PASSWORD = "a's own secret passphrase"
B_PASSWORD = "b's own secret passphrase"
WRONG_PASSWORD = "certainly-not-the-password"
# A's rows all get this primary key (the active run the next one), so any integer id
# parameter, whatever table it names, points at A's row.
A_ROW_ID = 1_500_000_000 + uuid.uuid4().int % 100_000_000
UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}


@dataclass
class RouteShape:
    """One method of one route, with the parameters it declares."""

    method: str
    path: str
    path_params: dict[str, Any] = field(default_factory=dict)  # name -> annotation
    query_params: dict[str, Any] = field(default_factory=dict)
    form_fields: dict[str, Any] = field(default_factory=dict)
    json_body: dict[str, Any] = field(default_factory=dict)  # field -> annotation, or {"": annotation} for non-models


def _dependants(dependant: Any) -> Iterator[Any]:
    yield dependant
    for sub in dependant.dependencies:
        yield from _dependants(sub)


def _shape(method: str, path: str, dependant: Any) -> RouteShape:
    shape = RouteShape(method, path)
    if dependant is None:
        return shape
    for dep in _dependants(dependant):
        for param in dep.path_params:
            shape.path_params[param.name] = param.field_info.annotation
        for param in dep.query_params:
            shape.query_params[param.name] = param.field_info.annotation
        for param in dep.body_params:
            annotation = param.field_info.annotation
            if type(param.field_info).__name__ in ("Form", "File"):
                shape.form_fields[param.name] = annotation
            elif isinstance(annotation, type) and issubclass(annotation, BaseModel):
                shape.json_body.update({n: f.annotation for n, f in annotation.model_fields.items()})
            else:
                shape.json_body[param.name] = annotation
    return shape


def route_shapes(app: Any) -> list[RouteShape]:
    """Every (method, route) of the app with its parameters, walking included routers too."""
    shapes: list[RouteShape] = []
    for route in app.routes:
        if hasattr(route, "effective_route_contexts"):
            for context in route.effective_route_contexts():
                shapes.extend(_shape(m, context.path, context.dependant) for m in sorted(context.methods or ()))
        elif getattr(route, "methods", None):
            shapes.extend(_shape(m, route.path, getattr(route, "dependant", None)) for m in sorted(route.methods))
    return shapes


def _base_type(annotation: Any) -> Any:
    """int for `int | None`, the Literal for `Literal[...] | None`, and so on."""
    if isinstance(annotation, types.UnionType) or typing.get_origin(annotation) is typing.Union:
        choices = [a for a in typing.get_args(annotation) if a is not type(None)]
        return _base_type(choices[0]) if choices else str
    if typing.get_origin(annotation) is typing.Annotated:
        return _base_type(typing.get_args(annotation)[0])
    return annotation


class Probe:
    """Values that point at A's data, for a parameter of a given name and type."""

    def __init__(self, a: Seeded) -> None:
        self.a = a

    def strings(self, name: str) -> list[str]:
        name = name.lower()
        if "password" in name:
            return [WRONG_PASSWORD]
        if "email" in name or "confirm" in name:
            return [self.a.email]
        if "channel" in name:
            return [self.a.channel]
        if "video" in name:
            return [self.a.video_id]
        if "tweet" in name:
            return [self.a.tweet_id]
        if name == "next":
            return ["/"]
        if "reason" in name:
            return ["off_topic"]
        return [str(A_ROW_ID), self.a.channel, self.a.tweet_id, self.a.video_id]

    def candidates(self, name: str, annotation: Any) -> list[Any]:
        kind = _base_type(annotation)
        origin = typing.get_origin(kind)
        if origin is typing.Literal:
            return [typing.get_args(kind)[0]]
        if kind is bool:
            return [True]
        if kind is int:
            return [-1] if "vote" in name.lower() else [A_ROW_ID, A_ROW_ID + 1]
        if kind is float:
            return [1.0]
        if origin in (list, set, tuple):
            inner = typing.get_args(kind)
            return [[self.one(name, inner[0] if inner else str)]]
        if origin is dict or kind is dict:
            return [{}]
        if isinstance(kind, type) and issubclass(kind, BaseModel):
            return [{n: self.one(n, f.annotation) for n, f in kind.model_fields.items()}]
        return list(self.strings(name))

    def one(self, name: str, annotation: Any) -> Any:
        return self.candidates(name, annotation)[0]


def _requests(shape: RouteShape, probe: Probe, csrf: str) -> Iterator[dict[str, Any]]:
    """Every request to try on a route: each combination of A's ids in the path, as page, JSON and form."""
    names = list(shape.path_params)
    choices = [probe.candidates(n, shape.path_params[n]) for n in names]
    for values in itertools.product(*choices):
        path = shape.path
        for name, value in zip(names, values, strict=True):
            path = re.sub(r"\{" + re.escape(name) + r"(:[^}]*)?\}", str(value), path)
        query = {n: probe.one(n, a) for n, a in shape.query_params.items()}
        yield {"method": shape.method, "url": path, "params": query, "headers": {"accept": "text/html"}}
        yield {"method": shape.method, "url": path, "headers": {"accept": "application/json"}}
        if shape.method in UNSAFE:
            body = {n: probe.one(n, a) for n, a in shape.json_body.items()}
            yield {
                "method": shape.method,
                "url": path,
                "params": query,
                "json": body,
                "headers": {"accept": "application/json", "x-csrf-token": csrf},
            }
            form = {n: str(probe.one(n, a)) for n, a in shape.form_fields.items() if _base_type(a) is not bytes}
            yield {
                "method": shape.method,
                "url": path,
                "params": query,
                "data": {**form, "csrf_token": csrf},
                "headers": {"accept": "text/html"},
            }
            yield {
                "method": shape.method,
                "url": path,
                "headers": {"accept": "text/html", "x-csrf-token": csrf, "hx-request": "true"},
            }


def _sign_in(client: TestClient, email: str) -> None:
    response = client.post(
        "/login",
        data={"email": email, "password": B_PASSWORD, "csrf_token": csrf_for(client)},
        follow_redirects=False,
    )
    assert response.status_code == 303, f"B could not sign in again: {response.status_code}"


def _check(client: TestClient, request: dict[str, Any], a: Seeded, b: Seeded) -> None:
    """One request as B: no server error, none of A's strings shown, and B still signed in as B."""
    response = client.request(follow_redirects=False, **request)
    where = f"{request['method']} {request['url']} {request.get('headers')}"
    assert response.status_code < 500, f"{where}: {response.status_code}"
    sent = repr(request)
    shown = response.text + repr(dict(response.headers))
    leaked = [s for s in a.secrets if s not in sent and s in shown]
    assert not leaked, f"{where} showed A's data: {leaked}"
    me = client.get("/api/me")
    if me.status_code == 401:  # B signed out (logout, sign out everywhere): sign in again
        _sign_in(client, b.email)
        me = client.get("/api/me")
    assert me.json()["email"] == b.email, f"{where} changed who the client is"


def _seed_users() -> tuple[Seeded, Seeded]:
    with session_scope() as db:
        a_user = user_create(db, email=unique_email("alice"), password=A_PASSWORD)
        b_user = user_create(db, email=unique_email("bob"), password=B_PASSWORD)
        a = seed_user_data(db, a_user, row_id=A_ROW_ID)
        b = seed_user_data(db, b_user)
    return a, b


def test_user_b_can_neither_see_nor_change_user_a_data(app) -> None:  # type: ignore[no-untyped-def]
    a, b = _seed_users()
    try:
        with session_scope() as db:
            before = owned_snapshot(db, a.user_id)
        shapes = [s for s in route_shapes(app) if not s.path.startswith("/static")]
        assert len(shapes) > 20
        with_ids = [s for s in shapes if s.path_params]
        assert any("/runs/{" in s.path for s in with_ids), "the run routes are missing from the sweep"

        probe = Probe(a)
        tried = 0
        with TestClient(app) as client:
            client.get("/login")
            _sign_in(client, b.email)
            assert a.secrets[0] not in client.get("/api/me").text
            # Twice over the reading routes: what B's writes may have pulled into B's own pages shows then.
            safe = [s for s in shapes if s.method not in UNSAFE]
            for shape in [*shapes, *safe]:
                for request in _requests(shape, probe, csrf_for(client)):
                    _check(client, request, a, b)
                    tried += 1
        assert tried > 100
        with session_scope() as db:
            after = owned_snapshot(db, a.user_id)
        changed = {table for table in before if before[table] != after.get(table)}
        assert not changed, f"B changed A's rows in {changed}"
    finally:
        with session_scope() as db:
            for email in (a.email, b.email):
                user = user_by_email(db, email=email)
                if user is not None:
                    db.execute(delete(User).where(User.id == user.id))
