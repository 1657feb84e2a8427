"""The X archive parser: the real export format, the dev-set personas, and hostile ZIPs."""

from __future__ import annotations

import io
import json
import re
import struct
import zipfile
from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest

from app.sources.tweet_records import SKIP_DUPLICATE, snowflake_time
from app.sources.x_archive import (
    SKIP_LIKE_ID,
    SKIP_TWEET_ID,
    SKIP_TWEET_SHAPE,
    SKIP_TWEET_TEXT,
    SKIP_UNSAFE_PATH,
    ArchiveError,
    ArchiveLimits,
    parse_archive,
)
from tests.archive_factory import (
    account_entry,
    archive_files,
    build_archive,
    js_file,
    like_entry,
    many_members_zip,
    raw_archive_counts,
    raw_list,
    snowflake,
    tweet_entry,
    zip_bytes,
)
from tests.conftest import SHARED

PERSONAS = SHARED / "eval" / "dev" / "personas"
T0 = datetime(2026, 3, 1, 12, 0, 0, tzinfo=UTC)


def _tweet(n: int, text: str = "", **kwargs: object) -> dict[str, object]:
    moment = T0 - timedelta(hours=n)
    return tweet_entry(snowflake(moment, n), text or f"post number {n}", moment, **kwargs)  # type: ignore[arg-type]


@pytest.mark.parametrize("persona", ["lena", "omar", "rosa"])
def test_dev_personas_parse_with_exact_counts(persona: str) -> None:
    path = PERSONAS / f"{persona}.zip"
    labels = json.loads((SHARED / "eval" / "dev" / "labels.json").read_text())["personas"][persona]
    expected, raw_ids = raw_archive_counts(path)

    parsed = parse_archive(path.read_bytes())

    assert Counter(parsed.counts()) == expected
    assert {item.tweet_id for item in parsed.items} == raw_ids == set(labels["tweet_ids"])
    assert not parsed.skipped
    with zipfile.ZipFile(path) as archive:
        account = raw_list(archive, "data/account.js")[0]["account"]
    assert parsed.account is not None
    assert parsed.account.username == account["username"]  # type: ignore[index]
    assert parsed.account.display_name == account["accountDisplayName"]  # type: ignore[index]
    likes = [item for item in parsed.items if item.kind == "like"]
    assert [like.like_order for like in likes] == list(range(len(likes)))


def test_persona_read_from_an_open_file() -> None:
    with (PERSONAS / "rosa.zip").open("rb") as handle:
        parsed = parse_archive(handle)
    assert {"data/tweets.js", "data/tweets-part1.js"} <= set(parsed.files)


def test_text_is_unescaped_and_links_expanded() -> None:
    tweet = _tweet(
        1,
        "Fish &amp; chips &lt;3 &gt; salad https://t.co/abc123 https://t.co/pic999",
        urls=[("https://t.co/abc123", "https://example.org/a?b=1&lt=2")],
        media=["https://t.co/pic999"],
    )
    [item] = parse_archive(build_archive([tweet])).items
    assert item.text == "Fish & chips <3 > salad https://example.org/a?b=1&lt=2"
    assert item.kind == "tweet"
    assert item.url == f"https://x.com/i/status/{item.tweet_id}"
    assert item.created_at == T0 - timedelta(hours=1)
    assert item.lang == "en"


def test_kinds_follow_the_archive_rules() -> None:
    tweets = [
        _tweet(1, "RT @someone: a retweeted thought", mentions=["someone"]),
        _tweet(2, "@friend I agree", reply_to="1234567890123456789"),
        _tweet(3, "worth a read https://t.co/q1", urls=[("https://t.co/q1", "https://twitter.com/ann/status/123")]),
        _tweet(4, "also https://t.co/q2", urls=[("https://t.co/q2", "https://x.com/bob/status/456?s=20")]),
        _tweet(5, "my blog https://t.co/b1", urls=[("https://t.co/b1", "https://blog.example/status/789")]),
        _tweet(6, "@friend not a reply after all", reply_to="-1"),
    ]
    items = parse_archive(build_archive(tweets)).items
    assert [item.kind for item in items] == ["retweet", "reply", "quote", "quote", "tweet", "tweet"]


def test_likes_keep_file_order_across_parts_and_get_snowflake_dates() -> None:
    moments = [T0 - timedelta(days=n) for n in range(5)]
    likes = [like_entry(snowflake(moment, 7), f"liked &amp; {n}") for n, moment in enumerate(moments)]
    likes[2] = like_entry(likes[2]["like"]["tweetId"], None)
    parsed = parse_archive(build_archive([_tweet(1)], likes, like_parts=2))
    assert set(parsed.files) >= {"data/like.js", "data/like-part1.js"}
    got = [item for item in parsed.items if item.kind == "like"]
    assert [item.like_order for item in got] == [0, 1, 2, 3, 4]
    assert [item.tweet_id for item in got] == [like["like"]["tweetId"] for like in likes]
    assert [item.created_at for item in got] == moments
    assert [item.text for item in got] == ["liked & 0", "liked & 1", "", "liked & 3", "liked & 4"]
    assert got[2].url == f"https://x.com/i/status/{got[2].tweet_id}"


