"""The clip feed (`/`)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import Response

from app.deps import CurrentUser
from app.web.templating import render

router = APIRouter(tags=["pages"], include_in_schema=False)


@router.get("/")
def feed_page(request: Request, user: CurrentUser) -> Response:
    return render(request, "feed.html", {"items": []})
