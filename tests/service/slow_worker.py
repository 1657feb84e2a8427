"""The worker app of the fault tests: the real one, with a slow transcript provider and an engine that can crash.

Started as `celery -A tests.service.slow_worker:celery_app worker`. Each catalog
transcript fetch (the provider edge) waits OPENREC_TEST_TRANSCRIPT_DELAY_S, so a run
lasts long enough to be interrupted in a known stage; a user whose posts contain
CRASH_MARKER makes the local engine raise while inferring interests.
"""

from __future__ import annotations

import os
import time
from collections.abc import Sequence

from app.llm.local import LocalEngine
from app.schemas import Engagement, Interest, Preferences, TranscriptData
from app.sources.catalog import CatalogSource
from worker.celery_app import celery_app

CRASH_MARKER = "crash-the-interests-stage"
CRASH_MESSAGE = "the interests model crashed"

_delay_s = float(os.environ.get("OPENREC_TEST_TRANSCRIPT_DELAY_S", "0"))
_fetch = CatalogSource.fetch
_infer_interests = LocalEngine.infer_interests


def _slow_fetch(self: CatalogSource, video_id: str) -> TranscriptData:
    time.sleep(_delay_s)
    return _fetch(self, video_id)


def _infer_or_crash(self: LocalEngine, engagement: Sequence[Engagement], prefs: Preferences) -> list[Interest]:
    if any(CRASH_MARKER in item.text for item in engagement):
        raise RuntimeError(CRASH_MESSAGE)
    return _infer_interests(self, engagement, prefs)


CatalogSource.fetch = _slow_fetch  # type: ignore[method-assign]
LocalEngine.infer_interests = _infer_or_crash  # type: ignore[method-assign]

__all__ = ["CRASH_MARKER", "CRASH_MESSAGE", "celery_app"]
