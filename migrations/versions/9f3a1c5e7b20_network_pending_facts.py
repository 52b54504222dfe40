"""clinic network: a backlog's derived rows wait at the hub until the clinic's pull (first sync in hundreds of batches)

Revision ID: 9f3a1c5e7b20
Revises: 3b7e91c04d2a
Create Date: 2026-12-02 14:30:00

"""
import sqlalchemy as sa
from alembic import op

revision = "9f3a1c5e7b20"
down_revision = "3b7e91c04d2a"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "network_pending_facts",
        sa.Column("clinic_id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("record_id", sa.Uuid(), nullable=False),
        sa.PrimaryKeyConstraint("clinic_id", "kind", "record_id", name=op.f("pk_network_pending_facts")),
    )


def downgrade():
    op.drop_table("network_pending_facts")
