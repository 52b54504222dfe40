"""A client's date of birth may be unknown (no date, no estimate): age "Unknown" in reports

Revision ID: 8b2d3f0a5e31
Revises: 7a1c2e9b4d20
Create Date: 2026-12-02 03:50:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '8b2d3f0a5e31'
down_revision = '7a1c2e9b4d20'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('clients', schema=None) as batch_op:
        batch_op.alter_column('date_of_birth', existing_type=sa.Date(), nullable=True)


def downgrade():
    # A client without a date of birth cannot go back: refuse rather than invent one.
    with op.batch_alter_table('clients', schema=None) as batch_op:
        batch_op.alter_column('date_of_birth', existing_type=sa.Date(), nullable=False)
