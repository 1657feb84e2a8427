"""With no route to YouTube, runs search the bundled sample catalog and say so."""

from __future__ import annotations

from io import BytesIO

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from app.demo import SAMPLE_ARCHIVE, SAMPLE_CATALOG
from app.models import PipelineRun, Recommendation, User
from app.pipeline.runner import execute_run
from app.schemas import Candidate, TranscriptData
from app.services.imports import import_archive
from app.services.runs import run_create
from app.sources import providers
from app.sources.base import SourceError, SourceUnreachable, TranscriptUnavailable
from app.sources.catalog import CatalogSource
from app.sources.offline import OFFLINE_NOTE, OfflineFallback
from tests.conftest import csrf_for


class Unreachable:
    """A video and transcript source whose every request fails as with no network (or, with `failure`, is refused)."""

    name = "ytdlp"

    def __init__(self, succeed_first: int = 0, failure: SourceError | None = None) -> None:
        self.searches = 0
        self.succeed_first = succeed_first
        self.failure = failure or SourceUnreachable("YouTube could not be reached: this server could not look it up")

    def search(self, query: str, limit: int) -> list[Candidate]:
        self.searches += 1
        if self.searches <= self.succeed_first:
            return [Candidate(video_id="abcdefghijk", title=query)]
        raise self.failure

    def fetch(self, video_id: str) -> TranscriptData:
        raise TranscriptUnavailable(video_id, "could not reach YouTube")


@pytest.fixture
def sample() -> CatalogSource:
    return CatalogSource.from_path(SAMPLE_CATALOG)


def test_a_search_with_no_answer_is_asked_again_then_answered_from_the_catalog(sample: CatalogSource) -> None:
    primary = Unreachable()
    source = OfflineFallback(primary, primary, sample, patience=2)
    results = source.search("sourdough starter", 5)  # the query that finds YouTube out of reach is not lost
    assert source.offline and results
    assert primary.searches == 2
    assert all(r.video_id in sample for r in results)
    assert source.fetch(results[0].video_id).segments
    source.search("exoplanets transit", 5)
    assert primary.searches == 2  # once offline, YouTube is not asked again


def test_refusals_switch_to_the_catalog_after_consecutive_queries(sample: CatalogSource) -> None:
    primary = Unreachable(failure=SourceError("YouTube refused the search (HTTP 403)"))
    source = OfflineFallback(primary, primary, sample, patience=2)
    with pytest.raises(SourceError, match="HTTP 403"):
        source.search("sourdough starter", 5)
    assert not source.offline and primary.searches == 1  # an answer, though a refusal: not asked again at once
    assert source.search("sourdough starter", 5)
    assert source.offline and primary.searches == 2


def test_never_switches_once_youtube_answered(sample: CatalogSource) -> None:
    primary = Unreachable(succeed_first=1)
    source = OfflineFallback(primary, primary, sample, patience=2)
    assert source.search("anything", 5)[0].video_id == "abcdefghijk"
    for _ in range(4):
        with pytest.raises(SourceError):
            source.search("sourdough starter", 5)
    assert not source.offline
    with pytest.raises(TranscriptUnavailable):
        source.fetch("abcdefghijk")


def test_an_offline_run_on_the_sample_archive_gives_a_feed_and_says_why(
    session: Session, user: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    unreachable = Unreachable()
    monkeypatch.setattr(providers, "get_video_source", lambda settings: unreachable)
    monkeypatch.setattr(providers, "get_transcript_source", lambda settings: unreachable)
    import_archive(session, user=user, data=BytesIO(SAMPLE_ARCHIVE.read_bytes()), filename=SAMPLE_ARCHIVE.name)
    run, _ = run_create(session, user=user, trigger="manual")
    session.flush()
    sessions = sessionmaker(bind=session.connection(), join_transaction_mode="create_savepoint")
    execute_run(run.id, sessions=sessions)
    session.expire_all()
    finished = session.get(PipelineRun, run.id)
    assert finished is not None and finished.status == "succeeded", finished and finished.error
    assert OFFLINE_NOTE in [e["message"] for e in finished.log if e["kind"] == "note"]
    assert not [e for e in finished.log if e["kind"] == "skipped" and e["item"].startswith("query")]  # none lost
    clips = session.scalars(select(Recommendation).where(Recommendation.run_id == run.id)).all()
    assert clips and all(c.video_id in CatalogSource.from_path(SAMPLE_CATALOG) for c in clips)


def test_the_import_page_offers_the_sample_archive(signed_in) -> None:  # type: ignore[no-untyped-def]
    page = signed_in.get("/import")
    assert 'action="/import/sample"' in page.text
    response = signed_in.post("/import/sample", data={"csrf_token": csrf_for(signed_in)}, follow_redirects=False)
    assert response.status_code == 303
    stored = signed_in.get(response.headers["location"])
    assert "sample_archive.zip" in stored.text
