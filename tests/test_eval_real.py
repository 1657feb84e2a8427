"""The real-caption evaluation set is whole: rebuilt byte for byte, self-consistent, small, never restating a video.

Quality bars on this set belong to the engine; these tests check the data and that one persona runs end to end.
"""

from __future__ import annotations

import importlib.util
import itertools
import json
import sys
import zipfile
from functools import cache
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from tests.eval_harness import REAL_SET, labels, run_persona, scorer

MAX_BYTES = 10 * 1024 * 1024


@cache
def build_module() -> ModuleType:
    spec = importlib.util.spec_from_file_location("openrec_real_eval_build", REAL_SET / "build.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def catalog() -> list[dict[str, Any]]:
    videos: list[dict[str, Any]] = json.loads((REAL_SET / "catalog.json").read_text(encoding="utf-8"))["videos"]
    return videos


def archive_texts(path: Path) -> list[str]:
    """Every tweet and liked-tweet text in an archive, as stored (HTML-escaped)."""
    texts: list[str] = []
    with zipfile.ZipFile(path) as zf:
        for name in zf.namelist():
            body = zf.read(name).decode("utf-8")
            if name.startswith("data/tweets"):
                texts += [t["tweet"]["full_text"] for t in json.loads(body[body.index("=") + 1 :])]
            elif name == "data/like.js":
                likes = json.loads(body[body.index("=") + 1 :])
                texts += [x["like"]["fullText"] for x in likes if "fullText" in x["like"]]
    return texts


def test_the_files_on_disk_are_what_the_build_writes() -> None:
    files = build_module().build()
    assert files, "nothing built"
    for name, data in files.items():
        assert (REAL_SET / name).read_bytes() == data, f"{name} is out of date: run python3 eval/real/build.py"


def test_the_scorer_selftest_passes_on_the_labels(capsys: pytest.CaptureFixture[str]) -> None:
    scorer(REAL_SET).selftest(str(REAL_SET / "labels.json"))
    assert "selftest ok" in capsys.readouterr().out


def test_no_post_shares_five_words_in_a_row_with_a_transcript() -> None:
    spoken = [" ".join(s["text"] for s in v["transcript"]) for v in catalog()]
    posts = [text for p in sorted((REAL_SET / "personas").glob("*.zip")) for text in archive_texts(p)]
    assert len(posts) > 100
    assert build_module().shared_ngrams(posts, spoken) == []


def test_the_overlap_check_catches_a_restated_sentence() -> None:
    video = catalog()[0]
    sentence = " ".join(s["text"] for s in video["transcript"][10:13])
    assert build_module().shared_ngrams([f"so true: {sentence}"], [sentence])


ROLLING_VTT = """WEBVTT
Kind: captions
Language: en

00:00:00.030 --> 00:00:02.470 align:start position:0%
{space}
so<00:00:00.480><c> today</c><00:00:00.840><c> we</c><00:00:01.020><c> look</c><00:00:01.290><c> at</c>

00:00:02.470 --> 00:00:02.480 align:start position:0%
so today we look at


00:00:02.480 --> 00:00:05.110 align:start position:0%
so today we look at
the<00:00:02.910><c> free</c><00:00:03.150><c> energy</c>

00:00:05.110 --> 00:00:05.120 align:start position:0%
the free energy
&gt;&gt; okay

00:00:05.120 --> 00:00:07.000
<v 1>Speaker two takes over.</v>
""".format(space=" ")


def test_automatic_captions_lose_their_rolling_repeats_and_markup() -> None:
    cues = build_module().parse_vtt(ROLLING_VTT)
    assert [(c.start, c.text) for c in cues] == [
        (0.03, "so today we look at"),
        (2.48, "the free energy"),
        (5.11, ">> okay"),
        (5.12, "Speaker two takes over."),
    ]


def test_transcripts_are_contiguous_and_cover_each_video() -> None:
    for video in catalog():
        segments = video["transcript"]
        assert segments[0]["start"] == 0.0, video["id"]
        for one, two in itertools.pairwise(segments):
            assert abs(one["start"] + one["duration"] - two["start"]) < 0.02, video["id"]
        last = segments[-1]
        assert abs(last["start"] + last["duration"] - video["duration_s"]) < 0.02, video["id"]


def test_labels_cover_the_catalog_and_goldens_sit_on_segment_boundaries() -> None:
    videos = labels(REAL_SET)["videos"]
    assert {v["id"] for v in catalog()} == set(videos)
    for video in catalog():
        golden = videos[video["id"]]["golden"]
        if golden is None:
            continue
        starts = {s["start"] for s in video["transcript"]}
        ends = {round(s["start"] + s["duration"], 2) for s in video["transcript"]}
        assert golden[0] in starts and golden[1] in ends, video["id"]


def test_the_set_is_small() -> None:
    total = sum(p.stat().st_size for p in REAL_SET.rglob("*") if p.is_file() and "__pycache__" not in p.parts)
    assert total < MAX_BYTES


def test_one_persona_runs_end_to_end_and_cites_only_its_own_posts() -> None:
    persona = sorted(labels(REAL_SET)["personas"])[0]
    run = run_persona(persona, REAL_SET)
    known = {v["id"] for v in catalog()}
    archive_ids = set(labels(REAL_SET)["personas"][persona]["tweet_ids"])
    assert 0 < len(run.feed) <= 10, run.skipped
    for item in run.feed:
        assert item.video_id in known
        assert item.tweet_ids and set(item.tweet_ids) <= archive_ids
