"""Imports into the tweet store: exact counts, no duplicates on re-import, nothing written on refusal."""

from __future__ import annotations

import io
import json
import re
import sys
from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.db import session_scope
from app.models import ImportJob, Tweet, User
from app.services.imports import (
    INSERT_CHUNK_ROWS,
    SKIP_ALREADY_STORED,
    import_archive,
    import_failure_record,
    import_paste,
    import_x_api,
    imports_list,
)
from app.services.users import user_by_email
from app.sources.paste import MAX_ENTRY_CHARS, SKIP_SHORTENED, PasteError, note_id
from app.sources.tweet_records import RecordBatch, TweetRecord
from app.sources.x_api import XApiResult, XUser
from app.sources.x_archive import SKIP_TWEET_ID, ArchiveError
from tests.archive_factory import account_entry, build_archive, like_entry, raw_archive_counts, snowflake, tweet_entry
from tests.conftest import SHARED

PERSONAS = SHARED / "eval" / "dev" / "personas"
T0 = datetime(2026, 5, 1, 9, 30, tzinfo=UTC)


def _stored(session: Session, user: Any) -> list[Tweet]:
    return list(session.scalars(select(Tweet).where(Tweet.user_id == user.id).order_by(Tweet.tweet_id)))


def _jobs(session: Session, user: Any) -> int:
    return session.scalar(select(func.count()).select_from(ImportJob).where(ImportJob.user_id == user.id)) or 0


@pytest.mark.parametrize("persona", ["lena", "omar", "rosa"])
def test_dev_persona_imports_with_exact_counts_and_reimport_adds_nothing(
    session: Session, user: Any, persona: str
) -> None:
    path = PERSONAS / f"{persona}.zip"
    expected, ids = raw_archive_counts(path)
    labels = json.loads((SHARED / "eval" / "dev" / "labels.json").read_text())["personas"][persona]

    job = import_archive(session, user=user, data=path.read_bytes(), filename=path.name)

    assert job.status == "succeeded"
    assert job.counts == dict(expected)
    assert job.skipped == {}
    assert job.filename == f"{persona}.zip"
    rows = _stored(session, user)
    assert Counter(row.kind for row in rows) == expected
    assert {row.tweet_id for row in rows} == ids == set(labels["tweet_ids"])
    assert all(row.source == "archive" and row.url == f"https://x.com/i/status/{row.tweet_id}" for row in rows)
    assert user.x_username == job.account_username
    assert user.x_username and user.x_display_name

    again = import_archive(session, user=user, data=path.read_bytes(), filename=path.name)

    assert again.counts == dict.fromkeys(expected, 0)
    assert again.skipped == {SKIP_ALREADY_STORED: sum(expected.values())}
    assert len(_stored(session, user)) == len(rows)


def test_stored_rows_keep_text_dates_and_like_order(session: Session, user: Any) -> None:
    liked = [snowflake(T0 - timedelta(days=n), n) for n in range(3)]
    data = build_archive(
        [tweet_entry(snowflake(T0, 9), "Tea &amp; toast", T0, lang="de")],
        [like_entry(liked[0], "first"), like_entry(liked[1], None), like_entry(liked[2], "third")],
        account=account_entry("ann_example", "Ann & Co"),
    )
    import_archive(session, user=user, data=data, filename="twitter-2026.zip")
    rows = {row.tweet_id: row for row in _stored(session, user)}
    post = rows[snowflake(T0, 9)]
    assert (post.kind, post.text, post.created_at, post.lang) == ("tweet", "Tea & toast", T0, "de")
    assert [rows[i].like_order for i in liked] == [0, 1, 2]
    assert [rows[i].text for i in liked] == ["first", "", "third"]
    assert [rows[i].created_at for i in liked] == [T0 - timedelta(days=n) for n in range(3)]
    assert (user.x_username, user.x_display_name) == ("ann_example", "Ann & Co")


