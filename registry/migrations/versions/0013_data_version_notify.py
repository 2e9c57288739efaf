"""PostgreSQL tells every listening worker the new data version when a write commits.

Each raise of ``registry_state.data_version`` sends ``NOTIFY registry_data_version, '<n>'``;
PostgreSQL delivers it at commit to every session that listens, on every host (see
registry.version_watch). A trigger rather than application code, so that every writer sends
it: this code on any machine, an older release during an upgrade, or plain SQL. The write lock
(an UPDATE that leaves the version as it is) sends nothing. SQLite has no such messages (and
needs none: every SpatiaLite answer reads the version from the local file), so nothing is
added there.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-07
"""

from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

CHANNEL = "registry_data_version"


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(
        f"""
        CREATE OR REPLACE FUNCTION registry_notify_data_version() RETURNS trigger
        LANGUAGE plpgsql AS $$
        BEGIN
            PERFORM pg_notify('{CHANNEL}', NEW.data_version::text);
            RETURN NULL;
        END
        $$
        """
    )
    op.execute(
        """
        CREATE TRIGGER registry_state_notify
        AFTER UPDATE OF data_version ON registry_state
        FOR EACH ROW WHEN (NEW.data_version IS DISTINCT FROM OLD.data_version)
        EXECUTE FUNCTION registry_notify_data_version()
        """
    )


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("DROP TRIGGER IF EXISTS registry_state_notify ON registry_state")
    op.execute("DROP FUNCTION IF EXISTS registry_notify_data_version()")
