"""room threads: the message each room's posts thread under, kept across restarts

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "room_threads",
        sa.Column("room_id", sa.Integer(), nullable=False),
        sa.Column("platform", sa.String(length=20), nullable=False),
        sa.Column("channel_id", sa.String(length=120), nullable=False),
        sa.Column("ts", sa.String(length=40), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["room_id"], ["rooms.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("room_id"),
        sa.UniqueConstraint("platform", "channel_id", "ts", name="uq_room_thread"),
    )


def downgrade() -> None:
    op.drop_table("room_threads")