def test_a_refused_archive_writes_nothing_and_keeps_earlier_data(session: Session, user: Any) -> None:
    import_archive(session, user=user, data=(PERSONAS / "lena.zip").read_bytes(), filename="lena.zip")
    before = [(row.tweet_id, row.text) for row in _stored(session, user)]
    jobs = _jobs(session, user)
    broken = build_archive([tweet_entry(snowflake(T0), "new post", T0)], account=account_entry("someone_else", "X"))
    username = user.x_username

    with pytest.raises(ArchiveError):
        import_archive(session, user=user, data=broken[: len(broken) - 30], filename="broken.zip")

    assert [(row.tweet_id, row.text) for row in _stored(session, user)] == before
    assert _jobs(session, user) == jobs
    assert user.x_username == username


def test_a_partial_archive_keeps_its_good_records(session: Session, user: Any) -> None:
    good = [tweet_entry(snowflake(T0, n), f"good {n}", T0) for n in range(3)]
    bad = tweet_entry("", "no id", T0)
    job = import_archive(session, user=user, data=build_archive([good[0], bad, good[1], good[2]]))
    assert job.counts == {"tweet": 3}
    assert job.skipped == {SKIP_TWEET_ID: 1}
    assert [row.text for row in _stored(session, user)] == ["good 0", "good 1", "good 2"]


def test_imports_larger_than_one_insert_chunk(session: Session, user: Any) -> None:
    likes = [like_entry(snowflake(T0 - timedelta(minutes=n), n), f"like {n}") for n in range(INSERT_CHUNK_ROWS + 500)]
    tweets = [tweet_entry(snowflake(T0, 5000 + n), f"post {n}", T0) for n in range(10)]
    job = import_archive(session, user=user, data=build_archive(tweets, likes))
    assert job.counts == {"tweet": 10, "like": INSERT_CHUNK_ROWS + 500}
    orders = session.scalars(select(Tweet.like_order).where(Tweet.user_id == user.id, Tweet.kind == "like"))
    assert sorted(orders) == list(range(INSERT_CHUNK_ROWS + 500))


def test_each_user_has_their_own_store(session: Session, make_user: Any) -> None:
    first, second = make_user(), make_user()
    data = (PERSONAS / "omar.zip").read_bytes()
    one = import_archive(session, user=first, data=data)
    two = import_archive(session, user=second, data=data)
    assert one.counts == two.counts
    assert len(_stored(session, first)) == len(_stored(session, second)) == sum(one.counts.values())


def test_paste_splits_lines_or_blocks_and_re_paste_adds_nothing(session: Session, user: Any) -> None:
    job = import_paste(session, user=user, text="Learning Rust lifetimes\n\n  \nsourdough starter tips\r\n")
    assert job.counts == {"note": 2}
    blocks = "First note\nstill the first note\n\nSecond note"
    job = import_paste(session, user=user, text=blocks)
    assert job.counts == {"note": 2}
    texts = {row.text for row in _stored(session, user)}
    assert "First note\nstill the first note" in texts

    again = import_paste(session, user=user, text="LEARNING   rust lifetimes\nSourdough starter tips")
    assert again.counts == {"note": 0}
    assert again.skipped == {SKIP_ALREADY_STORED: 2}
    rows = _stored(session, user)
    assert len(rows) == 4
    assert all(row.kind == "note" and row.source == "paste" and row.tweet_id.startswith("note-") for row in rows)
    assert note_id("Learning Rust lifetimes") in {row.tweet_id for row in rows}


def test_paste_caps_entries_and_refuses_empty_text(session: Session, user: Any) -> None:
    job = import_paste(session, user=user, text="a" * (MAX_ENTRY_CHARS + 10))
    assert job.skipped == {SKIP_SHORTENED: 1}
    assert [len(row.text) for row in _stored(session, user)] == [MAX_ENTRY_CHARS]
    with pytest.raises(PasteError, match="nothing to import"):
        import_paste(session, user=user, text=" \n\n \t\n")


