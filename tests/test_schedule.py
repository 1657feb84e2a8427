"""Scheduled refresh: slots, who is due, and starting their runs (no worker needed)."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.models import PipelineRun, User
from app.services.feed import next_refresh_at
from app.services.runs import run_create, run_finish
from app.services.schedule import (
    CHECK_EVERY,
    FIRST_RUN_WINDOW,
    refresh_due_slot,
    refresh_slot,
    refresh_start_due,
    users_due_refresh,
)
from tests.fakes import add_tweets


def at(hour: int, minute: int = 0, *, days_ago: int = 0) -> datetime:
    """A time on Wednesday 2026-11-25 (or that many days before), UTC."""
    return datetime(2026, 11, 25, hour, minute, tzinfo=UTC) - timedelta(days=days_ago)


NOW = at(10, 30)


def scheduled(
    make_user: Callable[..., User], session: Session, schedule: str, hour: int, *, tweets: bool = True
) -> User:
    user = make_user()
    user.refresh_schedule = schedule
    user.refresh_hour = hour
    if tweets:
        add_tweets(session, user, ["a post about knitting cables"])
    session.flush()
    return user


@pytest.mark.parametrize(
    ("now", "hour", "slot"),
    [
        (NOW, 6, at(6)),
        (NOW, 10, at(10)),
        (NOW, 11, at(11, days_ago=1)),
        (at(0), 0, at(0)),
        (at(0), 23, at(23, days_ago=1)),
        (NOW.astimezone(timezone(timedelta(hours=-8))), 6, at(6)),  # any offset: slots are UTC
    ],
)
def test_the_slot_is_the_latest_time_of_day_at_or_before_now(now: datetime, hour: int, slot: datetime) -> None:
    assert refresh_slot(now, hour) == slot


@pytest.mark.parametrize(
    ("schedule", "hour", "last", "now", "due"),
    [
        ("off", 6, None, at(6, 2), None),
        ("daily", 6, None, at(6, 2), at(6)),  # turned on before six: the first run comes at six
        ("daily", 6, None, NOW, None),  # turned on after six: the first run comes tomorrow at six
        ("daily", 6, at(6), NOW, None),
        ("daily", 6, at(6, days_ago=1), NOW, at(6)),
        ("daily", 6, at(6, days_ago=3), NOW, at(6)),  # the scheduler was down: one run, not three
        ("daily", 10, at(6), NOW, at(10)),  # the hour moved later today: as the feed page announces
        ("weekly", 6, None, at(6, 2), at(6)),
        ("weekly", 6, at(6, days_ago=6), NOW, None),
        ("weekly", 6, at(6, days_ago=7), NOW, at(6)),
        ("weekly", 6, at(9, days_ago=7), NOW, at(6)),  # seven calendar days, whatever the hour was
    ],
)
def test_who_is_due(schedule: str, hour: int, last: datetime | None, now: datetime, due: datetime | None) -> None:
    user = User(refresh_schedule=schedule, refresh_hour=hour, last_scheduled_at=last)
    assert refresh_due_slot(user, now=now) == due


@settings(max_examples=30)
@given(
    hour=st.integers(0, 23),
    schedule=st.sampled_from(["daily", "weekly"]),
    start=st.datetimes(datetime(2026, 1, 1), datetime(2026, 12, 31)).map(lambda d: d.replace(tzinfo=UTC)),
)
def test_checks_every_five_minutes_start_one_run_per_period_when_the_feed_page_says(
    hour: int, schedule: str, start: datetime
) -> None:
    """Three weeks of checks: every run starts at the time the feed page announced, one per day or week."""
    user = User(refresh_schedule=schedule, refresh_hour=hour)
    starts = []
    announced = next_refresh_at(user, now=start)
    end = start + timedelta(days=21)
    now = start
    while now < end:
        slot = refresh_due_slot(user, now=now)
        if slot is not None:
            assert slot == announced or (not starts and now - slot < FIRST_RUN_WINDOW)
            assert now - slot < (FIRST_RUN_WINDOW if not starts else CHECK_EVERY)
            user.last_scheduled_at = slot
            starts.append(slot)
            announced = next_refresh_at(user, now=now)
        now += CHECK_EVERY
    period = timedelta(days=1 if schedule == "daily" else 7)
    assert starts, "three weeks without a run"
    assert all(b - a == period for a, b in itertools.pairwise(starts))
    assert starts[-1] + period > end - CHECK_EVERY, "no slot was missed"


def test_users_with_nothing_imported_or_no_schedule_are_never_due(
    make_user: Callable[..., User], session: Session
) -> None:
    users = [
        scheduled(make_user, session, "daily", 6),
        scheduled(make_user, session, "daily", 6, tweets=False),
        scheduled(make_user, session, "off", 6),
    ]
    ids = {user.id for user in users}
    assert [d.user.id for d in users_due_refresh(session, now=at(6, 1)) if d.user.id in ids] == [users[0].id]


def started_users(session: Session, run_ids: list[int], mine: set[int]) -> list[tuple[int, str, str]]:
    runs = session.scalars(select(PipelineRun).where(PipelineRun.id.in_(run_ids)).order_by(PipelineRun.id))
    return [(run.user_id, run.trigger, run.status) for run in runs if run.user_id in mine]


def test_due_users_get_a_scheduled_run_and_their_slot_is_marked(
    make_user: Callable[..., User], session: Session
) -> None:
    daily = scheduled(make_user, session, "daily", 9)
    busy = scheduled(make_user, session, "weekly", 9)
    active, _ = run_create(session, user=busy)
    later = scheduled(make_user, session, "daily", 11)
    mine = {daily.id, busy.id, later.id}

    started = refresh_start_due(session, now=at(9, 2))
    assert started_users(session, started, mine) == [(daily.id, "schedule", "queued")]
    assert daily.last_scheduled_at == at(9)
    assert busy.last_scheduled_at == at(9), "a user with a run in progress is not given a second one"
    assert later.last_scheduled_at is None
    assert not started_users(session, refresh_start_due(session, now=at(9, 7)), mine), "one run per slot"

    for run in [*session.scalars(select(PipelineRun).where(PipelineRun.id.in_(started))), active]:
        run_finish(session, run=run, status="succeeded")
    assert [u for u, *_ in started_users(session, refresh_start_due(session, now=at(11, 3)), mine)] == [later.id]
    tomorrow = refresh_start_due(session, now=at(9, 4) + timedelta(days=1))
    assert [u for u, *_ in started_users(session, tomorrow, mine)] == [daily.id], "the weekly one waits a week"
