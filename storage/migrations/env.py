"""Alembic environment: runs on the connection the application hands over."""

from alembic import context

from storage.models import Base
from storage.search import include_name

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("run migrations through `chimera db upgrade` (storage.db.Database.migrate)")

context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    render_as_batch=connection.dialect.name == "sqlite",
    include_name=include_name,
)
with context.begin_transaction():
    context.run_migrations()
