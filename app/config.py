"""Settings: the only place that reads the environment (and `.env`)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEV_SECRET_KEY = "openrec-development-secret-change-me"  # noqa: S105 - only outside production


class Settings(BaseSettings):
    """Every setting has a default that works with nothing configured (the embedded mode)."""

    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

    openrec_env: Literal["development", "production", "test"] = Field(
        "development", description="`production` makes a missing SECRET_KEY a start-up error."
    )
    secret_key: str = Field("", description="Signs session cookies and CSRF tokens.")
    database_url: str = Field(
        "sqlite:///data/openrec.sqlite3",
        description="SQLAlchemy URL; SQLite file by default, `postgresql+psycopg://…` in service mode.",
    )
    redis_url: str = Field("", description="Unset: runs execute in-process. Set: Celery on Redis.")
    openai_api_key: str = Field("", description="Key for OpenAI or any compatible server.")
    openai_base_url: str = Field("", description="Base URL of an OpenAI-compatible server (Ollama, vLLM, llama.cpp).")
    openrec_llm_model: str = Field("gpt-4o-mini", description="Model used by every LLM stage.")
    openrec_llm_models: dict[str, str] = Field(
        default_factory=dict,
        description='Per-stage model override as JSON, e.g. {"screen": "gpt-4o-mini", "clip": "gpt-4o"}.',
    )
    openrec_llm_concurrency: int = Field(4, ge=1, le=64, description="Concurrent LLM requests per run.")
    openrec_llm_timeout_s: float = Field(60.0, gt=0, description="Timeout of one LLM request.")
    openrec_llm_max_retries: int = Field(3, ge=0, le=10, description="Retries on 429/5xx/timeouts.")
    openrec_llm_prices: dict[str, tuple[float, float]] = Field(
        default_factory=lambda: {"gpt-4o-mini": (0.15, 0.60), "gpt-4o": (2.50, 10.00), "gpt-4.1-mini": (0.40, 1.60)},
        description="USD per million input/output tokens per model, as JSON.",
    )
    openrec_run_budget_usd: float = Field(0.10, ge=0, description="Most a run may spend on LLM calls.")
    youtube_api_key: str = Field("", description="YouTube Data API v3 key for the `api` video source.")
    x_bearer_token: str = Field("", description="X API v2 bearer token for 'connect by username'.")
    x_api_base_url: str = Field("https://api.x.com", description="X API base URL.")
    x_api_max_pages: int = Field(5, ge=1, le=100, description="Most pages fetched per X API timeline.")
    youtube_api_base_url: str = Field("https://www.googleapis.com/youtube/v3", description="YouTube Data API base URL.")
    youtube_api_max_retries: int = Field(
        3, ge=0, le=10, description="Retries of a YouTube Data API request on 429/5xx and network errors."
    )
    openrec_proxy_url: str = Field(
        "",
        description="Proxy for every request to YouTube (captions and yt-dlp), e.g. http://user:pass@host:port; "
        "needed where YouTube blocks the server's IP (cloud hosts).",
    )
    openrec_transcript_proxy_url: str = Field(
        "", description="Proxy for caption requests only (youtube-transcript-api); overrides OPENREC_PROXY_URL."
    )
    openrec_webshare_proxy_username: str = Field(
        "", description="Webshare rotating residential proxy user for caption requests (with the password)."
    )
    openrec_webshare_proxy_password: str = Field("", description="Webshare rotating residential proxy password.")
    openrec_webshare_proxy_locations: str = Field(
        "", description="Comma-separated country codes the Webshare proxy rotates through, e.g. `us,ca`."
    )
    openrec_ytdlp_proxy_url: str = Field(
        "", description="Proxy for yt-dlp only (search and subtitles); overrides OPENREC_PROXY_URL."
    )
    openrec_ytdlp_cookies_file: str = Field(
        "", description="Cookies file (Netscape format) yt-dlp sends to YouTube, for 'confirm you're not a bot'."
    )
    openrec_video_source: Literal["ytdlp", "api", "catalog"] = Field("ytdlp", description="Where videos come from.")
    openrec_catalog: str = Field("", description="Catalog JSON file for the `catalog` video source.")
    openrec_max_upload_mb: int = Field(512, ge=1, description="Largest archive upload accepted, in MiB.")
    openrec_archive_max_uncompressed_mb: int = Field(1024, ge=1, description="ZIP bomb limit: total uncompressed MiB.")
    openrec_archive_max_members: int = Field(50_000, ge=1, description="Most members an archive ZIP may hold.")
    openrec_public_url: str = Field(
        "", description="Public base URL of the web app, for feed export links (default: where `openrec serve` binds)."
    )
    openrec_login_attempts: int = Field(5, ge=1, description="Failed sign-ins allowed per window.")
    openrec_login_window_s: int = Field(300, ge=1, description="Sign-in rate-limit window, in seconds.")
    openrec_session_days: int = Field(30, ge=1, description="How long a sign-in lasts.")
    openrec_run_heartbeat_s: int = Field(120, ge=5, description="A run with an older heartbeat is stale.")
    openrec_run_max_attempts: int = Field(3, ge=1, description="Deliveries of a run before it is failed.")
    openrec_task_soft_time_limit_s: int = Field(900, ge=10, description="Soft time limit of a worker task.")
    openrec_queue: str = Field(
        "openrec", min_length=1, description="Celery queue the runs travel on (the web app and workers must agree)."
    )
    openrec_youtube_player_stub: bool = Field(
        False, description="Serve a local stub of the YouTube player API (tests)."
    )
    openrec_secure_cookies: bool = Field(False, description="Mark cookies Secure (serve over HTTPS).")
    openrec_log_level: str = Field("INFO", description="Log level.")
    openrec_log_json: bool = Field(False, description="Log as JSON lines instead of key=value.")
    openrec_host: str = Field("127.0.0.1", description="Address `openrec serve` binds.")
    openrec_port: int = Field(8000, description="Port `openrec serve` binds.")
    openrec_workers: int = Field(
        0, ge=0, le=64, description="Web server processes; 0: one per CPU in service mode, one otherwise."
    )
    openrec_web_threads: int = Field(
        4,
        ge=1,
        le=256,
        description="Threads per server process for request handlers: a few beat many taking turns on Python's lock.",
    )
    openrec_access_log: bool = Field(
        False, description="Also print the server's access log (the structured request log already has every request)."
    )

    @model_validator(mode="after")
    def _require_secret_in_production(self) -> Settings:
        if self.openrec_env == "production" and not self.secret_key:
            raise ValueError("SECRET_KEY must be set when OPENREC_ENV=production")
        if not self.secret_key:
            self.secret_key = DEV_SECRET_KEY
        return self

    @property
    def llm_configured(self) -> bool:
        """An LLM endpoint is configured when either a key or a base URL is set."""
        return bool(self.openai_api_key or self.openai_base_url)

    @property
    def service_mode(self) -> bool:
        """Runs go to Celery only when Redis is configured."""
        return bool(self.redis_url)

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    def web_workers(self, cpus: int) -> int:
        """How many processes `openrec serve` starts.

        One per CPU in service mode. Otherwise one: runs execute on threads of the web
        process and sign-in attempts are counted in its memory, so more processes would
        multiply both limits, and SQLite takes one writer at a time whatever serves it.
        """
        if self.openrec_workers:
            return self.openrec_workers
        return max(1, cpus) if self.service_mode and not self.is_sqlite else 1

    @property
    def ytdlp_proxy_url(self) -> str:
        """The proxy yt-dlp uses: its own, else the shared one."""
        return self.openrec_ytdlp_proxy_url or self.openrec_proxy_url

    @property
    def transcript_proxy_url(self) -> str:
        """The generic proxy caption requests use: their own, else the shared one."""
        return self.openrec_transcript_proxy_url or self.openrec_proxy_url

    def model_for(self, stage: str) -> str:
        """The model for one LLM stage: its override, else the default model."""
        return self.openrec_llm_models.get(stage, self.openrec_llm_model)

    @property
    def public_url(self) -> str:
        """The base URL links given out of the app are built on, without a trailing slash."""
        return (self.openrec_public_url or f"http://{self.openrec_host}:{self.openrec_port}").rstrip("/")

    def sqlite_path(self) -> Path | None:
        """The SQLite file, so its folder can be created before first use."""
        if not self.is_sqlite or ":memory:" in self.database_url:
            return None
        return Path(self.database_url.split("///", 1)[1])


@lru_cache
def get_settings() -> Settings:
    return Settings()
