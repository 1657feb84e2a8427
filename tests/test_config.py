"""Settings: defaults work with nothing set; production insists on a secret key."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from app.config import DEV_SECRET_KEY, Settings


def test_defaults_need_nothing(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)  # no .env here
    for name in ("DATABASE_URL", "SECRET_KEY", "OPENREC_ENV", "REDIS_URL"):
        monkeypatch.delenv(name, raising=False)
    settings = Settings()
    assert settings.is_sqlite and not settings.service_mode and not settings.llm_configured
    assert settings.secret_key == DEV_SECRET_KEY


def test_production_without_secret_key_fails_to_start(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.setenv("OPENREC_ENV", "production")
    with pytest.raises(ValidationError, match="SECRET_KEY"):
        Settings()


def test_env_file_is_read(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("OPENREC_LLM_MODEL", raising=False)
    (tmp_path / ".env").write_text("OPENREC_LLM_MODEL=llama3.1\n")
    assert Settings().openrec_llm_model == "llama3.1"


def test_per_stage_model_override(monkeypatch):
    monkeypatch.setenv("OPENREC_LLM_MODELS", '{"clip": "gpt-4o"}')
    settings = Settings()
    assert settings.model_for("clip") == "gpt-4o"
    assert settings.model_for("screen") == settings.openrec_llm_model
