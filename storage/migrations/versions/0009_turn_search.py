"""turn search: a full-text index over turns (FTS5 on SQLite, tsvector on PostgreSQL), and
the memory sources each turn cites

Revision ID: 0009
Revises: 0008
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

SQLITE = (
    """CREATE VIRTUAL TABLE turns_fts USING fts5(
        content, content='turns', content_rowid='id',
        tokenize='porter unicode61 remove_diacritics 2')""",
    """CREATE TRIGGER turns_fts_ai AFTER INSERT ON turns BEGIN
        INSERT INTO turns_fts(rowid, content) VALUES (new.id, new.content); END""",
    """CREATE TRIGGER turns_fts_ad AFTER DELETE ON turns BEGIN
        INSERT INTO turns_fts(turns_fts, rowid, content) VALUES ('delete', old.id, old.content);
        END""",
    # OF content: marking turns remembered (an UPDATE per turn) must not rewrite the index.
    """CREATE TRIGGER turns_fts_au AFTER UPDATE OF content ON turns BEGIN
        INSERT INTO turns_fts(turns_fts, rowid, content) VALUES ('delete', old.id, old.content);
        INSERT INTO turns_fts(rowid, content) VALUES (new.id, new.content); END""",
    "INSERT INTO turns_fts(turns_fts) VALUES ('rebuild')",  # the turns stored before
)
SQLITE_DROP = (
    "DROP TRIGGER IF EXISTS turns_fts_ai",
    "DROP TRIGGER IF EXISTS turns_fts_ad",
    "DROP TRIGGER IF EXISTS turns_fts_au",
    "DROP TABLE IF EXISTS turns_fts",
)
POSTGRES = ("CREATE INDEX ix_turns_search ON turns USING gin (to_tsvector('english', content))",)
POSTGRES_DROP = ("DROP INDEX IF EXISTS ix_turns_search",)


def upgrade() -> None:
    with op.batch_alter_table("turns") as batch_op:
        batch_op.add_column(sa.Column("sources", sa.JSON(), nullable=True))
    sqlite = op.get_bind().dialect.name == "sqlite"
    for statement in SQLITE if sqlite else POSTGRES:
        op.execute(statement)


def downgrade() -> None:
    sqlite = op.get_bind().dialect.name == "sqlite"
    for statement in SQLITE_DROP if sqlite else POSTGRES_DROP:
        op.execute(statement)
    with op.batch_alter_table("turns") as batch_op:
        batch_op.drop_column("sources")
