"""run numbers per user and quote times

Revision ID: 13a7c1d2e3f4
Revises: fe2ec902385c
Create Date: 2026-12-03 08:20:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '13a7c1d2e3f4'
down_revision: str | None = 'fe2ec902385c'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('recommendations', schema=None) as batch_op:
        batch_op.add_column(sa.Column('quote_s', sa.Float(), nullable=True))
    with op.batch_alter_table('pipeline_runs', schema=None) as batch_op:
        batch_op.add_column(sa.Column('number', sa.Integer(), nullable=True))
    # Existing runs are numbered per user in the order they were created.
    op.execute(
        "UPDATE pipeline_runs SET number = ("
        "SELECT COUNT(*) FROM pipeline_runs AS earlier "
        "WHERE earlier.user_id = pipeline_runs.user_id AND earlier.id <= pipeline_runs.id)"
    )
    with op.batch_alter_table('pipeline_runs', schema=None) as batch_op:
        batch_op.alter_column('number', existing_type=sa.Integer(), nullable=False)
        batch_op.create_unique_constraint(batch_op.f('uq_pipeline_runs_user_id_number'), ['user_id', 'number'])


def downgrade() -> None:
    with op.batch_alter_table('pipeline_runs', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_pipeline_runs_user_id_number'), type_='unique')
        batch_op.drop_column('number')
    with op.batch_alter_table('recommendations', schema=None) as batch_op:
        batch_op.drop_column('quote_s')