def test_snowflake_dates_only_for_plausible_ids() -> None:
    moment = datetime(2023, 2, 18, 12, 33, 11, 123000, tzinfo=UTC)
    assert snowflake_time(snowflake(moment)) == moment
    assert snowflake_time("20") is None  # a 2006 sequential id carries no time
    assert snowflake_time("29700859247") is None
    assert snowflake_time(snowflake(datetime.now(UTC) + timedelta(days=30))) is None
    assert snowflake_time("12ab") is None


def test_unreadable_tweet_date_falls_back_to_the_snowflake() -> None:
    tweet = _tweet(3)
    tweet["tweet"]["created_at"] = "yesterday-ish"  # type: ignore[index]
    [item] = parse_archive(build_archive([tweet])).items
    assert item.created_at == snowflake_time(item.tweet_id)
    assert item.created_at == T0 - timedelta(hours=3)


def test_older_tweet_js_and_a_wrapping_folder_are_read() -> None:
    files = {
        "twitter-2021-01-01-abc/data/tweet.js": js_file("YTD.tweet.part0", [_tweet(1), _tweet(2)]) + ";\n",
        "twitter-2021-01-01-abc/data/like.js": "window.YTD.like.part0 = [ ]",
    }
    parsed = parse_archive(zip_bytes(files))
    assert parsed.counts() == {"tweet": 2}
    assert parsed.account is None


def test_a_big_file_is_read_across_chunks() -> None:
    texts = [f"note {n} — über naïve café 🧗‍♀️ {'x' * (n % 50)} &amp; more" for n in range(2500)]
    tweets = [_tweet(n, text) for n, text in enumerate(texts)]
    data = build_archive(tweets)
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        assert archive.getinfo("data/tweets.js").file_size > 2 * 1024 * 1024
    items = parse_archive(data).items
    assert [item.text for item in items] == [text.replace("&amp;", "&") for text in texts]


# --- hostile input ------------------------------------------------------------------------------


def test_not_a_zip_is_refused() -> None:
    with pytest.raises(ArchiveError, match="not a ZIP archive"):
        parse_archive(b"\x89PNG\r\n\x1a\n" + b"\x00" * 100)
    with pytest.raises(ArchiveError, match="not a ZIP archive"):
        parse_archive(b"")


