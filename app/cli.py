"""The `openrec` command.

Each subcommand is a `cmd_<name>(args) -> int` function registered in `build_parser`;
commands own their unit of work (they commit), services only flush.
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import os
import sys
from collections.abc import Sequence
from typing import Any, NoReturn

from sqlalchemy.orm import Session

from app.config import get_settings
from app.db import session_scope
from app.models import User


class CommandError(Exception):
    """A user-facing failure: printed without a traceback, exit code 2."""


def server_options(*, workers: int, access_log: bool) -> dict[str, Any]:
    """uvicorn's settings for `openrec serve` (the benchmark serves its baseline app with the same)."""
    from importlib.util import find_spec

    return {
        "workers": workers,
        # The C event loop and HTTP parser where they build (not on Windows).
        "loop": "uvloop" if find_spec("uvloop") else "asyncio",
        "http": "httptools" if find_spec("httptools") else "h11",
        "access_log": access_log,
        "proxy_headers": True,
        "log_config": None,
    }


def cmd_serve(args: argparse.Namespace) -> int:
    import os

    import uvicorn

    settings = get_settings()
    if args.workers is not None and args.workers < 1:
        raise CommandError("--workers takes a number of processes, 1 or more")
    if not args.no_migrate:
        cmd_migrate(args)
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    workers = args.workers or settings.web_workers(cpus)
    if workers > 1 and not settings.service_mode:
        print(
            f"note: {workers} processes without REDIS_URL: each executes runs and counts failed sign-ins on its own",
            file=sys.stderr,
        )
    if not settings.service_mode:
        from app.pipeline.executor import RunRecovery

        RunRecovery(settings).start()  # runs a stopped server left queued or running resume here
    uvicorn.run(
        "app.main:create_app",
        factory=True,
        host=args.host or settings.openrec_host,
        port=args.port or settings.openrec_port,
        **server_options(workers=workers, access_log=args.access_log or settings.openrec_access_log),
    )
    return 0


def cmd_migrate(args: argparse.Namespace) -> int:
    from app.migrate import upgrade_to_head

    upgrade_to_head()
    return 0


def cmd_create_user(args: argparse.Namespace) -> int:
    from app.services.users import EmailTaken, user_create
    from app.web.auth import check_credentials

    problem = check_credentials(args.email.strip().lower(), args.password)
    if problem:
        raise CommandError(problem)
    try:
        with session_scope() as session:
            user = user_create(session, email=args.email, password=args.password)
            said = f"created user {user.email} (id {user.id})"
    except EmailTaken as exc:
        raise CommandError(f"a user with email {exc} already exists") from exc
    print(said)  # after the commit: a reader that stops early cannot undo it
    return 0


def cmd_import_archive(args: argparse.Namespace) -> int:
    """Import an X archive for a user and print what was added per kind and what was skipped and why."""
    from pathlib import Path

    from app.services.imports import import_archive
    from app.services.users import user_by_email
    from app.sources.x_archive import ArchiveError

    path = Path(args.path)
    if not path.is_file():
        raise CommandError(f"no such file: {path}")
    try:
        with session_scope() as session:
            user = user_by_email(session, email=args.email)
            if user is None:
                raise CommandError(f"no user with email {args.email}")
            with path.open("rb") as handle:
                job = import_archive(session, user=user, data=handle, filename=path.name)
            account = f" (@{job.account_username})" if job.account_username else ""
            lines = [f"imported {path.name}{account} for {user.email}: {sum(job.counts.values())} new"]
            lines += [f"  {kind:<8} {count:>7}" for kind, count in job.counts.items()]
            lines += [f"  skipped {count}: {reason}" for reason, count in job.skipped.items()]
    except ArchiveError as exc:
        raise CommandError(f"{path.name}: {exc}") from exc
    # Said once the import is stored: a reader that stops early (`| head`) cannot undo it.
    print("\n".join(lines))
    return 0


def _user(session: Session, email: str) -> User:
    from app.services.users import user_by_email

    user = user_by_email(session, email=email)
    if user is None:
        raise CommandError(f"no user with email {email}")
    return user


