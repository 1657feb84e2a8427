"""Reading the X "Download your data" archive: a ZIP read in memory, member by member, never extracted.

Only `data/tweets.js` (`tweet.js` in older archives, `tweets-partN.js` in big ones),
`data/note-tweet.js` (the full text of long posts), `data/like.js` (+ `like-partN.js`)
and `data/account.js` are read; media, direct messages and everything else are never
opened. Each data file is a JavaScript
assignment of a JSON list, decoded one record at a time so that memory holds the
records kept, not the file. The archive is untrusted: sizes, compression ratios and
member counts are bounded, and every refusal says why in words meant for the user.
"""

from __future__ import annotations

import codecs
import io
import json
import re
import struct
import zipfile
import zlib
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import BinaryIO

from app.config import Settings, get_settings
from app.sources.tweet_records import (
    ImportInputError,
    RecordBatch,
    TweetRecord,
    classify,
    entity_links,
    is_tweet_id,
    readable_text,
    snowflake_time,
    status_url,
)

MIB = 1024 * 1024
_CHUNK_BYTES = MIB
_RATIO_FLOOR_BYTES = MIB  # a member smaller than this cannot be a bomb, whatever its ratio
_MAX_RECORD_CHARS = 4 * MIB  # a JSON error this far before the buffer's end is not a record cut by a chunk
_MAX_PREFIX_CHARS = 1024
_MAX_TEXT_CHARS = 10_000
_DATA_FILE = re.compile(r"^(?:[^/]+/)?data/(?P<kind>tweets?|like|account|note-tweet)(?:-part(?P<part>\d{1,4}))?\.js$")
_WHITESPACE = re.compile(r"[ \t\n\r]*")
_DECODER = json.JSONDecoder()
_ENDS_EARLY = "the file ends in the middle of the list"
_MONTHS = {
    month: number
    for number, month in enumerate(
        ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"], start=1
    )
}

SKIP_UNSAFE_PATH = "archive member with an unsafe path (../ or absolute) ignored"
SKIP_TWEET_SHAPE = "tweet record that is not a tweet object"
SKIP_TWEET_ID = "tweet without a valid id"
SKIP_TWEET_TEXT = "tweet without text"
SKIP_LIKE_SHAPE = "like record that is not a like object"
SKIP_LIKE_ID = "like without a valid tweet id"


class ArchiveError(ImportInputError):
    """The archive cannot be imported; the message says why, in words meant for the user."""


@dataclass(frozen=True, slots=True)
class ArchiveLimits:
    """Bounds on what an untrusted archive may make the importer read."""

    max_uncompressed_bytes: int
    max_members: int
    max_ratio: int = 100

    @classmethod
    def from_settings(cls, settings: Settings) -> ArchiveLimits:
        return cls(
            max_uncompressed_bytes=settings.openrec_archive_max_uncompressed_mb * MIB,
            max_members=settings.openrec_archive_max_members,
        )


@dataclass(frozen=True, slots=True)
class ArchiveAccount:
    """Whose archive it is, from `data/account.js`."""

    username: str | None
    display_name: str | None
    account_id: str | None


@dataclass(slots=True)
class ParsedArchive(RecordBatch):
    """Everything kept from one archive: records, skip reasons, the owner's account and the files read."""

    account: ArchiveAccount | None = None
    files: list[str] = field(default_factory=list)


def parse_archive(data: bytes | BinaryIO, *, limits: ArchiveLimits | None = None) -> ParsedArchive:
    """Read an X archive ZIP (bytes or a seekable binary file) into records, or raise ArchiveError."""
    limits = limits or ArchiveLimits.from_settings(get_settings())
    stream: BinaryIO = io.BytesIO(data) if isinstance(data, bytes | bytearray) else data
    declared = _declared_member_count(stream)
    if declared is not None and declared > limits.max_members:
        raise _too_many_members(declared, limits)
    try:
        archive = zipfile.ZipFile(stream)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, OSError, ValueError, NotImplementedError) as exc:
        raise ArchiveError(_unreadable_zip_message(stream)) from exc
    with archive:
        members = archive.infolist()
        if len(members) > limits.max_members:
            raise _too_many_members(len(members), limits)
        plan = _plan(members)
        _check_declared_sizes(plan.all(), limits)
        reader = _MemberReader(archive, limits)
        parsed = ParsedArchive(skipped=plan.skipped, files=[m.filename for m in plan.all()])
        now = datetime.now(UTC)
        notes = LongPosts()
        for member in plan.notes:
            for entry in reader.records(member):
                notes.add(entry)
        for member in plan.tweets:
            for entry in reader.records(member):
                parsed.add(_tweet_record(entry, now, notes))
        like_order = 0
        for member in plan.likes:
            for entry in reader.records(member):
                if parsed.add(_like_record(entry, like_order, now)):
                    like_order += 1
        if plan.account is not None:
            parsed.account = _account(reader.records(plan.account))
    return parsed


