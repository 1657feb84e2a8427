"""Where the feed goes out and where dropped videos are explained.

- `/feeds/{secret}/clips.rss|.atom|.json`: RSS 2.0, Atom and JSON Feed 1.1 of the newest
  clips for feed readers, reached by a secret that the user can replace (revoking the old
  URLs); no sign-in, so readers can poll them.
- `/exports`: those URLs, the button that replaces them, and the Markdown export of liked clips.
- `/why-not`: paste a video id or link, read which stage of the latest run dropped it and why.

Every text in an export (titles, explanations, posts) is escaped for the format it goes in.
"""

from __future__ import annotations

import json
import re
from datetime import datetime
from typing import Any

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.responses import RedirectResponse
from feedgen.feed import FeedGenerator
from markupsafe import Markup
from pydantic import BaseModel, Field
from starlette.responses import Response

from app.config import Settings
from app.deps import ApiUser, CurrentUser, SessionDep, SettingsDep
from app.services.exports import ExportEntry, export_entries, liked_entries
from app.services.feed import FeedEntry
from app.services.feed_settings import FEED_FORMATS, feed_token, feed_token_rotate, feed_urls, user_by_feed_token
from app.services.why_not import NotAVideoId, WhyNot, why_not
from app.web.templating import format_seconds, render

router = APIRouter(tags=["pages"], include_in_schema=False)
api_router = APIRouter(prefix="/api", tags=["exports"])

FEED_TITLE = "openrec: your clips"
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]()<>#+!|~-])")


# -- feed formats -------------------------------------------------------------------------------


def clip_id(entry: FeedEntry) -> str:
    """An entry's id: the same whatever the public URL, so a reader never sees a clip twice."""
    return f"urn:openrec:clip:{entry.recommendation_id}"


def _clip_html(entry: FeedEntry) -> str:
    posts = Markup("").join(
        Markup('<li><a href="{}">{}</a></li>').format(tweet.url, tweet.text) for tweet in entry.tweets
    )
    html = Markup('<p>{}</p><blockquote>{}</blockquote><p><a href="{}">Watch from {} to {}</a> · {}</p>').format(
        entry.explanation,
        entry.quote,
        entry.watch_url,
        format_seconds(entry.start_at),
        format_seconds(entry.end_at),
        entry.channel,
    )
    if posts:
        html += Markup("<p>Your posts behind it:</p><ul>{}</ul>").format(posts)
    return str(html)


def _clip_text(entry: FeedEntry) -> str:
    lines = [
        entry.explanation,
        "",
        f"“{entry.quote}”",
        "",
        f"Watch from {format_seconds(entry.start_at)}: {entry.watch_url}",
    ]
    lines += [f"Your post: {tweet.text} ({tweet.url})" for tweet in entry.tweets]
    return "\n".join(lines)


def _generator(settings: Settings, items: list[ExportEntry], self_url: str) -> Any:
    feed = FeedGenerator()
    feed.id(self_url)
    feed.title(FEED_TITLE)
    feed.subtitle("Clips chosen from your interests, each with why it was picked and the posts behind it.")
    feed.link(href=settings.public_url + "/", rel="alternate")
    feed.link(href=self_url, rel="self")
    feed.language("en")
    for item in reversed(items):  # feedgen puts each new entry first: add the last clip first
        entry, clip = feed.add_entry(), item.entry
        entry.id(clip_id(clip))
        entry.guid(clip_id(clip), permalink=False)
        entry.title(f"{clip.title} ({format_seconds(clip.start_at)}–{format_seconds(clip.end_at)})")
        entry.link(href=clip.watch_url)
        entry.published(item.published)
        entry.updated(item.published)
        entry.author(name=clip.channel or "YouTube")
        entry.description(_clip_html(clip))
        entry.content(_clip_html(clip), type="html")
    return feed


def rss(settings: Settings, items: list[ExportEntry], self_url: str) -> bytes:
    data: bytes = _generator(settings, items, self_url).rss_str(pretty=True)
    return data


def atom(settings: Settings, items: list[ExportEntry], self_url: str) -> bytes:
    data: bytes = _generator(settings, items, self_url).atom_str(pretty=True)
    return data


def json_feed(settings: Settings, items: list[ExportEntry], self_url: str) -> bytes:
    """JSON Feed 1.1 (https://jsonfeed.org/version/1.1), with the clip range and cited posts under `_openrec`."""
    body = {
        "version": "https://jsonfeed.org/version/1.1",
        "title": FEED_TITLE,
        "home_page_url": settings.public_url + "/",
        "feed_url": self_url,
        "language": "en",
        "items": [
            {
                "id": clip_id(item.entry),
                "url": item.entry.watch_url,
                "title": item.entry.title,
                "content_html": _clip_html(item.entry),
                "content_text": _clip_text(item.entry),
                "summary": item.entry.explanation,
                "date_published": _iso(item.published),
                "authors": [{"name": item.entry.channel}] if item.entry.channel else [],
                "_openrec": {
                    "video_id": item.entry.video_id,
                    "start_s": item.entry.start_s,
                    "end_s": item.entry.end_s,
                    "interest": item.entry.interest,
                    "quote": item.entry.quote,
                    "cited_posts": [{"url": t.url, "text": t.text} for t in item.entry.tweets],
                },
            }
            for item in items
        ],
    }
    return json.dumps(body, ensure_ascii=False, indent=2).encode()


