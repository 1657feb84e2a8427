"""The `openrec` command.

Each subcommand is a `cmd_<name>(args) -> int` function registered in `build_parser`;
commands own their unit of work (they commit), services only flush.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from app.config import get_settings
from app.db import session_scope


class CommandError(Exception):
    """A user-facing failure: printed without a traceback, exit code 2."""


def cmd_serve(args: argparse.Namespace) -> int:
    import uvicorn

    settings = get_settings()
    if not args.no_migrate:
        cmd_migrate(args)
    uvicorn.run(
        "app.main:create_app",
        factory=True,
        host=args.host or settings.openrec_host,
        port=args.port or settings.openrec_port,
        proxy_headers=True,
        log_config=None,
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
            print(f"created user {user.email} (id {user.id})")
    except EmailTaken as exc:
        raise CommandError(f"a user with email {exc} already exists") from exc
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
            print(f"imported {path.name}{account} for {user.email}: {sum(job.counts.values())} new")
            for kind, count in job.counts.items():
                print(f"  {kind:<8} {count:>7}")
            for reason, count in job.skipped.items():
                print(f"  skipped {count}: {reason}")
    except ArchiveError as exc:
        raise CommandError(f"{path.name}: {exc}") from exc
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="openrec", description="openrec: clips from YouTube, chosen from your interests."
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser("serve", help="run the web app", description="Serve the web app (migrates first).")
    p.add_argument("--host", default=None, help="address to bind (default from OPENREC_HOST, 127.0.0.1)")
    p.add_argument("--port", type=int, default=None, help="port to bind (default from OPENREC_PORT, 8000)")
    p.add_argument("--no-migrate", action="store_true", help="do not migrate the database before serving")
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

    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        code: int = args.func(args)
    except CommandError as exc:
        print(f"openrec: {exc}", file=sys.stderr)
        return 2
    return code


if __name__ == "__main__":
    sys.exit(main())