# --- the ZIP container -------------------------------------------------------------------------


@dataclass(slots=True)
class _Plan:
    """The members that will be read, in order, and the members refused by name."""

    tweets: list[zipfile.ZipInfo]
    likes: list[zipfile.ZipInfo]
    account: zipfile.ZipInfo | None
    skipped: Counter[str]
    notes: list[zipfile.ZipInfo] = field(default_factory=list)

    def all(self) -> list[zipfile.ZipInfo]:
        return [*self.notes, *self.tweets, *self.likes, *([self.account] if self.account else [])]


def _plan(members: list[zipfile.ZipInfo]) -> _Plan:
    """Pick the data files by name (parts in order); nothing else is ever opened."""
    tweets: list[tuple[int, zipfile.ZipInfo]] = []
    likes: list[tuple[int, zipfile.ZipInfo]] = []
    notes: list[tuple[int, zipfile.ZipInfo]] = []
    account = None
    skipped: Counter[str] = Counter()
    for member in members:
        if _is_unsafe(member.filename):
            skipped[SKIP_UNSAFE_PATH] += 1
            continue
        match = _DATA_FILE.match(member.filename)
        if match is None or member.is_dir():
            continue
        part = int(match["part"] or 0)
        if match["kind"] == "like":
            likes.append((part, member))
        elif match["kind"] == "note-tweet":
            notes.append((part, member))
        elif match["kind"] == "account":
            account = account or member
        else:
            tweets.append((part, member))
    if not tweets:
        raise ArchiveError(
            "This ZIP holds no data/tweets.js (or data/tweet.js): it does not look like an X archive. "
            "Upload the archive X sent you (Settings → Your account → Download an archive of your data)."
        )
    return _Plan(
        tweets=[m for _, m in sorted(tweets, key=lambda pm: pm[0])],
        likes=[m for _, m in sorted(likes, key=lambda pm: pm[0])],
        account=account,
        skipped=skipped,
        notes=[m for _, m in sorted(notes, key=lambda pm: pm[0])],
    )


def _is_unsafe(name: str) -> bool:
    """Absolute, drive-letter, backslash or `..` member names never belong to a real archive."""
    return name.startswith("/") or "\\" in name or (len(name) > 1 and name[1] == ":") or ".." in name.split("/")


def _check_declared_sizes(members: list[zipfile.ZipInfo], limits: ArchiveLimits) -> None:
    """Refuse, before reading, what the headers admit is too big, too compressed or encrypted."""
    total = 0
    for member in members:
        if member.flag_bits & 0x1:
            raise ArchiveError(f"{member.filename} is password-protected; upload the archive as X sent it.")
        _check_ratio(member, member.file_size, limits)
        total += member.file_size
    if total > limits.max_uncompressed_bytes:
        raise ArchiveError(
            f"The archive's data files would take {total / MIB:,.0f} MiB uncompressed, more than the "
            f"{limits.max_uncompressed_bytes / MIB:,.0f} MiB allowed; this looks like a ZIP bomb."
        )


def _check_ratio(member: zipfile.ZipInfo, size: int, limits: ArchiveLimits) -> None:
    if size > _RATIO_FLOOR_BYTES and size > limits.max_ratio * max(member.compress_size, 1):
        raise ArchiveError(
            f"{member.filename} expands more than {limits.max_ratio} times its compressed size; "
            "this looks like a ZIP bomb and was not read."
        )


def _too_many_members(count: int, limits: ArchiveLimits) -> ArchiveError:
    return ArchiveError(
        f"The ZIP holds {count:,} files, more than the {limits.max_members:,} allowed; it was not read."
    )


def _unreadable_zip_message(stream: BinaryIO) -> str:
    stream.seek(0)
    if stream.read(4) == b"PK\x03\x04":
        return "The ZIP is truncated or damaged (its table of contents is missing). Download the archive again."
    return "The file is not a ZIP archive. Upload the .zip file X sent you, unchanged."


_EOCD_SIGNATURE = b"PK\x05\x06"
_ZIP64_LOCATOR_SIGNATURE = b"PK\x06\x07"
_ZIP64_EOCD_SIGNATURE = b"PK\x06\x06"


