"""branches and schedules: forks and replays of rooms, recurring rooms and topic lists

Revision ID: 0008
Revises: 0007
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("rooms") as batch_op:
        batch_op.add_column(sa.Column("parent_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("branch", sa.String(length=10), nullable=True))
        batch_op.add_column(sa.Column("fork_at", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            "fk_rooms_parent_id", "rooms", ["parent_id"], ["id"], ondelete="SET NULL"
        )
        batch_op.create_index("ix_rooms_parent_id", ["parent_id"])
    with op.batch_alter_table("turns") as batch_op:
        batch_op.add_column(sa.Column("inherited", sa.Boolean(), nullable=True))
    op.create_table(
        "schedules",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("tenant_id", sa.String(length=120), nullable=False),
        sa.Column("room_key", sa.String(length=255), nullable=False),
        sa.Column("topic", sa.Text(), nullable=False),
        sa.Column("every", sa.String(length=120), nullable=False),
        sa.Column("tz", sa.String(length=64), nullable=False),
        sa.Column("mode", sa.String(length=20), nullable=False),
        sa.Column("personas", sa.JSON(), nullable=False),
        sa.Column("turns", sa.Integer(), nullable=True),
        sa.Column("paused", sa.Boolean(), nullable=False),
        sa.Column("created_by", sa.String(length=120), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_run_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_outcome", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(["tenant_id"], ["tenants.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_schedules_tenant_id", "schedules", ["tenant_id"])
    op.create_table(
        "topics",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("tenant_id", sa.String(length=120), nullable=False),
        sa.Column("list_name", sa.String(length=40), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("used", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["tenant_id"], ["tenants.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_topics_list", "topics", ["tenant_id", "list_name"])


def downgrade() -> None:
    op.drop_index("ix_topics_list", table_name="topics")
    op.drop_table("topics")
    op.drop_index("ix_schedules_tenant_id", table_name="schedules")
    op.drop_table("schedules")
    with op.batch_alter_table("turns") as batch_op:
        batch_op.drop_column("inherited")
    with op.batch_alter_table("rooms") as batch_op:
        batch_op.drop_index("ix_rooms_parent_id")
        batch_op.drop_constraint("fk_rooms_parent_id", type_="foreignkey")
        batch_op.drop_column("fork_at")
        batch_op.drop_column("branch")
        batch_op.drop_column("parent_id")