def _run_in_foreground(run_id: int) -> int:
    """Execute a run here with a progress bar, then print its summary; 0 when it succeeded."""
    from rich.console import Console

    from app.cli_runs import print_summary, run_in_foreground

    console = Console()
    summary = run_in_foreground(run_id, console)
    print_summary(console, summary)
    return 0 if summary["status"] == "succeeded" else 1


def cmd_run(args: argparse.Namespace) -> int:
    """One pipeline run for a user, in the foreground; a run left behind by a vanished process is resumed."""
    from app.services.runs import run_create, run_is_stale

    if args.queue:
        return _queue_run(args.email)
    settings = get_settings()
    with session_scope() as session:
        user = _user(session, args.email)
        run, created = run_create(session, user=user, trigger="cli")
        if not created and not run_is_stale(run, heartbeat_s=settings.openrec_run_heartbeat_s):
            raise CommandError(
                f"run #{run.id} of {user.email} is already {run.status}; see `openrec runs {user.email}`"
            )
        if not created:
            print(f"resuming run #{run.id}, which stopped making progress")
        run_id = run.id
    return _run_in_foreground(run_id)


def _queue_run(email: str) -> int:
    """Hand a run to the workers and print its id (the user's active run, when there is one)."""
    from app.pipeline.dispatch import dispatch_run
    from app.services.runs import run_create

    settings = get_settings()
    if not settings.service_mode:
        raise CommandError(
            "--queue needs REDIS_URL (service mode, where `openrec worker` executes runs); "
            "without it, `openrec run EMAIL` runs in the foreground"
        )
    with session_scope() as session:
        run, created = run_create(session, user=_user(session, email), trigger="cli")
        run_id, status = run.id, run.status
    if not created:
        print(f"run #{run_id} of {email} is already {status}", file=sys.stderr)
    elif not dispatch_run(run_id, settings):
        print(f"the queue is unreachable: run #{run_id} stays queued and is sent when it is back", file=sys.stderr)
    print(run_id)
    return 0


def _celery(command: str, *options: str) -> NoReturn:
    """Become the Celery program for the worker app (so signals reach Celery directly); needs REDIS_URL."""
    import os

    if not get_settings().service_mode:
        raise CommandError(
            f"openrec {command} needs REDIS_URL, the Redis broker (e.g. redis://127.0.0.1:6379/0); "
            "without it, `openrec serve` executes runs in its own process"
        )
    argv = [sys.executable, "-m", "celery", "-A", "worker.celery_app:celery_app", command, *options]
    os.execv(sys.executable, argv)  # noqa: S606 - a fixed program with our own arguments


def cmd_worker(args: argparse.Namespace) -> int:
    """A Celery worker executing pipeline runs (one run per process at a time)."""
    options = ["--pool=prefork", "--without-mingle", "--without-gossip", f"--loglevel={_loglevel(args)}"]
    if args.concurrency:
        options.append(f"--concurrency={args.concurrency}")
    _celery("worker", *options)


def cmd_beat(args: argparse.Namespace) -> int:
    """Celery beat: sends the stale-run reaper every minute and the scheduled-refresh check every five."""
    _celery("beat", f"--loglevel={_loglevel(args)}")


def _loglevel(args: argparse.Namespace) -> str:
    level: str = args.loglevel or get_settings().openrec_log_level
    return level.upper()


def cmd_feed(args: argparse.Namespace) -> int:
    """The user's feed (the newest successful run's clips), in order."""
    import json

    from rich.console import Console

    from app.cli_runs import feed_json, print_feed
    from app.services.recommendations import feed_run, run_feed_items

    with session_scope() as session:
        user = _user(session, args.email)
        run = feed_run(session, user=user)
        items = run_feed_items(session, user=user, run=run)
        run_id = None if run is None else run.id
    if args.json:
        print(json.dumps(feed_json(items), ensure_ascii=False, indent=2))
    else:
        print_feed(Console(), items, run_id)
    return 0