def _declared_member_count(stream: BinaryIO) -> int | None:
    """The member count the end record declares, read without walking the whole directory.

    A directory of 100,000 entries takes a noticeable time to load; this refuses it first.
    The count can lie, so the loaded directory is checked again afterwards.
    """
    stream.seek(0, io.SEEK_END)
    size = stream.tell()
    tail_start = max(0, size - (22 + 0xFFFF + 20))
    stream.seek(tail_start)
    tail = stream.read()
    pos = tail.rfind(_EOCD_SIGNATURE)
    if pos < 0 or pos + 22 > len(tail):
        return None
    (entries,) = struct.unpack_from("<H", tail, pos + 10)
    if entries != 0xFFFF or pos < 20 or tail[pos - 20 : pos - 16] != _ZIP64_LOCATOR_SIGNATURE:
        return int(entries)
    (record_offset,) = struct.unpack_from("<Q", tail, pos - 20 + 8)
    stream.seek(record_offset)
    record = stream.read(56)
    if len(record) < 56 or record[:4] != _ZIP64_EOCD_SIGNATURE:
        return None
    (entries64,) = struct.unpack_from("<Q", record, 32)
    return int(entries64)


class _MemberReader:
    """Streams members as text within the byte budget, turning low-level failures into ArchiveError."""

    def __init__(self, archive: zipfile.ZipFile, limits: ArchiveLimits) -> None:
        self._archive = archive
        self._limits = limits
        self._budget = limits.max_uncompressed_bytes

    def records(self, member: zipfile.ZipInfo) -> Iterator[object]:
        return iter(_JsList(member.filename, self._text(member)))

    def _text(self, member: zipfile.ZipInfo) -> Iterator[str]:
        decoder = codecs.getincrementaldecoder("utf-8-sig")()
        produced = 0
        try:
            with self._archive.open(member) as raw:
                while chunk := raw.read(_CHUNK_BYTES):
                    produced += len(chunk)
                    self._spend(member, len(chunk))
                    _check_ratio(member, produced, self._limits)
                    try:
                        text = decoder.decode(chunk)
                    except UnicodeDecodeError as exc:
                        offset = produced - len(chunk) + exc.start
                        raise _not_utf8(member, exc.object[exc.start], offset) from exc
                    yield text
            try:
                yield decoder.decode(b"", final=True)
            except UnicodeDecodeError as exc:
                raise _not_utf8(member, exc.object[exc.start], produced) from exc
        except (zipfile.BadZipFile, zlib.error, EOFError, OSError, ValueError) as exc:  # ValueError: bad offsets
            raise ArchiveError(
                f"{member.filename} is damaged inside the ZIP ({exc}). Download the archive again."
            ) from exc
        except NotImplementedError as exc:
            raise ArchiveError(f"{member.filename} uses a compression method that cannot be read ({exc}).") from exc

    def _spend(self, member: zipfile.ZipInfo, size: int) -> None:
        """Headers can lie about sizes: count what is really decompressed."""
        self._budget -= size
        if self._budget < 0:
            raise ArchiveError(
                f"Reading {member.filename} went past the {self._limits.max_uncompressed_bytes / MIB:,.0f} MiB "
                "allowed for an archive's data; this looks like a ZIP bomb."
            )


def _not_utf8(member: zipfile.ZipInfo, byte: int, offset: int) -> ArchiveError:
    return ArchiveError(
        f"{member.filename} is not UTF-8 text (byte 0x{byte:02x} at offset {offset:,}); "
        "X writes archives in UTF-8, so this file was changed or damaged."
    )


# --- the JavaScript data files ------------------------------------------------------------------


