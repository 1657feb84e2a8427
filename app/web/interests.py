"""The /interests page and its JSON API: see the interests, pin, mute, rename, add, and set the feed size.

Forms post and redirect back with a confirmation (post/redirect/get); a refused choice
renders the page again with the reason next to the form.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal, cast

from fastapi import APIRouter, Form, HTTPException, Request
from fastapi.responses import RedirectResponse
from pydantic import BaseModel, Field
from sqlalchemy.orm import Session
from starlette.responses import Response

from app.deps import ApiUser, CurrentUser, SessionDep
from app.models import FEED_SIZES, User
from app.services.feed_settings import FeedSizeError, feed_size_set
from app.services.interest_controls import (
    MAX_NAME_CHARS,
    InterestChoiceError,
    InterestKind,
    InterestState,
    choice_sentence,
    interest_choices,
    interest_choose,
    interests_overview,
)
from app.web.templating import render

router = APIRouter(tags=["pages"], include_in_schema=False)
api_router = APIRouter(prefix="/api", tags=["interests"])

FormStr = Annotated[str, Form()]
Action = Literal["pin", "unpin", "mute", "unmute", "rename", "add", "remove"]
HISTORY_SHOWN = 20
ADD_EXAMPLES = ("Category theory for programmers", "History of cartography", "Volcanoes of Iceland")
DONE_MESSAGES = {
    "pin": "Pinned: the next run always includes it.",
    "unpin": "Unpinned: the next run includes it only if your posts still point to it.",
    "mute": "Muted: the next run leaves it out until you unmute it.",
    "unmute": "Unmuted: the next run may include it again.",
    "rename": "Renamed: the next run and its clips use your name for it.",
    "add": "Added: the next run looks for it in your own words.",
    "remove": "Removed: the next run no longer looks for it.",
    "feed-size": "Feed size saved: the next run aims for that many clips.",
}


def _page(
    request: Request,
    session: Session,
    user: User,
    *,
    done: str | None = None,
    error: str | None = None,
    status_code: int = 200,
) -> Response:
    context: dict[str, Any] = {
        "interests": interests_overview(session, user=user),
        "history": interest_choices(session, user=user, limit=HISTORY_SHOWN),
        "choice_sentence": choice_sentence,
        "examples": ADD_EXAMPLES,
        "max_name": MAX_NAME_CHARS,
        "feed_sizes": FEED_SIZES,
        "done_message": DONE_MESSAGES.get(done or ""),
        "error": error,
    }
    response = render(request, "interests.html", context, status_code=status_code)
    response.headers["cache-control"] = "no-store"
    return response


@router.get("/interests")
def interests_page(request: Request, user: CurrentUser, session: SessionDep, done: str | None = None) -> Response:
    return _page(request, session, user, done=done)


@router.post("/interests/choose")
def interests_choose(
    request: Request,
    user: CurrentUser,
    session: SessionDep,
    action: FormStr = "",
    name: FormStr = "",
    new_name: FormStr = "",
) -> Response:
    try:
        interest_choose(session, user=user, action=action, name=name, new_name=new_name)
    except InterestChoiceError as exc:
        session.rollback()
        return _page(request, session, user, error=str(exc), status_code=400)
    session.commit()
    return RedirectResponse(f"/interests?done={action}", status_code=303)


@router.post("/interests/feed-size")
def interests_feed_size(request: Request, user: CurrentUser, session: SessionDep, size: FormStr = "") -> Response:
    try:
        feed_size_set(session, user=user, size=int(size) if size.strip().isdigit() else 0)
    except FeedSizeError as exc:
        session.rollback()
        return _page(request, session, user, error=str(exc), status_code=400)
    session.commit()
    return RedirectResponse("/interests?done=feed-size#feed-size", status_code=303)


# -- JSON API ---------------------------------------------------------------------------------


class PostOut(BaseModel):
    tweet_id: str
    kind: str
    text: str
    url: str | None = Field(description="The post on X; null for pasted notes.")


class InterestStateOut(BaseModel):
    name: str = Field(description="The interest as you see it (your name for it, if you renamed it).")
    state: InterestKind
    description: str
    weight: float | None = Field(description="How strongly the latest run weighed it; null if no run has yet.")
    inferred_name: str = Field(description="The name the run gave it, when you renamed it; else empty.")
    posts: list[PostOut] = Field(description="Your posts behind it, as the latest run found them.")


class ChoiceOut(BaseModel):
    action: Action
    name: str
    new_name: str
    created_at: datetime
    summary: str


class InterestsOut(BaseModel):
    interests: list[InterestStateOut]
    history: list[ChoiceOut] = Field(description="Your choices about interests, newest first.")
    feed_size: int = Field(description="Clips the next run aims for.")


class ChoiceIn(BaseModel):
    action: Action
    name: str = Field(max_length=1000, description="The interest the choice is about; for `add`, the new interest.")
    new_name: str = Field("", max_length=1000, description="`rename` only: the new name.")


class FeedSizeIn(BaseModel):
    feed_size: int = Field(ge=FEED_SIZES[0], le=FEED_SIZES[1])


def _state_out(state: InterestState) -> InterestStateOut:
    evidence = state.view.evidence if state.view is not None else []
    posts = [PostOut(tweet_id=p.tweet_id, kind=p.kind, text=p.text, url=p.url) for p in evidence]
    return InterestStateOut(
        name=state.name,
        state=state.state,
        description=state.description,
        weight=state.weight,
        inferred_name=state.inferred_name,
        posts=posts,
    )


def _interests_out(session: Session, user: User) -> InterestsOut:
    return InterestsOut(
        interests=[_state_out(s) for s in interests_overview(session, user=user)],
        history=[
            ChoiceOut(
                action=cast(Action, c.action),
                name=c.name,
                new_name=c.new_name,
                created_at=c.created_at,
                summary=choice_sentence(c),
            )
            for c in interest_choices(session, user=user, limit=HISTORY_SHOWN)
        ],
        feed_size=user.feed_size,
    )


@api_router.get("/interests")
def api_interests(user: ApiUser, session: SessionDep) -> InterestsOut:
    """The latest run's interests with their state and posts, pinned/added/muted ones it lacks, and your choices."""
    return _interests_out(session, user)


@api_router.post("/interests/choices", status_code=201, responses={400: {"description": "The choice was refused."}})
def api_interest_choose(body: ChoiceIn, user: ApiUser, session: SessionDep) -> InterestsOut:
    """Pin, unpin, mute, unmute, rename, add or remove an interest for the next run (kept in the history)."""
    try:
        interest_choose(session, user=user, action=body.action, name=body.name, new_name=body.new_name)
    except InterestChoiceError as exc:
        session.rollback()
        raise HTTPException(status_code=400, detail=str(exc)) from exc
    session.commit()
    return _interests_out(session, user)


@api_router.put("/interests/feed-size")
def api_feed_size(body: FeedSizeIn, user: ApiUser, session: SessionDep) -> InterestsOut:
    """Set how many clips each run aims for (10-50)."""
    feed_size_set(session, user=user, size=body.feed_size)
    session.commit()
    return _interests_out(session, user)