def cmd_instructions(args: argparse.Namespace) -> int:
    """Set custom instructions; with the local engine, say which of them it will apply."""
    from app.llm.local import parse_instructions
    from app.services.instruction_history import instructions_update
    from app.services.preferences import InstructionsTooLong

    text = args.text.strip()
    with session_scope() as session:
        user = _user(session, args.email)
        try:
            withdrawal = instructions_update(session, user=user, text=text)
        except InstructionsTooLong as exc:
            raise CommandError(str(exc)) from exc
    if withdrawal is None:
        print(f"custom instructions of {args.email} unchanged: these are already in force")
    elif not text:
        print(f"custom instructions of {args.email} cleared")
    else:
        print(f"custom instructions of {args.email} saved; the next run applies them")
    if withdrawal is not None and (said := withdrawal.said()):
        print(f"  {said}")
    if not text:
        return 0
    if not get_settings().llm_configured:
        plan = parse_instructions(text)
        for applied in plan.applied:
            print(f"  the local engine will apply: {applied}")
        for unsupported in plan.unsupported:
            print(f"  the local engine cannot apply: {unsupported}")
    return 0


INTEREST_CHANGES = {"pin": 1, "unpin": 1, "mute": 1, "unmute": 1, "remove": 1, "rename": 2, "add": 1}


def cmd_interests(args: argparse.Namespace) -> int:
    """List the interests of the latest run with their state, or change one for the next run."""
    import json

    from app.services.interest_controls import (
        InterestChoiceError,
        choice_sentence,
        interest_choose,
        interests_overview,
    )

    if args.change:
        action, values = args.change[0], args.change[1:]
        if INTEREST_CHANGES.get(action) != len(values):
            raise CommandError(
                'use: interests EMAIL [pin NAME | unpin NAME | mute NAME | unmute NAME | rename OLD NEW | add "TEXT" '
                "| remove NAME]"
            )
        with session_scope() as session:
            try:
                row = interest_choose(
                    session, user=_user(session, args.email), action=action, name=values[0], new_name=values[-1]
                )
            except InterestChoiceError as exc:
                raise CommandError(str(exc)) from exc
            said = f"{choice_sentence(row)}; the next run follows it"
        print(said)
        return 0
    with session_scope() as session:
        states = interests_overview(session, user=_user(session, args.email))
        listed = [
            {
                "name": s.name,
                "state": s.state,
                "description": s.description,
                "weight": s.weight,
                "inferred_name": s.inferred_name,
                "posts": [p.tweet_id for p in s.view.evidence] if s.view is not None else [],
            }
            for s in states
        ]
    if args.json:
        print(json.dumps(listed, ensure_ascii=False, indent=2))
        return 0
    if not listed:
        print(f"{args.email} has no interests yet: import posts and run the pipeline, or add one")
    for item in listed:
        weight = "" if item["weight"] is None else f"{item['weight']:.2f}"
        print(f"{item['state']:<9} {weight:>5}  {item['name']}")
    return 0


def cmd_feed_url(args: argparse.Namespace) -> int:
    """Print the user's secret RSS, Atom and JSON Feed URLs, one a line (made on first use)."""
    from app.services.feed_settings import feed_token, feed_urls

    with session_scope() as session:
        token = feed_token(session, user=_user(session, args.email))
    for url in feed_urls(get_settings(), token).values():
        print(url)
    return 0


