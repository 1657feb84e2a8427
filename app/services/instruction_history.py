"""Changing the custom instructions, and the earlier ones, for the settings page's history and "restore"."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.models import CustomInstruction, User
from app.services.preferences import instructions_get, instructions_set
from app.services.withdrawals import Withdrawal, withdraw_excluded


def instructions_history(session: Session, *, user: User, limit: int = 20) -> list[CustomInstruction]:
    """The user's instructions, newest (the one in force) first."""
    return list(
        session.scalars(
            select(CustomInstruction)
            .where(CustomInstruction.user_id == user.id)
            .order_by(CustomInstruction.created_at.desc(), CustomInstruction.id.desc())
            .limit(limit)
        )
    )


def instruction_get(session: Session, *, user: User, instruction_id: int) -> CustomInstruction | None:
    """One of the user's earlier instructions (None for another user's)."""
    return session.scalar(
        select(CustomInstruction).where(CustomInstruction.id == instruction_id, CustomInstruction.user_id == user.id)
    )


def instructions_update(session: Session, *, user: User, text: str) -> Withdrawal | None:
    """Put `text` in force unless it already is (no duplicate history lines; None), and apply its exclusions to
    the clips already in the feed: what they took out of it and put back.

    Raises preferences.InstructionsTooLong.
    """
    if text.strip() == instructions_get(session, user=user):
        return None
    instructions_set(session, user=user, text=text)
    return withdraw_excluded(session, user=user)
