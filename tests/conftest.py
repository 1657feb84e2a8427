"""Test database and app fixtures.

The suite runs on a SQLite file by default and on PostgreSQL when TEST_DATABASE_URL is
set; either way each test process gets its own database (a temporary file, or a
schema of its own that is dropped afterwards), so a shared server is never wiped.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.orm import Session

_TEST_PG = os.environ.get("TEST_DATABASE_URL", "")
_SCHEMA = f"openrec_test_{uuid.uuid4().hex[:12]}"
_TMP = Path(tempfile.mkdtemp(prefix="openrec-test-"))

if _TEST_PG:
    _sep = "&" if "?" in _TEST_PG else "?"
    DATABASE_URL = f"{_TEST_PG}{_sep}options=-csearch_path%3D{_SCHEMA}"
else:
    DATABASE_URL = f"sqlite:///{_TMP / 'test.sqlite3'}"

# Settings are read from the environment: pin everything a developer's .env could change.
os.environ.update(
    {
        "DATABASE_URL": DATABASE_URL,
        "OPENREC_ENV": "test",
        "REDIS_URL": "",
        "OPENAI_API_KEY": "",
        "OPENAI_BASE_URL": "",
        "YOUTUBE_API_KEY": "",
        "X_BEARER_TOKEN": "",
        "OPENREC_VIDEO_SOURCE": "ytdlp",
        "OPENREC_CATALOG": "",
        "SECRET_KEY": "test-secret-key",
    }
)

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"


def reset_caches() -> None:
    """Forget cached settings and engines after a test changes the environment."""
    from app.config import get_settings
    from app.db import forget_engines

    get_settings.cache_clear()
    forget_engines()


@pytest.fixture(scope="session", autouse=True)
def _database() -> Iterator[str]:
    from app.migrate import upgrade_to_head

    admin = None
    if _TEST_PG:
        admin = create_engine(_TEST_PG, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'CREATE SCHEMA "{_SCHEMA}"'))
    reset_caches()
    upgrade_to_head()
    yield DATABASE_URL
    from app.db import get_engine

    get_engine().dispose()
    if admin is not None:
        with admin.connect() as conn:
            conn.execute(text(f'DROP SCHEMA "{_SCHEMA}" CASCADE'))
        admin.dispose()
    shutil.rmtree(_TMP, ignore_errors=True)


@pytest.fixture
def session() -> Iterator[Session]:
    """A session whose work is rolled back after the test (commits become savepoints)."""
    from app.db import get_engine

    # Deferred on SQLite: the test's open transaction must not block other connections' reads.
    connection = get_engine().connect().execution_options(sqlite_begin="DEFERRED")
    transaction = connection.begin()
    db = Session(bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False)
    try:
        yield db
    finally:
        db.close()
        transaction.rollback()
        connection.close()


def unique_email(prefix: str = "user") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}@example.com"


PASSWORD = "correct horse battery staple"


@pytest.fixture
def make_user(session: Session) -> Callable[..., object]:
    from app.models import User
    from app.services.users import user_create

    def make(email: str | None = None, password: str = PASSWORD) -> User:
        return user_create(session, email=email or unique_email(), password=password)

    return make


@pytest.fixture
def user(make_user: Callable[..., object]) -> object:
    return make_user()


@pytest.fixture
def app():  # type: ignore[no-untyped-def]
    from app.config import get_settings
    from app.main import create_app

    return create_app(get_settings())


@pytest.fixture
def client(app):  # type: ignore[no-untyped-def]
    from fastapi.testclient import TestClient

    with TestClient(app) as c:
        c.get("/login")  # receive the CSRF cookie like a browser's first visit
        yield c


def csrf_for(client) -> str:  # type: ignore[no-untyped-def]
    """The CSRF token a page served to this client would carry."""
    from app.config import get_settings
    from app.security import CSRF_COOKIE, csrf_token_for

    return csrf_token_for(get_settings(), client.cookies[CSRF_COOKIE])


def signup(client, email: str | None = None, password: str = PASSWORD) -> str:  # type: ignore[no-untyped-def]
    """Sign up (and so sign in) through the real form; returns the email."""
    email = email or unique_email()
    response = client.post(
        "/signup", data={"email": email, "password": password, "csrf_token": csrf_for(client)}, follow_redirects=False
    )
    assert response.status_code == 303, response.text
    return email


@pytest.fixture
def signed_in(client):  # type: ignore[no-untyped-def]
    """A client signed in as a fresh user."""
    signup(client)
    return client
