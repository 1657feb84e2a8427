"""With a model configured, the feed shows the explanations the model wrote, as text.

A run of the real runner, its LLM stages answered by the scripted OpenAI-compatible
server on loopback, writes into the live server's database; the browser then reads the
feed. Half of the model's explanations carry characters a page must escape (which the
checks allow), the other half markup and scripts (which the checks refuse, so the local
writer explains those clips): every card shows exactly the stored text and nothing runs.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from playwright.sync_api import expect
from sqlalchemy import select
from sqlalchemy.orm import sessionmaker

from app.config import Settings
from app.models import Recommendation
from app.pipeline.runner import execute_run
from app.services.imports import import_archive
from app.services.runs import run_create
from app.services.users import user_create
from tests.conftest import PASSWORD, unique_email
from tests.e2e.conftest import CATALOG, Browsing, LiveServer, scroll_to_feed_end, sign_in
from tests.eval_harness import labels
from tests.fake_openai_server import ChatRequest, Reply, run_fake_openai, structured
from tests.llm_pipeline import DEV_SET, LIMITS, Oracle

pytestmark = pytest.mark.e2e

TRICKY = "a < b && c > d, as &lt;b&gt; reads"  # allowed in plain text; a page that does not escape breaks it
MARKUP = "<img src=x onerror=alert(1)><script>alert(2)</script>"


def spoiled(persona: str) -> Any:
    """The oracle, with every explanation carrying characters to escape, and every other one markup."""
    oracle = Oracle(persona)

    def answer(request: ChatRequest) -> Reply:
        body = json.loads(oracle(request).body["choices"][0]["message"]["content"])
        for i, item in enumerate(body.get("ranked", []) + body.get("explanations", [])):
            item["text"] = f"{MARKUP} {item['text']}" if i % 2 else f"{item['text'][:-1]}: {TRICKY}."
        return structured(body)

    return answer


def test_the_feed_shows_the_models_explanations_escaped_and_nothing_runs(live_server: LiveServer, browse: Any) -> None:
    spec = labels(DEV_SET)["personas"]["lena"]
    email = unique_email("model")
    sessions = sessionmaker(bind=live_server.engine, expire_on_commit=False)
    with run_fake_openai() as fake:
        fake.answer(spoiled("lena"))
        settings = Settings(
            openai_api_key="sk-test",
            openai_base_url=fake.base_url,
            openrec_llm_max_retries=0,
            openrec_video_source="catalog",
            openrec_catalog=str(CATALOG),
        )
        with sessions.begin() as db:
            user = user_create(db, email=email, password=PASSWORD)
            data = (DEV_SET / spec["archive"]).read_bytes()
            import_archive(db, user=user, data=data, filename=spec["archive"], limits=LIMITS)
            run_id = run_create(db, user=user)[0].id
        execute_run(run_id, settings=settings, sessions=sessions)
    with sessions() as db:
        stored = [r.explanation for r in db.scalars(select(Recommendation).where(Recommendation.run_id == run_id))]
    by_model = [text for text in stored if TRICKY in text]
    assert by_model and len(by_model) < len(stored)  # the model's, and the local writer's for the refused ones
    assert not any("<img" in text or "<script" in text for text in stored)

    b: Browsing = browse()
    opened: list[str] = []
    b.page.on("dialog", lambda dialog: (opened.append(dialog.message), dialog.dismiss()))
    sign_in(b.page, live_server.base_url, email)
    cards = b.page.locator("article.clip .clip-why")
    expect(cards.first).to_be_visible()
    scroll_to_feed_end(b.page)
    expect(cards).to_have_count(len(stored))

    shown = cards.all_inner_texts()
    # The model's explanations exactly as stored, character for character (a quote the text holds is only
    # highlighted in place, with the time it is spoken, so the local writer's differ by that time alone).
    assert sorted(text for text in shown if TRICKY in text) == sorted(by_model)
    assert len(shown) == len(stored)
    # No element came out of any text: the only ones are the quote highlight and its time link.
    assert b.page.locator("article.clip .clip-why *:not(q.clip-quote-inline):not(a.clip-quote-time)").count() == 0
    assert opened == []
