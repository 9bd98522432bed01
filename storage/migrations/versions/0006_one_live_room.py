"""one live room per channel: a partial unique index, so two starts at once cannot both win

Revision ID: 0006
Revises: 0005
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

LIVE = "state != 'finished'"


def upgrade() -> None:
    # Channels that already hold several live rooms (possible before this index) keep the
    # newest; the others are finished, as `status` already showed only the newest.
    op.execute(
        "UPDATE rooms SET state = 'finished' WHERE state != 'finished' AND id NOT IN "
        "(SELECT max(id) FROM rooms WHERE state != 'finished' GROUP BY key)"
    )
    op.create_index(
        "uq_rooms_live_key",
        "rooms",
        ["key"],
        unique=True,
        sqlite_where=sa.text(LIVE),
        postgresql_where=sa.text(LIVE),
    )


def downgrade() -> None:
    op.drop_index("uq_rooms_live_key", table_name="rooms")