def cmd_runs(args: argparse.Namespace) -> int:
    """The user's runs, newest first: status, stage timings and counts, LLM calls, tokens and cost."""
    import json

    from rich.console import Console

    from app.cli_runs import print_runs
    from app.services.runs import run_summary, runs_list

    with session_scope() as session:
        user = _user(session, args.email)
        summaries = [run_summary(session, run=run) for run in runs_list(session, user=user, limit=args.limit)]
    if args.json:
        print(json.dumps(summaries, ensure_ascii=False, indent=2))
    else:
        print_runs(Console(), summaries)
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    """A demo account with the bundled sample archive and one run; running it again adds nothing."""
    import secrets

    from app.demo import DEMO_EMAIL, DEMO_TRIGGER, SAMPLE_ARCHIVE
    from app.migrate import upgrade_to_head
    from app.services.imports import engagement_counts, import_archive
    from app.services.recommendations import feed_run
    from app.services.runs import run_create, run_is_stale
    from app.services.users import user_by_email, user_create

    settings = get_settings()
    upgrade_to_head()
    password = None
    run_id = None
    with session_scope() as session:
        user = user_by_email(session, email=DEMO_EMAIL)
        if user is not None and args.once:
            print(f"demo account {DEMO_EMAIL} already set up")
            return 0
        if user is None:
            password = args.password or secrets.token_urlsafe(12)
            user = user_create(session, email=DEMO_EMAIL, password=password)
            print(f"created demo account {DEMO_EMAIL}")
        if not engagement_counts(session, user=user):
            with SAMPLE_ARCHIVE.open("rb") as handle:
                job = import_archive(session, user=user, data=handle, filename=SAMPLE_ARCHIVE.name)
            print(f"imported the sample archive: {sum(job.counts.values())} posts and likes")
        if feed_run(session, user=user) is None:
            run, created = run_create(session, user=user, trigger=DEMO_TRIGGER)
            if created or run_is_stale(run, heartbeat_s=settings.openrec_run_heartbeat_s):
                run_id = run.id
            else:
                print(f"the demo run #{run.id} is already {run.status}")
    code = _run_in_foreground(run_id) if run_id is not None else 0
    print(f"sign in at http://{settings.openrec_host}:{settings.openrec_port}/login as {DEMO_EMAIL}")
    if password is not None and args.password is None:
        print(f"password (shown once): {password}")
    return code


