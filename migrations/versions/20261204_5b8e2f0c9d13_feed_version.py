"""users.feed_version and the triggers that move it on

Every write to what a user's feed shows (their clips, votes, hidden channels, posts, runs,
and the title, channel or length of a video in their feed) bumps `users.feed_version`
in the same transaction, so a page rendered at one version can be served again until
the version moves (app/web/pages.py). Triggers, not application code, so that no write
path, bulk statement or future service can forget it.

SQLite triggers are per row. PostgreSQL's inserts and deletes bump once per statement
(an import of thousands of posts touches the user's row once); updates bump per row, on
the columns the feed shows only (a run's heartbeat is not news to the feed).

A later SQLite migration that rebuilds one of these tables (batch "move and copy") drops
its triggers: it must create them again.

Revision ID: 5b8e2f0c9d13
Revises: 17a4c9e2b6d1
Create Date: 2026-12-04 09:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "5b8e2f0c9d13"
down_revision: str | None = "17a4c9e2b6d1"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Tables of rows that belong to one user, and the columns whose update the feed shows (None: any column).
OWNED: dict[str, tuple[str, ...] | None] = {
    "recommendations": None,
    "feedback": None,
    "hidden_channels": None,
    "tweets": None,
    "pipeline_runs": ("status", "finished_at", "number", "log"),
}
VIDEO_COLUMNS = ("title", "channel", "duration_s")
BUMP = "UPDATE users SET feed_version = feed_version + 1 WHERE id"


def _of(columns: tuple[str, ...] | None) -> str:
    return f" OF {', '.join(columns)}" if columns else ""


def _sqlite() -> list[str]:
    statements = []
    for table, columns in OWNED.items():
        statements += [
            f"CREATE TRIGGER feed_changed_{table}_insert AFTER INSERT ON {table} "
            f"BEGIN {BUMP} = NEW.user_id; END",
            f"CREATE TRIGGER feed_changed_{table}_delete AFTER DELETE ON {table} "
            f"BEGIN {BUMP} = OLD.user_id; END",
            f"CREATE TRIGGER feed_changed_{table}_update AFTER UPDATE{_of(columns)} ON {table} "
            f"BEGIN {BUMP} IN (OLD.user_id, NEW.user_id); END",
        ]
    changed = " OR ".join(f"OLD.{c} IS NOT NEW.{c}" for c in VIDEO_COLUMNS)
    statements.append(
        f"CREATE TRIGGER feed_changed_videos_update AFTER UPDATE{_of(VIDEO_COLUMNS)} ON videos WHEN {changed} "
        f"BEGIN {BUMP} IN (SELECT user_id FROM recommendations WHERE video_id = NEW.id); END"
    )
    return statements


def _postgresql() -> list[str]:
    statements = [
        "CREATE FUNCTION feed_changed_rows() RETURNS trigger LANGUAGE plpgsql AS $$ "
        f"BEGIN {BUMP} IN (SELECT DISTINCT user_id FROM changed); RETURN NULL; END $$",
        "CREATE FUNCTION feed_changed_row() RETURNS trigger LANGUAGE plpgsql AS $$ "
        f"BEGIN {BUMP} IN (OLD.user_id, NEW.user_id); RETURN NULL; END $$",
        "CREATE FUNCTION feed_changed_video() RETURNS trigger LANGUAGE plpgsql AS $$ "
        f"BEGIN {BUMP} IN (SELECT user_id FROM recommendations WHERE video_id = NEW.id); RETURN NULL; END $$",
    ]
    for table, columns in OWNED.items():
        statements += [
            f"CREATE TRIGGER feed_changed_{table}_insert AFTER INSERT ON {table} "
            "REFERENCING NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION feed_changed_rows()",
            f"CREATE TRIGGER feed_changed_{table}_delete AFTER DELETE ON {table} "
            "REFERENCING OLD TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION feed_changed_rows()",
            f"CREATE TRIGGER feed_changed_{table}_update AFTER UPDATE{_of(columns)} ON {table} "
            "FOR EACH ROW EXECUTE FUNCTION feed_changed_row()",
        ]
    changed = " OR ".join(f"OLD.{c} IS DISTINCT FROM NEW.{c}" for c in VIDEO_COLUMNS)
    statements.append(
        f"CREATE TRIGGER feed_changed_videos_update AFTER UPDATE{_of(VIDEO_COLUMNS)} ON videos "
        f"FOR EACH ROW WHEN ({changed}) EXECUTE FUNCTION feed_changed_video()"
    )
    return statements


def upgrade() -> None:
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(sa.Column("feed_version", sa.BigInteger(), server_default="0", nullable=False))
    dialect = op.get_bind().dialect.name
    for statement in _postgresql() if dialect == "postgresql" else _sqlite():
        op.execute(statement)


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    for table in [*OWNED, "videos"]:
        for event in ("insert", "delete", "update"):
            on = f" ON {table}" if dialect == "postgresql" else ""
            op.execute(f"DROP TRIGGER IF EXISTS feed_changed_{table}_{event}{on}")
    if dialect == "postgresql":
        for function in ("feed_changed_rows", "feed_changed_row", "feed_changed_video"):
            op.execute(f"DROP FUNCTION IF EXISTS {function}()")
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_column("feed_version")
