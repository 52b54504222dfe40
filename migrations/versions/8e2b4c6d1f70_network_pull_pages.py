"""clinic network: the pull comes in pages; a node keeps where the last page ended (resumable)

Revision ID: 8e2b4c6d1f70
Revises: f5bb608bceae
Create Date: 2026-12-02 07:00:00

"""
import sqlalchemy as sa
from alembic import op

revision = "8e2b4c6d1f70"
down_revision = "f5bb608bceae"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("network_node", schema=None) as batch_op:
        batch_op.add_column(sa.Column("pull_after", sa.String(length=80), nullable=True))


def downgrade():
    with op.batch_alter_table("network_node", schema=None) as batch_op:
        batch_op.drop_column("pull_after")
