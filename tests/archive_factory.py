"""Synthetic X archives in the real export format, built in memory (no real person's data)."""

from __future__ import annotations

import io
import json
import re
import struct
import zipfile
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

SNOWFLAKE_EPOCH_MS = 1288834974657


def snowflake(moment: datetime, sequence: int = 0) -> str:
    """A snowflake id minted at `moment` (the form real post ids have)."""
    return str(((int(moment.timestamp() * 1000) - SNOWFLAKE_EPOCH_MS) << 22) | (sequence & 0x3FFFFF))


def twitter_time(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%a %b %d %H:%M:%S +0000 %Y")


def tweet_entry(
    tweet_id: str,
    full_text: str,
    created_at: datetime,
    *,
    reply_to: str | None = None,
    urls: Sequence[tuple[str, str]] = (),
    media: Sequence[str] = (),
    mentions: Sequence[str] = (),
    lang: str = "en",
) -> dict[str, Any]:
    """One `{"tweet": {...}}` element with the fields X writes (every number a string)."""
    tweet: dict[str, Any] = {
        "edit_info": {
            "initial": {
                "editTweetIds": [tweet_id],
                "editableUntil": "2026-01-01T00:00:00.000Z",
                "editsRemaining": "5",
                "isEditEligible": False,
            }
        },
        "retweeted": False,
        "source": '<a href="https://mobile.twitter.com" rel="nofollow">Twitter Web App</a>',
        "entities": {
            "hashtags": [],
            "symbols": [],
            "user_mentions": [
                {"name": name, "screen_name": name, "indices": ["0", "1"], "id_str": "12345", "id": "12345"}
                for name in mentions
            ],
            "urls": [
                {"url": short, "expanded_url": expanded, "display_url": expanded[8:30], "indices": ["0", "23"]}
                for short, expanded in urls
            ],
        },
        "display_text_range": ["0", str(len(full_text))],
        "favorite_count": "0",
        "id_str": tweet_id,
        "truncated": False,
        "retweet_count": "0",
        "id": tweet_id,
        "created_at": twitter_time(created_at),
        "favorited": False,
        "full_text": full_text,
        "lang": lang,
    }
    if media:
        tweet["entities"]["media"] = [
            {"url": short, "expanded_url": f"https://twitter.com/u/status/{tweet_id}/photo/1", "type": "photo"}
            for short in media
        ]
    if reply_to is not None:
        tweet.update(
            in_reply_to_status_id_str=reply_to,
            in_reply_to_status_id=reply_to,
            in_reply_to_user_id="98765",
            in_reply_to_user_id_str="98765",
            in_reply_to_screen_name="someone",
        )
    return {"tweet": tweet}


def like_entry(tweet_id: str, full_text: str | None) -> dict[str, Any]:
    like = {"tweetId": tweet_id, "expandedUrl": f"https://twitter.com/i/web/status/{tweet_id}"}
    if full_text is not None:
        like["fullText"] = full_text
    return {"like": like}


def note_tweet_entry(
    note_id: str,
    text: str,
    created_at: datetime,
    *,
    urls: Sequence[tuple[str, str]] = (),
    tweet_id: str | None = None,
) -> dict[str, Any]:
    """One `{"noteTweet": {...}}` element of note-tweet.js: a long post's full text under its own note id.

    `tweet_id` adds the post id some archives carry (`tweetId`); most link a note to its post only by time.
    """
    moment = created_at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S") + f".{created_at.microsecond // 1000:03d}Z"
    note: dict[str, Any] = {
        "noteTweetId": note_id,
        "updatedAt": moment,
        "createdAt": moment,
        "core": {
            "styletags": [],
            "urls": [
                {"shortUrl": short, "expandedUrl": expanded, "displayUrl": expanded[8:30]} for short, expanded in urls
            ],
            "text": text,
            "mentions": [],
            "cashtags": [],
            "hashtags": [],
        },
    }
    if tweet_id is not None:
        note["tweetId"] = tweet_id
    return {"noteTweet": note}


def account_entry(username: str, display_name: str) -> dict[str, Any]:
    return {
        "account": {
            "email": f"{username}@example.com",
            "createdVia": "web",
            "username": username,
            "accountId": "310576950144886",
            "createdAt": "2013-01-22T14:18:09.000Z",
            "accountDisplayName": display_name,
        }
    }


def js_file(global_name: str, entries: Iterable[Any]) -> str:
    """A data file the way X writes it: an assignment of pretty-printed JSON with " : " separators."""
    body = json.dumps(list(entries), indent=2, separators=(",", " : "), ensure_ascii=False)
    return f"window.{global_name} = {body}"


def zip_bytes(files: Mapping[str, str | bytes], *, compression: int = zipfile.ZIP_DEFLATED) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression) as archive:
        for name, content in files.items():
            archive.writestr(name, content.encode() if isinstance(content, str) else content)
    return buffer.getvalue()


def archive_files(
    tweets: Sequence[dict[str, Any]],
    likes: Sequence[dict[str, Any]] = (),
    *,
    account: dict[str, Any] | None = None,
    notes: Sequence[dict[str, Any]] = (),
    tweet_parts: int = 1,
    like_parts: int = 1,
) -> dict[str, str]:
    """The data files of an archive, tweets and likes split over `parts` files as big archives are."""
    files = {"data/manifest.js": 'window.__THAR_CONFIG = {"userInfo": {}}'}
    if account is not None:
        files["data/account.js"] = js_file("YTD.account.part0", [account])
    files["data/note-tweet.js"] = js_file("YTD.note_tweet.part0", notes)  # `[ ]` when there are none
    for part, chunk in enumerate(_split(tweets, tweet_parts)):
        files[_part_name("tweets", part)] = js_file(f"YTD.tweets.part{part}", chunk)
    if likes:
        for part, chunk in enumerate(_split(likes, like_parts)):
            files[_part_name("like", part)] = js_file(f"YTD.like.part{part}", chunk)
    return files


def build_archive(tweets: Sequence[dict[str, Any]], likes: Sequence[dict[str, Any]] = (), **kwargs: Any) -> bytes:
    return zip_bytes(archive_files(tweets, likes, **kwargs))


def _part_name(kind: str, part: int) -> str:
    return f"data/{kind}.js" if part == 0 else f"data/{kind}-part{part}.js"


def _split(items: Sequence[Any], parts: int) -> list[Sequence[Any]]:
    size = -(-len(items) // parts) if items else 0
    return [items[i * size : (i + 1) * size] for i in range(parts)] if size else [items]


def many_members_zip(count: int, *, declared: int | None = None) -> bytes:
    """A valid ZIP of `count` empty stored members, written directly (zipfile takes seconds for 100,000).

    `declared` overrides the count written in the end records, to build a ZIP whose header lies.
    """
    local = bytearray()
    central = bytearray()
    for index in range(count):
        name = f"data/tweets_media/{index}.jpg".encode()
        offset = len(local)
        local += struct.pack("<4s5H3L2H", b"PK\x03\x04", 20, 0, 0, 0, 0, 0, 0, 0, len(name), 0) + name
        central += (
            struct.pack("<4s6H3L5H2L", b"PK\x01\x02", 20, 20, 0, 0, 0, 0, 0, 0, 0, len(name), 0, 0, 0, 0, 0, offset)
            + name
        )
    entries = count if declared is None else declared
    cd_offset = len(local)
    tail = bytearray()
    if entries > 0xFFFF:
        zip64_offset = cd_offset + len(central)
        tail += struct.pack("<4sQ2H2L4Q", b"PK\x06\x06", 44, 45, 45, 0, 0, entries, entries, len(central), cd_offset)
        tail += struct.pack("<4sLQL", b"PK\x06\x07", 0, zip64_offset, 1)
        entries = 0xFFFF
    tail += struct.pack("<4s4H2LH", b"PK\x05\x06", 0, 0, entries, entries, len(central), cd_offset, 0)
    return bytes(local + central + tail)


def raw_list(archive: zipfile.ZipFile, name: str) -> list[dict[str, object]]:
    text = archive.read(name).decode("utf-8")
    return json.loads(text[text.index("=") + 1 :].strip().rstrip(";"))  # type: ignore[no-any-return]


def raw_archive_counts(path: Path) -> tuple[Counter[str], set[str]]:
    """Kinds and ids of an archive file computed straight from its raw JSON, by the documented rules."""
    counts: Counter[str] = Counter()
    ids: set[str] = set()
    with zipfile.ZipFile(path) as archive:
        for name in archive.namelist():
            if re.fullmatch(r"data/tweets?(-part\d+)?\.js", name):
                for entry in raw_list(archive, name):
                    tweet = entry["tweet"]
                    assert isinstance(tweet, dict)
                    ids.add(tweet["id_str"])
                    links = [u["expanded_url"] for u in tweet["entities"]["urls"]]
                    if tweet["full_text"].startswith("RT @"):
                        counts["retweet"] += 1
                    elif tweet.get("in_reply_to_status_id_str"):
                        counts["reply"] += 1
                    elif any(re.match(r"https://(twitter|x)\.com/\w+/status/\d+", link) for link in links):
                        counts["quote"] += 1
                    else:
                        counts["tweet"] += 1
            elif re.fullmatch(r"data/like(-part\d+)?\.js", name):
                for entry in raw_list(archive, name):
                    ids.add(entry["like"]["tweetId"])  # type: ignore[index]
                    counts["like"] += 1
    return counts, ids
