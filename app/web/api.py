"""JSON API for the account: who am I, personal API tokens."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, HTTPException
from pydantic import BaseModel, Field

from app.deps import ApiUser, RowId, SessionDep
from app.services.users import api_token_create, api_token_list, api_token_revoke

router = APIRouter(prefix="/api", tags=["account"])


class Me(BaseModel):
    id: int
    email: str
    x_username: str | None


class TokenIn(BaseModel):
    name: str = Field(min_length=1, max_length=100)


class TokenOut(BaseModel):
    id: int
    name: str
    prefix: str
    created_at: datetime
    last_used_at: datetime | None


class TokenCreated(TokenOut):
    token: str = Field(description="The token itself: shown once, store it now.")


@router.get("/me")
def me(user: ApiUser) -> Me:
    return Me(id=user.id, email=user.email, x_username=user.x_username)


@router.get("/tokens")
def tokens_list(user: ApiUser, session: SessionDep) -> list[TokenOut]:
    return [TokenOut.model_validate(t, from_attributes=True) for t in api_token_list(session, user=user)]


@router.post("/tokens", status_code=201)
def tokens_create(body: TokenIn, user: ApiUser, session: SessionDep) -> TokenCreated:
    row, raw = api_token_create(session, user=user, name=body.name)
    session.commit()
    return TokenCreated(**TokenOut.model_validate(row, from_attributes=True).model_dump(), token=raw)


@router.delete("/tokens/{token_id}", status_code=204, responses={404: {"description": "No such token of yours."}})
def tokens_revoke(token_id: RowId, user: ApiUser, session: SessionDep) -> None:
    if not api_token_revoke(session, user=user, token_id=token_id):
        raise HTTPException(status_code=404, detail="No such token.")
    session.commit()