def cmd_doctor(args: argparse.Namespace) -> int:
    """Check the database, Redis, the model endpoint and YouTube (search and captions); 1 when a check fails."""
    from app.doctor import report, run_checks
    from app.logs import configure_logging

    settings = get_settings()
    configure_logging(settings.model_copy(update={"openrec_log_level": "ERROR"}))  # the report says it all
    checks = run_checks(settings)
    print(report(checks))
    return 0 if all(check.ok for check in checks) else 1


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="openrec", description="openrec: clips from YouTube, chosen from your interests."
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser("serve", help="run the web app", description="Serve the web app (migrates first).")
    p.add_argument("--host", default=None, help="address to bind (default from OPENREC_HOST, 127.0.0.1)")
    p.add_argument("--port", type=int, default=None, help="port to bind (default from OPENREC_PORT, 8000)")
    p.add_argument("--no-migrate", action="store_true", help="do not migrate the database before serving")
    p.add_argument(
        "--workers",
        type=int,
        default=None,
        help="server processes (default from OPENREC_WORKERS: one per CPU in service mode, one otherwise)",
    )
    p.add_argument(
        "--access-log", action="store_true", help="also print uvicorn's access log (default from OPENREC_ACCESS_LOG)"
    )
    p.set_defaults(func=cmd_serve)

    p = sub.add_parser("migrate", help="bring the database schema to head", description="Run Alembic migrations.")
    p.set_defaults(func=cmd_migrate)

    p = sub.add_parser("create-user", help="create an account", description="Create an account with a password.")
    p.add_argument("email", help="the account's email address")
    p.add_argument("--password", required=True, help="the password (8 to 1024 characters)")
    p.set_defaults(func=cmd_create_user)

    p = sub.add_parser(
        "import-archive", help="import an X archive ZIP", description="Import a user's X data archive (ZIP)."
    )
    p.add_argument("email", help="the account's email address")
    p.add_argument("path", help="the archive ZIP X sent")
    p.set_defaults(func=cmd_import_archive)

    p = sub.add_parser("run", help="run the pipeline for a user", description="One pipeline run, in the foreground.")
    p.add_argument("email", help="the account's email address")
    p.add_argument("--queue", action="store_true", help="hand the run to the workers (service mode), print its id")
    p.set_defaults(func=cmd_run)

    p = sub.add_parser("feed", help="print a user's feed", description="The user's feed, in order.")
    p.add_argument("email", help="the account's email address")
    p.add_argument("--json", action="store_true", help="print a JSON list (video_id, title, channel, start_s, …)")
    p.set_defaults(func=cmd_feed)

    p = sub.add_parser("instructions", help="set custom instructions", description="Set a user's custom instructions.")
    p.add_argument("email", help="the account's email address")
    p.add_argument("text", help='the instructions in plain language, e.g. "no crypto, I\'m a beginner" ("" clears)')
    p.set_defaults(func=cmd_instructions)

    p = sub.add_parser(
        "interests",
        help="see and steer a user's interests",
        description="The interests of the latest run with their state; or pin, mute, unmute, rename or add one.",
    )
    p.add_argument("email", help="the account's email address")
    p.add_argument(
        "change",
        nargs="*",
        metavar="CHANGE",
        help='pin NAME | unpin NAME | mute NAME | unmute NAME | rename OLD NEW | add "TEXT" | remove NAME',
    )
    p.add_argument("--json", action="store_true", help="print a JSON list (name, state, description, weight, posts)")
    p.set_defaults(func=cmd_interests)

    p = sub.add_parser(
        "feed-url", help="print a user's feed export URLs", description="The secret RSS, Atom and JSON Feed URLs."
    )
    p.add_argument("email", help="the account's email address")
    p.set_defaults(func=cmd_feed_url)

    p = sub.add_parser("runs", help="list a user's runs", description="A user's runs, newest first.")
    p.add_argument("email", help="the account's email address")
    p.add_argument("--json", action="store_true", help="print JSON: status, timings, counts, LLM calls, tokens, cost")
    p.add_argument("--limit", type=int, default=20, help="how many runs (default 20)")
    p.set_defaults(func=cmd_runs)

    p = sub.add_parser(
        "demo",
        help="set up a demo account",
        description="Create a demo account with a sample archive and run the pipeline once (idempotent).",
    )
    p.add_argument("--password", default=None, help="the demo account's password (default: a random one, shown once)")
    p.add_argument("--once", action="store_true", help="do nothing when the demo account already exists")
    p.set_defaults(func=cmd_demo)

    p = sub.add_parser(
        "doctor",
        help="check what this server needs",
        description="Check the database, Redis, the model endpoint, a yt-dlp search and a caption fetch "
        "(through the configured proxy); exits 1 when a check fails.",
    )
    p.set_defaults(func=cmd_doctor)

    p = sub.add_parser("worker", help="run a Celery worker", description="Execute queued runs (needs REDIS_URL).")
    p.add_argument("--concurrency", type=int, default=None, help="worker processes (default: one per CPU)")
    p.add_argument("--loglevel", default=None, help="log level (default from OPENREC_LOG_LEVEL)")
    p.set_defaults(func=cmd_worker)

    p = sub.add_parser(
        "beat", help="run the scheduler", description="Schedule refreshes and stale-run recovery (run exactly one)."
    )
    p.add_argument("--loglevel", default=None, help="log level (default from OPENREC_LOG_LEVEL)")
    p.set_defaults(func=cmd_beat)

    return parser


SERVICE_COMMANDS = {"serve", "worker", "beat"}  # long-running: they log at the configured level


def main(argv: Sequence[str] | None = None) -> int:
    from app.logs import configure_logging

    args = build_parser().parse_args(argv)
    settings = get_settings()
    if args.command not in SERVICE_COMMANDS:  # a command's own output says what happened: only problems join it
        quiet = max(logging.WARNING, logging.getLevelNamesMapping().get(settings.openrec_log_level.upper(), 0))
        settings = settings.model_copy(update={"openrec_log_level": logging.getLevelName(quiet)})
    configure_logging(settings)
    try:
        code: int = args.func(args)
    except CommandError as exc:
        print(f"openrec: {exc}", file=sys.stderr)
        return 2
    except BrokenPipeError:
        # The reader stopped early (`| head`): what the command did stands, and it says nothing more.
        _silence_stdout()
        return 1
    return code


def _silence_stdout() -> None:
    """Point standard output at /dev/null, so that flushing it on exit does not hit the closed pipe again (the
    recipe of Python's `signal` documentation); output that is no file (captured in tests) is left alone."""
    with contextlib.suppress(OSError, ValueError):
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())


if __name__ == "__main__":
    sys.exit(main())
