"""Schemathesis against the app's own OpenAPI schema, signed in, every operation, then stateful sequences.

Every response must be a non-server error, match the status codes, media types and bodies
the schema documents, and never carry data of another user: a second user is seeded
with a unique marker in every row they own (posts, imports, instructions, hidden channels,
tokens, runs and their logs, interests, model calls, recommendations, feedback) and no
response may contain one. Runs started by the fuzzer execute in the background against
the offline catalog. Generation is bounded and derandomized, so CI replays the same cases;
the number of cases per operation is printed when the module ends.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
import schemathesis
from fastapi import FastAPI
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_schema_conformance,
    status_code_conformance,
)
from sqlalchemy import delete, select, update

from app.config import get_settings
from app.db import session_scope
from app.main import create_app
from app.models import ACTIVE_RUN_STATUSES, ApiToken, PipelineRun, User
from app.security import CSRF_COOKIE, SESSION_COOKIE
from app.services.runs import run_cancel
from app.services.users import user_by_email, user_create
from tests.conftest import PASSWORD, SHARED, csrf_for, reset_caches, signup, unique_email
from tests.fuzz_report import write_report
from tests.user_data import Seeded, seed_user_data

CATALOG = SHARED / "eval" / "dev" / "catalog.json"
EXAMPLES_PER_OPERATION = 25
CASES: Counter[str] = Counter()
OUTCOMES: Counter[str] = Counter()
FUZZ_SETTINGS = settings(
    max_examples=EXAMPLES_PER_OPERATION,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=list(HealthCheck),
)


@dataclass(frozen=True)
class Visitor:
    """The signed-in fuzzing user (session cookie and CSRF header) and the other user's secrets."""

    app: FastAPI
    user_id: int
    headers: dict[str, str]
    other: Seeded

    def call_kwargs(self) -> dict[str, Any]:
        return {"app": self.app, "headers": self.headers}

    def leaks(self, text: str) -> list[str]:
        return [secret for secret in self.other.secrets if secret in text]


@pytest.fixture(scope="module")
def fuzz_app() -> Iterator[FastAPI]:
    """The app with runs reading the offline catalog, so a run the fuzzer starts never leaves the machine."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("OPENREC_VIDEO_SOURCE", "catalog")
        patch.setenv("OPENREC_CATALOG", str(CATALOG))
        reset_caches()
        yield create_app(get_settings())
    reset_caches()


def _wait_for_runs_to_end(user_id: int, timeout_s: float = 60.0) -> None:
    """Background runs read the settings when they start: let them finish before the environment changes back."""
    deadline = time.monotonic() + timeout_s
    active_runs = select(PipelineRun.id).where(
        PipelineRun.user_id == user_id, PipelineRun.status.in_(ACTIVE_RUN_STATUSES)
    )
    while time.monotonic() < deadline:
        with session_scope() as db:
            if db.scalar(active_runs.limit(1)) is None:
                return
        time.sleep(0.2)
    raise AssertionError("a run started by the fuzzer did not end within a minute")


def _stop_runs(user_id: int) -> None:
    with session_scope() as db:
        user = db.get(User, user_id)
        assert user is not None
        active = select(PipelineRun.id).where(
            PipelineRun.user_id == user_id, PipelineRun.status.in_(ACTIVE_RUN_STATUSES)
        )
        for run_id in db.scalars(active).all():
            run_cancel(db, user=user, run_id=run_id)
    _wait_for_runs_to_end(user_id)


def _revoke_tokens(user_id: int) -> None:
    with session_scope() as db:
        db.execute(delete(ApiToken).where(ApiToken.user_id == user_id))


@pytest.fixture(scope="module")
def visitor(fuzz_app: FastAPI) -> Iterator[Visitor]:
    """The fuzzing user has data of their own to find; the other user's rows are full of markers."""
    with TestClient(fuzz_app) as client:
        client.get("/login")
        email = signup(client)
        headers = {
            "cookie": f"{SESSION_COOKIE}={client.cookies[SESSION_COOKIE]}; {CSRF_COOKIE}={client.cookies[CSRF_COOKIE]}",
            "x-csrf-token": csrf_for(client),
        }
    with session_scope() as db:
        own = user_by_email(db, email=email)
        assert own is not None
        seed_user_data(db, own)
        # The seed leaves a run "running" that no worker holds: end it so the fuzzer can start real ones.
        db.execute(update(PipelineRun).where(PipelineRun.user_id == own.id).values(status="cancelled"))
        other = seed_user_data(db, user_create(db, email=unique_email("other"), password=PASSWORD))
        own_id = own.id
    yield Visitor(app=fuzz_app, user_id=own_id, headers=headers, other=other)
    _wait_for_runs_to_end(own_id)


