"""`openrec doctor`: checks what a server needs, says what works and what to set.

Each check answers in a line: the database (reachable, schema up to date), Redis
(when service mode is configured), the model endpoint (one tiny structured call), the
local engine's embedding models (installed with the package, loaded offline), a yt-dlp
search and one caption fetch through the configured proxy. A failed check
names the setting that fixes it; any failure makes the command exit non-zero.
Secrets (keys, proxy passwords, database passwords) are never printed.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from pydantic import BaseModel
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError

from app.config import Settings
from app.llm.local.embeddings import EmbeddingsUnavailable, embed
from app.llm.local.encoder import EncoderUnavailable, encode
from app.sources.base import (
    BLOCKED_NOTE,
    SourceError,
    SourceUnreachable,
    TranscriptBlocked,
    TranscriptSource,
    TranscriptUnavailable,
    TranscriptUnreachable,
)
from app.sources.base import VideoSource as VideoSearch
from app.sources.transcripts import YouTubeTranscripts
from app.sources.youtube import YtDlpSource
from app.sources.youtube_network import describe_transcript_proxy, redacted, transcript_proxy, ytdlp_network_options

SEARCH_QUERY = "how a bicycle works"
# "Me at the zoo", the first YouTube video: public since 2005, with English captions.
CAPTION_VIDEO = "jNQXAC9IVRw"
TIMEOUT_S = 15.0
# No answer at all, with no proxy set: the way out of this server is what fails, not YouTube's welcome.
NO_ROUTE_FIX = (
    "check this server's network connection; where a firewall blocks YouTube, set OPENREC_PROXY_URL (see README)"
)


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    detail: str
    fix: str = ""


class Pong(BaseModel):
    """What the model is asked to answer: the smallest structured reply."""

    ok: bool


def check_database(settings: Settings) -> Check:
    """Reachable, and migrated to the newest schema."""
    from alembic.runtime.migration import MigrationContext
    from alembic.script import ScriptDirectory

    from app.db import make_engine
    from app.migrate import alembic_config

    shown = make_url(settings.database_url).render_as_string(hide_password=True)
    path = settings.sqlite_path()
    if path is not None and not path.exists():
        return Check("database", False, f"{shown}: the file does not exist yet", "run `openrec migrate` to create it")
    engine = make_engine(settings.database_url)
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
            current = set(MigrationContext.configure(connection).get_current_heads())
        heads = set(ScriptDirectory.from_config(alembic_config()).get_heads())
    except SQLAlchemyError as exc:
        reason = (str(getattr(exc, "orig", None) or exc).strip().splitlines() or [type(exc).__name__])[0]
        return Check("database", False, f"{shown}: {reason}", "check DATABASE_URL and that the server is running")
    finally:
        engine.dispose()
    if current != heads:
        return Check("database", False, f"{shown}: the schema is not up to date", "run `openrec migrate`")
    return Check("database", True, f"{shown}: reachable, schema up to date")


def check_redis(settings: Settings) -> Check:
    """Answers PING when REDIS_URL is set; without it runs execute inside `openrec serve`."""
    if not settings.redis_url:
        return Check("redis", True, "not set: runs execute inside `openrec serve` (embedded mode)")
    import redis

    shown = redacted(settings.redis_url)
    client = redis.Redis.from_url(settings.redis_url, socket_timeout=TIMEOUT_S, socket_connect_timeout=TIMEOUT_S)
    try:
        client.ping()
    except redis.RedisError as exc:
        return Check("redis", False, f"{shown}: {exc}", "check REDIS_URL, or unset it to run without workers")
    finally:
        client.close()
    return Check("redis", True, f"{shown}: answers PING")


def check_model(settings: Settings) -> Check:
    """One tiny structured call to the configured endpoint; without one, the local engine does every stage."""
    if not settings.llm_configured:
        return Check(
            "model",
            True,
            "none configured: the local engine does every stage (no key needed)",
            "set OPENAI_API_KEY, or OPENAI_BASE_URL for a local server, to use a model",
        )
    from app.llm.openai_client import ChatClient, LLMError

    endpoint = settings.openai_base_url or "https://api.openai.com/v1"
    model = settings.openrec_llm_model
    client = ChatClient(
        api_key=settings.openai_api_key, base_url=settings.openai_base_url, timeout_s=TIMEOUT_S, max_retries=0
    )
    messages = [
        {"role": "system", "content": "You check that a server is reachable."},
        {"role": "user", "content": "Answer with ok set to true."},
    ]
    try:
        client.complete(model=model, messages=messages, output=Pong, max_tokens=20)
    except LLMError as exc:
        return Check(
            "model",
            False,
            f"{endpoint} ({model}): {exc}",
            "check OPENAI_BASE_URL, OPENAI_API_KEY and OPENREC_LLM_MODEL",
        )
    finally:
        client.close()
    return Check("model", True, f"{endpoint} ({model}): answers structured output")


def check_local_engine() -> Check:
    """The local engine's token vectors and sentence encoder load from their installed packages: without them no
    run can work out interests or clips, key or no key."""
    try:
        embed([SEARCH_QUERY])
        encode([SEARCH_QUERY])
    except (EmbeddingsUnavailable, EncoderUnavailable) as exc:
        return Check("local engine", False, str(exc), "reinstall openrec with its dependencies (`pip install .`)")
    return Check("local engine", True, "token vectors and sentence encoder load offline")


def check_search(settings: Settings, source: VideoSearch | None = None) -> Check:
    """One yt-dlp search, through the yt-dlp proxy when one is set."""
    proxy = ytdlp_network_options(settings).get("proxy")
    route = f"through {redacted(proxy)}" if proxy else "directly, no proxy"
    fix = (
        "check OPENREC_YTDLP_PROXY_URL / OPENREC_PROXY_URL, or OPENREC_YTDLP_COOKIES_FILE (see README)"
        if proxy
        else "set OPENREC_PROXY_URL (see README)"
    )
    source = source or YtDlpSource(timeout_s=TIMEOUT_S, network=ytdlp_network_options(settings))
    try:
        found = source.search(SEARCH_QUERY, 1)
    except SourceError as exc:
        no_route = isinstance(exc, SourceUnreachable) and not proxy
        return Check("search", False, f"yt-dlp ({route}): {exc}", NO_ROUTE_FIX if no_route else fix)
    if not found:
        return Check("search", False, f"yt-dlp ({route}): no videos found", fix)
    return Check("search", True, f"yt-dlp ({route}): found a video")


def check_captions(settings: Settings, source: TranscriptSource | None = None) -> Check:
    """One caption fetch with youtube-transcript-api, through the caption proxy when one is set."""
    proxy = transcript_proxy(settings)
    route = describe_transcript_proxy(settings)
    fix = (
        "check OPENREC_TRANSCRIPT_PROXY_URL / OPENREC_PROXY_URL or the Webshare settings (see README)"
        if proxy is not None
        else "set OPENREC_PROXY_URL (see README)"
    )
    source = source or YouTubeTranscripts(timeout_s=TIMEOUT_S, proxy=proxy)
    try:
        found = source.fetch(CAPTION_VIDEO)
    except TranscriptBlocked:
        return Check("captions", False, f"(with {route}) {BLOCKED_NOTE}", fix)
    except TranscriptUnavailable as exc:
        no_route = isinstance(exc, TranscriptUnreachable) and proxy is None
        return Check("captions", False, f"(with {route}) {exc.reason}", NO_ROUTE_FIX if no_route else fix)
    return Check("captions", True, f"(with {route}) fetched {len(found.segments)} caption lines")


def run_checks(
    settings: Settings, *, search: VideoSearch | None = None, captions: TranscriptSource | None = None
) -> list[Check]:
    """Every check, in order; YouTube is not asked when the catalog is the video source."""
    checks: list[Callable[[], Check]] = [
        lambda: check_database(settings),
        lambda: check_redis(settings),
        lambda: check_model(settings),
        check_local_engine,
    ]
    if settings.openrec_video_source == "catalog":
        skipped = "not used: OPENREC_VIDEO_SOURCE=catalog"
        return [check() for check in checks] + [Check("search", True, skipped), Check("captions", True, skipped)]
    checks += [lambda: check_search(settings, search), lambda: check_captions(settings, captions)]
    return [check() for check in checks]


def report(checks: Sequence[Check]) -> str:
    """The checks as aligned lines, then what to set."""
    width = max(len(check.name) for check in checks)
    lines = [f"{'ok' if check.ok else 'FAIL':<4}  {check.name:<{width}}  {check.detail}" for check in checks]
    fixes = [f"  {check.name}: {check.fix}" for check in checks if check.fix]
    if fixes:
        lines += ["", "What to set:", *fixes]
    failed = sum(not check.ok for check in checks)
    lines += ["", f"{failed} check{'s' if failed != 1 else ''} failed." if failed else "Everything works."]
    return "\n".join(lines)
