"""The real-caption evaluation sets are whole: rebuilt byte for byte, self-consistent, small, never restating a video.

Quality bars on these sets belong to the engine; these tests check the data and that one persona of each runs end to
end. `eval/real` holds neighbouring topics of one course, `eval/wide` distinct school subjects (built by the same
builder).
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

from tests.eval_harness import REAL_SET, WIDE_SET, labels, run_persona, scorer

MAX_BYTES = 10 * 1024 * 1024
SETS = pytest.mark.parametrize("eval_dir", [REAL_SET, WIDE_SET], ids=["real", "wide"])


@cache
def build_module(eval_dir: Path = REAL_SET) -> ModuleType:
    spec = importlib.util.spec_from_file_location(f"openrec_{eval_dir.name}_eval_set_build", eval_dir / "build.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def catalog(eval_dir: Path = REAL_SET) -> list[dict[str, Any]]:
    videos: list[dict[str, Any]] = json.loads((eval_dir / "catalog.json").read_text(encoding="utf-8"))["videos"]
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


@SETS
def test_the_files_on_disk_are_what_the_build_writes(eval_dir: Path) -> None:
    files = build_module(eval_dir).build()
    assert files, "nothing built"
    for name, data in files.items():
        assert (eval_dir / name).read_bytes() == data, f"{name} is out of date: run python3 {eval_dir}/build.py"


@SETS
def test_the_scorer_selftest_passes_on_the_labels(eval_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    scorer(eval_dir).selftest(str(eval_dir / "labels.json"))
    assert "selftest ok" in capsys.readouterr().out


@SETS
def test_no_post_shares_five_words_in_a_row_with_a_transcript(eval_dir: Path) -> None:
    spoken = [" ".join(s["text"] for s in v["transcript"]) for v in catalog(eval_dir)]
    posts = [text for p in sorted((eval_dir / "personas").glob("*.zip")) for text in archive_texts(p)]
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


@SETS
def test_transcripts_are_contiguous_and_cover_each_video(eval_dir: Path) -> None:
    for video in catalog(eval_dir):
        segments = video["transcript"]
        assert segments[0]["start"] == 0.0, video["id"]
        for one, two in itertools.pairwise(segments):
            assert abs(one["start"] + one["duration"] - two["start"]) < 0.02, video["id"]
        last = segments[-1]
        assert abs(last["start"] + last["duration"] - video["duration_s"]) < 0.02, video["id"]


@SETS
def test_labels_cover_the_catalog_and_goldens_sit_on_segment_boundaries(eval_dir: Path) -> None:
    videos = labels(eval_dir)["videos"]
    assert {v["id"] for v in catalog(eval_dir)} == set(videos)
    for video in catalog(eval_dir):
        golden = videos[video["id"]]["golden"]
        if golden is None:
            continue
        starts = {s["start"] for s in video["transcript"]}
        ends = {round(s["start"] + s["duration"], 2) for s in video["transcript"]}
        assert golden[0] in starts and golden[1] in ends, video["id"]


@SETS
def test_the_set_is_small(eval_dir: Path) -> None:
    total = sum(p.stat().st_size for p in eval_dir.rglob("*") if p.is_file() and "__pycache__" not in p.parts)
    assert total < MAX_BYTES


@SETS
def test_one_persona_runs_end_to_end_and_cites_only_its_own_posts(eval_dir: Path) -> None:
    persona = sorted(labels(eval_dir)["personas"])[0]
    run = run_persona(persona, eval_dir)
    known = {v["id"] for v in catalog(eval_dir)}
    archive_ids = set(labels(eval_dir)["personas"][persona]["tweet_ids"])
    assert 0 < len(run.feed) <= 10, run.skipped
    for item in run.feed:
        assert item.video_id in known
        assert item.tweet_ids and set(item.tweet_ids) <= archive_ids
