"""Which engine does a run's LLM stages, and what the runner may ask of an engine beyond the Protocol."""

from __future__ import annotations

from typing import Protocol, runtime_checkable

from sqlalchemy.orm import Session, sessionmaker

from app.config import Settings
from app.llm.base import LLM, CallRecorder
from app.llm.local import InstructionPlan, LocalEngine
from app.schemas import Preferences


@runtime_checkable
class PlansInstructions(Protocol):
    """An engine that reads custom instructions itself and can say which it applies (the local engine)."""

    def plan(self, prefs: Preferences) -> InstructionPlan: ...


@runtime_checkable
class KeepsNotes(Protocol):
    """An engine that leaves notes for the run log (budget reached, model unavailable)."""

    notes: list[str]


def build_llm(settings: Settings, *, recorder: CallRecorder, sessions: sessionmaker[Session]) -> LLM:
    """The local engine when no LLM endpoint is configured, else the model with the local engine behind it."""
    if not settings.llm_configured:
        return LocalEngine()
    from app.llm.cache import LLMCache
    from app.llm.engine import OpenAIEngine
    from app.llm.openai_client import ChatClient

    return OpenAIEngine(
        client=ChatClient.from_settings(settings),
        local=LocalEngine(),
        settings=settings,
        recorder=recorder,
        cache=LLMCache(sessions),
    )
