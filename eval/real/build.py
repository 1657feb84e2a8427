"""Builds the real-caption evaluation set: catalog.json, labels.json and personas/<name>.zip.

    python3 eval/real/build.py            write the set next to this file
    python3 eval/real/build.py --check    rebuild in memory and fail if the files on disk differ

Standard library only and deterministic: the same raw captions and tables give byte-identical
files. The formats are those of the synthetic dev set (see its README): a catalog of videos with
timed transcripts, labels per video and per persona, and one X archive per persona.
"""

from __future__ import annotations

import argparse
import hashlib
import html
import io
import json
import math
import re
import sys
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from posts import GENERATED_AT, PERSONAS, TOPICS  # noqa: E402
from records import Persona, Post, Video  # noqa: E402
from videos import VIDEOS  # noqa: E402

RAW = HERE / "raw"
SNOWFLAKE_EPOCH_MS = 1288834974657
MIN_SEGMENT_S = 2.0
AUTO_MAX_WORDS = 9
AUTO_MAX_S = 4.0
NGRAM = 5
MAX_SET_BYTES = 10 * 1024 * 1024
ZIP_TIME = (2026, 11, 20, 7, 41, 12)


@dataclass(frozen=True)
class Cue:
    start: float
    end: float
    text: str


# --- captions --------------------------------------------------------------------------------------

_SRT_TIME = re.compile(r"(\d+):(\d\d):(\d\d)[,.](\d{3})\s*-->\s*(\d+):(\d\d):(\d\d)[,.](\d{3})")


def _seconds(h: str, m: str, s: str, ms: str) -> float:
    return int(h) * 3600 + int(m) * 60 + int(s) + int(ms) / 1000


def parse_srt(text: str) -> list[Cue]:
    """SubRip cues in file order; a cue's text lines are joined with spaces."""
    cues: list[Cue] = []
    for block in re.split(r"\n\s*\n", text.replace("\r\n", "\n").strip()):
        lines = block.split("\n")
        for i, line in enumerate(lines):
            match = _SRT_TIME.search(line)
            if match:
                words = " ".join(part.strip() for part in lines[i + 1 :] if part.strip())
                if words:
                    g = match.groups()
                    cues.append(Cue(_seconds(*g[:4]), _seconds(*g[4:]), words))
                break
    return cues


_VTT_TAG = re.compile(r"<[^>]*>")


def parse_vtt(text: str) -> list[Cue]:
    """WebVTT cues in file order, with inline markup removed (voice tags, word timings, <c> spans).

    Automatic captions roll: each cue repeats the line shown by the cue before it, and short
    transition cues show nothing new. Repeated leading lines are dropped, and so is a cue left empty.
    Read line by line, because automatic captions put a line holding one space inside a cue.
    """
    blocks: list[tuple[re.Match[str], list[str]]] = []
    lines = text.replace("\r\n", "\n").split("\n")
    for i, line in enumerate(lines):
        match = _SRT_TIME.search(line)
        if match:
            if blocks and i > 0 and lines[i - 1].strip():
                blocks[-1][1].pop()  # the cue identifier of this cue, not text of the last one
            blocks.append((match, []))
        elif blocks:
            blocks[-1][1].append(line)
    cues: list[Cue] = []
    shown: list[str] = []
    for match, raw in blocks:
        body = [" ".join(_VTT_TAG.sub(" ", part).split()) for part in raw]
        body = [part for part in body if part]
        fresh = list(body)
        while fresh and shown and fresh[0] in shown:
            fresh.pop(0)
        if body:
            shown = body
        if fresh:
            g = match.groups()
            cues.append(Cue(_seconds(*g[:4]), _seconds(*g[4:]), html.unescape(" ".join(fresh))))
    return cues


def _manual_segments(cues: Sequence[Cue]) -> list[tuple[float, str]]:
    """Cue cuts as they are, short cues merged with the next so a segment lasts MIN_SEGMENT_S or more."""
    merged: list[tuple[float, str]] = []
    start, parts = cues[0].start, [cues[0].text]
    for cue in cues[1:]:
        if cue.start - start < MIN_SEGMENT_S:
            parts.append(cue.text)
            continue
        merged.append((start, " ".join(parts)))
        start, parts = cue.start, [cue.text]
    merged.append((start, " ".join(parts)))
    return merged


_AUTO_KEEP = re.compile(r"[^a-z0-9' ]+")


def _auto_words(text: str) -> list[str]:
    """A cue's words the way automatic captions write them: lower case, no punctuation, no markers."""
    text = re.sub(r"\[[^\]]*\]", " ", text.lower())
    text = re.sub(r"(?<=\d)\.(?=\d)", " point ", text)
    return [w.strip("'") for w in _AUTO_KEEP.sub(" ", text.replace("-", " ")).split() if w.strip("'")]


