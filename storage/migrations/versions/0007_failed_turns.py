"""failed turns: a room rides out model errors, and counts them to know when to pause

Revision ID: 0007
Revises: 0006
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("rooms") as batch_op:
        batch_op.add_column(
            sa.Column("failed_turns", sa.Integer(), server_default="0", nullable=False)
        )
        batch_op.add_column(
            sa.Column("skipped_turns", sa.Integer(), server_default="0", nullable=False)
        )
        batch_op.add_column(sa.Column("skipped_speaker", sa.String(length=120), nullable=True))
        batch_op.add_column(
            sa.Column("failure_pauses", sa.Integer(), server_default="0", nullable=False)
        )


def downgrade() -> None:
    with op.batch_alter_table("rooms") as batch_op:
        for column in ("failure_pauses", "skipped_speaker", "skipped_turns", "failed_turns"):
            batch_op.drop_column(column)
