"""Scheduled refresh: which users are due a run (daily or weekly, at their hour of day, UTC) and starting them.

The rule matches what the feed page announces (`app.services.feed.next_refresh_at`):
a daily schedule runs at each occurrence of the user's hour; a weekly one at the first
occurrence at least seven calendar days after the last scheduled run; a schedule
that has never run starts at the first occurrence after it was turned on.
`last_scheduled_at` holds the slot a user was last scheduled for (a whole hour), not
the moment of the check, so slots never drift, and a scheduler that was down for a
while starts one run on its return, not one per missed slot. Users with nothing
imported are never due: their run could only fail.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import exists, or_, select
from sqlalchemy.orm import Session

from app.models import Tweet, User
from app.services.runs import run_create

SCHEDULES = ("daily", "weekly")
WEEK_DAYS = 7
CHECK_EVERY = timedelta(minutes=5)  # how often the scheduler looks (Celery beat)
FIRST_RUN_WINDOW = 2 * CHECK_EVERY  # a never-run schedule starts when a check comes this soon after its hour


@dataclass(frozen=True)
class DueUser:
    user: User
    slot: datetime


def refresh_slot(now: datetime, hour: int) -> datetime:
    """The latest moment at or before `now` that is `hour` o'clock UTC."""
    now = now.astimezone(UTC)
    slot = now.replace(hour=hour, minute=0, second=0, microsecond=0)
    return slot if slot <= now else slot - timedelta(days=1)


def refresh_due_slot(user: User, *, now: datetime) -> datetime | None:
    """The slot the user is due a refresh for now, or None."""
    if user.refresh_schedule not in SCHEDULES:
        return None
    slot = refresh_slot(now, user.refresh_hour)
    last = user.last_scheduled_at
    if last is None:
        return slot if now - slot < FIRST_RUN_WINDOW else None
    if slot <= last:
        return None
    if user.refresh_schedule == "weekly" and slot.date() < (last + timedelta(days=WEEK_DAYS)).date():
        return None
    return slot


def users_due_refresh(session: Session, *, now: datetime) -> list[DueUser]:
    """Users whose schedule has a slot due now, oldest account first."""
    candidates = session.scalars(
        select(User)
        .where(
            User.refresh_schedule.in_(SCHEDULES),
            # slots are whole hours: anyone scheduled within the last hour is not due
            or_(User.last_scheduled_at.is_(None), User.last_scheduled_at <= now - timedelta(hours=1)),
            exists().where(Tweet.user_id == User.id),
        )
        .order_by(User.id)
    )
    due = []
    for user in candidates:
        slot = refresh_due_slot(user, now=now)
        if slot is not None:
            due.append(DueUser(user, slot))
    return due


def refresh_start_due(session: Session, *, now: datetime) -> list[int]:
    """Start a scheduled run for every user due one and mark their slot; returns the new runs to dispatch.

    A user whose run is still active gets no second run, but the slot is marked all the same.
    """
    started = []
    for due in users_due_refresh(session, now=now):
        run, created = run_create(session, user=due.user, trigger="schedule")
        due.user.last_scheduled_at = due.slot
        if created:
            started.append(run.id)
    session.flush()
    return started