class _JsList:
    """The records of `window.YTD.<name>.part<N> = [ ... ]`, decoded one at a time.

    The assignment's name changed between archive generations, so everything up to the
    first `=` is skipped. Only the unconsumed rest of the text is kept in memory.
    """

    def __init__(self, name: str, chunks: Iterator[str]) -> None:
        self._name = name
        self._chunks = chunks
        self._buf = ""
        self._pos = 0
        self._line = 1

    def __iter__(self) -> Iterator[object]:
        first = self._peek()
        if first == "":
            return  # an empty file holds no records
        if first != "[":
            self._skip_assignment()
            if self._peek() != "[":
                raise self._error("expected a JSON list after `=`")
        self._pos += 1
        if self._peek() == "]":
            self._pos += 1
        else:
            while True:
                yield self._value()
                separator = self._peek()
                if separator == "]":
                    self._pos += 1
                    break
                if separator != ",":
                    raise self._error(
                        "the file ends in the middle of the list"
                        if separator == ""
                        else "expected `,` or `]` after a record"
                    )
                self._pos += 1
        if self._peek() == ";":
            self._pos += 1
        if self._peek() != "":
            raise self._error("unexpected text after the list")

    def _fill(self) -> bool:
        """Append the next chunk, dropping what was consumed; False at the end of the file."""
        for chunk in self._chunks:
            if chunk:
                self._line += self._buf.count("\n", 0, self._pos)
                self._buf = self._buf[self._pos :] + chunk
                self._pos = 0
                return True
        return False

    def _peek(self) -> str:
        """The next non-blank character, or "" at the end of the file."""
        while True:
            match = _WHITESPACE.match(self._buf, self._pos)
            self._pos = match.end() if match else self._pos
            if self._pos < len(self._buf):
                return self._buf[self._pos]
            if not self._fill():
                return ""

    def _skip_assignment(self) -> None:
        while (equals := self._buf.find("=", self._pos, self._pos + _MAX_PREFIX_CHARS)) < 0:
            if len(self._buf) - self._pos >= _MAX_PREFIX_CHARS or not self._fill():
                raise self._error("expected `window.YTD.<name>.part<N> = [` at the start")
        self._pos = equals + 1

    def _value(self) -> object:
        if self._peek() == "":
            raise self._error(_ENDS_EARLY)
        while True:
            try:
                value, end = _DECODER.raw_decode(self._buf, self._pos)
            except json.JSONDecodeError as exc:
                if exc.pos + _MAX_RECORD_CHARS >= len(self._buf) and self._fill():
                    continue
                raise self._error(exc.msg, exc.pos) from None
            except RecursionError:
                raise self._error("a record is nested too deeply") from None
            if end == len(self._buf) and self._fill():
                continue  # a number or literal may go on in the next chunk
            self._pos = end
            return value

    def _error(self, what: str, pos: int | None = None) -> ArchiveError:
        line = self._line + self._buf.count("\n", 0, self._pos if pos is None else pos)
        return ArchiveError(
            f"{self._name} is not valid archive data (line {line}: {what}). Download the archive again."
        )


# --- records ------------------------------------------------------------------------------------


def _tweet_record(entry: object, now: datetime, notes: LongPosts | None = None) -> TweetRecord | str:
    """A post of the archive's owner (with its full text when it is a long post), or the reason it is skipped."""
    tweet = entry.get("tweet") if isinstance(entry, dict) else None
    if not isinstance(tweet, dict):
        return SKIP_TWEET_SHAPE
    tweet_id = tweet.get("id_str") or tweet.get("id")
    if not is_tweet_id(tweet_id):
        return SKIP_TWEET_ID
    raw_text = tweet.get("full_text", tweet.get("text"))
    if not isinstance(raw_text, str):
        return SKIP_TWEET_TEXT
    entities = tweet.get("entities")
    links = entity_links(entities, "urls")
    text = readable_text(raw_text, [*links, *((short, "") for short, _ in entity_links(entities, "media"))])
    created_at = _twitter_time(tweet.get("created_at"))
    if notes:
        text = notes.full_text(tweet_id, created_at, text) or text
    lang = tweet.get("lang")
    return TweetRecord(
        tweet_id=tweet_id,
        kind=classify(
            text,
            is_reply=is_tweet_id(tweet.get("in_reply_to_status_id_str")),
            links=(expanded for _, expanded in links),
        ),
        text=text[:_MAX_TEXT_CHARS],
        created_at=created_at or snowflake_time(tweet_id, now=now),
        url=status_url(tweet_id),
        lang=lang if isinstance(lang, str) and len(lang) <= 8 else None,
    )


def _like_record(entry: object, order: int, now: datetime) -> TweetRecord | str:
    """A liked post; likes carry no date, so the post's own time comes from its snowflake id."""
    like = entry.get("like") if isinstance(entry, dict) else None
    if not isinstance(like, dict):
        return SKIP_LIKE_SHAPE
    tweet_id = like.get("tweetId")
    if not is_tweet_id(tweet_id):
        return SKIP_LIKE_ID
    full_text = like.get("fullText")
    return TweetRecord(
        tweet_id=tweet_id,
        kind="like",
        text=readable_text(full_text, ())[:_MAX_TEXT_CHARS] if isinstance(full_text, str) else "",
        created_at=snowflake_time(tweet_id, now=now),
        url=status_url(tweet_id),
        like_order=order,
    )