def _iso(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


def liked_markdown(entries: list[FeedEntry]) -> str:
    """The liked clips as a Markdown list, each with its link from the clip's start, why, and the posts behind it."""
    lines = ["# Clips I liked on openrec", ""]
    if not entries:
        lines.append("_No liked clips yet._")
    for entry in entries:
        span = f"{format_seconds(entry.start_at)}–{format_seconds(entry.end_at)}"
        lines.append(f"## [{_md(entry.title)}]({entry.watch_url}) ({span})")
        lines.append("")
        lines.append(f"{_md(entry.channel)} · {_md(entry.interest)}" if entry.interest else _md(entry.channel))
        lines.append("")
        lines.append(_md(entry.explanation))
        lines.append("")
        lines.append(f"> {_md(entry.quote)}")
        for tweet in entry.tweets:
            lines.append(f"- [{_md(tweet.text)}]({tweet.url})")
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"


def _md(text: str) -> str:
    """Plain text for Markdown: one line, every character Markdown could read as markup escaped."""
    return _MARKDOWN_SPECIAL.sub(r"\\\1", " ".join(text.split()))


RENDERERS = {"rss": rss, "atom": atom, "json": json_feed}


@router.get("/feeds/{token}/clips.{kind}")
def export_feed(token: str, kind: str, request: Request, session: SessionDep, settings: SettingsDep) -> Response:
    if kind not in FEED_FORMATS:
        raise HTTPException(status_code=404, detail="No such feed format: use clips.rss, clips.atom or clips.json.")
    owner = user_by_feed_token(session, token=token)
    if owner is None:
        raise HTTPException(status_code=404, detail="No such feed: the link was replaced or never existed.")
    items = export_entries(session, user=owner)
    body = RENDERERS[kind](settings, items, feed_urls(settings, token)[kind])
    return Response(
        body,
        media_type=FEED_FORMATS[kind][1],
        headers={"cache-control": "private, max-age=300", "x-robots-tag": "noindex", "referrer-policy": "no-referrer"},
    )


# -- pages --------------------------------------------------------------------------------------


@router.get("/exports")
def exports_page(
    request: Request, user: CurrentUser, session: SessionDep, settings: SettingsDep, done: str | None = None
) -> Response:
    urls = feed_urls(settings, user.feed_token) if user.feed_token else None
    response = render(request, "exports.html", {"urls": urls, "done": done})
    response.headers["cache-control"] = "no-store"
    return response


@router.post("/exports/feed-links")
def exports_links(user: CurrentUser, session: SessionDep) -> Response:
    """Make the export links, or replace them (the old ones stop working)."""
    replaced = user.feed_token is not None
    if replaced:
        feed_token_rotate(session, user=user)
    else:
        feed_token(session, user=user)
    session.commit()
    return RedirectResponse(f"/exports?done={'replaced' if replaced else 'made'}", status_code=303)


@router.get("/exports/liked.md")
def exports_liked(user: CurrentUser, session: SessionDep) -> Response:
    return Response(
        liked_markdown(liked_entries(session, user=user)),
        media_type="text/markdown; charset=utf-8",
        headers={"content-disposition": 'attachment; filename="openrec-liked-clips.md"', "cache-control": "no-store"},
    )


@router.get("/why-not")
def why_not_page(request: Request, user: CurrentUser, session: SessionDep, video: str = "") -> Response:
    answer: WhyNot | None = None
    error = None
    if video.strip():
        try:
            answer = why_not(session, user=user, pasted=video[:500])
        except NotAVideoId as exc:
            error = str(exc)
    # A question answered on the page, like a search: text without a video id is told so, not refused.
    return render(request, "why_not.html", {"video": video[:500], "answer": answer, "error": error})


# -- JSON API -----------------------------------------------------------------------------------


class FeedUrlsOut(BaseModel):
    rss: str
    atom: str
    json_feed: str = Field(description="JSON Feed 1.1")


class WhyNotOut(BaseModel):
    video_id: str
    title: str = Field(description="The video's title, when any run has seen it.")
    stage: str = Field(description="search, screen, transcripts, clip or rank; `feed` when it is in the feed.")
    reason: str
    run_id: int | None = Field(description="The run that decided; null when no run has finished.")


def _urls_out(settings: Settings, token: str) -> FeedUrlsOut:
    urls = feed_urls(settings, token)
    return FeedUrlsOut(rss=urls["rss"], atom=urls["atom"], json_feed=urls["json"])


@api_router.get("/exports/feed-urls")
def api_feed_urls(user: ApiUser, session: SessionDep, settings: SettingsDep) -> FeedUrlsOut:
    """Your secret RSS, Atom and JSON Feed URLs (made on first use)."""
    token = feed_token(session, user=user)
    session.commit()
    return _urls_out(settings, token)


@api_router.post("/exports/feed-urls/replace")
def api_feed_urls_replace(user: ApiUser, session: SessionDep, settings: SettingsDep) -> FeedUrlsOut:
    """Replace the secret: the old URLs stop working at once."""
    token = feed_token_rotate(session, user=user)
    session.commit()
    return _urls_out(settings, token)


@api_router.get("/why-not", responses={400: {"description": "No video id in what was sent."}})
def api_why_not(
    user: ApiUser, session: SessionDep, video: str = Query(max_length=500, description="A video id or YouTube link.")
) -> WhyNotOut:
    """Which stage of your latest run dropped this video, and why."""
    try:
        answer = why_not(session, user=user, pasted=video)
    except NotAVideoId as exc:
        raise HTTPException(status_code=400, detail=str(exc)) from exc
    return WhyNotOut(
        video_id=answer.video_id, title=answer.title, stage=answer.stage, reason=answer.reason, run_id=answer.run_id
    )
