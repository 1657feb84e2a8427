"""The dev-set personas through the LLM path, against the loopback server with a fixed latency.

.venv/bin/python bench/llm_run.py [--latency 0.3] [--concurrency N] [--json]

The server is an ORACLE, not a model: it answers from the evaluation labels, so the
"oracle_p@10" and "oracle_clip_hit" columns measure the plumbing (what reaches the model,
what survives validation), never a model's judgement. What this benchmark does measure:

- calls per run and the tokens sent (the server counts one token per four characters);
- the ratio of those tokens to two designs without pre-filters, in the same prompts and
  format: "all" sends every candidate's whole transcript in a call of its own (the goal is
  at most 15% of it), "seed" one call per screened candidate with its whole transcript;
- the cost at the default model's prices (the price table in settings), per run and per
  ten clips (goal: at most $0.02 per 10-clip run);
- wall time next to the critical path (the stages that call the model, one call's latency
  each, one after another; goal: at most 1.5x);
- the share of feed items whose explanation the model wrote and whether the model named
  the interests.

`--json` prints one JSON object: the worst persona's figure for each goal (`cost_usd` per
10-clip run, `tokens_ratio` against "all", `calls`, `wall_ratio`, `model_explained_share`,
`model_named_share`), plus `seed_tokens_ratio` and the per-persona rows under `personas`.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from app.config import Settings
from app.llm.budget import PriceTable
from tests.eval_harness import labels
from tests.fake_openai_server import FakeOpenAI, run_fake_openai
from tests.llm_pipeline import DEV_SET, Oracle, run_cost, run_persona

MODEL_OUTCOMES = {"ok", "invalid", "error"}


def measure(persona: str, fake: FakeOpenAI, *, latency: float, concurrency: int) -> dict[str, Any]:
    """One persona's run and its figures."""
    fake.reset()
    fake.latency_s = latency
    fake.answer(Oracle(persona))
    run = run_persona(persona, fake, concurrency=concurrency)
    if fake.problems:
        raise SystemExit(f"{persona}: the server saw bad requests: {fake.problems[:3]}")
    settings = Settings()
    cost = run_cost(run.records, PriceTable(settings.openrec_llm_prices), settings.openrec_llm_model)
    sent = sum(r.tokens_in for r in run.records)
    items = len(run.feed)
    critical = len({r.stage for r in run.records if r.outcome in MODEL_OUTCOMES}) * latency
    by_stage: dict[str, dict[str, int]] = {}
    for record in run.records:
        if record.outcome in MODEL_OUTCOMES:
            stage = by_stage.setdefault(record.stage, {"calls": 0, "tokens_in": 0, "tokens_out": 0})
            stage["calls"] += 1
            stage["tokens_in"] += record.tokens_in
            stage["tokens_out"] += record.tokens_out
    return {
        "persona": persona,
        "calls": len(fake.requests),
        "tokens_in": sent,
        "tokens_out": sum(r.tokens_out for r in run.records),
        "all_tokens": run.naive_tokens,
        "all_calls": 3 + run.naive["clip_calls"],
        "seed_tokens": run.seed_tokens,
        "seed_calls": 3 + run.seed["clip_calls"],
        "tokens_ratio": sent / run.naive_tokens,
        "seed_tokens_ratio": sent / run.seed_tokens,
        "cost_usd_run": cost,
        "cost_usd": cost * 10 / max(items, 1),
        "items": items,
        "wall_s": run.seconds,
        "critical_s": critical,
        "wall_ratio": run.seconds / critical if critical else 0.0,
        "model_explained_share": run.model_explained_share,
        "model_named_share": 1.0 if run.engine.named_by_model else 0.0,
        "oracle_p@10": run.metrics["p@10"],
        "oracle_clip_hit": run.metrics["clip_hit"],
        "grounded": run.metrics["grounded"],
        "stages": by_stage,
    }


def summary(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """The worst persona's figure for each goal."""
    return {
        "cost_usd": max(r["cost_usd"] for r in rows),
        "tokens_ratio": max(r["tokens_ratio"] for r in rows),
        "seed_tokens_ratio": max(r["seed_tokens_ratio"] for r in rows),
        "calls": max(r["calls"] for r in rows),
        "wall_ratio": max(r["wall_ratio"] for r in rows),
        "model_explained_share": min(r["model_explained_share"] for r in rows),
        "model_named_share": min(r["model_named_share"] for r in rows),
        "personas": rows,
    }


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--latency", type=float, default=0.3, help="seconds the server takes per call")
    parser.add_argument("--concurrency", type=int, default=Settings().openrec_llm_concurrency)
    parser.add_argument("--json", action="store_true", help="print the figures as one JSON object")
    args = parser.parse_args(argv)
    if not DEV_SET.is_dir():
        print(f"evaluation set not found at {DEV_SET}", file=sys.stderr)
        return 2
    with run_fake_openai() as fake:
        personas = labels(DEV_SET)["personas"]
        rows = [measure(p, fake, latency=args.latency, concurrency=args.concurrency) for p in personas]
    figures = summary(rows)
    if args.json:
        print(json.dumps(figures, indent=2))
        return 0
    settings = Settings()
    model = settings.openrec_llm_model
    print(
        f"model prices: {model} {PriceTable(settings.openrec_llm_prices).for_model(model)} USD/M in/out; "
        f"latency {args.latency}s; concurrency {args.concurrency}; the server is an oracle over the labels"
    )
    columns = (
        ("persona", "persona", "{}"),
        ("calls", "calls", "{}"),
        ("sent", "tokens_in", "{}"),
        ("all", "all_tokens", "{}"),
        ("/all", "tokens_ratio", "{:.1%}"),
        ("seed", "seed_tokens", "{}"),
        ("/seed", "seed_tokens_ratio", "{:.1%}"),
        ("seed_calls", "seed_calls", "{}"),
        ("$/run", "cost_usd_run", "{:.5f}"),
        ("$/10clip", "cost_usd", "{:.5f}"),
        ("items", "items", "{}"),
        ("wall/crit", "wall_ratio", "{:.2f}x"),
        ("explained", "model_explained_share", "{:.0%}"),
        ("named", "model_named_share", "{:.0%}"),
        ("oracle_p@10", "oracle_p@10", "{:.2f}"),
        ("oracle_hit", "oracle_clip_hit", "{:.2f}"),
        ("grounded", "grounded", "{:.2f}"),
    )
    print(" ".join(f"{title:>11}" for title, _, _ in columns))
    for row in rows:
        print(" ".join(f"{fmt.format(row[key]):>11}" for _, key, fmt in columns))
        stages = ", ".join(f"{stage}: {s['calls']} calls {s['tokens_in']} in" for stage, s in row["stages"].items())
        print(f"            {stages}")
    print(
        f"goals (worst persona): ${figures['cost_usd']:.4f} per 10 clips (<= $0.02); "
        f"{figures['tokens_ratio']:.1%} of all-transcripts tokens (<= 15%); {figures['calls']} calls (<= 8); "
        f"wall {figures['wall_ratio']:.2f}x the critical path (<= 1.5x); "
        f"model wrote {figures['model_explained_share']:.0%} of explanations, named "
        f"{figures['model_named_share']:.0%} of interest sets"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
