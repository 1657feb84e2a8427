"""Runs in the terminal: execute one in the foreground with a progress bar, then its per-stage summary.

The run executes on a background thread (the embedded executor) while the terminal
reads its progress from the database, as the run page does; Ctrl-C asks it to stop.
"""

from __future__ import annotations

from concurrent.futures import wait
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table
from rich.text import Text

from app.db import session_scope
from app.models import PipelineRun, User
from app.pipeline.executor import RunExecutor
from app.schemas import STAGES, FeedItem
from app.services.runs import run_cancel, run_summary

POLL_S = 0.2
# LLM call stages (app.llm.base.STAGES) by the pipeline stage they belong to
LLM_STAGE_OF = {"interests": "interests", "queries": "queries", "screen": "screen", "clip": "clip", "rank": "explain"}


def run_in_foreground(run_id: int, console: Console) -> dict[str, Any]:
    """Execute a queued run here and now, showing progress; returns its summary (`run_summary`)."""
    executor = RunExecutor(max_workers=1)
    future = executor.submit(run_id)
    try:
        with Progress(
            SpinnerColumn(),
            TextColumn("{task.description:<12}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=console,
            transient=True,
        ) as bar:
            task = bar.add_task("starting", total=None)
            while not future.done():
                stage, done, total = _progress(run_id)
                bar.update(task, description=stage or "starting", completed=done, total=total or None)
                wait([future], timeout=POLL_S)
    except KeyboardInterrupt:
        console.print("stopping the run…")
        with session_scope() as session:
            run = session.get(PipelineRun, run_id)
            user = session.get(User, run.user_id) if run is not None else None
            if user is not None:
                run_cancel(session, user=user, run_id=run_id)
        future.result()
    finally:
        executor.shutdown()
    with session_scope() as session:
        run = session.get(PipelineRun, run_id)
        assert run is not None
        return run_summary(session, run=run)


def _progress(run_id: int) -> tuple[str | None, int, int]:
    with session_scope() as session:
        run = session.get(PipelineRun, run_id)
        return (run.stage, run.progress_done, run.progress_total) if run is not None else (None, 0, 0)


def print_summary(console: Console, summary: dict[str, Any]) -> None:
    """The per-stage table (counts, time and, when a model answered, its calls, tokens and cost), the run's notes
    and its outcome."""
    table = Table(title=f"run #{summary['id']} ({summary['engine']} engine)", title_justify="left")
    usage = summary["llm_calls"]  # empty for a run of the local engine: no model, nothing spent to show
    for column in ("stage", "in", "out", "skipped", "seconds", *(("LLM calls", "tokens", "cost $") if usage else ())):
        table.add_column(column, justify="left" if column == "stage" else "right")
    for stage in STAGES:
        counts = summary["counts"].get(stage, {})
        seconds = summary["timings"].get(stage)
        calls = usage.get(LLM_STAGE_OF.get(stage, ""), {})
        table.add_row(
            stage,
            str(counts.get("in", "")),
            str(counts.get("out", "")),
            str(counts.get("skipped", "")),
            "" if seconds is None else f"{seconds:.2f}",
            *(_spent(calls) if usage else ()),
        )
    seconds = f"{sum(summary['timings'].values()):.2f}"
    table.add_row("total", "", "", "", seconds, *(_spent(_run_usage(summary)) if usage else ()), style="bold")
    console.print(table)
    for entry in summary["log"]:
        if entry.get("kind") == "note":
            console.print(f"note ({entry['stage']}): {entry['message']}", markup=False, highlight=False)
    skipped = sum(1 for entry in summary["log"] if entry.get("kind") == "skipped")
    if skipped:
        console.print(f"{skipped} items skipped; `openrec runs --json` lists them with their reasons", highlight=False)
    outcome = f"run #{summary['id']} {summary['status']}"
    if summary["error"]:
        outcome += f": {summary['error']}"
    console.print(outcome, markup=False, highlight=False, style=None if summary["status"] == "succeeded" else "red")


def feed_json(items: list[FeedItem]) -> list[dict[str, Any]]:
    """The feed in the format PRODUCT.md gives `openrec feed --json`, with the interest each clip serves."""
    return [item.model_dump(mode="json") for item in items]


def print_feed(console: Console, items: list[FeedItem], run_id: int | None = None) -> None:
    """The newest successful run's clips (run `run_id`), or why there are none."""
    if not items:
        console.print(
            "no run has finished yet: run the pipeline with `openrec run EMAIL`"
            if run_id is None
            else f"run #{run_id}, the latest to finish, holds no clips: `openrec runs EMAIL --json` says why",
            markup=False,
            highlight=False,
        )
        return
    for position, item in enumerate(items, start=1):
        start = int(item.start_s)
        console.print(
            f"{position:>2}. {item.title} — {item.channel} [{_clock(item.start_s)}–{_clock(item.end_s)}]\n"
            f"    {item.explanation}\n"
            f"    https://www.youtube.com/watch?v={item.video_id}&t={start}s",
            markup=False,
            highlight=False,
        )


def print_runs(console: Console, summaries: list[dict[str, Any]]) -> None:
    table = Table()
    for column in ("run", "status", "created", "seconds", "clips", "tokens", "cost $", "error"):
        table.add_column(column)
    for s in summaries:
        table.add_row(
            str(s["id"]),
            s["status"],
            s["created_at"][:19].replace("T", " "),
            f"{sum(s['timings'].values()):.1f}",
            str(s["counts"].get("rank", {}).get("out", "")),
            *_spent(_run_usage(s))[1:],
            Text(s["error"] or ""),
        )
    console.print(table)


def _spent(usage: dict[str, Any]) -> tuple[str, str, str]:
    """Model calls, tokens and cost (of a stage or a run), blank where no model was called; a free local model that
    answered still shows its $0.0000."""
    if not usage.get("calls"):
        return "", "", ""
    return str(usage["calls"]), str(usage["tokens_in"] + usage["tokens_out"]), f"{usage['cost_usd']:.4f}"


def _run_usage(summary: dict[str, Any]) -> dict[str, Any]:
    """A run's model calls, tokens and cost, as one stage's are counted."""
    calls = sum(int(stage["calls"]) for stage in summary["llm_calls"].values())
    return {"calls": calls, **{key: summary[key] for key in ("tokens_in", "tokens_out", "cost_usd")}}


def _clock(seconds: float) -> str:
    minutes, rest = divmod(int(seconds), 60)
    return f"{minutes}:{rest:02d}"
