"""memory marks: which turns and summaries still wait to be embedded into memory

Revision ID: 0005
Revises: 0004
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("turns") as batch_op:
        batch_op.add_column(sa.Column("remembered", sa.Boolean(), nullable=True))
    with op.batch_alter_table("rooms") as batch_op:
        batch_op.add_column(sa.Column("summary_remembered", sa.Boolean(), nullable=True))
    op.create_index(
        "ix_turns_to_remember",
        "turns",
        ["room_id"],
        sqlite_where=sa.text("remembered = 0"),
        postgresql_where=sa.text("remembered = false"),
    )


def downgrade() -> None:
    op.drop_index("ix_turns_to_remember", table_name="turns")
    with op.batch_alter_table("rooms") as batch_op:
        batch_op.drop_column("summary_remembered")
    with op.batch_alter_table("turns") as batch_op:
        batch_op.drop_column("remembered")
