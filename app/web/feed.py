"""The clip feed (`/`) and its buttons: votes, reasons, hide a channel and undo.

`/` serves the whole page, or only the next page of cards when htmx asks for it
(infinite scroll by cursor). Each button posts a form that htmx sends in place; the
answer is the fragment to swap in, or a redirect back to the feed without htmx.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Literal

from fastapi import APIRouter, Form, HTTPException, Query, Request
from fastapi.responses import RedirectResponse
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from app.deps import CurrentUser, LoginRequired, OptionalAccount, RowId, SessionDep, reading_as
from app.models import User
from app.security import CSRF_COOKIE
from app.services.feed import FeedPage, InvalidCursor, cursor_decode, feed_entry, feed_page, feed_status
from app.services.feedback import (
    InvalidFeedback,
    RecommendationNotFound,
    channel_hide,
    channel_unhide,
    feedback_clear,
    feedback_set,
    recommendation_channel,
)
from app.services.run_details import run_changes
from app.services.users import Account
from app.web.cards import REASON_LABELS, RunLine, clip_card
from app.web.pages import PageKey, keep_page, kept_page, page_key
from app.web.templating import csrf_token, is_htmx, render

router = APIRouter(tags=["pages"], include_in_schema=False)

PAGE_SIZE = 6
PREFETCH_BEFORE_END = 3  # the card this far from a page's end asks for the next page when it comes into view
NOT_FOUND = "No such clip in your feed."


@dataclass(frozen=True)
class VoteView:
    """What the vote buttons of one card show."""

    recommendation_id: int
    vote: Literal["up", "down"] | None
    reason: str | None


@dataclass(frozen=True)
class HiddenView:
    """A card whose channel was just hidden: the notice and its undo button."""

    recommendation_id: int
    channel: str


def _run_lines(session: Session, user: User, page: FeedPage, cursor: str | None) -> dict[int, RunLine]:
    """Lines keyed by the recommendation whose card opens a run on this page."""
    lines: dict[int, RunLine] = {}
    previous = cursor_decode(cursor)[0] if cursor else None
    for item in page.items:
        if item.run_id != previous:
            when = f" · {item.run_finished_at:%-d %b}" if item.run_finished_at else ""
            if previous is None:
                changes = run_changes(session, user=user, run_id=item.run_id)
                text = " · ".join([f"Run {item.run_number}{when}", *changes])
                lines[item.recommendation_id] = RunLine(text, newest=True)
            else:
                lines[item.recommendation_id] = RunLine(f"Earlier: run {item.run_number}{when}", newest=False)
        previous = item.run_id
    return lines


def _back_to(recommendation_id: int) -> Response:
    return RedirectResponse(f"/#clip-{recommendation_id}", status_code=303)


@router.get("/")
async def feed_view(
    request: Request,
    account: OptionalAccount,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
) -> Response:
    """The feed; signed out, the page that says what openrec is.

    A kept page goes out from the event loop, found by the account alone; rendering one (the user, the feed,
    templates) takes a handler's thread.
    """
    if account is None:
        if is_htmx(request) or cursor:
            raise LoginRequired
        return await run_in_threadpool(render, request, "landing.html")
    fragment = is_htmx(request) and request.headers.get("hx-history-restore-request") != "true"
    token = csrf_token(request)
    key = page_key(account, "feed", cursor, PAGE_SIZE, fragment, token)
    if (kept := kept_page(key, request)) is not None:
        return kept
    return await run_in_threadpool(_feed_render, request, account, cursor, fragment, token, key)


def _feed_render(
    request: Request, account: Account, cursor: str | None, fragment: bool, token: str, key: PageKey
) -> Response:
    with reading_as(request, account) as (session, user):
        return _feed_page(request, session, user, cursor, fragment, token, key)


def _feed_page(
    request: Request, session: Session, user: User, cursor: str | None, fragment: bool, token: str, key: PageKey
) -> Response:
    try:
        page = feed_page(session, user=user, cursor=cursor, limit=PAGE_SIZE)
    except InvalidCursor as exc:
        raise HTTPException(status_code=400, detail=str(exc)) from exc
    status = feed_status(session, user=user) if page.next_cursor is None else None
    lines = _run_lines(session, user, page, cursor)
    prefetch_at = max(0, len(page.items) - PREFETCH_BEFORE_END)
    cards = [
        clip_card(item, token, lines.get(item.recommendation_id), page.next_cursor if i == prefetch_at else None)
        for i, item in enumerate(page.items)
    ]
    context = {"page": page, "cards": cards, "status": status, "cursor": cursor}
    response = render(request, "_feed_page.html" if fragment else "feed.html", context)
    response.headers["vary"] = "HX-Request"
    response.headers["cache-control"] = "no-store"
    # The feed's end says when the next run starts, which moves with the clock; a new CSRF cookie is new each time.
    if page.next_cursor is None or CSRF_COOKIE not in request.cookies:
        return response
    return keep_page(key, response)


@router.post("/clips/{recommendation_id}/vote")
def clip_vote(
    recommendation_id: RowId,
    request: Request,
    user: CurrentUser,
    session: SessionDep,
    vote: Annotated[Literal["up", "down", "clear"], Form()],
    reason: Annotated[str, Form(max_length=20)] = "",
) -> Response:
    """Thumbs up or down (a thumbs down may carry a reason), or `clear` to take the vote back."""
    try:
        if vote == "clear":
            feedback_clear(session, user=user, recommendation_id=recommendation_id)
        else:
            feedback_set(session, user=user, recommendation_id=recommendation_id, vote=vote, reason=reason or None)
    except RecommendationNotFound as exc:
        raise HTTPException(status_code=404, detail=NOT_FOUND) from exc
    except InvalidFeedback as exc:
        raise HTTPException(status_code=422, detail=str(exc)) from exc
    session.commit()
    if not is_htmx(request):
        return _back_to(recommendation_id)
    view = VoteView(recommendation_id, None if vote == "clear" else vote, reason or None)
    return render(request, "_vote.html", {"item": view, "reasons": REASON_LABELS})


def _clip_channel(session: Session, user: User, recommendation_id: int) -> str:
    try:
        return recommendation_channel(session, user=user, recommendation_id=recommendation_id)
    except RecommendationNotFound as exc:
        raise HTTPException(status_code=404, detail=NOT_FOUND) from exc


@router.post("/clips/{recommendation_id}/hide-channel")
def clip_hide_channel(recommendation_id: RowId, request: Request, user: CurrentUser, session: SessionDep) -> Response:
    """Hide the clip's channel; the card turns into a notice with an undo button."""
    channel = _clip_channel(session, user, recommendation_id)
    channel_hide(session, user=user, channel=channel)
    session.commit()
    if not is_htmx(request):
        return RedirectResponse("/", status_code=303)
    return render(request, "_clip_card.html", {"hidden": HiddenView(recommendation_id, channel)})


@router.post("/clips/{recommendation_id}/unhide-channel")
def clip_unhide_channel(recommendation_id: RowId, request: Request, user: CurrentUser, session: SessionDep) -> Response:
    """Undo "hide this channel": the card comes back as it was."""
    channel = _clip_channel(session, user, recommendation_id)
    channel_unhide(session, user=user, channel=channel)
    session.commit()
    if not is_htmx(request):
        return _back_to(recommendation_id)
    item = feed_entry(session, user=user, recommendation_id=recommendation_id)
    if item is None:
        raise HTTPException(status_code=404, detail=NOT_FOUND)
    return render(request, "_clip_card.html", {"item": item, "reasons": REASON_LABELS})