def _account(entries: Iterator[object]) -> ArchiveAccount | None:
    for entry in entries:
        account = entry.get("account") if isinstance(entry, dict) else None
        if isinstance(account, dict):
            return ArchiveAccount(
                username=_short_str(account.get("username"), 64),
                display_name=_short_str(account.get("accountDisplayName"), 128),
                account_id=_short_str(account.get("accountId"), 32),
            )
    return None


def _short_str(value: object, limit: int) -> str | None:
    return value[:limit] if isinstance(value, str) and value else None


def _twitter_time(value: object) -> datetime | None:
    """Parse `Wed Oct 10 20:19:24 +0000 2018` quickly (every archive uses +0000), else via strptime."""
    if not isinstance(value, str):
        return None
    parts = value.split(" ")
    try:
        if len(parts) == 6 and parts[4] == "+0000" and parts[1] in _MONTHS:
            hour, minute, second = parts[3].split(":")
            return datetime(
                int(parts[5]), _MONTHS[parts[1]], int(parts[2]), int(hour), int(minute), int(second), tzinfo=UTC
            )
        return datetime.strptime(value, "%a %b %d %H:%M:%S %z %Y").astimezone(UTC)
    except ValueError:
        return None


# --- long posts (note-tweet.js) ----------------------------------------------------------------


_URL = re.compile(r"https?://\S+")
_PREFIX_CHARS = 40  # a truncated post and its note share at least this much text (links aside)


class LongPosts:
    """The full text of long posts, from `note-tweet.js`, matched to their truncated posts in tweets.js.

    A note carries its own id (`noteTweetId`), not the post's, so it is matched on what
    both record: the creation time to the second (`createdAt` vs `created_at`), with the
    post's visible text as a prefix of the note's. A post id in the note (`tweetId`, in
    some archives) is used when present. A note matches no post unless the texts agree.
    """

    def __init__(self) -> None:
        self._by_post: dict[str, str] = {}
        self._by_second: dict[datetime, list[str]] = {}
        self._by_prefix: dict[str, list[str]] = {}

    def __bool__(self) -> bool:
        return bool(self._by_post or self._by_second or self._by_prefix)

    def add(self, entry: object) -> None:
        note = entry.get("noteTweet") if isinstance(entry, dict) else None
        if not isinstance(note, dict):
            return
        text = _note_text(note)
        if not text:
            return
        post_id = note.get("tweetId")
        if is_tweet_id(post_id):
            self._by_post[post_id] = text
        created = _iso_time(note.get("createdAt"))
        if created is not None:
            self._by_second.setdefault(created, []).append(text)
        key = _comparable(text)[:_PREFIX_CHARS]
        if len(key) == _PREFIX_CHARS:
            self._by_prefix.setdefault(key, []).append(text)

    def full_text(self, post_id: str, created_at: datetime | None, shown: str) -> str | None:
        """The note's text for this post when it is longer than what tweets.js shows, else None."""
        start = _comparable(shown)
        found = self._by_post.get(post_id)
        if found is None:
            same_second = self._by_second.get(created_at, []) if created_at is not None else []
            candidates = same_second or self._by_prefix.get(start[:_PREFIX_CHARS], [])
            found = next((text for text in candidates if _continues(start, text)), None)
        return found if found is not None and len(found) > len(shown) else None


def _continues(start: str, text: str) -> bool:
    """Whether the note's text begins with the post's visible text (compared without links, case or spacing)."""
    head = start[:_PREFIX_CHARS]
    return bool(head) and _comparable(text).startswith(head)


def _comparable(text: str) -> str:
    """Text reduced to what a truncated post and its note share: no links, no trailing ellipsis, one space."""
    return " ".join(_URL.sub(" ", text).removesuffix("…").split()).casefold()


def _note_text(note: dict[str, object]) -> str:
    """The note's full text, readable: entities unescaped, t.co links expanded (both shapes archives use)."""
    core = note.get("core")
    results = note.get("noteTweetResults")
    source = core if isinstance(core, dict) else results if isinstance(results, dict) else {}
    text = source.get("text")
    if not isinstance(text, str):
        return ""
    urls = source.get("urls")
    links = [
        (link.get("shortUrl") or link.get("url"), link.get("expandedUrl") or link.get("expanded_url"))
        for link in (urls if isinstance(urls, list) else [])
        if isinstance(link, dict)
    ]
    return readable_text(text, links)


def _iso_time(value: object) -> datetime | None:
    """`2023-02-09T12:48:50.264Z` to the second, in UTC (posts record their time to the second)."""
    if not isinstance(value, str):
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).astimezone(UTC).replace(microsecond=0)
