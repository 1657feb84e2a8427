"""Prints the quality table of the local engine on an evaluation set: one line per persona, with run time.

    .venv/bin/python bench/eval.py [--set dev|real|wide | --dir PATH] [-v] [--repeat N] [--feed-size N]
    .venv/bin/python bench/eval.py --set real --subsample 0.8 --seeds 12

`dev` is the synthetic set (shared/eval/dev), `real` the set built from real captions (eval/real),
`wide` the real-caption set over several distinct school subjects (eval/wide).
With `--second-day`, each run is the one after the first (its feed already seen, its
interests the ones the user last saw), as the scheduled refresh makes it: what is left once
the best videos have been shown.
Each run asks for `--feed-size` clips, the product's default unless given: a person who
runs the CLI gets that many, and the scorer reads the first ten of them.
`seconds` is the fastest of N runs of one persona, from archive bytes to scored feed
(the catalog is read and indexed once, before the first run, and timed apart).

A persona's whole archive is one draw of what that person might have posted. With
`--subsample`, each persona is run `--seeds` times on a random share of its archive's
items and the table shows the means: the spread of the figures over persons like these,
which one run on one archive overstates or understates.
"""

from __future__ import annotations

import argparse
import resource
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from app.models import DEFAULT_FEED_SIZE, FEED_SIZES
from app.sources.catalog import CatalogSource
from tests.eval_harness import DEV_SET, REAL_SET, WIDE_SET, EvalRun, labels, run_persona

SETS = {"dev": DEV_SET, "real": REAL_SET, "wide": WIDE_SET}


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--set", choices=sorted(SETS), default="dev", help="which evaluation set to run")
    parser.add_argument("--dir", type=Path, help="an evaluation set folder (catalog.json, labels.json, personas/)")
    parser.add_argument("-v", "--verbose", action="store_true", help="show interests, feed and skipped candidates")
    parser.add_argument("--repeat", type=int, default=3, help="runs per persona; the fastest is shown")
    parser.add_argument("--subsample", type=float, help="run on this random share of each archive's items")
    parser.add_argument("--seeds", type=int, default=12, help="with --subsample: draws per persona, means shown")
    parser.add_argument(
        "--second-day", action="store_true", help="score the run after the first, with the first feed already seen"
    )
    parser.add_argument(
        "--feed-size", type=int, default=DEFAULT_FEED_SIZE, help="clips each run asks for (the product's default)"
    )
    args = parser.parse_args(argv)
    if not FEED_SIZES[0] <= args.feed_size <= FEED_SIZES[1]:
        parser.error(f"--feed-size is {FEED_SIZES[0]} to {FEED_SIZES[1]} clips, as a user may ask")
    if args.subsample is not None and not 0 < args.subsample <= 1:
        parser.error("--subsample is a share of the archive, above 0 and at most 1")
    eval_dir = args.dir.resolve() if args.dir else SETS[args.set]
    if not (eval_dir / "labels.json").is_file():
        print(f"evaluation set not found at {eval_dir}", file=sys.stderr)
        return 2
    started = time.perf_counter()
    CatalogSource.from_path(eval_dir / "catalog.json")
    print(f"{eval_dir}: catalog read and indexed in {time.perf_counter() - started:.2f} s")
    header = ("persona", "p@10", "clip_hit", "grounded", "excluded", "stale", "items", "named", "seconds")
    print(f"{header[0]:8} " + " ".join(f"{h:>8}" for h in header[1:]))
    if args.subsample is not None:
        return subsampled(eval_dir, args.subsample, args.seeds, args.feed_size, second_day=args.second_day)
    for persona in labels(eval_dir)["personas"]:
        runs = [
            next_day(persona, eval_dir, args.feed_size)
            if args.second_day
            else run_persona(persona, eval_dir, feed_size=args.feed_size)
            for _ in range(max(1, args.repeat))
        ]
        run = runs[0]
        m = run.metrics
        named = "-" if m.get("named") is None else f"{m['named']:.2f}"
        print(
            f"{persona:8} {m['p@10']:8.2f} {m['clip_hit']:8.2f} {m['grounded']:8.2f} {m['excluded']:8d} "
            f"{m['stale']:8d} {m['items']:8d} {named:>8} {min(r.seconds for r in runs):8.2f}"
        )
        if args.verbose:
            show(run, eval_dir)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak memory {peak:.0f} MiB")
    return 0


def next_day(persona: str, eval_dir: Path, feed_size: int, *, keep: float = 1.0, seed: int = 0) -> EvalRun:
    """The run after the first, as the scheduled refresh makes it: the first feed's videos shown already, and
    the interests the user saw with them known."""
    first = run_persona(persona, eval_dir, keep=keep, seed=seed, feed_size=feed_size)
    seen = [item.video_id for item in first.feed]
    return run_persona(
        persona, eval_dir, keep=keep, seed=seed, seen=seen, previous=first.interests, feed_size=feed_size
    )


def subsampled(eval_dir: Path, keep: float, seeds: int, feed_size: int, *, second_day: bool = False) -> int:
    """Per persona, the mean of each figure over `seeds` runs on a random `keep` share of its archive."""
    print(f"means over {seeds} draws of {keep:.0%} of each archive's items")
    columns = ("p@10", "clip_hit", "grounded", "excluded", "stale", "items", "named")
    means: dict[str, list[float]] = {c: [] for c in columns}
    for persona in labels(eval_dir)["personas"]:
        runs = [
            next_day(persona, eval_dir, feed_size, keep=keep, seed=seed)
            if second_day
            else run_persona(persona, eval_dir, keep=keep, seed=seed, feed_size=feed_size)
            for seed in range(seeds)
        ]
        line = {c: statistics.mean(float(r.metrics.get(c) or 0) for r in runs) for c in columns}
        seconds = statistics.mean(r.seconds for r in runs)
        print(f"{persona:8} " + " ".join(f"{line[c]:8.2f}" for c in columns) + f" {seconds:8.2f}")
        for c in columns:
            means[c].append(line[c])
    print(f"{'mean':8} " + " ".join(f"{statistics.mean(means[c]):8.2f}" for c in columns))
    return 0


def show(run: EvalRun, eval_dir: Path) -> None:
    videos = labels(eval_dir)["videos"]
    for interest in run.interests:
        print(f"    interest {interest.weight:.2f} {interest.name}: {', '.join(interest.keywords[:6])}")
    for item in run.feed:
        v = videos.get(item.video_id, {})
        print(
            f"    {item.score:.3f} {v.get('topic')!s:18} {v.get('kind', '?')[:5]} "
            f"{item.start_s:6.1f}-{item.end_s:6.1f} golden={v.get('golden')} [{item.interest}] {item.title[:50]}"
        )
        print(f"        {item.explanation}")
    for line in run.skipped:
        print(f"    skipped {line}")


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
