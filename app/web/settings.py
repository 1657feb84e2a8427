"""The /settings page: instructions, refresh schedule, hidden channels, API tokens, account, delete my data.

Each form posts to its own route, which redirects back to its section with a
confirmation (post/redirect/get), so a reload never resubmits. Two answers render
directly instead: a new API token (shown once, never put in a URL) and a refused form
(the error next to what was typed).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, HTTPException, Request
from fastapi.responses import RedirectResponse
from starlette.responses import Response

from app.deps import CurrentUser, RowId, SessionDep
from app.models import User
from app.security import SESSION_COOKIE, unsign_session
from app.services.account import (
    WrongPassword,
    account_delete,
    password_change,
    schedule_set,
    sessions_revoke_all,
)
from app.services.feedback import channel_unhide, hidden_channels_list
from app.services.instruction_history import instruction_get, instructions_history, instructions_update
from app.services.preferences import MAX_INSTRUCTIONS_CHARS, InstructionsTooLong
from app.services.users import api_token_create, api_token_list, api_token_revoke, normalize_email
from app.services.withdrawals import Withdrawal
from app.web.auth import MAX_PASSWORD, MIN_PASSWORD
from app.web.templating import render

router = APIRouter(tags=["pages"], include_in_schema=False)

FormStr = Annotated[str, Form()]

INSTRUCTION_EXAMPLES = (
    "no crypto",
    "I'm a beginner in statistics",
    "prefer talks over podcasts",
    "shorter clips",
    "nothing longer than 20 minutes",
)
SCHEDULE_CHOICES = (("off", "Off (only when I start a run)"), ("daily", "Every day"), ("weekly", "Every week"))
HISTORY_SHOWN = 20
MAX_SHOWN_COUNT = 10_000  # counts of clips in a confirmation come from the URL: never shown beyond this
DONE_MESSAGES = {
    "instructions": "Instructions saved. The next run follows them.",
    "unchanged": "These instructions were already in force; nothing changed.",
    "restored": "Earlier instructions restored. The next run follows them.",
    "schedule": "Refresh schedule saved.",
    "unhidden": "Channel unhidden: its videos can be recommended again.",
    "revoked": "Token revoked: it no longer works.",
    "password": "Password changed. Your other devices were signed out.",
}
DONE_SECTIONS = {
    "instructions": "instructions",
    "unchanged": "instructions",
    "restored": "instructions",
    "schedule": "schedule",
    "unhidden": "hidden-channels",
    "revoked": "tokens",
    "password": "account",
}


def _page(
    request: Request,
    session: SessionDep,
    user: User,
    *,
    done: str | None = None,
    done_message: str | None = None,
    error: tuple[str, str] | None = None,
    status_code: int = 200,
    **extra: Any,
) -> Response:
    history = instructions_history(session, user=user, limit=HISTORY_SHOWN)
    context: dict[str, Any] = {
        "examples": INSTRUCTION_EXAMPLES,
        "max_instructions": MAX_INSTRUCTIONS_CHARS,
        "instructions_text": history[0].text if history else "",
        "history": history,
        "schedule_choices": SCHEDULE_CHOICES,
        "hidden_channels": hidden_channels_list(session, user=user),
        "tokens": api_token_list(session, user=user),
        "min_password": MIN_PASSWORD,
        "done": DONE_SECTIONS.get(done or ""),
        "done_message": done_message or DONE_MESSAGES.get(done or ""),
        "error_section": error[0] if error else None,
        "error": error[1] if error else None,
        **extra,
    }
    response = render(request, "settings.html", context, status_code=status_code)
    response.headers["cache-control"] = "no-store"
    return response


def _back(done: str, withdrawal: Withdrawal | None = None) -> RedirectResponse:
    counts = ""
    if withdrawal is not None and (withdrawal.taken_out or withdrawal.put_back or withdrawal.out_of_bounds):
        counts = f"&out={withdrawal.taken_out}&back={withdrawal.put_back}&length={withdrawal.out_of_bounds}"
    return RedirectResponse(f"/settings?done={done}{counts}#{DONE_SECTIONS[done]}", status_code=303)


def _session_token(request: Request) -> str | None:
    cookie = request.cookies.get(SESSION_COOKIE)
    return unsign_session(request.app.state.settings, cookie) if cookie else None


@router.get("/settings")
def settings_page(
    request: Request,
    user: CurrentUser,
    session: SessionDep,
    done: str | None = None,
    out: int = 0,
    back: int = 0,
    length: int = 0,
) -> Response:
    message = DONE_MESSAGES.get(done or "")
    if message and DONE_SECTIONS.get(done or "") == "instructions" and (out > 0 or back > 0 or length > 0):
        shown = Withdrawal(*(min(max(count, 0), MAX_SHOWN_COUNT) for count in (out, back, length)))
        message = f"{message} {shown.said()}"
    return _page(request, session, user, done=done, done_message=message)


@router.post("/settings/instructions")
def instructions_save(request: Request, user: CurrentUser, session: SessionDep, text: FormStr = "") -> Response:
    try:
        withdrawal = instructions_update(session, user=user, text=text)
    except InstructionsTooLong:
        error = (
            "instructions",
            f"Keep instructions to {MAX_INSTRUCTIONS_CHARS:,} characters or fewer; nothing was saved.",
        )
        return _page(request, session, user, error=error, status_code=400, instructions_text=text)
    session.commit()
    return _back("instructions", withdrawal) if withdrawal else _back("unchanged")


@router.post("/settings/instructions/{instruction_id}/restore")
def instructions_restore(instruction_id: RowId, user: CurrentUser, session: SessionDep) -> Response:
    earlier = instruction_get(session, user=user, instruction_id=instruction_id)
    if earlier is None:
        raise HTTPException(status_code=404, detail="No such instructions.")
    withdrawal = instructions_update(session, user=user, text=earlier.text)
    session.commit()
    return _back("restored", withdrawal)


@router.post("/settings/schedule")
def schedule_save(
    request: Request, user: CurrentUser, session: SessionDep, schedule: FormStr = "", hour: FormStr = ""
) -> Response:
    try:
        schedule_set(session, user=user, schedule=schedule, hour=int(hour) if hour.strip().isdigit() else -1)
    except ValueError as exc:
        session.rollback()
        return _page(request, session, user, error=("schedule", str(exc)), status_code=400)
    session.commit()
    return _back("schedule")


@router.post("/settings/hidden-channels/unhide")
def hidden_channel_unhide(user: CurrentUser, session: SessionDep, channel: FormStr = "") -> Response:
    if not channel_unhide(session, user=user, channel=channel):
        raise HTTPException(status_code=404, detail="That channel is not hidden.")
    session.commit()
    return _back("unhidden")


@router.post("/settings/tokens")
def token_create(request: Request, user: CurrentUser, session: SessionDep, name: FormStr = "") -> Response:
    if not name.strip() or len(name) > 100:
        return _page(
            request, session, user, error=("tokens", "Name the token (up to 100 characters)."), status_code=400
        )
    row, raw = api_token_create(session, user=user, name=name)
    session.commit()
    return _page(request, session, user, new_token=raw, new_token_name=row.name)


@router.post("/settings/tokens/{token_id}/revoke")
def token_revoke(token_id: RowId, user: CurrentUser, session: SessionDep) -> Response:
    if not api_token_revoke(session, user=user, token_id=token_id):
        raise HTTPException(status_code=404, detail="No such token.")
    session.commit()
    return _back("revoked")


@router.post("/settings/password")
def password_save(
    request: Request,
    user: CurrentUser,
    session: SessionDep,
    current_password: FormStr = "",
    new_password: FormStr = "",
) -> Response:
    if not MIN_PASSWORD <= len(new_password) <= MAX_PASSWORD:
        error = ("account", f"Use a new password of {MIN_PASSWORD} to {MAX_PASSWORD} characters.")
        return _page(request, session, user, error=error, status_code=400)
    try:
        password_change(
            session,
            user=user,
            current=current_password[:MAX_PASSWORD],
            new=new_password,
            keep_token=_session_token(request),
        )
    except WrongPassword:
        session.rollback()
        return _page(request, session, user, error=("account", "The current password is wrong."), status_code=400)
    session.commit()
    return _back("password")


@router.post("/settings/sessions/revoke")
def sessions_revoke(user: CurrentUser, session: SessionDep) -> Response:
    sessions_revoke_all(session, user=user)
    session.commit()
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


@router.post("/settings/delete")
def delete_everything(
    request: Request, user: CurrentUser, session: SessionDep, confirm_email: FormStr = ""
) -> Response:
    if normalize_email(confirm_email) != user.email:
        error = ("delete", "The email you typed did not match your account's, so nothing was deleted.")
        return _page(request, session, user, error=error, status_code=400)
    account_delete(session, user=user)
    session.commit()
    request.state.user = None
    response = render(request, "account_deleted.html")
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response