def test_a_truncated_zip_is_refused() -> None:
    data = build_archive([_tweet(n) for n in range(50)], account=account_entry("ann", "Ann"))
    with pytest.raises(ArchiveError, match="truncated or damaged"):
        parse_archive(data[: len(data) // 2])


def test_a_zip_without_tweet_files_is_refused() -> None:
    files = {"data/like.js": js_file("YTD.like.part0", [like_entry("1", "x")]), "data/tweets_media/1-a.jpg": b"\xff"}
    with pytest.raises(ArchiveError, match=r"no data/tweets\.js"):
        parse_archive(zip_bytes(files))


def test_members_with_unsafe_paths_are_ignored() -> None:
    files = archive_files([_tweet(1)])
    files["../data/like.js"] = js_file("YTD.like.part0", [like_entry("2", "sneaky")])
    files["/etc/cron.d/evil"] = "* * * * * root true"
    files["C:/Windows/evil.js"] = "x"
    files["data\\..\\..\\evil.js"] = "x"
    parsed = parse_archive(zip_bytes(files))
    assert parsed.counts() == {"tweet": 1}
    assert parsed.skipped == {SKIP_UNSAFE_PATH: 4}
    assert all(".." not in name for name in parsed.files)


def test_an_archive_whose_only_tweet_file_has_an_unsafe_path_is_refused() -> None:
    with pytest.raises(ArchiveError, match="no data/tweets"):
        parse_archive(zip_bytes({"../data/tweets.js": js_file("YTD.tweets.part0", [_tweet(1)])}))


def test_a_highly_compressed_member_is_refused_as_a_bomb() -> None:
    body = "window.YTD.tweets.part0 = [" + " " * (8 * 1024 * 1024) + "]"
    with pytest.raises(ArchiveError, match="more than 100 times"):
        parse_archive(zip_bytes({"data/tweets.js": body}))


def test_data_beyond_the_uncompressed_limit_is_refused() -> None:
    data = build_archive([_tweet(n) for n in range(40)])
    with pytest.raises(ArchiveError, match="ZIP bomb"):
        parse_archive(data, limits=ArchiveLimits(max_uncompressed_bytes=20_000, max_members=100))


def _patch_central_entry(data: bytes, name: str, offset: int, fmt: str, value: int) -> bytes:
    """Rewrite one field of a member's central directory entry (to forge lying headers)."""
    start = data.index(b"PK\x01\x02")
    while True:
        name_length = struct.unpack_from("<H", data, start + 28)[0]
        if data[start + 46 : start + 46 + name_length] == name.encode():
            break
        start = data.index(b"PK\x01\x02", start + 4)
    patched = bytearray(data)
    struct.pack_into(fmt, patched, start + offset, value)
    return bytes(patched)


def test_a_member_declaring_a_huge_size_is_refused_before_reading() -> None:
    data = _patch_central_entry(build_archive([_tweet(1)]), "data/tweets.js", 24, "<L", 3 * 1024**3)
    with pytest.raises(ArchiveError, match="ZIP bomb"):
        parse_archive(data)


def test_a_member_whose_header_understates_its_size_is_refused() -> None:
    data = _patch_central_entry(build_archive([_tweet(n) for n in range(30)]), "data/tweets.js", 24, "<L", 200)
    with pytest.raises(ArchiveError, match=r"data/tweets\.js"):
        parse_archive(data)


def test_an_encrypted_member_is_refused() -> None:
    data = _patch_central_entry(build_archive([_tweet(1)]), "data/tweets.js", 8, "<H", 0x1)
    with pytest.raises(ArchiveError, match="password-protected"):
        parse_archive(data)


def test_a_zip_with_100000_members_is_refused() -> None:
    with pytest.raises(ArchiveError, match="100,000 files"):
        parse_archive(many_members_zip(100_000))


def test_a_member_count_that_lies_is_still_caught() -> None:
    with pytest.raises(ArchiveError, match="300 files"):
        parse_archive(
            many_members_zip(300, declared=1), limits=ArchiveLimits(max_uncompressed_bytes=10**9, max_members=100)
        )


def test_malformed_json_names_the_file_and_line() -> None:
    files = archive_files([_tweet(1)], [like_entry("1234", "fine")])
    files["data/like.js"] = files["data/like.js"].replace('"fine"', '"fine",')
    bad_line = files["data/like.js"].splitlines().index('      "fullText" : "fine",') + 2  # the `}` after the comma
    with pytest.raises(ArchiveError, match=rf"data/like\.js .*line {bad_line}: Expecting property name"):
        parse_archive(zip_bytes(files))


@pytest.mark.parametrize(
    ("body", "problem"),
    [
        ('window.YTD.tweets.part0 = {"tweet": 1}', "expected a JSON list"),
        ("var tweets; // nothing here", "expected `window.YTD"),
        ('window.YTD.tweets.part0 = [ {"tweet" : {}} ', "ends in the middle"),
        ('window.YTD.tweets.part0 = [ {"tweet" : {}} } ]', "expected `,` or `]`"),
        ("window.YTD.tweets.part0 = [ ] alert(1)", "unexpected text after the list"),
    ],
)
def test_malformed_javascript_is_refused_with_its_reason(body: str, problem: str) -> None:
    with pytest.raises(ArchiveError, match=re.escape(problem)):
        parse_archive(zip_bytes({"data/tweets.js": body}))


def test_bad_records_are_skipped_and_counted_and_the_rest_kept() -> None:
    good = [_tweet(n) for n in range(5)]
    no_id = _tweet(10)
    del no_id["tweet"]["id_str"], no_id["tweet"]["id"]  # type: ignore[attr-defined]
    numeric_text = _tweet(11)
    numeric_text["tweet"]["full_text"] = 42  # type: ignore[index]
    tweets = [good[0], no_id, good[1], "just a string", good[2], numeric_text, good[3], good[4], good[0]]
    likes = [like_entry("777777777777777777", "ok"), like_entry("not-a-number", "bad"), {"like": None}]
    parsed = parse_archive(build_archive(tweets, likes))  # type: ignore[arg-type]
    assert [item.tweet_id for item in parsed.items if item.kind == "tweet"] == [t["tweet"]["id_str"] for t in good]  # type: ignore[index]
    assert parsed.counts() == {"tweet": 5, "like": 1}
    assert parsed.skipped == {
        SKIP_TWEET_ID: 1,
        SKIP_TWEET_TEXT: 1,
        SKIP_TWEET_SHAPE: 1,
        SKIP_DUPLICATE: 1,
        SKIP_LIKE_ID: 1,
        "like record that is not a like object": 1,
    }


def test_a_non_utf8_file_is_refused() -> None:
    files: dict[str, str | bytes] = dict(archive_files([_tweet(1, "café")]))
    files["data/tweets.js"] = str(files["data/tweets.js"]).encode("latin-1")
    with pytest.raises(ArchiveError, match=r"data/tweets\.js is not UTF-8 .*0xe9"):
        parse_archive(zip_bytes(files))
