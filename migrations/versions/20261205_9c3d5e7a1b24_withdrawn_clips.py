"""recommendations.withdrawn_by: clips an exclusion took out of the feed after they were shown

Plain ALTER TABLE on both databases (not batch "move and copy"): the feed_version
triggers on recommendations stay in place.

Revision ID: 9c3d5e7a1b24
Revises: 5b8e2f0c9d13
Create Date: 2026-12-05 01:20:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "9c3d5e7a1b24"
down_revision: str | None = "5b8e2f0c9d13"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("recommendations", sa.Column("withdrawn_by", sa.Text(), nullable=True))


def downgrade() -> None:
    op.drop_column("recommendations", "withdrawn_by")
