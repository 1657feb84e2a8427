"""The catalog video source: parsing, ranked search, transcripts and the per-file cache."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

from app.sources.base import SourceError, TranscriptUnavailable
from app.sources.catalog import CatalogError, CatalogSource


def video(video_id: str, title: str, **fields: Any) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "id": video_id,
        "title": title,
        "channel": "Some Channel",
        "description": "",
        "published_at": "2020-01-30",
        "duration_s": 600,
        "view_count": 10,
        "like_count": 1,
        "transcript": [{"text": "hello and welcome", "start": 0.0, "duration": 3.0}],
    }
    entry.update(fields)
    return entry


def write_catalog(path: Path, videos: list[dict[str, Any]]) -> Path:
    path.write_text(json.dumps({"videos": videos}), encoding="utf-8")
    return path


@pytest.fixture
def catalog(tmp_path: Path) -> Path:
    return write_catalog(
        tmp_path / "catalog.json",
        [
            video("aaaaaaaaaaa", "Gardening for beginners", description="Tomatoes and soil."),
            video(
                "bbbbbbbbbbb",
                "Rennet curds in depth",
                channel="Dairy Talks",
                description="How dairies press curds.",
                transcript=[
                    {"text": "a rennet curd sets in a rennet vat", "start": 0.0, "duration": 4.0},
                    {"text": "then cut it cube by cube", "start": 4.0, "duration": 4.0},
                ],
            ),
            video(
                "ccccccccccc",
                "A quiet walk",
                description="No talking.",
                transcript=[{"text": "today we talk about the rennet curd sinking in whey", "start": 0, "duration": 5}],
            ),
            video("ddddddddddd", "Empty captions", transcript=[{"text": "  ", "start": 0, "duration": 2}]),
        ],
    )


def test_search_ranks_metadata_above_transcript_mentions(catalog: Path) -> None:
    source = CatalogSource.from_path(catalog)
    found = source.search("rennet curd", 10)
    assert [c.video_id for c in found] == ["bbbbbbbbbbb", "ccccccccccc"]
    first = found[0]
    assert (first.title, first.channel, first.duration_s, first.query) == (
        "Rennet curds in depth",
        "Dairy Talks",
        600,
        "rennet curd",
    )
    assert str(first.published_at) == "2020-01-30"


def test_search_matches_channel_and_description(catalog: Path) -> None:
    source = CatalogSource.from_path(catalog)
    assert [c.video_id for c in source.search("dairy", 5)] == ["bbbbbbbbbbb"]
    assert [c.video_id for c in source.search("tomatoes", 5)] == ["aaaaaaaaaaa"]


def test_search_limit_and_no_match(catalog: Path) -> None:
    source = CatalogSource.from_path(catalog)
    assert len(source.search("rennet curd", 1)) == 1
    assert source.search("volcano", 5) == []
    assert source.search("the and of", 5) == []  # only stop words
    assert source.search("rennet", 0) == []


def test_fetch_returns_the_catalog_transcript(catalog: Path) -> None:
    transcript = CatalogSource.from_path(catalog).fetch("bbbbbbbbbbb")
    assert transcript.video_id == "bbbbbbbbbbb"
    assert [s.text for s in transcript.segments] == ["a rennet curd sets in a rennet vat", "then cut it cube by cube"]
    assert transcript.segments[1].start == 4.0


@pytest.mark.parametrize("video_id", ["zzzzzzzzzzz", "ddddddddddd"])
def test_unknown_or_empty_transcripts_are_unavailable(catalog: Path, video_id: str) -> None:
    with pytest.raises(TranscriptUnavailable) as caught:
        CatalogSource.from_path(catalog).fetch(video_id)
    assert caught.value.video_id == video_id and caught.value.reason


def test_loaded_once_per_path_and_reloaded_when_the_file_changes(catalog: Path) -> None:
    first = CatalogSource.from_path(catalog)
    assert CatalogSource.from_path(str(catalog)) is first
    write_catalog(catalog, [video("eeeeeeeeeee", "Volcano documentary")])
    stat = catalog.stat()
    os.utime(catalog, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))
    second = CatalogSource.from_path(catalog)
    assert second is not first
    assert [c.video_id for c in second.search("volcano", 5)] == ["eeeeeeeeeee"]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("not json", "not readable JSON"),
        ('{"items": []}', '"videos" list'),
        ('{"videos": [{"title": "no id"}]}', "has no id"),
        ('{"videos": [{"id": "x", "transcript": [{"text": "a"}]}]}', "malformed"),
        ('{"videos": [{"id": "x", "published_at": "yesterday"}]}', "malformed"),
    ],
)
def test_bad_catalog_files_raise_a_clear_error(tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "bad.json"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(CatalogError, match=message) as caught:
        CatalogSource.from_path(path)
    assert isinstance(caught.value, SourceError)


def test_missing_file_raises(tmp_path: Path) -> None:
    with pytest.raises(CatalogError, match="cannot be read"):
        CatalogSource.from_path(tmp_path / "missing.json")


def test_empty_catalog_answers_nothing(tmp_path: Path) -> None:
    source = CatalogSource.from_path(write_catalog(tmp_path / "empty.json", []))
    assert len(source) == 0
    assert source.search("anything", 5) == []