def _auto_segments(cues: Sequence[Cue]) -> list[tuple[float, str]]:
    """The cues' words re-cut at word timings (spread evenly over each cue), a few words per segment."""
    timed: list[tuple[float, str]] = []
    for cue in cues:
        words = _auto_words(cue.text)
        step = max(cue.end - cue.start, 0.01) / max(len(words), 1)
        timed += [(cue.start + i * step, word) for i, word in enumerate(words)]
    segments: list[tuple[float, str]] = []
    start, words = timed[0][0], [timed[0][1]]
    for moment, word in timed[1:]:
        if len(words) >= AUTO_MAX_WORDS or (moment - start >= AUTO_MAX_S and len(words) >= 3):
            segments.append((start, " ".join(words)))
            start, words = moment, []
        words.append(word)
    segments.append((start, " ".join(words)))
    return segments


def transcript(video: Video, raw_dir: Path = RAW) -> tuple[list[dict[str, Any]], int]:
    """Contiguous segments covering the whole video, and the video's length in whole seconds."""
    raw = (raw_dir / video.raw).read_text(encoding="utf-8")
    cues = parse_vtt(raw) if video.raw.endswith(".vtt") else parse_srt(raw)
    if not cues:
        raise ValueError(f"{video.raw}: no captions")
    cut = _auto_segments(cues) if video.style == "auto" else _manual_segments(cues)
    duration_s = math.ceil(max(c.end for c in cues))
    starts = [0.0] + [round(start, 2) for start, _ in cut[1:]]
    ends = [*starts[1:], float(duration_s)]
    segments = [
        {"text": text, "start": s, "duration": round(e - s, 2)}
        for (_, text), s, e in zip(cut, starts, ends, strict=True)
    ]
    return segments, duration_s


def snap(golden: tuple[float, float], segments: Sequence[dict[str, Any]]) -> list[float]:
    """The golden passage widened to the boundaries of the segments it touches."""
    start = max(s["start"] for s in segments if s["start"] <= golden[0] + 1e-6)
    end = min(round(s["start"] + s["duration"], 2) for s in segments if s["start"] + s["duration"] >= golden[1] - 1e-6)
    return [start, end]


# --- archives --------------------------------------------------------------------------------------


def snowflake(moment: datetime, sequence: int) -> str:
    return str(((int(moment.timestamp() * 1000) - SNOWFLAKE_EPOCH_MS) << 22) | (sequence & 0x3FFFFF))


def _twitter_time(moment: datetime) -> str:
    return moment.strftime("%a %b %d %H:%M:%S +0000 %Y")


def _tco(seed: str) -> str:
    digest = hashlib.sha256(seed.encode()).digest()
    alphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
    return "https://t.co/" + "".join(alphabet[b % len(alphabet)] for b in digest[:10])


def _display_url(url: str) -> str:
    bare = url.split("://", 1)[1]
    return bare[:26] + "…" if len(bare) > 27 else bare


def _user_id(name: str) -> str:
    return str(int(hashlib.sha256(name.encode()).hexdigest()[:12], 16))


def _tweet(post: Post, tweet_id: str, moment: datetime) -> dict[str, Any]:
    """One tweet the way X exports it: ids and counts as strings, entities with indices, text escaped."""
    text = post.text
    urls = []
    if post.link:
        short = _tco(tweet_id + post.link)
        text = f"{text} {short}"
        urls.append((short, post.link))
    if post.quote:
        short = _tco(tweet_id + post.quote)
        target = f"https://twitter.com/{post.quote}/status/{snowflake(moment, 7)}"
        text = f"{text} {short}"
        urls.append((short, target))
    mentions = [
        {
            "name": m.group(1).replace("_", " ").title(),
            "screen_name": m.group(1),
            "indices": [str(m.start()), str(m.end())],
            "id_str": _user_id(m.group(1)),
            "id": _user_id(m.group(1)),
        }
        for m in re.finditer(r"@(\w+)", text)
    ]
    hashtags = [{"text": m.group(1), "indices": [str(m.start()), str(m.end())]} for m in re.finditer(r"#(\w+)", text)]
    url_entities = [
        {
            "url": short,
            "expanded_url": expanded,
            "display_url": _display_url(expanded),
            "indices": [str(text.index(short)), str(text.index(short) + len(short))],
        }
        for short, expanded in urls
    ]
    digest = int(hashlib.sha256(tweet_id.encode()).hexdigest()[:8], 16)
    tweet: dict[str, Any] = {
        "edit_info": {
            "initial": {
                "editTweetIds": [tweet_id],
                "editableUntil": (moment.replace(microsecond=0)).strftime("%Y-%m-%dT%H:%M:%S.000Z"),
                "editsRemaining": "5",
                "isEditEligible": not post.text.startswith("RT @"),
            }
        },
        "retweeted": False,
        "source": '<a href="https://mobile.twitter.com" rel="nofollow">Twitter Web App</a>',
        "entities": {"hashtags": hashtags, "symbols": [], "user_mentions": mentions, "urls": url_entities},
        "display_text_range": ["0", str(len(text))],
        "favorite_count": str(0 if post.text.startswith("RT @") else digest % 23),
        "id_str": tweet_id,
        "truncated": False,
        "retweet_count": str(digest % 5),
        "id": tweet_id,
        "created_at": _twitter_time(moment),
        "favorited": False,
        "full_text": html.escape(text, quote=False),
        "lang": post.lang,
    }
    if post.reply_to:
        parent = snowflake(moment - timedelta(minutes=37), 3)
        tweet.update(
            in_reply_to_status_id_str=parent,
            in_reply_to_status_id=parent,
            in_reply_to_user_id=_user_id(post.reply_to),
            in_reply_to_user_id_str=_user_id(post.reply_to),
            in_reply_to_screen_name=post.reply_to,
        )
    return {"tweet": tweet}