def test_x_api_results_are_stored_once(session: Session, user: Any) -> None:
    batch = RecordBatch()
    for n, kind in enumerate(["tweet", "retweet", "quote", "reply", "like"]):
        tweet_id = snowflake(T0, n)
        batch.add(TweetRecord(tweet_id, kind, f"{kind} text", T0, f"https://x.com/i/status/{tweet_id}"))  # type: ignore[arg-type]
    fetched = XApiResult(user=XUser(id="783214", username="Twitter", name="Twitter"), batch=batch)
    job = import_x_api(session, user=user, fetched=fetched)
    assert job.source == "x_api"
    assert job.counts == {"like": 1, "quote": 1, "reply": 1, "retweet": 1, "tweet": 1}
    assert (user.x_username, job.account_username) == ("Twitter", "Twitter")
    assert import_x_api(session, user=user, fetched=fetched).skipped == {SKIP_ALREADY_STORED: 5}
    assert {row.source for row in _stored(session, user)} == {"x_api"}


def test_failures_are_recorded_and_listed_newest_first(session: Session, user: User, make_user: Any) -> None:
    import_paste(session, user=user, text="one note")
    failed = import_failure_record(session, user=user, source="archive", error="not a ZIP", filename="x" * 300)
    import_paste(session, user=make_user(), text="someone else's note")
    listed = imports_list(session, user=user)
    assert [job.id for job in listed] == sorted((job.id for job in listed), reverse=True)
    assert listed[0].id == failed.id
    assert (failed.status, failed.error, len(failed.filename or "")) == ("failed", "not a ZIP", 255)
    assert {job.source for job in listed} == {"archive", "paste"}


def test_a_cli_import_whose_reader_stops_early_is_still_stored(monkeypatch: pytest.MonkeyPatch) -> None:
    """`openrec import-archive ... | head -1`: the reader closes the pipe before the report ends, and the import it
    reports must not be undone by that."""
    from app.cli import main
    from tests.conftest import PASSWORD, unique_email

    class ClosedPipe(io.StringIO):
        def write(self, text: str) -> int:
            raise BrokenPipeError(32, "Broken pipe")

    email = unique_email("cli")
    expected, _ = raw_archive_counts(PERSONAS / "lena.zip")
    assert main(["create-user", email, "--password", PASSWORD]) == 0
    monkeypatch.setattr(sys, "stdout", ClosedPipe())
    assert main(["import-archive", email, str(PERSONAS / "lena.zip")]) == 1  # quietly: no traceback
    with session_scope() as session:
        user = user_by_email(session, email=email)
        assert user is not None
        stored = session.scalar(select(func.count()).select_from(Tweet).where(Tweet.user_id == user.id))
    assert stored == sum(expected.values())


def test_cli_import_archive_prints_counts_and_skips(capsys: pytest.CaptureFixture[str], tmp_path: Any) -> None:
    from app.cli import main
    from tests.conftest import PASSWORD, unique_email

    email = unique_email("cli")
    expected, _ = raw_archive_counts(PERSONAS / "lena.zip")
    assert main(["create-user", email, "--password", PASSWORD]) == 0
    assert main(["import-archive", email, str(PERSONAS / "lena.zip")]) == 0
    out = capsys.readouterr().out
    assert f"imported lena.zip (@lena_queries) for {email}: {sum(expected.values())} new" in out
    for kind, count in expected.items():
        assert re.search(rf"^\s+{kind}\s+{count}$", out, re.MULTILINE)

    assert main(["import-archive", email, str(PERSONAS / "lena.zip")]) == 0
    assert f"skipped {sum(expected.values())}: {SKIP_ALREADY_STORED}" in capsys.readouterr().out

    junk = tmp_path / "junk.zip"
    junk.write_bytes(b"not a zip at all")
    assert main(["import-archive", email, str(junk)]) == 2
    assert "junk.zip: The file is not a ZIP archive" in capsys.readouterr().err
    assert main(["import-archive", "nobody@example.com", str(PERSONAS / "lena.zip")]) == 2
    assert "no user with email nobody@example.com" in capsys.readouterr().err
    assert main(["import-archive", email, str(tmp_path / "missing.zip")]) == 2
    assert "no such file" in capsys.readouterr().err
