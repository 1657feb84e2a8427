"""The dev-set personas through the LLM path, against the loopback server with a fixed latency.

.venv/bin/python bench/llm_run.py [--latency 0.3] [--concurrency N]

The server answers from the evaluation labels (an oracle), so quality figures show the
plumbing, not a model. Per run it prints: model calls, clips the local engine chose without
one, tokens sent (the server counts one token per four characters of the messages), the
tokens a design without pre-filters would send in the same prompts and format (every post,
every candidate, and one clip call per screened candidate with its whole transcript), their
ratio, the estimated cost at the default model's prices, and wall time next to the critical
path (the stages that call the model, one after another, one call's latency each); then
tokens sent and naive per stage. Goals: tokens <= 10% of naive; <= $0.02 per run of 10
clips; wall <= 2x the critical path.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from app.config import Settings
from app.llm.budget import PriceTable
from tests.eval_harness import labels
from tests.fake_openai_server import run_fake_openai
from tests.llm_pipeline import DEV_SET, Oracle, run_cost, run_persona


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--latency", type=float, default=0.3, help="seconds the server takes per call")
    parser.add_argument("--concurrency", type=int, default=Settings().openrec_llm_concurrency)
    args = parser.parse_args(argv)
    if not DEV_SET.is_dir():
        print(f"evaluation set not found at {DEV_SET}", file=sys.stderr)
        return 2
    settings = Settings()
    model = settings.openrec_llm_model
    prices = PriceTable(settings.openrec_llm_prices)
    print(
        f"model prices: {model} {prices.for_model(model)} USD/M in/out; latency {args.latency}s; "
        f"concurrency {args.concurrency}"
    )
    header = (
        "persona",
        "calls",
        "local",
        "sent",
        "naive",
        "ratio",
        "cost$",
        "$/10clip",
        "items",
        "wall_s",
        "crit_s",
        "wall/crit",
        "p@10",
        "clip_hit",
        "grounded",
    )
    print(" ".join(f"{h:>9}" for h in header))
    with run_fake_openai() as fake:
        for persona in labels(DEV_SET)["personas"]:
            fake.reset()
            fake.latency_s = args.latency
            fake.answer(Oracle(persona))
            run = run_persona(persona, fake, concurrency=args.concurrency)
            if fake.problems:
                print(f"{persona}: the server saw bad requests: {fake.problems[:3]}", file=sys.stderr)
                return 1
            sent = sum(r.tokens_in for r in run.records)
            cost = run_cost(run.records, prices, model)
            items = len(run.feed)
            stages_called = len({r.stage for r in run.records if r.outcome in {"ok", "invalid", "error"}})
            critical = stages_called * args.latency
            m = run.metrics
            row = (
                persona,
                f"{len(fake.requests)}",
                f"{sum(r.outcome == 'local' for r in run.records)}",
                f"{sent}",
                f"{run.naive_tokens}",
                f"{sent / run.naive_tokens:.1%}",
                f"{cost:.5f}",
                f"{cost * 10 / max(items, 1):.5f}",
                f"{items}",
                f"{run.seconds:.2f}",
                f"{critical:.2f}",
                f"{run.seconds / critical:.2f}x",
                f"{m['p@10']:.2f}",
                f"{m['clip_hit']:.2f}",
                f"{m['grounded']:.2f}",
            )
            print(" ".join(f"{v:>9}" for v in row))
            by_stage: dict[str, list[int]] = {}
            for record in run.records:
                if record.outcome != "local":
                    by_stage.setdefault(record.stage, []).append(record.tokens_in)
            print(
                "          "
                + ", ".join(
                    f"{stage}: {len(by_stage.get(stage, []))} calls {sum(by_stage.get(stage, []))}/{naive} tokens"
                    for stage, naive in run.naive.items()
                )
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