def _like(post: Post, tweet_id: str) -> dict[str, Any]:
    like: dict[str, Any] = {"tweetId": tweet_id}
    if post.text:
        like["fullText"] = html.escape(post.text, quote=False)
    like["expandedUrl"] = f"https://twitter.com/i/web/status/{tweet_id}"
    return {"like": like}


def _js(global_name: str, entries: Iterable[Any]) -> str:
    body = json.dumps(list(entries), indent=2, separators=(",", " : "), ensure_ascii=False)
    return f"window.{global_name} = {body}"


def archive(persona: Persona, generated_at: str = GENERATED_AT) -> tuple[bytes, list[str]]:
    """The persona's X archive (zip bytes) and every tweet and liked-tweet id in it."""
    tweets: list[tuple[datetime, dict[str, Any]]] = []
    likes: list[dict[str, Any]] = []
    ids: list[str] = []
    for index, post in enumerate(persona.posts):
        moment = datetime.strptime(post.at, "%Y-%m-%d %H:%M").replace(tzinfo=UTC)
        tweet_id = snowflake(moment, (persona.seed * 997 + index * 131) % 4096)
        ids.append(tweet_id)
        if post.like:
            likes.append(_like(post, tweet_id))
        else:
            tweets.append((moment, _tweet(post, tweet_id, moment)))
    ordered = [entry for _, entry in sorted(tweets, key=lambda t: t[0], reverse=True)]
    half = (len(ordered) + 1) // 2
    parts = [ordered[:half], ordered[half:]]
    files: dict[str, str] = {}
    files["data/account.js"] = _js(
        "YTD.account.part0",
        [
            {
                "account": {
                    "email": persona.email,
                    "createdVia": "web",
                    "username": persona.username,
                    "accountId": persona.account_id,
                    "createdAt": persona.created_at,
                    "accountDisplayName": persona.display_name,
                }
            }
        ],
    )
    files["data/tweets.js"] = _js("YTD.tweets.part0", parts[0])
    files["data/tweets-part1.js"] = _js("YTD.tweets.part1", parts[1])
    files["data/like.js"] = _js("YTD.like.part0", likes)
    manifest = {
        "userInfo": {
            "accountId": persona.account_id,
            "userName": persona.username,
            "displayName": persona.display_name,
        },
        "archiveInfo": {
            "sizeBytes": str(sum(len(v.encode()) for v in files.values())),
            "generationDate": generated_at,
            "isPartialArchive": False,
            "maxPartSizeBytes": "53687091200",
        },
        "readmeInfo": {"fileName": "data/README.txt", "directory": "data/", "name": "README.txt"},
        "dataTypes": {
            "account": {"files": [{"fileName": "data/account.js", "globalName": "YTD.account.part0", "count": "1"}]},
            "like": {"files": [{"fileName": "data/like.js", "globalName": "YTD.like.part0", "count": str(len(likes))}]},
            "tweets": {
                "files": [
                    {"fileName": "data/tweets.js", "globalName": "YTD.tweets.part0", "count": str(len(parts[0]))},
                    {"fileName": "data/tweets-part1.js", "globalName": "YTD.tweets.part1", "count": str(len(parts[1]))},
                ]
            },
        },
    }
    files["data/manifest.js"] = "window.__THAR_CONFIG = " + json.dumps(manifest, indent=2, ensure_ascii=False)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
        for name in ("data/manifest.js", "data/account.js", "data/tweets.js", "data/tweets-part1.js", "data/like.js"):
            info = zipfile.ZipInfo(name, date_time=ZIP_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            zf.writestr(info, files[name].encode())
    return buffer.getvalue(), ids


# --- checks ----------------------------------------------------------------------------------------


def words(text: str) -> list[str]:
    return re.findall(r"[a-z0-9]+", text.lower())


def ngrams(text: str, n: int = NGRAM) -> set[tuple[str, ...]]:
    tokens = words(text)
    return {tuple(tokens[i : i + n]) for i in range(len(tokens) - n + 1)}


def shared_ngrams(posts: Iterable[str], transcripts: Iterable[str]) -> list[tuple[str, tuple[str, ...]]]:
    """Every (post, 5-word sequence) that also occurs in a transcript: a post must not restate a video."""
    spoken: set[tuple[str, ...]] = set()
    for text in transcripts:
        spoken |= ngrams(text)
    return [(post, gram) for post in posts for gram in sorted(ngrams(post) & spoken)]


# --- the set ---------------------------------------------------------------------------------------


def build() -> dict[str, bytes]:
    """Every file of this folder's set, by path relative to this folder."""
    return build_set(HERE, VIDEOS, TOPICS, PERSONAS, GENERATED_AT)


def build_set(
    folder: Path,
    videos: Sequence[Video],
    topics: dict[str, dict[str, object]],
    personas: Sequence[Persona],
    generated_at: str,
) -> dict[str, bytes]:
    """Every file of a set whose captions are in `folder`/raw, by path relative to `folder`."""
    raw_dir = folder / "raw"
    catalog: list[dict[str, Any]] = []
    label_videos: dict[str, dict[str, Any]] = {}
    spoken: list[str] = []
    for video in videos:
        segments, duration_s = transcript(video, raw_dir)
        spoken.append(" ".join(s["text"] for s in segments))
        catalog.append(
            {
                "id": video.id,
                "title": video.title,
                "channel": video.channel,
                "description": video.description,
                "published_at": video.published_at,
                "duration_s": duration_s,
                "view_count": video.view_count,
                "like_count": video.like_count,
                "transcript": segments,
            }
        )
        golden = snap(video.golden, segments) if video.golden else None
        if video.kind == "learning" and golden is not None and not 60 <= golden[1] - golden[0] <= 150:
            raise ValueError(f"{video.id}: golden passage {golden} is not 60-150 s")
        label_videos[video.id] = {"topic": video.topic, "kind": video.kind, "golden": golden}

    files: dict[str, bytes] = {}
    label_personas: dict[str, dict[str, Any]] = {}
    overlap = shared_ngrams((p.text for persona in personas for p in persona.posts if p.text), spoken)
    if overlap:
        raise ValueError("posts repeat transcripts:\n" + "\n".join(f"{' '.join(g)!r} in {t!r}" for t, g in overlap))
    for persona in personas:
        data, ids = archive(persona, generated_at)
        files[f"personas/{persona.name}.zip"] = data
        label_personas[persona.name] = {
            "email": persona.email,
            "archive": f"personas/{persona.name}.zip",
            "instructions": persona.instructions,
            "relevant_topics": list(persona.relevant),
            "stale_topics": list(persona.stale),
            "excluded_topics": list(persona.excluded),
            "tweet_ids": ids,
        }
    labels = {"videos": label_videos, "personas": label_personas, "topics": topics}
    files["catalog.json"] = (json.dumps({"videos": catalog}, ensure_ascii=False, indent=1) + "\n").encode()
    files["labels.json"] = (json.dumps(labels, ensure_ascii=False, indent=1) + "\n").encode()
    total = sum(len(b) for b in files.values()) + sum(p.stat().st_size for p in raw_dir.iterdir())
    if total > MAX_SET_BYTES:
        raise ValueError(f"the set takes {total} bytes, more than {MAX_SET_BYTES}")
    return files


def _same(path: Path, data: bytes) -> bool:
    return path.is_file() and path.read_bytes() == data


def main(argv: list[str]) -> int:
    return run(argv, HERE, VIDEOS, TOPICS, PERSONAS, GENERATED_AT, description=__doc__.splitlines()[0])


def run(
    argv: list[str],
    folder: Path,
    videos: Sequence[Video],
    topics: dict[str, dict[str, object]],
    personas: Sequence[Persona],
    generated_at: str,
    *,
    description: str,
) -> int:
    """The command line of a set's build: write its files into `folder`, or with --check compare them."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--check", action="store_true", help="compare with the files on disk instead of writing")
    args = parser.parse_args(argv)
    files = build_set(folder, videos, topics, personas, generated_at)
    if args.check:
        stale = [name for name, data in files.items() if not _same(folder / name, data)]
        for name in stale:
            print(f"out of date: {name}", file=sys.stderr)
        return 1 if stale else 0
    for name, data in files.items():
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    print(f"wrote {len(files)} files, {len(videos)} videos, {len(personas)} personas")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
