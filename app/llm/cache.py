"""Replies to identical requests, kept in the database so that re-runs cost nothing.

The key is the sha256 of the prompt version, the model, the stage and the exact messages
and schema sent, so any change to a prompt, a model or an input is a different key. Only
replies that passed validation are stored. Model calls happen outside the run's database
transaction, so each lookup and store uses a short session of its own.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.models import LLMCacheEntry


def cache_key(*, stage: str, model: str, prompt_version: str, payload: Any) -> str:
    canonical = json.dumps(
        {"stage": stage, "model": model, "prompt_version": prompt_version, "payload": payload},
        sort_keys=True,
        ensure_ascii=False,
        separators=(",", ":"),
    )
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


class LLMCache:
    def __init__(self, session_factory: Callable[[], Session]) -> None:
        self._session_factory = session_factory

    def get(self, key: str) -> Any | None:
        with self._session_factory() as session:
            entry = session.get(LLMCacheEntry, key)
            return None if entry is None else entry.response

    def put(self, key: str, *, stage: str, model: str, response: Any) -> None:
        """Store a reply; a concurrent store of the same key is the same reply, so losing the race is fine."""
        with self._session_factory() as session:
            session.add(LLMCacheEntry(key=key, stage=stage, model=model, response=response))
            try:
                session.commit()
            except IntegrityError:
                session.rollback()
