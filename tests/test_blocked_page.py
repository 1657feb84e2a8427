"""The run page of a run on a server YouTube blocks says so once, above the per-video reasons."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from fastapi.testclient import TestClient
from markupsafe import escape

from app.db import session_scope
from app.models import PipelineRun
from app.services.users import user_by_email
from app.sources.base import BLOCKED_NOTE
from app.sources.transcripts import BLOCKED_REASON
from tests.conftest import signup


def test_the_run_page_says_once_that_youtube_blocks_this_server(client: TestClient) -> None:
    email = signup(client)
    reason = f"no transcript: {BLOCKED_REASON}"
    skipped = [{"kind": "skipped", "stage": "transcripts", "item": f"v{n}", "message": reason} for n in range(5)]
    note = {"kind": "note", "stage": "transcripts", "item": "", "message": BLOCKED_NOTE}
    with session_scope() as db:
        user = user_by_email(db, email=email)
        assert user is not None
        run = PipelineRun(
            user_id=user.id,
            status="succeeded",
            created_at=datetime.now(UTC) - timedelta(minutes=2),
            log=[*skipped[:2], note, *skipped[2:]],
        )
        db.add(run)
        db.flush()
        run_id = run.id

    page = client.get(f"/runs/{run_id}").text

    assert page.count(str(escape(BLOCKED_NOTE))) == 1  # escaped as the templates escape
    assert "OPENREC_PROXY_URL" in page