@pytest.fixture(scope="module", autouse=True)
def _report_cases(request: pytest.FixtureRequest) -> Iterator[None]:
    yield
    write_report(request.config, "API fuzzing", CASES, OUTCOMES)


def no_data_of_another_user(visitor: Visitor) -> Any:
    """A schemathesis check: the response shows none of the other user's markers."""

    def check(ctx: Any, response: Any, case: Any) -> bool:
        shown = response.text + repr(dict(response.headers))
        leaked = visitor.leaks(shown)
        assert not leaked, f"{case.method} {case.formatted_path} showed another user's data: {leaked}"
        return True

    return check


def checks_for(visitor: Visitor) -> list[Any]:
    return [
        not_a_server_error,
        status_code_conformance,
        content_type_conformance,
        response_schema_conformance,
        negative_data_rejection,
        no_data_of_another_user(visitor),
    ]


# The schema is read once, at collection, from an app like the one under test; cases are sent to
# the module's app (`visitor.app`), whose runs read the catalog.
schema = schemathesis.openapi.from_asgi("/api/openapi.json", create_app(get_settings()))


@schema.parametrize()
@FUZZ_SETTINGS
def test_every_operation(case: schemathesis.Case, visitor: Visitor) -> None:
    documented = case.method.upper() == case.operation.method.upper()
    CASES[f"{case.operation.method.upper()} {case.path}" if documented else "methods a path does not serve"] += 1
    response = case.call_and_validate(checks=checks_for(visitor), **visitor.call_kwargs())
    OUTCOMES[f"status {response.status_code // 100}xx"] += 1


def test_stateful_sequences(visitor: Visitor) -> None:
    """Operations chained by the links schemathesis infers (a created token is revoked, a run is read...)."""
    checks = checks_for(visitor)

    class Workflow(schema.as_state_machine()):  # type: ignore[misc]
        def get_call_kwargs(self, case: schemathesis.Case) -> dict[str, Any]:
            return visitor.call_kwargs()

        # Hypothesis replays a sequence and must see the same answers: no run may still be going when a
        # sequence or the step after a start begins (it would turn a 201 into a 200), so runs are stopped.
        def setup(self) -> None:
            _stop_runs(visitor.user_id)
            _revoke_tokens(visitor.user_id)  # token listings must start alike in every sequence

        def after_call(self, response: Any, case: schemathesis.Case) -> None:
            super().after_call(response, case)
            if case.method.upper() == "POST" and case.path == "/api/runs" and response.status_code < 300:
                _stop_runs(visitor.user_id)

        def validate_response(self, response: Any, case: schemathesis.Case, **kwargs: Any) -> None:
            CASES["stateful steps"] += 1
            case.validate_response(response, checks=checks, headers=visitor.headers)

    Workflow.run(
        settings=settings(
            max_examples=40,
            stateful_step_count=8,
            deadline=None,
            derandomize=True,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
    )
    assert CASES["stateful steps"] > 40


def test_text_with_nul_characters_is_stored_without_them(visitor: Visitor) -> None:
    """PostgreSQL refuses NUL in text and JSON: it is dropped on the way in, on every backend, never a 500."""
    with TestClient(visitor.app) as client:
        sent = {"headers": visitor.headers}
        assert client.post("/api/hidden-channels", json={"channel": "nul\u0000channel"}, **sent).status_code == 201
        assert {"channel": "nulchannel"} in client.get("/api/hidden-channels", **sent).json()
        put = client.put("/api/settings", json={"instructions": "no\u0000 crypto"}, **sent)
        assert put.status_code == 200 and put.json()["instructions"] == "no crypto"
        pasted = client.post("/api/imports/paste", json={"text": "a note\u0000 about rennet curds"}, **sent)
        assert pasted.status_code == 201, pasted.text
        token = client.post("/api/tokens", json={"name": "\u0000named"}, **sent)
        assert token.status_code == 201 and any(t["name"] == "named" for t in client.get("/api/tokens", **sent).json())
