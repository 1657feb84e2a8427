"""Sign up, sign in and sign out (HTML forms)."""

from __future__ import annotations

from typing import Annotated

from email_validator import EmailNotValidError, validate_email
from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse
from starlette.responses import Response

from app.deps import OptionalUser, SessionDep, SettingsDep
from app.models import User
from app.security import CSRF_COOKIE, SESSION_COOKIE, LoginLimiter, new_token, sign_session, unsign_session
from app.services.users import (
    EmailTaken,
    normalize_email,
    session_create,
    session_delete,
    user_authenticate,
    user_create,
)
from app.web.templating import render

router = APIRouter(tags=["pages"], include_in_schema=False)

MAX_EMAIL = 254
MIN_PASSWORD = 8
MAX_PASSWORD = 1024

FormStr = Annotated[str, Form()]


def safe_next(target: str | None) -> str:
    """Only same-site paths: an open redirect would make our sign-in page a phishing aid."""
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return "/"


def check_credentials(email: str, password: str) -> str | None:
    """A readable problem with the submitted email/password, or None."""
    if not email or len(email) > MAX_EMAIL:
        return f"Enter an email address of at most {MAX_EMAIL} characters."
    try:
        validate_email(email, check_deliverability=False)
    except EmailNotValidError:
        return "That does not look like an email address."
    if not MIN_PASSWORD <= len(password) <= MAX_PASSWORD:
        return f"Use a password of {MIN_PASSWORD} to {MAX_PASSWORD} characters."
    return None


def start_session(request: Request, response: Response, session: SessionDep, user: User) -> None:
    """Issue a brand-new session token (never reuse one: no session fixation)."""
    settings = request.app.state.settings
    old = request.cookies.get(SESSION_COOKIE)
    old_token = unsign_session(settings, old) if old else None
    if old_token:
        session_delete(session, token=old_token)
    token = session_create(session, user=user, days=settings.openrec_session_days)
    session.commit()
    # A CSRF token seen before sign-in (on a shared computer, say) must not work after it.
    response.set_cookie(
        CSRF_COOKIE, new_token(), httponly=True, samesite="lax", secure=settings.openrec_secure_cookies, path="/"
    )
    response.set_cookie(
        SESSION_COOKIE,
        sign_session(settings, token),
        max_age=settings.openrec_session_days * 86400,
        httponly=True,
        samesite="lax",
        secure=settings.openrec_secure_cookies,
        path="/",
    )


@router.get("/signup")
def signup_page(request: Request, user: OptionalUser) -> Response:
    if user is not None:
        return RedirectResponse("/", status_code=303)
    return render(request, "signup.html", {"email": ""})


@router.post("/signup")
def signup(request: Request, session: SessionDep, email: FormStr = "", password: FormStr = "") -> Response:
    email = normalize_email(email)
    problem = check_credentials(email, password)
    if problem is None:
        try:
            user = user_create(session, email=email, password=password)
        except EmailTaken:
            problem = "An account with this email already exists. Sign in instead."
    if problem is not None:
        session.rollback()
        return render(request, "signup.html", {"email": email[:MAX_EMAIL], "error": problem}, status_code=400)
    response = RedirectResponse("/", status_code=303)
    start_session(request, response, session, user)
    return response


@router.get("/login")
def login_page(request: Request, user: OptionalUser, next: str = "/") -> Response:
    if user is not None:
        return RedirectResponse(safe_next(next), status_code=303)
    return render(request, "login.html", {"email": "", "next": safe_next(next)})


@router.post("/login")
def login(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    email: FormStr = "",
    password: FormStr = "",
    next: FormStr = "/",
) -> Response:
    email = normalize_email(email)[:MAX_EMAIL]
    limiter: LoginLimiter = request.app.state.login_limiter
    address = request.client.host if request.client else "unknown"
    context = {"email": email, "next": safe_next(next)}
    throttle = limiter.check(email, address)
    if not throttle.allowed:
        error = f"Too many attempts, try again in {throttle.retry_after} s."
        return render(request, "login.html", {**context, "error": error}, status_code=429)
    user = None
    if len(password) <= MAX_PASSWORD:
        user = user_authenticate(session, email=email, password=password)
    if user is None:
        limiter.failed(email, address)
        return render(request, "login.html", {**context, "error": "Wrong email or password."}, status_code=400)
    limiter.clear(email)
    response = RedirectResponse(safe_next(next), status_code=303)
    start_session(request, response, session, user)
    return response


@router.post("/logout")
def logout(request: Request, session: SessionDep, settings: SettingsDep) -> Response:
    cookie = request.cookies.get(SESSION_COOKIE)
    token = unsign_session(settings, cookie) if cookie else None
    if token:
        session_delete(session, token=token)
        session.commit()
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response
