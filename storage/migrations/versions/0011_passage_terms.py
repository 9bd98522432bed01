"""passage terms: memory's keyword index rows, shared by every process on the database

Revision ID: 0011
Revises: 0010
"""

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "passage_terms",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("tenant", sa.String(length=64), nullable=False),
        sa.Column("passage", sa.String(length=255), nullable=False),
        sa.Column("version", sa.BigInteger(), nullable=False),
        sa.Column("terms", sa.Text(), nullable=False),
        sa.Column("length", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("persona", sa.String(length=120), nullable=False),
        sa.Column("room", sa.String(length=255), nullable=False),
        sa.Column("doc", sa.String(length=120), nullable=False),
        sa.Column("deleted", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("tenant", "passage", name="uq_passage_terms"),
    )
    op.create_index("ix_passage_terms_version", "passage_terms", ["tenant", "version"])


def downgrade() -> None:
    op.drop_index("ix_passage_terms_version", table_name="passage_terms")
    op.drop_table("passage_terms")
