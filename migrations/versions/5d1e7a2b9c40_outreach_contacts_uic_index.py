"""outreach contacts named by UIC only: a partial index, so a client's write re-resolves them quickly

Revision ID: 5d1e7a2b9c40
Revises: 4c8f02d15e3b
Create Date: 2026-12-02 15:50:00

"""

import sqlalchemy as sa
from alembic import op

revision = "5d1e7a2b9c40"
down_revision = "4c8f02d15e3b"
branch_labels = None
depends_on = None

_UNRESOLVED = sa.text("client_id IS NULL")


def upgrade():
    op.create_index(
        "ix_outreach_contacts_uic_unresolved",
        "outreach_contacts",
        ["contact_uic"],
        unique=False,
        sqlite_where=_UNRESOLVED,
        postgresql_where=_UNRESOLVED,
    )


def downgrade():
    op.drop_index("ix_outreach_contacts_uic_unresolved", table_name="outreach_contacts")
