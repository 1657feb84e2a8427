"""JSON API for the feed: pages by cursor, votes, hidden channels."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, HTTPException, Query, Request, Response
from pydantic import BaseModel, Field, model_validator
from starlette.concurrency import run_in_threadpool

from app.deps import ApiAccount, ApiUser, RowId, SessionDep, reading_as
from app.schemas import FeedbackReason
from app.services.feed import MAX_PAGE_SIZE, FeedEntry, InvalidCursor, feed_page
from app.services.feedback import (
    MAX_CHANNEL_CHARS,
    RecommendationNotFound,
    channel_hide,
    channel_unhide,
    feedback_clear,
    feedback_set,
    hidden_channels_list,
)
from app.services.users import Account
from app.web.pages import PageKey, keep_page, kept_page, page_key

router = APIRouter(prefix="/api", tags=["feed"])

NOT_FOUND: dict[int | str, dict[str, Any]] = {404: {"description": "No such recommendation in your feed."}}


class CitedTweetOut(BaseModel):
    tweet_id: str
    text: str
    kind: str = Field(description="What you did with it: tweet, reply, quote, retweet, like or note (pasted).")
    url: str | None = Field(description="The post on X; null for pasted notes.")


class FeedItemOut(BaseModel):
    recommendation_id: int
    run_id: int
    position: int = Field(description="Place in its run's feed, from 0.")
    video_id: str
    title: str
    channel: str
    duration_s: int | None = Field(description="Length of the whole video.")
    start_s: float
    end_s: float
    explanation: str
    quote: str = Field(description="What is said in the clip: whole sentences, or an excerpt marked with “…”.")
    quote_s: float | None = Field(
        description="When the quote is spoken, in seconds into the video (inside the clip); null when not known."
    )
    run_number: int = Field(description="The number of the run that picked the clip, among your runs.")
    interest: str
    score: float
    tweets: list[CitedTweetOut] = Field(description="Your posts that led to this clip.")
    vote: Literal["up", "down"] | None
    reason: FeedbackReason | None
    watch_url: str = Field(description="The full video on YouTube, from the clip's start.")
    embed_url: str = Field(description="The clip in YouTube's privacy-enhanced player.")

    @classmethod
    def of(cls, entry: FeedEntry) -> FeedItemOut:
        return cls(
            recommendation_id=entry.recommendation_id,
            run_id=entry.run_id,
            position=entry.position,
            video_id=entry.video_id,
            title=entry.title,
            channel=entry.channel,
            duration_s=entry.duration_s,
            start_s=entry.start_s,
            end_s=entry.end_s,
            explanation=entry.explanation,
            quote=entry.quote,
            quote_s=entry.quote_s,
            run_number=entry.run_number,
            interest=entry.interest,
            score=entry.score,
            tweets=[CitedTweetOut(tweet_id=t.tweet_id, text=t.text, kind=t.kind, url=t.url) for t in entry.tweets],
            vote=entry.vote,
            reason=entry.reason,
            watch_url=entry.watch_url,
            embed_url=entry.embed_url,
        )


class FeedPageOut(BaseModel):
    items: list[FeedItemOut]
    next_cursor: str | None = Field(description="Pass as `cursor` for the next page; null at the end of the feed.")


class FeedbackIn(BaseModel):
    vote: Literal["up", "down"]
    reason: FeedbackReason | None = Field(None, description="Why not: only with a thumbs down.")

    @model_validator(mode="after")
    def _reason_only_when_down(self) -> FeedbackIn:
        if self.reason is not None and self.vote != "down":
            raise ValueError("a reason goes with a thumbs down only")
        return self


class FeedbackOut(BaseModel):
    recommendation_id: int
    vote: Literal["up", "down"]
    reason: FeedbackReason | None


class HiddenChannelIn(BaseModel):
    channel: str = Field(min_length=1, max_length=MAX_CHANNEL_CHARS, description="Exactly as the videos name it.")


class HiddenChannelOut(BaseModel):
    channel: str


@router.get(
    "/feed",
    response_model=FeedPageOut,
    responses={400: {"description": "The cursor is not one this server handed out."}},
)
async def api_feed(
    request: Request,
    account: ApiAccount,
    cursor: Annotated[str | None, Query(max_length=200, description="`next_cursor` of the previous page.")] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE_SIZE)] = 20,
) -> Response:
    """Your feed, newest run first, one page at a time."""
    key = page_key(account, "api", cursor, limit)
    if (kept := kept_page(key, request)) is not None:  # from the event loop; a new page takes a handler's thread
        return kept
    return await run_in_threadpool(_api_feed_page, request, account, cursor, limit, key)


def _api_feed_page(request: Request, account: Account, cursor: str | None, limit: int, key: PageKey) -> Response:
    with reading_as(request, account) as (session, user):
        try:
            page = feed_page(session, user=user, cursor=cursor, limit=limit)
        except InvalidCursor as exc:
            raise HTTPException(status_code=400, detail=str(exc)) from exc
    out = FeedPageOut(items=[FeedItemOut.of(entry) for entry in page.items], next_cursor=page.next_cursor)
    return keep_page(key, Response(out.model_dump_json(), media_type="application/json"))


@router.put("/feedback/{recommendation_id}", responses=NOT_FOUND)
def api_feedback_put(recommendation_id: RowId, body: FeedbackIn, user: ApiUser, session: SessionDep) -> FeedbackOut:
    """Vote on a clip, or change your vote."""
    try:
        feedback_set(session, user=user, recommendation_id=recommendation_id, vote=body.vote, reason=body.reason)
    except RecommendationNotFound as exc:
        raise HTTPException(status_code=404, detail="No such recommendation in your feed.") from exc
    session.commit()
    return FeedbackOut(recommendation_id=recommendation_id, vote=body.vote, reason=body.reason)


@router.delete("/feedback/{recommendation_id}", status_code=204, responses=NOT_FOUND)
def api_feedback_delete(recommendation_id: RowId, user: ApiUser, session: SessionDep) -> Response:
    """Take your vote on a clip back."""
    try:
        feedback_clear(session, user=user, recommendation_id=recommendation_id)
    except RecommendationNotFound as exc:
        raise HTTPException(status_code=404, detail="No such recommendation in your feed.") from exc
    session.commit()
    return Response(status_code=204)


@router.get("/hidden-channels")
def api_hidden_channels(user: ApiUser, session: SessionDep) -> list[HiddenChannelOut]:
    """Channels you hid, in the order you hid them."""
    return [HiddenChannelOut(channel=channel) for channel in hidden_channels_list(session, user=user)]


@router.post("/hidden-channels", status_code=201)
def api_hidden_channel_add(body: HiddenChannelIn, user: ApiUser, session: SessionDep) -> HiddenChannelOut:
    """Hide a channel from your feed and from the next runs (hiding it again changes nothing)."""
    try:
        channel_hide(session, user=user, channel=body.channel)
    except ValueError as exc:
        # The shape every 422 of the API has (see the schema): where, what, and the kind of error.
        problem = {"loc": ["body", "channel"], "msg": str(exc), "type": "value_error"}
        raise HTTPException(status_code=422, detail=[problem]) from exc
    session.commit()
    return HiddenChannelOut(channel=body.channel)


@router.delete("/hidden-channels", status_code=204, responses={404: {"description": "That channel is not hidden."}})
def api_hidden_channel_remove(
    user: ApiUser,
    session: SessionDep,
    channel: Annotated[str, Query(min_length=1, max_length=MAX_CHANNEL_CHARS)],
) -> Response:
    """Show a hidden channel again."""
    if not channel_unhide(session, user=user, channel=channel):
        raise HTTPException(status_code=404, detail="That channel is not hidden.")
    session.commit()
    return Response(status_code=204)
