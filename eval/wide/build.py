"""Builds the wide evaluation set: catalog.json, labels.json and personas/<name>.zip.

    python3 eval/wide/build.py            write the set next to this file
    python3 eval/wide/build.py --check    rebuild in memory and fail if the files on disk differ

The builder is the real-caption set's (eval/real/build.py), run on this folder's captions,
videos, topics and personas. Standard library only and deterministic.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

HERE = Path(__file__).resolve().parent
REAL = HERE.parent / "real"
sys.path.insert(0, str(REAL))  # the builder's own imports and the records (Video, Post, Persona) the tables use


def _load(name: str, path: Path) -> ModuleType:
    """A module by file path, under a name of its own (both sets have a videos.py and a posts.py)."""
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise ImportError(path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


builder = _load("openrec_real_eval_build", REAL / "build.py")
videos = _load("openrec_wide_eval_videos", HERE / "videos.py")
posts = _load("openrec_wide_eval_posts", HERE / "posts.py")


def build() -> dict[str, bytes]:
    """Every file of the set, by path relative to this folder."""
    files: dict[str, bytes] = builder.build_set(HERE, videos.VIDEOS, posts.TOPICS, posts.PERSONAS, posts.GENERATED_AT)
    return files


def main(argv: list[str]) -> int:
    code: int = builder.run(
        argv,
        HERE,
        videos.VIDEOS,
        posts.TOPICS,
        posts.PERSONAS,
        posts.GENERATED_AT,
        description=(__doc__ or "").splitlines()[0],
    )
    return code


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
