"""create_app(): routers, static files, templates, middleware and error pages."""

from __future__ import annotations

import gc
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from http import HTTPStatus
from pathlib import Path
from typing import Any, Literal

import anyio.to_thread
import fastapi_offline
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, JSONResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles
from pydantic import BaseModel
from sqlalchemy.exc import SQLAlchemyError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.middleware.gzip import GZipMiddleware
from starlette.responses import Response

from app.config import Settings, get_settings
from app.db import database_answers, get_engine
from app.deps import API_SIGN_IN, LoginRequired, optional_account
from app.logs import configure_logging
from app.security import LoginLimiter
from app.services.users import Account
from app.web import api, api_feed, api_runs, auth, exports, feed, imports, interests, runs
from app.web import settings as settings_pages
from app.web.compression import GZIP_LEVEL, GZIP_MINIMUM_BYTES
from app.web.middleware import CSRFMiddleware, RequestLogMiddleware, SecurityHeadersMiddleware
from app.web.static import STATIC_DIR, VersionedStaticFiles
from app.web.static import versions as static_versions
from app.web.templating import render, templates

# Swagger UI's script and styles, as the fastapi-offline package ships them (no CDN).
SWAGGER_UI_ASSETS = Path(fastapi_offline.__file__).parent / "static"

STATUS_TITLES = {
    400: "Bad request",
    401: "Sign in required",
    403: "Forbidden",
    404: "Not found",
    405: "Method not allowed",
    413: "Too large",
    422: "Invalid input",
    429: "Too many requests",
}


def _wants_json(request: Request) -> bool:
    return request.url.path.startswith("/api/") or "application/json" in request.headers.get("accept", "")


# What a page says where the framework's answer is only the status's name ("Not Found").
STATUS_MESSAGES = {
    404: "There is no page at this address: the link may be old or mistyped.",
    405: "This address does not take that kind of request.",
}


def _error(request: Request, status: int, detail: object, headers: dict[str, str] | None = None) -> Response:
    if _wants_json(request):
        return JSONResponse({"detail": detail}, status_code=status, headers=headers)
    message = detail if isinstance(detail, str) else "Some of the submitted fields are invalid."
    if message == HTTPStatus(status).phrase:
        message = STATUS_MESSAGES.get(status, message)
    context = {"status": status, "title": STATUS_TITLES.get(status, "Error"), "message": message}
    return render(request, "error.html", context, status_code=status)


def _signed_in(request: Request) -> Account | None:
    """Who is signed in, for an error page's menu; nobody when the database cannot say."""
    try:
        return optional_account(request)
    except SQLAlchemyError:
        return None


# Answers any API operation can give, whatever it does (documented so clients and schema checks expect them).
API_ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"description": "The request could not be read, or what it holds was refused; `detail` says why."},
    401: {"description": "Not signed in: send the session cookie or `Authorization: Bearer <token>`."},
    403: {"description": "A change sent with the session cookie but without a valid `X-CSRF-Token` header."},
}


class HealthOut(BaseModel):
    status: Literal["ok"]


HEALTHY = HealthOut(status="ok").model_dump_json().encode()


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()
    configure_logging(settings)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        # Handlers (`def`) run on this many threads of the event loop's pool: Python runs one at a time, and
        # dozens of threads taking turns cost more CPU per request, and latency, than a few.
        anyio.to_thread.current_default_thread_limiter().total_tokens = settings.openrec_web_threads
        # What is loaded by now (the framework, the libraries, the app: some 200,000 objects) lives as long as
        # the process. Frozen out of the collector's sight (a constant-time move), a full collection scans only
        # what requests create, instead of pausing every request in flight for over 100 ms on a small server.
        gc.freeze()
        yield

    app = FastAPI(
        lifespan=lifespan,
        title="openrec",
        version="0.1.0",
        description="An open recommendation system for YouTube clips. JSON API; authenticate with a session "
        "cookie or a personal API token (`Authorization: Bearer orc_…`).",
        docs_url=None,  # served below from our own static files, under the Content Security Policy
        redoc_url=None,
        openapi_url="/api/openapi.json",
    )
    app.state.settings = settings
    app.state.login_limiter = LoginLimiter(settings)
    # Templates and static files change only while developing; elsewhere skip the per-render file checks.
    templates.env.auto_reload = static_versions.watch = settings.openrec_env == "development"

    # Routes match in order: the liveness probe and the feed, the most requested, come first.
    # Answered as a response already made: FastAPI would otherwise check a returned dict against the declared
    # model on a second trip to a handler's thread, for a body that never changes.
    @app.get("/healthz", tags=["health"], response_model=HealthOut)
    def healthz() -> Response:
        """Liveness and database reachability."""
        database_answers(get_engine())
        return Response(HEALTHY, media_type="application/json")

    app.mount("/static/swagger-ui", StaticFiles(directory=SWAGGER_UI_ASSETS), name="swagger-ui")
    app.mount("/static", VersionedStaticFiles(directory=str(STATIC_DIR)), name="static")
    for router in (
        feed.router,
        auth.router,
        api_feed.router,
        api.router,
        imports.router,
        imports.api_router,
        runs.router,
        settings_pages.router,
        api_runs.router,
        api_runs.settings_router,
        interests.router,
        interests.api_router,
        exports.router,
        exports.api_router,
    ):
        app.include_router(router, responses=API_ERRORS)

    @app.get("/api/docs", include_in_schema=False)
    def api_docs(request: Request) -> Response:
        """The API reference (Swagger UI, no CDN and no inline script)."""
        return render(request, "api_docs.html", {"openapi_url": app.openapi_url})

    @app.get("/favicon.ico", include_in_schema=False)
    def favicon() -> Response:
        return FileResponse(STATIC_DIR / "favicon.ico", media_type="image/x-icon")

    @app.exception_handler(LoginRequired)
    async def login_required(request: Request, _exc: LoginRequired) -> Response:
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        if request.url.path.startswith("/api/"):  # signed out while the request ran
            return _error(request, 401, API_SIGN_IN, {"WWW-Authenticate": "Bearer"})
        if request.headers.get("hx-request") == "true":
            return Response(status_code=401, headers={"HX-Redirect": "/login"})
        return RedirectResponse(f"/login?next={target}" if target != "/" else "/login", status_code=303)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        if not _wants_json(request) and not hasattr(request.state, "user"):
            # A path no route answers ran no dependency: the page's menu still shows who is signed in.
            request.state.user = await anyio.to_thread.run_sync(_signed_in, request)
        return _error(request, exc.status_code, exc.detail, getattr(exc, "headers", None))

    @app.exception_handler(RequestValidationError)
    async def invalid_input(request: Request, exc: RequestValidationError) -> Response:
        # The shape the OpenAPI schema documents for 422 (FastAPI's ValidationError), without echoing the input.
        errors = [
            {"loc": list(e.get("loc", ())), "msg": e.get("msg", ""), "type": e.get("type", "")} for e in exc.errors()
        ]
        return _error(request, 422, errors)

    app.add_middleware(CSRFMiddleware, settings=settings)
    app.add_middleware(SecurityHeadersMiddleware, settings=settings)
    # Pages, scripts and styles compress to a fraction; below about a packet it is not worth the CPU.
    # Pages that carry the CSRF token are compressed too: the cookies are SameSite=Lax, so another
    # site cannot have a browser fetch signed-in pages as subresources and compare their sizes (BREACH).
    app.add_middleware(GZipMiddleware, minimum_size=GZIP_MINIMUM_BYTES, compresslevel=GZIP_LEVEL)
    app.add_middleware(RequestLogMiddleware)
    return app
