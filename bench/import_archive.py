"""Benchmark: parse and import a real-format X archive of 100,000 posts and 50,000 likes.

Prints wall time and peak traced memory of `parse_archive` next to a baseline measured in
the same run (plain `json.loads` of the same payloads, already decompressed), then the wall
time of the full import (parse + bulk insert + commit) into a temporary SQLite file and,
with --postgres URL, into a temporary schema of that PostgreSQL database (dropped after).

    .venv/bin/python bench/import_archive.py [--tweets N] [--likes N] [--postgres postgresql+psycopg://…]

Goals: parse within 2x the baseline and under 1 GiB; the full import under 60 s on PostgreSQL.
"""

from __future__ import annotations

import argparse
import gc
import json
import random
import sys
import tempfile
import time
import tracemalloc
import uuid
import zipfile
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from io import BytesIO
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import create_engine, text
from sqlalchemy.orm import Session

from app.db import Base, make_engine
from app.models import User
from app.services.imports import import_archive
from app.sources.x_archive import ArchiveLimits, parse_archive
from tests.archive_factory import archive_files, like_entry, snowflake, tweet_entry, zip_bytes

WORDS = [
    "cheese",
    "rennet",
    "curd",
    "whey",
    "vat",
    "cheddar",
    "press",
    "culture",
    "brine",
    "mushroom",
    "foraging",
    "chanterelle",
    "morel",
    "spore",
    "knitting",
    "yarn",
    "purl",
    "cable",
    "needle",
    "swatch",
    "sailing",
    "tacking",
    "jib",
    "mainsail",
    "rudder",
    "calligraphy",
    "nib",
    "ink",
    "lettering",
    "woodworking",
    "dovetail",
    "chisel",
    "mortise",
    "tenon",
    "plane",
    "café",
    "naïve",
    "über",
    "lol",
    "🧵",
    "🍄",
    "✂️",
    "🧶",
]
MIB = 1024 * 1024


def make_archive(n_tweets: int, n_likes: int, seed: int = 7) -> bytes:
    """A varied archive: tweets, retweets, replies, quotes with t.co links, escaped text, emoji; likes."""
    rng = random.Random(seed)
    now = datetime(2026, 11, 20, tzinfo=UTC)
    tweets = []
    for n in range(n_tweets):
        moment = now - timedelta(minutes=7 * n)
        words = " ".join(rng.choices(WORDS, k=rng.randint(3, 40)))
        tweet_id = snowflake(moment, n)
        form = n % 10
        if form == 0:
            tweets.append(
                tweet_entry(tweet_id, f"RT @someone_{n % 97}: {words}", moment, mentions=[f"someone_{n % 97}"])
            )
        elif form == 1:
            tweets.append(tweet_entry(tweet_id, f"@friend_{n % 13} {words}", moment, reply_to=snowflake(moment, 1)))
        elif form == 2:
            link = f"https://t.co/q{n:08d}"
            quoted = f"https://twitter.com/author_{n % 31}/status/{snowflake(moment - timedelta(hours=1))}"
            tweets.append(tweet_entry(tweet_id, f"{words} &amp; more {link}", moment, urls=[(link, quoted)]))
        elif form == 3:
            link = f"https://t.co/u{n:08d}"
            target = f"https://example.org/article/{n}?a=1&b=2"
            tweets.append(tweet_entry(tweet_id, f"{words} &lt;3 {link}", moment, urls=[(link, target)]))
        else:
            tweets.append(tweet_entry(tweet_id, words, moment, lang=rng.choice(["en", "en", "de", "und"])))
    likes = []
    for n in range(n_likes):
        like_id = snowflake(now - timedelta(minutes=11 * n), 2_000_000 + n)
        likes.append(like_entry(like_id, None if n % 50 == 0 else " ".join(rng.choices(WORDS, k=rng.randint(3, 30)))))
    files = archive_files(tweets, likes, tweet_parts=2)
    return zip_bytes(files)


def measure(label: str, work: Callable[[], Any]) -> tuple[float, float]:
    """Wall seconds (untraced run) and peak traced MiB (a second, traced run) of `work`."""
    gc.collect()
    start = time.perf_counter()
    work()
    seconds = time.perf_counter() - start
    gc.collect()
    tracemalloc.start()
    work()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    print(f"{label:<28} {seconds:8.2f} s   peak {peak / MIB:8.1f} MiB")
    return seconds, peak / MIB


def payloads(data: bytes) -> list[str]:
    """The JSON text of every tweets/like file, decompressed and prefix-stripped: the baseline's input."""
    with zipfile.ZipFile(BytesIO(data)) as archive:
        texts = [archive.read(name).decode() for name in archive.namelist() if "/tweets" in name or "/like" in name]
    return [t[t.index("=") + 1 :].strip().rstrip(";") for t in texts]


def compare_parse(data: bytes) -> None:
    texts = payloads(data)
    print(f"JSON payloads: {sum(len(t.encode()) for t in texts) / MIB:.1f} MiB")
    base_s, _ = measure("baseline json.loads", lambda: [json.loads(t) for t in texts])
    parse_s, parse_peak = measure("parse_archive", lambda: parse_archive(data, limits=LIMITS))
    print(f"parse / baseline: {parse_s / base_s:.2f}x (goal <= 2x); parse peak {parse_peak:.0f} MiB (goal < 1024)")


def full_import(url: str, data: bytes, *, schema: str | None = None) -> float:
    """Seconds for parse + bulk insert + commit into an empty database at `url`."""
    engine = (
        make_engine(url) if schema is None else create_engine(url, connect_args={"options": f"-csearch_path={schema}"})
    )
    Base.metadata.create_all(engine)
    with Session(engine) as session:
        user = User(email=f"bench-{uuid.uuid4().hex[:8]}@example.com", password_hash="x")
        session.add(user)
        session.commit()
        start = time.perf_counter()
        job = import_archive(session, user=user, data=data, filename="bench.zip", limits=LIMITS)
        session.commit()
        seconds = time.perf_counter() - start
        print(f"  counts {job.counts}  skipped {job.skipped}")
    engine.dispose()
    return seconds


LIMITS = ArchiveLimits(max_uncompressed_bytes=1024 * MIB, max_members=50_000)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tweets", type=int, default=100_000)
    parser.add_argument("--likes", type=int, default=50_000)
    parser.add_argument("--postgres", default="", help="a PostgreSQL URL; a temporary schema is used and dropped")
    args = parser.parse_args()

    start = time.perf_counter()
    data = make_archive(args.tweets, args.likes)
    print(f"archive: {args.tweets:,} posts + {args.likes:,} likes, {len(data) / MIB:.1f} MiB zipped", end=" ")
    print(f"(built in {time.perf_counter() - start:.1f} s)")
    compare_parse(data)
    with tempfile.TemporaryDirectory() as folder:
        seconds = full_import(f"sqlite:///{folder}/bench.sqlite3", data)
        print(f"full import, SQLite:     {seconds:8.2f} s")
    if args.postgres:
        schema = f"openrec_bench_{uuid.uuid4().hex[:8]}"
        admin = create_engine(args.postgres, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
        try:
            seconds = full_import(args.postgres, data, schema=schema)
            print(f"full import, PostgreSQL: {seconds:8.2f} s (goal < 60 s)")
        finally:
            with admin.connect() as conn:
                conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
            admin.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main())
