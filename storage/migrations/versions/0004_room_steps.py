"""room steps: each room row holds its one pending step, so no job store is needed

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("rooms") as batch_op:
        batch_op.add_column(sa.Column("step_seq", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("step_action", sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column("step_due", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("rooms") as batch_op:
        batch_op.drop_column("step_due")
        batch_op.drop_column("step_action")
        batch_op.drop_column("step_seq")
